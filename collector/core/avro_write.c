/* SPDX-License-Identifier: Apache-2.0 */
/*
 * avro_write.c: the out-of-line parts of the Avro binary writer.
 */
#include "avro_write.h"

#include <stdlib.h>

#define AVRO_BUF_INIT	4096

int
bf_avro_grow(struct bf_avro_buf *b, size_t n)
{
	size_t c = b->cap ? b->cap : AVRO_BUF_INIT;
	uint8_t *np;

	if (b->failed)
		return -1;
	if (b->cap - b->len >= n)
		return 0;
	while (c - b->len < n) {
		if (c > SIZE_MAX / 2)
			goto fail;
		c *= 2;
	}
	if ((np = realloc(b->p, c)) == NULL)
		goto fail;
	b->p = np;
	b->cap = c;
	return 0;
fail:
	b->failed = true;
	return -1;
}

void
bf_avro_free(struct bf_avro_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* Avro floats and doubles are little-endian IEEE 754. */
static void
put_le(struct bf_avro_buf *b, uint64_t u, size_t n)
{
	if (bf_avro_reserve(b, n) < 0)
		return;
	for (size_t i = 0; i < n; i++)
		b->p[b->len++] = (uint8_t)(u >> (8 * i));
}

void
bf_avro_float(struct bf_avro_buf *b, float v)
{
	uint32_t u;

	memcpy(&u, &v, sizeof(u));
	put_le(b, u, sizeof(u));
}

void
bf_avro_double(struct bf_avro_buf *b, double v)
{
	uint64_t u;

	memcpy(&u, &v, sizeof(u));
	put_le(b, u, sizeof(u));
}

size_t
bf_avro_array_open(struct bf_avro_buf *b)
{
	return b->len;
}

void
bf_avro_array_close(struct bf_avro_buf *b, size_t at, size_t count)
{
	uint8_t c[BF_AVRO_VARINT_MAX];
	size_t n;

	if (count > 0 && !b->failed) {
		/* The items move up to make room for their count. */
		n = bf_avro_varint(c, (int64_t)count);
		if (bf_avro_reserve(b, n) < 0)
			return;
		memmove(b->p + at + n, b->p + at, b->len - at);
		memcpy(b->p + at, c, n);
		b->len += n;
	}
	bf_avro_long(b, 0);
}
