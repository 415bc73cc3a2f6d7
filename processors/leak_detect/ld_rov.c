/* SPDX-License-Identifier: Apache-2.0 */
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

static void
rov_del(struct ld_state *st, uint32_t id)
{
	struct rov_route *o = ld_held(st, id);

	st->peers[bf_src_session(o->k.src)].n_rov--;
	st->rov_by_state[o->state]--;
	ld_rtab_del(&st->held, id);
}

void
ld_rov_route(struct ld_state *st, const struct ld_judged *j, bool withdraw)
{
	uint32_t h, id;
	struct rov_route *o;

	if (!ld_rov_on(st))
		return;
	h = ld_rkey_hash(j->src, j->path_id, &j->q);
	id = j->pe->n_rov ? ld_rtab_find(&st->held, j->src, j->path_id, &j->q,
	    h) : 0;
	/* Not judged now (rpki_monitored_only, a reloaded prefixes_file). */
	if (withdraw || !ld_rov_applies(st, j->mon)) {
		if (id != 0)
			rov_del(st, id);
		return;
	}
	if (id == 0) {
		if ((id = ld_rtab_add(&st->held, j->src, j->path_id, &j->q,
		    j->partition, h)) == 0) {
			bf_plugin_log(st->host, 0, "leak_detect: out of memory "
			    "holding a route for origin validation");
			return;
		}
		o = ld_held(st, id);
		st->peers[bf_src_session(j->src)].n_rov++;
	} else {
		o = ld_held(st, id);
		o->k.partition = j->partition;
		st->rov_by_state[o->state]--;
	}
	o->origin = j->origin;
	o->has_origin = j->has_origin;
	o->state = j->rpki;
	st->rov_by_state[o->state]++;
}

void
ld_rov_drop_peer(struct ld_state *st, uint32_t pid, struct ld_scope sc)
{
	uint32_t top = ld_rtab_top(&st->held);

	for (uint32_t id = 1; id <= top && st->peers[pid].n_rov > 0; id++) {
		const struct rov_route *o = ld_held(st, id);
		if (o->k.src != 0 && bf_src_of(o->k.src, pid, sc.view) &&
		    ld_in_scope(sc, o->k.partition, o->k.family))
			rov_del(st, id);
	}
}

void
ld_rov_drop_partition(struct ld_state *st, int32_t partition)
{
	uint32_t top = ld_rtab_top(&st->held);

	for (uint32_t id = 1; id <= top; id++)
		if (ld_held(st, id)->k.src != 0 &&
		    ld_held(st, id)->k.partition == partition)
			rov_del(st, id);
}

/* Route id again under the VRPs in use; its alert follows its verdict. */
static void
revalidate_one(struct ld_state *st, uint32_t id, int64_t trig_us)
{
	struct rov_route *o = ld_held(st, id);
	struct ld_judged j;
	uint8_t was = o->state;

	memset(&j, 0, sizeof(j));
	j.q = ld_rkey_pfx(&o->k);
	j.has_origin = o->has_origin;
	j.origin = o->origin;
	o->state = (uint8_t)ld_rov_validate(st, &j.q, j.origin, j.has_origin);
	if (o->state == was)
		return;
	st->rov_by_state[was]--;
	st->rov_by_state[o->state]++;
	if ((was == RPKI_INVALID) == (o->state == RPKI_INVALID))
		return;
	j.src = o->k.src;
	j.path_id = o->k.path_id;
	j.pe = &st->peers[bf_src_session(o->k.src)];
	j.partition = o->k.partition;
	j.time_us = trig_us;
	j.mon = st->mon.n > 0 ? monitor_match(&st->mon, &j.q) : NULL;
	j.rpki = o->state;
	ld_route_rejudge_rpki(st, &j, o->state == RPKI_INVALID);
}

void
ld_rov_revalidate(struct ld_state *st, const struct ld_pfx *changed, size_t n,
    int64_t trig_us)
{
	uint32_t top = ld_rtab_top(&st->held), done = 0;
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
		const struct ptab_ent *hit;
		struct ld_pfx q;

		if (ld_held(st, id)->k.src == 0)
			continue;
		q = ld_rkey_pfx(&ld_held(st, id)->k);
		if (all || ptab_cover(&cov, &q, &hit, 1) > 0) {
			revalidate_one(st, id, trig_us);
			done++;
		}
	}
	ptab_free(&cov);
	free(items);
	bf_plugin_log(st->host, done ? 2 : 3, "leak_detect: VRPs changed "
	    "(%s): %u of %u routes held re-validated", all ? "all" :
	    "some prefixes", done, st->held.n);
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

