/* SPDX-License-Identifier: Apache-2.0 */
/*
 * NLRI decoding.
 *
 *   [Path Identifier (4), RFC 7911, when ADD-PATH is negotiated]
 *   Length (1, bits) | [Label stack, 3 bytes each, RFC 8277]
 *                    | [Route Distinguisher (8), RFC 4364] | Prefix bytes
 */
#include <stdio.h>
#include <string.h>

#include "bgp_nlri.h"
#include "bgp_wire.h"

static const struct bgp_af af_table[] = {
	{ BGP_AFI_IPV4, BGP_SAFI_UNICAST, 0, "ipv4-unicast", BF_AF_INET, false, false },
	{ BGP_AFI_IPV4, BGP_SAFI_MULTICAST, 1, "ipv4-multicast", BF_AF_INET, false, false },
	{ BGP_AFI_IPV4, BGP_SAFI_LABELED, 2, "ipv4-labeled-unicast", BF_AF_INET, true, false },
	{ BGP_AFI_IPV4, BGP_SAFI_VPN, 3, "vpnv4-unicast", BF_AF_INET, true, true },
	{ BGP_AFI_IPV4, BGP_SAFI_VPN_MULTICAST, 4, "vpnv4-multicast", BF_AF_INET, true, true },
	{ BGP_AFI_IPV6, BGP_SAFI_UNICAST, 5, "ipv6-unicast", BF_AF_INET6, false, false },
	{ BGP_AFI_IPV6, BGP_SAFI_MULTICAST, 6, "ipv6-multicast", BF_AF_INET6, false, false },
	{ BGP_AFI_IPV6, BGP_SAFI_LABELED, 7, "ipv6-labeled-unicast", BF_AF_INET6, true, false },
	{ BGP_AFI_IPV6, BGP_SAFI_VPN, 8, "vpnv6-unicast", BF_AF_INET6, true, true },
	{ BGP_AFI_IPV6, BGP_SAFI_VPN_MULTICAST, 9, "vpnv6-multicast", BF_AF_INET6, true, true },
};

const struct bgp_af *
bgp_af_lookup(uint16_t afi, uint8_t safi)
{
	for (size_t i = 0; i < sizeof(af_table) / sizeof(af_table[0]); i++)
		if (af_table[i].afi == afi && af_table[i].safi == safi)
			return &af_table[i];
	return NULL;
}

const struct bgp_af *
bgp_af_ipv4_unicast(void)
{
	return &af_table[0];
}

const char *
bgp_af_name(uint16_t afi, uint8_t safi, char *buf, size_t size)
{
	const struct bgp_af *af = bgp_af_lookup(afi, safi);

	if (af != NULL)
		snprintf(buf, size, "%s", af->name);
	else if (afi == BGP_AFI_L2VPN && safi == BGP_SAFI_EVPN)
		snprintf(buf, size, "l2vpn-evpn");
	else if (afi == BGP_AFI_BGPLS)
		snprintf(buf, size, "bgp-ls-safi%u", safi);
	else
		snprintf(buf, size, "afi%u-safi%u", afi, safi);
	return buf;
}

void
bgp_nlri_iter_init(struct bgp_nlri_iter *it, struct bf_cur nlri,
    const struct bgp_af *af, bool addpath, bool withdraw, size_t base_off)
{
	it->cur = nlri;
	it->af = af;
	it->addpath = addpath;
	it->withdraw = withdraw;
	it->base_off = base_off;
	it->start_len = cur_len(&nlri);
}

static size_t
iter_off(const struct bgp_nlri_iter *it)
{
	return it->base_off + (it->start_len - cur_len(&it->cur));
}

/*
 * One NLRI located and validated, not yet decoded: cursors at its label
 * stack (n_labels labels of 3 bytes), its RD and its prefix bytes, each
 * known to hold what it must.
 */
struct nlri_frame {
	uint32_t	path_id;
	unsigned	bits;		/* prefix length left after labels and RD */
	unsigned	n_labels;
	struct bf_cur	labels;
	struct bf_cur	rd;
	struct bf_cur	pfx;
};

/*
 * Carve the next NLRI of it into f and advance c past it: 0, or -1 with err
 * set (offset of the NLRI's first byte in the message).  All validation of
 * an NLRI lives here, so counting (bgp_nlri_count) and decoding
 * (bgp_nlri_next) accept and reject exactly the same bytes, with the same
 * errors; counting just never builds the prefix.  Forced inline: left to
 * itself GCC keeps one out-of-line copy, and the count pass then pays a call
 * and a frame through memory per prefix (slower than before the split).
 */
