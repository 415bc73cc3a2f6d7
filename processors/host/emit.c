/*
 * emit.c: bf_emit_* on an avro-c generic value of the output schema.
 */
#include "emit.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EMIT_BUF_INIT	4096

int
bf_host_init(struct bf_host *h, const char *dir, const char *schema,
    bf_emit_sink sink, void *arg, char *errbuf, size_t errlen)
{
	memset(h, 0, sizeof(*h));
	h->sink = sink;
	h->sink_arg = arg;
	h->log_level = 2;
	if (bf_schema_load(&h->sch, dir, schema, errbuf, errlen) < 0)
		return -1;
	h->cap = EMIT_BUF_INIT;
	h->buf = malloc(h->cap);
	h->w = avro_writer_memory((char *)h->buf, (int64_t)h->cap);
	if (h->buf == NULL || h->w == NULL ||
	    avro_generic_value_new(h->sch.iface, &h->v) != 0) {
		snprintf(errbuf, errlen, "output schema %s: out of memory",
		    schema);
		bf_host_free(h);
		return -1;
	}
	return 0;
}

void
bf_host_free(struct bf_host *h)
{
	if (h->v.self != NULL)
		avro_value_decref(&h->v);
	if (h->w != NULL)
		avro_writer_free(h->w);
	free(h->buf);
	if (h->sch.iface != NULL)
		bf_schema_free(&h->sch);
	memset(h, 0, sizeof(*h));
}

