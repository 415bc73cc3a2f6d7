/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "../parse/bgp_wire.h"
#include "../parse/bmp_wire.h"
#include "peer_table.h"

int
peer_table_init(struct peer_table *t, uint32_t max_peers)
{
	memset(t, 0, sizeof(*t));
	t->clock = &t->own_clock;
	t->max = max_peers;
	return 0;
}

void
peer_table_free(struct peer_table *t)
{
	for (uint32_t i = 0; i < t->count; i++)
		bf_route_set_clear(&t->v[i].routes);
	free(t->v);
	bf_hix_free(&t->index);
	t->v = NULL;
	t->cap = t->count = 0;
}

/* FNV-1a over the key fields. */
static uint32_t
key_hash(const struct bmp_peer_hdr *h)
{
	uint32_t x = 2166136261u;

	x = (x ^ h->type) * 16777619u;
	for (int i = 0; i < 8; i++)
		x = (x ^ h->rd[i]) * 16777619u;
	x = (x ^ h->addr.family) * 16777619u;
	for (int i = 0; i < 16; i++)
		x = (x ^ h->addr.a[i]) * 16777619u;
	return x;
}

static bool
key_eq(const struct peer_entry *e, const struct bmp_peer_hdr *h)
{
	return e->type == h->type && memcmp(e->rd, h->rd, 8) == 0 &&
	    e->addr.family == h->addr.family &&
	    memcmp(e->addr.a, h->addr.a, 16) == 0;
}

/* The peer of hdr (key hash h), or NULL. */
static struct peer_entry *
find(struct peer_table *t, const struct bmp_peer_hdr *hdr, uint32_t h)
{
	for (uint32_t id = bf_hix_first(&t->index, h); id != 0;
	    id = bf_hix_next(&t->index, id))
		if (key_eq(&t->v[id - 1], hdr))
			return &t->v[id - 1];
	return NULL;
}

struct peer_entry *
peer_table_find(struct peer_table *t, const struct bmp_peer_hdr *hdr)
{
	return find(t, hdr, key_hash(hdr));
}

struct peer_entry *
peer_table_get(struct peer_table *t, const struct bmp_peer_hdr *hdr)
{
	uint32_t h = key_hash(hdr);
	struct peer_entry *e = find(t, hdr, h);

	if (e != NULL)
		return e;
	if (t->count >= t->max)
		return NULL;
	if (t->count == t->cap) {
		uint32_t cap = t->cap ? t->cap * 2 : 16;

		if ((e = realloc(t->v, cap * sizeof(*e))) == NULL)
			return NULL;
		t->v = e;
		t->cap = cap;
	}
	if (bf_hix_insert(&t->index, t->count + 1, h) < 0)
		return NULL;
	e = &t->v[t->count++];
	memset(e, 0, sizeof(*e));
	e->type = hdr->type;
	memcpy(e->rd, hdr->rd, 8);
	e->addr = hdr->addr;
	return e;
}

/*
 * RFC 7911 §4: path IDs flow from a speaker that advertised "send" to one
 * that advertised "receive".  The monitored router's OPEN is "sent".
 */
static uint32_t
addpath_bits(const struct bgp_caps *from, const struct bgp_caps *to)
{
	uint32_t bits = 0;

	for (uint8_t i = 0; i < from->n_af; i++) {
		const struct bgp_cap_af *f = &from->af[i];
		const struct bgp_af *af = bgp_af_lookup(f->afi, f->safi);

		if (af != NULL && (f->addpath & BGP_ADDPATH_SEND) &&
		    (bgp_caps_addpath(to, f->afi, f->safi) &
		    BGP_ADDPATH_RECEIVE))
			bits |= 1u << af->index;
	}
	return bits;
}

/*
 * A Peer Up starts a new epoch.  Huawei sends one Loc-RIB Peer Up per
 * address family for the same instance: while that instance is up, a
 * further Peer Up adds its families' capabilities to the same epoch.
 */
void
peer_table_up(struct peer_table *t, struct peer_entry *e,
    const struct bmp_peer_up *pu)
{
	bool as4 = pu->sent_open.caps.as4 && pu->recv_open.caps.as4;
	uint32_t in = addpath_bits(&pu->recv_open.caps, &pu->sent_open.caps);
	uint32_t out = addpath_bits(&pu->sent_open.caps, &pu->recv_open.caps);

	if (e->up && e->has_open && e->type == BMP_PEER_LOC_RIB) {
		e->addpath_in |= in;
		e->addpath_out |= out;
		return;
	}
	e->up = true;
	e->has_open = true;
	e->epoch = ++*t->clock;
	e->as4 = as4;
	e->addpath_in = in;
	e->addpath_out = out;
}

void
peer_table_open(struct peer_table *t, struct peer_entry *e,
    const struct bmp_peer_hdr *hdr)
{
	e->up = true;
	e->has_open = false;
	e->epoch = ++*t->clock;
	e->hdr = *hdr;
	e->addpath_in = e->addpath_out = 0;
}

void
peer_table_decode_opts(const struct peer_entry *e,
    const struct bmp_peer_hdr *hdr, struct bgp_decode_opts *o)
{
	if (e == NULL || !e->has_open) {
		o->as4 = hdr->type == BMP_PEER_LOC_RIB ||
		    !(hdr->flags & BMP_PEER_F_A);
		o->addpath = 0;
		return;
	}
	o->as4 = e->as4;
	o->addpath = bmp_peer_rib(hdr) == BMP_RIB_ADJ_OUT ? e->addpath_out :
	    e->addpath_in;
}

void
peer_table_count(struct peer_entry *e, enum bf_state_view v, int delta)
{
	struct peer_routes *h = &e->held;

	if (h->epoch != e->epoch) {
		memset(h, 0, sizeof(*h));
		h->epoch = e->epoch;
	}
	h->seen |= (uint8_t)(1u << v);
	/* Without the route state a withdrawal may be of a route not held. */
	if (delta >= 0 || h->n[v] > 0)
		h->n[v] += (uint32_t)delta;
}

const struct peer_routes *
peer_table_routes(const struct peer_entry *e)
{
	return e->up && e->held.epoch == e->epoch && e->held.seen != 0 ?
	    &e->held : NULL;
}
