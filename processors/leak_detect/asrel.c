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

/* ---- relationships -------------------------------------------------------- */

static int
rel_grow(struct asrel *t)
{
	size_t nc = t->cap ? t->cap * 2 : 1024;
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

int
asrel_add(struct asrel *t, uint32_t a, uint32_t b, int rel)
{
	uint32_t lo = a < b ? a : b, hi = a < b ? b : a;
	uint64_t key = (uint64_t)lo << 32 | hi;
	uint8_t v;
	size_t j;

	if (rel == 0)
		v = ASREL_PEER;
	else	/* a provider of b: what hi is to lo */
		v = lo == a ? ASREL_CUSTOMER : ASREL_PROVIDER;
	if ((t->n + 1) * 2 > t->cap && rel_grow(t) < 0)
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

enum asrel_kind
asrel_rel(const struct asrel *t, uint32_t a, uint32_t b)
{
	uint32_t lo = a < b ? a : b, hi = a < b ? b : a;
	uint64_t key = (uint64_t)lo << 32 | hi;
	size_t j;

	if (t->cap == 0 || a == b)
		return ASREL_UNKNOWN;
	for (j = bf_mix64(key) & (t->cap - 1); t->keys[j] != 0;
	    j = (j + 1) & (t->cap - 1)) {
		if (t->keys[j] != key)
			continue;
		enum asrel_kind v = t->vals[j];
		if (v == ASREL_PEER || lo == a)
			return v;
		return v == ASREL_CUSTOMER ? ASREL_PROVIDER : ASREL_CUSTOMER;
	}
	return ASREL_UNKNOWN;
}

void
asrel_free(struct asrel *t)
{
	free(t->keys);
	free(t->vals);
	memset(t, 0, sizeof(*t));
}

size_t
asrel_bytes(const struct asrel *t)
{
	return t->cap * (sizeof(uint64_t) + sizeof(uint8_t));
}

static void
chomp(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
}

/*
 * Calls each(line, arg, why, whylen) for every line of path; a -1 from it
 * stops the read with err "path:LINE: why".  Returns 0, or -1 with err set
 * when the file cannot be read or a line was refused.
 */
static int
read_lines(const char *path, int (*each)(char *, void *, char *, size_t),
    void *arg, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *line = NULL, why[256];
	size_t cap = 0;
	long lineno = 0;
	int rc = 0;

	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (rc == 0 && getline(&line, &cap, f) >= 0) {
		lineno++;
		if ((rc = each(line, arg, why, sizeof(why))) < 0)
			snprintf(err, errlen, "%s:%ld: %s", path, lineno, why);
	}
	if (rc == 0 && ferror(f)) {
		snprintf(err, errlen, "%s: read error: %s", path,
		    strerror(errno));
		rc = -1;
	}
	free(line);
	fclose(f);
	return rc;
}

/* One "AS1|AS2|REL[|SOURCE]" line into the table arg. */
static int
asrel_line(char *s, void *arg, char *why, size_t whylen)
{
	char *fld[5], *save = NULL;
	uint32_t a, b;
	int n = 0;

	chomp(s);
	while (isspace((unsigned char)*s))
		s++;
	if (*s == '\0' || *s == '#')
		return 0;
	for (char *tok = strtok_r(s, "|", &save); tok && n < 5;
	    tok = strtok_r(NULL, "|", &save))
		fld[n++] = tok;
	if (n < 3 || n > 4) {
		snprintf(why, whylen, "want AS1|AS2|REL or AS1|AS2|REL|SOURCE, "
		    "got %d fields", n);
		return -1;
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

int
asrel_load(struct asrel *t, const char *path, char *err, size_t errlen)
{
	struct asrel fresh = { 0 };
	int rc = read_lines(path, asrel_line, &fresh, err, errlen);

	asrel_free(rc == 0 ? t : &fresh);
	if (rc == 0)
		*t = fresh;
	return rc;
}

/* ---- ASN sets ------------------------------------------------------------------ */

int
asset_add(struct asset *s, uint32_t asn)
{
	size_t j;

	if (asn == 0)
		return 0;
	if ((s->n + 1) * 2 > s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 64;
		uint32_t *v = calloc(nc, sizeof(*v));
		if (v == NULL)
			return -1;
		for (size_t i = 0; i < s->cap; i++) {
			if (s->v[i] == 0)
				continue;
			for (j = bf_mix64(s->v[i]) & (nc - 1); v[j] != 0;
			    j = (j + 1) & (nc - 1))
				;
			v[j] = s->v[i];
		}
		free(s->v);
		s->v = v;
		s->cap = nc;
	}
	for (j = bf_mix64(asn) & (s->cap - 1); s->v[j] != 0 && s->v[j] != asn;
	    j = (j + 1) & (s->cap - 1))
		;
	if (s->v[j] == 0)
		s->n++;
	s->v[j] = asn;
	return 0;
}

bool
asset_has(const struct asset *s, uint32_t asn)
{
	if (s->n == 0 || asn == 0)
		return false;
	for (size_t j = bf_mix64(asn) & (s->cap - 1); s->v[j] != 0;
	    j = (j + 1) & (s->cap - 1))
		if (s->v[j] == asn)
			return true;
	return false;
}

void
asset_free(struct asset *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* The ASNs of one line ('#' starts a comment) into the set arg. */
static int
asset_line(char *line, void *arg, char *why, size_t whylen)
{
	char *hash = strchr(line, '#'), *save = NULL;
	uint32_t asn;

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
asset_load(struct asset *s, const char *path, char *err, size_t errlen)
{
	struct asset fresh = { 0 };
	int rc = read_lines(path, asset_line, &fresh, err, errlen);

	asset_free(rc == 0 ? s : &fresh);
	if (rc == 0)
		*s = fresh;
	return rc;
}
