/* SPDX-License-Identifier: Apache-2.0 */
/*
 * BGP decoders (collector/parse/bgp_*.c): OPEN capabilities, every path
 * attribute with exact values, the RFC 6793 AS4 merge, AFI/SAFI via
 * MP_(UN)REACH_NLRI, ADD-PATH, End-of-RIB, RFC 7606 outcomes, the route
 * iterator, and truncation of every vector at every length.
 *
 * Vectors are built field by field (attribute and MP lengths computed by
 * the builder) and every parse reads from an exactly-sized heap copy, so
 * ASan catches any read past the end.
 */
#include <check.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "parse/bgp_aspath.h"
#include "parse/bgp_attr.h"
#include "parse/bgp_nlri.h"
#include "parse/bgp_open.h"
#include "parse/bgp_update.h"
#include "parse/bgp_wire.h"
#include "test_util.h"

/* NLRI fields as bgp_update.sec_addpath[] indexes them (wire order). */
#define SEC_WITHDRAWN	0
#define SEC_MP_UNREACH	1
#define SEC_NLRI	2
#define SEC_MP_REACH	3

#define NH4	"c0000201"				/* 192.0.2.1 */
#define V6G	"20010db8000000000000000000000001"	/* 2001:db8::1 */
#define V6LL	"fe800000000000000000000000000001"	/* fe80::1 */
#define RD0	"0000000000000000"

/* ---- Vectors (support/bmp_build.h) ---- */

/* UPDATE: header, withdrawn routes; attributes follow, upd_end() closes. */
static void
upd_begin(struct bb *w, const char *withdrawn_hex)
{
	size_t wlen;

	memset(w, 0, sizeof(*w));
	bb_bgp_begin(w, BGP_MSG_UPDATE);
	wlen = bb_len16(w);
	bb_hex(w, withdrawn_hex);
	bb_len16_end(w, wlen);
	bb_len16(w);	/* Total Path Attribute Length: upd_end() */
}

/* The offset of an UPDATE's Total Path Attribute Length. */
static size_t
alen_at(const struct bb *w)
{
	return BGP_HDR_LEN + 2 +
	    ((size_t)w->b[BGP_HDR_LEN] << 8 | w->b[BGP_HDR_LEN + 1]);
}

static void
upd_end(struct bb *w, const char *nlri_hex)
{
	bb_len16_end(w, alen_at(w));
	bb_hex(w, nlri_hex);
	bb_bgp_end(w, 0);
}

static size_t
attr(struct bb *w, unsigned flags, unsigned code, const char *hex)
{
	uint8_t v[512];
	size_t n = hex_bytes(hex, v, sizeof(v));

	return bb_attr(w, flags, code, v, n);
}

/* MP_REACH_NLRI: AFI, SAFI, next hop (length from the hex), reserved, NLRI. */
static size_t
mp_reach(struct bb *w, unsigned afi, unsigned safi, const char *nh_hex,
    const char *nlri_hex)
{
	struct bb v = { .n = 0 };
	uint8_t nh[64];
	size_t nn = hex_bytes(nh_hex, nh, sizeof(nh));

	bb_u16(&v, afi);
	bb_u8(&v, safi);
	bb_u8(&v, (unsigned)nn);
	bb_bytes(&v, nh, nn);
	bb_u8(&v, 0);
	bb_hex(&v, nlri_hex);
	return bb_attr(w, BGP_ATTR_F_OPTIONAL, BGP_ATTR_MP_REACH_NLRI, v.b,
	    v.n);
}

static size_t
mp_unreach(struct bb *w, unsigned afi, unsigned safi, const char *nlri_hex)
{
	struct bb v = { .n = 0 };

	bb_u16(&v, afi);
	bb_u8(&v, safi);
	bb_hex(&v, nlri_hex);
	return bb_attr(w, BGP_ATTR_F_OPTIONAL, BGP_ATTR_MP_UNREACH_NLRI, v.b,
	    v.n);
}

/* ORIGIN IGP, AS_PATH SEQ(65001 65002) at the session's width, NEXT_HOP. */
static void
base_attrs(struct bb *w, bool as4, bool next_hop)
{
	attr(w, 0x40, BGP_ATTR_ORIGIN, "00");
	attr(w, 0x40, BGP_ATTR_AS_PATH, as4 ? "02 02 0000fde9 0000fdea" :
	    "02 02 fde9 fdea");
	if (next_hop)
		attr(w, 0x40, BGP_ATTR_NEXT_HOP, NH4);
}

static uint32_t
ap_bit(uint16_t afi, uint8_t safi)
{
	const struct bgp_af *af = bgp_af_lookup(afi, safi);

	ck_assert_ptr_nonnull(af);
	return 1u << af->index;
}

/* ---- Parse state: the update is large, so it lives on the heap ---- */

static struct bgp_update *U;
static uint8_t *g_buf;
static struct bf_err E;

#define MAX_ROUTES 64
static struct bgp_route R[MAX_ROUTES];

static void
setup(void)
{
	U = calloc(1, sizeof(*U));
	ck_assert_ptr_nonnull(U);
	g_buf = NULL;
}

static void
teardown(void)
{
	free(U);
	free(g_buf);
	U = NULL;
	g_buf = NULL;
}

static enum bgp_outcome
parse(const struct bb *w, const struct bgp_decode_opts *o)
{
	free(g_buf);
	g_buf = exact_copy(w->b, w->n);
	memset(&E, 0, sizeof(E));
	return bgp_update_parse(cur_make(g_buf, w->n), o, U, &E);
}

/* Parse and insist on outcome want, dumping the vector otherwise. */
static void
parse_expect(const struct bb *w, const struct bgp_decode_opts *o,
    enum bgp_outcome want)
{
	enum bgp_outcome got = parse(w, o);

	if (got != want)
		hex_dump("UPDATE", w->b, w->n);
	ck_assert_msg(got == want, "outcome %d, want %d (err '%s' at %zu)",
	    got, want, E.msg, E.offset);
	ck_assert_int_eq(U->outcome, want);
}

static size_t
routes(void)
{
	struct bgp_route_iter ri;
	size_t n = 0;

	bgp_route_iter_init(&ri, U);
	while (n < MAX_ROUTES && bgp_route_next(&ri, &R[n]) == 1)
		n++;
	ck_assert_uint_lt(n, MAX_ROUTES);
	return n;
}

static void
check_route(size_t i, enum bgp_route_action act, const char *af,
    const char *prefix)
{
	char buf[BF_PREFIX_STRLEN];

	ck_assert_msg(R[i].action == act, "route %zu: action %d, want %d", i,
	    R[i].action, act);
	ck_assert_ptr_nonnull(R[i].af);
	ck_assert_str_eq(R[i].af->name, af);
	ck_assert_str_eq(bf_prefix_fmt(&R[i].nlri.prefix, buf, sizeof(buf)),
	    prefix);
}

static void
check_rd(size_t i, const char *rd)
{
	char buf[BF_RD_STRLEN];

	ck_assert(R[i].nlri.has_rd);
	ck_assert_str_eq(bf_rd_fmt(R[i].nlri.rd, buf, sizeof(buf)), rd);
}

static const char *
addr_str(const struct bf_addr *a)
{
	static char buf[4][BF_ADDR_STRLEN];
	static int k;

	k = (k + 1) % 4;
	return bf_addr_fmt(a, buf[k], sizeof(buf[k]));
}

static const struct bgp_attr_issue *
find_issue(uint8_t code)
{
	for (uint8_t i = 0; i < U->attrs.n_issues; i++)
		if (U->attrs.issues[i].code == code)
			return &U->attrs.issues[i];
	return NULL;
}

static void
check_issue(uint8_t code, enum bgp_outcome action, size_t offset,
    const char *msg_part)
{
	const struct bgp_attr_issue *is = find_issue(code);

	ck_assert_msg(is != NULL, "no issue for attribute %u", code);
	ck_assert_int_eq(is->action, action);
	ck_assert_uint_eq(is->offset, offset);
	if (msg_part != NULL)
		ck_assert_msg(strstr(is->msg, msg_part) != NULL,
		    "issue '%s' lacks '%s'", is->msg, msg_part);
}

/*
 * A flag conflict is reported at the attribute header: its flags byte
 * (hdr), or its type byte as older decoders did.
 */
static void
check_flag_issue(uint8_t code, enum bgp_outcome action, size_t hdr,
    const char *msg_part)
{
	const struct bgp_attr_issue *is = find_issue(code);

	ck_assert_msg(is != NULL, "no issue for attribute %u", code);
	ck_assert_int_eq(is->action, action);
	ck_assert_msg(is->offset == hdr || is->offset == hdr + 1,
	    "flag conflict reported at %zu, attribute header at %zu",
	    is->offset, hdr);
	ck_assert_msg(strstr(is->msg, msg_part) != NULL, "issue '%s' lacks '%s'",
	    is->msg, msg_part);
}

static void
check_asns(const uint32_t *want, uint32_t n)
{
	ck_assert_uint_eq(U->attrs.aspath.n_asns, n);
	for (uint32_t i = 0; i < n; i++)
		ck_assert_msg(U->attrs.aspath.asns[i] == want[i],
		    "asns[%u] = %u, want %u", i, U->attrs.aspath.asns[i],
		    want[i]);
}

static void
check_seg(uint32_t i, uint8_t type, uint16_t start, uint16_t count)
{
	const struct bgp_aspath_seg *s = &U->attrs.aspath.segs[i];

	ck_assert_uint_lt(i, U->attrs.aspath.n_segs);
	ck_assert_uint_eq(s->type, type);
	ck_assert_uint_eq(s->start, start);
	ck_assert_uint_eq(s->count, count);
}

static void
check_cur(const struct bf_cur *c, const char *hex)
{
	uint8_t want[256];
	size_t n = hex_bytes(hex, want, sizeof(want));

	ck_assert_uint_eq(cur_len(c), n);
	ck_assert_mem_eq(c->p, want, n);
}

/* ==== UPDATE vectors (all of them are truncated by trunc_update) ==== */

typedef void (*upd_fn)(struct bb *, struct bgp_decode_opts *);

/* Every attribute the decoder knows, once, on a 4-octet session. */
static void
v_full_v4(struct bb *w, struct bgp_decode_opts *o)
{
	o->as4 = true;
	upd_begin(w, "10 0a09");
	attr(w, 0x40, BGP_ATTR_ORIGIN, "01");
	attr(w, 0x40, BGP_ATTR_AS_PATH, "02 02 0000fde9 fa56ea01");
	attr(w, 0x40, BGP_ATTR_NEXT_HOP, NH4);
	attr(w, 0x80, BGP_ATTR_MED, "00000064");
	attr(w, 0x40, BGP_ATTR_LOCAL_PREF, "000000c8");
	attr(w, 0x40, BGP_ATTR_ATOMIC_AGGREGATE, "");
	attr(w, 0xc0, BGP_ATTR_AGGREGATOR, "fa56ea01 c0000202");
	attr(w, 0xc0, BGP_ATTR_COMMUNITIES, "fde90064 ffffff01");
	attr(w, 0x80, BGP_ATTR_ORIGINATOR_ID, "0a000001");
	attr(w, 0x80, BGP_ATTR_CLUSTER_LIST, "0a000002 0a000003");
	attr(w, 0xc0, BGP_ATTR_EXT_COMMUNITIES, "0002fde900000064");
	attr(w, 0xc0, BGP_ATTR_IPV6_EXT_COMMUNITIES, "0002" V6G "0064");
	attr(w, 0xc0, BGP_ATTR_LARGE_COMMUNITIES, "0000fde9 00000001 00000002");
	attr(w, 0xc0, BGP_ATTR_OTC, "0000fde9");
	attr(w, 0x80, BGP_ATTR_AIGP, "01 000b 0000000000000400");
	w->mark = attr(w, 0xe0, 99, "aabbcc");
	attr(w, 0x80, 240, "01");
	/* 192.0.2.129/25 has a host bit set: the decoder clears it. */
	upd_end(w, "18 0a0102 19 c0000281 00");
}

/* Extended-length attributes: ORIGIN, a 520-ASN AS_PATH, 300 communities. */
static void
v_ext_len(struct bb *w, struct bgp_decode_opts *o)
{
	struct bb v = { .n = 0 };

	o->as4 = true;
	upd_begin(w, "");
	attr(w, 0x50, BGP_ATTR_ORIGIN, "02");
	for (unsigned seg = 0, asn = 0; seg < 3; seg++) {
		unsigned cnt = seg < 2 ? 255 : 10;

		bb_u8(&v, BGP_ASPATH_SEQUENCE);
		bb_u8(&v, cnt);
		for (unsigned i = 0; i < cnt; i++)
			bb_u32(&v, 65536 + asn++);
	}
	bb_attr(w, 0x50, BGP_ATTR_AS_PATH, v.b, v.n);
	attr(w, 0x40, BGP_ATTR_NEXT_HOP, NH4);
	v.n = 0;
	for (unsigned i = 0; i < 300; i++)
		bb_u32(&v, 65001u << 16 | i);
	bb_attr(w, 0xd0, BGP_ATTR_COMMUNITIES, v.b, v.n);
	upd_end(w, "18 0a0102");
}

static void
v_aspath_segs4(struct bb *w, struct bgp_decode_opts *o)
{
	o->as4 = true;
	upd_begin(w, "");
	attr(w, 0x40, BGP_ATTR_ORIGIN, "00");
	attr(w, 0x40, BGP_ATTR_AS_PATH, "03 01 0000fc00  04 02 0000fc01 0000fc02"
	    "  02 02 0000fde9 fa56ea01  01 02 0000fdf2 0000fdf3");
	attr(w, 0x40, BGP_ATTR_NEXT_HOP, NH4);
	upd_end(w, "18 0a0102");
}

static void
v_aspath_segs2(struct bb *w, struct bgp_decode_opts *o)
{
	o->as4 = false;
	upd_begin(w, "");
	attr(w, 0x40, BGP_ATTR_ORIGIN, "00");
	attr(w, 0x40, BGP_ATTR_AS_PATH, "03 01 fc00  04 02 fc01 fc02"
	    "  01 02 fdf2 fdf3  02 02 fde9 fdea");
	attr(w, 0x40, BGP_ATTR_NEXT_HOP, NH4);
	upd_end(w, "18 0a0102");
}

