/* SPDX-License-Identifier: Apache-2.0 */
/*
 * record_format.c: record headers, Avro ↔ JSON, and the reader of all
 * three formats.
 */
#include "core/record_format.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/avro_json.h"
#include "core/log.h"

const char *const bf_format_names[] = { "avro", "avro-confluent", "json",
    NULL };

enum bf_format
bf_format_of(const char *name)
{
	for (int f = 0; bf_format_names[f] != NULL; f++)
		if (strcmp(name, bf_format_names[f]) == 0)
			return (enum bf_format)f;
	return BF_FORMAT_AVRO;
}

/* fopencookie's write: append to the text buffer. */
static ssize_t
text_write(void *cookie, const char *p, size_t n)
{
	struct bf_json_text *jt = cookie;

	bf_avro_raw(&jt->buf, p, n);
	return bf_avro_failed(&jt->buf) ? -1 : (ssize_t)n;
}

static int
json_text_open(struct bf_json_text *jt)
{
	memset(jt, 0, sizeof(*jt));
	jt->f = fopencookie(jt, "w", (cookie_io_functions_t){
	    .write = text_write });
	return jt->f == NULL ? -1 : 0;
}

static void
json_text_close(struct bf_json_text *jt)
{
	if (jt->f != NULL)
		fclose(jt->f);
	bf_avro_free(&jt->buf);
	memset(jt, 0, sizeof(*jt));
}

int
bf_record_writer_init(struct bf_record_writer *w, const struct bf_schema *s,
    enum bf_format f, uint32_t registry_id)
{
	memset(w, 0, sizeof(*w));
	w->format = f;
	w->registry_id = registry_id;
	if (f != BF_FORMAT_JSON)
		return 0;
	if (json_text_open(&w->json) < 0 ||
	    (w->json_scan = bf_scan_compile(s->schema)) == NULL) {
		bf_record_writer_free(w);
		return -1;
	}
	return 0;
}

void
bf_record_writer_free(struct bf_record_writer *w)
{
	if (w->json_scan != NULL)
		bf_scan_free(w->json_scan);
	json_text_close(&w->json);
	memset(w, 0, sizeof(*w));
}

int
bf_record_registry_id(struct bf_registry *reg, const char *topic,
    const struct bf_schema *s, uint32_t *id, char *err, size_t errlen)
{
	char why[768];

	if (bf_registry_register_topic(reg, topic, s->text, id, why,
	    sizeof(why)) < 0) {
		snprintf(err, errlen, "topic %s, schema %s.avsc: %s", topic,
		    s->name, why);
		return -1;
	}
	bf_log(BF_LOG_INFO, "schema %s registered as %s-value, id %" PRIu32,
	    s->name, topic, *id);
	return 0;
}

int
bf_record_writer_finish(struct bf_record_writer *w, const struct bf_schema *s,
    struct bf_avro_buf *b, const uint8_t **value, size_t *len)
{
	const size_t at = BF_SINGLE_OBJECT_HDR - BF_CONFLUENT_HDR;
	struct bf_cur body, check;

	if (bf_avro_failed(b))
		return -1;
	switch (w->format) {
	case BF_FORMAT_AVRO:
		bf_schema_header(s, b->p);
		*value = b->p;
		*len = b->len;
		return 0;
	case BF_FORMAT_CONFLUENT:
		/* The shorter header ends where the body starts. */
		b->p[at] = 0;
		for (int i = 0; i < 4; i++)
			b->p[at + 1 + i] = (uint8_t)(w->registry_id >>
			    (24 - 8 * i));
		*value = b->p + at;
		*len = b->len - at;
		return 0;
	case BF_FORMAT_JSON:
		break;
	}
	body = check = cur_make(b->p + BF_SINGLE_OBJECT_HDR,
	    b->len - BF_SINGLE_OBJECT_HDR);
	if (bf_scan_skip(w->json_scan, &check) < 0 || cur_len(&check) != 0)
		return -1;
	bf_avro_reset(&w->json.buf);
	if (bf_avro_json_value(w->json.f, w->json_scan, &body) < 0 ||
	    fflush(w->json.f) != 0 || bf_avro_failed(&w->json.buf))
		return -1;
	*value = w->json.buf.p;
	*len = w->json.buf.len;
	return 0;
}

