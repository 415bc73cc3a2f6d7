/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ld_rtab.c: a table of routes by id, for the offending routes
 * (ld_route.c) and the routes held for origin validation (ld_rov.c).
 *
 * Slots of one size, each beginning with its struct ld_rkey, by id 1..
 * (0 is none) in one array, indexed by core's hash index; a free slot
 * has src 0 and the next free id in path_id, so that ids are reused
 * before the array grows.
 */
#include <stdlib.h>
#include <string.h>

#include "ld_state.h"

void
ld_rtab_init(struct ld_rtab *t, size_t size)
{
	memset(t, 0, sizeof(*t));
	t->size = size;
}

uint32_t
ld_rtab_find(const struct ld_rtab *t, uint32_t src, uint32_t path_id,
    const struct ld_pfx *q, uint32_t h)
{
	for (uint32_t id = bf_hix_first(&t->ix, h); id != 0;
	    id = bf_hix_next(&t->ix, id))
		if (ld_rkey_is(ld_rtab_key(t, id), src, path_id, q))
			return id;
	return 0;
}

/* Id id goes first in line to be reused. */
static void
put_free(struct ld_rtab *t, uint32_t id)
{
	struct ld_rkey *k = ld_rtab_key(t, id);

	k->src = 0;
	k->path_id = t->free_id;
	t->free_id = id;
	t->n_free++;
}

uint32_t
ld_rtab_add(struct ld_rtab *t, uint32_t src, uint32_t path_id,
    const struct ld_pfx *q, int32_t partition, uint32_t h)
{
	uint32_t id;

	if (t->n_free > 0) {
		id = t->free_id;
		t->free_id = ld_rtab_key(t, id)->path_id;
		t->n_free--;
	} else {
		if (t->n + 1 >= t->cap) {
			uint32_t nc = t->cap ? t->cap * 2 : 64;
			char *n = realloc(t->slots, nc * t->size);
			if (n == NULL)
				return 0;
			t->slots = n;
			t->cap = nc;
		}
		id = t->n + 1;	/* ids 1..n all used */
	}
	if (bf_hix_insert(&t->ix, id, h) < 0) {
		if (id != t->n + 1)
			put_free(t, id);
		return 0;
	}
	memset(ld_rtab_key(t, id), 0, t->size);
	ld_rkey_set(ld_rtab_key(t, id), src, path_id, q, partition);
	t->n++;
	return id;
}

void
ld_rtab_del(struct ld_rtab *t, uint32_t id)
{
	bf_hix_remove(&t->ix, id);
	put_free(t, id);
	t->n--;
}

void
ld_rtab_free(struct ld_rtab *t)
{
	free(t->slots);
	bf_hix_free(&t->ix);
}

size_t
ld_rtab_bytes(const struct ld_rtab *t)
{
	return t->cap * t->size + bf_hix_bytes(&t->ix);
}
