/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ld_route.c: leak_detect's sessions (peers) and offending routes: every
 * (source, prefix, path id) route that offends is kept with the alerts it
 * is a member of, so a clean route costs no memory, and a withdrawal, a
 * clean replacement or the end of its session takes it out of them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ld_state.h"

uint8_t
ld_peer_config_role(const struct ld_state *st, const char *addr)
{
	for (size_t i = 0; i < st->n_roles; i++)
		if (strcmp(st->roles[i].addr, addr) == 0)
			return st->roles[i].role;
	return ROLE_NONE;
}

uint32_t
ld_peer_get(struct ld_state *st, const struct bf_session *ss)
{
	uint32_t pid = ss->id + 1;
	struct peer *p;

	if (pid > st->n_peers) {
		uint32_t n = pid < 16 ? 16 : pid + pid / 2;
		struct peer *np = realloc(st->peers, (n + 1) * sizeof(*np));

		if (np == NULL)
			return 0;
		memset(np + st->n_peers + 1, 0, (n - st->n_peers) *
		    sizeof(*np));
		st->peers = np;
		st->n_peers = n;
	}
	p = &st->peers[pid];
	if (p->name == NULL) {
		size_t n = strlen(ss->router) + strlen(ss->peer) + 2;

		if ((p->name = malloc(n)) == NULL)
			return 0;
		snprintf(p->name, n, "%s|%s", ss->router, ss->peer);
		p->router = ss->router;
		p->addr = ss->peer;
		p->role = ld_peer_config_role(st, p->addr);
	}
	p->as = ss->peer_as;
	return pid;
}

/* ---- offending routes ------------------------------------------------------------ */

/* A new offending route of j, index hash h; 0 when out of memory. */
static uint32_t
or_add(struct ld_state *st, const struct ld_judged *j, uint32_t h)
{
	uint32_t id = ld_rtab_add(&st->offending, j->src, j->path_id, &j->q,
	    j->partition, h);

	if (id != 0)
		st->peers[bf_src_session(j->src)].n_off++;
	return id;
}

static void
or_del(struct ld_state *st, uint32_t id)
{
	st->peers[bf_src_session(ld_oroute(st, id)->k.src)].n_off--;
	ld_oroute(st, id)->n = 0;
	ld_rtab_del(&st->offending, id);
}

/*
 * Make j's route a member of exactly the alerts of its offences (none for
 * a withdrawal), given its current offending route oid (0 for none) and
 * its index hash h.  j->r NULL: a re-validation, not a sighting.
 */
static void
apply(struct ld_state *st, const struct ld_judged *j, uint32_t h,
    uint32_t oid)
{
	const struct bf_route *r = j->r;
	uint32_t nw[T_N], old[T_N], nn = 0, no = 0;
	uint32_t peer = bf_src_session(j->src);

	if (oid != 0) {
		no = ld_oroute(st, oid)->n;
		memcpy(old, ld_oroute(st, oid)->alert, no * sizeof(uint32_t));
	}
	for (size_t i = 0; i < j->n; i++) {
		uint32_t id = ld_alert_get(st, &j->offs[i], &j->q, r,
		    j->partition, j->has_origin, j->origin);
		if (id != 0)
			nw[nn++] = id;
	}
	if (nn > 0 && oid == 0 && (oid = or_add(st, j, h)) == 0) {
		char txt[48];

		ptab_format(&j->q, txt, sizeof(txt));
		bf_plugin_log(st->host, 0, "leak_detect: out of memory "
		    "keeping an offending route of %s", txt);
		for (uint32_t i = 0; i < nn; i++)
			ld_alert_refresh(st, nw[i], j->time_us);
		return;
	}
	for (uint32_t i = 0; i < nn; i++) {
		struct alert *a = st->al[nw[i]];
		if (!ld_listed(old, no, nw[i]) && ld_alert_hold(a, peer) < 0) {
			nw[i--] = nw[--nn];	/* out of memory: not a member */
			continue;
		}
		if (r != NULL)
			ld_alert_seen(a, r, NULL);
	}
	for (uint32_t k = 0; k < no; k++)
		if (!ld_listed(nw, nn, old[k]))
			ld_alert_release(st->al[old[k]], peer);
	if (nn == 0) {
		if (oid != 0)
			or_del(st, oid);
	} else {
		ld_oroute(st, oid)->n = (uint8_t)nn;
		memcpy(ld_oroute(st, oid)->alert, nw, nn * sizeof(uint32_t));
	}
	for (uint32_t i = 0; i < nn; i++)
		ld_alert_refresh(st, nw[i], j->time_us);
	for (uint32_t k = 0; k < no; k++)
		if (!ld_listed(nw, nn, old[k]) && st->al[old[k]] != NULL)
			ld_alert_refresh(st, old[k], j->time_us);
}