/* JSON → Avro: where in the record, for errors. */
struct j2a {
	struct bf_avro_buf	*out;
	char			*err;
	size_t			 errlen;
	const char		*field;
};

static int
j2a_fail(struct j2a *w, const char *what, const struct bf_scan_node *n)
{
	const char *type = avro_schema_type_name(n->schema);

	snprintf(w->err, w->errlen, "field '%s': expected %s (%s)",
	    w->field ? w->field : "(record)", what, type ? type : "?");
	return -1;
}

static int	j2a_value(struct j2a *w, const struct bf_scan_node *n,
		    json_t *v);

static int
hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Hex text (bytes, fixed) → raw bytes; -1 when not even-length hex. */
static int
j2a_hex(struct j2a *w, const char *s, size_t len, bool with_length)
{
	if (len % 2 != 0)
		return -1;
	if (with_length)
		bf_avro_long(w->out, (int64_t)(len / 2));
	for (size_t i = 0; i < len; i += 2) {
		int hi = hex_nibble(s[i]), lo = hex_nibble(s[i + 1]);
		uint8_t byte = (uint8_t)(hi << 4 | lo);

		if (hi < 0 || lo < 0)
			return -1;
		bf_avro_raw(w->out, &byte, 1);
	}
	return 0;
}

static int
j2a_union(struct j2a *w, const struct bf_scan_node *n, json_t *v)
{
	size_t start = w->out->len;

	/* null takes the null branch; anything else the first that fits. */
	for (size_t i = 0; i < n->n; i++) {
		bool is_null = n->child[i]->kind == BF_SCAN_NULL;

		if (is_null != json_is_null(v))
			continue;
		bf_avro_long(w->out, (int64_t)i);
		if (j2a_value(w, n->child[i], v) == 0)
			return 0;
		w->out->len = start;
	}
	return j2a_fail(w, json_is_null(v) ? "a value, not null" :
	    "a value of one of the union's types", n);
}

static int
j2a_record(struct j2a *w, const struct bf_scan_node *n, json_t *v)
{
	const char *outer = w->field;

	if (!json_is_object(v))
		return j2a_fail(w, "an object", n);
	for (size_t i = 0; i < n->n; i++) {
		const char *name = avro_schema_record_field_name(n->schema,
		    (int)i);
		json_t *f = json_object_get(v, name);

		w->field = name;
		/* A field left out is null, where its type allows that. */
		if (j2a_value(w, n->child[i], f ? f : json_null()) < 0)
			return -1;
	}
	w->field = outer;
	return 0;
}

static int
j2a_items(struct j2a *w, const struct bf_scan_node *n, json_t *v)
{
	const char *key;
	json_t *item;
	size_t i;

	if (n->kind == BF_SCAN_ARRAY ? !json_is_array(v) : !json_is_object(v))
		return j2a_fail(w, n->kind == BF_SCAN_ARRAY ? "an array" :
		    "an object (a map)", n);
	if (json_is_array(v) ? json_array_size(v) : json_object_size(v))
		bf_avro_long(w->out, (int64_t)(json_is_array(v) ?
		    json_array_size(v) : json_object_size(v)));
	if (json_is_array(v)) {
		json_array_foreach(v, i, item)
			if (j2a_value(w, n->child[0], item) < 0)
				return -1;
	} else {
		json_object_foreach(v, key, item) {
			bf_avro_bytes(w->out, key, strlen(key));
			if (j2a_value(w, n->child[0], item) < 0)
				return -1;
		}
	}
	bf_avro_long(w->out, 0);
	return 0;
}