/* 2-octet session: AS_PATH with AS_TRANS, AS4_PATH, AS4_AGGREGATOR. */
static void
v_as4_merge(struct bb *w, struct bgp_decode_opts *o)
{
	o->as4 = false;
	upd_begin(w, "");
	attr(w, 0x40, BGP_ATTR_ORIGIN, "00");
	attr(w, 0x40, BGP_ATTR_AS_PATH, "02 03 fde9 5ba0 5ba0");
	attr(w, 0x40, BGP_ATTR_NEXT_HOP, NH4);
	attr(w, 0xc0, BGP_ATTR_AGGREGATOR, "5ba0 c0000203");
	attr(w, 0xc0, BGP_ATTR_AS4_PATH, "02 02 fa56ea01 fa56ea02");
	attr(w, 0xc0, BGP_ATTR_AS4_AGGREGATOR, "fa56ea02 c0000203");
	upd_end(w, "18 0a0102");
}

/* AS_PATH SEQ(65001 T) SET(T 65003), AS4_PATH SEQ(A) SET(B 65003). */
static void
v_as4_merge_set(struct bb *w, struct bgp_decode_opts *o)
{
	o->as4 = false;
	upd_begin(w, "");
	attr(w, 0x40, BGP_ATTR_ORIGIN, "00");
	attr(w, 0x40, BGP_ATTR_AS_PATH, "02 02 fde9 5ba0  01 02 5ba0 fdeb");
	attr(w, 0x40, BGP_ATTR_NEXT_HOP, NH4);
	attr(w, 0xc0, BGP_ATTR_AS4_PATH, "02 01 fa56ea01  01 02 fa56ea03 0000fdeb");
	upd_end(w, "18 0a0102");
}

/* AGGREGATOR names a real 2-octet AS: AS4_* must be ignored. */
static void
v_as4_agg_not_trans(struct bb *w, struct bgp_decode_opts *o)
{
	o->as4 = false;
	upd_begin(w, "");
	attr(w, 0x40, BGP_ATTR_ORIGIN, "00");
	attr(w, 0x40, BGP_ATTR_AS_PATH, "02 03 fde9 5ba0 5ba0");
	attr(w, 0x40, BGP_ATTR_NEXT_HOP, NH4);
	attr(w, 0xc0, BGP_ATTR_AGGREGATOR, "fde9 c0000202");
	attr(w, 0xc0, BGP_ATTR_AS4_PATH, "02 02 fa56ea01 fa56ea02");
	attr(w, 0xc0, BGP_ATTR_AS4_AGGREGATOR, "fa56ea02 c0000203");
	upd_end(w, "18 0a0102");
}

/* AS4_PATH longer than AS_PATH: ignored. */
static void
v_as4_longer(struct bb *w, struct bgp_decode_opts *o)
{
	o->as4 = false;
	upd_begin(w, "");
	attr(w, 0x40, BGP_ATTR_ORIGIN, "00");
	attr(w, 0x40, BGP_ATTR_AS_PATH, "02 01 5ba0");
	attr(w, 0x40, BGP_ATTR_NEXT_HOP, NH4);
	attr(w, 0xc0, BGP_ATTR_AS4_PATH, "02 02 fa56ea01 fa56ea02");
	upd_end(w, "18 0a0102");
}

/* 4-octet session: AS4_PATH and AS4_AGGREGATOR are ignored. */
static void
v_as4_on_as4(struct bb *w, struct bgp_decode_opts *o)
{
	o->as4 = true;
	upd_begin(w, "");
	attr(w, 0x40, BGP_ATTR_ORIGIN, "00");
	attr(w, 0x40, BGP_ATTR_AS_PATH, "02 02 0000fde9 fa56ea01");
	attr(w, 0x40, BGP_ATTR_NEXT_HOP, NH4);
	attr(w, 0xc0, BGP_ATTR_AGGREGATOR, "fa56ea01 c0000202");
	attr(w, 0xc0, BGP_ATTR_AS4_PATH, "02 01 fa56ea09");
	attr(w, 0xc0, BGP_ATTR_AS4_AGGREGATOR, "fa56ea09 c0000209");
	upd_end(w, "18 0a0102");
}

/* 4-octet AS_PATH on a session thought 2-octet (bad at 2, good at 4). */
static void
v_width_4_on_2(struct bb *w, struct bgp_decode_opts *o)
{
	o->as4 = false;
	upd_begin(w, "");
	attr(w, 0x40, BGP_ATTR_ORIGIN, "00");
	w->mark = attr(w, 0x40, BGP_ATTR_AS_PATH, "02 02 0000fde9 0000fdea");
	attr(w, 0x40, BGP_ATTR_NEXT_HOP, NH4);
	upd_end(w, "18 0a0102");
}

/* 2-octet AS_PATH on a 4-octet session (FRR 8.0 post-policy). */
static void
v_width_2_on_4(struct bb *w, struct bgp_decode_opts *o)
{
	o->as4 = true;
	upd_begin(w, "");
	attr(w, 0x40, BGP_ATTR_ORIGIN, "00");
	w->mark = attr(w, 0x40, BGP_ATTR_AS_PATH, "02 03 fde9 fdea fdeb");
	attr(w, 0x40, BGP_ATTR_NEXT_HOP, NH4);
	upd_end(w, "18 0a0102");
}

/* IPv6 unicast: next hop global + link-local (32), withdraw and announce. */
static void
v_ipv6_ll(struct bb *w, struct bgp_decode_opts *o)
{
	o->as4 = true;
	upd_begin(w, "");
	base_attrs(w, true, false);
	mp_unreach(w, 2, 1, "30 20010db80009");
	mp_reach(w, 2, 1, V6G V6LL, "30 20010db80001  40 20010db800020000");
	upd_end(w, "");
}

static void
v_ipv6_nh16(struct bb *w, struct bgp_decode_opts *o)
{
	o->as4 = true;
	upd_begin(w, "");
	base_attrs(w, true, false);
	mp_reach(w, 2, 1, V6G, "80 20010db8000000000000000000000042  00");
	upd_end(w, "");
}

/* IPv4 multicast announced, IPv6 multicast withdrawn. */
static void
v_multicast(struct bb *w, struct bgp_decode_opts *o)
{
	o->as4 = true;
	upd_begin(w, "");
	base_attrs(w, true, false);
	mp_reach(w, 1, 2, NH4, "18 e00001");
	mp_unreach(w, 2, 2, "20 ff0e0000");
	upd_end(w, "");
}

/* RFC 8277 IPv4 labeled: one label, a two-label stack, a withdrawal. */
static void
v_lu4(struct bb *w, struct bgp_decode_opts *o)
{
	o->as4 = true;
	upd_begin(w, "");
	base_attrs(w, true, false);
	mp_reach(w, 1, 4, NH4, "30 00bb81 0a0102  50 000640 000c81 0a030405");
	mp_unreach(w, 1, 4, "30 800000 0a0909");
	upd_end(w, "");
}

/* IPv6 labeled, with the 0x000000 compatibility withdraw label. */
static void
v_lu6(struct bb *w, struct bgp_decode_opts *o)
{
	o->as4 = true;
	upd_begin(w, "");
	base_attrs(w, true, false);
	mp_unreach(w, 2, 4, "48 000000 20010db80009");
	mp_reach(w, 2, 4, V6G, "48 000101 20010db80001");
	upd_end(w, "");
}

/* VPNv4: 12-byte next hop (RD 0 + IPv4), RD types 0 and 1. */
static void
v_vpn4(struct bb *w, struct bgp_decode_opts *o)
{
	o->as4 = true;
	upd_begin(w, "");
	base_attrs(w, true, false);
	mp_reach(w, 1, 128, RD0 NH4, "70 03e811 0000fde800000064 0a0102"
	    "  78 03e821 0001c00002010007 0a040506");
	mp_unreach(w, 1, 128, "70 800000 0000fde800000064 0a0909");
	upd_end(w, "");
}

/* VPNv6: 24-byte next hop (RD 0 + IPv6), RD type 2. */
static void
v_vpn6(struct bb *w, struct bgp_decode_opts *o)
{
	o->as4 = true;
	upd_begin(w, "");
	base_attrs(w, true, false);
	mp_reach(w, 2, 128, RD0 V6G,
	    "88 03e811 0002fa56ea010064 20010db80001");
	upd_end(w, "");
}

/* VPNv6: 48-byte next hop (RD + global, RD + link-local). */
static void
v_vpn6_nh48(struct bb *w, struct bgp_decode_opts *o)
{
	o->as4 = true;
	upd_begin(w, "");
	base_attrs(w, true, false);
	mp_reach(w, 2, 128, RD0 V6G RD0 V6LL,
	    "88 03e811 0000fde800000064 20010db80001");
	upd_end(w, "");
}

/* VPNv4 with a bare 16-byte IPv6 next hop (Juniper, RFC 8950 style). */
static void
v_vpn4_nh16(struct bb *w, struct bgp_decode_opts *o)
{
	o->as4 = true;
	upd_begin(w, "");
	base_attrs(w, true, false);
	mp_reach(w, 1, 128, V6G, "70 03e811 0000fde800000064 0a0102");
	upd_end(w, "");
}

/* RFC 8950: IPv4 unicast NLRI with an IPv6 global + link-local next hop. */
static void
v_v4_nh_v6(struct bb *w, struct bgp_decode_opts *o)
{
	o->as4 = true;
	upd_begin(w, "");
	base_attrs(w, true, false);
	mp_reach(w, 1, 1, V6G V6LL, "18 0a0102");
	upd_end(w, "");
}

/* L2VPN VPLS (25/65): not in the family table. */
static void
v_undec_vpls(struct bb *w, struct bgp_decode_opts *o)
{
	o->as4 = true;
	upd_begin(w, "");
	base_attrs(w, true, false);
	mp_reach(w, 25, 65, NH4, "0011 0000fde800000064 0001 0001 0010 000641");
	upd_end(w, "");
}

/* IPv4 flowspec (1/133): no next hop at all. */
static void
v_undec_flowspec(struct bb *w, struct bgp_decode_opts *o)
{
	o->as4 = true;
	upd_begin(w, "");
	base_attrs(w, true, false);
	mp_reach(w, 1, 133, "", "05 01 18 0a0102");
	upd_end(w, "");
}

/* BGP-LS with a next hop length no layout knows, EVPN withdrawal. */
static void
v_undec_odd(struct bb *w, struct bgp_decode_opts *o)
{
	o->as4 = true;
	upd_begin(w, "");
	base_attrs(w, true, false);
	mp_reach(w, 16388, 71, "01020304050607", "0001 0004 aabbccdd");
	mp_unreach(w, 25, 70, "02 03 aabbcc");
	upd_end(w, "");
}

static void
v_eor_v4(struct bb *w, struct bgp_decode_opts *o)
{
	o->as4 = true;
	upd_begin(w, "");
	upd_end(w, "");
}

static void
v_eor_v6(struct bb *w, struct bgp_decode_opts *o)
{
	o->as4 = true;
	upd_begin(w, "");
	mp_unreach(w, 2, 1, "");
	upd_end(w, "");
}

static void
v_eor_vpn4(struct bb *w, struct bgp_decode_opts *o)
{
	o->as4 = true;
	upd_begin(w, "");
	mp_unreach(w, 1, 128, "");
	upd_end(w, "");
}

/* ADD-PATH on IPv4 unicast: two paths for one prefix, one withdrawal. */
static void
v_addpath_v4(struct bb *w, struct bgp_decode_opts *o)
{
	o->as4 = true;
	o->addpath = ap_bit(1, 1);
	upd_begin(w, "00000001 18 0a0909");
	base_attrs(w, true, true);
	upd_end(w, "00000002 18 0a0102  00000003 18 0a0102");
}

/* ADD-PATH on IPv6 unicast only: IPv4 NLRI in the same UPDATE have none. */
static void
v_addpath_per_af(struct bb *w, struct bgp_decode_opts *o)
{
	o->as4 = true;
	o->addpath = ap_bit(2, 1);
	upd_begin(w, "");
	base_attrs(w, true, true);
	mp_reach(w, 2, 1, V6G, "00000007 30 20010db80001");
	upd_end(w, "18 0a0102");
}

static void
v_addpath_vpn4(struct bb *w, struct bgp_decode_opts *o)
{
	o->as4 = true;
	o->addpath = ap_bit(1, 128);
	upd_begin(w, "");
	base_attrs(w, true, false);
	mp_reach(w, 1, 128, RD0 NH4,
	    "0000000a 70 03e811 0000fde800000064 0a0102");
	mp_unreach(w, 1, 128, "0000000b 70 800000 0000fde800000064 0a0909");
	upd_end(w, "");
}

/* Caps say ADD-PATH, the bytes carry no path IDs. */
static void
v_addpath_guess_absent(struct bb *w, struct bgp_decode_opts *o)
{
	o->as4 = true;
	o->addpath = ap_bit(1, 1);
	upd_begin(w, "");
	base_attrs(w, true, true);
	upd_end(w, "18 0a0102");
}

/* No ADD-PATH in the caps, the bytes carry a path ID (Huawei Loc-RIB). */
static void
v_addpath_guess_present(struct bb *w, struct bgp_decode_opts *o)
{
	o->as4 = true;
	o->addpath = 0;
	upd_begin(w, "");
	base_attrs(w, true, true);
	upd_end(w, "00000064 18 0a0102");
}

/* All four NLRI fields; MP_REACH precedes MP_UNREACH on the wire. */
static void
v_all_sections(struct bb *w, struct bgp_decode_opts *o)
{
	o->as4 = true;
	upd_begin(w, "18 0a0909");
	base_attrs(w, true, true);
	mp_reach(w, 2, 1, V6G, "30 20010db80001");
	mp_unreach(w, 2, 1, "30 20010db80009");
	upd_end(w, "18 0a0102");
}

/* IPv4 NLRI with only MED: the mandatory three are missing. */
static void
v_missing_mandatory(struct bb *w, struct bgp_decode_opts *o)
{
	o->as4 = true;
	upd_begin(w, "");
	attr(w, 0x80, BGP_ATTR_MED, "00000005");
	upd_end(w, "18 0a0102");
}

/* ---- Malformed ones (RFC 7606) ---- */

static void
v_bad_origin(struct bb *w, struct bgp_decode_opts *o)
{
	o->as4 = true;
	upd_begin(w, "");
	attr(w, 0x40, BGP_ATTR_ORIGIN, "03");
	attr(w, 0x40, BGP_ATTR_AS_PATH, "02 02 0000fde9 0000fdea");
	attr(w, 0x40, BGP_ATTR_NEXT_HOP, NH4);
	upd_end(w, "18 0a0102");
}

static void
v_atomic_len(struct bb *w, struct bgp_decode_opts *o)
{
	o->as4 = true;
	upd_begin(w, "");
	base_attrs(w, true, true);
	w->mark = attr(w, 0x40, BGP_ATTR_ATOMIC_AGGREGATE, "00");
	upd_end(w, "18 0a0102");
}

