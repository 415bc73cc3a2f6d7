/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ld_prefix.c: leak_detect's monitored prefixes at run time: the origin
 * of every route of each (for MOAS), the upstreams learned while
 * upstream_learn_s runs, and the partition of its routes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ld_state.h"

struct pstate *
ld_prefix_get(struct ld_state *st, const struct ld_pfx *m, bool create)
{
	uint32_t h = ld_pfx_hash(m, 0x9e3779b97f4a7c15ULL), id;
	struct pstate *p;

	for (id = bf_hix_first(&st->ps_ix, h); id != 0;
	    id = bf_hix_next(&st->ps_ix, id))
		if (ld_pfx_eq(&st->ps[id]->p, m))
			return st->ps[id];
	if (!create)
		return NULL;
	if (st->n_ps + 1 >= st->ps_cap) {
		uint32_t nc = st->ps_cap ? st->ps_cap * 2 : 16;
		struct pstate **n = realloc(st->ps, nc * sizeof(*n));
		if (n == NULL)
			return NULL;
		st->ps = n;
		st->ps_cap = nc;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	id = st->n_ps + 1;
	if (bf_hix_insert(&st->ps_ix, id, h) < 0) {
		free(p);
		return NULL;
	}
	p->p = *m;
	p->partition = -1;
	p->created = st->clock;
	st->ps[id] = p;
	st->n_ps++;
	return p;
}

bool
ld_prefix_upstream_known(const struct pstate *p, uint32_t asn)
{
	return ld_listed(p->ups, p->nups, asn);
}

void
ld_prefix_learn(struct pstate *p, uint32_t asn)
{
	if (ld_prefix_upstream_known(p, asn))
		return;
	if (p->nups == p->capups) {
		uint32_t nc = p->capups ? p->capups * 2 : 4;
		uint32_t *n = realloc(p->ups, nc * sizeof(*n));
		if (n == NULL)
			return;
		p->ups = n;
		p->capups = nc;
	}
	p->ups[p->nups++] = asn;
}

bool
ld_prefix_route(struct ld_state *st, struct pstate *p, uint32_t src,
    uint32_t path_id, bool present, uint32_t origin)
{
	uint32_t i;

	for (i = 0; i < p->nr; i++)
		if (p->r[i].peer == src && p->r[i].path_id == path_id)
			break;
	if (!present) {
		if (i == p->nr)
			return false;
		p->r[i] = p->r[--p->nr];
		st->peers[bf_src_session(src)].n_mon--;
		return true;
	}
	if (i == p->nr) {
		if (p->nr == p->capr) {
			uint32_t nc = p->capr ? p->capr * 2 : 4;
			struct mroute *n = realloc(p->r, nc * sizeof(*n));
			if (n == NULL)
				return false;
			p->r = n;
			p->capr = nc;
		}
		p->r[p->nr].peer = src;
		p->r[p->nr++].path_id = path_id;
		st->peers[bf_src_session(src)].n_mon++;
	} else if (p->r[i].origin == origin)
		return false;
	p->r[i].origin = origin;
	return true;
}

/* The moas offence of p's n distinct origins orig (sorted). */
static void
moas_offence(const struct ld_state *st, const struct pstate *p,
    const uint32_t *orig, uint32_t n, struct off *o)
{
	const struct mon_ent *me = monitor_match(&st->mon, &p->p);
	bool unexpected = false;

	memset(o, 0, sizeof(*o));
	o->type = T_MOAS;
	o->nseg = (uint8_t)n;
	memcpy(o->seg, orig, n * sizeof(uint32_t));
	for (uint32_t k = 0; k < n; k++)
		if (me == NULL || !monitor_origin_ok(&st->mon, me, orig[k]))
			unexpected = true;
	o->sev = unexpected ? SEV_HIGH : SEV_LOW;
	o->pclass = PC_EXACT;
	snprintf(o->detail, sizeof(o->detail), "%u origins at once%s", n,
	    unexpected ? ", not all expected" : ", all expected");
}

/*
 * MOAS of a monitored prefix: with two or more distinct origins among its
 * routes, every route is a member of the moas alert.  r is the route that
 * caused the change (NULL for a peer event).
 */
void
ld_prefix_moas(struct ld_state *st, struct pstate *p, const struct bf_route *r,
    int64_t trig_us)
{
	struct off o;
	struct alert *a;
	uint32_t orig[MAX_SEG], n = 0, id;

	for (uint32_t i = 0; i < p->nr; i++)
		if (p->r[i].origin != 0 && !ld_listed(orig, n, p->r[i].origin) &&
		    n < MAX_SEG)
			orig[n++] = p->r[i].origin;
	id = ld_alert_find(st, T_MOAS, &p->p, 0);
	if (n < 2 && id == 0)
		return;
	if (n >= 2) {
		qsort(orig, n, sizeof(orig[0]), bf_cmp_u32);
		moas_offence(st, p, orig, n, &o);
		if ((id = ld_alert_get(st, &o, &p->p, r, p->partition, false,
		    0)) == 0)
			return;
		a = st->al[id];
		ld_alert_release_all(a);
		for (uint32_t i = 0; i < p->nr; i++)
			ld_alert_hold(a, bf_src_session(p->r[i].peer));
		a->sev = o.sev;
		if (r != NULL)
			ld_alert_seen(a, r, &o);
		else {
			a->nseg = o.nseg;
			memcpy(a->seg, o.seg, sizeof(a->seg));
			memcpy(a->detail, o.detail, sizeof(a->detail));
		}
	} else
		ld_alert_release_all(st->al[id]);
	ld_alert_refresh(st, id, trig_us);
}

void
ld_prefix_drop_peer(struct ld_state *st, uint32_t pid, struct ld_scope sc,
    int64_t trig_us)
{
	struct peer *pe = &st->peers[pid];

	for (uint32_t id = 1; pe->n_mon > 0 && id <= st->n_ps; id++) {
		struct pstate *p = st->ps[id];
		bool changed = false;
		if (!ld_in_scope(sc, p->partition, p->p.family))
			continue;
		for (uint32_t i = 0; i < p->nr; ) {
			if (bf_src_of(p->r[i].peer, pid, sc.view)) {
				p->r[i] = p->r[--p->nr];
				pe->n_mon--;
				changed = true;
			} else
				i++;
		}
		if (changed)
			ld_prefix_moas(st, p, NULL, trig_us);
	}
}

void
ld_prefix_drop_partition(struct ld_state *st, int32_t partition)
{
	for (uint32_t id = 1; id <= st->n_ps; id++) {
		struct pstate *p = st->ps[id];
		if (p->partition != partition)
			continue;
		for (uint32_t i = 0; i < p->nr; i++)
			st->peers[bf_src_session(p->r[i].peer)].n_mon--;
		p->nr = 0;
		p->partition = -1;
	}
}

void
ld_prefix_free_all(struct ld_state *st)
{
	for (uint32_t i = 1; i <= st->n_ps; i++) {
		free(st->ps[i]->r);
		free(st->ps[i]->ups);
		free(st->ps[i]);
	}
	free(st->ps);
	bf_hix_free(&st->ps_ix);
}

size_t
ld_prefix_bytes(const struct ld_state *st)
{
	size_t b = st->ps_cap * sizeof(struct pstate *) +
	    bf_hix_bytes(&st->ps_ix);

	for (uint32_t i = 1; i <= st->n_ps; i++)
		b += sizeof(struct pstate) + st->ps[i]->capr *
		    sizeof(struct mroute) + st->ps[i]->capups *
		    sizeof(uint32_t);
	return b;
}
