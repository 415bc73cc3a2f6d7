/* SPDX-License-Identifier: Apache-2.0 */
/*
 * BMP message decoders: every message type with exact field values, the
 * vendor quirks seen in real captures, and truncation at every offset.
 */
#include <check.h>
#include <stdlib.h>

#include "normalize/bmp_stream.h"
#include "parse/bgp_wire.h"
#include "parse/bmp_parse.h"
#include "parse/bmp_wire.h"
#include "test_util.h"

/* One message per vector (support/bmp_build.h), from offset 0. */
static void
bmp_begin(struct bb *w, uint8_t type)
{
	w->n = 0;
	bb_bmp_begin(w, type);
}

static void
bmp_end(struct bb *w)
{
	bb_bmp_end(w, 0);
}

/* Per-peer header for an IPv4 (or, with V, IPv6) peer. */
static void
peer_hdr(struct bb *w, uint8_t type, uint8_t flags, const char *rd_hex,
    const char *addr16_hex, uint32_t as, uint32_t bgp_id)
{
	uint8_t rd[8], addr[16];

	ck_assert_uint_eq(hex_bytes(rd_hex, rd, sizeof(rd)), sizeof(rd));
	ck_assert_uint_eq(hex_bytes(addr16_hex, addr, sizeof(addr)),
	    sizeof(addr));
	bb_peer_hdr(w, type, flags, rd, addr, as, bgp_id, 1700000000, 123456);
}

static const char rd0[] = "0000000000000000";
static const char v4peer[] = "000000000000000000000000c0000201";	/* 192.0.2.1 */

static void
tlv(struct bb *w, uint16_t type, const char *val)
{
	bb_tlv(w, type, val, strlen(val));
}

/* BGP OPEN: AS, BGP ID and capability bytes (code, len, value...). */
static void
bgp_open(struct bb *w, uint16_t as, uint32_t id, const char *caps_hex)
{
	size_t start = bb_bgp_begin(w, BGP_MSG_OPEN), params, caps;

	bb_u8(w, 4);
	bb_u16(w, as);
	bb_u16(w, 180);
	bb_u32(w, id);
	params = bb_len8(w);
	bb_u8(w, BGP_OPT_PARAM_CAPABILITIES);
	caps = bb_len8(w);
	bb_hex(w, caps_hex);
	bb_len8_end(w, caps);
	bb_len8_end(w, params);
	bb_bgp_end(w, start);
}

/* ---- Initiation and Termination ---- */

START_TEST(initiation_tlvs)
{
	struct bb w;
	struct bmp_msg m;
	struct bf_err err = { 0 };
	struct bmp_tlv t;
	struct bf_cur tl;

	bmp_begin(&w, BMP_INITIATION);
	tlv(&w, BMP_INFO_SYSDESCR, "Cisco IOS XR 7.10.2");
	tlv(&w, BMP_INFO_SYSNAME, "daisy-44");
	tlv(&w, BMP_INFO_STRING, "lab");
	bmp_end(&w);
	ck_assert_int_eq(bmp_parse(w.b, w.n, &m, &err), 0);
	ck_assert_uint_eq(m.type, BMP_INITIATION);
	ck_assert(!m.has_peer);
	tl = m.u.info_tlvs;
	ck_assert_int_eq(bmp_tlv_next(&tl, &t), 1);
	ck_assert_uint_eq(t.type, 1);
	ck_assert_uint_eq(cur_len(&t.value), 19);
	ck_assert_int_eq(memcmp(t.value.p, "Cisco IOS XR 7.10.2", 19), 0);
	ck_assert_int_eq(bmp_tlv_next(&tl, &t), 1);
	ck_assert_uint_eq(t.type, 2);
	ck_assert_int_eq(memcmp(t.value.p, "daisy-44", 8), 0);
	ck_assert_int_eq(bmp_tlv_next(&tl, &t), 1);
	ck_assert_uint_eq(t.type, 0);
	ck_assert_int_eq(bmp_tlv_next(&tl, &t), 0);
}
END_TEST

