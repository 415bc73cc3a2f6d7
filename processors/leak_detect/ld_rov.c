/*
 * ld_rov.c: route origin validation of the routes held.
 *
 * While VRPs are in use (roas_file or rtr), every route judged for RPKI is
 * held here with its RFC 6811 state, offending or not: a new VRP can make
 * a clean route invalid, and only a table of the routes tells which ones
 * it covers.  When VRPs change (an RTR update, a roas_file reload) the
 * next on_tick re-validates the routes under the changed prefixes, and a
 * route whose verdict changes joins or leaves its rpki_invalid alert
 * through the same path as a route record (ld_route.c).  The states are
 * published as rpki_routes{state} and as rpki_state of every alert.
 *
 * Cost: one struct rov_route (40 bytes) and a hash index slot per route
 * held; a re-validation walks every route held once and looks its
 * prefix up among the changed ones (ptab).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ld_state.h"

static const char *const state_label[3] = {
	[RPKI_NOT_FOUND] = "state=\"not_found\"",
	[RPKI_VALID] = "state=\"valid\"",
	[RPKI_INVALID] = "state=\"invalid\"",
};

bool
ld_rov_on(const struct ld_state *st)
{
	return st->files[F_ROAS].path != NULL || st->rtr != NULL;
}

bool
ld_rov_applies(const struct ld_state *st, const struct mon_ent *mon)
{
	return ld_rov_on(st) && (mon != NULL || !st->rpki_monitored_only);
}

enum rpki_state
ld_rov_validate(const struct ld_state *st, const struct ld_pfx *q,
    uint32_t origin, bool has_origin)
{
	const struct rpki *tabs[2] = { &st->rpki, &st->rtr_rpki };

	return rpki_validate_any(tabs, 2, q, origin, has_origin);
}

static uint32_t
rov_hash(uint32_t src, uint32_t path_id, const struct ld_pfx *q)
{
	return ld_pfx_hash(q, (uint64_t)src << 32 | path_id);
}

static uint32_t
rov_find(const struct ld_state *st, uint32_t src, uint32_t path_id,
    const struct ld_pfx *q, uint32_t h)
{
	for (uint32_t id = bf_hix_first(&st->rov_ix, h); id != 0;
	    id = bf_hix_next(&st->rov_ix, id)) {
		const struct rov_route *o = &st->rov[id];
		if (o->src == src && o->path_id == path_id &&
		    o->hi == q->hi && o->lo == q->lo &&
		    o->family == q->family && o->len == q->len)
			return id;
	}
	return 0;
}

/* A new route id, index hash h; 0 when out of memory. */
static uint32_t
rov_add(struct ld_state *st, uint32_t h)
{
	uint32_t id;

	if (st->n_rov_free > 0) {
		id = st->rov_free;
		st->rov_free = st->rov[id].next_free;
		st->n_rov_free--;
	} else {
		if (st->n_rov + 1 >= st->rov_cap) {
			uint32_t nc = st->rov_cap ? st->rov_cap * 2 : 1024;
			struct rov_route *n = realloc(st->rov, nc * sizeof(*n));
			if (n == NULL)
				return 0;
			st->rov = n;
			st->rov_cap = nc;
		}
		id = st->n_rov + 1;	/* ids 1..n_rov all used */
	}
	if (bf_hix_insert(&st->rov_ix, id, h) < 0) {
		if (id != st->n_rov + 1) {
			st->rov[id].next_free = st->rov_free;
			st->rov_free = id;
			st->n_rov_free++;
		}
		return 0;
	}
	st->n_rov++;
	return id;
}

static void
rov_del(struct ld_state *st, uint32_t id)
{
	struct rov_route *o = &st->rov[id];

	bf_hix_remove(&st->rov_ix, id);
	st->peers[bf_src_session(o->src)].n_rov--;
	st->rov_by_state[o->state]--;
	o->src = 0;
	o->next_free = st->rov_free;
	st->rov_free = id;
	st->n_rov_free++;
	st->n_rov--;
}

void
ld_rov_route(struct ld_state *st, const struct ld_judged *j, bool withdraw)
{
	uint32_t h, id;
	struct rov_route *o;

	if (!ld_rov_applies(st, j->mon))
		return;
	h = rov_hash(j->src, j->path_id, &j->q);
	id = j->pe->n_rov ? rov_find(st, j->src, j->path_id, &j->q, h) : 0;
	if (withdraw) {
		if (id != 0)
			rov_del(st, id);
		return;
	}
	if (id == 0) {
		if ((id = rov_add(st, h)) == 0) {
			bf_plugin_log(st->host, 0, "leak_detect: out of memory "
			    "holding a route for origin validation");
			return;
		}
		o = &st->rov[id];
		o->hi = j->q.hi;
		o->lo = j->q.lo;
		o->family = j->q.family;
		o->len = j->q.len;
		o->src = j->src;
		o->path_id = j->path_id;
		st->peers[bf_src_session(j->src)].n_rov++;
	} else {
		o = &st->rov[id];
		st->rov_by_state[o->state]--;
	}
	o->origin = j->origin;
	o->has_origin = j->has_origin;
	o->partition = j->partition;
	o->state = j->rpki;
	st->rov_by_state[o->state]++;
}

