/* SPDX-License-Identifier: Apache-2.0 */
/*
 * BMP message decoders, RFC 7854 §4 with RFC 8671 and RFC 9069.
 *
 * Per-peer header (42 bytes):
 *   Peer Type (1) | Peer Flags (1) | Peer Distinguisher (8)
 *   | Peer Address (16) | Peer AS (4) | Peer BGP ID (4)
 *   | Timestamp seconds (4) | Timestamp microseconds (4)
 */
#include <string.h>

#include "bgp_update.h"
#include "bgp_wire.h"
#include "bmp_parse.h"
#include "bmp_wire.h"

/* Offsets below are from the start of the BMP message. */
static size_t
off_in(const struct bf_cur *msg, const struct bf_cur *c)
{
	return cur_offset(msg, c);
}

static int
parse_peer_hdr(struct bf_cur *c, struct bmp_peer_hdr *p)
{
	uint8_t addr[16];

	if (cur_get_u8(c, &p->type) < 0 || cur_get_u8(c, &p->flags) < 0 ||
	    cur_get_bytes(c, p->rd, 8) < 0 || cur_get_bytes(c, addr, 16) < 0 ||
	    cur_get_u32(c, &p->as) < 0 || cur_get_u32(c, &p->bgp_id) < 0 ||
	    cur_get_u32(c, &p->ts_sec) < 0 || cur_get_u32(c, &p->ts_usec) < 0)
		return -1;
	memset(&p->addr, 0, sizeof(p->addr));
	/* RFC 9069 §4.1: Loc-RIB peers have no address; V is "filtered" there. */
	if (p->type == BMP_PEER_LOC_RIB) {
		p->addr.family = BF_AF_NONE;
	} else if (p->flags & BMP_PEER_F_V) {
		p->addr.family = BF_AF_INET6;
		memcpy(p->addr.a, addr, 16);
	} else {
		p->addr.family = BF_AF_INET;
		memcpy(p->addr.a, addr + 12, 4);
	}
	return 0;
}

/* Validate a TLV region (2-byte type, 2-byte length). */
static int
check_tlvs(const struct bf_cur *msg, struct bf_cur tlvs, const char *what,
    struct bf_err *err)
{
	while (cur_len(&tlvs) > 0) {
		size_t off = off_in(msg, &tlvs);
		uint16_t type, len;

		if (cur_get_u16(&tlvs, &type) < 0 || cur_get_u16(&tlvs, &len) < 0 ||
		    cur_skip(&tlvs, len) < 0) {
			bf_err_set(err, -1, off, "%s TLV overruns the message",
			    what);
			return -1;
		}
	}
	return 0;
}

int
bmp_tlv_next(struct bf_cur *tlvs, struct bmp_tlv *t)
{
	uint16_t len;
	struct bf_cur save = *tlvs;

	if (cur_get_u16(tlvs, &t->type) < 0 || cur_get_u16(tlvs, &len) < 0 ||
	    cur_sub(tlvs, len, &t->value) < 0) {
		*tlvs = save;
		return 0;
	}
	return 1;
}

/* Cut one whole BGP message (by its own length field) off c. */
static int
cut_bgp_msg(const struct bf_cur *msg, struct bf_cur *c, struct bf_cur *out,
    const char *what, struct bf_err *err)
{
	uint16_t len;
	uint8_t type;
	size_t off = off_in(msg, c);

	if (bgp_msg_header(*c, &len, &type, NULL) < 0 ||
	    cur_sub(c, len, out) < 0) {
		bf_err_set(err, -1, off, "%s: BGP message header invalid or "
		    "overrunning the BMP message", what);
		return -1;
	}
	return 0;
}

static int
parse_peer_up(const struct bf_cur *msg, struct bf_cur c, struct bmp_msg *m,
    struct bf_err *err)
{
	struct bmp_peer_up *pu = &m->u.peer_up;
	uint8_t addr[16];
	struct bf_err e = { 0 };

