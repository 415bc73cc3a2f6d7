/* SPDX-License-Identifier: Apache-2.0 */
/*
 * monitor.c: monitored prefixes file (see monitor.h for the format).
 */
#ifndef _GNU_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asrel.h"
#include "monitor.h"
#include "textfile.h"

static int
pool_add(struct monitor *m, size_t *cap, uint32_t v)
{
	if (m->n_pool == *cap) {
		size_t nc = *cap ? *cap * 2 : 64;
		uint32_t *p = realloc(m->pool, nc * sizeof(*p));
		if (p == NULL)
			return -1;
		m->pool = p;
		*cap = nc;
	}
	m->pool[m->n_pool++] = v;
	return 0;
}

/* A comma-separated ASN list into the pool; -1 with the bad token in bad. */
static int
asn_list(struct monitor *m, size_t *cap, char *s, uint32_t *n,
    const char **bad)
{
	char *save = NULL;
	uint32_t asn;

	*n = 0;
	for (char *tok = strtok_r(s, ",", &save); tok;
	    tok = strtok_r(NULL, ",", &save)) {
		if (asn_parse(tok, &asn) < 0 || asn == 0) {
			*bad = tok;
			return -1;
		}
		if (pool_add(m, cap, asn) < 0) {
			*bad = "(out of memory)";
			return -1;
		}
		(*n)++;
	}
	if (*n == 0) {
		*bad = s;
		return -1;
	}
	return 0;
}

/* A file being read: the table so far and its arrays' capacities. */
struct mon_acc {
	struct monitor		*m;
	struct ptab_item	*items;
	size_t			 ecap, pcap;
};

/* One "PREFIX ORIGINS [upstreams=ASN,...]" line into arg (a mon_acc). */
static int
mon_line(char *line, long lineno, void *arg, char *why, size_t whylen)
{
	struct mon_acc *acc = arg;
	struct monitor *m = acc->m;
	char *hash = strchr(line, '#'), *save = NULL, *tok[3];
	const char *pwhy, *bad;
	struct mon_ent e;
	int n = 0;

	if (hash)
		*hash = '\0';
	for (char *t = strtok_r(line, " \t\r", &save); t;
	    t = strtok_r(NULL, " \t\r", &save)) {
		if (n == 3) {
			snprintf(why, whylen, "extra field \"%s\" (want "
			    "PREFIX ORIGINS [upstreams=ASN,...])", t);
			return -1;
		}
		tok[n++] = t;
	}
	if (n == 0)
		return 0;
	memset(&e, 0, sizeof(e));
	e.line = lineno;
	if (ptab_parse(tok[0], &e.p, &pwhy) < 0) {
		snprintf(why, whylen, "\"%s\": %s", tok[0], pwhy);
		return -1;
	}
	if (n < 2) {
		snprintf(why, whylen, "%s without origins (want PREFIX "
		    "ORIGINS, ORIGINS \"none\" or ASN,ASN...)", tok[0]);
		return -1;
	}
	e.orig = (uint32_t)m->n_pool;
	if (strcmp(tok[1], "none") == 0)
		e.none = true;
	else if (asn_list(m, &acc->pcap, tok[1], &e.n_orig, &bad) < 0) {
		snprintf(why, whylen, "bad origin \"%s\" (want ASN,ASN... or "
		    "none)", bad);
		return -1;
	}
	if (n == 3) {
		if (strncmp(tok[2], "upstreams=", 10) != 0) {
			snprintf(why, whylen, "unknown option \"%s\" (want "
			    "upstreams=ASN,...)", tok[2]);
			return -1;
		}
		e.ups = (uint32_t)m->n_pool;
		e.has_ups = true;
		if (asn_list(m, &acc->pcap, tok[2] + 10, &e.n_ups, &bad) < 0) {
			snprintf(why, whylen, "bad upstream \"%s\"", bad);
			return -1;
		}
	}
	if (m->n == acc->ecap) {
		size_t nc = acc->ecap ? acc->ecap * 2 : 64;
		struct mon_ent *ne = realloc(m->e, nc * sizeof(*ne));
		struct ptab_item *ni = realloc(acc->items, nc * sizeof(*ni));
		if (ne)
			m->e = ne;
		if (ni)
			acc->items = ni;
		if (ne == NULL || ni == NULL) {
			snprintf(why, whylen, "out of memory");
			return -1;
		}
		acc->ecap = nc;
	}
	acc->items[m->n].p = e.p;
	acc->items[m->n].val = (uint32_t)m->n;
	m->e[m->n++] = e;
	return 0;
}

/* -1 with "path:line: P listed again" in err when a prefix is twice in m. */
static int
mon_no_repeats(const struct monitor *m, const char *path, char *err,
    size_t errlen)
{
	for (int f6 = 0; f6 < 2; f6++)
		for (uint32_t i = 0; i < m->t.n[f6]; i++) {
			const struct ptab_ent *pe = &m->t.e[f6][i];
			if (pe->n < 2)
				continue;
			const struct mon_ent *a = &m->e[m->t.vals[pe->first]];
			const struct mon_ent *b =
			    &m->e[m->t.vals[pe->first + 1]];
			char txt[64];
			ptab_format(&a->p, txt, sizeof(txt));
			textfile_err(err, errlen, "%s:%ld: %s listed again "
			    "(first at line %ld)", path, a->line > b->line ?
			    a->line : b->line, txt, a->line > b->line ?
			    b->line : a->line);
			return -1;
		}
	return 0;
}

int
monitor_load(struct monitor *dst, const char *path, long *comments,
    char *err, size_t errlen)
{
	struct monitor fresh = { 0 };
	struct mon_acc acc = { .m = &fresh };
	int rc = textfile_read(path, mon_line, &acc, comments, err, errlen);

	if (rc == 0 && ptab_build(&fresh.t, acc.items, fresh.n) < 0) {
		textfile_err(err, errlen, "%s: out of memory", path);
		rc = -1;
	}
	if (rc == 0)
		rc = mon_no_repeats(&fresh, path, err, errlen);
	free(acc.items);
	monitor_free(rc == 0 ? dst : &fresh);
	if (rc == 0)
		*dst = fresh;
	return rc;
}

void
monitor_free(struct monitor *m)
{
	ptab_free(&m->t);
	free(m->e);
	free(m->pool);
	memset(m, 0, sizeof(*m));
}

size_t
monitor_bytes(const struct monitor *m)
{
	return ptab_bytes(&m->t) + m->n * sizeof(struct mon_ent) +
	    m->n_pool * sizeof(uint32_t);
}

const struct mon_ent *
monitor_match(const struct monitor *m, const struct ld_pfx *q)
{
	const struct ptab_ent *e;

	if (m->n == 0 || ptab_cover(&m->t, q, &e, 1) == 0)
		return NULL;
	return &m->e[m->t.vals[e->first]];
}

/* Whether asn is in the n ASNs at pool[first]. */
static bool
pool_has(const struct monitor *m, uint32_t first, uint32_t n, uint32_t asn)
{
	for (const uint32_t *v = m->pool + first; n > 0; v++, n--)
		if (*v == asn)
			return true;
	return false;
}

bool
monitor_origin_ok(const struct monitor *m, const struct mon_ent *e,
    uint32_t asn)
{
	return pool_has(m, e->orig, e->n_orig, asn);
}

bool
monitor_upstream_ok(const struct monitor *m, const struct mon_ent *e,
    uint32_t asn)
{
	return pool_has(m, e->ups, e->n_ups, asn);
}
