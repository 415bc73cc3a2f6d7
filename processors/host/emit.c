/* SPDX-License-Identifier: Apache-2.0 */
/*
 * emit.c: bf_emit_* in Avro binary encoding, without avro-c values.
 *
 * Each bf_emit_* encodes its value at once into the record's value area;
 * bf_emit_end writes the fields in schema order, with the null branch or
 * the type's zero for fields the plugin did not set.  A field's id is its
 * index in the schema's record; the plugin asks for ids by name once, at
 * init (bf_field), so no name is looked up per record.
 */
#include "emit.h"
#include "core/avro_write.h"
#include "core/clock.h"
#include "core/log.h"
#include "plugin_metrics.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The kind a schema type maps to; -1 when plugins cannot set it. */
static int
kind_of(avro_schema_t s)
{
	switch (avro_typeof(s)) {
	case AVRO_STRING:
		return BF_OUT_STRING;
	case AVRO_INT32:
	case AVRO_INT64:
		return BF_OUT_LONG;
	case AVRO_DOUBLE:
		return BF_OUT_DOUBLE;
	case AVRO_FLOAT:
		return BF_OUT_FLOAT;
	case AVRO_BOOLEAN:
		return BF_OUT_BOOL;
	case AVRO_ARRAY:
		switch (avro_typeof(avro_schema_array_items(s))) {
		case AVRO_STRING:
			return BF_OUT_STRING_ARRAY;
		case AVRO_INT32:
		case AVRO_INT64:
			return BF_OUT_LONG_ARRAY;
		default:
			return -1;
		}
	default:
		return -1;
	}
}

/* Field i of the output record schema s; 0, or -1 with why. */
static int
field_init(struct bf_out_field *f, avro_schema_t s, size_t i, char *errbuf,
    size_t errlen)
{
	avro_schema_t t = avro_schema_record_field_get_by_index(s, (int)i);
	const char *name = avro_schema_record_field_name(s, (int)i);
	int k = -1;

	if (avro_typeof(t) == AVRO_UNION && avro_schema_union_size(t) == 2) {
		for (int b = 0; b < 2; b++) {
			avro_schema_t bs = avro_schema_union_branch(t, b);

			if (avro_typeof(bs) == AVRO_NULL)
				f->null_branch = b;
			else {
				f->value_branch = b;
				k = kind_of(bs);
			}
		}
		f->nullable = f->null_branch != f->value_branch;
	} else
		k = kind_of(t);
	if (k < 0 || (avro_typeof(t) == AVRO_UNION && !f->nullable)) {
		snprintf(errbuf, errlen, "output schema field %s: a plugin can "
		    "only set strings, numbers, booleans, their arrays and "
		    "[\"null\", one of those]", name);
		return -1;
	}
	f->kind = (enum bf_out_kind)k;
	return (f->name = strdup(name)) == NULL ? -1 : 0;
}

static const struct bf_host_api host_api;

int
bf_host_init(struct bf_host *h, const char *dir, const char *schema,
    bf_emit_sink sink, void *arg, char *errbuf, size_t errlen)
{
	avro_schema_t s;

	memset(h, 0, sizeof(*h));
	h->api = &host_api;
	h->sink = sink;
	h->sink_arg = arg;
	h->log_level = 2;
	if (bf_schema_load(&h->sch, dir, schema, errbuf, errlen) < 0)
		return -1;
	s = h->sch.schema;
	if (avro_typeof(s) != AVRO_RECORD) {
		snprintf(errbuf, errlen, "output schema %s: not a record",
		    schema);
		bf_host_free(h);
		return -1;
	}
	h->n_fields = avro_schema_record_size(s);
	h->fields = calloc(h->n_fields ? h->n_fields : 1, sizeof(*h->fields));
	if (h->fields == NULL) {
		snprintf(errbuf, errlen, "out of memory");
		bf_host_free(h);
		return -1;
	}
	for (size_t i = 0; i < h->n_fields; i++)
		if (field_init(&h->fields[i], s, i, errbuf, errlen) < 0) {
			bf_host_free(h);
			return -1;
		}
	return 0;
}

void
bf_host_free(struct bf_host *h)
{
	for (size_t i = 0; h->fields != NULL && i < h->n_fields; i++)
		free(h->fields[i].name);
	free(h->fields);
	bf_avro_free(&h->vals);
	bf_avro_free(&h->buf);
	bf_record_writer_free(&h->writer);
	if (h->sch.schema != NULL)
		bf_schema_free(&h->sch);
	memset(h, 0, sizeof(*h));
}

