/* SPDX-License-Identifier: Apache-2.0 */
#ifndef _GNU_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

/*
 * fake_host.c: the host side of bmpflow/plugin.h for Check tests and
 * benchmarks (see fake_host.h).
 */
#include "fake_host.h"
#include "options.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/*
 * A broken plugin API contract, or a lookup of what is not there: said and
 * aborted.  Not ck_assert: that needs Check's runner, which a benchmark
 * does not have; a Check test still fails, with this line on stderr.
 */
#define REQUIRE(cond, ...) do {						\
	if (!(cond))							\
		broken(__LINE__, __VA_ARGS__);				\
} while (0)

static void broken(int line, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 2, 3)));

static void
broken(int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fake_host.c:%d: ", line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

/* bf_field: the name's id, a new one on its first request. */
static int
fake_field(struct bf_host *h, const char *name)
{
	int id;

	for (id = 0; id < h->n_field_names; id++)
		if (strcmp(h->field_names[id], name) == 0)
			return id;
	REQUIRE(h->n_field_names < FAKE_MAX_FIELDS, "more than %d fields",
	    FAKE_MAX_FIELDS);
	REQUIRE(strlen(name) < sizeof(h->field_names[0]), "field name %s "
	    "too long", name);
	strcpy(h->field_names[id], name);
	return h->n_field_names++;
}

static int
add(struct bf_host *h, int id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The value of field id in the open record. */
static int
add(struct bf_host *h, int id, const char *fmt, ...)
{
	struct fake_rec *r = &h->recs[h->n];
	const char *field;
	va_list ap;

	if (!h->open || r->n == FAKE_MAX_FIELDS || id < 0 ||
	    id >= h->n_field_names) {
		h->bad++;
		return -1;
	}
	field = h->field_names[id];
	for (int i = 0; i < r->n; i++)
		if (strcmp(r->f[i].name, field) == 0)
			h->bad++;	/* set twice */
	strcpy(r->f[r->n].name, field);		/* as long: fake_field */
	va_start(ap, fmt);
	vsnprintf(r->f[r->n].value, sizeof(r->f[0].value), fmt, ap);
	va_end(ap);
	if (strcmp(field, "type") == 0)
		snprintf(h->cur_type, sizeof(h->cur_type), "%.31s",
		    r->f[r->n].value);
	r->n++;
	return 0;
}

static int
fake_emit_begin(struct bf_host *h, const char *key, int32_t partition)
{
	REQUIRE(h->n < FAKE_MAX_RECS, "more than %d records kept",
	    FAKE_MAX_RECS);
	REQUIRE(!h->open, "emit_begin with a record open");
	memset(&h->recs[h->n], 0, sizeof(h->recs[0]));
	snprintf(h->recs[h->n].key, sizeof(h->recs[0].key), "%s", key);
	h->recs[h->n].partition = partition;
	h->cur_type[0] = '\0';
	h->open = true;
	return 0;
}

static int
fake_emit_str(struct bf_host *h, int field, const char *v)
{
	if (v == NULL) {
		h->bad++;
		return -1;
	}
	return add(h, field, "%s", v);
}

static int
fake_emit_long(struct bf_host *h, int field, int64_t v)
{
	return add(h, field, "%" PRId64, v);
}

static int
fake_emit_double(struct bf_host *h, int field, double v)
{
	return add(h, field, "%.6g", v);
}

static int
fake_emit_bool(struct bf_host *h, int field, bool v)
{
	return add(h, field, "%s", v ? "true" : "false");
}

static int
fake_emit_null(struct bf_host *h, int field)
{
	return add(h, field, "null");
}

static int
fake_emit_long_array(struct bf_host *h, int field, const int64_t *v, size_t n)
{
	char buf[256];
	size_t o = 0;

	buf[o++] = '[';
	for (size_t i = 0; i < n && o < sizeof(buf); i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%" PRId64,
		    i ? "," : "", v[i]);
	if (o < sizeof(buf))
		snprintf(buf + o, sizeof(buf) - o, "]");
	return add(h, field, "%s", buf);
}

static int
fake_emit_str_array(struct bf_host *h, int field,
    const char *const *v, size_t n)
{
	char buf[256];
	size_t o = 0;

	buf[o++] = '[';
	for (size_t i = 0; i < n && o < sizeof(buf); i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s",
		    i ? "," : "", v[i]);
	if (o < sizeof(buf))
		snprintf(buf + o, sizeof(buf) - o, "]");
	return add(h, field, "%s", buf);
}

static int
fake_emit_end(struct bf_host *h)
{
	int t;

	REQUIRE(h->open, "emit_end with no record open");
	h->open = false;
	h->emitted++;
	for (t = 0; t < FAKE_MAX_TYPES && h->types[t][0] &&
	    strcmp(h->types[t], h->cur_type) != 0; t++)
		;
	REQUIRE(t < FAKE_MAX_TYPES, "more than %d record types",
	    FAKE_MAX_TYPES);
	snprintf(h->types[t], sizeof(h->types[t]), "%s", h->cur_type);
	h->type_count[t]++;
	if (!h->discard)
		h->n++;
	return 0;
}

const char *
fake_val(const struct fake_rec *r, const char *field)
{
	for (int i = 0; i < r->n; i++)
		if (strcmp(r->f[i].name, field) == 0)
			return r->f[i].value;
	broken(__LINE__, "record %s has no field %s", r->key, field);
}

static int
fake_metric_declare(struct bf_host *h, const char *name,
    enum bf_metric_type type, const char *help, const double *buckets,
    size_t n_buckets)
{
	struct fake_metric *m;

	REQUIRE(help != NULL, "metric %s without help", name);
	REQUIRE(type != BF_METRIC_HISTOGRAM || (buckets && n_buckets > 0),
	    "histogram %s without buckets", name);
	for (int i = 0; i < h->n_metrics; i++)
		REQUIRE(strcmp(h->metrics[i].name, name) != 0,
		    "metric %s declared twice", name);
	REQUIRE(h->n_metrics < FAKE_MAX_METRICS, "more than %d metrics",
	    FAKE_MAX_METRICS);
	m = &h->metrics[h->n_metrics];
	snprintf(m->name, sizeof(m->name), "%s", name);
	m->type = type;
	return h->n_metrics++;
}

/* The series of metric id with labels, created on first use. */
static int
series(struct bf_host *h, int id, const char *labels,
    enum bf_metric_type type)
{
	struct fake_metric *m;
	int i;

	REQUIRE(id >= 0 && id < h->n_metrics, "no metric id %d", id);
	m = &h->metrics[id];
	REQUIRE(m->type == type, "metric %s used as another type", m->name);
	if (labels == NULL)
		labels = "";
	for (i = 0; i < m->n; i++)
		if (strcmp(m->labels[i], labels) == 0)
			return i;
	REQUIRE(m->n < FAKE_MAX_SERIES, "metric %s: more than %d label sets",
	    m->name, FAKE_MAX_SERIES);
	snprintf(m->labels[i], sizeof(m->labels[0]), "%s", labels);
	m->n++;
	return i;
}

static void
fake_metric_set(struct bf_host *h, int id, const char *labels, double v)
{
	h->metrics[id].value[series(h, id, labels, BF_METRIC_GAUGE)] = v;
}

static void
fake_metric_add(struct bf_host *h, int id, const char *labels, double v)
{
	h->metrics[id].value[series(h, id, labels, BF_METRIC_COUNTER)] += v;
}

static void
fake_metric_observe(struct bf_host *h, int id, const char *labels, double v)
{
	int s = series(h, id, labels, BF_METRIC_HISTOGRAM);

	h->metrics[id].value[s] += v;
	h->metrics[id].count[s]++;
}

double
fake_metric_value(const struct bf_host *h, const char *name,
    const char *labels)
{
	for (int i = 0; i < h->n_metrics; i++) {
		const struct fake_metric *m = &h->metrics[i];

		if (strcmp(m->name, name) != 0)
			continue;
		for (int j = 0; j < m->n; j++)
			if (strcmp(m->labels[j], labels) == 0)
				return m->type == BF_METRIC_HISTOGRAM ?
				    (double)m->count[j] : m->value[j];
		return -1;
	}
	broken(__LINE__, "no metric %s", name);
}

static void
fake_outputs_deferred(struct bf_host *h)
{
	h->deferred = true;
}

static void
fake_vlog(struct bf_host *h, int level, const char *fmt, va_list ap)
{
	vsnprintf(h->last_log, sizeof(h->last_log), fmt, ap);
	if (level <= 1) {
		fprintf(stderr, "%s\n", h->last_log);
		memcpy(h->last_warn, h->last_log, sizeof(h->last_warn));
	}
}

static int64_t
fake_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static const struct bf_host_api fake_api = {
	.size = sizeof(struct bf_host_api),
	.field = fake_field,
	.emit_begin = fake_emit_begin,
	.emit_str = fake_emit_str,
	.emit_long = fake_emit_long,
	.emit_double = fake_emit_double,
	.emit_bool = fake_emit_bool,
	.emit_null = fake_emit_null,
	.emit_long_array = fake_emit_long_array,
	.emit_str_array = fake_emit_str_array,
	.emit_end = fake_emit_end,
	.metric_declare = fake_metric_declare,
	.metric_set = fake_metric_set,
	.metric_add = fake_metric_add,
	.metric_observe = fake_metric_observe,
	.vlog = fake_vlog,
	.outputs_deferred = fake_outputs_deferred,
	.now_us = fake_now_us,
};

void
fake_host_reset(struct bf_host *h)
{
	memset(h, 0, sizeof(*h));
	h->api = &fake_api;
}

void *
fake_plugin_start(struct bf_host *h, const char *const *kv, size_t n,
    char *err, size_t errlen)
{
	struct bf_setting s[FAKE_MAX_SETTINGS];

	REQUIRE(n % 2 == 0 && n / 2 <= FAKE_MAX_SETTINGS,
	    "%zu setting strings", n);
	for (size_t i = 0; i < n / 2; i++)
		s[i] = (struct bf_setting){ kv[2 * i], kv[2 * i + 1] };
	fake_host_reset(h);
	err[0] = '\0';
	return bf_plugin_start(bmpflow_plugin_descriptor(), h, s, n / 2, err,
	    errlen);
}

void
fake_session_event(void *st, const struct bf_session *s, bool up,
    uint64_t epoch, int64_t t, const char *peer_role)
{
	struct bf_session_event e = {
		.session = s, .epoch = epoch,
		.kind = up ? BF_SESSION_UP : BF_SESSION_DOWN, .reset = up,
		.has_open = up, .down_reason = up ? NULL : "remote closed",
		.peer_role = peer_role, .bmp_time_us = t, .collector_time_us = t,
	};

	bmpflow_plugin_descriptor()->on_session(st, &e);
}