	if (cur_get_bytes(&c, addr, 16) < 0 ||
	    cur_get_u16(&c, &pu->local_port) < 0 ||
	    cur_get_u16(&c, &pu->remote_port) < 0) {
		bf_err_set(err, -1, off_in(msg, &c), "Peer Up shorter than its "
		    "local address and ports");
		return -1;
	}
	memset(&pu->local_addr, 0, sizeof(pu->local_addr));
	if (m->peer.flags & BMP_PEER_F_V && m->peer.type != BMP_PEER_LOC_RIB) {
		pu->local_addr.family = BF_AF_INET6;
		memcpy(pu->local_addr.a, addr, 16);
	} else {
		pu->local_addr.family = BF_AF_INET;
		memcpy(pu->local_addr.a, addr + 12, 4);
	}
	if (cut_bgp_msg(msg, &c, &pu->sent_open_raw, "Peer Up sent OPEN",
	    err) < 0 ||
	    cut_bgp_msg(msg, &c, &pu->recv_open_raw, "Peer Up received OPEN",
	    err) < 0)
		return -1;
	if (bgp_open_parse(pu->sent_open_raw, &pu->sent_open, &e) < 0) {
		bf_err_set(err, -1, off_in(msg, &pu->sent_open_raw) + e.offset,
		    "Peer Up sent OPEN: %s", e.msg);
		return -1;
	}
	if (bgp_open_parse(pu->recv_open_raw, &pu->recv_open, &e) < 0) {
		bf_err_set(err, -1, off_in(msg, &pu->recv_open_raw) + e.offset,
		    "Peer Up received OPEN: %s", e.msg);
		return -1;
	}
	pu->tlvs = c;
	return check_tlvs(msg, c, "Peer Up information", err);
}

static int
parse_peer_down(const struct bf_cur *msg, struct bf_cur c, struct bmp_msg *m,
    struct bf_err *err)
{
	struct bmp_peer_down *pd = &m->u.peer_down;
	struct bf_cur pdu;
	uint16_t blen;
	uint8_t type;

	memset(pd, 0, sizeof(*pd));
	if (cur_get_u8(&c, &pd->reason) < 0) {
		bf_err_set(err, -1, off_in(msg, &c), "Peer Down without reason");
		return -1;
	}
	pd->data = c;
	switch (pd->reason) {
	case BMP_PD_LOCAL_NOTIFY:
	case BMP_PD_REMOTE_NOTIFY:
		if (cut_bgp_msg(msg, &c, &pdu, "Peer Down NOTIFICATION",
		    err) < 0)
			return -1;
		(void)bgp_msg_header(pdu, &blen, &type, NULL);
		if (type != BGP_MSG_NOTIFICATION ||
		    blen < BGP_NOTIFICATION_MIN_LEN) {
			bf_err_set(err, -1, off_in(msg, &pd->data), "Peer Down "
			    "reason %u carries BGP message type %u, not a "
			    "NOTIFICATION", pd->reason, type);
			return -1;
		}
		(void)cur_skip(&pdu, BGP_HDR_LEN);
		(void)cur_get_u8(&pdu, &pd->notify_code);
		(void)cur_get_u8(&pdu, &pd->notify_subcode);
		pd->notify_data = pdu;
		pd->has_notification = true;
		return 0;
	case BMP_PD_LOCAL_NO_NOTIFY:
		if (cur_get_u16(&c, &pd->fsm_event) < 0) {
			bf_err_set(err, -1, off_in(msg, &c), "Peer Down reason "
			    "2 without its FSM event code");
			return -1;
		}
		return 0;
	case BMP_PD_LOCRIB_CLOSED:
		pd->tlvs = c;
		return check_tlvs(msg, c, "Peer Down information", err);
	default:	/* 4, 5 and unknown reasons: no defined data */
		return 0;
	}
}

/*
 * Route Monitoring body: one BGP UPDATE.  Its own length ends it; Huawei
 * appends vendor TLVs after it, which are kept as trailing bytes.
 */
static int
parse_route_mon(const struct bf_cur *msg, struct bf_cur c, struct bmp_msg *m,
    struct bf_err *err)
{
	if (cut_bgp_msg(msg, &c, &m->u.rm.bgp, "Route Monitoring", err) < 0)
		return -1;
	m->u.rm.trailing = c;
	return 0;
}

static int
parse_stats(const struct bf_cur *msg, struct bf_cur c, struct bmp_msg *m,
    struct bf_err *err)
{
	struct bmp_stats *st = &m->u.stats;
	struct bf_cur walk;

	if (cur_get_u32(&c, &st->count) < 0) {
		bf_err_set(err, -1, off_in(msg, &c), "Statistics Report "
		    "without its count");
		return -1;
	}
	st->body = c;
	walk = c;
	for (uint32_t i = 0; i < st->count; i++) {
		size_t off = off_in(msg, &walk);
		uint16_t type, len;

		if (cur_get_u16(&walk, &type) < 0 || cur_get_u16(&walk, &len) < 0 ||
		    cur_skip(&walk, len) < 0) {
			bf_err_set(err, -1, off, "stat %u of %u overruns the "
			    "Statistics Report", i + 1, st->count);
			return -1;
		}
	}
	if (cur_len(&walk) > 0) {
		bf_err_set(err, -1, off_in(msg, &walk), "%zu bytes after the "
		    "%u stats of a Statistics Report", cur_len(&walk),
		    st->count);
		return -1;
	}
	return 0;
}

