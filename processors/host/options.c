/* SPDX-License-Identifier: Apache-2.0 */
/*
 * options.c: plugin settings resolved against the declared options.
 */
#include "options.h"

#include <string.h>

static size_t
option_index(const struct bf_plugin *pl, const char *key)
{
	size_t k;

	for (k = 0; k < pl->n_options; k++)
		if (strcmp(pl->options[k].name, key) == 0)
			break;
	return k;
}

int
bf_options_resolve(const struct bf_plugin *pl, const struct bf_setting *given,
    size_t n, struct bf_setting *out, char *err, size_t errlen)
{
	if (pl->n_options > BF_OPTIONS_MAX) {
		snprintf(err, errlen, "%zu options, more than the host's %d",
		    pl->n_options, BF_OPTIONS_MAX);
		return -1;
	}
	for (size_t k = 0; k < pl->n_options; k++) {
		out[k].key = pl->options[k].name;
		out[k].value = pl->options[k].def;
	}
	for (size_t i = 0; i < n; i++) {
		size_t k = option_index(pl, given[i].key);
		const struct bf_option *o = &pl->options[k];
		double d;

		if (k == pl->n_options) {
			size_t at = (size_t)snprintf(err, errlen, "unknown "
			    "setting \"%s\" (known:", given[i].key);

			for (k = 0; k < pl->n_options && at < errlen; k++)
				at += (size_t)snprintf(err + at, errlen - at,
				    "%s %s", k ? "," : "",
				    pl->options[k].name);
			if (at < errlen)
				snprintf(err + at, errlen - at, ")");
			return -1;
		}
		if (o->type == BF_OPT_NUMBER && bf_parse_num(given[i].value,
		    o->lo, o->hi, &d) < 0) {
			snprintf(err, errlen, "%s: bad value \"%s\" (%s; a "
			    "number in %.10g..%.10g)", o->name, given[i].value,
			    o->help, o->lo, o->hi);
			return -1;
		}
		out[k].value = given[i].value;
	}
	return 0;
}

void
bf_options_usage(const struct bf_plugin *pl, FILE *f)
{
	fprintf(f, "\nPlugin %s: settings (--set KEY=VALUE, or plugin.KEY = "
	    "VALUE in --config), with their defaults:\n", pl->name);
	for (size_t k = 0; k < pl->n_options; k++) {
		const struct bf_option *o = &pl->options[k];

		fprintf(f, "  %-24s [%s] %s", o->name, *o->def ? o->def :
		    "none", o->help);
		if (o->type == BF_OPT_NUMBER)
			fprintf(f, " (%.10g..%.10g)", o->lo, o->hi);
		fputc('\n', f);
	}
	fprintf(f, "  %-24s [%s] which views of each BGP session reach the "
	    "plugin (the host's)\n", "views", "adj-in-pre,adj-in-post,"
	    "loc-rib");
}

void *
bf_plugin_start(const struct bf_plugin *pl, struct bf_host *h,
    const struct bf_setting *given, size_t n, char *err, size_t errlen)
{
	struct bf_setting all[BF_OPTIONS_MAX];

	if (bf_options_resolve(pl, given, n, all, err, errlen) < 0)
		return NULL;
	return pl->init(h, all, pl->n_options, err, errlen);
}
