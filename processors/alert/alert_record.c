/* SPDX-License-Identifier: Apache-2.0 */
/*
 * alert_record.c: an alert record's fields as text and JSON; templates.
 */
#include "alert_record.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/avro_json.h"

static const char *
field_name(const struct bf_scan_node *n, size_t i)
{
	return avro_schema_record_field_name(n->schema, (int)i);
}

/* Text bytes with control bytes as spaces: no line or header breaks. */
static void
text_bytes(FILE *f, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fputc(p[i] < 0x20 || p[i] == 0x7f ? ' ' : p[i], f);
}

/*
 * One value as template text: null empty, numbers and strings plain,
 * array items space-separated; records and maps as JSON.  0, or -1.
 */
static int
text_value(FILE *f, const struct bf_scan_node *n, struct bf_cur *c)
{
	const uint8_t *p;
	size_t len;
	int64_t v, count;
	double d;
	bool first = true;

	switch (n->kind) {
	case BF_SCAN_NULL:
		return 0;
	case BF_SCAN_INT:
		if (avro_typeof(n->schema) == AVRO_ENUM)
			break;
		if (bf_scan_long(c, &v) < 0)
			return -1;
		fprintf(f, "%" PRId64, v);
		return 0;
	case BF_SCAN_FLOAT:
	case BF_SCAN_DOUBLE:
		if (bf_scan_real(n, c, &d) < 0)
			return -1;
		fprintf(f, "%g", d);
		return 0;
	case BF_SCAN_BYTES:
		if (avro_typeof(n->schema) != AVRO_STRING)
			break;
		if (bf_scan_bytes(c, &p, &len) < 0)
			return -1;
		text_bytes(f, p, len);
		return 0;
	case BF_SCAN_UNION:
		return (n = bf_scan_branch(n, c)) == NULL ? -1 :
		    text_value(f, n, c);
	case BF_SCAN_ARRAY:
		do {
			if (bf_scan_block(c, &count) < 0)
				return -1;
			for (int64_t i = 0; i < count; i++) {
				if (!first)
					fputc(' ', f);
				first = false;
				if (text_value(f, n->child[0], c) < 0)
					return -1;
			}
		} while (count != 0);
		return 0;
	default:
		break;
	}
	return bf_avro_json_value(f, n, c);
}

/* One of the two renderings of a value into a malloc'd string. */
static char *
render_value(const struct bf_scan_node *n, struct bf_cur c, bool json)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int rc;

	if (f == NULL)
		return NULL;
	rc = json ? bf_avro_json_value(f, n, &c) : text_value(f, n, &c);
	if (fclose(f) != 0 || rc < 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

int
alert_decode(struct alert *a, const struct bf_scan_node *scan,
    const uint8_t *body, size_t len)
{
	struct bf_cur c = cur_make(body, len), at;
	const char *state;

	memset(a, 0, sizeof(*a));
	a->state = -1;
	if (scan->kind != BF_SCAN_RECORD || scan->n > ALERT_MAX_FIELDS)
		return -1;
	for (size_t i = 0; i < scan->n; i++) {
		at = c;
		a->name[i] = field_name(scan, i);
		a->n = i + 1;
		if ((a->text[i] = render_value(scan->child[i], at, false)) ==
		    NULL || (a->json[i] = render_value(scan->child[i], at,
		    true)) == NULL || bf_scan_skip(scan->child[i], &c) < 0) {
			alert_free(a);
			return -1;
		}
	}
	state = alert_field(a, "state");
	for (int i = 0; i < N_STATES; i++)
		if (strcmp(state, alert_state_names[i]) == 0)
			a->state = i;
	return 0;
}

void
alert_free(struct alert *a)
{
	for (size_t i = 0; i < a->n; i++) {
		free(a->text[i]);
		free(a->json[i]);
	}
	a->n = 0;
}

/* The index of field name[0..len), or -1. */
static int
field_index(const struct alert *a, const char *name, size_t len)
{
	for (size_t i = 0; i < a->n; i++)
		if (strlen(a->name[i]) == len &&
		    memcmp(a->name[i], name, len) == 0)
			return (int)i;
	return -1;
}

const char *
alert_field(const struct alert *a, const char *name)
{
	int i = field_index(a, name, strlen(name));

	return i < 0 ? "" : a->text[i];
}

void
alert_write_json(const struct alert *a, FILE *f)
{
	fputc('{', f);
	for (size_t i = 0; i < a->n; i++) {
		if (i)
			fputc(',', f);
		fprintf(f, "\"%s\":%s", a->name[i], a->json[i]);
	}
	fputc('}', f);
}

/*
 * The placeholder at p ("{name}"): the name's length, with its start at
 * p + 1; 0 when p is not one.
 */
static size_t
placeholder(const char *p)
{
	size_t n = 0;

	if (*p != '{')
		return 0;
	while ((p[1 + n] >= 'a' && p[1 + n] <= 'z') || p[1 + n] == '_' ||
	    (p[1 + n] >= '0' && p[1 + n] <= '9'))
		n++;
	return n > 0 && p[1 + n] == '}' ? n : 0;
}

char *
alert_render(const struct alert *a, const char *tmpl)
{
	char *buf = NULL;
	size_t len = 0, n;
	FILE *f = open_memstream(&buf, &len);
	int i;

	if (f == NULL)
		return NULL;
	for (const char *p = tmpl; *p != '\0'; p++) {
		if ((n = placeholder(p)) > 0 &&
		    (i = field_index(a, p + 1, n)) >= 0) {
			fputs(a->text[i], f);
			p += n + 1;
		} else {
			fputc(*p, f);
		}
	}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

int
alert_template_check(const char *tmpl, const struct bf_scan_node *scan,
    char *err, size_t errlen)
{
	size_t n, i;

	for (const char *p = tmpl; *p != '\0'; p++) {
		if ((n = placeholder(p)) == 0)
			continue;
		for (i = 0; i < scan->n; i++)
			if (strlen(field_name(scan, i)) == n &&
			    memcmp(field_name(scan, i), p + 1, n) == 0)
				break;
		if (i == scan->n) {
			snprintf(err, errlen, "{%.*s}: no such alert field "
			    "(schemas/alert.avsc)", (int)n, p + 1);
			return -1;
		}
		p += n + 1;
	}
	return 0;
}