static void
v_aggregator_len(struct bb *w, struct bgp_decode_opts *o)
{
	o->as4 = true;
	upd_begin(w, "");
	base_attrs(w, true, true);
	w->mark = attr(w, 0xc0, BGP_ATTR_AGGREGATOR, "0000fde9 c00002");
	upd_end(w, "18 0a0102");
}

static void
v_bad_aspath_type(struct bb *w, struct bgp_decode_opts *o)
{
	o->as4 = true;
	upd_begin(w, "");
	attr(w, 0x40, BGP_ATTR_ORIGIN, "00");
	w->mark = attr(w, 0x40, BGP_ATTR_AS_PATH, "05 01 0000fde9");
	attr(w, 0x40, BGP_ATTR_NEXT_HOP, NH4);
	upd_end(w, "18 0a0102");
}

static void
v_bad_aspath_zero(struct bb *w, struct bgp_decode_opts *o)
{
	o->as4 = false;
	upd_begin(w, "");
	attr(w, 0x40, BGP_ATTR_ORIGIN, "00");
	/* Zero-length segment first: bad at either width. */
	w->mark = attr(w, 0x40, BGP_ATTR_AS_PATH, "02 00  02 01 fde9");
	attr(w, 0x40, BGP_ATTR_NEXT_HOP, NH4);
	upd_end(w, "18 0a0102");
}

static void
v_dup_mp_reach(struct bb *w, struct bgp_decode_opts *o)
{
	o->as4 = true;
	upd_begin(w, "");
	base_attrs(w, true, false);
	mp_reach(w, 2, 1, V6G, "30 20010db80001");
	w->mark = mp_reach(w, 2, 1, V6G, "30 20010db80002");
	upd_end(w, "");
}

/* MP_REACH_NLRI whose next hop length runs past the attribute. */
static void
v_mp_nh_overrun(struct bb *w, struct bgp_decode_opts *o)
{
	o->as4 = true;
	upd_begin(w, "");
	base_attrs(w, true, false);
	w->mark = attr(w, 0x80, BGP_ATTR_MP_REACH_NLRI, "0002 01 20 00");
	upd_end(w, "");
}

static void
v_mp_nh_len_bad(struct bb *w, struct bgp_decode_opts *o)
{
	o->as4 = true;
	upd_begin(w, "");
	base_attrs(w, true, false);
	w->mark = mp_reach(w, 2, 1, "0102030405", "30 20010db80001");
	upd_end(w, "");
}

/* Second IPv6 prefix claims /129. */
static void
v_mp_nlri_bad(struct bb *w, struct bgp_decode_opts *o)
{
	o->as4 = true;
	upd_begin(w, "");
	base_attrs(w, true, false);
	w->mark = mp_reach(w, 2, 1, V6G, "30 20010db80001  81 20010db8");
	upd_end(w, "");
}

static void
v_mp_unreach_short(struct bb *w, struct bgp_decode_opts *o)
{
	o->as4 = true;
	upd_begin(w, "");
	base_attrs(w, true, false);
	w->mark = attr(w, 0x80, BGP_ATTR_MP_UNREACH_NLRI, "0002");
	upd_end(w, "");
}

/* MED claims 255 bytes, 4 follow: RFC 7606 §4. */
static void
v_attr_overrun(struct bb *w, struct bgp_decode_opts *o)
{
	o->as4 = true;
	upd_begin(w, "");
	base_attrs(w, true, true);
	w->mark = w->n;
	bb_hex(w, "80 04 ff 00000064");
	upd_end(w, "18 0a0102");
}

/* Two bytes left where an attribute header needs three. */
static void
v_attr_hdr_short(struct bb *w, struct bgp_decode_opts *o)
{
	o->as4 = true;
	upd_begin(w, "");
	base_attrs(w, true, true);
	w->mark = w->n;
	bb_hex(w, "40 05");
	upd_end(w, "18 0a0102");
}

/* ORIGIN sent as optional transitive: RFC 7606 §3(c). */
static void
v_flag_conflict(struct bb *w, struct bgp_decode_opts *o)
{
	o->as4 = true;
	upd_begin(w, "");
	w->mark = attr(w, 0xc0, BGP_ATTR_ORIGIN, "00");
	attr(w, 0x40, BGP_ATTR_AS_PATH, "02 02 0000fde9 0000fdea");
	attr(w, 0x40, BGP_ATTR_NEXT_HOP, NH4);
	upd_end(w, "18 0a0102");
}

static void
v_dup_med(struct bb *w, struct bgp_decode_opts *o)
{
	o->as4 = true;
	upd_begin(w, "");
	base_attrs(w, true, true);
	attr(w, 0x80, BGP_ATTR_MED, "00000064");
	w->mark = attr(w, 0x80, BGP_ATTR_MED, "000000c8");
	upd_end(w, "18 0a0102");
}

static void
v_communities_len(struct bb *w, struct bgp_decode_opts *o)
{
	o->as4 = true;
	upd_begin(w, "");
	base_attrs(w, true, true);
	w->mark = attr(w, 0xc0, BGP_ATTR_COMMUNITIES, "fde90064 ff");
	upd_end(w, "18 0a0102");
}

/* AIGP TLV claims 11 bytes, 4 follow. */
static void
v_aigp_bad(struct bb *w, struct bgp_decode_opts *o)
{
	o->as4 = true;
	upd_begin(w, "");
	base_attrs(w, true, true);
	w->mark = attr(w, 0x80, BGP_ATTR_AIGP, "01 000b 00000000");
	upd_end(w, "18 0a0102");
}

/* Bad ORIGIN with IPv4 and IPv6 NLRI: everything becomes a withdrawal. */
static void
v_taw_mp(struct bb *w, struct bgp_decode_opts *o)
{
	o->as4 = true;
	upd_begin(w, "18 0a0909");
	attr(w, 0x40, BGP_ATTR_ORIGIN, "07");
	attr(w, 0x40, BGP_ATTR_AS_PATH, "02 02 0000fde9 0000fdea");
	attr(w, 0x40, BGP_ATTR_NEXT_HOP, NH4);
	mp_reach(w, 2, 1, V6G, "30 20010db80001");
	upd_end(w, "18 0a0102");
}

/* IPv4 NLRI "/33": bad with and without path IDs. */
static void
v_nlri_bad(struct bb *w, struct bgp_decode_opts *o)
{
	o->as4 = true;
	upd_begin(w, "");
	base_attrs(w, true, true);
	upd_end(w, "18 0a0102  21");
}

static const struct {
	const char	*name;
	upd_fn		 fn;
} upd_vectors[] = {
	{ "full_v4", v_full_v4 },
	{ "ext_len", v_ext_len },
	{ "aspath_segs4", v_aspath_segs4 },
	{ "aspath_segs2", v_aspath_segs2 },
	{ "as4_merge", v_as4_merge },
	{ "as4_merge_set", v_as4_merge_set },
	{ "as4_agg_not_trans", v_as4_agg_not_trans },
	{ "as4_longer", v_as4_longer },
	{ "as4_on_as4", v_as4_on_as4 },
	{ "width_4_on_2", v_width_4_on_2 },
	{ "width_2_on_4", v_width_2_on_4 },
	{ "ipv6_ll", v_ipv6_ll },
	{ "ipv6_nh16", v_ipv6_nh16 },
	{ "multicast", v_multicast },
	{ "lu4", v_lu4 },
	{ "lu6", v_lu6 },
	{ "vpn4", v_vpn4 },
	{ "vpn6", v_vpn6 },
	{ "vpn6_nh48", v_vpn6_nh48 },
	{ "vpn4_nh16", v_vpn4_nh16 },
	{ "v4_nh_v6", v_v4_nh_v6 },
	{ "undec_vpls", v_undec_vpls },
	{ "undec_flowspec", v_undec_flowspec },
	{ "undec_odd", v_undec_odd },
	{ "eor_v4", v_eor_v4 },
	{ "eor_v6", v_eor_v6 },
	{ "eor_vpn4", v_eor_vpn4 },
	{ "addpath_v4", v_addpath_v4 },
	{ "addpath_per_af", v_addpath_per_af },
	{ "addpath_vpn4", v_addpath_vpn4 },
	{ "addpath_guess_absent", v_addpath_guess_absent },
	{ "addpath_guess_present", v_addpath_guess_present },
	{ "all_sections", v_all_sections },
	{ "missing_mandatory", v_missing_mandatory },
	{ "bad_origin", v_bad_origin },
	{ "atomic_len", v_atomic_len },
	{ "aggregator_len", v_aggregator_len },
	{ "bad_aspath_type", v_bad_aspath_type },
	{ "bad_aspath_zero", v_bad_aspath_zero },
	{ "dup_mp_reach", v_dup_mp_reach },
	{ "mp_nh_overrun", v_mp_nh_overrun },
	{ "mp_nh_len_bad", v_mp_nh_len_bad },
	{ "mp_nlri_bad", v_mp_nlri_bad },
	{ "mp_unreach_short", v_mp_unreach_short },
	{ "attr_overrun", v_attr_overrun },
	{ "attr_hdr_short", v_attr_hdr_short },
	{ "flag_conflict", v_flag_conflict },
	{ "dup_med", v_dup_med },
	{ "communities_len", v_communities_len },
	{ "aigp_bad", v_aigp_bad },
	{ "taw_mp", v_taw_mp },
	{ "nlri_bad", v_nlri_bad },
};
#define N_UPD ((int)(sizeof(upd_vectors) / sizeof(upd_vectors[0])))

static void
build(upd_fn fn, struct bb *w, struct bgp_decode_opts *o)
{
	memset(o, 0, sizeof(*o));
	fn(w, o);
}

/* ==== Path attributes ==== */

START_TEST(attrs_every_known_attribute)
{
	struct bb w;
	struct bgp_decode_opts o;
	const struct bgp_attrs *a = &U->attrs;
	size_t n;

	build(v_full_v4, &w, &o);
	parse_expect(&w, &o, BGP_OK);
	ck_assert_uint_eq(a->n_issues, 0);
	ck_assert_uint_eq(a->origin, BGP_ORIGIN_EGP);
	ck_assert_uint_eq(a->as_path_asn_size, 4);
	ck_assert(!a->as_path_width_guessed);
	ck_assert(!a->as4_merged);
	ck_assert_uint_eq(a->aspath.n_segs, 1);
	check_seg(0, BGP_ASPATH_SEQUENCE, 0, 2);
	check_asns((const uint32_t[]){ 65001, 4200000001u }, 2);
	ck_assert(a->has_origin_as);
	ck_assert_uint_eq(a->origin_as, 4200000001u);
	ck_assert_str_eq(addr_str(&a->next_hop), "192.0.2.1");
	ck_assert_uint_eq(a->med, 100);
	ck_assert_uint_eq(a->local_pref, 200);
	ck_assert(a->atomic_aggregate);
	ck_assert_uint_eq(a->aggregator_as, 4200000001u);
	ck_assert_str_eq(addr_str(&a->aggregator_addr), "192.0.2.2");
	check_cur(&a->communities, "fde90064 ffffff01");
	ck_assert_uint_eq(a->originator_id, 0x0a000001);
	check_cur(&a->cluster_list, "0a000002 0a000003");
	check_cur(&a->ext_communities, "0002fde900000064");
	check_cur(&a->ipv6_ext_communities, "0002" V6G "0064");
	check_cur(&a->large_communities, "0000fde9 00000001 00000002");
	ck_assert_uint_eq(a->otc, 65001);
	ck_assert_uint_eq(a->aigp, 1024);
	for (unsigned c = 1; c <= 35; c++) {
		bool want = c <= 10 || c == 16 || c == 25 || c == 26 ||
		    c == 32 || c == 35;

		ck_assert_msg(bgp_attr_has(a, c) == want, "attr %u present %d",
		    c, bgp_attr_has(a, c));
	}
	ck_assert(!bgp_attr_has(a, BGP_ATTR_MP_REACH_NLRI));
	/* IPv4 sections */
	ck_assert_uint_eq(U->withdrawn_off, 21);
	ck_assert_uint_eq(cur_len(&U->withdrawn), 3);
	ck_assert_uint_eq(U->nlri_off, w.n - 10);
	ck_assert_uint_eq(U->n_withdrawn, 1);
	ck_assert_uint_eq(U->n_announced, 3);
	ck_assert(!U->eor);
	n = routes();
	ck_assert_uint_eq(n, 4);
	check_route(0, BGP_WITHDRAW, "ipv4-unicast", "10.9.0.0/16");
	check_route(1, BGP_ANNOUNCE, "ipv4-unicast", "10.1.2.0/24");
	check_route(2, BGP_ANNOUNCE, "ipv4-unicast", "192.0.2.128/25");
	check_route(3, BGP_ANNOUNCE, "ipv4-unicast", "0.0.0.0/0");
	for (size_t i = 0; i < n; i++) {
		ck_assert(!R[i].nlri.has_path_id);
		ck_assert(!R[i].nlri.has_rd);
		ck_assert_uint_eq(R[i].nlri.n_labels, 0);
	}
}
END_TEST

START_TEST(attrs_unknown_kept_raw)
{
	struct bb w;
	struct bgp_decode_opts o;
	const struct bgp_attrs *a = &U->attrs;

	build(v_full_v4, &w, &o);
	parse_expect(&w, &o, BGP_OK);
	ck_assert_uint_eq(a->n_unknown, 2);
	ck_assert_uint_eq(a->n_unknown_total, 2);
	ck_assert_uint_eq(a->unknown[0].code, 99);
	ck_assert_uint_eq(a->unknown[0].flags, 0xe0);
	check_cur(&a->unknown[0].value, "aabbcc");
	ck_assert_ptr_eq(a->unknown[0].value.p, g_buf + w.mark + 3);
	ck_assert_uint_eq(a->unknown[1].code, 240);
	ck_assert_uint_eq(a->unknown[1].flags, 0x80);
	check_cur(&a->unknown[1].value, "01");
	ck_assert(bgp_attr_has(a, 99));
	ck_assert(bgp_attr_has(a, 240));
	ck_assert(!bgp_attr_has(a, 98));
}
END_TEST