START_TEST(termination_reason)
{
	struct bb w;
	struct bmp_msg m;
	struct bf_err err = { 0 };
	struct bmp_tlv t;
	struct bf_cur tl;
	uint16_t reason;

	bmp_begin(&w, BMP_TERMINATION);
	tlv(&w, 0, "going down");
	bb_u16(&w, BMP_TERM_REASON);
	bb_u16(&w, 2);
	bb_u16(&w, 3);		/* redundant connection */
	bmp_end(&w);
	ck_assert_int_eq(bmp_parse(w.b, w.n, &m, &err), 0);
	tl = m.u.info_tlvs;
	ck_assert_int_eq(bmp_tlv_next(&tl, &t), 1);
	ck_assert_int_eq(bmp_tlv_next(&tl, &t), 1);
	ck_assert_uint_eq(t.type, 1);
	ck_assert_int_eq(cur_get_u16(&t.value, &reason), 0);
	ck_assert_uint_eq(reason, 3);
}
END_TEST

START_TEST(tlv_overrun_is_error)
{
	struct bb w;
	struct bmp_msg m;
	struct bf_err err = { 0 };

	bmp_begin(&w, BMP_INITIATION);
	bb_u16(&w, 2);
	bb_u16(&w, 10);		/* claims 10 bytes, 3 follow */
	bb_str(&w, "abc");
	bmp_end(&w);
	ck_assert_int_eq(bmp_parse(w.b, w.n, &m, &err), -1);
	ck_assert_uint_eq(err.offset, 6);
	ck_assert_ptr_nonnull(strstr(err.msg, "Initiation TLV overruns"));
}
END_TEST

/* ---- Peer Up ---- */

/* MP v4 uni, AS4 65000, ADD-PATH v4 uni send+receive, Role customer(3), FQDN. */
static const char caps_local[] =
    "01 04 0001 00 01"  "41 04 0000fde8"  "45 04 0001 01 03"
    "09 01 03"  "49 08 02 7231 04 6c616221";
/* MP v4 uni and v6 uni, AS4 4200000001, ADD-PATH v4 uni send only. */
static const char caps_remote[] =
    "01 04 0001 00 01"  "01 04 0002 00 01"  "41 04 fa56ea01"
    "45 04 0001 01 02"  "02 00";

static void
build_peer_up(struct bb *w, uint8_t flags)
{
	bmp_begin(w, BMP_PEER_UP);
	peer_hdr(w, BMP_PEER_GLOBAL, flags, rd0, v4peer, 4200000001u,
	    0xc0000201);
	bb_hex(w, "000000000000000000000000c0000202");	/* local 192.0.2.2 */
	bb_u16(w, 179);
	bb_u16(w, 50123);
	bgp_open(w, 65000, 0xc0000202, caps_local);
	bgp_open(w, BGP_AS_TRANS, 0xc0000201, caps_remote);
	tlv(w, BMP_INFO_STRING, "uplink");
	bmp_end(w);
}

START_TEST(peer_up_fields)
{
	struct bb w;
	struct bmp_msg m;
	struct bf_err err = { 0 };
	const struct bmp_peer_up *pu = &m.u.peer_up;
	char a[BF_ADDR_STRLEN];
	struct bmp_tlv t;
	struct bf_cur tl;

	build_peer_up(&w, 0);
	ck_assert_msg(bmp_parse(w.b, w.n, &m, &err) == 0, "%s at %zu", err.msg,
	    err.offset);
	ck_assert(m.has_peer);
	ck_assert_uint_eq(m.peer.type, BMP_PEER_GLOBAL);
	ck_assert_str_eq(bf_addr_fmt(&m.peer.addr, a, sizeof(a)), "192.0.2.1");
	ck_assert_uint_eq(m.peer.as, 4200000001u);
	ck_assert_uint_eq(m.peer.bgp_id, 0xc0000201);
	ck_assert_uint_eq(m.peer.ts_sec, 1700000000);
	ck_assert_uint_eq(m.peer.ts_usec, 123456);
	ck_assert_int_eq(bmp_peer_rib(&m.peer), BMP_RIB_ADJ_IN);
	ck_assert(!bmp_peer_post_policy(&m.peer));
	ck_assert_str_eq(bf_addr_fmt(&pu->local_addr, a, sizeof(a)), "192.0.2.2");
	ck_assert_uint_eq(pu->local_port, 179);
	ck_assert_uint_eq(pu->remote_port, 50123);
	ck_assert_uint_eq(pu->sent_open.my_as, 65000);
	ck_assert_uint_eq(pu->sent_open.hold_time, 180);
	ck_assert(pu->sent_open.caps.as4);
	ck_assert_uint_eq(bgp_open_asn(&pu->sent_open), 65000);
	ck_assert_uint_eq(bgp_open_asn(&pu->recv_open), 4200000001u);
	ck_assert(pu->sent_open.caps.has_role);
	ck_assert_uint_eq(pu->sent_open.caps.role, BGP_ROLE_CUSTOMER);
	ck_assert_str_eq(pu->sent_open.caps.hostname, "r1");
	ck_assert_str_eq(pu->sent_open.caps.domain, "lab!");
	ck_assert(pu->recv_open.caps.route_refresh);
	ck_assert_uint_eq(pu->recv_open.caps.n_af, 2);
	ck_assert_uint_eq(bgp_caps_addpath(&pu->sent_open.caps, 1, 1), 3);
	ck_assert_uint_eq(bgp_caps_addpath(&pu->recv_open.caps, 1, 1), 2);
	ck_assert_uint_eq(bgp_caps_addpath(&pu->recv_open.caps, 2, 1), 0);
	tl = pu->tlvs;
	ck_assert_int_eq(bmp_tlv_next(&tl, &t), 1);
	ck_assert_uint_eq(cur_len(&t.value), 6);
	ck_assert_int_eq(bmp_tlv_next(&tl, &t), 0);
}
END_TEST

