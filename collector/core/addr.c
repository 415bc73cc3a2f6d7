#include <arpa/inet.h>
#include <stdio.h>
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

/*
 * IPv4 is formatted by hand: glibc's inet_ntop goes through sprintf, and
 * this runs once per route record.  "255.255.255.255/32" fits in 19.
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
	} else if (a->family == BF_AF_INET6) {
		inet_ntop(AF_INET6, a->a, buf, (socklen_t)size);
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
