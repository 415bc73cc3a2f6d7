/* SPDX-License-Identifier: Apache-2.0 */
/*
 * route_set.c: a peer's announced routes by identity (see route_set.h).
 */
#include "route_set.h"

#include <stdlib.h>
#include <string.h>

#include "../parse/bmp_wire.h"

void
bf_route_id_set(struct bf_route_id *id, enum bf_state_view view, uint16_t afi,
    uint8_t safi, const struct bf_prefix *p, const uint8_t *rd,
    const uint32_t *path_id)
{
	memset(id, 0, sizeof(*id));
	id->prefix.addr.family = p->addr.family;
	memcpy(id->prefix.addr.a, p->addr.a, sizeof(id->prefix.addr.a));
	id->prefix.len = p->len;
	id->view = (uint8_t)view;
	id->afi = afi;
	id->safi = safi;
	if ((id->has_rd = rd != NULL))
		memcpy(id->rd, rd, 8);
	if ((id->has_path_id = path_id != NULL))
		id->path_id = *path_id;
}

enum bf_state_view
bf_state_view_of(const struct bmp_peer_hdr *h)
{
	bool post = (h->flags & BMP_PEER_F_L) != 0;

	switch (bmp_peer_rib(h)) {
	case BMP_RIB_LOC:
		return BF_SV_LOC_RIB;
	case BMP_RIB_ADJ_OUT:
		return post ? BF_SV_ADJ_OUT_POST : BF_SV_ADJ_OUT_PRE;
	default:
		return post ? BF_SV_ADJ_IN_POST : BF_SV_ADJ_IN_PRE;
	}
}

const char *
bf_state_view_name(enum bf_state_view v)
{
	static const char *const names[] = {
		[BF_SV_ADJ_IN_PRE] = "adj-in-pre",
		[BF_SV_ADJ_IN_POST] = "adj-in-post",
		[BF_SV_ADJ_OUT_PRE] = "adj-out-pre",
		[BF_SV_ADJ_OUT_POST] = "adj-out-post",
		[BF_SV_LOC_RIB] = "loc-rib",
	};

	return (size_t)v < sizeof(names) / sizeof(names[0]) ? names[v] : "-";
}

/*
 * The whole (zero-padded) identity, 8 bytes a step (byte-wise FNV-1a
 * cost 200 instructions a route, twice per route with the state).
 */
static uint32_t
id_hash(const struct bf_route_id *id)
{
	const uint8_t *b = (const uint8_t *)id;
	uint64_t x = 0x9e3779b97f4a7c15ull, w;
	size_t i;

	for (i = 0; i + 8 <= sizeof(*id); i += 8) {
		memcpy(&w, b + i, 8);
		x = (x ^ w) * 0xff51afd7ed558ccdull;
		x ^= x >> 29;
	}
	if (i < sizeof(*id)) {
		w = 0;
		memcpy(&w, b + i, sizeof(*id) - i);
		x = (x ^ w) * 0xff51afd7ed558ccdull;
	}
	x ^= x >> 32;
	x *= 0xc4ceb9fe1a85ec53ull;
	return (uint32_t)(x >> 32);
}

/* The id of the held route equal to id (hash h), or 0. */
static uint32_t
find(const struct bf_route_set *s, const struct bf_route_id *id, uint32_t h)
{
	for (uint32_t i = bf_hix_first(&s->index, h); i != 0;
	    i = bf_hix_next(&s->index, i))
		if (memcmp(&s->v[i - 1], id, sizeof(*id)) == 0)
			return i;
	return 0;
}

int
bf_route_set_add(struct bf_route_set *s, const struct bf_route_id *id)
{
	uint32_t h = id_hash(id), i;

	if (find(s, id, h) != 0)
		return 0;
	if (s->free != 0) {
		i = s->free;
		s->free = s->v[i - 1].path_id;
	} else {
		if (s->used == s->cap) {
			uint32_t cap = s->cap ? s->cap * 2 : 64;
			struct bf_route_id *v = realloc(s->v, cap *
			    sizeof(*v));

			if (v == NULL)
				return -1;
			s->v = v;
			s->cap = cap;
		}
		i = ++s->used;
	}
	if (bf_hix_insert(&s->index, i, h) < 0) {
		s->v[i - 1].view = BF_SV_FREE;
		s->v[i - 1].path_id = s->free;
		s->free = i;
		return -1;
	}
	memcpy(&s->v[i - 1], id, sizeof(*id));
	s->n++;
	return 1;
}

uint32_t
bf_route_set_find(const struct bf_route_set *s, const struct bf_route_id *id)
{
	return find(s, id, id_hash(id));
}

bool
bf_route_set_del(struct bf_route_set *s, const struct bf_route_id *id)
{
	uint32_t i = find(s, id, id_hash(id));

	if (i == 0)
		return false;
	bf_hix_remove(&s->index, i);
	s->v[i - 1].view = BF_SV_FREE;
	s->v[i - 1].path_id = s->free;
	s->free = i;
	s->n--;
	return true;
}

void
bf_route_set_clear(struct bf_route_set *s)
{
	bf_hix_free(&s->index);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

size_t
bf_route_set_bytes(const struct bf_route_set *s)
{
	return s->cap * sizeof(*s->v) + bf_hix_bytes(&s->index);
}