START_TEST(peer_up_ipv6_post_policy)
{
	struct bb w;
	struct bmp_msg m;
	struct bf_err err = { 0 };
	char a[BF_ADDR_STRLEN];

	bmp_begin(&w, BMP_PEER_UP);
	peer_hdr(&w, BMP_PEER_GLOBAL, BMP_PEER_F_V | BMP_PEER_F_L, rd0,
	    "20010db8000000000000000000000001", 65001, 1);
	bb_hex(&w, "20010db8000000000000000000000002");
	bb_u16(&w, 179);
	bb_u16(&w, 40000);
	bgp_open(&w, 65000, 2, "");
	bgp_open(&w, 65001, 1, "");
	bmp_end(&w);
	ck_assert_int_eq(bmp_parse(w.b, w.n, &m, &err), 0);
	ck_assert_str_eq(bf_addr_fmt(&m.peer.addr, a, sizeof(a)), "2001:db8::1");
	ck_assert_str_eq(bf_addr_fmt(&m.u.peer_up.local_addr, a, sizeof(a)),
	    "2001:db8::2");
	ck_assert(bmp_peer_post_policy(&m.peer));
	ck_assert(!m.u.peer_up.sent_open.caps.as4);
}
END_TEST

START_TEST(peer_up_bad_open_is_error)
{
	struct bb w;
	struct bmp_msg m;
	struct bf_err err = { 0 };

	build_peer_up(&w, 0);
	/* Corrupt the sent OPEN's marker (starts after 6+42+20 bytes). */
	w.b[6 + 42 + 20] = 0x00;
	ck_assert_int_eq(bmp_parse(w.b, w.n, &m, &err), -1);
	ck_assert_uint_eq(err.offset, 68);
	ck_assert_ptr_nonnull(strstr(err.msg, "sent OPEN"));
}
END_TEST

/* ---- Peer Down, every reason ---- */

static const struct {
	uint8_t		reason;
	const char	*data_hex;
	int		rc;
	uint8_t		code, subcode;
	uint16_t	fsm;
} peer_down_cases[] = {
	{ 1, "ffffffffffffffffffffffffffffffff 0015 03 06 02", 0, 6, 2, 0 },
	{ 2, "0018", 0, 0, 0, 0x18 },
	{ 3, "ffffffffffffffffffffffffffffffff 0017 03 06 04 abcd", 0, 6, 4, 0 },
	{ 4, "", 0, 0, 0, 0 },
	{ 5, "", 0, 0, 0, 0 },
	{ 6, "0003 0006 415f54455354", 0, 0, 0, 0 },
	{ 1, "ffffffffffffffffffffffffffffffff 0013 04", -1, 0, 0, 0 },	/* KEEPALIVE */
	{ 2, "00", -1, 0, 0, 0 },					/* cut FSM code */
	{ 6, "0003 00ff 41", -1, 0, 0, 0 },				/* TLV overrun */
};

