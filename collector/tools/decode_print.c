/* SPDX-License-Identifier: Apache-2.0 */
#include <inttypes.h>
#include <stdbool.h>
#include <string.h>

#include "../parse/bgp_wire.h"
#include "../parse/bmp_wire.h"
#include "decode_print.h"
#include "core/json_write.h"

/* The bytes v covers, for the writers that take a pointer and a length. */
static const uint8_t *
cur_bytes(struct bf_cur v)
{
	const uint8_t *p = (const uint8_t *)"";

	if (cur_len(&v) > 0)
		(void)cur_get_ptr(&v, cur_len(&v), &p);
	return p;
}

/* Wire text (sysName, descriptions) as a JSON string, repaired as UTF-8. */
static void
kv_bytes_str(struct bf_json *j, const char *k, struct bf_cur v)
{
	bf_json_text(j, k, cur_bytes(v), cur_len(&v));
}

static void
kv_hex(struct bf_json *j, const char *k, struct bf_cur v)
{
	bf_json_hex(j, k, cur_bytes(v), cur_len(&v));
}

static void
kv_addr(struct bf_json *j, const char *k, const struct bf_addr *a)
{
	char buf[BF_ADDR_STRLEN];

	bf_json_str(j, k, bf_addr_fmt(a, buf, sizeof(buf)));
}

static void
kv_ipv4(struct bf_json *j, const char *k, uint32_t v)
{
	struct bf_addr a;

	bf_addr_v4(&a, v);
	kv_addr(j, k, &a);
}

static void
kv_rd(struct bf_json *j, const char *k, const uint8_t rd[8])
{
	char buf[BF_RD_STRLEN];

	bf_json_str(j, k, bf_rd_fmt(rd, buf, sizeof(buf)));
}

static void
print_peer_hdr(struct bf_json *j, const struct bmp_peer_hdr *p)
{
	char ts[32];

	bf_json_open_obj(j, "peer");
	bf_json_str(j, "type", bmp_peer_type_name(p->type));
	bf_json_str(j, "rib", bmp_rib_name(bmp_peer_rib(p)));
	bf_json_bool(j, "post_policy", bmp_peer_post_policy(p));
	bf_json_u64(j, "flags", p->flags);
	if (p->type == BMP_PEER_LOC_RIB)
		bf_json_bool(j, "filtered", p->flags & BMP_PEER_F_LOCRIB_F);
	else
		bf_json_bool(j, "legacy_as_path", p->flags & BMP_PEER_F_A);
	kv_rd(j, "rd", p->rd);
	kv_addr(j, "address", &p->addr);
	bf_json_u64(j, "as", p->as);
	kv_ipv4(j, "bgp_id", p->bgp_id);
	snprintf(ts, sizeof(ts), "%" PRIu32 ".%06" PRIu32, p->ts_sec,
	    p->ts_usec % 1000000u);
	bf_json_raw(j, "timestamp", ts);
	bf_json_close_obj(j);
}

static void
print_info_tlvs(struct bf_json *j, uint8_t msg_type, struct bf_cur tlvs)
{
	struct bmp_tlv t;

	bf_json_open_arr(j, "tlvs");
	while (bmp_tlv_next(&tlvs, &t) == 1) {
		uint16_t reason;

		bf_json_open_obj(j, NULL);
		bf_json_u64(j, "type", t.type);
		bf_json_str(j, "name", bmp_info_tlv_name(msg_type, t.type));
		if (msg_type == BMP_TERMINATION && t.type == BMP_TERM_REASON &&
		    cur_get_u16(&t.value, &reason) == 0)
			bf_json_u64(j, "value", reason);
		else
			kv_bytes_str(j, "value", t.value);
		bf_json_close_obj(j);
	}
	bf_json_close_arr(j);
}