static inline __attribute__((always_inline)) int
nlri_carve(const struct bgp_nlri_iter *it, struct bf_cur *c,
    struct nlri_frame *f, struct bf_err *err)
{
	const struct bgp_af *af = it->af;
	unsigned maxbits = af->family == BF_AF_INET ? 32 : 128;
	unsigned bits;
	uint8_t len8;

	f->path_id = 0;
	if (it->addpath && cur_get_u32(c, &f->path_id) < 0)
		goto trunc;
	if (cur_get_u8(c, &len8) < 0)
		goto trunc;
	bits = len8;
	f->labels = *c;
	f->n_labels = 0;
	if (af->has_labels) {
		/* Read labels until bottom-of-stack; a withdrawal carries one. */
		for (;;) {
			uint32_t l;

			if (bits < 24) {
				bf_err_set(err, -1, iter_off(it),
				    "%s NLRI length %u too short for its label",
				    af->name, len8);
				return -1;
			}
			if (cur_get_u24(c, &l) < 0)
				goto trunc;
			bits -= 24;
			f->n_labels++;
			if (it->withdraw || (l & BGP_LABEL_BOS) ||
			    l == 0x800000 || l == 0)
				break;
		}
	}
	f->rd = *c;
	if (af->has_rd) {
		if (bits < 64) {
			bf_err_set(err, -1, iter_off(it),
			    "%s NLRI length %u too short for its RD", af->name,
			    len8);
			return -1;
		}
		if (cur_skip(c, BGP_RD_LEN) < 0)
			goto trunc;
		bits -= 64;
	}
	if (bits > maxbits) {
		bf_err_set(err, -1, iter_off(it),
		    "%s prefix length %u exceeds %u", af->name, bits, maxbits);
		return -1;
	}
	f->pfx = *c;
	if (cur_skip(c, (bits + 7) / 8) < 0)
		goto trunc;
	f->bits = bits;
	return 0;
trunc:
	bf_err_set(err, -1, iter_off(it), "%s NLRI truncated (%zu bytes left)",
	    af->name, cur_len(&it->cur));
	return -1;
}

int
bgp_nlri_next(struct bgp_nlri_iter *it, struct bgp_nlri *out,
    struct bf_err *err)
{
	struct bf_cur c = it->cur;
	const struct bgp_af *af = it->af;
	struct nlri_frame f;
	unsigned bits;

	if (cur_len(&c) == 0)
		return 0;
	if (nlri_carve(it, &c, &f, err) < 0)
		return -1;
	/* The reads below cannot fail: nlri_carve checked every length. */
	out->has_path_id = it->addpath;
	out->path_id = f.path_id;
	out->n_labels = 0;
	while (out->n_labels < f.n_labels && out->n_labels < BGP_MAX_LABELS) {
		uint32_t l = 0;

		(void)cur_get_u24(&f.labels, &l);
		out->labels[out->n_labels++] = l >> 4;
	}
	out->has_rd = af->has_rd;
	if (af->has_rd)
		(void)cur_get_bytes(&f.rd, out->rd, BGP_RD_LEN);
	bits = f.bits;
	memset(&out->prefix, 0, sizeof(out->prefix));
	out->prefix.addr.family = af->family;
	out->prefix.len = (uint8_t)bits;
	(void)cur_get_bytes(&f.pfx, out->prefix.addr.a, (bits + 7) / 8);
	/* Clear host bits beyond the length, as senders may leave junk there. */
	if (bits % 8)
		out->prefix.addr.a[bits / 8] &= (uint8_t)(0xff << (8 - bits % 8));
	it->cur = c;
	return 1;
}

/*
 * Length-only pass: the same carving and checks as bgp_nlri_next, without
 * copying path IDs, labels, RDs or prefix bytes out.
 */
long
bgp_nlri_count(struct bf_cur nlri, const struct bgp_af *af, bool addpath,
    bool withdraw, size_t base_off, struct bf_err *err)
{
	struct bgp_nlri_iter it;
	struct nlri_frame f;
	long count = 0;

	bgp_nlri_iter_init(&it, nlri, af, addpath, withdraw, base_off);
	while (cur_len(&it.cur) > 0) {
		struct bf_cur c = it.cur;

		if (nlri_carve(&it, &c, &f, err) < 0)
			return -1;
		it.cur = c;
		count++;
	}
	return count;
}
