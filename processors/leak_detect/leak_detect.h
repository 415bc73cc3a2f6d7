/*
 * leak_detect.h: what the leak_detect plugin exposes besides its
 * descriptor, for tests and benchmarks that link its sources directly
 * (the host reaches the plugin through the descriptor only).
 */
#ifndef BMPFLOW_LEAK_DETECT_H
#define BMPFLOW_LEAK_DETECT_H

#include <stddef.h>
#include <stdint.h>

/*
 * Reload every configured input file now (asrel_file, prefixes_file,
 * roas_file, transit_free_file), as the descriptor's reload does on the
 * host's SIGHUP: a file that fails to load keeps its previous contents
 * and the error is logged.  Returns the number of files that failed.  The
 * plugin also reloads a file by itself when its mtime or size changed,
 * checked every reload_check_s from on_tick.  Routes already held keep
 * the verdicts they had until they change.  Call from the plugin's thread
 * only.
 */
int	ld_reload(void *state);

/* Memory held by the state, loaded files included (bytes). */
size_t	ld_mem_bytes(const void *state);

/* Alerts currently pending, open or resolved-within-the-window. */
size_t	ld_alerts_held(const void *state);

/* (peer, prefix) routes currently member of at least one alert. */
size_t	ld_offending_routes(const void *state);

#endif /* BMPFLOW_LEAK_DETECT_H */