int
bmp_stat_next(struct bf_cur *body, struct bmp_stat *s)
{
	struct bf_cur v;

	if (cur_get_u16(body, &s->type) < 0 || cur_get_u16(body, &s->len) < 0 ||
	    cur_sub(body, s->len, &v) < 0)
		return 0;
	s->raw = v;
	s->afi = 0;
	s->safi = 0;
	s->value = 0;
	/* The IANA registry pairs each type with one of these three layouts. */
	switch (s->len) {
	case 4: {
		uint32_t v32 = 0;

		(void)cur_get_u32(&v, &v32);
		s->value = v32;
		s->kind = BMP_STAT_COUNTER32;
		break;
	}
	case 8:
		(void)cur_get_u64(&v, &s->value);
		s->kind = BMP_STAT_GAUGE64;
		break;
	case 11:
		(void)cur_get_u16(&v, &s->afi);
		(void)cur_get_u8(&v, &s->safi);
		(void)cur_get_u64(&v, &s->value);
		s->kind = BMP_STAT_AFI_GAUGE64;
		break;
	default:
		s->kind = BMP_STAT_OPAQUE;
		break;
	}
	return 1;
}

/* Route Mirroring: TLVs; type 0 is a BGP PDU, type 1 a 2-byte info code. */
static int
parse_mirror(const struct bf_cur *msg, struct bf_cur c, struct bmp_msg *m,
    struct bf_err *err)
{
	struct bf_cur walk = c;
	struct bmp_tlv t;

	m->u.mirror.tlvs = c;
	if (check_tlvs(msg, c, "Route Mirroring", err) < 0)
		return -1;
	while (bmp_tlv_next(&walk, &t) == 1) {
		if (t.type == BMP_MIRROR_INFO && cur_len(&t.value) != 2) {
			bf_err_set(err, -1, off_in(msg, &t.value) - 4, "Route "
			    "Mirroring information TLV of length %zu (want 2)",
			    cur_len(&t.value));
			return -1;
		}
	}
	return 0;
}

int
bmp_parse(const uint8_t *buf, size_t len, struct bmp_msg *m,
    struct bf_err *err)
{
	struct bf_cur msg = cur_make(buf, len), c = msg;

	memset(m, 0, offsetof(struct bmp_msg, u));
	if (cur_get_u8(&c, &m->version) < 0 || cur_get_u32(&c, &m->length) < 0 ||
	    cur_get_u8(&c, &m->type) < 0) {
		bf_err_set(err, -1, 0, "BMP message shorter than its 6-byte "
		    "header");
		return -1;
	}
	if (m->version != BMP_VERSION) {
		bf_err_set(err, -1, 0, "unsupported BMP version %u", m->version);
		return -1;
	}
	if (m->length != len) {
		bf_err_set(err, -1, 1, "BMP length field %u does not match the "
		    "%zu bytes framed", m->length, len);
		return -1;
	}
	switch (m->type) {
	case BMP_ROUTE_MONITORING:
	case BMP_STATISTICS_REPORT:
	case BMP_PEER_DOWN:
	case BMP_PEER_UP:
	case BMP_ROUTE_MIRRORING:
		if (parse_peer_hdr(&c, &m->peer) < 0) {
			bf_err_set(err, -1, BMP_COMMON_HDR_LEN, "%s of %u bytes "
			    "is shorter than the per-peer header",
			    bmp_type_name(m->type), m->length);
			return -1;
		}
		m->has_peer = true;
		break;
	default:
		break;
	}
	m->body = c;
	switch (m->type) {
	case BMP_ROUTE_MONITORING:
		return parse_route_mon(&msg, c, m, err);
	case BMP_STATISTICS_REPORT:
		return parse_stats(&msg, c, m, err);
	case BMP_PEER_DOWN:
		return parse_peer_down(&msg, c, m, err);
	case BMP_PEER_UP:
		return parse_peer_up(&msg, c, m, err);
	case BMP_INITIATION:
	case BMP_TERMINATION:
		m->u.info_tlvs = c;
		return check_tlvs(&msg, c, m->type == BMP_INITIATION ?
		    "Initiation" : "Termination", err);
	case BMP_ROUTE_MIRRORING:
		return parse_mirror(&msg, c, m, err);
	default:
		return 0;	/* unknown type: skipped by length */
	}
}

enum bmp_rib
bmp_peer_rib(const struct bmp_peer_hdr *p)
{
	if (p->type == BMP_PEER_LOC_RIB)
		return BMP_RIB_LOC;
	return (p->flags & BMP_PEER_F_O) ? BMP_RIB_ADJ_OUT : BMP_RIB_ADJ_IN;
}

bool
bmp_peer_post_policy(const struct bmp_peer_hdr *p)
{
	return p->type != BMP_PEER_LOC_RIB && (p->flags & BMP_PEER_F_L);
}
