/* SPDX-License-Identifier: Apache-2.0 */
/*
 * slab.h: memory for the many small objects prefix_health keeps for long
 * (prefixes with their route slots, activity records, AS paths), in 64 KiB
 * slabs of one size class each, carved from chunks mapped apart from
 * malloc's heap.
 *
 * Why not malloc: per object it adds an 8-byte header and rounds to 16
 * bytes; and the process's short-lived allocations (records fetched and
 * produced, held records) and the blocks a growing prefix leaves behind
 * land between the long-lived ones, so after a table load the pages they
 * freed stay resident (malloc_trim returns only whole free pages).  Here a
 * slab holds blocks of one class (a multiple of 8 bytes), its free blocks
 * are reused first, and a slab that empties gives its pages back at once.
 *
 * Sizes are the caller's: slab_free and slab_realloc take the size the
 * block was allocated with.  Sizes above SLAB_MAX_BLOCK go to malloc.
 * Blocks are 8-byte aligned.  Not thread-safe: one pool per plugin state.
 */
#ifndef BMPFLOW_PH_SLAB_H
#define BMPFLOW_PH_SLAB_H

#include <stddef.h>

#define SLAB_MAX_BLOCK	1024
#define SLAB_GRAIN	8	/* class step, and alignment */
#define SLAB_CLASSES	(SLAB_MAX_BLOCK / SLAB_GRAIN)

struct slab;
struct slab_chunk;

struct slab_pool {
	struct slab		*partial[SLAB_CLASSES];	/* slabs with a free
							 * block, by class */
	struct slab		**empty;	/* slabs given back, to reuse */
	size_t			 n_empty, cap_empty;
	struct slab_chunk	*chunks;	/* mapped, carved into slabs */
	size_t			 carved;	/* bytes of the newest chunk */
};

/* size bytes (> 0); NULL when out of memory. */
void	*slab_alloc(struct slab_pool *pool, size_t size);

/* Block p of size bytes (as allocated) is free; p may be NULL. */
void	 slab_free(struct slab_pool *pool, void *p, size_t size);

/*
 * Block p (NULL: none) of old bytes resized to size, its contents kept up
 * to the smaller; NULL when out of memory (p untouched) or size is 0 (p
 * freed).
 */
void	*slab_realloc(struct slab_pool *pool, void *p, size_t old,
	    size_t size);

/* Every chunk unmapped: blocks still allocated in slabs are gone. */
void	 slab_pool_free(struct slab_pool *pool);

#endif /* BMPFLOW_PH_SLAB_H */
