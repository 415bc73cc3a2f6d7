/* SPDX-License-Identifier: Apache-2.0 */
/*
 * asrel.c: AS relationships and ASN sets (see asrel.h).
 */
#ifndef _GNU_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bmpflow/plugin.h"
#include "asrel.h"
#include "textfile.h"

bool
asn_special(uint32_t a)
{
	return a == 0 || a == 23456 || (a >= 64496 && a <= 131071) ||
	    a >= 4200000000u;
}

int
asn_parse(const char *s, uint32_t *out)
{
	char *end;
	unsigned long long v;

	if ((s[0] == 'A' || s[0] == 'a') && (s[1] == 'S' || s[1] == 's'))
		s += 2;
	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end != '\0' || v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* ---- the table ------------------------------------------------------------ */

static int
grow(struct astab *t)
{
	size_t nc = t->cap ? t->cap * 2 : 64;
	uint64_t *k = calloc(nc, sizeof(*k));
	uint8_t *v = calloc(nc, sizeof(*v));

	if (k == NULL || v == NULL) {
		free(k);
		free(v);
		return -1;
	}
	for (size_t i = 0; i < t->cap; i++) {
		if (t->keys[i] == 0)
			continue;
		size_t j = bf_mix64(t->keys[i]) & (nc - 1);
		while (k[j] != 0)
			j = (j + 1) & (nc - 1);
		k[j] = t->keys[i];
		v[j] = t->vals[i];
	}
	free(t->keys);
	free(t->vals);
	t->keys = k;
	t->vals = v;
	t->cap = nc;
	return 0;
}

/* Set key (not 0) to v: 0, or -1 when out of memory. */
static int
put(struct astab *t, uint64_t key, uint8_t v)
{
	size_t j;

	if ((t->n + 1) * 2 > t->cap && grow(t) < 0)
		return -1;
	for (j = bf_mix64(key) & (t->cap - 1); t->keys[j] != 0 &&
	    t->keys[j] != key; j = (j + 1) & (t->cap - 1))
		;
	if (t->keys[j] == 0)
		t->n++;
	t->keys[j] = key;
	t->vals[j] = v;
	return 0;
}

/* The value of key (not 0), 0 when it is not in t. */
static uint8_t
get(const struct astab *t, uint64_t key)
{
	if (t->n == 0)
		return 0;
	for (size_t j = bf_mix64(key) & (t->cap - 1); t->keys[j] != 0;
	    j = (j + 1) & (t->cap - 1))
		if (t->keys[j] == key)
			return t->vals[j];
	return 0;
}

void
astab_free(struct astab *t)
{
	free(t->keys);
	free(t->vals);
	memset(t, 0, sizeof(*t));
}

size_t
astab_bytes(const struct astab *t)
{
	return t->cap * (sizeof(uint64_t) + sizeof(uint8_t));
}

/* ---- relationships: key min << 32 | max, value what max is to min ------ */

int
asrel_add(struct astab *t, uint32_t a, uint32_t b, int rel)
{
	uint32_t lo = a < b ? a : b, hi = a < b ? b : a;

	if (rel == 0)
		return put(t, (uint64_t)lo << 32 | hi, ASREL_PEER);
	/* a provider of b: what hi is to lo */
	return put(t, (uint64_t)lo << 32 | hi, lo == a ? ASREL_CUSTOMER :
	    ASREL_PROVIDER);
}

enum asrel_kind
asrel_rel(const struct astab *t, uint32_t a, uint32_t b)
{
	uint32_t lo = a < b ? a : b, hi = a < b ? b : a;
	enum asrel_kind v;

	if (a == b || (v = get(t, (uint64_t)lo << 32 | hi)) == ASREL_UNKNOWN)
		return ASREL_UNKNOWN;
	if (v == ASREL_PEER || lo == a)
		return v;
	return v == ASREL_CUSTOMER ? ASREL_PROVIDER : ASREL_CUSTOMER;
}

/* ---- ASN sets: key the ASN, value 1 ------------------------------------- */

int
asset_add(struct astab *s, uint32_t asn)
{
	return asn == 0 ? 0 : put(s, asn, 1);
}

bool
asset_has(const struct astab *s, uint32_t asn)
{
	return asn != 0 && get(s, asn) != 0;
}

/* ---- files ----------------------------------------------------------------- */

static void
chomp(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
}

/* One "AS1|AS2|REL[|SOURCE]" line into the table arg (a struct astab). */
static int
asrel_line(char *s, long lineno, void *arg, char *why, size_t whylen)
{
	char *fld[4];
	uint32_t a, b;
	int n = 1;

	(void)lineno;
	chomp(s);
	while (isspace((unsigned char)*s))
		s++;
	if (*s == '\0' || *s == '#')
		return 0;
	for (const char *c = s; *c; c++)
		n += *c == '|';
	if (n < 3 || n > 4) {
		snprintf(why, whylen, "\"%s\": want AS1|AS2|REL or "
		    "AS1|AS2|REL|SOURCE, got %d fields", s, n);
		return -1;
	}
	fld[0] = s;
	for (int i = 1; i < n; i++) {
		fld[i] = strchr(fld[i - 1], '|');
		*fld[i]++ = '\0';
	}
	if (asn_parse(fld[0], &a) < 0 || asn_parse(fld[1], &b) < 0 ||
	    a == 0 || b == 0) {
		snprintf(why, whylen, "bad AS number in \"%s|%s\"", fld[0],
		    fld[1]);
		return -1;
	}
	if (a == b) {
		snprintf(why, whylen, "AS%u related to itself", a);
		return -1;
	}
	if (strcmp(fld[2], "-1") != 0 && strcmp(fld[2], "0") != 0) {
		snprintf(why, whylen, "relationship \"%s\" is neither -1 "
		    "(provider|customer) nor 0 (peers)", fld[2]);
		return -1;
	}
	if (asrel_add(arg, a, b, fld[2][0] == '-' ? -1 : 0) < 0) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	return 0;
}

/* The ASNs of one line ('#' starts a comment) into the set arg (a struct astab). */
static int
asset_line(char *line, long lineno, void *arg, char *why, size_t whylen)
{
	char *hash = strchr(line, '#'), *save = NULL;
	uint32_t asn;

	(void)lineno;
	if (hash)
		*hash = '\0';
	for (char *tok = strtok_r(line, " \t\r\n,", &save); tok;
	    tok = strtok_r(NULL, " \t\r\n,", &save)) {
		if (asn_parse(tok, &asn) < 0 || asn == 0) {
			snprintf(why, whylen, "\"%s\" is not an AS number",
			    tok);
			return -1;
		}
		if (asset_add(arg, asn) < 0) {
			snprintf(why, whylen, "out of memory");
			return -1;
		}
	}
	return 0;
}

int
astab_load(struct astab *t, enum astab_format format, const char *path,
    long *comments, char *err, size_t errlen)
{
	struct astab fresh = { 0 };
	int rc = textfile_read(path, format == ASTAB_LINKS ? asrel_line :
	    asset_line, &fresh, comments, err, errlen);

	astab_free(rc == 0 ? t : &fresh);
	if (rc == 0)
		*t = fresh;
	return rc;
}