START_TEST(peer_down_reasons)
{
	struct bb w;
	struct bmp_msg m;
	struct bf_err err = { 0 };
	const struct bmp_peer_down *pd = &m.u.peer_down;

	bmp_begin(&w, BMP_PEER_DOWN);
	peer_hdr(&w, BMP_PEER_GLOBAL, 0, rd0, v4peer, 65001, 1);
	bb_u8(&w, peer_down_cases[_i].reason);
	bb_hex(&w, peer_down_cases[_i].data_hex);
	bmp_end(&w);
	ck_assert_int_eq(bmp_parse(w.b, w.n, &m, &err), peer_down_cases[_i].rc);
	if (peer_down_cases[_i].rc < 0) {
		ck_assert_str_ne(err.msg, "");
		return;
	}
	ck_assert_uint_eq(pd->reason, peer_down_cases[_i].reason);
	ck_assert_uint_eq(pd->has_notification, peer_down_cases[_i].code != 0);
	ck_assert_uint_eq(pd->notify_code, peer_down_cases[_i].code);
	ck_assert_uint_eq(pd->notify_subcode, peer_down_cases[_i].subcode);
	ck_assert_uint_eq(pd->fsm_event, peer_down_cases[_i].fsm);
	if (pd->reason == 3)
		ck_assert_uint_eq(cur_len(&pd->notify_data), 2);
	if (pd->reason == BMP_PD_LOCRIB_CLOSED) {
		struct bf_cur tl = pd->tlvs;
		struct bmp_tlv t;

		ck_assert_int_eq(bmp_tlv_next(&tl, &t), 1);
		ck_assert_uint_eq(t.type, BMP_INFO_VRF_TABLE_NAME);
		ck_assert_int_eq(memcmp(t.value.p, "A_TEST", 6), 0);
	}
	ck_assert_str_ne(bmp_peer_down_reason_name(pd->reason), "unknown");
}
END_TEST

/* ---- Route Monitoring ---- */

/* UPDATE: ORIGIN IGP, AS_PATH 65001 65002 (4-octet), NEXT_HOP, 198.51.100.0/24. */
static const char update_hex[] =
    "ffffffffffffffffffffffffffffffff 0033 02 0000 0018"
    "40 01 01 00"
    "40 02 0a 02 02 0000fde9 0000fdea"
    "40 03 04 c0000201"
    "18 c63364";

START_TEST(route_monitoring_with_trailing_tlv)
{
	struct bb w;
	struct bmp_msg m;
	struct bf_err err = { 0 };

	bmp_begin(&w, BMP_ROUTE_MONITORING);
	peer_hdr(&w, BMP_PEER_LOC_RIB, BMP_PEER_F_LOCRIB_F,
	    "0002fbf00017000f", "00000000000000000000000000000000", 4226809879u,
	    0xc6336411);
	bb_hex(&w, update_hex);
	bb_hex(&w, "ea62 0002 000a");	/* Huawei vendor TLV after the PDU */
	bmp_end(&w);
	ck_assert_int_eq(bmp_parse(w.b, w.n, &m, &err), 0);
	ck_assert_uint_eq(m.peer.type, BMP_PEER_LOC_RIB);
	ck_assert_int_eq(bmp_peer_rib(&m.peer), BMP_RIB_LOC);
	ck_assert_uint_eq(m.peer.addr.family, BF_AF_NONE);
	ck_assert(!bmp_peer_post_policy(&m.peer));
	ck_assert_uint_eq(cur_len(&m.u.rm.bgp), 0x33);
	ck_assert_uint_eq(cur_len(&m.u.rm.trailing), 6);
}
END_TEST

START_TEST(route_monitoring_pdu_overrun)
{
	struct bb w;
	struct bmp_msg m;
	struct bf_err err = { 0 };

	bmp_begin(&w, BMP_ROUTE_MONITORING);
	peer_hdr(&w, BMP_PEER_GLOBAL, 0, rd0, v4peer, 65001, 1);
	bb_hex(&w, "ffffffffffffffffffffffffffffffff 0040 02 0000 0000");
	bmp_end(&w);
	ck_assert_int_eq(bmp_parse(w.b, w.n, &m, &err), -1);
	ck_assert_uint_eq(err.offset, 48);
	ck_assert_ptr_nonnull(strstr(err.msg, "Route Monitoring"));
}
END_TEST

/* ---- Statistics Report ---- */