static void
print_caps(struct bf_json *j, const struct bgp_caps *c)
{
	char name[32];

	bf_json_open_obj(j, "capabilities");
	bf_json_bool(j, "as4", c->as4);
	if (c->as4)
		bf_json_u64(j, "as4_asn", c->as4_asn);
	bf_json_bool(j, "route_refresh", c->route_refresh);
	bf_json_bool(j, "enhanced_route_refresh", c->enhanced_route_refresh);
	bf_json_bool(j, "extended_message", c->ext_message);
	bf_json_bool(j, "extended_nexthop", c->ext_nexthop);
	bf_json_bool(j, "graceful_restart", c->graceful_restart);
	if (c->graceful_restart)
		bf_json_u64(j, "restart_time", c->gr_restart_time);
	bf_json_bool(j, "llgr", c->llgr);
	if (c->has_role)
		bf_json_u64(j, "role", c->role);
	if (c->hostname[0] != '\0') {
		bf_json_str(j, "hostname", c->hostname);
		bf_json_str(j, "domain", c->domain);
	}
	bf_json_open_arr(j, "families");
	for (uint8_t i = 0; i < c->n_af; i++) {
		bf_json_open_obj(j, NULL);
		bf_json_str(j, "afi_safi", bgp_af_name(c->af[i].afi, c->af[i].safi,
		    name, sizeof(name)));
		bf_json_bool(j, "multiprotocol", c->af[i].mp);
		bf_json_str(j, "add_path", c->af[i].addpath == 3 ? "send_receive" :
		    c->af[i].addpath == 2 ? "send" :
		    c->af[i].addpath == 1 ? "receive" : "none");
		bf_json_close_obj(j);
	}
	bf_json_close_arr(j);
	bf_json_u64(j, "unknown", c->n_unknown);
	bf_json_close_obj(j);
}

static void
print_open(struct bf_json *j, const char *k, const struct bgp_open *o)
{
	bf_json_open_obj(j, k);
	bf_json_u64(j, "version", o->version);
	bf_json_u64(j, "as", bgp_open_asn(o));
	bf_json_u64(j, "hold_time", o->hold_time);
	kv_ipv4(j, "bgp_id", o->bgp_id);
	print_caps(j, &o->caps);
	bf_json_close_obj(j);
}

static void
print_peer_up(struct bf_json *j, const struct bmp_peer_up *pu)
{
	kv_addr(j, "local_address", &pu->local_addr);
	bf_json_u64(j, "local_port", pu->local_port);
	bf_json_u64(j, "remote_port", pu->remote_port);
	print_open(j, "sent_open", &pu->sent_open);
	print_open(j, "received_open", &pu->recv_open);
	print_info_tlvs(j, BMP_PEER_UP, pu->tlvs);
}

static void
print_peer_down(struct bf_json *j, const struct bmp_peer_down *pd)
{
	bf_json_u64(j, "reason", pd->reason);
	bf_json_str(j, "reason_name", bmp_peer_down_reason_name(pd->reason));
	if (pd->has_notification) {
		bf_json_open_obj(j, "notification");
		bf_json_u64(j, "code", pd->notify_code);
		bf_json_u64(j, "subcode", pd->notify_subcode);
		kv_hex(j, "data", pd->notify_data);
		bf_json_close_obj(j);
	}
	if (pd->reason == BMP_PD_LOCAL_NO_NOTIFY)
		bf_json_u64(j, "fsm_event", pd->fsm_event);
	if (pd->reason == BMP_PD_LOCRIB_CLOSED)
		print_info_tlvs(j, BMP_PEER_DOWN, pd->tlvs);
}

static void
print_stats(struct bf_json *j, const struct bmp_stats *st)
{
	struct bf_cur body = st->body;
	struct bmp_stat s;
	char name[32];

	bf_json_u64(j, "count", st->count);
	bf_json_open_arr(j, "stats");
	while (bmp_stat_next(&body, &s) == 1) {
		bf_json_open_obj(j, NULL);
		bf_json_u64(j, "type", s.type);
		bf_json_str(j, "name", bmp_stat_name(s.type));
		switch (s.kind) {
		case BMP_STAT_COUNTER32:
			bf_json_str(j, "kind", "counter");
			bf_json_u64(j, "value", s.value);
			break;
		case BMP_STAT_GAUGE64:
			bf_json_str(j, "kind", "gauge");
			bf_json_u64(j, "value", s.value);
			break;
		case BMP_STAT_AFI_GAUGE64:
			bf_json_str(j, "kind", "afi_safi_gauge");
			bf_json_str(j, "afi_safi", bgp_af_name(s.afi, s.safi, name,
			    sizeof(name)));
			bf_json_u64(j, "value", s.value);
			break;
		case BMP_STAT_OPAQUE:
			bf_json_str(j, "kind", "opaque");
			kv_hex(j, "raw", s.raw);
			break;
		}
		bf_json_close_obj(j);
	}
	bf_json_close_arr(j);
}

