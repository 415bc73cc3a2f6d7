/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bmpflow-alert's alert records and templates: an alert.avsc record read
 * into its fields' text and JSON, {FIELD} placeholders rendered, unknown
 * names refused at start, bytes that could break a line or a header
 * blanked.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/avro_schema.h"
#include "alert_record.h"
#include "test_util.h"

/* An Avro body written by hand, field by field. */
struct body {
	uint8_t	p[2048];
	size_t	n;
};

static void
put_long(struct body *b, int64_t v)
{
	uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);

	do {
		b->p[b->n++] = (uint8_t)((z & 0x7f) | (z > 0x7f ? 0x80 : 0));
		z >>= 7;
	} while (z != 0);
}

static void
put_str(struct body *b, const char *s)
{
	put_long(b, (int64_t)strlen(s));
	memcpy(b->p + b->n, s, strlen(s));
	b->n += strlen(s);
}

/* An array of n longs, one block. */
static void
put_longs(struct body *b, const int64_t *v, int n)
{
	put_long(b, n);
	for (int i = 0; i < n; i++)
		put_long(b, v[i]);
	if (n > 0)
		put_long(b, 0);
}

/* A route_leak alert in state, schemas/alert.avsc's field order. */
static void
route_leak(struct body *b, const char *state, const char *detail)
{
	static const int64_t path[] = { 701, 65001, 64500 };
	double latency = 12.5;

	b->n = 0;
	put_str(b, "00000000a1e70001");	/* alert_id */
	put_str(b, "route_leak");	/* type */
	put_long(b, 1);			/* rfc7908_type: long */
	put_long(b, 2);
	put_long(b, 0);			/* prefix_class: null */
	put_long(b, 0);			/* path_class: null */
	put_str(b, "high");		/* severity */
	put_str(b, "10.1.0.0/16");	/* prefix */
	put_long(b, 1);			/* origin_as */
	put_long(b, 64500);
	put_long(b, 0);			/* culprit_as: null */
	put_longs(b, path, 3);		/* culprit_segment */
	put_longs(b, path, 3);		/* as_path */
	put_long(b, 1);			/* routers */
	put_str(b, "192.0.2.1");
	put_long(b, 0);
	put_longs(b, NULL, 0);		/* peers */
	put_long(b, 2);			/* peers_seen */
	put_long(b, 1);			/* peers_holding */
	put_long(b, 1700000000000000);	/* first_seen */
	put_long(b, 1700000000000001);	/* last_seen */
	put_long(b, 3);			/* count */
	put_str(b, state);		/* state */
	memcpy(b->p + b->n, &latency, 8);	/* detection_latency_ms, LE */
	b->n += 8;
	put_long(b, 1700000000000002);	/* time_us */
	put_str(b, detail);		/* detail */
	put_long(b, 1);			/* rpki_state */
	put_str(b, "invalid");
}

static struct bf_schema schema;
static struct bf_scan_node *scan;

static void
setup(void)
{
	char err[256];

	ck_assert_msg(bf_schema_load(&schema, BMPFLOW_SCHEMA_DIR, "alert", err,
	    sizeof(err)) == 0, "%s", err);
	ck_assert_ptr_nonnull(scan = bf_scan_compile(schema.schema));
}

static void
teardown(void)
{
	bf_scan_free(scan);
	bf_schema_free(&schema);
}

START_TEST(test_fields_and_templates)
{
	struct body b;
	struct alert a;
	char *text;

	route_leak(&b, "resolved", "AS65001 leaked\r\nBcc: x@example.net");
	ck_assert_int_eq(alert_decode(&a, scan, b.p, b.n), 0);
	ck_assert_int_eq(a.state, STATE_RESOLVED);
	ck_assert_str_eq(alert_field(&a, "type"), "route_leak");
	ck_assert_str_eq(alert_field(&a, "no_such"), "");
	text = alert_render(&a, "{type} {prefix} path {as_path} class "
	    "'{prefix_class}' leak {rfc7908_type} AS{origin_as} "
	    "{detection_latency_ms} {routers} {Type} {nope} {} {");
	ck_assert_str_eq(text, "route_leak 10.1.0.0/16 path 701 65001 64500 "
	    "class '' leak 2 AS64500 12.5 192.0.2.1 {Type} {nope} {} {");
	free(text);
	/* No line break reaches a syslog line or a mail header. */
	text = alert_render(&a, "{detail}");
	ck_assert_str_eq(text, "AS65001 leaked  Bcc: x@example.net");
	free(text);
	alert_free(&a);
}
END_TEST

START_TEST(test_json)
{
	struct body b;
	struct alert a;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	route_leak(&b, "open", "say \"hi\"");
	ck_assert_int_eq(alert_decode(&a, scan, b.p, b.n), 0);
	ck_assert_int_eq(a.state, STATE_OPEN);
	alert_write_json(&a, f);
	fclose(f);
	ck_assert_msg(strncmp(buf, "{\"alert_id\":\"00000000a1e70001\","
	    "\"type\":\"route_leak\",\"rfc7908_type\":2,\"prefix_class\":null,",
	    strlen("{\"alert_id\":\"00000000a1e70001\",\"type\":\"route_leak\","
	    "\"rfc7908_type\":2,\"prefix_class\":null,")) == 0, "%s", buf);
	ck_assert_ptr_nonnull(strstr(buf, "\"as_path\":[701,65001,64500],"
	    "\"routers\":[\"192.0.2.1\"],\"peers\":[],"));
	ck_assert_ptr_nonnull(strstr(buf, "\"detail\":\"say \\\"hi\\\"\","
	    "\"rpki_state\":\"invalid\"}"));
	free(buf);
	alert_free(&a);
}
END_TEST

START_TEST(test_template_check)
{
	char err[128];

	ck_assert_int_eq(alert_template_check("{type} on {prefix} { } {X}",
	    scan, err, sizeof(err)), 0);
	ck_assert_int_eq(alert_template_check("{type} {prefx}", scan, err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "{prefx}: no such alert field "
	    "(schemas/alert.avsc)");
}
END_TEST

START_TEST(test_unknown_state)
{
	struct body b;
	struct alert a;

	route_leak(&b, "closed", "x");
	ck_assert_int_eq(alert_decode(&a, scan, b.p, b.n), 0);
	ck_assert_int_eq(a.state, -1);
	alert_free(&a);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("alert");
	TCase *tc = tcase_create("alert");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_fields_and_templates);
	tcase_add_test(tc, test_json);
	tcase_add_test(tc, test_template_check);
	tcase_add_test(tc, test_unknown_state);
	suite_add_tcase(s, tc);
	return bf_run_suite(s);
}