START_TEST(stats_every_kind)
{
	struct bb w;
	struct bmp_msg m;
	struct bf_err err = { 0 };
	struct bmp_stat st;
	struct bf_cur body;

	bmp_begin(&w, BMP_STATISTICS_REPORT);
	peer_hdr(&w, BMP_PEER_RD, 0, "0001c000020a0007", v4peer, 65001, 1);
	bb_u32(&w, 5);
	bb_hex(&w, "0000 0004 00000005");			/* counter */
	bb_hex(&w, "0007 0008 0000010000000000");		/* gauge 2^40 */
	bb_hex(&w, "0009 000b 0002 01 000000000000000c");	/* per-AFI gauge */
	bb_hex(&w, "0011 000b 0001 80 0000000000000003");	/* RFC 8671 type 17 */
	bb_hex(&w, "fffb 0003 010203");				/* experimental */
	bmp_end(&w);
	ck_assert_int_eq(bmp_parse(w.b, w.n, &m, &err), 0);
	ck_assert_uint_eq(m.u.stats.count, 5);
	body = m.u.stats.body;
	ck_assert_int_eq(bmp_stat_next(&body, &st), 1);
	ck_assert_int_eq(st.kind, BMP_STAT_COUNTER32);
	ck_assert_uint_eq(st.value, 5);
	ck_assert_int_eq(bmp_stat_next(&body, &st), 1);
	ck_assert_int_eq(st.kind, BMP_STAT_GAUGE64);
	ck_assert_uint_eq(st.value, 1ull << 40);
	ck_assert_str_eq(bmp_stat_name(st.type), "routes_adj_rib_in");
	ck_assert_int_eq(bmp_stat_next(&body, &st), 1);
	ck_assert_int_eq(st.kind, BMP_STAT_AFI_GAUGE64);
	ck_assert_uint_eq(st.afi, 2);
	ck_assert_uint_eq(st.safi, 1);
	ck_assert_uint_eq(st.value, 12);
	ck_assert_int_eq(bmp_stat_next(&body, &st), 1);
	ck_assert_uint_eq(st.type, 17);
	ck_assert_uint_eq(st.safi, 128);
	ck_assert_int_eq(bmp_stat_next(&body, &st), 1);
	ck_assert_int_eq(st.kind, BMP_STAT_OPAQUE);
	ck_assert_uint_eq(cur_len(&st.raw), 3);
	ck_assert_str_eq(bmp_stat_name(st.type), "experimental");
	ck_assert_int_eq(bmp_stat_next(&body, &st), 0);
}
END_TEST

START_TEST(stats_count_mismatch)
{
	struct bb w;
	struct bmp_msg m;
	struct bf_err err = { 0 };

	bmp_begin(&w, BMP_STATISTICS_REPORT);
	peer_hdr(&w, BMP_PEER_GLOBAL, 0, rd0, v4peer, 65001, 1);
	bb_u32(&w, 1);
	bb_hex(&w, "0000 0004 00000005  0001 0004 00000001");
	bmp_end(&w);
	ck_assert_int_eq(bmp_parse(w.b, w.n, &m, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "after the 1 stats"));
	ck_assert_uint_eq(err.offset, 60);
}
END_TEST

/* ---- Route Mirroring ---- */

START_TEST(route_mirroring_tlvs)
{
	struct bb w;
	struct bmp_msg m;
	struct bf_err err = { 0 };
	struct bmp_tlv t;
	struct bf_cur tl;
	uint16_t code;

	bmp_begin(&w, BMP_ROUTE_MIRRORING);
	peer_hdr(&w, BMP_PEER_GLOBAL, 0, rd0, v4peer, 65001, 1);
	bb_hex(&w, "0000 0013 ffffffffffffffffffffffffffffffff 0013 04");
	bb_hex(&w, "0001 0002 0001");
	bmp_end(&w);
	ck_assert_int_eq(bmp_parse(w.b, w.n, &m, &err), 0);
	tl = m.u.mirror.tlvs;
	ck_assert_int_eq(bmp_tlv_next(&tl, &t), 1);
	ck_assert_uint_eq(t.type, BMP_MIRROR_BGP_MSG);
	ck_assert_uint_eq(cur_len(&t.value), 19);
	ck_assert_int_eq(bmp_tlv_next(&tl, &t), 1);
	ck_assert_uint_eq(t.type, BMP_MIRROR_INFO);
	ck_assert_int_eq(cur_get_u16(&t.value, &code), 0);
	ck_assert_uint_eq(code, BMP_MIRROR_LOST);
	/* An information TLV must be exactly 2 bytes. */
	w.b[w.n - 3] = 3;
	bb_hex(&w, "00");
	bmp_end(&w);
	ck_assert_int_eq(bmp_parse(w.b, w.n, &m, &err), -1);
}
END_TEST