static const char *
seg_name(uint8_t t)
{
	switch (t) {
	case BGP_ASPATH_SET:
		return "set";
	case BGP_ASPATH_SEQUENCE:
		return "sequence";
	case BGP_ASPATH_CONFED_SEQUENCE:
		return "confed_sequence";
	default:
		return "confed_set";
	}
}

/* Print each fixed-size element of a list attribute with fmt_one. */
static void
print_list(struct bf_json *j, const char *k, struct bf_cur v, size_t elem,
    void (*fmt_one)(struct bf_json *, struct bf_cur))
{
	struct bf_cur one;

	bf_json_open_arr(j, k);
	while (cur_sub(&v, elem, &one) == 0)
		fmt_one(j, one);
	bf_json_close_arr(j);
}

static void
fmt_community(struct bf_json *j, struct bf_cur v)
{
	uint16_t hi, lo;
	char buf[16];

	(void)cur_get_u16(&v, &hi);
	(void)cur_get_u16(&v, &lo);
	snprintf(buf, sizeof(buf), "%u:%u", hi, lo);
	bf_json_str(j, NULL, buf);
}

static void
fmt_large_community(struct bf_json *j, struct bf_cur v)
{
	uint32_t a, b, c;
	char buf[40];

	(void)cur_get_u32(&v, &a);
	(void)cur_get_u32(&v, &b);
	(void)cur_get_u32(&v, &c);
	snprintf(buf, sizeof(buf), "%u:%u:%u", a, b, c);
	bf_json_str(j, NULL, buf);
}

static void
fmt_hex(struct bf_json *j, struct bf_cur v)
{
	kv_hex(j, NULL, v);
}

static void
fmt_ipv4(struct bf_json *j, struct bf_cur v)
{
	uint32_t a;

	(void)cur_get_u32(&v, &a);
	kv_ipv4(j, NULL, a);
}

