/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bmp_build.h: the one byte builder of the C tests and
 * bmpflow-gen-fulltable: BMP (RFC 7854) and BGP (RFC 4271) messages laid
 * out field by field, in network byte order.
 *
 * Two ways in, one layout:
 * - bb_put_*(p, ...) write at p and return the byte after: the
 *   generator's hot loop, which checks its room once per message;
 * - struct bb and bb_*(w, ...) append to a bounded vector, lengths
 *   patched when a part is closed: the tests.  They lay bytes out through
 *   bb_put_*, and abort with a message when the vector is full.
 * Hex text (bb_hex, hex_bytes) for vectors written as on the wire.
 * Header-only: the generator links no test library.
 */
#ifndef BF_BMP_BUILD_H
#define BF_BMP_BUILD_H

#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse/bgp_wire.h"
#include "parse/bmp_wire.h"

/* ---- at a pointer ---- */

static inline uint8_t *
bb_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

static inline uint8_t *
bb_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
	return p + 4;
}

/* BMP common header of a message of len bytes, header included. */
static inline uint8_t *
bb_put_bmp_hdr(uint8_t *p, uint8_t type, uint32_t len)
{
	p[0] = BMP_VERSION;
	p = bb_put32(p + 1, len);
	*p = type;
	return p + 1;
}

/*
 * Per-peer header (RFC 7854 §4.2): rd and addr NULL for zeros; an IPv4
 * peer's address in the last 4 of addr's 16 bytes.
 */
static inline uint8_t *
bb_put_peer_hdr(uint8_t *p, uint8_t type, uint8_t flags, const uint8_t *rd,
    const uint8_t *addr, uint32_t as, uint32_t bgp_id, uint32_t sec,
    uint32_t usec)
{
	*p++ = type;
	*p++ = flags;
	if (rd != NULL)
		memcpy(p, rd, 8);
	else
		memset(p, 0, 8);
	if (addr != NULL)
		memcpy(p + 8, addr, 16);
	else
		memset(p + 8, 0, 16);
	p = bb_put32(p + 24, as);
	p = bb_put32(p, bgp_id);
	p = bb_put32(p, sec);
	return bb_put32(p, usec);
}

/* BGP header of a message of len bytes, header included. */
static inline uint8_t *
bb_put_bgp_hdr(uint8_t *p, uint8_t type, uint16_t len)
{
	memset(p, 0xff, BGP_MARKER_LEN);
	p = bb_put16(p + BGP_MARKER_LEN, len);
	*p = type;
	return p + 1;
}

/* Information TLV (Initiation, Termination, Peer Up): type, length, value. */
static inline uint8_t *
bb_put_tlv(uint8_t *p, uint16_t type, const void *v, uint16_t len)
{
	p = bb_put16(p, type);
	p = bb_put16(p, len);
	memcpy(p, v, len);
	return p + len;
}

/*
 * Path attribute header: a 2-byte length when flags has
 * BGP_ATTR_F_EXTLEN, else 1 byte (len below 256, the caller's choice).
 */
static inline uint8_t *
bb_put_attr_hdr(uint8_t *p, uint8_t flags, uint8_t code, uint16_t len)
{
	*p++ = flags;
	*p++ = code;
	if (flags & BGP_ATTR_F_EXTLEN)
		return bb_put16(p, len);
	*p++ = (uint8_t)len;
	return p;
}

/* ---- hex text ---- */

static inline void
bb_die(const char *what)
{
	fprintf(stderr, "bmp_build: %s\n", what);
	abort();
}

/*
 * Parse hex text ("ff ff 00 1a", whitespace and '|' ignored) into out.
 * Returns the byte count; aborts on malformed text or overflow.
 */
static inline size_t
hex_bytes(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	for (const char *p = hex; *p != '\0'; p++) {
		int v;

		if (isspace((unsigned char)*p) || *p == '|')
			continue;
		if (!isxdigit((unsigned char)*p))
			bb_die("bad hex character in a vector");
		v = isdigit((unsigned char)*p) ? *p - '0' :
		    tolower((unsigned char)*p) - 'a' + 10;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n == cap)
			bb_die("hex vector longer than its buffer");
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	if (hi >= 0)
		bb_die("odd number of hex digits in a vector");
	return n;
}

/* ---- appended to a vector ---- */

#define BB_CAP	8192