/* More unknown attributes than kept: all counted, the first 16 kept. */
START_TEST(attrs_unknown_overflow)
{
	struct bb w;
	struct bgp_decode_opts o = { .as4 = true };

	upd_begin(&w, "");
	base_attrs(&w, true, true);
	for (unsigned c = 100; c < 120; c++)
		attr(&w, 0xc0, c, "00");
	upd_end(&w, "18 0a0102");
	parse_expect(&w, &o, BGP_OK);
	ck_assert_uint_eq(U->attrs.n_unknown, BGP_MAX_UNKNOWN_ATTRS);
	ck_assert_uint_eq(U->attrs.n_unknown_total, 20);
	ck_assert_uint_eq(U->attrs.unknown[15].code, 115);
	ck_assert(bgp_attr_has(&U->attrs, 119));

	/* The same struct reused for a plain UPDATE: nothing left over. */
	build(v_eor_v4, &w, &o);
	parse_expect(&w, &o, BGP_OK);
	ck_assert_uint_eq(U->attrs.n_unknown, 0);
	ck_assert_uint_eq(U->attrs.n_unknown_total, 0);
	ck_assert_uint_eq(U->attrs.aspath.n_segs, 0);
	ck_assert(!bgp_attr_has(&U->attrs, 119));
	ck_assert(!bgp_attr_has(&U->attrs, BGP_ATTR_ORIGIN));
}
END_TEST

START_TEST(attrs_extended_length)
{
	struct bb w;
	struct bgp_decode_opts o;
	const struct bgp_attrs *a = &U->attrs;

	build(v_ext_len, &w, &o);
	parse_expect(&w, &o, BGP_OK);
	ck_assert_uint_eq(a->n_issues, 0);
	ck_assert_uint_eq(a->origin, BGP_ORIGIN_INCOMPLETE);
	/* Three SEQUENCE segments (255+255+10) merged into one. */
	ck_assert_uint_eq(a->aspath.n_segs, 1);
	check_seg(0, BGP_ASPATH_SEQUENCE, 0, 520);
	ck_assert_uint_eq(a->aspath.n_asns, 520);
	for (uint32_t i = 0; i < 520; i++)
		ck_assert_uint_eq(a->aspath.asns[i], 65536 + i);
	ck_assert_uint_eq(a->origin_as, 65536 + 519);
	ck_assert_uint_eq(cur_len(&a->communities), 1200);
	ck_assert_uint_eq(a->communities.p[1196], 0xfd);
	ck_assert_uint_eq(a->communities.p[1199], 299 & 0xff);
	ck_assert_str_eq(addr_str(&a->next_hop), "192.0.2.1");
	ck_assert_uint_eq(U->n_announced, 1);
}
END_TEST

START_TEST(aspath_segment_types_4octet)
{
	struct bb w;
	struct bgp_decode_opts o;

	build(v_aspath_segs4, &w, &o);
	parse_expect(&w, &o, BGP_OK);
	ck_assert_uint_eq(U->attrs.aspath.n_segs, 4);
	check_seg(0, BGP_ASPATH_CONFED_SEQUENCE, 0, 1);
	check_seg(1, BGP_ASPATH_CONFED_SET, 1, 2);
	check_seg(2, BGP_ASPATH_SEQUENCE, 3, 2);
	check_seg(3, BGP_ASPATH_SET, 5, 2);
	check_asns((const uint32_t[]){ 64512, 64513, 64514, 65001, 4200000001u,
	    65010, 65011 }, 7);
	/* Trailing AS_SET: no origin AS. */
	ck_assert(!U->attrs.has_origin_as);
}
END_TEST

START_TEST(aspath_segment_types_2octet)
{
	struct bb w;
	struct bgp_decode_opts o;

	build(v_aspath_segs2, &w, &o);
	parse_expect(&w, &o, BGP_OK);
	ck_assert_uint_eq(U->attrs.as_path_asn_size, 2);
	ck_assert(!U->attrs.as_path_width_guessed);
	ck_assert_uint_eq(U->attrs.aspath.n_segs, 4);
	check_seg(0, BGP_ASPATH_CONFED_SEQUENCE, 0, 1);
	check_seg(1, BGP_ASPATH_CONFED_SET, 1, 2);
	check_seg(2, BGP_ASPATH_SET, 3, 2);
	check_seg(3, BGP_ASPATH_SEQUENCE, 5, 2);
	check_asns((const uint32_t[]){ 64512, 64513, 64514, 65010, 65011,
	    65001, 65002 }, 7);
	ck_assert(U->attrs.has_origin_as);
	ck_assert_uint_eq(U->attrs.origin_as, 65002);
}
END_TEST

/* bgp_aspath_verify: RFC 6793 path length and error offsets. */
START_TEST(aspath_verify_lengths)
{
	uint8_t b[64];
	size_t n;
	struct bf_err e = { 0 };

	n = hex_bytes("03 01 fc00  04 02 fc01 fc02  02 03 fde9 fdea fdeb"
	    "  01 02 fdf2 fdf3", b, sizeof(b));
	ck_assert_int_eq(bgp_aspath_verify(cur_make(b, n), 2, 100, &e), 4);
	ck_assert_int_eq(bgp_aspath_verify(cur_make(b, 0), 4, 100, &e), 0);
	n = hex_bytes("02 01 fde9  06 01 fdea", b, sizeof(b));
	ck_assert_int_eq(bgp_aspath_verify(cur_make(b, n), 2, 100, &e), -1);
	ck_assert_uint_eq(e.offset, 104);
	ck_assert_ptr_nonnull(strstr(e.msg, "type 6 unknown"));
	bf_err_clear(&e);
	n = hex_bytes("02 02 0000fde9 0000", b, sizeof(b));
	ck_assert_int_eq(bgp_aspath_verify(cur_make(b, n), 4, 7, &e), -1);
	ck_assert_uint_eq(e.offset, 7);
	ck_assert_ptr_nonnull(strstr(e.msg, "overruns"));
	bf_err_clear(&e);
	n = hex_bytes("02", b, sizeof(b));
	ck_assert_int_eq(bgp_aspath_verify(cur_make(b, n), 4, 0, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "cut short"));
}
END_TEST

START_TEST(as4_path_and_aggregator_merged)
{
	struct bb w;
	struct bgp_decode_opts o;
	const struct bgp_attrs *a = &U->attrs;

	build(v_as4_merge, &w, &o);
	parse_expect(&w, &o, BGP_OK);
	ck_assert_uint_eq(a->as_path_asn_size, 2);
	ck_assert(a->as4_merged);
	ck_assert_uint_eq(a->aspath.n_segs, 1);
	check_seg(0, BGP_ASPATH_SEQUENCE, 0, 3);
	check_asns((const uint32_t[]){ 65001, 4200000001u, 4200000002u }, 3);
	ck_assert(a->has_origin_as);
	ck_assert_uint_eq(a->origin_as, 4200000002u);
	ck_assert_uint_eq(a->aggregator_as, 4200000002u);
	ck_assert_str_eq(addr_str(&a->aggregator_addr), "192.0.2.3");
	ck_assert(bgp_attr_has(a, BGP_ATTR_AS4_PATH));
	ck_assert(bgp_attr_has(a, BGP_ATTR_AS4_AGGREGATOR));
	ck_assert_uint_eq(a->n_issues, 0);
}
END_TEST

START_TEST(as4_path_merge_with_set)
{
	struct bb w;
	struct bgp_decode_opts o;
	const struct bgp_attrs *a = &U->attrs;

	build(v_as4_merge_set, &w, &o);
	parse_expect(&w, &o, BGP_OK);
	ck_assert(a->as4_merged);
	/* Leading 3-2=1 of AS_PATH, then AS4_PATH: SEQ(65001 A) SET(B 65003). */
	ck_assert_uint_eq(a->aspath.n_segs, 2);
	check_seg(0, BGP_ASPATH_SEQUENCE, 0, 2);
	check_seg(1, BGP_ASPATH_SET, 2, 2);
	check_asns((const uint32_t[]){ 65001, 4200000001u, 4200000003u, 65003 },
	    4);
	ck_assert(!a->has_origin_as);
}
END_TEST

START_TEST(as4_ignored_when_aggregator_not_trans)
{
	struct bb w;
	struct bgp_decode_opts o;
	const struct bgp_attrs *a = &U->attrs;

	build(v_as4_agg_not_trans, &w, &o);
	parse_expect(&w, &o, BGP_OK);
	ck_assert(!a->as4_merged);
	check_asns((const uint32_t[]){ 65001, 23456, 23456 }, 3);
	ck_assert_uint_eq(a->origin_as, 23456);
	/* 2-octet AGGREGATOR decoded by its length. */
	ck_assert_uint_eq(a->aggregator_as, 65001);
	ck_assert_str_eq(addr_str(&a->aggregator_addr), "192.0.2.2");
}
END_TEST

START_TEST(as4_path_longer_than_as_path_ignored)
{
	struct bb w;
	struct bgp_decode_opts o;

	build(v_as4_longer, &w, &o);
	parse_expect(&w, &o, BGP_OK);
	ck_assert(!U->attrs.as4_merged);
	check_asns((const uint32_t[]){ 23456 }, 1);
	ck_assert_uint_eq(U->attrs.origin_as, 23456);
}
END_TEST

START_TEST(as4_attrs_ignored_on_as4_session)
{
	struct bb w;
	struct bgp_decode_opts o;

	build(v_as4_on_as4, &w, &o);
	parse_expect(&w, &o, BGP_OK);
	ck_assert(!U->attrs.as4_merged);
	check_asns((const uint32_t[]){ 65001, 4200000001u }, 2);
	ck_assert_uint_eq(U->attrs.aggregator_as, 4200000001u);
	ck_assert_str_eq(addr_str(&U->attrs.aggregator_addr), "192.0.2.2");
}
END_TEST

START_TEST(aspath_width_4_on_2octet_session)
{
	struct bb w;
	struct bgp_decode_opts o;

	build(v_width_4_on_2, &w, &o);
	parse_expect(&w, &o, BGP_OK);
	ck_assert_uint_eq(U->attrs.as_path_asn_size, 4);
	ck_assert(U->attrs.as_path_width_guessed);
	check_asns((const uint32_t[]){ 65001, 65002 }, 2);
	ck_assert_uint_eq(U->attrs.n_issues, 1);
	check_issue(BGP_ATTR_AS_PATH, BGP_OK, w.mark + 3, "4-octet");
	ck_assert_uint_eq(U->n_announced, 1);
}
END_TEST

START_TEST(aspath_width_2_on_4octet_session)
{
	struct bb w;
	struct bgp_decode_opts o;

	build(v_width_2_on_4, &w, &o);
	parse_expect(&w, &o, BGP_OK);
	ck_assert_uint_eq(U->attrs.as_path_asn_size, 2);
	ck_assert(U->attrs.as_path_width_guessed);
	check_asns((const uint32_t[]){ 65001, 65002, 65003 }, 3);
	check_issue(BGP_ATTR_AS_PATH, BGP_OK, w.mark + 3, "2-octet");
	ck_assert_uint_eq(U->attrs.origin_as, 65003);
}
END_TEST

START_TEST(names)
{
	char b[32];

	ck_assert_str_eq(bgp_attr_name(BGP_ATTR_AS_PATH, b, sizeof(b)),
	    "AS_PATH");
	ck_assert_str_eq(bgp_attr_name(BGP_ATTR_LARGE_COMMUNITIES, b,
	    sizeof(b)), "LARGE_COMMUNITY");
	ck_assert_str_eq(bgp_attr_name(99, b, sizeof(b)), "attr-99");
	ck_assert_str_eq(bgp_attr_name(255, b, sizeof(b)), "attr-255");
	ck_assert_str_eq(bgp_af_name(2, 128, b, sizeof(b)), "vpnv6-unicast");
	ck_assert_str_eq(bgp_af_name(25, 70, b, sizeof(b)), "l2vpn-evpn");
	ck_assert_str_eq(bgp_af_name(16388, 71, b, sizeof(b)),
	    "bgp-ls-safi71");
	ck_assert_str_eq(bgp_af_name(25, 65, b, sizeof(b)), "afi25-safi65");
	ck_assert_ptr_null(bgp_af_lookup(1, 133));
	ck_assert_ptr_eq(bgp_af_lookup(1, 1), bgp_af_ipv4_unicast());
}
END_TEST

/* ==== Address families ==== */

START_TEST(mp_ipv6_unicast_link_local)
{
	struct bb w;
	struct bgp_decode_opts o;
	const struct bgp_attrs *a = &U->attrs;

	build(v_ipv6_ll, &w, &o);
	parse_expect(&w, &o, BGP_OK);
	/* No IPv4 NLRI: no NEXT_HOP needed, nothing reported. */
	ck_assert_uint_eq(a->n_issues, 0);
	ck_assert_uint_eq(a->mp_reach.afi, 2);
	ck_assert_uint_eq(a->mp_reach.safi, 1);
	ck_assert_str_eq(a->mp_reach.af->name, "ipv6-unicast");
	ck_assert_str_eq(addr_str(&a->mp_reach.next_hop), "2001:db8::1");
	ck_assert_str_eq(addr_str(&a->mp_reach.next_hop_ll), "fe80::1");
	ck_assert(bf_rd_is_zero(a->mp_reach.next_hop_rd));
	/* attrs at 23: ORIGIN 4, AS_PATH 13, MP_UNREACH 13, MP_REACH hdr 3 */
	ck_assert_uint_eq(a->mp_unreach.nlri_off, 46);
	ck_assert_uint_eq(a->mp_reach.nlri_off, 93);
	ck_assert_uint_eq(cur_len(&a->mp_reach.nlri), 16);
	ck_assert_uint_eq(U->n_withdrawn, 1);
	ck_assert_uint_eq(U->n_announced, 2);
	ck_assert(!U->eor);
	ck_assert_uint_eq(routes(), 3);
	check_route(0, BGP_WITHDRAW, "ipv6-unicast", "2001:db8:9::/48");
	check_route(1, BGP_ANNOUNCE, "ipv6-unicast", "2001:db8:1::/48");
	check_route(2, BGP_ANNOUNCE, "ipv6-unicast", "2001:db8:2::/64");
}
END_TEST

START_TEST(mp_ipv6_next_hop_16)
{
	struct bb w;
	struct bgp_decode_opts o;

	build(v_ipv6_nh16, &w, &o);
	parse_expect(&w, &o, BGP_OK);
	ck_assert_str_eq(addr_str(&U->attrs.mp_reach.next_hop), "2001:db8::1");
	ck_assert_uint_eq(U->attrs.mp_reach.next_hop_ll.family, BF_AF_NONE);
	ck_assert_uint_eq(routes(), 2);
	check_route(0, BGP_ANNOUNCE, "ipv6-unicast", "2001:db8::42/128");
	check_route(1, BGP_ANNOUNCE, "ipv6-unicast", "::/0");
}
END_TEST

START_TEST(mp_multicast_both_families)
{
	struct bb w;
	struct bgp_decode_opts o;

	build(v_multicast, &w, &o);
	parse_expect(&w, &o, BGP_OK);
	ck_assert_str_eq(addr_str(&U->attrs.mp_reach.next_hop), "192.0.2.1");
	ck_assert_str_eq(U->attrs.mp_unreach.af->name, "ipv6-multicast");
	ck_assert_uint_eq(routes(), 2);
	check_route(0, BGP_WITHDRAW, "ipv6-multicast", "ff0e::/32");
	check_route(1, BGP_ANNOUNCE, "ipv4-multicast", "224.0.1.0/24");
}
END_TEST