void
ld_route_judge(struct ld_state *st, const struct ld_judged *j)
{
	uint32_t h, oid;

	if (j->n == 0 && j->pe->n_off == 0)
		return;	/* clean, and no route of its peer offends */
	h = ld_rkey_hash(j->src, j->path_id, &j->q);
	oid = j->pe->n_off ? ld_rtab_find(&st->offending, j->src, j->path_id,
	    &j->q, h) : 0;
	if (j->n > 0 || oid != 0)
		apply(st, j, h, oid);
}

void
ld_route_rejudge_rpki(struct ld_state *st, struct ld_judged *j, bool invalid)
{
	uint32_t h = ld_rkey_hash(j->src, j->path_id, &j->q);
	uint32_t oid = j->pe->n_off ? ld_rtab_find(&st->offending, j->src,
	    j->path_id, &j->q, h) : 0;

	/* Its other alerts, found again by (type, prefix, culprit). */
	j->n = 0;
	for (uint32_t k = 0; oid != 0 && k < ld_oroute(st, oid)->n; k++) {
		const struct alert *a = st->al[ld_oroute(st, oid)->alert[k]];
		struct off *o = &j->offs[j->n];

		if (a->type == T_RPKI_INVALID)
			continue;
		memset(o, 0, sizeof(*o));
		o->type = a->type;
		o->culprit = a->culprit;
		j->n++;
	}
	if (invalid)
		ld_rule_rpki_offence(j, &j->offs[j->n++]);
	if (j->n > 0 || oid != 0)
		apply(st, j, h, oid);
}

/*
 * The peer's epoch ends (or a new one starts): drop all its routes; or
 * one of its views ends (in a partition, for a family): drop those.
 */
void
ld_peer_reset(struct ld_state *st, uint32_t pid, bool up, uint64_t epoch,
    struct ld_scope sc, int64_t trig_us)
{
	struct peer *pe = &st->peers[pid];

	if (pe->n_off > 0) {
		uint32_t top = ld_rtab_top(&st->offending);
		for (uint32_t id = 1; id <= top; id++) {
			struct oroute *o = ld_oroute(st, id);
			if (!bf_src_of(o->k.src, pid, sc.view) ||
			    !ld_in_scope(sc, o->k.partition, o->k.family))
				continue;
			for (uint32_t k = 0; k < o->n; k++) {
				ld_alert_release(st->al[o->alert[k]], pid);
				st->al[o->alert[k]]->touched = 1;
			}
			or_del(st, id);
		}
		ld_alert_refresh_touched(st, trig_us);
	}
	if (pe->n_mon > 0)
		ld_prefix_drop_peer(st, pid, sc, trig_us);
	if (pe->n_rov > 0)
		ld_rov_drop_peer(st, pid, sc);
	pe->up = up;
	pe->epoch = epoch;
}

void
ld_route_drop_partition(struct ld_state *st, int32_t partition)
{
	uint32_t top = ld_rtab_top(&st->offending);

	for (uint32_t id = 1; id <= top; id++)
		if (ld_oroute(st, id)->k.src != 0 &&
		    ld_oroute(st, id)->k.partition == partition)
			or_del(st, id);
}

void
ld_route_free_all(struct ld_state *st)
{
	for (uint32_t i = 1; i <= st->n_peers; i++)
		free(st->peers[i].name);
	free(st->peers);
	ld_rtab_free(&st->offending);
}

size_t
ld_route_bytes(const struct ld_state *st)
{
	size_t b = (st->n_peers + 1) * sizeof(struct peer);

	for (uint32_t i = 1; i <= st->n_peers; i++)
		b += st->peers[i].name ? strlen(st->peers[i].name) + 1 : 0;
	return b + ld_rtab_bytes(&st->offending);
}
