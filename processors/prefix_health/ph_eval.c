/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ph_eval.c: a prefix's figures (visibility, origins and MOAS, AS-path
 * lengths, first hops, AS hops from the target), its state (healthy,
 * degraded or unreachable), and the records that report them.  A degraded
 * or unreachable prefix that becomes healthy again is reported once with
 * state "recovered".
 *
 * Evaluation.  on_route and on_session update routes and counters only;
 * the figures and the state of the prefixes they touched (every prefix,
 * after a peer event, since peers_up changed) are evaluated at the next
 * tick.  That bounds the work per record to O(log routes of the prefix)
 * and keeps a RIB dump from emitting a state record per route; a state
 * that lasts less than one tick is seen in churn and flaps, not as a
 * state record.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ph_state.h"
#include "prefix_health.h"

static const char *const state_names[] = {
	[ST_NONE] = NULL,
	[ST_HEALTHY] = "healthy",
	[ST_DEGRADED] = "degraded",
	[ST_UNREACHABLE] = "unreachable",
};

/* Reasons a prefix is degraded, emitted as degraded_reasons. */
enum { R_VISIBILITY = 1, R_FLAPPING = 2, R_PATH_LEN = 4, R_ORIGIN = 8 };

/* A prefix's figures as evaluated now, with the state they make. */
struct ph_fig {
	uint32_t	peers_with_route, peers_up, routes;
	double		vis;
	uint32_t	n_origins;
	uint32_t	origins[MAX_ORIGINS];
	uint32_t	n_unexpected;
	uint32_t	unexpected[MAX_ORIGINS];
	int64_t		min_len, max_len;	/* -1 = none */
	double		median_len;
	uint32_t	first_hops;
	int64_t		target_hops;		/* -1 = none */
	bool		target_suboptimal;
	uint32_t	w1[CH_KINDS], w15[CH_KINDS];
	double		penalty;
	unsigned	reasons;
	enum ph_st	state;
};

