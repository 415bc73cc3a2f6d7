/* SPDX-License-Identifier: Apache-2.0 */
/*
 * avro_json.c: an Avro value as plain JSON, walked with the scan nodes.
 */
#include "core/avro_json.h"

#include <inttypes.h>
#include <stdbool.h>
#include <string.h>

#include "core/json_write.h"

/* A record's field name. */
static const char *
field_name(const struct bf_scan_node *n, size_t i)
{
	return avro_schema_record_field_name(n->schema, (int)i);
}

static void
json_hex(FILE *f, const uint8_t *p, size_t n)
{
	fputc('"', f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", p[i]);
	fputc('"', f);
}

/* Items of an array (keys NULL) or map, blocks read as they come. */
static int
json_items(FILE *f, const struct bf_scan_node *n, struct bf_cur *c);

/*
 * One value of node n read from c, as plain JSON: unions print their
 * value, bytes and fixed hex text, enums their symbol.  0, or -1 on bad
 * data (the caller has checked the record whole before printing).
 */
int
bf_avro_json_value(FILE *f, const struct bf_scan_node *n, struct bf_cur *c)
{
	const uint8_t *p;
	size_t len;
	int64_t v;
	double d;
	uint8_t b;

	switch (n->kind) {
	case BF_SCAN_NULL:
		fputs("null", f);
		return 0;
	case BF_SCAN_BOOL:
		if (cur_get_u8(c, &b) < 0)
			return -1;
		fputs(b ? "true" : "false", f);
		return 0;
	case BF_SCAN_INT:
		if (bf_scan_long(c, &v) < 0)
			return -1;
		if (avro_typeof(n->schema) == AVRO_ENUM) {
			const char *sym = avro_schema_enum_get(n->schema,
			    (int)v);

			if (sym == NULL)
				return -1;
			bf_json_escape(f, sym, strlen(sym));
		} else {
			fprintf(f, "%" PRId64, v);
		}
		return 0;
	case BF_SCAN_FLOAT:
	case BF_SCAN_DOUBLE:
		if (bf_scan_real(n, c, &d) < 0)
			return -1;
		fprintf(f, n->kind == BF_SCAN_FLOAT ? "%.9g" : "%.17g", d);
		return 0;
	case BF_SCAN_BYTES:
		if (bf_scan_bytes(c, &p, &len) < 0)
			return -1;
		if (avro_typeof(n->schema) == AVRO_STRING)
			bf_json_escape(f, p, len);
		else
			json_hex(f, p, len);
		return 0;
	case BF_SCAN_FIXED:
		if (cur_get_ptr(c, n->size, &p) < 0)
			return -1;
		json_hex(f, p, n->size);
		return 0;
	case BF_SCAN_UNION:
		return (n = bf_scan_branch(n, c)) == NULL ? -1 :
		    bf_avro_json_value(f, n, c);
	case BF_SCAN_RECORD:
		fputc('{', f);
		for (size_t i = 0; i < n->n; i++) {
			const char *name = field_name(n, i);

			if (i)
				fputc(',', f);
			bf_json_escape(f, name, strlen(name));
			fputc(':', f);
			if (bf_avro_json_value(f, n->child[i], c) < 0)
				return -1;
		}
		fputc('}', f);
		return 0;
	case BF_SCAN_ARRAY:
	case BF_SCAN_MAP:
		return json_items(f, n, c);
	}
	return -1;
}

static int
json_items(FILE *f, const struct bf_scan_node *n, struct bf_cur *c)
{
	bool map = n->kind == BF_SCAN_MAP, first = true;
	const uint8_t *key;
	size_t key_len;
	int64_t count;

	fputc(map ? '{' : '[', f);
	do {
		if (bf_scan_block(c, &count) < 0)
			return -1;
		for (int64_t i = 0; i < count; i++) {
			if (!first)
				fputc(',', f);
			first = false;
			if (map) {
				if (bf_scan_bytes(c, &key, &key_len) < 0)
					return -1;
				bf_json_escape(f, key, key_len);
				fputc(':', f);
			}
			if (bf_avro_json_value(f, n->child[0], c) < 0)
				return -1;
		}
	} while (count != 0);
	fputc(map ? '}' : ']', f);
	return 0;
}