void
ld_rov_drop_peer(struct ld_state *st, uint32_t pid, struct ld_scope sc)
{
	uint32_t top = st->n_rov + st->n_rov_free;

	for (uint32_t id = 1; id <= top && st->peers[pid].n_rov > 0; id++) {
		const struct rov_route *o = &st->rov[id];
		if (o->src != 0 && bf_src_of(o->src, pid, sc.view) &&
		    ld_in_scope(sc, o->partition, o->family))
			rov_del(st, id);
	}
}

void
ld_rov_drop_partition(struct ld_state *st, int32_t partition)
{
	uint32_t top = st->n_rov + st->n_rov_free;

	for (uint32_t id = 1; id <= top; id++)
		if (st->rov[id].src != 0 && st->rov[id].partition == partition)
			rov_del(st, id);
}

/* Route id again under the VRPs in use; its alert follows its verdict. */
static void
revalidate_one(struct ld_state *st, uint32_t id, int64_t trig_us)
{
	struct rov_route *o = &st->rov[id];
	struct ld_judged j;
	uint8_t was = o->state;

	memset(&j, 0, sizeof(j));
	j.q = (struct ld_pfx){ .hi = o->hi, .lo = o->lo, .family = o->family,
	    .len = o->len };
	j.has_origin = o->has_origin;
	j.origin = o->origin;
	o->state = (uint8_t)ld_rov_validate(st, &j.q, j.origin, j.has_origin);
	if (o->state == was)
		return;
	st->rov_by_state[was]--;
	st->rov_by_state[o->state]++;
	if ((was == RPKI_INVALID) == (o->state == RPKI_INVALID))
		return;
	j.src = o->src;
	j.path_id = o->path_id;
	j.pe = &st->peers[bf_src_session(o->src)];
	j.partition = o->partition;
	j.time_us = trig_us;
	j.mon = st->mon.n > 0 ? monitor_match(&st->mon, &j.q) : NULL;
	j.rpki = o->state;
	ld_route_rejudge_rpki(st, &j, o->state == RPKI_INVALID);
}

void
ld_rov_revalidate(struct ld_state *st, const struct ld_pfx *changed, size_t n,
    int64_t trig_us)
{
	uint32_t top = st->n_rov + st->n_rov_free, done = 0;
	struct ptab_item *items = NULL;
	struct ptab cov = { 0 };
	bool all = st->rov_all;

	st->rov_all = false;
	if (!all && n == 0)
		return;
	if (!all) {
		/* out of memory: every route, slower */
		if ((items = malloc(n * sizeof(*items))) == NULL)
			all = true;
		else {
			for (size_t i = 0; i < n; i++)
				items[i] = (struct ptab_item){ changed[i], 0 };
			all = ptab_build(&cov, items, n) < 0;
		}
	}
	for (uint32_t id = 1; id <= top; id++) {
		const struct rov_route *o = &st->rov[id];
		const struct ptab_ent *hit;
		struct ld_pfx q;

		if (o->src == 0)
			continue;
		q = (struct ld_pfx){ .hi = o->hi, .lo = o->lo,
		    .family = o->family, .len = o->len };
		if (all || ptab_cover(&cov, &q, &hit, 1) > 0) {
			revalidate_one(st, id, trig_us);
			done++;
		}
	}
	ptab_free(&cov);
	free(items);
	bf_plugin_log(st->host, done ? 2 : 3, "leak_detect: VRPs changed "
	    "(%s): %u of %u routes held re-validated", all ? "all" :
	    "some prefixes", done, st->n_rov);
}

void
ld_rov_metric(struct ld_state *st)
{
	if (!ld_rov_on(st))
		return;
	for (int s = 0; s < 3; s++)
		bf_metric_set(st->host, st->m_rpki_routes, state_label[s],
		    st->rov_by_state[s]);
}

void
ld_rov_free_all(struct ld_state *st)
{
	free(st->rov);
	bf_hix_free(&st->rov_ix);
}

size_t
ld_rov_bytes(const struct ld_state *st)
{
	return st->rov_cap * sizeof(struct rov_route) +
	    bf_hix_bytes(&st->rov_ix);
}
