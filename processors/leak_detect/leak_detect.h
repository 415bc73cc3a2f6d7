/* SPDX-License-Identifier: Apache-2.0 */
/*
 * leak_detect.h: what the leak_detect plugin exposes besides its
 * descriptor, for tests and benchmarks that link its sources directly
 * (the host reaches the plugin through the descriptor only).
 */
#ifndef BMPFLOW_LEAK_DETECT_H
#define BMPFLOW_LEAK_DETECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Reload every configured input file (asrel_file, prefixes_file,
 * roas_file, transit_free_file) and wait for it, for tests and
 * benchmarks: the descriptor's reload (the host's SIGHUP) starts the same
 * loads on a thread and puts them in use at the next on_tick.  A file
 * that is refused (does not parse, is cut short, has no entries) keeps
 * its previous contents and the error is logged.  Returns the number of
 * files refused.  The plugin also reloads a file by itself when a new
 * version of it stays the same across two checks reload_check_s apart.
 * Routes already held keep the verdicts they had until they change.
 * Call from the plugin's thread only.
 */
int	ld_reload(void *state);

/*
 * Whether a reload is under way: files are being loaded on the plugin's
 * thread, or are loaded and wait for the next on_tick to be put in use.
 */
bool	ld_reload_pending(const void *state);

/* Memory held by the state, loaded files included (bytes). */
size_t	ld_mem_bytes(const void *state);

/* Alerts currently pending, open or resolved-within-the-window. */
size_t	ld_alerts_held(const void *state);

/* (peer, prefix) routes currently member of at least one alert. */
size_t	ld_offending_routes(const void *state);

#endif /* BMPFLOW_LEAK_DETECT_H */
