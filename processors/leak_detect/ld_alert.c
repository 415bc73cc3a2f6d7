/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ld_alert.c: leak_detect's alerts (see leak_detect.c for the lifecycle):
 * the table by id and by (type, prefix, culprit), the peers holding each,
 * state changes and the alert records.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ld_state.h"

#define MAX_NAMES	32	/* routers / peers listed in an alert */

const char *const ld_type_names[T_N] = {
	"route_leak", "otc_leak", "peer_lock", "origin_hijack",
	"subprefix_hijack", "rpki_invalid", "new_upstream", "moas",
};

static const char *const pclass_names[] = { NULL, "exact", "sub-prefix",
    "squatting" };
static const char *const hclass_names[] = { NULL, "origin", "first_hop" };
static const char *const sev_names[] = { "low", "medium", "high",
    "critical" };
static const char *const rpki_names[] = { [RPKI_NOT_FOUND] = "not_found",
    [RPKI_VALID] = "valid", [RPKI_INVALID] = "invalid" };

static void
metric_alert(struct ld_state *st, const struct alert *a, const char *state)
{
	char labels[80];

	snprintf(labels, sizeof(labels), "type=\"%s\",state=\"%s\"",
	    ld_type_names[a->type], state);
	bf_metric_add(st->host, st->m_alerts, labels, 1);
}

void
ld_alert_metric_open(struct ld_state *st, int type)
{
	char labels[48];

	snprintf(labels, sizeof(labels), "type=\"%s\"", ld_type_names[type]);
	bf_metric_set(st->host, st->m_open, labels, st->open_by_type[type]);
}

/* a enters (delta 1) or leaves (-1) the open state. */
static void
count_open(struct ld_state *st, const struct alert *a, int delta)
{
	st->open_by_type[a->type] += (uint32_t)delta;
	ld_alert_metric_open(st, a->type);
}

static uint32_t
alert_hash(int type, const struct ld_pfx *p, uint32_t culprit)
{
	return ld_pfx_hash(p, (uint64_t)type << 32 | culprit);
}

uint32_t
ld_alert_find(const struct ld_state *st, int type, const struct ld_pfx *p,
    uint32_t culprit)
{
	uint32_t h = alert_hash(type, p, culprit);

	for (uint32_t id = bf_hix_first(&st->al_ix, h); id != 0;
	    id = bf_hix_next(&st->al_ix, id)) {
		const struct alert *a = st->al[id];
		if (a->type == type && a->culprit == culprit &&
		    ld_pfx_eq(&a->p, p))
			return id;
	}
	return 0;
}

static void
destroy(struct alert *a)
{
	free(a->path);
	free(a->h);
	free(a);
}

void
ld_alert_free(struct ld_state *st, uint32_t id)
{
	struct alert *a = st->al[id];

	if (a->state == ST_OPEN)
		count_open(st, a, -1);
	bf_hix_remove(&st->al_ix, id);
	destroy(a);
	st->al[id] = NULL;
	st->al_free[st->n_al_free++] = id;
	st->n_al--;
}

/* A new pending alert for o on q; 0 when out of memory. */
static uint32_t
alert_create(struct ld_state *st, const struct off *o, const struct ld_pfx *q,
    const struct bf_route *r, int32_t partition, bool has_origin,
    uint32_t origin)
{
	struct alert *a;
	uint32_t id;
	uint64_t h;
	char txt[128];

	if (st->n_al_free == 0) {
		uint32_t oc = st->al_cap, nc = oc ? oc * 2 : 16;
		struct alert **n = realloc(st->al, nc * sizeof(*n));
		if (n == NULL)
			return 0;
		st->al = n;
		uint32_t *f = realloc(st->al_free, nc * sizeof(*f));
		if (f == NULL)
			return 0;
		st->al_free = f;
		memset(n + oc, 0, (nc - oc) * sizeof(*n));
		for (uint32_t i = nc - 1; i >= (oc ? oc : 1); i--)
			f[st->n_al_free++] = i;
		st->al_cap = nc;
	}
	id = st->al_free[st->n_al_free - 1];
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return 0;
	a->p = *q;
	a->type = o->type;
	a->rfc7908 = o->rfc7908;
	a->pclass = o->pclass;
	a->hclass = o->hclass;
	a->sev = o->sev;
	a->nseg = o->nseg;
	memcpy(a->seg, o->seg, sizeof(a->seg));
	memcpy(a->detail, o->detail, sizeof(a->detail));
	a->culprit = o->culprit;
	a->has_origin = has_origin;
	a->origin = origin;
	a->partition = partition;
	a->first_seen = a->last_seen = r ? r->collector_time_us : st->clock;
	if (r && r->as_path && r->as_path_count > 0) {
		a->path_n = r->as_path_count < MAX_PATH ? r->as_path_count :
		    MAX_PATH;
		if ((a->path = malloc(a->path_n * sizeof(uint32_t))) == NULL)
			a->path_n = 0;
		else
			memcpy(a->path, r->as_path, a->path_n *
			    sizeof(uint32_t));
	}
	ptab_format(q, a->prefix, sizeof(a->prefix));
	snprintf(txt, sizeof(txt), "%s|%s|%" PRIu32 "|%" PRId64,
	    ld_type_names[a->type], a->prefix, a->culprit, a->first_seen);
	h = bf_fnv64(BF_FNV64_INIT, txt, strlen(txt));
	snprintf(a->id, sizeof(a->id), "%016" PRIx64, h);
	if (bf_hix_insert(&st->al_ix, id, alert_hash(a->type, q, a->culprit))
	    < 0) {
		destroy(a);
		return 0;
	}
	st->n_al_free--;
	st->al[id] = a;
	st->n_al++;
	return id;
}