static void
print_attrs(struct bf_json *j, const struct bgp_attrs *a)
{
	static const char *const origins[] = { "igp", "egp", "incomplete" };
	char name[32];

	bf_json_open_obj(j, "attributes");
	if (bgp_attr_has(a, BGP_ATTR_ORIGIN))
		bf_json_str(j, "origin", origins[a->origin % 3]);
	if (bgp_attr_has(a, BGP_ATTR_AS_PATH)) {
		bf_json_open_arr(j, "as_path");
		for (uint32_t i = 0; i < a->aspath.n_asns; i++)
			bf_json_u64(j, NULL, a->aspath.asns[i]);
		bf_json_close_arr(j);
		bf_json_open_arr(j, "as_path_segments");
		for (uint32_t s = 0; s < a->aspath.n_segs; s++) {
			const struct bgp_aspath_seg *sg = &a->aspath.segs[s];

			bf_json_open_obj(j, NULL);
			bf_json_str(j, "type", seg_name(sg->type));
			bf_json_open_arr(j, "asns");
			for (uint16_t i = 0; i < sg->count; i++)
				bf_json_u64(j, NULL, a->aspath.asns[sg->start + i]);
			bf_json_close_arr(j);
			bf_json_close_obj(j);
		}
		bf_json_close_arr(j);
		if (a->as4_merged)
			bf_json_bool(j, "as4_path_merged", true);
	}
	if (a->has_origin_as)
		bf_json_u64(j, "origin_as", a->origin_as);
	if (bgp_attr_has(a, BGP_ATTR_NEXT_HOP))
		kv_addr(j, "next_hop", &a->next_hop);
	if (bgp_attr_has(a, BGP_ATTR_MED))
		bf_json_u64(j, "med", a->med);
	if (bgp_attr_has(a, BGP_ATTR_LOCAL_PREF))
		bf_json_u64(j, "local_pref", a->local_pref);
	if (a->atomic_aggregate)
		bf_json_bool(j, "atomic_aggregate", true);
	if (bgp_attr_has(a, BGP_ATTR_AGGREGATOR) ||
	    bgp_attr_has(a, BGP_ATTR_AS4_AGGREGATOR)) {
		bf_json_open_obj(j, "aggregator");
		bf_json_u64(j, "as", a->aggregator_as);
		kv_addr(j, "address", &a->aggregator_addr);
		bf_json_close_obj(j);
	}
	if (bgp_attr_has(a, BGP_ATTR_COMMUNITIES))
		print_list(j, "communities", a->communities, 4, fmt_community);
	if (bgp_attr_has(a, BGP_ATTR_LARGE_COMMUNITIES))
		print_list(j, "large_communities", a->large_communities, 12,
		    fmt_large_community);
	if (bgp_attr_has(a, BGP_ATTR_EXT_COMMUNITIES))
		print_list(j, "ext_communities", a->ext_communities, 8, fmt_hex);
	if (bgp_attr_has(a, BGP_ATTR_IPV6_EXT_COMMUNITIES))
		print_list(j, "ipv6_ext_communities", a->ipv6_ext_communities,
		    20, fmt_hex);
	if (bgp_attr_has(a, BGP_ATTR_ORIGINATOR_ID))
		kv_ipv4(j, "originator_id", a->originator_id);
	if (bgp_attr_has(a, BGP_ATTR_CLUSTER_LIST))
		print_list(j, "cluster_list", a->cluster_list, 4, fmt_ipv4);
	if (bgp_attr_has(a, BGP_ATTR_OTC))
		bf_json_u64(j, "otc", a->otc);
	if (bgp_attr_has(a, BGP_ATTR_AIGP))
		bf_json_u64(j, "aigp", a->aigp);
	if (bgp_attr_has(a, BGP_ATTR_MP_REACH_NLRI)) {
		bf_json_str(j, "mp_reach_afi_safi", bgp_af_name(a->mp_reach.afi,
		    a->mp_reach.safi, name, sizeof(name)));
		if (a->mp_reach.next_hop.family != BF_AF_NONE)
			kv_addr(j, "mp_next_hop", &a->mp_reach.next_hop);
		if (a->mp_reach.next_hop_ll.family != BF_AF_NONE)
			kv_addr(j, "mp_next_hop_link_local",
			    &a->mp_reach.next_hop_ll);
	}
	if (bgp_attr_has(a, BGP_ATTR_MP_UNREACH_NLRI))
		bf_json_str(j, "mp_unreach_afi_safi", bgp_af_name(a->mp_unreach.afi,
		    a->mp_unreach.safi, name, sizeof(name)));
	if (a->n_unknown > 0) {
		bf_json_open_arr(j, "unknown");
		for (uint8_t i = 0; i < a->n_unknown; i++) {
			bf_json_open_obj(j, NULL);
			bf_json_u64(j, "code", a->unknown[i].code);
			bf_json_u64(j, "flags", a->unknown[i].flags);
			kv_hex(j, "value", a->unknown[i].value);
			bf_json_close_obj(j);
		}
		bf_json_close_arr(j);
	}
	bf_json_close_obj(j);
}

static const char *
outcome_name(enum bgp_outcome o)
{
	switch (o) {
	case BGP_OK:
		return "ok";
	case BGP_ATTR_DISCARD:
		return "attribute_discard";
	case BGP_TREAT_AS_WITHDRAW:
		return "treat_as_withdraw";
	case BGP_SESSION_RESET:
		return "session_reset";
	}
	return "unknown";
}

