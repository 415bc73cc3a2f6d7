/* SPDX-License-Identifier: Apache-2.0 */
/*
 * route_set.h: the routes one peer has announced in its current epoch, by
 * identity (view, family, prefix with its RD, ADD-PATH id): what the
 * collector must tombstone in bmp.route.state when that epoch ends.
 * Entries live in one array by id with a free list, indexed by the one
 * hash index (core/hash_index.h): no allocation per route beyond the
 * array's amortized growth.
 */
#ifndef BF_ROUTE_SET_H
#define BF_ROUTE_SET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/hash_index.h"
#include "../parse/bmp_parse.h"

enum bf_state_view {
	BF_SV_ADJ_IN_PRE,
	BF_SV_ADJ_IN_POST,
	BF_SV_ADJ_OUT_PRE,
	BF_SV_ADJ_OUT_POST,
	BF_SV_LOC_RIB,
	BF_SV_FREE = 0xff,	/* an entry on the free list */
};

/* The view a per-peer header's records are of (RIB and L flag). */
enum bf_state_view bf_state_view_of(const struct bmp_peer_hdr *h);

/* That view as one word: "adj-in-pre", ..., "loc-rib". */
const char	*bf_state_view_name(enum bf_state_view v);

/* Fill with bf_route_id_set: its padding must be zero (compared whole). */
struct bf_route_id {
	struct bf_prefix prefix;
	uint8_t		 rd[8];
	uint8_t		 view;		/* enum bf_state_view */
	uint8_t		 safi;
	uint16_t	 afi;
	bool		 has_rd, has_path_id;
	uint32_t	 path_id;	/* next free id when view is FREE */
};

struct bf_route_set {
	struct bf_route_id	*v;		/* by id - 1 */
	uint32_t		 used, cap;	/* ids [1, used] handed out */
	uint32_t		 n;		/* routes held */
	uint32_t		 free;		/* first free id, 0: none */
	uint64_t		 epoch;		/* of the routes held */
	struct bf_hix		 index;
};

void	bf_route_id_set(struct bf_route_id *id, enum bf_state_view view,
	    uint16_t afi, uint8_t safi, const struct bf_prefix *p,
	    const uint8_t *rd, const uint32_t *path_id);
/* 1 added, 0 already held, -1 out of memory. */
int	bf_route_set_add(struct bf_route_set *s, const struct bf_route_id *id);
/* Its position (as bf_route_set_at walks: 1, 2, ...) when held, or 0. */
uint32_t bf_route_set_find(const struct bf_route_set *s,
	    const struct bf_route_id *id);
/* true when it was held (and is not any more). */
bool	bf_route_set_del(struct bf_route_set *s, const struct bf_route_id *id);
/* Forget every route and give the memory back. */
void	bf_route_set_clear(struct bf_route_set *s);
size_t	bf_route_set_bytes(const struct bf_route_set *s);

/* Walk held routes: for (i = 0; (id = bf_route_set_at(s, &i)) != NULL;) */
static inline const struct bf_route_id *
bf_route_set_at(const struct bf_route_set *s, uint32_t *i)
{
	while (*i < s->used)
		if (s->v[(*i)++].view != BF_SV_FREE)
			return &s->v[*i - 1];
	return NULL;
}

#endif /* BF_ROUTE_SET_H */