START_TEST(unknown_type_skipped)
{
	struct bb w;
	struct bmp_msg m;
	struct bf_err err = { 0 };
	struct bmp_stream s;

	bmp_begin(&w, BMP_HUAWEI_ROUTE_POLICY);
	bb_hex(&w, "0102030405");
	bmp_end(&w);
	ck_assert_int_eq(bmp_parse(w.b, w.n, &m, &err), 0);
	ck_assert_uint_eq(m.type, 100);
	ck_assert_int_eq(bmp_stream_init(&s, 4096, 16), 0);
	ck_assert_int_eq(bmp_stream_decode(&s, w.b, w.n, &err), BMP_MSG_SKIPPED);
	ck_assert_uint_eq(s.st.unknown_type, 1);
	bmp_stream_free(&s);
}
END_TEST

START_TEST(short_per_peer_header)
{
	struct bb w;
	struct bmp_msg m;
	struct bf_err err = { 0 };

	bmp_begin(&w, BMP_PEER_DOWN);
	bb_hex(&w, "00 00 0000000000000000");
	bmp_end(&w);
	ck_assert_int_eq(bmp_parse(w.b, w.n, &m, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "per-peer header"));
}
END_TEST

/* ---- Peer Up capabilities drive the UPDATE decoding ---- */

/* IPv4 NLRI with a path ID: 4-byte id 7, then 198.51.100.0/24. */
static const char update_addpath_hex[] =
    "ffffffffffffffffffffffffffffffff 0037 02 0000 0018"
    "40 01 01 00"
    "40 02 0a 02 02 0000fde9 0000fdea"
    "40 03 04 c0000201"
    "00000007 18 c63364";

static void
build_rm(struct bb *w, uint8_t flags, const char *upd)
{
	bmp_begin(w, BMP_ROUTE_MONITORING);
	peer_hdr(w, BMP_PEER_GLOBAL, flags, rd0, v4peer, 4200000001u,
	    0xc0000201);
	bb_hex(w, upd);
	bmp_end(w);
}

START_TEST(addpath_follows_peer_up)
{
	struct bb w;
	struct bmp_stream s;
	struct bf_err err = { 0 };
	struct bgp_route_iter ri;
	struct bgp_route r;
	char p[BF_PREFIX_STRLEN];

	ck_assert_int_eq(bmp_stream_init(&s, 4096, 16), 0);
	/* Peer sends path IDs (send), the router receives them (send+receive). */
	build_peer_up(&w, 0);
	ck_assert_int_eq(bmp_stream_decode(&s, w.b, w.n, &err), BMP_MSG_OK);
	ck_assert_uint_eq(s.peer->epoch, 1);
	ck_assert(s.peer->as4);
	build_rm(&w, 0, update_addpath_hex);
	ck_assert_int_eq(bmp_stream_decode(&s, w.b, w.n, &err), BMP_MSG_OK);
	ck_assert(s.has_update);
	ck_assert(!s.update->addpath_guessed);
	bgp_route_iter_init(&ri, s.update);
	ck_assert_int_eq(bgp_route_next(&ri, &r), 1);
	ck_assert(r.nlri.has_path_id);
	ck_assert_uint_eq(r.nlri.path_id, 7);
	ck_assert_str_eq(bf_prefix_fmt(&r.nlri.prefix, p, sizeof(p)),
	    "198.51.100.0/24");
	ck_assert_int_eq(bgp_route_next(&ri, &r), 0);
	/* Adj-RIB-Out: the router advertised send, the peer only send: none. */
	build_rm(&w, BMP_PEER_F_O, update_hex);
	ck_assert_int_eq(bmp_stream_decode(&s, w.b, w.n, &err), BMP_MSG_OK);
	bgp_route_iter_init(&ri, s.update);
	ck_assert_int_eq(bgp_route_next(&ri, &r), 1);
	ck_assert(!r.nlri.has_path_id);
	ck_assert_uint_eq(s.st.no_peer_up, 0);
	bmp_stream_free(&s);
}
END_TEST

