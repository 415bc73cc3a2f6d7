#include <inttypes.h>
#include <stdbool.h>
#include <string.h>

#include "../parse/bgp_wire.h"
#include "../parse/bmp_wire.h"
#include "decode_print.h"

/* Minimal JSON writer: tracks whether a separator is due. */
struct jw {
	FILE	*f;
	bool	 need_comma;
};

static void
sep(struct jw *j)
{
	if (j->need_comma)
		fputc(',', j->f);
	j->need_comma = false;
}

static void
jstr_raw(FILE *f, const uint8_t *p, size_t n)
{
	fputc('"', f);
	for (size_t i = 0; i < n; i++) {
		uint8_t ch = p[i];

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static void
key(struct jw *j, const char *k)
{
	sep(j);
	fprintf(j->f, "\"%s\":", k);
}

static void
open_obj(struct jw *j, const char *k)
{
	if (k != NULL)
		key(j, k);
	else
		sep(j);
	fputc('{', j->f);
}

static void
open_arr(struct jw *j, const char *k)
{
	if (k != NULL)
		key(j, k);
	else
		sep(j);
	fputc('[', j->f);
}

static void
close_obj(struct jw *j)
{
	fputc('}', j->f);
	j->need_comma = true;
}

static void
close_arr(struct jw *j)
{
	fputc(']', j->f);
	j->need_comma = true;
}

static void
kv_str(struct jw *j, const char *k, const char *v)
{
	if (k != NULL)
		key(j, k);
	else
		sep(j);
	jstr_raw(j->f, (const uint8_t *)v, strlen(v));
	j->need_comma = true;
}

static void
kv_bytes_str(struct jw *j, const char *k, struct bf_cur v)
{
	const uint8_t *p;
	size_t n = cur_len(&v);

	key(j, k);
	(void)cur_get_ptr(&v, n, &p);
	jstr_raw(j->f, n ? p : (const uint8_t *)"", n);
	j->need_comma = true;
}

static void
kv_hex(struct jw *j, const char *k, struct bf_cur v)
{
	uint8_t b;

	key(j, k);
	fputc('"', j->f);
	while (cur_get_u8(&v, &b) == 0)
		fprintf(j->f, "%02x", b);
	fputc('"', j->f);
	j->need_comma = true;
}

static void
kv_u64(struct jw *j, const char *k, uint64_t v)
{
	if (k != NULL)
		key(j, k);
	else
		sep(j);
	fprintf(j->f, "%" PRIu64, v);
	j->need_comma = true;
}

static void
kv_bool(struct jw *j, const char *k, bool v)
{
	key(j, k);
	fputs(v ? "true" : "false", j->f);
	j->need_comma = true;
}

static void
kv_addr(struct jw *j, const char *k, const struct bf_addr *a)
{
	char buf[BF_ADDR_STRLEN];

	kv_str(j, k, bf_addr_fmt(a, buf, sizeof(buf)));
}

static void
kv_ipv4(struct jw *j, const char *k, uint32_t v)
{
	struct bf_addr a;

	bf_addr_v4(&a, v);
	kv_addr(j, k, &a);
}

static void
kv_rd(struct jw *j, const char *k, const uint8_t rd[8])
{
	char buf[BF_RD_STRLEN];

	kv_str(j, k, bf_rd_fmt(rd, buf, sizeof(buf)));
}

static void
print_peer_hdr(struct jw *j, const struct bmp_peer_hdr *p)
{
	char ts[32];

	open_obj(j, "peer");
	kv_str(j, "type", bmp_peer_type_name(p->type));
	kv_str(j, "rib", bmp_rib_name(bmp_peer_rib(p)));
	kv_bool(j, "post_policy", bmp_peer_post_policy(p));
	kv_u64(j, "flags", p->flags);
	if (p->type == BMP_PEER_LOC_RIB)
		kv_bool(j, "filtered", p->flags & BMP_PEER_F_LOCRIB_F);
	else
		kv_bool(j, "legacy_as_path", p->flags & BMP_PEER_F_A);
	kv_rd(j, "rd", p->rd);
	kv_addr(j, "address", &p->addr);
	kv_u64(j, "as", p->as);
	kv_ipv4(j, "bgp_id", p->bgp_id);
	snprintf(ts, sizeof(ts), "%" PRIu32 ".%06" PRIu32, p->ts_sec,
	    p->ts_usec % 1000000u);
	key(j, "timestamp");
	fputs(ts, j->f);
	j->need_comma = true;
	close_obj(j);
}

static void
print_info_tlvs(struct jw *j, uint8_t msg_type, struct bf_cur tlvs)
{
	struct bmp_tlv t;

	open_arr(j, "tlvs");
	while (bmp_tlv_next(&tlvs, &t) == 1) {
		uint16_t reason;

		open_obj(j, NULL);
		kv_u64(j, "type", t.type);
		kv_str(j, "name", bmp_info_tlv_name(msg_type, t.type));
		if (msg_type == BMP_TERMINATION && t.type == BMP_TERM_REASON &&
		    cur_get_u16(&t.value, &reason) == 0)
			kv_u64(j, "value", reason);
		else
			kv_bytes_str(j, "value", t.value);
		close_obj(j);
	}
	close_arr(j);
}

static void
print_caps(struct jw *j, const struct bgp_caps *c)
{
	char name[32];

	open_obj(j, "capabilities");
	kv_bool(j, "as4", c->as4);
	if (c->as4)
		kv_u64(j, "as4_asn", c->as4_asn);
	kv_bool(j, "route_refresh", c->route_refresh);
	kv_bool(j, "enhanced_route_refresh", c->enhanced_route_refresh);
	kv_bool(j, "extended_message", c->ext_message);
	kv_bool(j, "extended_nexthop", c->ext_nexthop);
	kv_bool(j, "graceful_restart", c->graceful_restart);
	if (c->graceful_restart)
		kv_u64(j, "restart_time", c->gr_restart_time);
	kv_bool(j, "llgr", c->llgr);
	if (c->has_role)
		kv_u64(j, "role", c->role);
	if (c->hostname[0] != '\0') {
		kv_str(j, "hostname", c->hostname);
		kv_str(j, "domain", c->domain);
	}
	open_arr(j, "families");
	for (uint8_t i = 0; i < c->n_af; i++) {
		open_obj(j, NULL);
		kv_str(j, "afi_safi", bgp_af_name(c->af[i].afi, c->af[i].safi,
		    name, sizeof(name)));
		kv_bool(j, "multiprotocol", c->af[i].mp);
		kv_str(j, "add_path", c->af[i].addpath == 3 ? "send_receive" :
		    c->af[i].addpath == 2 ? "send" :
		    c->af[i].addpath == 1 ? "receive" : "none");
		close_obj(j);
	}
	close_arr(j);
	kv_u64(j, "unknown", c->n_unknown);
	close_obj(j);
}

static void
print_open(struct jw *j, const char *k, const struct bgp_open *o)
{
	open_obj(j, k);
	kv_u64(j, "version", o->version);
	kv_u64(j, "as", bgp_open_asn(o));
	kv_u64(j, "hold_time", o->hold_time);
	kv_ipv4(j, "bgp_id", o->bgp_id);
	print_caps(j, &o->caps);
	close_obj(j);
}

static void
print_peer_up(struct jw *j, const struct bmp_peer_up *pu)
{
	kv_addr(j, "local_address", &pu->local_addr);
	kv_u64(j, "local_port", pu->local_port);
	kv_u64(j, "remote_port", pu->remote_port);
	print_open(j, "sent_open", &pu->sent_open);
	print_open(j, "received_open", &pu->recv_open);
	print_info_tlvs(j, BMP_PEER_UP, pu->tlvs);
}

static void
print_peer_down(struct jw *j, const struct bmp_peer_down *pd)
{
	kv_u64(j, "reason", pd->reason);
	kv_str(j, "reason_name", bmp_peer_down_reason_name(pd->reason));
	if (pd->has_notification) {
		open_obj(j, "notification");
		kv_u64(j, "code", pd->notify_code);
		kv_u64(j, "subcode", pd->notify_subcode);
		kv_hex(j, "data", pd->notify_data);
		close_obj(j);
	}
	if (pd->reason == BMP_PD_LOCAL_NO_NOTIFY)
		kv_u64(j, "fsm_event", pd->fsm_event);
	if (pd->reason == BMP_PD_LOCRIB_CLOSED)
		print_info_tlvs(j, BMP_PEER_DOWN, pd->tlvs);
}

static void
print_stats(struct jw *j, const struct bmp_stats *st)
{
	struct bf_cur body = st->body;
	struct bmp_stat s;
	char name[32];

	kv_u64(j, "count", st->count);
	open_arr(j, "stats");
	while (bmp_stat_next(&body, &s) == 1) {
		open_obj(j, NULL);
		kv_u64(j, "type", s.type);
		kv_str(j, "name", bmp_stat_name(s.type));
		switch (s.kind) {
		case BMP_STAT_COUNTER32:
			kv_str(j, "kind", "counter");
			kv_u64(j, "value", s.value);
			break;
		case BMP_STAT_GAUGE64:
			kv_str(j, "kind", "gauge");
			kv_u64(j, "value", s.value);
			break;
		case BMP_STAT_AFI_GAUGE64:
			kv_str(j, "kind", "afi_safi_gauge");
			kv_str(j, "afi_safi", bgp_af_name(s.afi, s.safi, name,
			    sizeof(name)));
			kv_u64(j, "value", s.value);
			break;
		case BMP_STAT_OPAQUE:
			kv_str(j, "kind", "opaque");
			kv_hex(j, "raw", s.raw);
			break;
		}
		close_obj(j);
	}
	close_arr(j);
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
print_list(struct jw *j, const char *k, struct bf_cur v, size_t elem,
    void (*fmt_one)(struct jw *, struct bf_cur))
{
	struct bf_cur one;

	open_arr(j, k);
	while (cur_sub(&v, elem, &one) == 0)
		fmt_one(j, one);
	close_arr(j);
}

static void
fmt_community(struct jw *j, struct bf_cur v)
{
	uint16_t hi, lo;
	char buf[16];

	(void)cur_get_u16(&v, &hi);
	(void)cur_get_u16(&v, &lo);
	snprintf(buf, sizeof(buf), "%u:%u", hi, lo);
	kv_str(j, NULL, buf);
}

static void
fmt_large_community(struct jw *j, struct bf_cur v)
{
	uint32_t a, b, c;
	char buf[40];

	(void)cur_get_u32(&v, &a);
	(void)cur_get_u32(&v, &b);
	(void)cur_get_u32(&v, &c);
	snprintf(buf, sizeof(buf), "%u:%u:%u", a, b, c);
	kv_str(j, NULL, buf);
}

static void
fmt_hex(struct jw *j, struct bf_cur v)
{
	uint8_t b;

	sep(j);
	fputc('"', j->f);
	while (cur_get_u8(&v, &b) == 0)
		fprintf(j->f, "%02x", b);
	fputc('"', j->f);
	j->need_comma = true;
}

static void
fmt_ipv4(struct jw *j, struct bf_cur v)
{
	uint32_t a;

	(void)cur_get_u32(&v, &a);
	sep(j);
	kv_ipv4(j, NULL, a);
}

static void
print_attrs(struct jw *j, const struct bgp_attrs *a)
{
	static const char *const origins[] = { "igp", "egp", "incomplete" };
	char name[32];

	open_obj(j, "attributes");
	if (bgp_attr_has(a, BGP_ATTR_ORIGIN))
		kv_str(j, "origin", origins[a->origin % 3]);
	if (bgp_attr_has(a, BGP_ATTR_AS_PATH)) {
		open_arr(j, "as_path");
		for (uint32_t i = 0; i < a->aspath.n_asns; i++)
			kv_u64(j, NULL, a->aspath.asns[i]);
		close_arr(j);
		open_arr(j, "as_path_segments");
		for (uint32_t s = 0; s < a->aspath.n_segs; s++) {
			const struct bgp_aspath_seg *sg = &a->aspath.segs[s];

			open_obj(j, NULL);
			kv_str(j, "type", seg_name(sg->type));
			open_arr(j, "asns");
			for (uint16_t i = 0; i < sg->count; i++)
				kv_u64(j, NULL, a->aspath.asns[sg->start + i]);
			close_arr(j);
			close_obj(j);
		}
		close_arr(j);
		if (a->as4_merged)
			kv_bool(j, "as4_path_merged", true);
	}
	if (a->has_origin_as)
		kv_u64(j, "origin_as", a->origin_as);
	if (bgp_attr_has(a, BGP_ATTR_NEXT_HOP))
		kv_addr(j, "next_hop", &a->next_hop);
	if (bgp_attr_has(a, BGP_ATTR_MED))
		kv_u64(j, "med", a->med);
	if (bgp_attr_has(a, BGP_ATTR_LOCAL_PREF))
		kv_u64(j, "local_pref", a->local_pref);
	if (a->atomic_aggregate)
		kv_bool(j, "atomic_aggregate", true);
	if (bgp_attr_has(a, BGP_ATTR_AGGREGATOR) ||
	    bgp_attr_has(a, BGP_ATTR_AS4_AGGREGATOR)) {
		open_obj(j, "aggregator");
		kv_u64(j, "as", a->aggregator_as);
		kv_addr(j, "address", &a->aggregator_addr);
		close_obj(j);
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
		kv_u64(j, "otc", a->otc);
	if (bgp_attr_has(a, BGP_ATTR_AIGP))
		kv_u64(j, "aigp", a->aigp);
	if (bgp_attr_has(a, BGP_ATTR_MP_REACH_NLRI)) {
		kv_str(j, "mp_reach_afi_safi", bgp_af_name(a->mp_reach.afi,
		    a->mp_reach.safi, name, sizeof(name)));
		if (a->mp_reach.next_hop.family != BF_AF_NONE)
			kv_addr(j, "mp_next_hop", &a->mp_reach.next_hop);
		if (a->mp_reach.next_hop_ll.family != BF_AF_NONE)
			kv_addr(j, "mp_next_hop_link_local",
			    &a->mp_reach.next_hop_ll);
	}
	if (bgp_attr_has(a, BGP_ATTR_MP_UNREACH_NLRI))
		kv_str(j, "mp_unreach_afi_safi", bgp_af_name(a->mp_unreach.afi,
		    a->mp_unreach.safi, name, sizeof(name)));
	if (a->n_unknown > 0) {
		open_arr(j, "unknown");
		for (uint8_t i = 0; i < a->n_unknown; i++) {
			open_obj(j, NULL);
			kv_u64(j, "code", a->unknown[i].code);
			kv_u64(j, "flags", a->unknown[i].flags);
			kv_hex(j, "value", a->unknown[i].value);
			close_obj(j);
		}
		close_arr(j);
	}
	close_obj(j);
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
print_update(struct jw *j, const struct bgp_update *u)
{
	struct bgp_route_iter ri;
	struct bgp_route r;
	char buf[BF_PREFIX_STRLEN];

	open_obj(j, "bgp");
	kv_str(j, "outcome", outcome_name(u->outcome));
	if (u->eor) {
		kv_bool(j, "end_of_rib", true);
		kv_str(j, "eor_afi_safi", bgp_af_name(u->eor_afi, u->eor_safi,
		    buf, sizeof(buf)));
	}
	if (u->undecoded_reach || u->undecoded_unreach)
		kv_bool(j, "undecoded_family", true);
	kv_u64(j, "announced", u->n_announced);
	kv_u64(j, "withdrawn", u->n_withdrawn);
	print_attrs(j, &u->attrs);
	if (u->attrs.n_issues > 0) {
		open_arr(j, "issues");
		for (uint8_t i = 0; i < u->attrs.n_issues; i++) {
			open_obj(j, NULL);
			kv_str(j, "action", outcome_name(u->attrs.issues[i].action));
			kv_u64(j, "offset", u->attrs.issues[i].offset);
			kv_str(j, "reason", u->attrs.issues[i].msg);
			close_obj(j);
		}
		close_arr(j);
	}
	open_arr(j, "prefixes");
	bgp_route_iter_init(&ri, u);
	while (bgp_route_next(&ri, &r) == 1) {
		open_obj(j, NULL);
		kv_str(j, "action", r.action == BGP_ANNOUNCE ? "announce" :
		    "withdraw");
		kv_str(j, "afi_safi", r.af->name);
		kv_str(j, "prefix", bf_prefix_fmt(&r.nlri.prefix, buf,
		    sizeof(buf)));
		if (r.nlri.has_path_id)
			kv_u64(j, "path_id", r.nlri.path_id);
		if (r.nlri.has_rd)
			kv_rd(j, "rd", r.nlri.rd);
		if (r.nlri.n_labels > 0) {
			open_arr(j, "labels");
			for (uint8_t i = 0; i < r.nlri.n_labels; i++)
				kv_u64(j, NULL, r.nlri.labels[i]);
			close_arr(j);
		}
		close_obj(j);
	}
	close_arr(j);
	close_obj(j);
}

static void
print_mirror(struct jw *j, const struct bmp_mirror *mi)
{
	struct bf_cur tlvs = mi->tlvs;
	struct bmp_tlv t;
	uint16_t code;

	open_arr(j, "tlvs");
	while (bmp_tlv_next(&tlvs, &t) == 1) {
		open_obj(j, NULL);
		kv_u64(j, "type", t.type);
		if (t.type == BMP_MIRROR_INFO && cur_get_u16(&t.value, &code) == 0) {
			kv_str(j, "name", "information");
			kv_u64(j, "code", code);
			kv_str(j, "code_name", code == BMP_MIRROR_LOST ?
			    "messages_lost" : code == BMP_MIRROR_ERRORED_PDU ?
			    "errored_pdu" : "unknown");
		} else {
			kv_str(j, "name", t.type == BMP_MIRROR_BGP_MSG ?
			    "bgp_message" : "unknown");
			kv_hex(j, "value", t.value);
		}
		close_obj(j);
	}
	close_arr(j);
}

void
decode_print_json(FILE *out, const struct bmp_stream *s, size_t off)
{
	const struct bmp_msg *m = &s->msg;
	struct jw j = { out, false };

	open_obj(&j, NULL);
	kv_u64(&j, "offset", off);
	kv_str(&j, "type", bmp_type_name(m->type));
	if (m->type >= BMP_TYPE_MAX)
		kv_u64(&j, "type_code", m->type);
	kv_u64(&j, "length", m->length);
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
	close_obj(&j);
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
