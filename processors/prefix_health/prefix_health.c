/* SPDX-License-Identifier: Apache-2.0 */
/*
 * prefix_health.c: the prefix-health processor plugin: its options,
 * output fields and metrics, init and fini, and the callbacks the host
 * calls, each handed to the file that owns the data (ph_state.h).
 *
 * For every prefix seen (or only the configured `prefixes`), it keeps the
 * current route of every (session, view[, path id]) the host delivers and
 * derives visibility (the share of BGP sessions with a route: the host
 * delivers one view per session by default, and sessions are counted, not
 * views), origins/MOAS, AS-path lengths, first hops, AS hops from a target
 * ASN (an AS_SET is one hop, RFC 4271), churn in 1-minute and 15-minute
 * sliding windows, RFC 2439 flap damping per route, propagation and
 * delivery timing, and a state: healthy, degraded or unreachable.  A
 * degraded or unreachable prefix that becomes healthy again is reported
 * once with state "recovered".
 *
 * Clock.  The plugin's clock is the largest time it has seen: each route's
 * collector_time_us (the collector's receive time, monotonic across
 * routers, unlike per-peer BMP timestamps, which come from each router's
 * own clock) and each tick's now_us.  Windows, flap decay, last_change and
 * the summary interval all run on it.  BMP per-peer timestamps are used
 * only for the timing figures.
 *
 * Partitions.  Each prefix remembers its bmp.route partition, so the host
 * can have the state of a partition dropped on a rebalance, and replayed
 * outputs suppressed.
 */
#ifndef _GNU_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/addr.h"
#include "ph_state.h"
#include "prefix_health.h"

/* The clock moves to t when t is later (see "Clock"). */
static void
clock_to(struct ph_state *st, int64_t t)
{
	if (t > st->clock)
		st->clock = t;
}

/* ---- settings, init, fini ------------------------------------------------ */

/* "192.0.2.0/24@65001|65002": canonical prefix and expected origins. */
static int
add_monitored(struct ph_state *st, char *spec, char *err, size_t errlen)
{
	char *at = strchr(spec, '@'), txt[BF_PREFIX_STRLEN];
	struct bf_prefix bp;
	struct ph_prefix *p;
	const char *why;

	if (at)
		*at++ = '\0';
	if (bf_prefix_parse(spec, &bp, &why) < 0) {
		snprintf(err, errlen, "prefixes: \"%s\": %s", spec, why);
		return -1;
	}
	/* The text the collector writes, the key routes are looked up by. */
	bf_prefix_fmt(&bp, txt, sizeof(txt));
	if ((p = ph_table_prefix(st, txt, bp.addr.family, true)) == NULL)
		goto nomem;
	p->monitored = 1;
	p->needs_eval = 1;	/* unreachable until a route comes */
	while (at && *at) {
		char *bar = strchr(at, '|');
		double asn;
		if (bar)
			*bar++ = '\0';
		if (bf_parse_num(at, 1, UINT32_MAX, &asn) < 0 ||
		    p->n_expected == MAX_EXPECTED)
			goto bad;
		if ((p = ph_table_resize(st, p, p->n_expected + 1u,
		    p->cap)) == NULL)
			goto nomem;
		pfx_expected(p)[p->n_expected - 1] = (uint32_t)asn;
		at = bar;
	}
	return 0;
bad:
	snprintf(err, errlen, "prefixes: bad entry \"%s\" (want "
	    "PREFIX/LEN[@ASN|ASN...], at most %d origins)", spec,
	    MAX_EXPECTED);
	return -1;
nomem:
	snprintf(err, errlen, "prefixes: out of memory");
	return -1;
}

static void fini(void *state);