/* Without a Peer Up the A flag picks the AS_PATH width (RFC 7854 §4.2). */
START_TEST(a_flag_without_peer_up)
{
	struct bb w;
	struct bmp_stream s;
	struct bf_err err = { 0 };
	const struct bgp_attrs *a;

	ck_assert_int_eq(bmp_stream_init(&s, 4096, 16), 0);
	build_rm(&w, BMP_PEER_F_A,
	    "ffffffffffffffffffffffffffffffff 002f 02 0000 0014"
	    "40 01 01 00"  "40 02 06 02 02 fde9 fdea"  "40 03 04 c0000201"
	    "18 c63364");
	ck_assert_int_eq(bmp_stream_decode(&s, w.b, w.n, &err), BMP_MSG_OK);
	a = &s.update->attrs;
	ck_assert_uint_eq(a->aspath.n_asns, 2);
	ck_assert_uint_eq(a->aspath.asns[0], 65001);
	ck_assert_uint_eq(a->origin_as, 65002);
	ck_assert(!a->as_path_width_guessed);
	ck_assert_uint_eq(s.st.no_peer_up, 1);
	bmp_stream_free(&s);
}
END_TEST

/* Huawei: one Loc-RIB Peer Up per family; capabilities add up, one epoch. */
START_TEST(locrib_peer_ups_merge)
{
	struct bb w;
	struct bmp_stream s;
	struct bf_err err = { 0 };
	const struct bgp_af *v4 = bgp_af_lookup(1, 1), *v6 = bgp_af_lookup(2, 1);
	static const char *const caps[] = {
		"01 04 0001 00 01  41 04 0000fde8  45 04 0001 01 03",
		"01 04 0002 00 01  41 04 0000fde8  45 04 0002 01 03",
	};

	ck_assert_int_eq(bmp_stream_init(&s, 4096, 16), 0);
	for (int i = 0; i < 2; i++) {
		bmp_begin(&w, BMP_PEER_UP);
		peer_hdr(&w, BMP_PEER_LOC_RIB, 0, rd0,
		    "00000000000000000000000000000000", 65000, 1);
		bb_hex(&w, "00000000000000000000000000000000 0000 0000");
		bgp_open(&w, 65000, 1, caps[i]);
		bgp_open(&w, 65000, 1, caps[i]);
		bmp_end(&w);
		ck_assert_int_eq(bmp_stream_decode(&s, w.b, w.n, &err),
		    BMP_MSG_OK);
	}
	ck_assert_uint_eq(s.peer->epoch, 1);
	ck_assert_uint_eq(s.peer->addpath_in, (1u << v4->index) | (1u << v6->index));
	/*
	 * A Global peer's second Peer Up is a new session: a new epoch, from
	 * the clock the whole table shares (the Loc-RIB peer took 1).
	 */
	build_peer_up(&w, 0);
	ck_assert_int_eq(bmp_stream_decode(&s, w.b, w.n, &err), BMP_MSG_OK);
	ck_assert_uint_eq(s.peer->epoch, 2);
	ck_assert_int_eq(bmp_stream_decode(&s, w.b, w.n, &err), BMP_MSG_OK);
	ck_assert_uint_eq(s.peer->epoch, 3);
	bmp_stream_free(&s);
}
END_TEST

START_TEST(peer_limit_refuses_new_peers)
{
	struct bb w;
	struct bmp_stream s;
	struct bf_err err = { 0 };

	ck_assert_int_eq(bmp_stream_init(&s, 4096, 1), 0);
	build_peer_up(&w, 0);
	ck_assert_int_eq(bmp_stream_decode(&s, w.b, w.n, &err), BMP_MSG_OK);
	w.b[6 + 2 + 8 + 15] = 0x09;	/* another peer address */
	ck_assert_int_eq(bmp_stream_decode(&s, w.b, w.n, &err), BMP_MSG_ERROR);
	ck_assert_ptr_nonnull(strstr(err.msg, "more than 1 peers"));
	ck_assert_uint_eq(s.st.peer_limit, 1);
	bmp_stream_free(&s);
}
END_TEST

/* ---- Truncation at every offset ---- */

typedef void (*build_fn)(struct bb *);

static void
v_init(struct bb *w)
{
	bmp_begin(w, BMP_INITIATION);
	tlv(w, BMP_INFO_SYSDESCR, "FRRouting 10");
	tlv(w, BMP_INFO_SYSNAME, "r1");
	bmp_end(w);
}

