/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hash_index.c: the one hash index (see hash_index.h).
 */
#include "hash_index.h"

#include <stdlib.h>
#include <string.h>

static int
reserve(struct bf_hix *x, uint32_t id)
{
	if (id < x->cap)
		return 0;
	uint32_t nc = x->cap ? x->cap : 16;
	while (nc <= id)
		nc *= 2;
	uint32_t *nx = realloc(x->next, nc * sizeof(*nx));
	if (nx == NULL)
		return -1;
	x->next = nx;
	uint32_t *hv = realloc(x->hash, nc * sizeof(*hv));
	if (hv == NULL)
		return -1;
	x->hash = hv;
	x->cap = nc;
	return 0;
}

static int
rehash(struct bf_hix *x, uint32_t nb)
{
	uint32_t *b = calloc(nb, sizeof(*b));

	if (b == NULL)
		return -1;
	for (uint32_t i = 0; i < x->n_buckets; i++)
		for (uint32_t id = x->bucket[i], nx; id != 0; id = nx) {
			nx = x->next[id];
			x->next[id] = b[x->hash[id] & (nb - 1)];
			b[x->hash[id] & (nb - 1)] = id;
		}
	free(x->bucket);
	x->bucket = b;
	x->n_buckets = nb;
	return 0;
}

int
bf_hix_insert(struct bf_hix *x, uint32_t id, uint32_t h)
{
	if (reserve(x, id) < 0)
		return -1;
	if (x->n + 1 > x->n_buckets &&
	    rehash(x, x->n_buckets ? x->n_buckets * 2 : 64) < 0)
		return -1;
	x->hash[id] = h;
	x->next[id] = x->bucket[h & (x->n_buckets - 1)];
	x->bucket[h & (x->n_buckets - 1)] = id;
	x->n++;
	return 0;
}

void
bf_hix_remove(struct bf_hix *x, uint32_t id)
{
	uint32_t *link = &x->bucket[x->hash[id] & (x->n_buckets - 1)];

	while (*link != id)
		link = &x->next[*link];
	*link = x->next[id];
	x->n--;
}

void
bf_hix_free(struct bf_hix *x)
{
	free(x->bucket);
	free(x->next);
	free(x->hash);
	memset(x, 0, sizeof(*x));
}

size_t
bf_hix_bytes(const struct bf_hix *x)
{
	return x->n_buckets * sizeof(uint32_t) + x->cap * 2 * sizeof(uint32_t);
}
