/* SPDX-License-Identifier: Apache-2.0 */
/*
 * avro_write.h: Avro binary encoding (Avro specification, "Binary
 * Encoding") into a growable buffer, without avro-c values: the one writer
 * of the collector's records and the processor's plugin outputs.
 *
 *   long, int, enum index, union branch   zigzag varint, 1..10 bytes
 *   boolean                               one byte, 0 or 1
 *   float, double                         IEEE 754, little-endian
 *   bytes, string                         long length, then the bytes
 *   array                                 long count, items, long 0
 *
 * A write that cannot get memory marks the buffer failed and writes
 * nothing more; callers check bf_avro_failed() once, at the end.
 */
#ifndef BF_AVRO_WRITE_H
#define BF_AVRO_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define BF_AVRO_VARINT_MAX	10

struct bf_avro_buf {
	uint8_t	*p;
	size_t	 len, cap;
	bool	 failed;
};

/*
 * Make room for n more bytes; 0, or -1 (and failed) when out of memory.
 * The slow path of bf_avro_reserve().
 */
int	bf_avro_grow(struct bf_avro_buf *b, size_t n);
void	bf_avro_free(struct bf_avro_buf *b);

static inline int
bf_avro_reserve(struct bf_avro_buf *b, size_t n)
{
	return b->cap - b->len >= n ? 0 : bf_avro_grow(b, n);
}

/* Empty the buffer, keeping its memory. */
static inline void
bf_avro_reset(struct bf_avro_buf *b)
{
	b->len = 0;
	b->failed = false;
}

static inline bool
bf_avro_failed(const struct bf_avro_buf *b)
{
	return b->failed;
}

/* Zigzag varint of v at out; returns its length (at most 10). */
static inline size_t
bf_avro_varint(uint8_t *out, int64_t v)
{
	/* The sign spread over every bit, without shifting a negative. */
	uint64_t z = ((uint64_t)v << 1) ^ (v < 0 ? UINT64_MAX : 0);
	size_t n = 0;

	while (z >= 0x80) {
		out[n++] = (uint8_t)(z | 0x80);
		z >>= 7;
	}
	out[n++] = (uint8_t)z;
	return n;
}

/* long, int, enum symbol index, union branch, array count. */
static inline void
bf_avro_long(struct bf_avro_buf *b, int64_t v)
{
	if (bf_avro_reserve(b, BF_AVRO_VARINT_MAX) == 0)
		b->len += bf_avro_varint(b->p + b->len, v);
}

static inline void
bf_avro_bool(struct bf_avro_buf *b, bool v)
{
	if (bf_avro_reserve(b, 1) == 0)
		b->p[b->len++] = v;
}

/* n bytes as they are: already encoded Avro, or a fixed. */
static inline void
bf_avro_raw(struct bf_avro_buf *b, const void *p, size_t n)
{
	if (n > 0 && bf_avro_reserve(b, n) == 0) {
		memcpy(b->p + b->len, p, n);
		b->len += n;
	}
}

static inline void
bf_avro_bytes(struct bf_avro_buf *b, const void *p, size_t n)
{
	bf_avro_long(b, (int64_t)n);
	bf_avro_raw(b, p, n);
}

static inline void
bf_avro_str(struct bf_avro_buf *b, const char *s)
{
	bf_avro_bytes(b, s, strlen(s));
}

/* ["null", T] with nothing: branch 0. */
static inline void
bf_avro_null(struct bf_avro_buf *b)
{
	bf_avro_long(b, 0);
}

void	bf_avro_float(struct bf_avro_buf *b, float v);
void	bf_avro_double(struct bf_avro_buf *b, double v);

/*
 * An array whose item count is known only at its end: bf_avro_array_open()
 * returns where its count goes, bf_avro_array_close() puts the count there
 * (none for an empty array) and the closing 0.
 */
size_t	bf_avro_array_open(struct bf_avro_buf *b);
void	bf_avro_array_close(struct bf_avro_buf *b, size_t at, size_t count);

#endif /* BF_AVRO_WRITE_H */