#define OUT(f)	{ #f, offsetof(struct ph_out, f) }
static const struct bf_field_decl out_fields[] = {
	OUT(prefix), OUT(kind), OUT(time_us), OUT(afi), OUT(state),
	OUT(previous_state), OUT(degraded_reasons), OUT(peers_with_route),
	OUT(peers_up), OUT(routes), OUT(visibility_pct), OUT(origins),
	OUT(moas), OUT(unexpected_origins), OUT(min_path_len),
	OUT(max_path_len), OUT(median_path_len), OUT(first_hop_ases),
	OUT(target_hops), OUT(target_hops_best), OUT(target_suboptimal),
	OUT(announcements_1m), OUT(withdrawals_1m), OUT(attr_changes_1m),
	OUT(updates_1m), OUT(announcements_15m), OUT(withdrawals_15m),
	OUT(attr_changes_15m), OUT(updates_15m), OUT(flap_penalty),
	OUT(flapping), OUT(last_change), OUT(propagation_us),
	OUT(delivery_delay_us), OUT(delivery_delay_max_us),
};
#undef OUT
/* Every id of struct ph_out is in the table: none is left 0, a valid id. */
_Static_assert(sizeof(out_fields) / sizeof(out_fields[0]) ==
    sizeof(struct ph_out) / sizeof(int), "a field of struct ph_out is not "
    "in out_fields");

static void
declare_metrics(struct ph_state *st)
{
	/* Seconds: BMP delivery is ms..s; propagation s..minutes. */
	static const double delay_b[] = { 0.001, 0.005, 0.01, 0.025, 0.05,
	    0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30 };
	static const double prop_b[] = { 0.01, 0.1, 0.5, 1, 2, 5, 10, 30, 60,
	    120, 300 };

	st->m.prefixes = bf_metric_declare(st->host, "prefixes",
	    BF_METRIC_GAUGE, "Prefixes by state.", NULL, 0);
	st->m.delivery = bf_metric_declare(st->host, "delivery_delay_seconds",
	    BF_METRIC_HISTOGRAM, "Collector receive time minus the BMP "
	    "per-peer timestamp, per route.", delay_b,
	    sizeof(delay_b) / sizeof(delay_b[0]));
	st->m.propagation = bf_metric_declare(st->host, "propagation_seconds",
	    BF_METRIC_HISTOGRAM, "First to last sighting (BMP time) across "
	    "routers and peers of the change behind each state change.",
	    prop_b, sizeof(prop_b) / sizeof(prop_b[0]));
	st->m.warming = bf_metric_declare(st->host, "peers_warming",
	    BF_METRIC_GAUGE, "BGP sessions in their initial RIB dump (from "
	    "their first route until quiet), not counted in visibility yet.",
	    NULL, 0);
	/* Its own account; the process's RSS is what to size by (README). */
	st->m.memory = bf_metric_declare(st->host, "memory_bytes",
	    BF_METRIC_GAUGE, "Bytes the plugin's state holds by its own count "
	    "(tables, routes, paths, prefixes; no allocator overhead).",
	    NULL, 0);
	st->m.routes = bf_metric_declare(st->host, "routes",
	    BF_METRIC_GAUGE, "Routes held: (session, view, prefix, path id) "
	    "announced.", NULL, 0);
}

/* Options, in the order of options[]; durations in seconds. */
enum {
	O_TARGET_ASN, O_VIS_PCT, O_FLAP_PENALTY, O_HALF_LIFE, O_SUPPRESS,
	O_REUSE, O_FLAP_MAX, O_PATH_LEN_JUMP, O_TARGET_HOPS_MAX, O_SUMMARY,
	O_WAVE, O_WARMUP_QUIET, O_WARMUP_MAX, O_WARMUP_EOR, O_PREFIXES, O_N
};

