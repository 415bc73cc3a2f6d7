/*
 * ld_ix.c: the hash index of leak_detect's alerts, offending routes and
 * monitored prefixes (see ld_state.h): chains through arrays indexed by
 * the caller's ids, so an entry costs two uint32_t and no allocation.
 */
#include <stdlib.h>
#include <string.h>

#include "ld_state.h"

static int
reserve(struct ix *x, uint32_t id)
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
	uint32_t *hv = realloc(x->hv, nc * sizeof(*hv));
	if (hv == NULL)
		return -1;
	x->hv = hv;
	x->cap = nc;
	return 0;
}

static int
rehash(struct ix *x, uint32_t nb)
{
	uint32_t *b = calloc(nb, sizeof(*b));

	if (b == NULL)
		return -1;
	for (uint32_t i = 0; i < x->nb; i++)
		for (uint32_t id = x->b[i], nx; id != 0; id = nx) {
			nx = x->next[id];
			x->next[id] = b[x->hv[id] & (nb - 1)];
			b[x->hv[id] & (nb - 1)] = id;
		}
	free(x->b);
	x->b = b;
	x->nb = nb;
	return 0;
}

int
ld_ix_insert(struct ix *x, uint32_t id, uint32_t h)
{
	if (reserve(x, id) < 0)
		return -1;
	if (x->n + 1 > x->nb && rehash(x, x->nb ? x->nb * 2 : 64) < 0)
		return -1;
	x->hv[id] = h;
	x->next[id] = x->b[h & (x->nb - 1)];
	x->b[h & (x->nb - 1)] = id;
	x->n++;
	return 0;
}

void
ld_ix_remove(struct ix *x, uint32_t id)
{
	uint32_t *link = &x->b[x->hv[id] & (x->nb - 1)];

	while (*link != id)
		link = &x->next[*link];
	*link = x->next[id];
	x->n--;
}

void
ld_ix_free(struct ix *x)
{
	free(x->b);
	free(x->next);
	free(x->hv);
	memset(x, 0, sizeof(*x));
}

size_t
ld_ix_bytes(const struct ix *x)
{
	return x->nb * sizeof(uint32_t) + x->cap * 2 * sizeof(uint32_t);
}