START_TEST(mp_labeled_ipv4)
{
	struct bb w;
	struct bgp_decode_opts o;

	build(v_lu4, &w, &o);
	parse_expect(&w, &o, BGP_OK);
	ck_assert_uint_eq(routes(), 3);
	check_route(0, BGP_WITHDRAW, "ipv4-labeled-unicast", "10.9.9.0/24");
	ck_assert_uint_eq(R[0].nlri.n_labels, 1);
	ck_assert_uint_eq(R[0].nlri.labels[0], 0x80000);
	check_route(1, BGP_ANNOUNCE, "ipv4-labeled-unicast", "10.1.2.0/24");
	ck_assert_uint_eq(R[1].nlri.n_labels, 1);
	ck_assert_uint_eq(R[1].nlri.labels[0], 3000);
	check_route(2, BGP_ANNOUNCE, "ipv4-labeled-unicast", "10.3.4.5/32");
	ck_assert_uint_eq(R[2].nlri.n_labels, 2);
	ck_assert_uint_eq(R[2].nlri.labels[0], 100);
	ck_assert_uint_eq(R[2].nlri.labels[1], 200);
	ck_assert(!R[2].nlri.has_rd);
}
END_TEST

START_TEST(mp_labeled_ipv6)
{
	struct bb w;
	struct bgp_decode_opts o;

	build(v_lu6, &w, &o);
	parse_expect(&w, &o, BGP_OK);
	ck_assert_uint_eq(routes(), 2);
	check_route(0, BGP_WITHDRAW, "ipv6-labeled-unicast", "2001:db8:9::/48");
	ck_assert_uint_eq(R[0].nlri.n_labels, 1);
	ck_assert_uint_eq(R[0].nlri.labels[0], 0);
	check_route(1, BGP_ANNOUNCE, "ipv6-labeled-unicast", "2001:db8:1::/48");
	ck_assert_uint_eq(R[1].nlri.n_labels, 1);
	ck_assert_uint_eq(R[1].nlri.labels[0], 16);
}
END_TEST

START_TEST(mp_vpnv4)
{
	struct bb w;
	struct bgp_decode_opts o;

	build(v_vpn4, &w, &o);
	parse_expect(&w, &o, BGP_OK);
	ck_assert_str_eq(addr_str(&U->attrs.mp_reach.next_hop), "192.0.2.1");
	ck_assert(bf_rd_is_zero(U->attrs.mp_reach.next_hop_rd));
	ck_assert_uint_eq(U->n_withdrawn, 1);
	ck_assert_uint_eq(U->n_announced, 2);
	ck_assert_uint_eq(routes(), 3);
	check_route(0, BGP_WITHDRAW, "vpnv4-unicast", "10.9.9.0/24");
	check_rd(0, "65000:100");
	ck_assert_uint_eq(R[0].nlri.n_labels, 1);
	ck_assert_uint_eq(R[0].nlri.labels[0], 0x80000);
	check_route(1, BGP_ANNOUNCE, "vpnv4-unicast", "10.1.2.0/24");
	check_rd(1, "65000:100");
	ck_assert_uint_eq(R[1].nlri.n_labels, 1);
	ck_assert_uint_eq(R[1].nlri.labels[0], 16001);
	check_route(2, BGP_ANNOUNCE, "vpnv4-unicast", "10.4.5.6/32");
	check_rd(2, "192.0.2.1:7");
	ck_assert_uint_eq(R[2].nlri.labels[0], 16002);
}
END_TEST

START_TEST(mp_vpnv6_next_hop_24)
{
	struct bb w;
	struct bgp_decode_opts o;

	build(v_vpn6, &w, &o);
	parse_expect(&w, &o, BGP_OK);
	ck_assert_str_eq(addr_str(&U->attrs.mp_reach.next_hop), "2001:db8::1");
	ck_assert_uint_eq(U->attrs.mp_reach.next_hop_ll.family, BF_AF_NONE);
	ck_assert_uint_eq(routes(), 1);
	check_route(0, BGP_ANNOUNCE, "vpnv6-unicast", "2001:db8:1::/48");
	check_rd(0, "4200000001:100");
	ck_assert_uint_eq(R[0].nlri.labels[0], 16001);
}
END_TEST

START_TEST(mp_vpnv6_next_hop_48)
{
	struct bb w;
	struct bgp_decode_opts o;

	build(v_vpn6_nh48, &w, &o);
	parse_expect(&w, &o, BGP_OK);
	ck_assert_str_eq(addr_str(&U->attrs.mp_reach.next_hop), "2001:db8::1");
	ck_assert_str_eq(addr_str(&U->attrs.mp_reach.next_hop_ll), "fe80::1");
	ck_assert_uint_eq(routes(), 1);
	check_route(0, BGP_ANNOUNCE, "vpnv6-unicast", "2001:db8:1::/48");
	check_rd(0, "65000:100");
}
END_TEST

START_TEST(mp_vpnv4_ipv6_next_hop_16)
{
	struct bb w;
	struct bgp_decode_opts o;

	build(v_vpn4_nh16, &w, &o);
	parse_expect(&w, &o, BGP_OK);
	ck_assert_uint_eq(U->attrs.mp_reach.next_hop.family, BF_AF_INET6);
	ck_assert_str_eq(addr_str(&U->attrs.mp_reach.next_hop), "2001:db8::1");
	ck_assert_uint_eq(routes(), 1);
	check_route(0, BGP_ANNOUNCE, "vpnv4-unicast", "10.1.2.0/24");
	check_rd(0, "65000:100");
}
END_TEST

START_TEST(mp_ipv4_with_ipv6_next_hop)
{
	struct bb w;
	struct bgp_decode_opts o;

	build(v_v4_nh_v6, &w, &o);
	parse_expect(&w, &o, BGP_OK);
	ck_assert_str_eq(addr_str(&U->attrs.mp_reach.next_hop), "2001:db8::1");
	ck_assert_str_eq(addr_str(&U->attrs.mp_reach.next_hop_ll), "fe80::1");
	ck_assert_uint_eq(routes(), 1);
	check_route(0, BGP_ANNOUNCE, "ipv4-unicast", "10.1.2.0/24");
}
END_TEST

START_TEST(mp_undecoded_families)
{
	struct bb w;
	struct bgp_decode_opts o;

	build(v_undec_vpls, &w, &o);
	parse_expect(&w, &o, BGP_OK);
	ck_assert_ptr_null(U->attrs.mp_reach.af);
	ck_assert_uint_eq(U->attrs.mp_reach.afi, 25);
	ck_assert_uint_eq(U->attrs.mp_reach.safi, 65);
	ck_assert_str_eq(addr_str(&U->attrs.mp_reach.next_hop), "192.0.2.1");
	ck_assert_uint_eq(cur_len(&U->attrs.mp_reach.nlri), 19);
	ck_assert(U->undecoded_reach);
	ck_assert(!U->undecoded_unreach);
	ck_assert_uint_eq(U->n_announced, 0);
	ck_assert_uint_eq(U->attrs.n_issues, 0);
	ck_assert_uint_eq(routes(), 0);

	build(v_undec_flowspec, &w, &o);
	parse_expect(&w, &o, BGP_OK);
	ck_assert_uint_eq(U->attrs.mp_reach.safi, 133);
	ck_assert_uint_eq(U->attrs.mp_reach.next_hop.family, BF_AF_NONE);
	ck_assert(U->undecoded_reach);
	ck_assert_uint_eq(routes(), 0);

	build(v_undec_odd, &w, &o);
	parse_expect(&w, &o, BGP_OK);
	ck_assert_uint_eq(U->attrs.mp_reach.afi, 16388);
	ck_assert(U->undecoded_reach);
	ck_assert(U->undecoded_unreach);
	ck_assert_uint_eq(U->attrs.mp_unreach.afi, 25);
	ck_assert_uint_eq(U->attrs.mp_unreach.safi, 70);
	ck_assert(!U->eor);
	ck_assert_uint_eq(U->n_withdrawn + U->n_announced, 0);
	ck_assert_uint_eq(routes(), 0);
}
END_TEST

START_TEST(eor_ipv4_empty_update)
{
	struct bb w;
	struct bgp_decode_opts o;

	build(v_eor_v4, &w, &o);
	ck_assert_uint_eq(w.n, BGP_UPDATE_MIN_LEN);
	parse_expect(&w, &o, BGP_OK);
	ck_assert(U->eor);
	ck_assert_uint_eq(U->eor_afi, 1);
	ck_assert_uint_eq(U->eor_safi, 1);
	ck_assert_uint_eq(U->attrs.n_issues, 0);
	ck_assert_uint_eq(routes(), 0);
}
END_TEST

START_TEST(eor_ipv6_mp_unreach)
{
	struct bb w;
	struct bgp_decode_opts o;

	build(v_eor_v6, &w, &o);
	parse_expect(&w, &o, BGP_OK);
	ck_assert(U->eor);
	ck_assert_uint_eq(U->eor_afi, 2);
	ck_assert_uint_eq(U->eor_safi, 1);
	ck_assert_uint_eq(U->n_withdrawn, 0);
	ck_assert_uint_eq(routes(), 0);
}
END_TEST

START_TEST(eor_vpnv4_mp_unreach)
{
	struct bb w;
	struct bgp_decode_opts o;

	build(v_eor_vpn4, &w, &o);
	parse_expect(&w, &o, BGP_OK);
	ck_assert(U->eor);
	ck_assert_uint_eq(U->eor_afi, 1);
	ck_assert_uint_eq(U->eor_safi, 128);

	/* With a prefix in it, MP_UNREACH is a withdrawal, not an EoR. */
	build(v_ipv6_ll, &w, &o);
	parse_expect(&w, &o, BGP_OK);
	ck_assert(!U->eor);
}
END_TEST

/* ==== ADD-PATH ==== */

START_TEST(addpath_ipv4_path_ids)
{
	struct bb w;
	struct bgp_decode_opts o;

	build(v_addpath_v4, &w, &o);
	parse_expect(&w, &o, BGP_OK);
	ck_assert(!U->addpath_guessed);
	ck_assert(U->sec_addpath[SEC_WITHDRAWN]);
	ck_assert(U->sec_addpath[SEC_NLRI]);
	ck_assert_uint_eq(routes(), 3);
	check_route(0, BGP_WITHDRAW, "ipv4-unicast", "10.9.9.0/24");
	check_route(1, BGP_ANNOUNCE, "ipv4-unicast", "10.1.2.0/24");
	check_route(2, BGP_ANNOUNCE, "ipv4-unicast", "10.1.2.0/24");
	for (size_t i = 0; i < 3; i++) {
		ck_assert(R[i].nlri.has_path_id);
		ck_assert_uint_eq(R[i].nlri.path_id, i + 1);
	}
}
END_TEST

START_TEST(addpath_per_family)
{
	struct bb w;
	struct bgp_decode_opts o;

	build(v_addpath_per_af, &w, &o);
	parse_expect(&w, &o, BGP_OK);
	ck_assert(!U->addpath_guessed);
	ck_assert(!U->sec_addpath[SEC_NLRI]);
	ck_assert(U->sec_addpath[SEC_MP_REACH]);
	ck_assert_uint_eq(routes(), 2);
	check_route(0, BGP_ANNOUNCE, "ipv4-unicast", "10.1.2.0/24");
	ck_assert(!R[0].nlri.has_path_id);
	check_route(1, BGP_ANNOUNCE, "ipv6-unicast", "2001:db8:1::/48");
	ck_assert(R[1].nlri.has_path_id);
	ck_assert_uint_eq(R[1].nlri.path_id, 7);
}
END_TEST

START_TEST(addpath_vpnv4)
{
	struct bb w;
	struct bgp_decode_opts o;

	build(v_addpath_vpn4, &w, &o);
	parse_expect(&w, &o, BGP_OK);
	ck_assert(!U->addpath_guessed);
	ck_assert_uint_eq(routes(), 2);
	check_route(0, BGP_WITHDRAW, "vpnv4-unicast", "10.9.9.0/24");
	ck_assert_uint_eq(R[0].nlri.path_id, 11);
	ck_assert_uint_eq(R[0].nlri.labels[0], 0x80000);
	check_rd(0, "65000:100");
	check_route(1, BGP_ANNOUNCE, "vpnv4-unicast", "10.1.2.0/24");
	ck_assert_uint_eq(R[1].nlri.path_id, 10);
	ck_assert_uint_eq(R[1].nlri.labels[0], 16001);
	check_rd(1, "65000:100");
}
END_TEST

START_TEST(addpath_caps_say_yes_bytes_say_no)
{
	struct bb w;
	struct bgp_decode_opts o;

	build(v_addpath_guess_absent, &w, &o);
	parse_expect(&w, &o, BGP_OK);
	ck_assert(U->addpath_guessed);
	ck_assert(!U->sec_addpath[SEC_NLRI]);
	check_issue(0, BGP_OK, U->nlri_off, "ipv4-unicast NLRI carry no path IDs");
	ck_assert_uint_eq(routes(), 1);
	check_route(0, BGP_ANNOUNCE, "ipv4-unicast", "10.1.2.0/24");
	ck_assert(!R[0].nlri.has_path_id);
}
END_TEST

START_TEST(addpath_caps_say_no_bytes_say_yes)
{
	struct bb w;
	struct bgp_decode_opts o;

	build(v_addpath_guess_present, &w, &o);
	parse_expect(&w, &o, BGP_OK);
	ck_assert(U->addpath_guessed);
	ck_assert(U->sec_addpath[SEC_NLRI]);
	check_issue(0, BGP_OK, U->nlri_off, "carry ADD-PATH path IDs");
	ck_assert_uint_eq(routes(), 1);
	check_route(0, BGP_ANNOUNCE, "ipv4-unicast", "10.1.2.0/24");
	ck_assert(R[0].nlri.has_path_id);
	ck_assert_uint_eq(R[0].nlri.path_id, 100);
}
END_TEST

/* Bad either way: session reset naming the error as negotiated. */
START_TEST(addpath_neither_way_resets)
{
	struct bb w;
	struct bgp_decode_opts o;

	build(v_nlri_bad, &w, &o);
	parse_expect(&w, &o, BGP_SESSION_RESET);
	ck_assert_int_eq(E.code, BGP_SESSION_RESET);
	ck_assert_uint_eq(E.offset, U->nlri_off + 4);
	ck_assert_ptr_nonnull(strstr(E.msg, "prefix length 33 exceeds 32"));
	ck_assert(!U->addpath_guessed);
	ck_assert_uint_eq(routes(), 0);
}
END_TEST