struct bb {
	uint8_t	b[BB_CAP];
	size_t	n;
	size_t	mark;	/* an offset the vector's test looks at */
};

/* The next k bytes of the vector, taken; aborts when it is full. */
static inline uint8_t *
bb_take(struct bb *w, size_t k)
{
	uint8_t *p = w->b + w->n;

	if (k > BB_CAP - w->n)
		bb_die("vector longer than BB_CAP");
	w->n += k;
	return p;
}

static inline void
bb_u8(struct bb *w, unsigned v)
{
	*bb_take(w, 1) = (uint8_t)v;
}

static inline void
bb_u16(struct bb *w, unsigned v)
{
	bb_put16(bb_take(w, 2), (uint16_t)v);
}

static inline void
bb_u32(struct bb *w, uint32_t v)
{
	bb_put32(bb_take(w, 4), v);
}

static inline void
bb_bytes(struct bb *w, const void *v, size_t n)
{
	if (n > 0)
		memcpy(bb_take(w, n), v, n);
}

static inline void
bb_hex(struct bb *w, const char *hex)
{
	w->n += hex_bytes(hex, w->b + w->n, BB_CAP - w->n);
}

static inline void
bb_str(struct bb *w, const char *s)
{
	bb_bytes(w, s, strlen(s));
}

/* Overwrite the 2 bytes at off with v. */
static inline void
bb_patch16(struct bb *w, size_t off, size_t v)
{
	bb_put16(w->b + off, (uint16_t)v);
}

/* A 1- or 2-byte length to close with bb_len*_end: its offset. */
static inline size_t
bb_len8(struct bb *w)
{
	return (size_t)(bb_take(w, 1) - w->b);
}

static inline void
bb_len8_end(struct bb *w, size_t at)
{
	w->b[at] = (uint8_t)(w->n - at - 1);
}

static inline size_t
bb_len16(struct bb *w)
{
	return (size_t)(bb_take(w, 2) - w->b);
}

static inline void
bb_len16_end(struct bb *w, size_t at)
{
	bb_patch16(w, at, w->n - at - 2);
}

/* A BMP message of type, closed by bb_bmp_end: its offset. */
static inline size_t
bb_bmp_begin(struct bb *w, uint8_t type)
{
	uint8_t *p = bb_take(w, BMP_COMMON_HDR_LEN);

	bb_put_bmp_hdr(p, type, 0);
	return (size_t)(p - w->b);
}

static inline void
bb_bmp_end(struct bb *w, size_t at)
{
	bb_put32(w->b + at + 1, (uint32_t)(w->n - at));
}

static inline void
bb_peer_hdr(struct bb *w, uint8_t type, uint8_t flags, const uint8_t *rd,
    const uint8_t *addr, uint32_t as, uint32_t bgp_id, uint32_t sec,
    uint32_t usec)
{
	bb_put_peer_hdr(bb_take(w, BMP_PEER_HDR_LEN), type, flags, rd, addr,
	    as, bgp_id, sec, usec);
}

/* A BGP message of type, closed by bb_bgp_end: its offset. */
static inline size_t
bb_bgp_begin(struct bb *w, uint8_t type)
{
	uint8_t *p = bb_take(w, BGP_HDR_LEN);

	bb_put_bgp_hdr(p, type, 0);
	return (size_t)(p - w->b);
}

static inline void
bb_bgp_end(struct bb *w, size_t at)
{
	bb_patch16(w, at + BGP_MARKER_LEN, w->n - at);
}

static inline void
bb_tlv(struct bb *w, uint16_t type, const void *v, size_t len)
{
	bb_put_tlv(bb_take(w, 4 + len), type, v, (uint16_t)len);
}

/* A path attribute (see bb_put_attr_hdr); returns its header's offset. */
static inline size_t
bb_attr(struct bb *w, unsigned flags, unsigned code, const void *v,
    size_t len)
{
	bool ext = flags & BGP_ATTR_F_EXTLEN;
	uint8_t *p = bb_take(w, ext ? 4 : 3);

	if (!ext && len > 255)
		bb_die("attribute over 255 bytes without BGP_ATTR_F_EXTLEN");
	bb_put_attr_hdr(p, (uint8_t)flags, (uint8_t)code, (uint16_t)len);
	bb_bytes(w, v, len);
	return (size_t)(p - w->b);
}

#endif /* BF_BMP_BUILD_H */