static int
j2a_value(struct j2a *w, const struct bf_scan_node *n, json_t *v)
{
	avro_type_t t = avro_typeof(n->schema);
	json_int_t i;
	int sym;

	switch (n->kind) {
	case BF_SCAN_NULL:
		return json_is_null(v) ? 0 : j2a_fail(w, "null", n);
	case BF_SCAN_BOOL:
		if (!json_is_boolean(v))
			return j2a_fail(w, "true or false", n);
		bf_avro_bool(w->out, json_is_true(v));
		return 0;
	case BF_SCAN_INT:
		if (t == AVRO_ENUM) {
			sym = json_is_string(v) ? avro_schema_enum_get_by_name(
			    n->schema, json_string_value(v)) : -1;
			if (sym < 0)
				return j2a_fail(w, "one of the enum's symbols",
				    n);
			bf_avro_long(w->out, sym);
			return 0;
		}
		if (!json_is_integer(v))
			return j2a_fail(w, "an integer", n);
		i = json_integer_value(v);
		if (t == AVRO_INT32 && (i < INT32_MIN || i > INT32_MAX))
			return j2a_fail(w, "a 32-bit integer", n);
		bf_avro_long(w->out, i);
		return 0;
	case BF_SCAN_FLOAT:
	case BF_SCAN_DOUBLE:
		if (!json_is_number(v))
			return j2a_fail(w, "a number", n);
		if (n->kind == BF_SCAN_FLOAT)
			bf_avro_float(w->out, (float)json_number_value(v));
		else
			bf_avro_double(w->out, json_number_value(v));
		return 0;
	case BF_SCAN_BYTES:
		if (!json_is_string(v))
			return j2a_fail(w, t == AVRO_STRING ? "a string" :
			    "hex text", n);
		if (t == AVRO_STRING) {
			bf_avro_bytes(w->out, json_string_value(v),
			    json_string_length(v));
			return 0;
		}
		return j2a_hex(w, json_string_value(v), json_string_length(v),
		    true) < 0 ? j2a_fail(w, "hex text", n) : 0;
	case BF_SCAN_FIXED:
		if (!json_is_string(v) || json_string_length(v) != 2 * n->size ||
		    j2a_hex(w, json_string_value(v), json_string_length(v),
		    false) < 0)
			return j2a_fail(w, "hex text of the fixed size", n);
		return 0;
	case BF_SCAN_UNION:
		return j2a_union(w, n, v);
	case BF_SCAN_RECORD:
		return j2a_record(w, n, v);
	case BF_SCAN_ARRAY:
	case BF_SCAN_MAP:
		return j2a_items(w, n, v);
	}
	return j2a_fail(w, "a known type", n);
}

int
bf_json_to_avro(const uint8_t *text, size_t len, const struct bf_scan_node *n,
    struct bf_avro_buf *out, char *err, size_t errlen)
{
	struct j2a w = { out, err, errlen, NULL };
	json_error_t jerr;
	json_t *v;
	int rc;

	bf_avro_reset(out);
	v = json_loadb((const char *)text, len, JSON_DECODE_ANY, &jerr);
	if (v == NULL) {
		snprintf(err, errlen, "not JSON: %s at byte %d", jerr.text,
		    jerr.position);
		return -1;
	}
	rc = j2a_value(&w, n, v);
	json_decref(v);
	if (rc == 0 && bf_avro_failed(out)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return rc;
}

/* Index of the schema of fingerprint fp among r's, or -1. */
static int
schema_of(const struct bf_record_reader *r, uint64_t fp)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->schemas[i]->fingerprint == fp)
			return (int)i;
	return -1;
}

