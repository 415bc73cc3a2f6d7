/* SPDX-License-Identifier: Apache-2.0 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

/* Decimal digits of v (0..255) at p; returns the end. */
static char *
put_u8(char *p, unsigned v)
{
	if (v >= 100)
		*p++ = (char)('0' + v / 100);
	if (v >= 10)
		*p++ = (char)('0' + v / 10 % 10);
	*p++ = (char)('0' + v % 10);
	return p;
}

/* Lower-case hex digits of v (no leading zeros) at p; returns the end. */
static char *
put_x16(char *p, unsigned v)
{
	static const char hex[] = "0123456789abcdef";
	int shift = v >= 0x1000 ? 12 : v >= 0x100 ? 8 : v >= 0x10 ? 4 : 0;

	for (; shift >= 0; shift -= 4)
		*p++ = hex[(v >> shift) & 0xf];
	return p;
}

/*
 * IPv6 text exactly as glibc's inet_ntop writes it (RFC 5952: the first
 * longest run of two or more zero words as "::"; the IPv4-compatible and
 * -mapped forms with a dotted tail), without its sprintf per word.  buf
 * holds at least INET6_ADDRSTRLEN.
 */
static void
ipv6_fmt(const uint8_t a[16], char *buf)
{
	unsigned w[8];
	int best = -1, best_len = 0, run = -1;
	char *p = buf;

	for (int i = 0; i < 8; i++) {
		w[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
		if (w[i] != 0) {
			run = -1;
			continue;
		}
		if (run < 0)
			run = i;
		if (i - run + 1 > best_len) {
			best = run;
			best_len = i - run + 1;
		}
	}
	if (best_len < 2)
		best = -1;
	for (int i = 0; i < 8; i++) {
		if (best >= 0 && i >= best && i < best + best_len) {
			if (i == best)
				*p++ = ':';
			continue;
		}
		if (i != 0)
			*p++ = ':';
		if (i == 6 && best == 0 && (best_len == 6 || (best_len == 5 &&
		    w[5] == 0xffff))) {
			for (int j = 12; j < 16; j++) {
				p = put_u8(p, a[j]);
				*p++ = j < 15 ? '.' : '\0';
			}
			return;
		}
		p = put_x16(p, w[i]);
	}
	if (best >= 0 && best + best_len == 8)
		*p++ = ':';
	*p = '\0';
}

/*
 * Formatted by hand: glibc's inet_ntop goes through sprintf (once per
 * IPv6 word), and this runs once per route record.  "255.255.255.255/32"
 * fits in 19.
 */
const char *
bf_addr_fmt(const struct bf_addr *a, char *buf, size_t size)
{
	buf[0] = '\0';
	if (a->family == BF_AF_INET && size >= 16) {
		char *p = buf;

		for (int i = 0; i < 4; i++) {
			p = put_u8(p, a->a[i]);
			*p++ = i < 3 ? '.' : '\0';
		}
	} else if (a->family == BF_AF_INET6 && size >= INET6_ADDRSTRLEN) {
		ipv6_fmt(a->a, buf);
	}
	return buf;
}

const char *
bf_prefix_fmt(const struct bf_prefix *p, char *buf, size_t size)
{
	size_t n;

	if (size < BF_PREFIX_STRLEN) {
		buf[0] = '\0';
		return buf;
	}
	bf_addr_fmt(&p->addr, buf, size);
	n = strlen(buf);
	buf[n++] = '/';
	*put_u8(buf + n, p->len) = '\0';
	return buf;
}

const char *
bf_rd_fmt(const uint8_t rd[8], char *buf, size_t size)
{
	unsigned type = (unsigned)rd[0] << 8 | rd[1];
	uint32_t v32;

	switch (type) {
	case 0:		/* 2-byte ASN : 4-byte number */
		v32 = (uint32_t)rd[4] << 24 | (uint32_t)rd[5] << 16 |
		    (uint32_t)rd[6] << 8 | rd[7];
		snprintf(buf, size, "%u:%u", (unsigned)rd[2] << 8 | rd[3], v32);
		break;
	case 1:		/* IPv4 address : 2-byte number */
		snprintf(buf, size, "%u.%u.%u.%u:%u", rd[2], rd[3], rd[4],
		    rd[5], (unsigned)rd[6] << 8 | rd[7]);
		break;
	case 2:		/* 4-byte ASN : 2-byte number */
		v32 = (uint32_t)rd[2] << 24 | (uint32_t)rd[3] << 16 |
		    (uint32_t)rd[4] << 8 | rd[5];
		snprintf(buf, size, "%u:%u", v32, (unsigned)rd[6] << 8 | rd[7]);
		break;
	default:
		snprintf(buf, size, "type%u:%02x%02x%02x%02x%02x%02x", type,
		    rd[2], rd[3], rd[4], rd[5], rd[6], rd[7]);
		break;
	}
	return buf;
}

int
bf_rd_is_zero(const uint8_t rd[8])
{
	static const uint8_t zero[8];

	return memcmp(rd, zero, sizeof(zero)) == 0;
}

void
bf_addr_v4(struct bf_addr *a, uint32_t host_order)
{
	memset(a, 0, sizeof(*a));
	a->family = BF_AF_INET;
	a->a[0] = (uint8_t)(host_order >> 24);
	a->a[1] = (uint8_t)(host_order >> 16);
	a->a[2] = (uint8_t)(host_order >> 8);
	a->a[3] = (uint8_t)host_order;
}

int
bf_addr_parse(const char *s, struct bf_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a->a) == 1) {
		a->family = BF_AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, a->a) == 1) {
		a->family = BF_AF_INET6;
		return 0;
	}
	return -1;
}

