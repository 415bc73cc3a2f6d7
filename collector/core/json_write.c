/* SPDX-License-Identifier: Apache-2.0 */
#include "json_write.h"

#include <inttypes.h>
#include <string.h>

#include "utf8.h"

void
bf_json_init(struct bf_json *j, FILE *f)
{
	j->f = f;
	j->need_comma = false;
}

/* Bytes of a well-formed run, escaped where JSON requires it. */
static void
escape_run(FILE *f, struct bf_cur run)
{
	uint8_t c;

	while (cur_get_u8(&run, &c) == 0) {
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
}

void
bf_json_escape(FILE *f, const void *p, size_t n)
{
	struct bf_cur c = cur_make(p, n), run = c;
	size_t valid;

	fputc('"', f);
	while (cur_len(&c) > 0) {
		valid = bf_utf8_valid_len(c);
		(void)cur_sub(&c, valid, &run);
		escape_run(f, run);
		if (cur_len(&c) == 0)
			break;
		fputs("\\ufffd", f);
		cur_skip(&c, bf_utf8_bad_len(c));
	}
	fputc('"', f);
}

void
bf_json_key(struct bf_json *j, const char *key)
{
	if (j->need_comma)
		fputc(',', j->f);
	j->need_comma = false;
	if (key != NULL) {
		bf_json_escape(j->f, key, strlen(key));
		fputc(':', j->f);
	}
}

static void
open_level(struct bf_json *j, const char *key, int brace)
{
	bf_json_key(j, key);
	fputc(brace, j->f);
}

static void
close_level(struct bf_json *j, int brace)
{
	fputc(brace, j->f);
	j->need_comma = true;
}

void
bf_json_open_obj(struct bf_json *j, const char *key)
{
	open_level(j, key, '{');
}

void
bf_json_open_arr(struct bf_json *j, const char *key)
{
	open_level(j, key, '[');
}

void
bf_json_close_obj(struct bf_json *j)
{
	close_level(j, '}');
}

void
bf_json_close_arr(struct bf_json *j)
{
	close_level(j, ']');
}

void
bf_json_text(struct bf_json *j, const char *key, const void *p, size_t n)
{
	bf_json_key(j, key);
	bf_json_escape(j->f, p, n);
	j->need_comma = true;
}

void
bf_json_str(struct bf_json *j, const char *key, const char *s)
{
	bf_json_text(j, key, s, strlen(s));
}

void
bf_json_hex(struct bf_json *j, const char *key, const void *p, size_t n)
{
	const uint8_t *b = p;

	bf_json_key(j, key);
	fputc('"', j->f);
	for (size_t i = 0; i < n; i++)
		fprintf(j->f, "%02x", b[i]);
	fputc('"', j->f);
	j->need_comma = true;
}

void
bf_json_u64(struct bf_json *j, const char *key, uint64_t v)
{
	bf_json_key(j, key);
	fprintf(j->f, "%" PRIu64, v);
	j->need_comma = true;
}

void
bf_json_bool(struct bf_json *j, const char *key, bool v)
{
	bf_json_key(j, key);
	fputs(v ? "true" : "false", j->f);
	j->need_comma = true;
}

void
bf_json_raw(struct bf_json *j, const char *key, const char *json)
{
	bf_json_key(j, key);
	fputs(json, j->f);
	j->need_comma = true;
}
