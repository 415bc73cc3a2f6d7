/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ptab.c: static prefix tables with covering-prefix lookup (see ptab.h).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ptab.h"

#include "core/addr.h"

#define IDX4_BUCKETS	65536

void
ptab_mask(struct ld_pfx *p, uint8_t len)
{
	if (len == 0) {
		p->hi = p->lo = 0;
	} else if (len < 64) {
		p->hi &= ~0ULL << (64 - len);
		p->lo = 0;
	} else if (len == 64) {
		p->lo = 0;
	} else if (len < 128) {
		p->lo &= ~0ULL << (128 - len);
	}
}

static uint64_t
be64(const uint8_t *b)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

void
ptab_from_bytes(struct ld_pfx *p, int family, int len, const uint8_t *addr)
{
	p->family = (uint8_t)family;
	p->len = (uint8_t)len;
	if (family == 4) {
		p->hi = (uint64_t)((uint32_t)addr[0] << 24 |
		    (uint32_t)addr[1] << 16 | (uint32_t)addr[2] << 8 |
		    addr[3]) << 32;
		p->lo = 0;
	} else {
		p->hi = be64(addr);
		p->lo = be64(addr + 8);
	}
	ptab_mask(p, p->len);
}

int
ptab_parse(const char *s, struct ld_pfx *p, const char **why)
{
	struct bf_prefix bp;

	if (bf_prefix_parse(s, &bp, why) < 0)
		return -1;
	ptab_from_bytes(p, bp.addr.family, bp.len, bp.addr.a);
	return 0;
}

void
ptab_format(const struct ld_pfx *p, char *buf, size_t len)
{
	uint8_t a[16];
	char txt[INET6_ADDRSTRLEN];

	for (int i = 0; i < 8; i++) {
		a[i] = (uint8_t)(p->hi >> (56 - 8 * i));
		a[8 + i] = (uint8_t)(p->lo >> (56 - 8 * i));
	}
	inet_ntop(p->family == 6 ? AF_INET6 : AF_INET, a, txt, sizeof(txt));
	snprintf(buf, len, "%s/%u", txt, p->len);
}

static int
cmp3(uint64_t ah, uint64_t al, uint8_t alen, uint64_t bh, uint64_t bl,
    uint8_t blen)
{
	if (ah != bh)
		return ah < bh ? -1 : 1;
	if (al != bl)
		return al < bl ? -1 : 1;
	return (alen > blen) - (alen < blen);
}

static int
cmp_item(const void *a, const void *b)
{
	const struct ptab_item *x = a, *y = b;

	if (x->p.family != y->p.family)
		return x->p.family < y->p.family ? -1 : 1;
	return cmp3(x->p.hi, x->p.lo, x->p.len, y->p.hi, y->p.lo, y->p.len);
}

static int
contains(const struct ptab_ent *c, uint64_t hi, uint64_t lo, uint8_t len)
{
	struct ld_pfx m = { .hi = hi, .lo = lo };

	if (c->len > len)
		return 0;
	ptab_mask(&m, c->len);
	return m.hi == c->hi && m.lo == c->lo;
}

void
ptab_free(struct ptab *t)
{
	free(t->e[0]);
	free(t->e[1]);
	free(t->vals);
	free(t->idx4);
	memset(t, 0, sizeof(*t));
}

int
ptab_build(struct ptab *t, struct ptab_item *items, size_t n)
{
	uint32_t stack[130];

	memset(t, 0, sizeof(*t));
	if (n > 0)	/* items may be NULL then: qsort's is nonnull */
		qsort(items, n, sizeof(*items), cmp_item);
	if (n > 0 && (t->vals = malloc(n * sizeof(uint32_t))) == NULL)
		return -1;
	for (int f = 0; f < 2; f++) {
		size_t cnt = 0;
		for (size_t i = 0; i < n; i++)
			if ((items[i].p.family == 6) == f)
				cnt++;
		if (cnt > 0 && (t->e[f] = malloc(cnt * sizeof(struct
		    ptab_ent))) == NULL) {
			ptab_free(t);
			return -1;
		}
	}
	for (size_t i = 0; i < n; i++) {
		const struct ld_pfx *p = &items[i].p;
		int f = p->family == 6;
		struct ptab_ent *last = t->n[f] ? &t->e[f][t->n[f] - 1] : NULL;

		t->vals[i] = items[i].val;
		if (last && last->hi == p->hi && last->lo == p->lo &&
		    last->len == p->len) {
			last->n++;
			continue;
		}
		last = &t->e[f][t->n[f]++];
		last->hi = p->hi;
		last->lo = p->lo;
		last->len = p->len;
		last->first = (uint32_t)i;
		last->n = 1;
		last->parent = 0;
	}
	/* Parents: a sweep with the stack of open (containing) entries. */
	for (int f = 0; f < 2; f++) {
		size_t depth = 0;
		for (uint32_t i = 0; i < t->n[f]; i++) {
			struct ptab_ent *e = &t->e[f][i];
			while (depth > 0 && !contains(&t->e[f][stack[depth - 1]],
			    e->hi, e->lo, e->len))
				depth--;
			e->parent = depth ? stack[depth - 1] + 1 : 0;
			stack[depth++] = i;
		}
	}
	if (t->n[0] > 0) {
		if ((t->idx4 = malloc((IDX4_BUCKETS + 1) *
		    sizeof(uint32_t))) == NULL) {
			ptab_free(t);
			return -1;
		}
		uint32_t j = 0;
		for (uint32_t b = 0; b <= IDX4_BUCKETS; b++) {
			while (j < t->n[0] && (t->e[0][j].hi >> 48) < b)
				j++;
			t->idx4[b] = j;
		}
	}
	return 0;
}

size_t
ptab_bytes(const struct ptab *t)
{
	return (t->n[0] + t->n[1]) * sizeof(struct ptab_ent) +
	    (t->idx4 ? (IDX4_BUCKETS + 1) * sizeof(uint32_t) : 0) +
	    (t->vals ? (size_t)(t->n[0] + t->n[1]) * sizeof(uint32_t) : 0);
}

size_t
ptab_cover(const struct ptab *t, const struct ld_pfx *q,
    const struct ptab_ent **out, size_t max)
{
	int f = q->family == 6;
	const struct ptab_ent *e = t->e[f];
	long lo = 0, hi = (long)t->n[f] - 1, at = -1;
	size_t n = 0;

	if (t->n[f] == 0)
		return 0;
	if (f == 0) {
		uint32_t b = (uint32_t)(q->hi >> 48);
		lo = t->idx4[b];
		hi = (long)t->idx4[b + 1] - 1;
		at = lo - 1;	/* the last entry before this bucket */
	}
	/* The last entry ordered at or before q. */
	while (lo <= hi) {
		long mid = lo + (hi - lo) / 2;
		if (cmp3(e[mid].hi, e[mid].lo, e[mid].len, q->hi, q->lo,
		    q->len) <= 0) {
			at = mid;
			lo = mid + 1;
		} else
			hi = mid - 1;
	}
	for (long i = at; i >= 0 && n < max; i = (long)e[i].parent - 1)
		if (contains(&e[i], q->hi, q->lo, q->len))
			out[n++] = &e[i];
	return n;
}
