/* SPDX-License-Identifier: Apache-2.0 */
/*
 * avro_scan.h: the one Avro reader: Avro binary data (the body of a
 * single-object record) read straight from the bytes, through the
 * bounds-checked cursor, with a schema compiled once into a tree of scan
 * nodes.  The hot path of bmpflow-processor reads the few route fields
 * plugins get and skips the rest; bmpflow-tail walks every field to
 * print it.  Neither materialises values as avro-c does.
 */
#ifndef BF_AVRO_SCAN_H
#define BF_AVRO_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <avro.h>

#include "core/cursor.h"

enum bf_scan_kind {
	BF_SCAN_NULL, BF_SCAN_BOOL, BF_SCAN_INT, BF_SCAN_FLOAT,
	BF_SCAN_DOUBLE, BF_SCAN_BYTES, BF_SCAN_FIXED, BF_SCAN_ARRAY,
	BF_SCAN_MAP, BF_SCAN_UNION, BF_SCAN_RECORD,
};

struct bf_scan_node {
	enum bf_scan_kind	  kind;	/* int, long and enum are BF_SCAN_INT;
					 * string and bytes BF_SCAN_BYTES */
	size_t			  size;	/* fixed */
	bool			  empty;	/* always encoded in 0 bytes */
	size_t			  n;
	struct bf_scan_node	**child;	/* fields, branches, items */
	avro_schema_t		  schema;	/* borrowed, link resolved: field
						 * names, enum symbols, the exact
						 * type for a printer */
};

/* Compile schema.  NULL when out of memory or nested too deep. */
struct bf_scan_node	*bf_scan_compile(avro_schema_t schema);
void			 bf_scan_free(struct bf_scan_node *n);

/*
 * A zigzag varint (int, long, enum, union branch, block count).  Inline:
 * it is read for every number and union branch of every record.
 */
static inline int
bf_scan_long(struct bf_cur *c, int64_t *out)
{
	struct bf_cur save = *c;
	uint64_t v = 0;
	uint8_t b;

	/* Most (union branches, enums, counts, small numbers) take a byte. */
	if (cur_peek_u8(c, 0, &b) == 0 && b < 0x80) {
		cur_skip(c, 1);
		*out = (int64_t)(b >> 1) ^ -(int64_t)(b & 1);
		return 0;
	}
	for (int shift = 0; shift < 64; shift += 7) {
		if (cur_get_u8(c, &b) < 0)
			break;
		v |= (uint64_t)(b & 0x7f) << shift;
		if ((b & 0x80) == 0) {
			*out = (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
			return 0;
		}
	}
	*c = save;
	return -1;
}

/* A float or double value (as n's kind says), little-endian IEEE 754. */
int	bf_scan_real(const struct bf_scan_node *n, struct bf_cur *c,
	    double *out);
/* A string or bytes value, borrowed from the buffer. */
int	bf_scan_bytes(struct bf_cur *c, const uint8_t **p, size_t *len);
/* Step over one value of node n. */
int	bf_scan_skip(const struct bf_scan_node *n, struct bf_cur *c);
/*
 * Resolve a union: the branch's node after reading its index, or the
 * node itself when it is not a union.  NULL on bad data.
 */
const struct bf_scan_node *bf_scan_branch(const struct bf_scan_node *n,
	    struct bf_cur *c);
/*
 * Arrays and maps come in blocks: the next block's item count (0 ends
 * the value).  Skippable blocks (negative counts) carry a byte size,
 * which is read and ignored.
 */
int	bf_scan_block(struct bf_cur *c, int64_t *count);

#endif /* BF_AVRO_SCAN_H */
