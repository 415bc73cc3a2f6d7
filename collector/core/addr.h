/* SPDX-License-Identifier: Apache-2.0 */
/*
 * addr.h: IPv4/IPv6 addresses, prefixes and route distinguishers.
 */
#ifndef BF_ADDR_H
#define BF_ADDR_H

#include <stddef.h>
#include <stdint.h>

#define BF_AF_NONE	0
#define BF_AF_INET	4
#define BF_AF_INET6	6

#define BF_ADDR_STRLEN	46	/* INET6_ADDRSTRLEN */
#define BF_PREFIX_STRLEN (BF_ADDR_STRLEN + 4)
#define BF_RD_STRLEN	32

struct bf_addr {
	uint8_t	family;		/* BF_AF_* */
	uint8_t	a[16];		/* network order; IPv4 in a[0..3] */
};

struct bf_prefix {
	struct bf_addr	addr;
	uint8_t		len;	/* prefix length in bits */
};

/* Format into buf (at least BF_ADDR_STRLEN); "" for BF_AF_NONE. Returns buf. */
const char	*bf_addr_fmt(const struct bf_addr *a, char *buf, size_t size);
/* "192.0.2.0/24"; buf at least BF_PREFIX_STRLEN. Returns buf. */
const char	*bf_prefix_fmt(const struct bf_prefix *p, char *buf, size_t size);
/* RFC 4364 §4.2 text: "65000:100", "192.0.2.1:7", "4200000000:1". Returns buf. */
const char	*bf_rd_fmt(const uint8_t rd[8], char *buf, size_t size);
/* 1 when all 8 bytes are zero (no RD). */
int		 bf_rd_is_zero(const uint8_t rd[8]);
void		 bf_addr_v4(struct bf_addr *a, uint32_t host_order);

/* Text address (IPv4 or IPv6) -> a.  0, or -1 when s is not one. */
int		 bf_addr_parse(const char *s, struct bf_addr *a);
/*
 * "ADDR/LEN" -> p: the one prefix parser of every bmpflow program and
 * plugin.  0, or -1 with *why: no "/LEN", not an address, a length out of
 * range, host bits set beyond the length (192.0.2.1/24 is refused, not
 * read as 192.0.2.0/24: it is a typing error as often as not).
 */
int		 bf_prefix_parse(const char *s, struct bf_prefix *p,
		    const char **why);
/* 1 when a lies within p. */
int		 bf_prefix_contains(const struct bf_prefix *p,
		    const struct bf_addr *a);

#endif /* BF_ADDR_H */