static void
v_peer_up(struct bb *w)
{
	build_peer_up(w, 0);
}

static void
v_peer_down(struct bb *w)
{
	bmp_begin(w, BMP_PEER_DOWN);
	peer_hdr(w, BMP_PEER_GLOBAL, 0, rd0, v4peer, 65001, 1);
	bb_hex(w, "01 ffffffffffffffffffffffffffffffff 0015 03 06 02");
	bmp_end(w);
}

static void
v_rm(struct bb *w)
{
	build_rm(w, 0, update_hex);
}

static void
v_stats(struct bb *w)
{
	bmp_begin(w, BMP_STATISTICS_REPORT);
	peer_hdr(w, BMP_PEER_GLOBAL, 0, rd0, v4peer, 65001, 1);
	bb_hex(w, "00000002 0000 0004 00000005 0009 000b 0002 01 000000000000000c");
	bmp_end(w);
}

static void
v_mirror(struct bb *w)
{
	bmp_begin(w, BMP_ROUTE_MIRRORING);
	peer_hdr(w, BMP_PEER_GLOBAL, 0, rd0, v4peer, 65001, 1);
	bb_hex(w, "0000 0013 ffffffffffffffffffffffffffffffff 0013 04 0001 0002 0000");
	bmp_end(w);
}

static const build_fn vectors[] = {
	v_init, v_peer_up, v_peer_down, v_rm, v_stats, v_mirror,
};
#define N_VECTORS ((int)(sizeof(vectors) / sizeof(vectors[0])))

/*
 * Every vector cut to every shorter length, the length field rewritten to
 * match so the inner decoders see the cut: a clean result, never a read
 * past the exact-size buffer (ASan proves it).
 */
START_TEST(truncate_every_offset)
{
	struct bb w;
	struct bmp_stream s;

	vectors[_i](&w);
	ck_assert_int_eq(bmp_stream_init(&s, 4096, 16), 0);
	for (size_t cut = 0; cut < w.n; cut++) {
		uint8_t *buf = exact_copy(w.b, cut);
		struct bf_err err = { 0 };
		struct bmp_msg m;

		/* As framed: the length field disagrees with the bytes. */
		ck_assert_int_eq(bmp_parse(buf, cut, &m, &err), -1);
		if (cut >= 5) {
			buf[1] = (uint8_t)(cut >> 24);
			buf[2] = (uint8_t)(cut >> 16);
			buf[3] = (uint8_t)(cut >> 8);
			buf[4] = (uint8_t)cut;
			memset(&err, 0, sizeof(err));
			if (bmp_stream_decode(&s, buf, cut, &err) == BMP_MSG_ERROR)
				ck_assert_msg(err.msg[0] != '\0' && err.offset <= cut,
				    "vector %d cut %zu: error without reason", _i,
				    cut);
		}
		free(buf);
	}
	bmp_stream_free(&s);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("bmp_parse");
	TCase *tc = tcase_create("messages");
	TCase *tt = tcase_create("truncation");

	tcase_add_test(tc, initiation_tlvs);
	tcase_add_test(tc, termination_reason);
	tcase_add_test(tc, tlv_overrun_is_error);
	tcase_add_test(tc, peer_up_fields);
	tcase_add_test(tc, peer_up_ipv6_post_policy);
	tcase_add_test(tc, peer_up_bad_open_is_error);
	tcase_add_loop_test(tc, peer_down_reasons, 0,
	    sizeof(peer_down_cases) / sizeof(peer_down_cases[0]));
	tcase_add_test(tc, route_monitoring_with_trailing_tlv);
	tcase_add_test(tc, route_monitoring_pdu_overrun);
	tcase_add_test(tc, stats_every_kind);
	tcase_add_test(tc, stats_count_mismatch);
	tcase_add_test(tc, route_mirroring_tlvs);
	tcase_add_test(tc, unknown_type_skipped);
	tcase_add_test(tc, short_per_peer_header);
	tcase_add_test(tc, addpath_follows_peer_up);
	tcase_add_test(tc, a_flag_without_peer_up);
	tcase_add_test(tc, locrib_peer_ups_merge);
	tcase_add_test(tc, peer_limit_refuses_new_peers);
	tcase_add_loop_test(tt, truncate_every_offset, 0, N_VECTORS);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, tt);
	return bf_run_suite(s);
}
