/* SPDX-License-Identifier: Apache-2.0 */
/*
 * json_write.h: the one JSON writer (bmpflow-decode --json, bmpflow-tail).
 *
 * Streams to a FILE: no tree is built.  Strings are escaped by one rule
 * (RFC 8259): '"', '\\' and control bytes escaped; well-formed UTF-8 copied
 * as it is; each ill-formed subpart written as \ufffd, as the collector
 * repairs Avro strings (utf8.h), so the same bytes read the same in every
 * output.  A NULL key writes a bare value (array element, top level).
 */
#ifndef BF_JSON_WRITE_H
#define BF_JSON_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct bf_json {
	FILE	*f;
	bool	 need_comma;	/* a value was written at this level */
};

void	bf_json_init(struct bf_json *j, FILE *f);
/* Escape p[0..n) as a quoted JSON string on f. */
void	bf_json_escape(FILE *f, const void *p, size_t n);

void	bf_json_open_obj(struct bf_json *j, const char *key);
void	bf_json_open_arr(struct bf_json *j, const char *key);
void	bf_json_close_obj(struct bf_json *j);
void	bf_json_close_arr(struct bf_json *j);
/* The key (or, NULL, the separator) before a value the caller writes. */
void	bf_json_key(struct bf_json *j, const char *key);
void	bf_json_str(struct bf_json *j, const char *key, const char *s);
void	bf_json_text(struct bf_json *j, const char *key, const void *p,
	    size_t n);
void	bf_json_hex(struct bf_json *j, const char *key, const void *p,
	    size_t n);
void	bf_json_u64(struct bf_json *j, const char *key, uint64_t v);
void	bf_json_bool(struct bf_json *j, const char *key, bool v);
/* A value already in JSON form (a number the caller formatted). */
void	bf_json_raw(struct bf_json *j, const char *key, const char *json);

#endif /* BF_JSON_WRITE_H */