static uint32_t
peers_holding(const struct alert *a)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < a->nh; i++)
		n += a->h[i].n > 0;
	return n;
}

static void
alert_emit(struct ld_state *st, struct alert *a, const char *state,
    int64_t trig_us)
{
	struct bf_host *h = st->host;
	const struct ld_out *o = &st->out;
	int64_t v[MAX_PATH];
	const char *peers[MAX_NAMES], *routers[MAX_NAMES];
	size_t np = 0, nr = 0;
	char key[96], labels[64];
	double lat = (double)(bf_host_now_us(h) - trig_us) / 1000.0;

	snprintf(key, sizeof(key), "%s|%s", ld_type_names[a->type], a->prefix);
	bf_emit_begin(h, key, a->partition);
	bf_emit_str(h, o->alert_id, a->id);
	bf_emit_str(h, o->type, ld_type_names[a->type]);
	if (a->rfc7908)
		bf_emit_long(h, o->rfc7908_type, a->rfc7908);
	else
		bf_emit_null(h, o->rfc7908_type);
	if (a->pclass)
		bf_emit_str(h, o->prefix_class, pclass_names[a->pclass]);
	else
		bf_emit_null(h, o->prefix_class);
	if (a->hclass)
		bf_emit_str(h, o->path_class, hclass_names[a->hclass]);
	else
		bf_emit_null(h, o->path_class);
	bf_emit_str(h, o->severity, sev_names[a->sev]);
	bf_emit_str(h, o->prefix, a->prefix);
	if (a->has_origin)
		bf_emit_long(h, o->origin_as, a->origin);
	else
		bf_emit_null(h, o->origin_as);
	if (a->culprit)
		bf_emit_long(h, o->culprit_as, a->culprit);
	else
		bf_emit_null(h, o->culprit_as);
	for (uint32_t i = 0; i < a->nseg; i++)
		v[i] = a->seg[i];
	bf_emit_long_array(h, o->culprit_segment, v, a->nseg);
	for (uint32_t i = 0; i < a->path_n; i++)
		v[i] = a->path[i];
	bf_emit_long_array(h, o->as_path, v, a->path_n);
	for (uint32_t i = 0; i < a->nh && np < MAX_NAMES; i++) {
		const struct peer *pe = &st->peers[a->h[i].peer];
		size_t k;
		peers[np++] = pe->name;
		for (k = 0; k < nr; k++)
			if (strcmp(routers[k], pe->router) == 0)
				break;
		if (k == nr)
			routers[nr++] = pe->router;
	}
	bf_emit_str_array(h, o->routers, routers, nr);
	bf_emit_str_array(h, o->peers, peers, np);
	bf_emit_long(h, o->peers_seen, a->nh);
	bf_emit_long(h, o->peers_holding, peers_holding(a));
	bf_emit_long(h, o->first_seen, a->first_seen);
	bf_emit_long(h, o->last_seen, a->last_seen);
	bf_emit_long(h, o->count, (int64_t)a->count);
	bf_emit_str(h, o->state, state);
	bf_emit_double(h, o->detection_latency_ms, lat);
	bf_emit_long(h, o->time_us, st->clock);
	bf_emit_str(h, o->detail, a->detail);
	/* The route's RFC 6811 state now; a MOAS has no one origin. */
	if (ld_rov_on(st) && a->type != T_MOAS)
		bf_emit_str(h, o->rpki_state, rpki_names[ld_rov_validate(st,
		    &a->p, a->origin, a->has_origin)]);
	else
		bf_emit_null(h, o->rpki_state);
	bf_emit_end(h);
	metric_alert(st, a, state);
	snprintf(labels, sizeof(labels), "type=\"%s\"",
	    ld_type_names[a->type]);
	bf_metric_observe(st->host, st->m_latency, labels, lat);
}

int
ld_alert_hold(struct alert *a, uint32_t peer)
{
	uint32_t i;

	for (i = 0; i < a->nh; i++)
		if (a->h[i].peer == peer)
			break;
	if (i == a->nh) {
		if (a->nh == a->caph) {
			uint32_t nc = a->caph ? a->caph * 2 : 4;
			struct holder *n = realloc(a->h, nc * sizeof(*n));
			if (n == NULL)
				return -1;
			a->h = n;
			a->caph = nc;
		}
		a->h[a->nh].peer = peer;
		a->h[a->nh++].n = 0;
	}
	if (a->h[i].n++ == 0)
		a->dirty = 1;
	a->holding++;
	return 0;
}