static void
outputs_deferred(struct bf_host *h)
{
	h->deferred = true;
}

/*
 * A plugin's line: timestamped and escaped like the host's own (file
 * bytes echoed in an error must not forge lines), and rate-limited per
 * call site (its format), since a plugin may log per record.
 */
static void
host_vlog(struct bf_host *h, int level, const char *fmt, va_list ap)
{
	char msg[1024];

	if (level > h->log_level || level < 0)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	bf_log_limited((enum bf_log_level)level, "plugin", fmt, "plugin: %s",
	    msg);
}

/* bf_field: the id of the field named name, or -1 saying why. */
static int
field_id(struct bf_host *h, const char *name)
{
	for (size_t i = 0; i < h->n_fields; i++)
		if (strcmp(h->fields[i].name, name) == 0)
			return (int)i;
	bf_plugin_log(h, 0, "output schema %s.avsc has no field %s",
	    h->sch.name, name);
	return -1;
}

/*
 * The field with this id, if a record is open and the field holds kind
 * (-1: any kind, nullable).  Marks the record bad otherwise, saying why
 * once.
 */
static struct bf_out_field *
target(struct bf_host *h, int id, int kind)
{
	static const char *const kinds[] = { [BF_OUT_STRING] = "a string",
	    [BF_OUT_LONG] = "a long", [BF_OUT_DOUBLE] = "a double",
	    [BF_OUT_FLOAT] = "a float", [BF_OUT_BOOL] = "a boolean",
	    [BF_OUT_LONG_ARRAY] = "an array of longs",
	    [BF_OUT_STRING_ARRAY] = "an array of strings" };
	struct bf_out_field *f = NULL;

	if (id >= 0 && (size_t)id < h->n_fields)
		f = &h->fields[id];
	if (h->open && f != NULL && (kind < 0 ? f->nullable :
	    (int)f->kind == kind ||
	    (kind == BF_OUT_DOUBLE && f->kind == BF_OUT_FLOAT)))
		return f;
	if (h->bad)
		return NULL;
	if (!h->open)
		bf_plugin_log(h, 0, "field id %d set outside a record", id);
	else if (f == NULL)
		bf_plugin_log(h, 0, "record %s: no field id %d in %s.avsc",
		    h->key, id, h->sch.name);
	else
		bf_plugin_log(h, 0, "record %s: field %s of %s.avsc is not "
		    "%s", h->key, f->name, h->sch.name, kind < 0 ?
		    "[\"null\", T]" : kinds[kind]);
	h->bad = true;
	return NULL;
}

/*
 * The field with this id, if it holds kind (target()), its value starting
 * at the end of vals (a field set again moves); NULL otherwise.
 */
static struct bf_out_field *
value_begin(struct bf_host *h, int id, int kind)
{
	struct bf_out_field *f = target(h, id, kind);

	if (f != NULL) {
		f->set = true;
		f->null = false;
		f->off = h->vals.len;
	}
	return f;
}

/*
 * The value f was given since value_begin(): 0, or -1 (no field, out of
 * memory).
 */
static int
value_end(struct bf_host *h, struct bf_out_field *f)
{
	if (f == NULL)
		return -1;
	if (bf_avro_failed(&h->vals)) {
		h->bad = true;
		return -1;
	}
	f->len = h->vals.len - f->off;
	return 0;
}

static int	emit_null(struct bf_host *, int);

static int
emit_begin(struct bf_host *h, const char *key, int32_t partition)
{
	for (size_t i = 0; i < h->n_fields; i++)
		h->fields[i].set = false;
	bf_avro_reset(&h->vals);
	snprintf(h->key, sizeof(h->key), "%s", key);
	h->partition = partition;
	h->open = true;
	h->bad = false;
	return 0;
}

static int
emit_str(struct bf_host *h, int field, const char *v)
{
	struct bf_out_field *f;

	if (v == NULL)
		return emit_null(h, field);
	if ((f = value_begin(h, field, BF_OUT_STRING)) != NULL)
		bf_avro_str(&h->vals, v);
	return value_end(h, f);
}