static const struct bf_option options[O_N] = {
	[O_TARGET_ASN] = { "target_asn", BF_OPT_NUMBER, "0", 0, UINT32_MAX,
	    "ASN whose distance to the origin is reported as target_hops "
	    "(0 = none)" },
	[O_VIS_PCT] = { "degraded_visibility_pct", BF_OPT_NUMBER, "80", 0,
	    100, "degraded below this visibility, % of sessions" },
	[O_FLAP_PENALTY] = { "flap_penalty", BF_OPT_NUMBER, "1000", 1, 1e9,
	    "penalty added to a route per flap" },
	[O_HALF_LIFE] = { "flap_half_life_s", BF_OPT_NUMBER, "900", 1, 1e7,
	    "penalty half-life" },
	[O_SUPPRESS] = { "flap_suppress", BF_OPT_NUMBER, "2000", 0, 1e9,
	    "a route is suppressed above this; a prefix with a suppressed "
	    "route is flapping (degraded)" },
	[O_REUSE] = { "flap_reuse", BF_OPT_NUMBER, "750", 0, 1e9,
	    "suppression ends below this" },
	[O_FLAP_MAX] = { "flap_max_penalty", BF_OPT_NUMBER, "12000", 1, 1e9,
	    "penalty ceiling" },
	[O_PATH_LEN_JUMP] = { "path_len_jump", BF_OPT_NUMBER, "3", 0, 255,
	    "degraded when the shortest path is this much longer than the "
	    "shortest seen (0 = off)" },
	[O_TARGET_HOPS_MAX] = { "target_hops_max", BF_OPT_NUMBER, "0", 0, 255,
	    "target_suboptimal above this (0 = only versus the best seen)" },
	[O_SUMMARY] = { "summary_interval_s", BF_OPT_NUMBER, "60", 1, 1e7,
	    "summary records period" },
	[O_WAVE] = { "propagation_window_s", BF_OPT_NUMBER, "60", 1, 1e7,
	    "changes closer than this (BMP time) are one wave for "
	    "propagation_us" },
	[O_WARMUP_QUIET] = { "warmup_quiet_s", BF_OPT_NUMBER, "3", 0, 1e5,
	    "a session's RIB dump is over after this long without a route "
	    "from it (0 = no warm-up)" },
	[O_WARMUP_MAX] = { "warmup_max_s", BF_OPT_NUMBER, "120", 0, 1e6,
	    "or this long after its first route" },
	[O_WARMUP_EOR] = { "warmup_eor_quiet_s", BF_OPT_NUMBER, "1", 0, 1e5,
	    "or this long without a route after its End-of-RIB" },
	[O_PREFIXES] = { "prefixes", BF_OPT_TEXT, "", 0, 0,
	    "only these prefixes, with their expected origins: "
	    "PREFIX[@ASN|ASN...],... (none: every prefix)" },
};

static void *
init(struct bf_host *h, const struct bf_setting *settings, size_t n,
    char *err, size_t errlen)
{
	const char *prefixes = settings[O_PREFIXES].value;
	double v[O_N];
	struct ph_state *st;

	if (n != O_N) {
		snprintf(err, errlen, "%zu settings for %d options", n, O_N);
		return NULL;
	}
	for (size_t t = 0; t < O_PREFIXES; t++)
		v[t] = strtod(settings[t].value, NULL);
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	st->mem = sizeof(*st);
	st->host = h;
	st->cfg.target_asn = (uint32_t)v[O_TARGET_ASN];
	st->cfg.vis_pct = v[O_VIS_PCT];
	st->cfg.flap_penalty = v[O_FLAP_PENALTY];
	st->cfg.half_life_us = (int64_t)(v[O_HALF_LIFE] * US_PER_S);
	st->cfg.flap_suppress = v[O_SUPPRESS];
	st->cfg.flap_reuse = v[O_REUSE];
	st->cfg.flap_max = v[O_FLAP_MAX];
	st->cfg.path_len_jump = (uint32_t)v[O_PATH_LEN_JUMP];
	st->cfg.target_hops_max = (uint32_t)v[O_TARGET_HOPS_MAX];
	st->cfg.summary_us = (int64_t)(v[O_SUMMARY] * US_PER_S);
	st->cfg.wave_us = (int64_t)(v[O_WAVE] * US_PER_S);
	st->cfg.warmup_quiet_us = (int64_t)(v[O_WARMUP_QUIET] * US_PER_S);
	st->cfg.warmup_max_us = (int64_t)(v[O_WARMUP_MAX] * US_PER_S);
	st->cfg.warmup_eor_quiet_us = (int64_t)(v[O_WARMUP_EOR] * US_PER_S);
	if (st->cfg.flap_reuse > st->cfg.flap_suppress) {
		snprintf(err, errlen, "flap_reuse %g is above flap_suppress "
		    "%g", st->cfg.flap_reuse, st->cfg.flap_suppress);
		free(st);
		return NULL;
	}
	if (prefixes != NULL && *prefixes != '\0') {
		char *copy = strdup(prefixes), *save = NULL, *tok;
		if (copy == NULL) {
			snprintf(err, errlen, "out of memory");
			free(st);
			return NULL;
		}
		for (tok = strtok_r(copy, ", \t", &save); tok != NULL;
		    tok = strtok_r(NULL, ", \t", &save)) {
			if (add_monitored(st, tok, err, errlen) < 0) {
				free(copy);
				fini(st);
				return NULL;
			}
		}
		free(copy);
		st->monitored_only = true;
	}
	if (bf_declare_fields(h, &st->out, out_fields, sizeof(out_fields) /
	    sizeof(out_fields[0]), err, errlen) < 0) {
		fini(st);
		return NULL;
	}
	declare_metrics(st);
	bf_plugin_log(h, 2, "prefix_health: %s, target AS%" PRIu32
	    ", degraded below %g%% visibility or above flap penalty %g",
	    st->monitored_only ? "monitored prefixes only" : "every prefix",
	    st->cfg.target_asn, st->cfg.vis_pct, st->cfg.flap_suppress);
	return st;
}