void
ld_alert_release(struct alert *a, uint32_t peer)
{
	for (uint32_t i = 0; i < a->nh; i++)
		if (a->h[i].peer == peer && a->h[i].n > 0) {
			if (--a->h[i].n == 0)
				a->dirty = 1;
			a->holding--;
			return;
		}
}

void
ld_alert_release_all(struct alert *a)
{
	for (uint32_t i = 0; i < a->nh; i++)
		a->h[i].n = 0;
	a->holding = 0;
}

/* a opens (from pending, or again within the window) as state. */
static void
reopen(struct ld_state *st, struct alert *a, const char *state,
    int64_t trig_us)
{
	a->state = ST_OPEN;
	a->dirty = 0;
	count_open(st, a, 1);
	alert_emit(st, a, state, trig_us);
}

/*
 * Apply the lifecycle after a change of a's members: open once min_peers
 * peers hold it, resolve when none does, reopen within the window.  trig_us
 * is the collector time of the record that caused the change.
 */
void
ld_alert_refresh(struct ld_state *st, uint32_t id, int64_t trig_us)
{
	struct alert *a = st->al[id];

	a->trig_us = trig_us;
	switch (a->state) {
	case ST_PENDING:
		if (a->holding == 0)
			ld_alert_free(st, id);
		else if (peers_holding(a) >= st->min_peers)
			reopen(st, a, "open", trig_us);
		break;
	case ST_OPEN:
		if (a->holding == 0) {
			a->state = ST_RESOLVED;
			a->resolved_at = st->clock;
			a->dirty = 0;
			count_open(st, a, -1);
			alert_emit(st, a, "resolved", trig_us);
		}
		break;
	case ST_RESOLVED:
		if (a->holding > 0 && peers_holding(a) >= st->min_peers)
			reopen(st, a, "update", trig_us);
		break;
	}
}

/* Refresh every alert marked touched, once. */
void
ld_alert_refresh_touched(struct ld_state *st, int64_t trig_us)
{
	for (uint32_t id = 1; id < st->al_cap; id++)
		if (st->al[id] != NULL && st->al[id]->touched) {
			st->al[id]->touched = 0;
			ld_alert_refresh(st, id, trig_us);
		}
}

/* Whether a is resolved, unheld and past the window: done with. */
static bool
expired(const struct ld_state *st, const struct alert *a)
{
	return a->state == ST_RESOLVED && a->holding == 0 &&
	    st->clock - a->resolved_at > st->window_us;
}

uint32_t
ld_alert_get(struct ld_state *st, const struct off *o, const struct ld_pfx *q,
    const struct bf_route *r, int32_t partition, bool has_origin,
    uint32_t origin)
{
	uint32_t id = ld_alert_find(st, o->type, q, o->culprit);

	if (id != 0 && expired(st, st->al[id])) {
		ld_alert_free(st, id);
		id = 0;
	}
	if (id == 0)
		id = alert_create(st, o, q, r, partition, has_origin, origin);
	return id;
}

/* One more sighting of a by r; o (NULL: none) renews a MOAS's origins. */
void
ld_alert_seen(struct alert *a, const struct bf_route *r, const struct off *o)
{
	a->count++;
	a->last_seen = r->collector_time_us;
	a->dirty = 1;
	if (o != NULL && a->type == T_MOAS) {
		a->nseg = o->nseg;
		memcpy(a->seg, o->seg, sizeof(a->seg));
		memcpy(a->detail, o->detail, sizeof(a->detail));
	}
}

void
ld_alert_tick(struct ld_state *st)
{
	for (uint32_t id = 1; id < st->al_cap; id++) {
		struct alert *a = st->al[id];
		if (a == NULL)
			continue;
		if (a->state == ST_OPEN && a->dirty) {
			a->dirty = 0;
			alert_emit(st, a, "update", a->trig_us);
		} else if (expired(st, a))
			ld_alert_free(st, id);
	}
}

void
ld_alert_drop_partition(struct ld_state *st, int32_t partition)
{
	for (uint32_t id = 1; id < st->al_cap; id++)
		if (st->al[id] != NULL && st->al[id]->partition == partition)
			ld_alert_free(st, id);
}

void
ld_alert_free_all(struct ld_state *st)
{
	for (uint32_t i = 1; i < st->al_cap; i++)
		if (st->al[i] != NULL)
			destroy(st->al[i]);
	free(st->al);
	free(st->al_free);
	bf_hix_free(&st->al_ix);
}

size_t
ld_alert_bytes(const struct ld_state *st)
{
	size_t b = st->al_cap * (sizeof(struct alert *) + sizeof(uint32_t)) +
	    bf_hix_bytes(&st->al_ix);

	for (uint32_t i = 1; i < st->al_cap; i++)
		if (st->al[i] != NULL)
			b += sizeof(struct alert) + st->al[i]->path_n *
			    sizeof(uint32_t) + st->al[i]->caph *
			    sizeof(struct holder);
	return b;
}
