/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hash_index.h: the one hash index of bmpflow: a 32-bit hash -> the ids
 * (1, 2, ...) of the caller's entries with that hash.  It keeps no keys:
 * the caller holds its entries in an array by id and compares keys
 * itself, walking the ids of a hash with bf_hix_first and bf_hix_next.
 * Chains run through arrays indexed by id, so an entry costs two
 * uint32_t and no allocation of its own; buckets double at load 1.
 */
#ifndef BF_HASH_INDEX_H
#define BF_HASH_INDEX_H

#include <stddef.h>
#include <stdint.h>

struct bf_hix {
	uint32_t	*bucket, n_buckets;	/* first id of each chain */
	uint32_t	*next, *hash;		/* by id: chain, hash */
	uint32_t	 cap, n;		/* ids [0, cap) have room */
};

/* Index id (>= 1, not indexed yet) under hash h.  0, or -1 out of memory. */
int	bf_hix_insert(struct bf_hix *x, uint32_t id, uint32_t h);
/* Take id (indexed) out. */
void	bf_hix_remove(struct bf_hix *x, uint32_t id);
void	bf_hix_free(struct bf_hix *x);
size_t	bf_hix_bytes(const struct bf_hix *x);

/* The first id indexed under hash h, or 0. */
static inline uint32_t
bf_hix_first(const struct bf_hix *x, uint32_t h)
{
	uint32_t id = x->n_buckets ? x->bucket[h & (x->n_buckets - 1)] : 0;

	while (id != 0 && x->hash[id] != h)
		id = x->next[id];
	return id;
}

/* The next id after id with the same hash, or 0. */
static inline uint32_t
bf_hix_next(const struct bf_hix *x, uint32_t id)
{
	uint32_t h = x->hash[id];

	for (id = x->next[id]; id != 0 && x->hash[id] != h; id = x->next[id])
		;
	return id;
}

#endif /* BF_HASH_INDEX_H */