/* ==== RFC 7606 outcomes ==== */

START_TEST(bad_origin_treat_as_withdraw)
{
	struct bb w;
	struct bgp_decode_opts o;

	build(v_bad_origin, &w, &o);
	parse_expect(&w, &o, BGP_TREAT_AS_WITHDRAW);
	ck_assert_str_eq(E.msg, "");
	ck_assert(!bgp_attr_has(&U->attrs, BGP_ATTR_ORIGIN));
	check_issue(BGP_ATTR_ORIGIN, BGP_TREAT_AS_WITHDRAW, 26,
	    "undefined ORIGIN value 3");
	ck_assert_uint_eq(U->n_withdrawn, 1);
	ck_assert_uint_eq(U->n_announced, 0);
	ck_assert_uint_eq(routes(), 1);
	check_route(0, BGP_WITHDRAW, "ipv4-unicast", "10.1.2.0/24");
}
END_TEST

START_TEST(atomic_aggregate_length_discard)
{
	struct bb w;
	struct bgp_decode_opts o;

	build(v_atomic_len, &w, &o);
	parse_expect(&w, &o, BGP_ATTR_DISCARD);
	ck_assert_uint_eq(w.mark, 47);
	ck_assert(!U->attrs.atomic_aggregate);
	ck_assert(!bgp_attr_has(&U->attrs, BGP_ATTR_ATOMIC_AGGREGATE));
	check_issue(BGP_ATTR_ATOMIC_AGGREGATE, BGP_ATTR_DISCARD, 50,
	    "ATOMIC_AGGREGATE length 1 invalid");
	ck_assert_uint_eq(U->n_announced, 1);
	ck_assert_uint_eq(routes(), 1);
	check_route(0, BGP_ANNOUNCE, "ipv4-unicast", "10.1.2.0/24");
}
END_TEST

START_TEST(aggregator_length_discard)
{
	struct bb w;
	struct bgp_decode_opts o;

	build(v_aggregator_len, &w, &o);
	parse_expect(&w, &o, BGP_ATTR_DISCARD);
	ck_assert(!bgp_attr_has(&U->attrs, BGP_ATTR_AGGREGATOR));
	ck_assert_uint_eq(U->attrs.aggregator_as, 0);
	check_issue(BGP_ATTR_AGGREGATOR, BGP_ATTR_DISCARD, w.mark + 3,
	    "AGGREGATOR length 7, expected 6 or 8");
	ck_assert_uint_eq(routes(), 1);
	ck_assert_int_eq(R[0].action, BGP_ANNOUNCE);
}
END_TEST

START_TEST(malformed_as_path_treat_as_withdraw)
{
	struct bb w;
	struct bgp_decode_opts o;

	build(v_bad_aspath_type, &w, &o);
	parse_expect(&w, &o, BGP_TREAT_AS_WITHDRAW);
	ck_assert_uint_eq(w.mark + 3, 30);
	check_issue(BGP_ATTR_AS_PATH, BGP_TREAT_AS_WITHDRAW, 30,
	    "segment type 5 unknown");
	ck_assert(!bgp_attr_has(&U->attrs, BGP_ATTR_AS_PATH));
	ck_assert_uint_eq(U->attrs.aspath.n_segs, 0);
	ck_assert_uint_eq(routes(), 1);
	check_route(0, BGP_WITHDRAW, "ipv4-unicast", "10.1.2.0/24");

	build(v_bad_aspath_zero, &w, &o);
	parse_expect(&w, &o, BGP_TREAT_AS_WITHDRAW);
	check_issue(BGP_ATTR_AS_PATH, BGP_TREAT_AS_WITHDRAW, w.mark + 3,
	    "zero length");
	ck_assert_uint_eq(routes(), 1);
	ck_assert_int_eq(R[0].action, BGP_WITHDRAW);
}
END_TEST

START_TEST(duplicate_mp_reach_resets)
{
	struct bb w;
	struct bgp_decode_opts o;

	build(v_dup_mp_reach, &w, &o);
	parse_expect(&w, &o, BGP_SESSION_RESET);
	ck_assert_uint_eq(w.mark, 71);
	ck_assert_int_eq(E.code, BGP_SESSION_RESET);
	ck_assert_uint_eq(E.offset, 71);
	ck_assert_ptr_nonnull(strstr(E.msg, "repeated MP_(UN)REACH_NLRI"));
	check_issue(BGP_ATTR_MP_REACH_NLRI, BGP_SESSION_RESET, 71, NULL);
	ck_assert_uint_eq(routes(), 0);
}
END_TEST

START_TEST(mp_reach_next_hop_overrun_resets)
{
	struct bb w;
	struct bgp_decode_opts o;

	build(v_mp_nh_overrun, &w, &o);
	parse_expect(&w, &o, BGP_SESSION_RESET);
	ck_assert_int_eq(E.code, BGP_SESSION_RESET);
	ck_assert_uint_eq(E.offset, w.mark + 3);
	ck_assert_ptr_nonnull(strstr(E.msg, "next hop length 32 overruns"));
	ck_assert_uint_eq(routes(), 0);
}
END_TEST

START_TEST(mp_reach_bad_next_hop_length_resets)
{
	struct bb w;
	struct bgp_decode_opts o;

	build(v_mp_nh_len_bad, &w, &o);
	parse_expect(&w, &o, BGP_SESSION_RESET);
	ck_assert_uint_eq(E.offset, w.mark + 3);
	ck_assert_ptr_nonnull(strstr(E.msg,
	    "next hop length 5 invalid for ipv6-unicast"));
}
END_TEST

START_TEST(mp_reach_bad_nlri_resets)
{
	struct bb w;
	struct bgp_decode_opts o;

	build(v_mp_nlri_bad, &w, &o);
	parse_expect(&w, &o, BGP_SESSION_RESET);
	ck_assert_int_eq(E.code, BGP_SESSION_RESET);
	/* header 3, AFI/SAFI/len 4, next hop 16, reserved 1, first NLRI 7 */
	ck_assert_uint_eq(E.offset, w.mark + 31);
	ck_assert_ptr_nonnull(strstr(E.msg, "prefix length 129 exceeds 128"));
	ck_assert_uint_eq(routes(), 0);
}
END_TEST

START_TEST(mp_unreach_too_short_resets)
{
	struct bb w;
	struct bgp_decode_opts o;

	build(v_mp_unreach_short, &w, &o);
	parse_expect(&w, &o, BGP_SESSION_RESET);
	ck_assert_uint_eq(E.offset, w.mark + 3);
	ck_assert_ptr_nonnull(strstr(E.msg, "MP_UNREACH_NLRI length 2 invalid"));
}
END_TEST

/*
 * MP_REACH_NLRI with wrong flags: the dispatcher returns BGP_SESSION_RESET,
 * and the contract (bgp_update.h) says err names why and where.
 */
START_TEST(mp_reach_flag_conflict_resets_with_reason)
{
	struct bb w;
	struct bgp_decode_opts o = { .as4 = true };
	struct bb v = { .n = 0 };
	size_t at;

	upd_begin(&w, "");
	base_attrs(&w, true, false);
	bb_hex(&v, "0002 01 10" V6G "00 30 20010db80001");
	at = bb_attr(&w, 0xc0, BGP_ATTR_MP_REACH_NLRI, v.b, v.n);
	upd_end(&w, "");
	parse_expect(&w, &o, BGP_SESSION_RESET);
	ck_assert_msg(E.msg[0] != '\0', "BGP_SESSION_RESET without a reason");
	ck_assert_int_eq(E.code, BGP_SESSION_RESET);
	ck_assert_uint_ge(E.offset, at);
	ck_assert_uint_le(E.offset, at + 3);
	check_flag_issue(BGP_ATTR_MP_REACH_NLRI, BGP_SESSION_RESET, at,
	    "flags 0xc0 conflict");
}
END_TEST

START_TEST(attribute_overrun_treat_as_withdraw)
{
	struct bb w;
	struct bgp_decode_opts o;

	build(v_attr_overrun, &w, &o);
	parse_expect(&w, &o, BGP_TREAT_AS_WITHDRAW);
	ck_assert_str_eq(E.msg, "");
	check_issue(BGP_ATTR_MED, BGP_TREAT_AS_WITHDRAW, w.mark,
	    "overruns the path attributes");
	ck_assert(!bgp_attr_has(&U->attrs, BGP_ATTR_MED));
	/* Total Path Attribute Length still locates the NLRI (RFC 7606 §4). */
	ck_assert_uint_eq(U->nlri_off, w.n - 4);
	ck_assert_uint_eq(routes(), 1);
	check_route(0, BGP_WITHDRAW, "ipv4-unicast", "10.1.2.0/24");
}
END_TEST

START_TEST(attribute_header_short_treat_as_withdraw)
{
	struct bb w;
	struct bgp_decode_opts o;
	const struct bgp_attr_issue *is;

	build(v_attr_hdr_short, &w, &o);
	parse_expect(&w, &o, BGP_TREAT_AS_WITHDRAW);
	is = find_issue(0);
	ck_assert_ptr_nonnull(is);
	ck_assert_int_eq(is->action, BGP_TREAT_AS_WITHDRAW);
	ck_assert_uint_ge(is->offset, w.mark);
	ck_assert_uint_le(is->offset, w.mark + 2);
	ck_assert_ptr_nonnull(strstr(is->msg, "cut short"));
	ck_assert_uint_eq(routes(), 1);
	ck_assert_int_eq(R[0].action, BGP_WITHDRAW);
}
END_TEST

START_TEST(flag_conflict_treat_as_withdraw)
{
	struct bb w;
	struct bgp_decode_opts o;

	build(v_flag_conflict, &w, &o);
	parse_expect(&w, &o, BGP_TREAT_AS_WITHDRAW);
	ck_assert_uint_eq(w.mark, 23);
	check_flag_issue(BGP_ATTR_ORIGIN, BGP_TREAT_AS_WITHDRAW, w.mark,
	    "ORIGIN flags 0xc0 conflict");
	ck_assert(!bgp_attr_has(&U->attrs, BGP_ATTR_ORIGIN));
	ck_assert_uint_eq(routes(), 1);
	ck_assert_int_eq(R[0].action, BGP_WITHDRAW);
}
END_TEST

START_TEST(duplicate_attribute_discarded)
{
	struct bb w;
	struct bgp_decode_opts o;

	build(v_dup_med, &w, &o);
	parse_expect(&w, &o, BGP_ATTR_DISCARD);
	ck_assert_uint_eq(U->attrs.med, 100);
	ck_assert(bgp_attr_has(&U->attrs, BGP_ATTR_MED));
	check_issue(BGP_ATTR_MED, BGP_ATTR_DISCARD, w.mark, "repeated");
	ck_assert_uint_eq(routes(), 1);
	ck_assert_int_eq(R[0].action, BGP_ANNOUNCE);
}
END_TEST

/*
 * RFC 7606 §3(g): every occurrence but the first is discarded, also when
 * the first was itself malformed and discarded.
 */
START_TEST(duplicate_after_discarded_first)
{
	struct bb w;
	struct bgp_decode_opts o = { .as4 = true };

	upd_begin(&w, "");
	base_attrs(&w, true, true);
	attr(&w, 0xc0, BGP_ATTR_AGGREGATOR, "0000fde9 c00002");
	attr(&w, 0xc0, BGP_ATTR_AGGREGATOR, "0000fdea c0000209");
	upd_end(&w, "18 0a0102");
	parse_expect(&w, &o, BGP_ATTR_DISCARD);
	ck_assert_msg(!bgp_attr_has(&U->attrs, BGP_ATTR_AGGREGATOR),
	    "second AGGREGATOR (AS %u) accepted after the first was discarded",
	    U->attrs.aggregator_as);
}
END_TEST

START_TEST(communities_length_treat_as_withdraw)
{
	struct bb w;
	struct bgp_decode_opts o;

	build(v_communities_len, &w, &o);
	parse_expect(&w, &o, BGP_TREAT_AS_WITHDRAW);
	check_issue(BGP_ATTR_COMMUNITIES, BGP_TREAT_AS_WITHDRAW, w.mark + 3,
	    "COMMUNITIES length 5 invalid");
	ck_assert_uint_eq(cur_len(&U->attrs.communities), 0);
}
END_TEST

START_TEST(aigp_malformed_discard)
{
	struct bb w;
	struct bgp_decode_opts o;

	build(v_aigp_bad, &w, &o);
	parse_expect(&w, &o, BGP_ATTR_DISCARD);
	check_issue(BGP_ATTR_AIGP, BGP_ATTR_DISCARD, w.mark + 3, "AIGP");
	ck_assert(!bgp_attr_has(&U->attrs, BGP_ATTR_AIGP));
	ck_assert_uint_eq(U->attrs.aigp, 0);
	ck_assert_uint_eq(routes(), 1);
	ck_assert_int_eq(R[0].action, BGP_ANNOUNCE);
}
END_TEST

START_TEST(missing_mandatory_reported_and_kept)
{
	struct bb w;
	struct bgp_decode_opts o;

	build(v_missing_mandatory, &w, &o);
	parse_expect(&w, &o, BGP_OK);
	ck_assert_uint_eq(U->attrs.n_issues, 3);
	check_issue(BGP_ATTR_ORIGIN, BGP_OK, U->nlri_off, "ORIGIN missing");
	check_issue(BGP_ATTR_AS_PATH, BGP_OK, U->nlri_off, "AS_PATH missing");
	check_issue(BGP_ATTR_NEXT_HOP, BGP_OK, U->nlri_off, "NEXT_HOP missing");
	ck_assert_uint_eq(U->attrs.med, 5);
	ck_assert(!U->attrs.has_origin_as);
	ck_assert_uint_eq(U->n_announced, 1);
	ck_assert_uint_eq(routes(), 1);
	check_route(0, BGP_ANNOUNCE, "ipv4-unicast", "10.1.2.0/24");
}
END_TEST

START_TEST(treat_as_withdraw_covers_mp_reach)
{
	struct bb w;
	struct bgp_decode_opts o;

	build(v_taw_mp, &w, &o);
	parse_expect(&w, &o, BGP_TREAT_AS_WITHDRAW);
	ck_assert_uint_eq(U->n_withdrawn, 3);
	ck_assert_uint_eq(U->n_announced, 0);
	ck_assert_uint_eq(routes(), 3);
	check_route(0, BGP_WITHDRAW, "ipv4-unicast", "10.9.9.0/24");
	check_route(1, BGP_WITHDRAW, "ipv4-unicast", "10.1.2.0/24");
	check_route(2, BGP_WITHDRAW, "ipv6-unicast", "2001:db8:1::/48");
}
END_TEST