static void
print_update(struct bf_json *j, const struct bgp_update *u)
{
	struct bgp_route_iter ri;
	struct bgp_route r;
	char buf[BF_PREFIX_STRLEN];

	bf_json_open_obj(j, "bgp");
	bf_json_str(j, "outcome", outcome_name(u->outcome));
	if (u->eor) {
		bf_json_bool(j, "end_of_rib", true);
		bf_json_str(j, "eor_afi_safi", bgp_af_name(u->eor_afi, u->eor_safi,
		    buf, sizeof(buf)));
	}
	if (u->undecoded_reach || u->undecoded_unreach)
		bf_json_bool(j, "undecoded_family", true);
	bf_json_u64(j, "announced", u->n_announced);
	bf_json_u64(j, "withdrawn", u->n_withdrawn);
	print_attrs(j, &u->attrs);
	if (u->attrs.n_issues > 0) {
		bf_json_open_arr(j, "issues");
		for (uint8_t i = 0; i < u->attrs.n_issues; i++) {
			bf_json_open_obj(j, NULL);
			bf_json_str(j, "action", outcome_name(u->attrs.issues[i].action));
			bf_json_u64(j, "offset", u->attrs.issues[i].offset);
			bf_json_str(j, "reason", u->attrs.issues[i].msg);
			bf_json_close_obj(j);
		}
		bf_json_close_arr(j);
	}
	bf_json_open_arr(j, "prefixes");
	bgp_route_iter_init(&ri, u);
	while (bgp_route_next(&ri, &r) == 1) {
		bf_json_open_obj(j, NULL);
		bf_json_str(j, "action", r.action == BGP_ANNOUNCE ? "announce" :
		    "withdraw");
		bf_json_str(j, "afi_safi", r.af->name);
		bf_json_str(j, "prefix", bf_prefix_fmt(&r.nlri.prefix, buf,
		    sizeof(buf)));
		if (r.nlri.has_path_id)
			bf_json_u64(j, "path_id", r.nlri.path_id);
		if (r.nlri.has_rd)
			kv_rd(j, "rd", r.nlri.rd);
		if (r.nlri.n_labels > 0) {
			bf_json_open_arr(j, "labels");
			for (uint8_t i = 0; i < r.nlri.n_labels; i++)
				bf_json_u64(j, NULL, r.nlri.labels[i]);
			bf_json_close_arr(j);
		}
		bf_json_close_obj(j);
	}
	bf_json_close_arr(j);
	bf_json_close_obj(j);
}

static void
print_mirror(struct bf_json *j, const struct bmp_mirror *mi)
{
	struct bf_cur tlvs = mi->tlvs;
	struct bmp_tlv t;
	uint16_t code;

	bf_json_open_arr(j, "tlvs");
	while (bmp_tlv_next(&tlvs, &t) == 1) {
		bf_json_open_obj(j, NULL);
		bf_json_u64(j, "type", t.type);
		if (t.type == BMP_MIRROR_INFO && cur_get_u16(&t.value, &code) == 0) {
			bf_json_str(j, "name", "information");
			bf_json_u64(j, "code", code);
			bf_json_str(j, "code_name", code == BMP_MIRROR_LOST ?
			    "messages_lost" : code == BMP_MIRROR_ERRORED_PDU ?
			    "errored_pdu" : "unknown");
		} else {
			bf_json_str(j, "name", t.type == BMP_MIRROR_BGP_MSG ?
			    "bgp_message" : "unknown");
			kv_hex(j, "value", t.value);
		}
		bf_json_close_obj(j);
	}
	bf_json_close_arr(j);
}

void
decode_print_json(FILE *out, const struct bmp_stream *s, size_t off)
{
	const struct bmp_msg *m = &s->msg;
	struct bf_json j;

	bf_json_init(&j, out);

	bf_json_open_obj(&j, NULL);
	bf_json_u64(&j, "offset", off);
	bf_json_str(&j, "type", bmp_type_name(m->type));
	if (m->type >= BMP_TYPE_MAX)
		bf_json_u64(&j, "type_code", m->type);
	bf_json_u64(&j, "length", m->length);
	if (m->has_peer)
		print_peer_hdr(&j, &m->peer);
	switch (m->type) {
	case BMP_INITIATION:
	case BMP_TERMINATION:
		print_info_tlvs(&j, m->type, m->u.info_tlvs);
		break;
	case BMP_PEER_UP:
		print_peer_up(&j, &m->u.peer_up);
		break;
	case BMP_PEER_DOWN:
		print_peer_down(&j, &m->u.peer_down);
		break;
	case BMP_STATISTICS_REPORT:
		print_stats(&j, &m->u.stats);
		break;
	case BMP_ROUTE_MONITORING:
		if (s->has_update)
			print_update(&j, s->update);
		if (cur_len(&m->u.rm.trailing) > 0)
			kv_hex(&j, "trailing_data", m->u.rm.trailing);
		break;
	case BMP_ROUTE_MIRRORING:
		print_mirror(&j, &m->u.mirror);
		break;
	default:
		break;
	}
	bf_json_close_obj(&j);
	fputc('\n', out);
}

