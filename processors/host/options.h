/* SPDX-License-Identifier: Apache-2.0 */
/*
 * options.h: a plugin's settings against the options its descriptor
 * declares (bmpflow/plugin.h): checked, defaulted, listed in --help.  The
 * processor host, tests and benchmarks start plugins through it.
 */
#ifndef BF_OPTIONS_H
#define BF_OPTIONS_H

#include <stddef.h>
#include <stdio.h>

#include "bmpflow/plugin.h"

#define BF_OPTIONS_MAX	64

/*
 * given[0..n) (key, value) → out[0..pl->n_options): one per option, in
 * the order declared, the value given or the default.  0, or -1 with
 * why in err (an unknown key, listing the known ones; a number out of
 * its range, with the option's help).
 */
int	bf_options_resolve(const struct bf_plugin *pl,
	    const struct bf_setting *given, size_t n, struct bf_setting *out,
	    char *err, size_t errlen);

/* The plugin's options, defaults and help, as --help lists them. */
void	bf_options_usage(const struct bf_plugin *pl, FILE *f);

/* Resolve the settings and init the plugin: its state, or NULL and err. */
void	*bf_plugin_start(const struct bf_plugin *pl, struct bf_host *h,
	    const struct bf_setting *given, size_t n, char *err, size_t errlen);

#endif /* BF_OPTIONS_H */