/* Errors found before any attribute: header and section lengths. */
START_TEST(update_framing_errors)
{
	struct bb w;
	struct bgp_decode_opts o = { .as4 = true };

	build(v_full_v4, &w, &o);
	w.b[3] = 0xfe;			/* marker */
	parse_expect(&w, &o, BGP_SESSION_RESET);
	ck_assert_uint_eq(E.offset, 0);
	ck_assert_ptr_nonnull(strstr(E.msg, "marker"));

	build(v_full_v4, &w, &o);
	bb_patch16(&w, 16, 18);		/* length below 19 */
	parse_expect(&w, &o, BGP_SESSION_RESET);
	ck_assert_uint_eq(E.offset, 16);

	build(v_eor_v4, &w, &o);
	w.b[18] = BGP_MSG_KEEPALIVE;
	parse_expect(&w, &o, BGP_SESSION_RESET);
	ck_assert_uint_eq(E.offset, 18);
	ck_assert_ptr_nonnull(strstr(E.msg, "not a BGP UPDATE"));

	build(v_full_v4, &w, &o);
	bb_patch16(&w, 19, 0x0fff);	/* withdrawn length */
	parse_expect(&w, &o, BGP_SESSION_RESET);
	ck_assert_uint_eq(E.offset, 19);
	ck_assert_ptr_nonnull(strstr(E.msg, "withdrawn routes length 4095"));

	build(v_full_v4, &w, &o);
	bb_patch16(&w, alen_at(&w), 0x0fff);	/* total path attribute length */
	parse_expect(&w, &o, BGP_SESSION_RESET);
	ck_assert_uint_eq(E.offset, alen_at(&w));
	ck_assert_ptr_nonnull(strstr(E.msg, "attribute length 4095"));
	ck_assert_uint_eq(routes(), 0);

	/* A bad withdrawn prefix: the offset is the prefix's. */
	upd_begin(&w, "18 0a0909  28 0a090909ff");
	upd_end(&w, "");
	parse_expect(&w, &o, BGP_SESSION_RESET);
	ck_assert_uint_eq(E.offset, 25);
	ck_assert_ptr_nonnull(strstr(E.msg, "prefix length 40 exceeds 32"));
}
END_TEST

/* bgp_msg_header on its own. */
START_TEST(msg_header)
{
	struct bb w;
	struct bgp_decode_opts o;
	struct bf_err e = { 0 };
	uint16_t len = 0;
	uint8_t type = 0;

	build(v_full_v4, &w, &o);
	ck_assert_int_eq(bgp_msg_header(cur_make(w.b, w.n), &len, &type, &e), 0);
	ck_assert_uint_eq(len, w.n);
	ck_assert_uint_eq(type, BGP_MSG_UPDATE);
	ck_assert_int_eq(bgp_msg_header(cur_make(w.b, 18), &len, &type, &e), -1);
	ck_assert_uint_eq(e.offset, 0);
	ck_assert_int_eq(e.code, BGP_SESSION_RESET);
}
END_TEST

/* ==== Route iterator ==== */

START_TEST(routes_in_wire_order)
{
	struct bb w;
	struct bgp_decode_opts o;

	build(v_all_sections, &w, &o);
	parse_expect(&w, &o, BGP_OK);
	ck_assert_uint_eq(U->n_withdrawn, 2);
	ck_assert_uint_eq(U->n_announced, 2);
	ck_assert_uint_eq(routes(), 4);
	check_route(0, BGP_WITHDRAW, "ipv4-unicast", "10.9.9.0/24");
	check_route(1, BGP_WITHDRAW, "ipv6-unicast", "2001:db8:9::/48");
	check_route(2, BGP_ANNOUNCE, "ipv4-unicast", "10.1.2.0/24");
	check_route(3, BGP_ANNOUNCE, "ipv6-unicast", "2001:db8:1::/48");
	ck_assert_uint_eq(R[2].nlri.prefix.len, 24);
	ck_assert_uint_eq(R[2].nlri.prefix.addr.family, BF_AF_INET);
	ck_assert_uint_eq(R[2].nlri.prefix.addr.a[0], 10);
	ck_assert_uint_eq(R[2].nlri.prefix.addr.a[3], 0);
}
END_TEST

/* Every vector: the iterator yields exactly the counted prefixes. */
START_TEST(routes_match_counts)
{
	struct bb w;
	struct bgp_decode_opts o;
	enum bgp_outcome r;
	size_t n;

	build(upd_vectors[_i].fn, &w, &o);
	r = parse(&w, &o);
	n = routes();
	if (r == BGP_SESSION_RESET) {
		ck_assert_msg(n == 0, "%s: routes after reset",
		    upd_vectors[_i].name);
		ck_assert_msg(E.msg[0] != '\0', "%s: reset without reason",
		    upd_vectors[_i].name);
	} else
		ck_assert_msg(n == U->n_withdrawn + U->n_announced,
		    "%s: %zu routes, counted %u + %u", upd_vectors[_i].name, n,
		    U->n_withdrawn, U->n_announced);
	for (size_t i = 0; i < n; i++)
		if (r == BGP_TREAT_AS_WITHDRAW)
			ck_assert_int_eq(R[i].action, BGP_WITHDRAW);
}
END_TEST

/* ==== OPEN ==== */

enum { OPEN_CAPS, OPEN_EXT, OPEN_RAW };

/*
 * OPEN with params p: OPEN_CAPS wraps p in one Capabilities parameter,
 * OPEN_EXT does so in the RFC 9072 form, OPEN_RAW uses p as the parameters.
 */
static void
open_build(struct bb *w, uint16_t my_as, uint32_t id, const uint8_t *p,
    size_t n, int mode)
{
	memset(w, 0, sizeof(*w));
	bb_hex(w, "ffffffffffffffffffffffffffffffff");
	bb_u16(w, 0);
	bb_u8(w, BGP_MSG_OPEN);
	bb_u8(w, 4);
	bb_u16(w, my_as);
	bb_u16(w, 90);
	bb_u32(w, id);
	switch (mode) {
	case OPEN_CAPS:
		ck_assert_uint_le(n + 2, 254);
		bb_u8(w, (unsigned)n + 2);
		bb_u8(w, BGP_OPT_PARAM_CAPABILITIES);
		bb_u8(w, (unsigned)n);
		break;
	case OPEN_EXT:
		bb_u8(w, BGP_OPT_PARAM_EXT_LENGTH);
		bb_u8(w, BGP_OPT_PARAM_EXT_LENGTH);
		bb_u16(w, (unsigned)n + 3);
		bb_u8(w, BGP_OPT_PARAM_CAPABILITIES);
		bb_u16(w, (unsigned)n);
		break;
	default:
		bb_u8(w, (unsigned)n);
		break;
	}
	bb_bytes(w, p, n);
	bb_patch16(w, BGP_MARKER_LEN, w->n);
}

static void
open_hex(struct bb *w, uint16_t my_as, const char *hex, int mode)
{
	uint8_t p[512] = { 0 };
	size_t n = hex_bytes(hex, p, sizeof(p));

	open_build(w, my_as, 0xc0000201, p, n, mode);
}

static struct bgp_open OP;

static int
open_parse(const struct bb *w)
{
	free(g_buf);
	g_buf = exact_copy(w->b, w->n);
	memset(&E, 0, sizeof(E));
	return bgp_open_parse(cur_make(g_buf, w->n), &OP, &E);
}

static void
open_ok(const struct bb *w)
{
	int r = open_parse(w);

	if (r != 0)
		hex_dump("OPEN", w->b, w->n);
	ck_assert_msg(r == 0, "OPEN: '%s' at %zu", E.msg, E.offset);
}

/* Multiprotocol for six families, 4-octet AS with AS_TRANS in My AS. */
static void
o_mp_as4(struct bb *w)
{
	open_hex(w, BGP_AS_TRANS, "01 04 0001 00 01  01 04 0002 00 01"
	    "  01 04 0001 00 02  01 04 0001 00 80  01 04 0002 00 80"
	    "  01 04 0019 00 46  41 04 fa56ea01", OPEN_CAPS);
}

/* ADD-PATH: IPv4 receive, IPv6 send, VPNv4 both, IPv6 labeled both. */
static void
o_addpath(struct bb *w)
{
	open_hex(w, 65001, "01 04 0001 00 01  01 04 0002 00 01  01 04 0001 00 80"
	    "  45 10 0001 01 01  0002 01 02  0001 80 03  0002 04 03", OPEN_CAPS);
}

static void
o_misc(struct bb *w)
{
	open_hex(w, 65001, "02 00  46 00  06 00  05 06 0001 0001 0002"
	    "  40 06 8078 0001 0180  47 07 0001 01 80 000e10  09 01 03"
	    "  49 0e 05 6564676531 07 6c61622e6e6574  83 02 abcd", OPEN_CAPS);
}

static void
o_rr_old(struct bb *w)
{
	open_hex(w, 65001, "80 00", OPEN_CAPS);
}

/* FQDN: 70-byte hostname with a control character, domain "x.y". */
static void
o_fqdn_long(struct bb *w)
{
	struct bb c = { .n = 0 };

	bb_u8(&c, BGP_CAP_FQDN);
	bb_u8(&c, 1 + 70 + 1 + 3);
	bb_u8(&c, 70);
	bb_u8(&c, 'h');
	bb_u8(&c, 0x01);
	for (int i = 0; i < 68; i++)
		bb_u8(&c, 'a');
	bb_u8(&c, 3);
	bb_hex(&c, "782e79");
	open_build(w, 65001, 1, c.b, c.n, OPEN_CAPS);
}

/* RFC 9072: 50 multiprotocol capabilities and AS4, 306 bytes. */
static void
o_ext(struct bb *w)
{
	struct bb c = { .n = 0 };

	for (unsigned i = 1; i <= 50; i++) {
		bb_u8(&c, BGP_CAP_MP);
		bb_u8(&c, 4);
		bb_u16(&c, 1);
		bb_u8(&c, 0);
		bb_u8(&c, i);
	}
	bb_hex(&c, "41 04 0000fde9");
	open_build(w, 65001, 2, c.b, c.n, OPEN_EXT);
}

static void
o_ext_small(struct bb *w)
{
	open_hex(w, BGP_AS_TRANS, "01 04 0002 00 01  41 04 fa56ea02", OPEN_EXT);
}

/* One capability per parameter, and a non-capability parameter. */
static void
o_multi(struct bb *w)
{
	open_hex(w, 65001, "02 06 01 04 0001 0001  01 04 00000000"
	    "  02 06 41 04 0000fde9  02 02 02 00", OPEN_RAW);
}

static void
o_noparams(struct bb *w)
{
	open_hex(w, 64512, "", OPEN_RAW);
}

typedef void (*open_fn)(struct bb *);

static const struct {
	const char	*name;
	open_fn		 fn;
} open_vectors[] = {
	{ "mp_as4", o_mp_as4 },
	{ "addpath", o_addpath },
	{ "misc", o_misc },
	{ "rr_old", o_rr_old },
	{ "fqdn_long", o_fqdn_long },
	{ "ext", o_ext },
	{ "ext_small", o_ext_small },
	{ "multi", o_multi },
	{ "noparams", o_noparams },
};
#define N_OPEN ((int)(sizeof(open_vectors) / sizeof(open_vectors[0])))

START_TEST(open_multiprotocol_as4)
{
	struct bb w;
	static const struct { uint16_t afi; uint8_t safi; } want[] = {
		{ 1, 1 }, { 2, 1 }, { 1, 2 }, { 1, 128 }, { 2, 128 }, { 25, 70 },
	};

	o_mp_as4(&w);
	open_ok(&w);
	ck_assert_uint_eq(OP.version, 4);
	ck_assert_uint_eq(OP.my_as, BGP_AS_TRANS);
	ck_assert_uint_eq(OP.hold_time, 90);
	ck_assert_uint_eq(OP.bgp_id, 0xc0000201);
	ck_assert(OP.caps.as4);
	ck_assert_uint_eq(OP.caps.as4_asn, 4200000001u);
	ck_assert_uint_eq(bgp_open_asn(&OP), 4200000001u);
	ck_assert_uint_eq(OP.caps.n_caps, 7);
	ck_assert_uint_eq(OP.caps.n_unknown, 0);
	ck_assert_uint_eq(OP.caps.n_af, 6);
	for (unsigned i = 0; i < 6; i++) {
		ck_assert_uint_eq(OP.caps.af[i].afi, want[i].afi);
		ck_assert_uint_eq(OP.caps.af[i].safi, want[i].safi);
		ck_assert(OP.caps.af[i].mp);
		ck_assert_uint_eq(OP.caps.af[i].addpath, 0);
	}
	ck_assert(!OP.caps.route_refresh);
	ck_assert(!OP.caps.graceful_restart);
	ck_assert_str_eq(OP.caps.hostname, "");
}
END_TEST

START_TEST(open_addpath_directions)
{
	struct bb w;

	o_addpath(&w);
	open_ok(&w);
	ck_assert_uint_eq(bgp_caps_addpath(&OP.caps, 1, 1), BGP_ADDPATH_RECEIVE);
	ck_assert_uint_eq(bgp_caps_addpath(&OP.caps, 2, 1), BGP_ADDPATH_SEND);
	ck_assert_uint_eq(bgp_caps_addpath(&OP.caps, 1, 128),
	    BGP_ADDPATH_RECEIVE | BGP_ADDPATH_SEND);
	ck_assert_uint_eq(bgp_caps_addpath(&OP.caps, 2, 4), 3);
	ck_assert_uint_eq(bgp_caps_addpath(&OP.caps, 1, 2), 0);
	ck_assert_uint_eq(OP.caps.n_af, 4);
	/* IPv6 labeled appears only in ADD-PATH: kept, not multiprotocol. */
	ck_assert_uint_eq(OP.caps.af[3].afi, 2);
	ck_assert_uint_eq(OP.caps.af[3].safi, 4);
	ck_assert(!OP.caps.af[3].mp);
	ck_assert(OP.caps.af[2].mp);
	ck_assert(!OP.caps.as4);
	ck_assert_uint_eq(bgp_open_asn(&OP), 65001);
}
END_TEST

