/*
 * monitor.c: monitored prefixes file (see monitor.h for the format).
 */
#ifndef _GNU_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asrel.h"
#include "monitor.h"

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

int
monitor_load(struct monitor *dst, const char *path, char *err, size_t errlen)
{
	struct monitor fresh = { 0 }, *m = &fresh;
	FILE *f = fopen(path, "r");
	struct ptab_item *items = NULL;
	char *line = NULL;
	size_t cap = 0, ecap = 0, pcap = 0;
	long lineno = 0;
	int rc = -1;

	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (getline(&line, &cap, f) >= 0) {
		char *hash = strchr(line, '#'), *save = NULL, *tok[4];
		const char *why, *bad;
		struct mon_ent e;
		int n = 0;

		lineno++;
		if (hash)
			*hash = '\0';
		for (char *t = strtok_r(line, " \t\r\n", &save); t;
		    t = strtok_r(NULL, " \t\r\n", &save)) {
			if (n == 3) {
				snprintf(err, errlen, "%s:%ld: extra field "
				    "\"%s\" (want PREFIX ORIGINS "
				    "[upstreams=ASN,...])", path, lineno, t);
				goto out;
			}
			tok[n++] = t;
		}
		if (n == 0)
			continue;
		memset(&e, 0, sizeof(e));
		e.line = lineno;
		if (ptab_parse(tok[0], &e.p, &why) < 0) {
			snprintf(err, errlen, "%s:%ld: \"%s\": %s", path,
			    lineno, tok[0], why);
			goto out;
		}
		if (n < 2) {
			snprintf(err, errlen, "%s:%ld: %s without origins "
			    "(want PREFIX ORIGINS, ORIGINS \"none\" or "
			    "ASN,ASN...)", path, lineno, tok[0]);
			goto out;
		}
		e.orig = (uint32_t)m->n_pool;
		if (strcmp(tok[1], "none") == 0)
			e.none = true;
		else if (asn_list(m, &pcap, tok[1], &e.n_orig, &bad) < 0) {
			snprintf(err, errlen, "%s:%ld: bad origin \"%s\" "
			    "(want ASN,ASN... or none)", path, lineno, bad);
			goto out;
		}
		if (n == 3) {
			if (strncmp(tok[2], "upstreams=", 10) != 0) {
				snprintf(err, errlen, "%s:%ld: unknown option "
				    "\"%s\" (want upstreams=ASN,...)", path,
				    lineno, tok[2]);
				goto out;
			}
			e.ups = (uint32_t)m->n_pool;
			e.has_ups = true;
			if (asn_list(m, &pcap, tok[2] + 10, &e.n_ups, &bad)
			    < 0) {
				snprintf(err, errlen, "%s:%ld: bad upstream "
				    "\"%s\"", path, lineno, bad);
				goto out;
			}
		}
		if (m->n == ecap) {
			size_t nc = ecap ? ecap * 2 : 64;
			struct mon_ent *ne = realloc(m->e, nc * sizeof(*ne));
			struct ptab_item *ni = realloc(items,
			    nc * sizeof(*ni));
			if (ne)
				m->e = ne;
			if (ni)
				items = ni;
			if (ne == NULL || ni == NULL) {
				snprintf(err, errlen, "%s: out of memory",
				    path);
				goto out;
			}
			ecap = nc;
		}
		items[m->n].p = e.p;
		items[m->n].val = (uint32_t)m->n;
		m->e[m->n++] = e;
	}
	if (ptab_build(&m->t, items, m->n) < 0) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	for (int f6 = 0; f6 < 2; f6++)
		for (uint32_t i = 0; i < m->t.n[f6]; i++) {
			const struct ptab_ent *pe = &m->t.e[f6][i];
			if (pe->n > 1) {
				const struct mon_ent *a =
				    &m->e[m->t.vals[pe->first]];
				const struct mon_ent *b =
				    &m->e[m->t.vals[pe->first + 1]];
				char txt[64];
				ptab_format(&a->p, txt, sizeof(txt));
				snprintf(err, errlen, "%s:%ld: %s listed "
				    "again (first at line %ld)", path,
				    a->line > b->line ? a->line : b->line, txt,
				    a->line > b->line ? b->line : a->line);
				goto out;
			}
		}
	rc = 0;
out:
	free(line);
	free(items);
	fclose(f);
	monitor_free(rc == 0 ? dst : m);
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
