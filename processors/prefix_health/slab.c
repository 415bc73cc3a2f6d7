/* SPDX-License-Identifier: Apache-2.0 */
/*
 * slab.c: size-class slabs for prefix_health's long-lived objects (see
 * slab.h for why).
 *
 * A chunk is SLAB_CHUNK bytes mapped at a SLAB_BYTES boundary and carved
 * into slabs in order, so a block's slab is its address rounded down.  A
 * slab starts with its header; its blocks follow, handed out from the
 * freed ones (linked through their first word) first, then from the
 * never-used rest.  A slab with a block to give is on its class's partial
 * list.  When its last block is freed, a slab that is not the only
 * partial one of its class gives its pages back (MADV_DONTNEED: they read
 * as zeros when touched again) and waits on the empty stack for a class.
 *
 * Under AddressSanitizer, blocks not allocated are poisoned, so a use
 * after slab_free is caught as it is with malloc.
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE		/* MAP_ANONYMOUS, madvise */
#endif

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "slab.h"

#define SLAB_BYTES	(64u << 10)
#define SLAB_CHUNK	(4u << 20)

#if defined(__SANITIZE_ADDRESS__)
#define SLAB_ASAN	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SLAB_ASAN	1
#endif
#endif
#ifdef SLAB_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n)	ASAN_POISON_MEMORY_REGION(p, n)
#define UNPOISON(p, n)	ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define POISON(p, n)	((void)(p), (void)(n))
#define UNPOISON(p, n)	((void)(p), (void)(n))
#endif

struct slab {
	struct slab	*prev, *next;	/* its class's partial list */
	void		*free;		/* freed blocks */
	uint32_t	 used;		/* blocks allocated */
	uint32_t	 fresh;		/* offset of the first never used */
	uint32_t	 size;		/* of its blocks */
	bool		 listed;	/* on the partial list */
};

#define SLAB_HDR	((sizeof(struct slab) + SLAB_GRAIN - 1) & \
			    ~(size_t)(SLAB_GRAIN - 1))

struct slab_chunk {
	struct slab_chunk	*next;
	void			*base;	/* SLAB_CHUNK bytes, aligned */
};

static size_t
class_of(size_t size)
{
	return size == 0 ? 0 : (size - 1) / SLAB_GRAIN;
}

static struct slab *
slab_of(const void *p)
{
	return (struct slab *)((uintptr_t)p & ~(uintptr_t)(SLAB_BYTES - 1));
}

static void
list_push(struct slab_pool *pool, size_t cls, struct slab *s)
{
	s->prev = NULL;
	s->next = pool->partial[cls];
	if (s->next != NULL)
		s->next->prev = s;
	pool->partial[cls] = s;
	s->listed = true;
}

static void
list_remove(struct slab_pool *pool, size_t cls, struct slab *s)
{
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		pool->partial[cls] = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	s->prev = s->next = NULL;
	s->listed = false;
}

/* A new chunk to carve slabs from; -1 when out of memory. */
static int
chunk_map(struct slab_pool *pool)
{
	struct slab_chunk *c = malloc(sizeof(*c));
	size_t len = SLAB_CHUNK + SLAB_BYTES, head;
	char *m;

	if (c == NULL)
		return -1;
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		free(c);
		return -1;
	}
	/* Keep the SLAB_BYTES-aligned SLAB_CHUNK inside; unmap the rest. */
	head = (SLAB_BYTES - (uintptr_t)m % SLAB_BYTES) % SLAB_BYTES;
	if (head > 0)
		munmap(m, head);
	munmap(m + head + SLAB_CHUNK, SLAB_BYTES - head);
	c->base = m + head;
	c->next = pool->chunks;
	pool->chunks = c;
	pool->carved = 0;
	return 0;
}