void
bf_plugin_log(struct bf_host *h, int level, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warn", "info",
	    "debug" };
	va_list ap;

	if (level > h->log_level || level < 0)
		return;
	fprintf(stderr, "plugin %s: ", names[level > 3 ? 3 : level]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/*
 * The value to set for field name: the field itself, or the non-null
 * branch of a ["null", T] union.  NULL-safe: marks the record bad.
 */
static int
target(struct bf_host *h, const char *name, avro_type_t want,
    avro_value_t *out)
{
	avro_value_t f;

	if (!h->open || avro_value_get_by_name(&h->v, name, &f, NULL) != 0)
		goto bad;
	if (avro_value_get_type(&f) == AVRO_UNION) {
		avro_schema_t u = avro_value_get_schema(&f);

		for (size_t i = 0; i < avro_schema_union_size(u); i++) {
			if (avro_typeof(avro_schema_union_branch(u, (int)i)) ==
			    want)
				return avro_value_set_branch(&f, (int)i, out);
		}
		goto bad;
	}
	if (avro_value_get_type(&f) != want)
		goto bad;
	*out = f;
	return 0;
bad:
	if (!h->bad)
		bf_plugin_log(h, 0, "record %s: no field %s of that type in "
		    "%s.avsc", h->key, name, h->sch.name);
	h->bad = true;
	return -1;
}

int
bf_emit_begin(struct bf_host *h, const char *key, int32_t partition)
{
	size_t n = 0;

	/* Fields the plugin leaves unset: null, empty or zero. */
	avro_value_reset(&h->v);
	avro_value_get_size(&h->v, &n);
	for (size_t i = 0; i < n; i++) {
		avro_value_t f, b;

		avro_value_get_by_index(&h->v, i, &f, NULL);
		switch (avro_value_get_type(&f)) {
		case AVRO_UNION:
			if (avro_typeof(avro_schema_union_branch(
			    avro_value_get_schema(&f), 0)) == AVRO_NULL &&
			    avro_value_set_branch(&f, 0, &b) == 0)
				avro_value_set_null(&b);
			break;
		case AVRO_STRING:
			avro_value_set_string(&f, "");
			break;
		default:
			break;
		}
	}
	snprintf(h->key, sizeof(h->key), "%s", key);
	h->partition = partition;
	h->open = true;
	h->bad = false;
	return 0;
}

int
bf_emit_str(struct bf_host *h, const char *field, const char *v)
{
	avro_value_t t;

	if (v == NULL)
		return bf_emit_null(h, field);
	if (target(h, field, AVRO_STRING, &t) < 0)
		return -1;
	return avro_value_set_string(&t, v) == 0 ? 0 : -1;
}

int
bf_emit_long(struct bf_host *h, const char *field, int64_t v)
{
	avro_value_t t, f;

	/* An int field takes it too: plugins need not know the width. */
	if (avro_value_get_by_name(&h->v, field, &f, NULL) == 0) {
		avro_type_t ty = avro_value_get_type(&f);

		if (ty == AVRO_INT32 && target(h, field, AVRO_INT32, &t) == 0)
			return avro_value_set_int(&t, (int32_t)v) == 0 ? 0 : -1;
	}
	if (target(h, field, AVRO_INT64, &t) < 0)
		return -1;
	return avro_value_set_long(&t, v) == 0 ? 0 : -1;
}

int
bf_emit_double(struct bf_host *h, const char *field, double v)
{
	avro_value_t t;

	if (target(h, field, AVRO_DOUBLE, &t) < 0)
		return -1;
	return avro_value_set_double(&t, v) == 0 ? 0 : -1;
}

int
bf_emit_bool(struct bf_host *h, const char *field, bool v)
{
	avro_value_t t;

	if (target(h, field, AVRO_BOOLEAN, &t) < 0)
		return -1;
	return avro_value_set_boolean(&t, v) == 0 ? 0 : -1;
}

int
bf_emit_null(struct bf_host *h, const char *field)
{
	avro_value_t t;

	if (target(h, field, AVRO_NULL, &t) < 0)
		return -1;
	return avro_value_set_null(&t) == 0 ? 0 : -1;
}

int
bf_emit_long_array(struct bf_host *h, const char *field, const int64_t *v,
    size_t n)
{
	avro_value_t t, el;

	if (target(h, field, AVRO_ARRAY, &t) < 0)
		return -1;
	avro_value_reset(&t);
	for (size_t i = 0; i < n; i++) {
		if (avro_value_append(&t, &el, NULL) != 0)
			return -1;
		if (avro_value_get_type(&el) == AVRO_INT32)
			avro_value_set_int(&el, (int32_t)v[i]);
		else
			avro_value_set_long(&el, v[i]);
	}
	return 0;
}

int
bf_emit_str_array(struct bf_host *h, const char *field,
    const char *const *v, size_t n)
{
	avro_value_t t, el;

	if (target(h, field, AVRO_ARRAY, &t) < 0)
		return -1;
	avro_value_reset(&t);
	for (size_t i = 0; i < n; i++)
		if (avro_value_append(&t, &el, NULL) != 0 ||
		    avro_value_set_string(&el, v[i]) != 0)
			return -1;
	return 0;
}

int
bf_emit_end(struct bf_host *h)
{
	if (!h->open)
		return -1;
	h->open = false;
	if (h->bad) {
		h->dropped++;
		return -1;
	}
	for (;;) {
		size_t need = 0;

		avro_writer_memory_set_dest(h->w,
		    (char *)h->buf + BF_SINGLE_OBJECT_HDR,
		    (int64_t)(h->cap - BF_SINGLE_OBJECT_HDR));
		if (avro_value_write(h->w, &h->v) == 0)
			break;
		if (avro_value_sizeof(&h->v, &need) != 0 ||
		    need + BF_SINGLE_OBJECT_HDR <= h->cap) {
			h->dropped++;
			return -1;
		}
		uint8_t *nb = realloc(h->buf, need + BF_SINGLE_OBJECT_HDR);

		if (nb == NULL) {
			h->dropped++;
			return -1;
		}
		h->buf = nb;
		h->cap = need + BF_SINGLE_OBJECT_HDR;
	}
	bf_schema_header(&h->sch, h->buf);
	h->emitted++;
	h->sink(h->sink_arg, h->key, h->partition, h->buf, BF_SINGLE_OBJECT_HDR +
	    (size_t)avro_writer_tell(h->w));
	return 0;
}