static void
fini(void *state)
{
	struct ph_state *st = state;

	if (st == NULL)
		return;
	/* Blocks above SLAB_MAX_BLOCK are malloc's: each is freed. */
	ph_table_free(st);
	ph_free(st, st->peers, st->n_peers * sizeof(*st->peers));
	ph_path_free_all(st);
	ph_free(st, st->scratch, st->scratch_cap * sizeof(*st->scratch));
	slab_pool_free(&st->slabs);
	free(st);
}

/* ---- callbacks ----------------------------------------------------------- */

static void
on_session(void *state, const struct bf_session_event *e)
{
	struct ph_state *st = state;

	if (ph_peer_get(st, e->session->id) == NULL)
		return;
	clock_to(st, e->collector_time_us);
	ph_peer_event(st, e);
}

static void
on_route(void *state, const struct bf_route *r)
{
	struct ph_state *st = state;
	struct ph_peer *pe;

	if (r->prefix == NULL || (r->family != 4 && r->family != 6))
		return;
	if ((pe = ph_peer_get(st, r->session->id)) == NULL)
		return;
	clock_to(st, r->collector_time_us);
	ph_peer_route(st, pe, r);
	ph_table_route(st, pe, r);
}

static void
on_tick(void *state, int64_t now_us)
{
	struct ph_state *st = state;

	clock_to(st, now_us);
	st->wall = now_us;
	ph_peer_warm(st);
	/* Routes of peers in warm-up get their outputs when it ends. */
	if (st->n_warming > 0)
		bf_outputs_deferred(st->host);
	ph_eval_tick(st);
}

static void
drop_partition(void *state, int32_t partition)
{
	ph_table_drop_partition(state, partition);
}

/* ---- measurement --------------------------------------------------------- */

size_t
ph_mem_bytes(const void *state)
{
	const struct ph_state *st = state;

	/* Scratch is per-evaluation working space, not state per route. */
	return st->mem - st->scratch_cap * sizeof(uint32_t) +
	    bf_hix_bytes(&st->path_ix);
}

size_t
ph_routes_held(const void *state)
{
	return ((const struct ph_state *)state)->routes_live;
}

double
ph_bytes_per_route(const void *state)
{
	size_t n = ph_routes_held(state);

	return n ? (double)ph_mem_bytes(state) / (double)n : 0;
}

size_t
ph_route_slot_bytes(void)
{
	return sizeof(struct ph_route);
}

BMPFLOW_PLUGIN_DEFINE(prefix_health,
	.name = "prefix_health",
	.output_schema = "prefix_health",
	.options = options,
	.n_options = O_N,
	.init = init,
	.on_route = on_route,
	.on_session = on_session,
	.on_tick = on_tick,
	.drop_partition = drop_partition,
	.fini = fini,
)
