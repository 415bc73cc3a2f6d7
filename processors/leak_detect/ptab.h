/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ptab.h: static prefix tables with covering-prefix lookup, for VRPs and
 * monitored prefixes of leak_detect.
 *
 * Built once from (prefix, value) items and read-only afterwards.  The
 * entries of a family are sorted by (address, length); each knows the
 * nearest entry that contains it (parent).  Prefixes nest or are disjoint,
 * so every entry covering a query q is on the parent chain of the last
 * entry ordered at or before q: a lookup is a binary search (for IPv4
 * inside a 65,536-bucket index on the first 16 bits) and a walk up a chain
 * at most 33 or 129 long.
 */
#ifndef BMPFLOW_LD_PTAB_H
#define BMPFLOW_LD_PTAB_H

#include <stddef.h>
#include <stdint.h>

/* An IPv4 (in the top 32 bits of hi) or IPv6 prefix, host bits zero. */
struct ld_pfx {
	uint64_t	hi, lo;
	uint8_t		family;		/* 4 or 6 */
	uint8_t		len;
};

struct ptab_item {
	struct ld_pfx	p;
	uint32_t	val;		/* the caller's payload index */
};

struct ptab_ent {
	uint64_t	hi, lo;
	uint32_t	parent;		/* index + 1 of the covering entry, 0 none */
	uint32_t	first;		/* values: vals[first .. first + n) */
	uint32_t	n;
	uint8_t		len;
};

struct ptab {
	struct ptab_ent	*e[2];		/* [0] IPv4, [1] IPv6 */
	uint32_t	 n[2];
	uint32_t	*vals;
	uint32_t	*idx4;		/* 65,537 bucket starts, NULL if no v4 */
};

/*
 * Parse "192.0.2.0/24" or "2001:db8::/32" into p.  Returns 0, or -1 with
 * what is wrong in why (host bits set, bad length, bad address).
 */
int	ptab_parse(const char *s, struct ld_pfx *p, const char **why);

/* p from a route's family, length and network-order address bytes. */
void	ptab_from_bytes(struct ld_pfx *p, int family, int len,
	    const uint8_t *addr);

/* "192.0.2.0/24" into buf (at least 44 bytes). */
void	ptab_format(const struct ld_pfx *p, char *buf, size_t len);

/* p with its host bits beyond len cleared. */
void	ptab_mask(struct ld_pfx *p, uint8_t len);

/*
 * Build t from items (reordered in place).  Items of one prefix share an
 * entry.  Returns 0, or -1 when out of memory (t is then empty).
 */
int	ptab_build(struct ptab *t, struct ptab_item *items, size_t n);
void	ptab_free(struct ptab *t);
size_t	ptab_bytes(const struct ptab *t);

/*
 * The entries covering q (equal or less specific), most specific first,
 * at most max of them into out.  Returns how many.
 */
size_t	ptab_cover(const struct ptab *t, const struct ld_pfx *q,
	    const struct ptab_ent **out, size_t max);

#endif /* BMPFLOW_LD_PTAB_H */