/* A slab for class cls, on its partial list; NULL when out of memory. */
static struct slab *
slab_new(struct slab_pool *pool, size_t cls)
{
	struct slab *s;

	if (pool->n_empty > 0)
		s = pool->empty[--pool->n_empty];
	else {
		if ((pool->chunks == NULL || pool->carved == SLAB_CHUNK) &&
		    chunk_map(pool) < 0)
			return NULL;
		s = (struct slab *)(void *)((char *)pool->chunks->base +
		    pool->carved);
		pool->carved += SLAB_BYTES;
	}
	memset(s, 0, sizeof(*s));
	s->size = (uint32_t)((cls + 1) * SLAB_GRAIN);
	s->fresh = (uint32_t)SLAB_HDR;
	POISON((char *)s + SLAB_HDR, SLAB_BYTES - SLAB_HDR);
	list_push(pool, cls, s);
	return s;
}

/*
 * Empty slab s leaves its class: its pages go back to the system and it
 * waits for reuse.  Kept as it is when the stack cannot grow.
 */
static void
give_back(struct slab_pool *pool, size_t cls, struct slab *s)
{
	if (pool->n_empty == pool->cap_empty) {
		size_t cap = pool->cap_empty ? pool->cap_empty * 2 : 64;
		struct slab **v = realloc(pool->empty, cap * sizeof(*v));

		if (v == NULL)
			return;
		pool->empty = v;
		pool->cap_empty = cap;
	}
	list_remove(pool, cls, s);
	madvise(s, SLAB_BYTES, MADV_DONTNEED);
	pool->empty[pool->n_empty++] = s;
}

void *
slab_alloc(struct slab_pool *pool, size_t size)
{
	size_t cls = class_of(size);
	struct slab *s;
	char *b;

	if (size > SLAB_MAX_BLOCK)
		return malloc(size);
	if ((s = pool->partial[cls]) == NULL &&
	    (s = slab_new(pool, cls)) == NULL)
		return NULL;
	if (s->free != NULL) {
		b = s->free;
		UNPOISON(b, s->size);
		memcpy(&s->free, b, sizeof(s->free));
	} else {
		b = (char *)s + s->fresh;
		s->fresh += s->size;
		UNPOISON(b, s->size);
	}
	s->used++;
	if (s->free == NULL && s->fresh + s->size > SLAB_BYTES)
		list_remove(pool, cls, s);	/* full */
	return b;
}

void
slab_free(struct slab_pool *pool, void *p, size_t size)
{
	size_t cls = class_of(size);
	struct slab *s;

	if (p == NULL)
		return;
	if (size > SLAB_MAX_BLOCK) {
		free(p);
		return;
	}
	s = slab_of(p);
	memcpy(p, &s->free, sizeof(s->free));
	s->free = p;
	POISON(p, s->size);
	s->used--;
	if (!s->listed)
		list_push(pool, cls, s);
	/* The class keeps one partial slab, so that it does not churn. */
	if (s->used == 0 && (pool->partial[cls] != s || s->next != NULL))
		give_back(pool, cls, s);
}

void *
slab_realloc(struct slab_pool *pool, void *p, size_t old, size_t size)
{
	void *q;

	if (p == NULL)
		return size > 0 ? slab_alloc(pool, size) : NULL;
	if (size == 0) {
		slab_free(pool, p, old);
		return NULL;
	}
	if (old > SLAB_MAX_BLOCK && size > SLAB_MAX_BLOCK)
		return realloc(p, size);
	if (old <= SLAB_MAX_BLOCK && size <= SLAB_MAX_BLOCK &&
	    class_of(old) == class_of(size))
		return p;
	if ((q = slab_alloc(pool, size)) == NULL)
		return NULL;
	memcpy(q, p, old < size ? old : size);
	slab_free(pool, p, old);
	return q;
}

void
slab_pool_free(struct slab_pool *pool)
{
	struct slab_chunk *c, *next;

	for (c = pool->chunks; c != NULL; c = next) {
		next = c->next;
		/* The range may be mapped again: no poison may stay on it. */
		UNPOISON(c->base, SLAB_CHUNK);
		munmap(c->base, SLAB_CHUNK);
		free(c);
	}
	free(pool->empty);
	memset(pool, 0, sizeof(*pool));
}