static int
emit_long(struct bf_host *h, int field, int64_t v)
{
	struct bf_out_field *f = value_begin(h, field, BF_OUT_LONG);

	if (f != NULL)
		bf_avro_long(&h->vals, v);
	return value_end(h, f);
}

static int
emit_double(struct bf_host *h, int field, double v)
{
	struct bf_out_field *f = value_begin(h, field, BF_OUT_DOUBLE);

	if (f != NULL && f->kind == BF_OUT_FLOAT)
		bf_avro_float(&h->vals, (float)v);
	else if (f != NULL)
		bf_avro_double(&h->vals, v);
	return value_end(h, f);
}

static int
emit_bool(struct bf_host *h, int field, bool v)
{
	struct bf_out_field *f = value_begin(h, field, BF_OUT_BOOL);

	if (f != NULL)
		bf_avro_bool(&h->vals, v);
	return value_end(h, f);
}

static int
emit_null(struct bf_host *h, int field)
{
	struct bf_out_field *f = target(h, field, -1);

	if (f == NULL)
		return -1;
	f->set = f->null = true;
	f->len = 0;
	return 0;
}

static int
emit_long_array(struct bf_host *h, int field, const int64_t *v, size_t n)
{
	struct bf_out_field *f = value_begin(h, field, BF_OUT_LONG_ARRAY);

	if (f == NULL)
		return -1;
	if (n > 0)
		bf_avro_long(&h->vals, (int64_t)n);
	for (size_t i = 0; i < n; i++)
		bf_avro_long(&h->vals, v[i]);
	bf_avro_long(&h->vals, 0);
	return value_end(h, f);
}

static int
emit_str_array(struct bf_host *h, int field, const char *const *v, size_t n)
{
	struct bf_out_field *f = value_begin(h, field, BF_OUT_STRING_ARRAY);

	if (f == NULL)
		return -1;
	if (n > 0)
		bf_avro_long(&h->vals, (int64_t)n);
	for (size_t i = 0; i < n; i++)
		bf_avro_str(&h->vals, v[i] != NULL ? v[i] : "");
	bf_avro_long(&h->vals, 0);
	return value_end(h, f);
}

/* A field the plugin left unset: null, or its type's zero. */
static void
put_unset(struct bf_avro_buf *b, const struct bf_out_field *f)
{
	if (f->nullable)
		bf_avro_long(b, f->null_branch);
	else if (f->kind == BF_OUT_DOUBLE)
		bf_avro_double(b, 0);
	else if (f->kind == BF_OUT_FLOAT)
		bf_avro_float(b, 0);
	else
		bf_avro_long(b, 0);	/* 0, false, "", [] */
}

static int
emit_end(struct bf_host *h)
{
	struct bf_avro_buf *b = &h->buf;
	const uint8_t *value;
	size_t len;

	if (!h->open)
		return -1;
	h->open = false;
	if (h->bad) {
		h->dropped++;
		return -1;
	}
	bf_avro_reset(b);
	if (bf_avro_reserve(b, BF_SINGLE_OBJECT_HDR) == 0)
		b->len = BF_SINGLE_OBJECT_HDR;
	for (size_t i = 0; i < h->n_fields; i++) {
		const struct bf_out_field *f = &h->fields[i];

		if (!f->set || f->null) {
			put_unset(b, f);
			continue;
		}
		if (f->nullable)
			bf_avro_long(b, f->value_branch);
		bf_avro_raw(b, h->vals.p + f->off, f->len);
	}
	if (bf_record_writer_finish(&h->writer, &h->sch, b, &value, &len) < 0) {
		h->dropped++;
		return -1;
	}
	h->emitted++;
	h->sink(h->sink_arg, h->key, h->partition, value, len);
	return 0;
}

static const struct bf_host_api host_api = {
	.size = sizeof(struct bf_host_api),
	.field = field_id,
	.emit_begin = emit_begin,
	.emit_str = emit_str,
	.emit_long = emit_long,
	.emit_double = emit_double,
	.emit_bool = emit_bool,
	.emit_null = emit_null,
	.emit_long_array = emit_long_array,
	.emit_str_array = emit_str_array,
	.emit_end = emit_end,
	.metric_declare = bf_pm_declare,
	.metric_set = bf_pm_set,
	.metric_add = bf_pm_add,
	.metric_observe = bf_pm_observe,
	.vlog = host_vlog,
	.outputs_deferred = outputs_deferred,
	.now_us = bf_now_us,
};