START_TEST(open_refresh_gr_role_fqdn)
{
	struct bb w;

	o_misc(&w);
	open_ok(&w);
	ck_assert(OP.caps.route_refresh);
	ck_assert(OP.caps.enhanced_route_refresh);
	ck_assert(OP.caps.ext_message);
	ck_assert(OP.caps.ext_nexthop);
	ck_assert(OP.caps.graceful_restart);
	ck_assert_uint_eq(OP.caps.gr_restart_time, 120);
	ck_assert(OP.caps.llgr);
	ck_assert(OP.caps.has_role);
	ck_assert_uint_eq(OP.caps.role, BGP_ROLE_CUSTOMER);
	ck_assert_str_eq(OP.caps.hostname, "edge1");
	ck_assert_str_eq(OP.caps.domain, "lab.net");
	ck_assert_uint_eq(OP.caps.n_caps, 9);
	ck_assert_uint_eq(OP.caps.n_unknown, 1);
	ck_assert_uint_eq(OP.caps.n_af, 0);
	ck_assert(!OP.caps.as4);

	o_rr_old(&w);
	open_ok(&w);
	ck_assert(OP.caps.route_refresh);
	ck_assert(!OP.caps.enhanced_route_refresh);
	ck_assert(!OP.caps.has_role);
	ck_assert_uint_eq(OP.caps.n_unknown, 0);
}
END_TEST

START_TEST(open_fqdn_sanitized_and_bounded)
{
	struct bb w;

	o_fqdn_long(&w);
	open_ok(&w);
	ck_assert_uint_eq(strlen(OP.caps.hostname), BGP_FQDN_MAX - 1);
	ck_assert_int_eq(OP.caps.hostname[0], 'h');
	ck_assert_int_eq(OP.caps.hostname[1], '?');
	ck_assert_int_eq(OP.caps.hostname[62], 'a');
	ck_assert_str_eq(OP.caps.domain, "x.y");
}
END_TEST

START_TEST(open_rfc9072_extended_params)
{
	struct bb w;

	o_ext(&w);
	ck_assert_uint_eq(w.b[28], 0xff);
	ck_assert_uint_eq(w.b[29], 0xff);
	open_ok(&w);
	ck_assert_uint_eq(OP.caps.n_caps, 51);
	ck_assert_uint_eq(OP.caps.n_af, BGP_CAPS_MAX_AF);
	ck_assert_uint_eq(OP.caps.af[31].safi, 32);
	ck_assert(OP.caps.as4);
	ck_assert_uint_eq(bgp_open_asn(&OP), 65001);

	o_ext_small(&w);
	open_ok(&w);
	ck_assert_uint_eq(OP.caps.n_caps, 2);
	ck_assert_uint_eq(OP.caps.n_af, 1);
	ck_assert_uint_eq(OP.caps.af[0].afi, 2);
	ck_assert_uint_eq(bgp_open_asn(&OP), 4200000002u);
}
END_TEST

START_TEST(open_several_parameters)
{
	struct bb w;

	o_multi(&w);
	open_ok(&w);
	ck_assert_uint_eq(OP.caps.n_caps, 3);
	ck_assert_uint_eq(OP.caps.n_af, 1);
	ck_assert(OP.caps.as4);
	ck_assert_uint_eq(OP.caps.as4_asn, 65001);
	ck_assert(OP.caps.route_refresh);

	o_noparams(&w);
	ck_assert_uint_eq(w.n, BGP_OPEN_MIN_LEN);
	open_ok(&w);
	ck_assert_uint_eq(OP.caps.n_caps, 0);
	ck_assert(!OP.caps.as4);
	ck_assert_uint_eq(bgp_open_asn(&OP), 64512);
}
END_TEST

static const struct {
	const char	*caps;
	size_t		 offset;	/* of the bad capability */
	unsigned	 code;
} bad_caps[] = {
	{ "09 02 0300", 31, 9 },		/* Role: 1 byte */
	{ "45 03 000101", 31, 69 },		/* ADD-PATH: 4 per family */
	{ "01 03 000100", 31, 1 },		/* MP: 4 bytes */
	{ "41 02 fde9", 31, 65 },		/* AS4: 4 bytes */
	{ "02 00  09 00", 33, 9 },		/* second capability */
};

START_TEST(open_malformed_capability)
{
	struct bb w;
	char want[48];

	open_hex(&w, 65001, bad_caps[_i].caps, OPEN_CAPS);
	ck_assert_int_eq(open_parse(&w), -1);
	ck_assert_uint_eq(E.offset, bad_caps[_i].offset);
	snprintf(want, sizeof(want), "malformed capability %u",
	    bad_caps[_i].code);
	ck_assert_ptr_nonnull(strstr(E.msg, want));
}
END_TEST

START_TEST(open_framing_errors)
{
	struct bb w;

	o_mp_as4(&w);
	w.b[18] = BGP_MSG_UPDATE;
	ck_assert_int_eq(open_parse(&w), -1);
	ck_assert_uint_eq(E.offset, 18);

	o_mp_as4(&w);
	bb_patch16(&w, 16, 28);
	ck_assert_int_eq(open_parse(&w), -1);
	ck_assert_uint_eq(E.offset, 16);

	o_noparams(&w);		/* Opt Parm Len 5, nothing follows */
	w.b[28] = 5;
	ck_assert_int_eq(open_parse(&w), -1);
	ck_assert_uint_eq(E.offset, 29);
	ck_assert_ptr_nonnull(strstr(E.msg, "overrun"));

	/* A capability longer than its parameter. */
	open_hex(&w, 65001, "02 04 41 04 0000", OPEN_RAW);
	ck_assert_int_eq(open_parse(&w), -1);
	ck_assert_uint_ge(E.offset, 29);
	ck_assert_uint_le(E.offset, w.n);
	ck_assert_ptr_nonnull(strstr(E.msg, "overrun"));
}
END_TEST

/* ==== Truncation at every length ==== */

/* After a parse of a (possibly cut) UPDATE: outcome and iterator agree. */
static void
check_consistent(const char *name, size_t cut, enum bgp_outcome r)
{
	size_t n = routes();

	if (r == BGP_SESSION_RESET) {
		ck_assert_msg(n == 0, "%s cut %zu: routes after reset", name, cut);
		ck_assert_msg(E.msg[0] != '\0' && E.offset < cut,
		    "%s cut %zu: reset, err '%s' at %zu", name, cut, E.msg,
		    E.offset);
	} else
		ck_assert_msg(n == U->n_withdrawn + U->n_announced,
		    "%s cut %zu: %zu routes, counted %u", name, cut, n,
		    U->n_withdrawn + U->n_announced);
}

/*
 * Every UPDATE vector cut to every shorter length: as framed (length field
 * disagrees) it must reset at the header; with the length field, and where
 * the cut falls in the attributes also Total Path Attribute Length, rewritten
 * to match, the inner decoders see the cut and must stay consistent.
 */
START_TEST(trunc_update)
{
	struct bb w;
	struct bgp_decode_opts o;
	const char *name = upd_vectors[_i].name;
	size_t attrs_off, alen;

	build(upd_vectors[_i].fn, &w, &o);
	attrs_off = alen_at(&w) + 2;
	alen = (size_t)w.b[alen_at(&w)] << 8 | w.b[alen_at(&w) + 1];
	for (size_t cut = 0; cut < w.n; cut++) {
		uint8_t *buf = exact_copy(w.b, cut);
		struct bf_cur c = cur_make(buf, cut);
		enum bgp_outcome r;

		memset(&E, 0, sizeof(E));
		r = bgp_update_parse(c, &o, U, &E);
		ck_assert_msg(r == BGP_SESSION_RESET, "%s cut %zu: outcome %d",
		    name, cut, r);
		ck_assert_msg(E.msg[0] != '\0', "%s cut %zu: no reason", name,
		    cut);
		ck_assert_uint_eq(E.offset, cut < BGP_HDR_LEN ? 0 : 16);
		ck_assert_uint_eq(routes(), 0);
		if (cut >= BGP_HDR_LEN) {
			buf[16] = (uint8_t)(cut >> 8);
			buf[17] = (uint8_t)cut;
			memset(&E, 0, sizeof(E));
			r = bgp_update_parse(c, &o, U, &E);
			check_consistent(name, cut, r);
			if (cut > attrs_off && cut < attrs_off + alen) {
				buf[alen_at(&w)] = (uint8_t)((cut - attrs_off) >> 8);
				buf[alen_at(&w) + 1] = (uint8_t)(cut - attrs_off);
				memset(&E, 0, sizeof(E));
				r = bgp_update_parse(c, &o, U, &E);
				check_consistent(name, cut, r);
			}
		}
		free(buf);
	}
}
END_TEST

START_TEST(trunc_open)
{
	struct bb w;
	const char *name = open_vectors[_i].name;

	open_vectors[_i].fn(&w);
	for (size_t cut = 0; cut < w.n; cut++) {
		uint8_t *buf = exact_copy(w.b, cut);
		struct bf_cur c = cur_make(buf, cut);
		int r;

		memset(&E, 0, sizeof(E));
		r = bgp_open_parse(c, &OP, &E);
		ck_assert_msg(r == -1, "%s cut %zu: accepted", name, cut);
		ck_assert_msg(E.msg[0] != '\0', "%s cut %zu: no reason", name,
		    cut);
		ck_assert_uint_eq(E.offset, cut < BGP_HDR_LEN ? 0 : 16);
		if (cut >= BGP_HDR_LEN) {
			buf[16] = (uint8_t)(cut >> 8);
			buf[17] = (uint8_t)cut;
			memset(&E, 0, sizeof(E));
			r = bgp_open_parse(c, &OP, &E);
			ck_assert_msg(r == -1, "%s cut %zu (length rewritten): "
			    "accepted", name, cut);
			ck_assert_msg(E.msg[0] != '\0' && E.offset <= cut,
			    "%s cut %zu: err '%s' at %zu", name, cut, E.msg,
			    E.offset);
		}
		free(buf);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("bgp_update");
	TCase *to = tcase_create("open");
	TCase *ta = tcase_create("attributes");
	TCase *tf = tcase_create("families");
	TCase *tp = tcase_create("addpath");
	TCase *te = tcase_create("rfc7606");
	TCase *tr = tcase_create("routes");
	TCase *tt = tcase_create("truncation");
	TCase *all[] = { to, ta, tf, tp, te, tr, tt };

	tcase_add_test(to, open_multiprotocol_as4);
	tcase_add_test(to, open_addpath_directions);
	tcase_add_test(to, open_refresh_gr_role_fqdn);
	tcase_add_test(to, open_fqdn_sanitized_and_bounded);
	tcase_add_test(to, open_rfc9072_extended_params);
	tcase_add_test(to, open_several_parameters);
	tcase_add_loop_test(to, open_malformed_capability, 0,
	    (int)(sizeof(bad_caps) / sizeof(bad_caps[0])));
	tcase_add_test(to, open_framing_errors);

	tcase_add_test(ta, attrs_every_known_attribute);
	tcase_add_test(ta, attrs_unknown_kept_raw);
	tcase_add_test(ta, attrs_unknown_overflow);
	tcase_add_test(ta, attrs_extended_length);
	tcase_add_test(ta, aspath_segment_types_4octet);
	tcase_add_test(ta, aspath_segment_types_2octet);
	tcase_add_test(ta, aspath_verify_lengths);
	tcase_add_test(ta, as4_path_and_aggregator_merged);
	tcase_add_test(ta, as4_path_merge_with_set);
	tcase_add_test(ta, as4_ignored_when_aggregator_not_trans);
	tcase_add_test(ta, as4_path_longer_than_as_path_ignored);
	tcase_add_test(ta, as4_attrs_ignored_on_as4_session);
	tcase_add_test(ta, aspath_width_4_on_2octet_session);
	tcase_add_test(ta, aspath_width_2_on_4octet_session);
	tcase_add_test(ta, names);

	tcase_add_test(tf, mp_ipv6_unicast_link_local);
	tcase_add_test(tf, mp_ipv6_next_hop_16);
	tcase_add_test(tf, mp_multicast_both_families);
	tcase_add_test(tf, mp_labeled_ipv4);
	tcase_add_test(tf, mp_labeled_ipv6);
	tcase_add_test(tf, mp_vpnv4);
	tcase_add_test(tf, mp_vpnv6_next_hop_24);
	tcase_add_test(tf, mp_vpnv6_next_hop_48);
	tcase_add_test(tf, mp_vpnv4_ipv6_next_hop_16);
	tcase_add_test(tf, mp_ipv4_with_ipv6_next_hop);
	tcase_add_test(tf, mp_undecoded_families);
	tcase_add_test(tf, eor_ipv4_empty_update);
	tcase_add_test(tf, eor_ipv6_mp_unreach);
	tcase_add_test(tf, eor_vpnv4_mp_unreach);

	tcase_add_test(tp, addpath_ipv4_path_ids);
	tcase_add_test(tp, addpath_per_family);
	tcase_add_test(tp, addpath_vpnv4);
	tcase_add_test(tp, addpath_caps_say_yes_bytes_say_no);
	tcase_add_test(tp, addpath_caps_say_no_bytes_say_yes);
	tcase_add_test(tp, addpath_neither_way_resets);

	tcase_add_test(te, bad_origin_treat_as_withdraw);
	tcase_add_test(te, atomic_aggregate_length_discard);
	tcase_add_test(te, aggregator_length_discard);
	tcase_add_test(te, malformed_as_path_treat_as_withdraw);
	tcase_add_test(te, duplicate_mp_reach_resets);
	tcase_add_test(te, mp_reach_next_hop_overrun_resets);
	tcase_add_test(te, mp_reach_bad_next_hop_length_resets);
	tcase_add_test(te, mp_reach_bad_nlri_resets);
	tcase_add_test(te, mp_unreach_too_short_resets);
	tcase_add_test(te, mp_reach_flag_conflict_resets_with_reason);
	tcase_add_test(te, attribute_overrun_treat_as_withdraw);
	tcase_add_test(te, attribute_header_short_treat_as_withdraw);
	tcase_add_test(te, flag_conflict_treat_as_withdraw);
	tcase_add_test(te, duplicate_attribute_discarded);
	tcase_add_test(te, duplicate_after_discarded_first);
	tcase_add_test(te, communities_length_treat_as_withdraw);
	tcase_add_test(te, aigp_malformed_discard);
	tcase_add_test(te, missing_mandatory_reported_and_kept);
	tcase_add_test(te, treat_as_withdraw_covers_mp_reach);
	tcase_add_test(te, update_framing_errors);
	tcase_add_test(te, msg_header);

	tcase_add_test(tr, routes_in_wire_order);
	tcase_add_loop_test(tr, routes_match_counts, 0, N_UPD);

	tcase_add_loop_test(tt, trunc_update, 0, N_UPD);
	tcase_add_loop_test(tt, trunc_open, 0, N_OPEN);
	tcase_set_timeout(tt, 300);

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		tcase_add_checked_fixture(all[i], setup, teardown);
		suite_add_tcase(s, all[i]);
	}
	return bf_run_suite(s);
}