/* Whether the bits of a past len are all zero. */
static int
host_bits_clear(const struct bf_addr *a, unsigned len)
{
	unsigned bytes = a->family == BF_AF_INET ? 4 : 16;

	for (unsigned i = len / 8; i < bytes; i++) {
		uint8_t keep = i == len / 8 ? (uint8_t)(0xff00 >> len % 8) : 0;

		if (a->a[i] & (uint8_t)~keep)
			return 0;
	}
	return 1;
}

int
bf_prefix_parse(const char *s, struct bf_prefix *p, const char **why)
{
	char addr[BF_ADDR_STRLEN];
	const char *slash = strchr(s, '/');
	unsigned long len;
	char *end;

	if (slash == NULL) {
		*why = "no /LENGTH";
		return -1;
	}
	if ((size_t)(slash - s) < sizeof(addr)) {
		memcpy(addr, s, (size_t)(slash - s));
		addr[slash - s] = '\0';
	}
	if ((size_t)(slash - s) >= sizeof(addr) ||
	    bf_addr_parse(addr, &p->addr) < 0) {
		*why = "not an IPv4 or IPv6 address";
		return -1;
	}
	len = strtoul(slash + 1, &end, 10);
	if (slash[1] < '0' || slash[1] > '9' || *end != '\0' ||
	    len > (p->addr.family == BF_AF_INET ? 32u : 128u)) {
		*why = "bad prefix length";
		return -1;
	}
	p->len = (uint8_t)len;
	if (!host_bits_clear(&p->addr, p->len)) {
		*why = "host bits set beyond the prefix length";
		return -1;
	}
	return 0;
}

int
bf_prefix_contains(const struct bf_prefix *p, const struct bf_addr *a)
{
	unsigned full = p->len / 8, rest = p->len % 8;

	if (a->family != p->addr.family ||
	    memcmp(a->a, p->addr.a, full) != 0)
		return 0;
	return rest == 0 ||
	    ((a->a[full] ^ p->addr.a[full]) & (uint8_t)(0xff00 >> rest)) == 0;
}