static void
text_peer(FILE *out, const struct bmp_peer_hdr *p)
{
	char a[BF_ADDR_STRLEN], rd[BF_RD_STRLEN];

	if (p->type == BMP_PEER_LOC_RIB)
		fprintf(out, " loc-rib AS%u%s", p->as,
		    (p->flags & BMP_PEER_F_LOCRIB_F) ? " filtered" : "");
	else
		fprintf(out, " peer %s AS%u %s %s", bf_addr_fmt(&p->addr, a,
		    sizeof(a)), p->as, bmp_rib_name(bmp_peer_rib(p)),
		    bmp_peer_post_policy(p) ? "post-policy" : "pre-policy");
	if (!bf_rd_is_zero(p->rd))
		fprintf(out, " rd %s", bf_rd_fmt(p->rd, rd, sizeof(rd)));
}

static void
text_update(FILE *out, const struct bgp_update *u)
{
	struct bgp_route_iter ri;
	struct bgp_route r;
	char buf[BF_PREFIX_STRLEN];
	unsigned shown = 0;

	if (u->eor) {
		fprintf(out, " end-of-rib %s", bgp_af_name(u->eor_afi,
		    u->eor_safi, buf, sizeof(buf)));
		return;
	}
	fprintf(out, " +%u -%u", u->n_announced, u->n_withdrawn);
	bgp_route_iter_init(&ri, u);
	while (bgp_route_next(&ri, &r) == 1 && shown < 4) {
		fprintf(out, " %c%s", r.action == BGP_ANNOUNCE ? '+' : '-',
		    bf_prefix_fmt(&r.nlri.prefix, buf, sizeof(buf)));
		shown++;
	}
	if (u->n_announced + u->n_withdrawn > shown)
		fprintf(out, " ...");
	if (u->n_announced > 0 && bgp_attr_has(&u->attrs, BGP_ATTR_AS_PATH)) {
		fprintf(out, " path");
		for (uint32_t i = 0; i < u->attrs.aspath.n_asns; i++)
			fprintf(out, " %u", u->attrs.aspath.asns[i]);
	}
	if (u->outcome != BGP_OK)
		fprintf(out, " (%s)", outcome_name(u->outcome));
}

void
decode_print_text(FILE *out, const struct bmp_stream *s, size_t off)
{
	const struct bmp_msg *m = &s->msg;
	struct bf_cur tlvs;
	struct bmp_tlv t;

	fprintf(out, "@%zu %s", off, bmp_type_name(m->type));
	if (m->type >= BMP_TYPE_MAX)
		fprintf(out, "(%u) %u bytes skipped", m->type, m->length);
	if (m->has_peer)
		text_peer(out, &m->peer);
	switch (m->type) {
	case BMP_INITIATION:
	case BMP_TERMINATION:
		tlvs = m->u.info_tlvs;
		while (bmp_tlv_next(&tlvs, &t) == 1) {
			const uint8_t *p;
			size_t n = cur_len(&t.value);

			(void)cur_get_ptr(&t.value, n, &p);
			fprintf(out, " %s=\"%.*s\"", bmp_info_tlv_name(m->type, t.type),
			    (int)(n > 60 ? 60 : n), n ? (const char *)p : "");
		}
		break;
	case BMP_PEER_UP:
		fprintf(out, " as %u/%u", bgp_open_asn(&m->u.peer_up.sent_open),
		    bgp_open_asn(&m->u.peer_up.recv_open));
		break;
	case BMP_PEER_DOWN:
		fprintf(out, " reason %u %s", m->u.peer_down.reason,
		    bmp_peer_down_reason_name(m->u.peer_down.reason));
		break;
	case BMP_STATISTICS_REPORT:
		fprintf(out, " %u stats", m->u.stats.count);
		break;
	case BMP_ROUTE_MONITORING:
		if (s->has_update)
			text_update(out, s->update);
		break;
	default:
		break;
	}
	fputc('\n', out);
}
