/* SPDX-License-Identifier: Apache-2.0 */
/*
 * avro_scan.c: Avro binary encoding, read through the cursor.
 */
#include "avro_scan.h"

#include <stdlib.h>
#include <string.h>

#define SCAN_MAX_DEPTH	32

static struct bf_scan_node *
compile(avro_schema_t s, int depth)
{
	struct bf_scan_node *n;
	size_t count = 0;

	if (depth > SCAN_MAX_DEPTH || (n = calloc(1, sizeof(*n))) == NULL)
		return NULL;
	while (avro_typeof(s) == AVRO_LINK)
		s = avro_schema_link_target(s);
	n->schema = s;
	switch (avro_typeof(s)) {
	case AVRO_NULL:
		n->kind = BF_SCAN_NULL;
		n->empty = true;
		return n;
	case AVRO_BOOLEAN:
		n->kind = BF_SCAN_BOOL;
		return n;
	case AVRO_INT32:
	case AVRO_INT64:
	case AVRO_ENUM:
		n->kind = BF_SCAN_INT;
		return n;
	case AVRO_FLOAT:
		n->kind = BF_SCAN_FLOAT;
		return n;
	case AVRO_DOUBLE:
		n->kind = BF_SCAN_DOUBLE;
		return n;
	case AVRO_STRING:
	case AVRO_BYTES:
		n->kind = BF_SCAN_BYTES;
		return n;
	case AVRO_FIXED:
		n->kind = BF_SCAN_FIXED;
		n->size = (size_t)avro_schema_fixed_size(s);
		n->empty = n->size == 0;
		return n;
	case AVRO_ARRAY:
		n->kind = BF_SCAN_ARRAY;
		count = 1;
		break;
	case AVRO_MAP:
		n->kind = BF_SCAN_MAP;
		count = 1;
		break;
	case AVRO_UNION:
		n->kind = BF_SCAN_UNION;
		count = avro_schema_union_size(s);
		break;
	case AVRO_RECORD:
		n->kind = BF_SCAN_RECORD;
		count = avro_schema_record_size(s);
		break;
	default:
		free(n);
		return NULL;
	}
	if ((n->child = calloc(count ? count : 1, sizeof(*n->child))) == NULL) {
		free(n);
		return NULL;
	}
	n->n = count;
	n->empty = n->kind == BF_SCAN_RECORD;
	for (size_t i = 0; i < count; i++) {
		avro_schema_t c = n->kind == BF_SCAN_ARRAY ?
		    avro_schema_array_items(s) : n->kind == BF_SCAN_MAP ?
		    avro_schema_map_values(s) : n->kind == BF_SCAN_UNION ?
		    avro_schema_union_branch(s, (int)i) :
		    avro_schema_record_field_get_by_index(s, (int)i);

		if ((n->child[i] = compile(c, depth + 1)) == NULL) {
			bf_scan_free(n);
			return NULL;
		}
		n->empty &= n->child[i]->empty;
	}
	return n;
}

struct bf_scan_node *
bf_scan_compile(avro_schema_t schema)
{
	return compile(schema, 0);
}

void
bf_scan_free(struct bf_scan_node *n)
{
	if (n == NULL)
		return;
	for (size_t i = 0; i < n->n; i++)
		bf_scan_free(n->child[i]);
	free(n->child);
	free(n);
}

int
bf_scan_bytes(struct bf_cur *c, const uint8_t **p, size_t *len)
{
	struct bf_cur save = *c;
	int64_t n;

	if (bf_scan_long(c, &n) < 0 || n < 0 ||
	    cur_get_ptr(c, (size_t)n, p) < 0) {
		*c = save;
		return -1;
	}
	*len = (size_t)n;
	return 0;
}

int
bf_scan_real(const struct bf_scan_node *n, struct bf_cur *c, double *out)
{
	size_t width = n->kind == BF_SCAN_FLOAT ? 4 : 8;
	const uint8_t *p;
	uint64_t bits = 0;

	if ((n->kind != BF_SCAN_FLOAT && n->kind != BF_SCAN_DOUBLE) ||
	    cur_get_ptr(c, width, &p) < 0)
		return -1;
	for (size_t i = width; i-- > 0;)
		bits = bits << 8 | p[i];
	if (width == 4) {
		uint32_t b32 = (uint32_t)bits;
		float f;

		memcpy(&f, &b32, sizeof(f));
		*out = f;
	} else {
		memcpy(out, &bits, sizeof(*out));
	}
	return 0;
}

const struct bf_scan_node *
bf_scan_branch(const struct bf_scan_node *n, struct bf_cur *c)
{
	int64_t b;

	if (n->kind != BF_SCAN_UNION)
		return n;
	if (bf_scan_long(c, &b) < 0 || b < 0 || (uint64_t)b >= n->n)
		return NULL;
	return n->child[b];
}

int
bf_scan_block(struct bf_cur *c, int64_t *count)
{
	int64_t size;

	if (bf_scan_long(c, count) < 0)
		return -1;
	if (*count < 0) {
		if (*count == INT64_MIN || bf_scan_long(c, &size) < 0)
			return -1;
		*count = -*count;
	}
	return 0;
}

/*
 * An array or map item: numbers (an AS path) and strings (communities)
 * read here, without a call per item.
 */
static inline int
skip_item(const struct bf_scan_node *n, struct bf_cur *c)
{
	const uint8_t *p;
	int64_t x;
	size_t len;

	if (n->kind == BF_SCAN_INT)
		return bf_scan_long(c, &x);
	if (n->kind == BF_SCAN_BYTES)
		return bf_scan_bytes(c, &p, &len);
	return bf_scan_skip(n, c);
}

int
bf_scan_skip(const struct bf_scan_node *n, struct bf_cur *c)
{
	const uint8_t *p;
	int64_t x;
	size_t len;

	switch (n->kind) {
	case BF_SCAN_NULL:
		return 0;
	case BF_SCAN_BOOL:
		return cur_skip(c, 1);
	case BF_SCAN_INT:
		return bf_scan_long(c, &x);
	case BF_SCAN_FLOAT:
		return cur_skip(c, 4);
	case BF_SCAN_DOUBLE:
		return cur_skip(c, 8);
	case BF_SCAN_BYTES:
		return bf_scan_bytes(c, &p, &len);
	case BF_SCAN_FIXED:
		return cur_skip(c, n->size);
	case BF_SCAN_UNION:
		return (n = bf_scan_branch(n, c)) == NULL ? -1 :
		    bf_scan_skip(n, c);
	case BF_SCAN_RECORD:
		for (size_t i = 0; i < n->n; i++)
			if (bf_scan_skip(n->child[i], c) < 0)
				return -1;
		return 0;
	case BF_SCAN_ARRAY:
	case BF_SCAN_MAP:
		for (;;) {
			if (bf_scan_block(c, &x) < 0)
				return -1;
			if (x == 0)
				return 0;
			if (n->kind == BF_SCAN_ARRAY && n->child[0]->empty)
				continue;
			/* Every item takes at least a byte: no runaway loop. */
			if ((uint64_t)x > cur_len(c))
				return -1;
			while (x-- > 0)
				if ((n->kind == BF_SCAN_MAP &&
				    bf_scan_bytes(c, &p, &len) < 0) ||
				    skip_item(n->child[0], c) < 0)
					return -1;
		}
	}
	return -1;
}