/* An avro-confluent record's schema, through the registry, kept. */
static int
schema_of_id(struct bf_record_reader *r, uint32_t id, char *err,
    size_t errlen)
{
	uint64_t fp;
	int k;

	if (r->last_id_schema > 0 && r->last_id == id)
		return r->last_id_schema - 1;
	if (r->registry == NULL) {
		snprintf(err, errlen, "avro-confluent record of schema id %"
		    PRIu32 ": reading it needs schema-registry-url", id);
		return -1;
	}
	if (bf_registry_fingerprint(r->registry, id, &fp, err, errlen) < 0)
		return -1;
	if ((k = schema_of(r, fp)) < 0) {
		snprintf(err, errlen, "avro-confluent record of schema id %"
		    PRIu32 ": its fingerprint %016" PRIx64 " is no schema of "
		    "this program's schema directory", id, fp);
		return -1;
	}
	r->last_id = id;
	r->last_id_schema = k + 1;
	return k;
}

int
bf_record_read(struct bf_record_reader *r, const uint8_t *p, size_t n,
    int json_schema, struct bf_cur *body, char *err, size_t errlen)
{
	struct bf_cur c;
	char why[256];
	uint8_t first = 0;
	uint64_t fp;
	uint32_t id;
	int k;

	if (bf_single_object_fingerprint(p, n, &fp) == 0) {
		if ((k = schema_of(r, fp)) < 0)
			snprintf(err, errlen, "unknown schema fingerprint %016"
			    PRIx64, fp);
		else
			*body = cur_make(p + BF_SINGLE_OBJECT_HDR,
			    n - BF_SINGLE_OBJECT_HDR);
		return k;
	}
	c = cur_make(p, n);
	if (cur_get_u8(&c, &first) == 0 && first == 0) {
		if (cur_get_u32(&c, &id) < 0) {
			snprintf(err, errlen, "avro-confluent record cut "
			    "short in its header");
			return -1;
		}
		if ((k = schema_of_id(r, id, err, errlen)) >= 0)
			*body = c;
		return k;
	}
	/* JSON: an object, maybe after white space. */
	c = cur_make(p, n);
	while (cur_get_u8(&c, &first) == 0 && strchr(" \t\r\n", first) &&
	    first != '\0')
		;
	if (first != '{') {
		snprintf(err, errlen, "not a record of format avro, "
		    "avro-confluent or json (first byte 0x%02x)", n ? p[0] : 0);
		return -1;
	}
	if (json_schema == BF_RECORD_ANY_SCHEMA) {
		/* The first schema's error tells: most records are of it. */
		for (k = 0; (size_t)k < r->n; k++)
			if (bf_json_to_avro(p, n, r->scans[k], &r->json_body,
			    k == 0 ? err : why, k == 0 ? errlen : sizeof(why))
			    == 0)
				break;
		if ((size_t)k == r->n)
			k = -1;
		json_schema = k;
		if (json_schema < 0)
			return -1;
	} else if (json_schema < 0 || (size_t)json_schema >= r->n) {
		snprintf(err, errlen, "a JSON record where no schema is known "
		    "for the topic");
		return -1;
	} else if (bf_json_to_avro(p, n, r->scans[json_schema], &r->json_body,
	    err, errlen) < 0) {
		return -1;
	}
	*body = cur_make(r->json_body.p, r->json_body.len);
	return json_schema;
}

void
bf_record_reader_free(struct bf_record_reader *r)
{
	bf_avro_free(&r->json_body);
	r->json_body = (struct bf_avro_buf){ 0 };
}

int
bf_record_topic_schema(const struct bf_record_reader *r, const char *topic)
{
	size_t len = strlen(topic), word;
	const char *state = ".state";

	if (len > strlen(state) && strcmp(topic + len - strlen(state),
	    state) == 0)
		len -= strlen(state);
	for (word = len; word > 0 && topic[word - 1] != '.'; word--)
		;
	for (size_t i = 0; i < r->n; i++)
		if (strlen(r->schemas[i]->name) == len - word &&
		    memcmp(r->schemas[i]->name, topic + word, len - word) == 0)
			return (int)i;
	return -1;
}