/* Ascending; most prefixes have a handful of routes, where qsort is slow. */
static void
sort_u32(uint32_t *v, size_t n)
{
	if (n > 16) {
		qsort(v, n, sizeof(*v), bf_cmp_u32);
		return;
	}
	for (size_t i = 1; i < n; i++) {
		uint32_t x = v[i];
		size_t j = i;

		for (; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

static int
scratch_reserve(struct ph_state *st, size_t n)
{
	uint32_t *s;

	if (n <= st->scratch_cap)
		return 0;
	if ((s = ph_realloc(st, st->scratch,
	    st->scratch_cap * sizeof(*s), n * sizeof(*s))) == NULL)
		return -1;
	st->scratch = s;
	st->scratch_cap = n;
	return 0;
}

/* Whether a peer past its warm-up holds a route of p. */
static bool
held_past_warmup(const struct ph_state *st, const struct ph_prefix *p)
{
	const struct ph_route *routes = pfx_routes(p);

	for (uint32_t i = 0; i < p->n_routes; i++)
		if (routes[i].path != 0 &&
		    !st->peers[bf_src_session(routes[i].src)].warming)
			return true;
	return false;
}

static void
figures(struct ph_state *st, struct ph_prefix *p, struct ph_fig *f)
{
	uint32_t last_session = UINT32_MAX, n = 0;

	memset(f, 0, sizeof(*f));
	f->min_len = f->max_len = f->target_hops = -1;
	f->peers_up = st->peers_up[prefix_class(p)];
	f->routes = p->live;
	/*
	 * No state yet and held only by peers in warm-up (a RIB dump): it
	 * gets none until they finish, when every prefix is evaluated.
	 */
	if (p->state == ST_NONE && p->live > 0 && !held_past_warmup(st, p)) {
		f->state = ST_NONE;
		return;
	}
	if (scratch_reserve(st, 2 * (size_t)p->live + 2) < 0) {
		f->state = (enum ph_st)p->state;
		return;
	}
	uint32_t *lens = st->scratch, *hops = st->scratch + p->live + 1;
	for (uint32_t i = 0; i < p->n_routes; i++) {
		const struct ph_route *rt = &pfx_routes(p)[i];
		const struct ph_path *pa;
		uint32_t j;

		if (rt->path == 0)
			continue;
		pa = st->paths[rt->path];
		/* Sessions, not views: slots of a session are adjacent. */
		if (bf_src_session(rt->src) != last_session &&
		    !st->peers[bf_src_session(rt->src)].warming)
			f->peers_with_route++;
		last_session = bf_src_session(rt->src);
		lens[n] = pa->len;
		hops[n++] = pa->count > 0 ? pa->asn[0] : 0;
		/* A path ending in an AS_SET has no single origin. */
		for (j = 0; pa->has_origin && j < f->n_origins; j++)
			if (f->origins[j] == pa->origin)
				break;
		if (pa->has_origin && j == f->n_origins && j < MAX_ORIGINS)
			f->origins[f->n_origins++] = pa->origin;
		if (pa->target_hops >= 0 && (f->target_hops < 0 ||
		    pa->target_hops < f->target_hops))
			f->target_hops = pa->target_hops;
	}
	if (n > 0) {
		sort_u32(lens, n);
		f->min_len = lens[0];
		f->max_len = lens[n - 1];
		f->median_len = n % 2 ? lens[n / 2] :
		    (lens[n / 2 - 1] + (double)lens[n / 2]) / 2;
		sort_u32(hops, n);
		for (uint32_t i = 0; i < n; i++)
			if (hops[i] != 0 && (i == 0 || hops[i] != hops[i - 1]))
				f->first_hops++;
	}
	sort_u32(f->origins, f->n_origins);
	for (uint32_t i = 0; p->n_expected > 0 && i < f->n_origins; i++) {
		uint32_t j;
		for (j = 0; j < p->n_expected; j++)
			if (pfx_expected(p)[j] == f->origins[i])
				break;
		if (j == p->n_expected)
			f->unexpected[f->n_unexpected++] = f->origins[i];
	}
	f->vis = f->peers_up ? 100.0 * f->peers_with_route / f->peers_up : 0;
	if (f->vis > 100)
		f->vis = 100;
	/* Best (lowest) figures seen over the prefix's life. */
	if (f->min_len >= 0 && f->min_len < p->best_min_len)
		p->best_min_len = (uint8_t)(f->min_len < UNSET8 ? f->min_len :
		    UNSET8 - 1);
	if (f->target_hops >= 0 && f->target_hops < p->best_target_hops)
		p->best_target_hops = (uint8_t)(f->target_hops < UNSET8 ?
		    f->target_hops : UNSET8 - 1);
	f->target_suboptimal = f->target_hops >= 0 &&
	    (f->target_hops > p->best_target_hops ||
	    (st->cfg.target_hops_max > 0 &&
	    f->target_hops > st->cfg.target_hops_max));
	/* Windows: advance to now, then sum. */
	if (ph_act_roll(st, p))
		p->dirty = 1;
	for (int k = 0; p->act != NULL && k < CH_KINDS; k++) {
		for (int b = 0; b < W1_BUCKETS; b++)
			f->w1[k] += p->act->w1[b][k];
		for (int b = 0; b < W15_BUCKETS; b++)
			f->w15[k] += p->act->w15[b][k];
	}
	ph_act_decay(st, p);
	f->penalty = ph_act_penalty(p);
	ph_act_release_if_quiet(st, p);
	/* State. */
	if (f->peers_with_route == 0) {
		/*
		 * Held only by peers in warm-up: nothing known yet.  Routes
		 * gone before it ever had a state (a view the host stopped
		 * delivering, a session down during its dump) make a prefix
		 * unreachable only when it is one to watch, or when a route
		 * of it was withdrawn: an instance that rebuilt its partition
		 * has its peers in warm-up again, and the state an earlier
		 * instance published must still end.
		 */
		f->state = p->live > 0 || (p->state == ST_NONE &&
		    !p->monitored && !p->withdrawn) ? (enum ph_st)p->state :
		    ST_UNREACHABLE;
		return;
	}
	if (f->vis < st->cfg.vis_pct)
		f->reasons |= R_VISIBILITY;
	if (p->flapping)
		f->reasons |= R_FLAPPING;
	if (st->cfg.path_len_jump > 0 && p->best_min_len != UNSET8 &&
	    f->min_len >= (int64_t)p->best_min_len + st->cfg.path_len_jump)
		f->reasons |= R_PATH_LEN;
	if (f->n_unexpected > 0)
		f->reasons |= R_ORIGIN;
	f->state = f->reasons ? ST_DEGRADED : ST_HEALTHY;
}

static void
emit_nullable(struct bf_host *h, int field, bool has, int64_t v)
{
	if (has)
		bf_emit_long(h, field, v);
	else
		bf_emit_null(h, field);
}

static void
emit(struct ph_state *st, struct ph_prefix *p, const struct ph_fig *f,
    const char *kind, const char *state, const char *prev)
{
	struct bf_host *h = st->host;
	const struct ph_out *o = &st->out;
	int64_t v[MAX_ORIGINS];
	const char *reasons[4];
	size_t nr = 0;

	bf_emit_begin(h, p->key, p->partition);
	bf_emit_str(h, o->prefix, p->key);
	bf_emit_str(h, o->kind, kind);
	bf_emit_long(h, o->time_us, st->clock);
	bf_emit_long(h, o->afi, p->family);
	bf_emit_str(h, o->state, state);
	if (prev)
		bf_emit_str(h, o->previous_state, prev);
	else
		bf_emit_null(h, o->previous_state);
	if (f->reasons & R_VISIBILITY)
		reasons[nr++] = "visibility";
	if (f->reasons & R_FLAPPING)
		reasons[nr++] = "flapping";
	if (f->reasons & R_PATH_LEN)
		reasons[nr++] = "path_length";
	if (f->reasons & R_ORIGIN)
		reasons[nr++] = "unexpected_origin";
	bf_emit_str_array(h, o->degraded_reasons, reasons, nr);
	bf_emit_long(h, o->peers_with_route, f->peers_with_route);
	bf_emit_long(h, o->peers_up, f->peers_up);
	bf_emit_long(h, o->routes, f->routes);
	bf_emit_double(h, o->visibility_pct, f->vis);
	for (uint32_t i = 0; i < f->n_origins; i++)
		v[i] = f->origins[i];
	bf_emit_long_array(h, o->origins, v, f->n_origins);
	bf_emit_bool(h, o->moas, f->n_origins > 1);
	for (uint32_t i = 0; i < f->n_unexpected; i++)
		v[i] = f->unexpected[i];
	bf_emit_long_array(h, o->unexpected_origins, v, f->n_unexpected);
	emit_nullable(h, o->min_path_len, f->min_len >= 0, f->min_len);
	emit_nullable(h, o->max_path_len, f->max_len >= 0, f->max_len);
	if (f->min_len >= 0)
		bf_emit_double(h, o->median_path_len, f->median_len);
	else
		bf_emit_null(h, o->median_path_len);
	bf_emit_long(h, o->first_hop_ases, f->first_hops);
	emit_nullable(h, o->target_hops, f->target_hops >= 0, f->target_hops);
	emit_nullable(h, o->target_hops_best, p->best_target_hops != UNSET8,
	    p->best_target_hops);
	bf_emit_bool(h, o->target_suboptimal, f->target_suboptimal);
	bf_emit_long(h, o->announcements_1m, f->w1[CH_ANN]);
	bf_emit_long(h, o->withdrawals_1m, f->w1[CH_WD]);
	bf_emit_long(h, o->attr_changes_1m, f->w1[CH_ATTR]);
	bf_emit_long(h, o->updates_1m,
	    f->w1[CH_ANN] + f->w1[CH_WD] + f->w1[CH_ATTR]);
	bf_emit_long(h, o->announcements_15m, f->w15[CH_ANN]);
	bf_emit_long(h, o->withdrawals_15m, f->w15[CH_WD]);
	bf_emit_long(h, o->attr_changes_15m, f->w15[CH_ATTR]);
	bf_emit_long(h, o->updates_15m,
	    f->w15[CH_ANN] + f->w15[CH_WD] + f->w15[CH_ATTR]);
	bf_emit_double(h, o->flap_penalty, f->penalty);
	bf_emit_bool(h, o->flapping, p->flapping != 0);
	emit_nullable(h, o->last_change, p->last_change != 0, p->last_change);
	emit_nullable(h, o->propagation_us, p->last_change != 0,
	    p->wave_span);
	emit_nullable(h, o->delivery_delay_us, p->last_change != 0,
	    p->delay_last);
	emit_nullable(h, o->delivery_delay_max_us, p->last_change != 0,
	    p->delay_max);
	bf_emit_end(h);
}

/* Evaluate p; on a state change emit a "change" record. */
static void
evaluate(struct ph_state *st, struct ph_prefix *p, bool *emitted)
{
	struct ph_fig f;
	enum ph_st old = p->state;

	figures(st, p, &f);
	p->needs_eval = 0;
	*emitted = false;
	if (f.state == old)
		return;
	st->n_state[old]--;
	st->n_state[f.state]++;
	p->state = (uint8_t)f.state;
	if (p->last_change != 0)
		bf_metric_observe(st->host, st->m.propagation, NULL,
		    p->wave_span / 1e6);
	emit(st, p, &f, "change",
	    f.state == ST_HEALTHY && (old == ST_DEGRADED ||
	    old == ST_UNREACHABLE) ? "recovered" : state_names[f.state],
	    state_names[old]);
	*emitted = true;
}

void
ph_eval_tick(struct ph_state *st)
{
	bool summary, emitted, vis[N_CLASSES];

	summary = st->clock - st->last_summary >= st->cfg.summary_us;
	/* peers_up moved: every prefix of that class has new figures. */
	for (int c = 0; c < N_CLASSES; c++) {
		vis[c] = st->peers_up[c] != st->peers_up_ticked[c];
		st->peers_up_ticked[c] = st->peers_up[c];
	}
	for (size_t i = 0; i < st->pfx_cap; i++) {
		struct ph_prefix *p = st->pfx[i];

		if (p == NULL)
			continue;
		bool decaying = p->act != NULL && p->act->n_damp > 0;

		if (decaying || vis[prefix_class(p)] || (summary &&
		    ph_act_roll(st, p)))
			p->dirty = 1;
		if (!st->eval_all && !p->needs_eval && !decaying &&
		    !(summary && p->dirty))
			continue;
		evaluate(st, p, &emitted);
		/* No summary before a first state (warm-up). */
		if (summary && p->dirty && !emitted && p->state != ST_NONE) {
			struct ph_fig f;
			figures(st, p, &f);
			emit(st, p, &f, "summary", state_names[p->state],
			    NULL);
		}
		if (summary || emitted)
			p->dirty = 0;
	}
	st->eval_all = false;
	if (summary)
		st->last_summary = st->clock;
	for (int s = ST_HEALTHY; s <= ST_UNREACHABLE; s++) {
		char labels[32];

		snprintf(labels, sizeof(labels), "state=\"%s\"",
		    state_names[s]);
		bf_metric_set(st->host, st->m.prefixes, labels, st->n_state[s]);
	}
	bf_metric_set(st->host, st->m.warming, NULL, st->n_warming);
	bf_metric_set(st->host, st->m.memory, NULL, (double)ph_mem_bytes(st));
	bf_metric_set(st->host, st->m.routes, NULL, (double)st->routes_live);
}
