/* SPDX-License-Identifier: Apache-2.0 */
/*
 * records_route.c: bmp.route records, one per prefix of an UPDATE.
 *
 * Field runs (records.h): the router and peer fields are written once per
 * UPDATE (head), the attributes once per run of prefixes of one family and
 * action (tail); a prefix writes only its own fields between the two.
 */
#include "records_fields.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "../parse/bgp_wire.h"
#include "text_buf.h"

/* RFC 4360 text: rt:/soo: for route targets and origins, else hex. */
static void
ext_community_fmt(const uint8_t c[8], char *out, size_t n)
{
	uint8_t type = c[0] & 0xbf, sub = c[1];	/* ignore the transitive bit */
	const char *kind = sub == 0x02 ? "rt" : sub == 0x03 ? "soo" : NULL;
	uint32_t hi4 = (uint32_t)c[2] << 24 | (uint32_t)c[3] << 16 |
	    (uint32_t)c[4] << 8 | c[5];
	uint32_t lo4 = (uint32_t)c[4] << 24 | (uint32_t)c[5] << 16 |
	    (uint32_t)c[6] << 8 | c[7];
	unsigned lo2 = (unsigned)c[6] << 8 | c[7];

	if (kind != NULL && type == 0x00)
		snprintf(out, n, "%s:%u:%" PRIu32, kind,
		    (unsigned)c[2] << 8 | c[3], lo4);
	else if (kind != NULL && type == 0x01)
		snprintf(out, n, "%s:%u.%u.%u.%u:%u", kind, c[2], c[3], c[4],
		    c[5], lo2);
	else if (kind != NULL && type == 0x02)
		snprintf(out, n, "%s:%" PRIu32 ":%u", kind, hi4, lo2);
	else
		snprintf(out, n, "0x%02x%02x:%02x%02x%02x%02x%02x%02x", c[0],
		    c[1], c[2], c[3], c[4], c[5], c[6], c[7]);
}

/* Text of one element of a list attribute, elem bytes long. */
static void
list_elem_fmt(const uint8_t *b, size_t elem, bool communities, char *text,
    size_t n)
{
	uint32_t x = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	    (uint32_t)b[2] << 8 | b[3];
	struct bf_text_buf t;

	switch (elem) {
	case 4:
		if (!communities) {
			bf_rec_ipv4_fmt(x, text, n);
			break;
		}
		bf_tb_init(&t, text, n);
		bf_tb_u32(&t, x >> 16);
		bf_tb_chr(&t, ':');
		bf_tb_u32(&t, x & 0xffff);
		break;
	case 8:
		ext_community_fmt(b, text, n);
		break;
	case 12:
		bf_tb_init(&t, text, n);
		for (int i = 0; i < 12; i += 4) {
			if (i > 0)
				bf_tb_chr(&t, ':');
			bf_tb_u32(&t, (uint32_t)b[i] << 24 |
			    (uint32_t)b[i + 1] << 16 | (uint32_t)b[i + 2] << 8 |
			    b[i + 3]);
		}
		break;
	default: {	/* 20: RFC 5701 */
		struct bf_addr a = { .family = BF_AF_INET6 };
		char as[BF_ADDR_STRLEN];

		memcpy(a.a, b + 2, 16);
		snprintf(text, n, "0x%02x%02x:%s:%u", b[0], b[1],
		    bf_addr_fmt(&a, as, sizeof(as)),
		    (unsigned)b[18] << 8 | b[19]);
		break;
	}
	}
}

/* A string array of the whole elem-byte elements of v. */
static void
put_list(struct bf_avro_buf *b, struct bf_cur v, size_t elem,
    bool communities)
{
	size_t n = cur_len(&v) / elem;
	uint8_t e[20];
	char text[96];

	if (n > 0)
		bf_avro_long(b, (int64_t)n);
	while (cur_get_bytes(&v, e, elem) == 0) {
		list_elem_fmt(e, elem, communities, text, sizeof(text));
		bf_avro_str(b, text);
	}
	bf_avro_long(b, 0);
}

/* as_path, as_path_segments, as_path_len. */
static void
put_aspath(struct bf_avro_buf *b, const struct bgp_aspath *p)
{
	int32_t len = 0;

	if (p->n_asns > 0)
		bf_avro_long(b, p->n_asns);
	for (uint32_t i = 0; i < p->n_asns; i++)
		bf_avro_long(b, p->asns[i]);
	bf_avro_long(b, 0);
	if (p->n_segs > 0)
		bf_avro_long(b, p->n_segs);
	for (uint32_t s = 0; s < p->n_segs; s++) {
		const struct bgp_aspath_seg *sg = &p->segs[s];

		if (sg->type == BGP_ASPATH_SEQUENCE)
			len += sg->count;
		else if (sg->type == BGP_ASPATH_SET)
			len += 1;
		/* AsPathSegment: type (the four of RFC 4271/5065, other), asns */
		bf_avro_long(b, sg->type >= 1 && sg->type <= 4 ?
		    sg->type - 1 : 4);
		if (sg->count > 0)
			bf_avro_long(b, sg->count);
		for (uint32_t i = 0; i < sg->count; i++)
			bf_avro_long(b, p->asns[sg->start + i]);
		bf_avro_long(b, 0);
	}
	bf_avro_long(b, 0);
	bf_avro_long(b, len);
}

/* Next hop: MP_REACH's for its family, else NEXT_HOP; none for withdraws. */
static void
put_next_hop(struct bf_avro_buf *b, const struct bgp_attrs *a,
    const struct bgp_af *af, bool announce)
{
	char nh[BF_ADDR_STRLEN];

	if (!announce) {
		bf_avro_null(b);
		bf_avro_null(b);
	} else if (bgp_attr_has(a, BGP_ATTR_MP_REACH_NLRI) &&
	    a->mp_reach.af == af) {
		bf_rec_opt_str(b, bf_addr_fmt(&a->mp_reach.next_hop, nh,
		    sizeof(nh)));
		bf_rec_opt_str(b, bf_addr_fmt(&a->mp_reach.next_hop_ll, nh,
		    sizeof(nh)));
	} else {
		bf_rec_opt_str(b, bgp_attr_has(a, BGP_ATTR_NEXT_HOP) ?
		    bf_addr_fmt(&a->next_hop, nh, sizeof(nh)) : NULL);
		bf_avro_null(b);
	}
}

/*
 * origin .. error_handling of the UPDATE's prefixes of family af: its
 * attributes when they are announced, none for withdrawals.
 */
static void
put_attrs(struct bf_avro_buf *b, const struct bgp_update *u,
    const struct bgp_af *af, bool announce)
{
	static const struct bgp_attrs none;
	const struct bgp_attrs *a = announce ? &u->attrs : &none;
	char buf[BF_ADDR_STRLEN];
	bool has;

	has = bgp_attr_has(a, BGP_ATTR_ORIGIN) && a->origin <= 2;
	bf_rec_opt_long(b, has, a->origin);
	put_aspath(b, &a->aspath);
	bf_rec_opt_long(b, a->has_origin_as, a->origin_as);
	put_next_hop(b, &u->attrs, af, announce);
	bf_rec_opt_long(b, bgp_attr_has(a, BGP_ATTR_MED), a->med);
	bf_rec_opt_long(b, bgp_attr_has(a, BGP_ATTR_LOCAL_PREF),
	    a->local_pref);
	bf_avro_bool(b, a->atomic_aggregate);
	has = bgp_attr_has(a, BGP_ATTR_AGGREGATOR);
	bf_rec_opt_long(b, has, a->aggregator_as);
	bf_rec_opt_str(b, has ? bf_addr_fmt(&a->aggregator_addr, buf,
	    sizeof(buf)) : NULL);
	put_list(b, a->communities, 4, true);
	put_list(b, a->large_communities, 12, false);
	put_list(b, a->ext_communities, 8, false);
	put_list(b, a->ipv6_ext_communities, 20, false);
	has = bgp_attr_has(a, BGP_ATTR_ORIGINATOR_ID);
	if (has)
		bf_rec_ipv4_fmt(a->originator_id, buf, sizeof(buf));
	bf_rec_opt_str(b, has ? buf : NULL);
	put_list(b, a->cluster_list, 4, false);
	bf_rec_opt_long(b, bgp_attr_has(a, BGP_ATTR_OTC), a->otc);
	bf_rec_opt_long(b, bgp_attr_has(a, BGP_ATTR_AIGP), (int64_t)a->aigp);
	if (a->n_unknown > 0)
		bf_avro_long(b, a->n_unknown);
	for (uint8_t i = 0; i < a->n_unknown; i++) {
		const struct bgp_unknown_attr *un = &a->unknown[i];
		struct bf_cur v = un->value;
		const uint8_t *p = NULL;
		size_t n = cur_len(&v);

		/* UnknownAttribute: code, flags, value */
		bf_avro_long(b, un->code);
		bf_avro_long(b, un->flags);
		cur_get_ptr(&v, n, &p);
		bf_avro_bytes(b, p, n);
	}
	bf_avro_long(b, 0);
	/* ErrorHandling: none, attribute_discard, treat_as_withdraw */
	bf_avro_long(b, u->outcome == BGP_ATTR_DISCARD ? 1 :
	    u->outcome == BGP_TREAT_AS_WITHDRAW ? 2 : 0);
}

void
bf_enc_update_begin(struct bf_encoder *e, const struct bf_router *rt,
    const struct bmp_stream *s, int64_t now_us)
{
	bf_avro_reset(&e->head);
	bf_rec_router(&e->head, rt, now_us);
	bf_rec_peer(&e->head, &s->msg.peer, s->peer != NULL ?
	    s->peer->epoch : 0);
	e->update = s->update;
	e->tail_action = -1;
	e->tail_af = NULL;
}

size_t
bf_route_key(const struct bf_prefix *p, const uint8_t *rd, char *out,
    size_t n)
{
	char pfx[BF_PREFIX_STRLEN], rds[BF_RD_STRLEN];
	struct bf_text_buf k;

	bf_tb_init(&k, out, n);
	if (rd != NULL) {
		bf_tb_str(&k, bf_rd_fmt(rd, rds, sizeof(rds)));
		bf_tb_chr(&k, '|');
	}
	bf_tb_str(&k, bf_prefix_fmt(p, pfx, sizeof(pfx)));
	return k.len;
}

const struct bf_record *
bf_enc_route(struct bf_encoder *e, const struct bgp_route *rt)
{
	const struct bgp_nlri *n = &rt->nlri;
	char rd[BF_RD_STRLEN];
	const char *pfx;
	bool announce = rt->action == BGP_ANNOUNCE;
	struct bf_avro_buf *b;

	if (e->tail_action != (int)rt->action || e->tail_af != rt->af) {
		bf_avro_reset(&e->tail);
		put_attrs(&e->tail, e->update, rt->af, announce);
		e->tail_action = (int)rt->action;
		e->tail_af = rt->af;
	}
	if (bf_avro_failed(&e->head) || bf_avro_failed(&e->tail))
		return NULL;
	/* The key ends with the prefix's text: formatted once, for both. */
	e->out.key_len = bf_route_key(&n->prefix, n->has_rd ? n->rd : NULL,
	    e->out.key, sizeof(e->out.key));
	pfx = n->has_rd ? strchr(e->out.key, '|') + 1 : e->out.key;
	b = bf_rec_begin(e);
	bf_avro_raw(b, e->head.p, e->head.len);
	bf_avro_long(b, announce ? 0 : 1);	/* Action */
	bf_avro_str(b, rt->af->name);
	bf_avro_long(b, rt->af->afi);
	bf_avro_long(b, rt->af->safi);
	bf_avro_str(b, pfx);
	bf_avro_long(b, n->prefix.len);
	bf_rec_opt_str(b, n->has_rd ? bf_rd_fmt(n->rd, rd, sizeof(rd)) : NULL);
	bf_rec_opt_long(b, n->has_path_id, n->path_id);
	if (n->n_labels > 0)
		bf_avro_long(b, n->n_labels);
	for (uint8_t i = 0; i < n->n_labels; i++)
		bf_avro_long(b, (int32_t)n->labels[i]);
	bf_avro_long(b, 0);
	bf_avro_raw(b, e->tail.p, e->tail.len);
	if (bf_rec_end(e, BF_TOPIC_ROUTE) == NULL)
		return NULL;
	e->out.route = rt;
	return &e->out;
}

void
bf_enc_message(struct bf_encoder *e, const struct bf_router *r,
    const struct bmp_stream *s, int64_t now_us, bf_record_sink sink,
    void *arg)
{
	const struct bmp_msg *m = &s->msg;
	struct bgp_route_iter it;
	struct bgp_route rt;

	switch (m->type) {
	case BMP_ROUTE_MONITORING:
		if (!s->has_update)
			break;
		if (s->opened)
			sink(bf_enc_peer_opened(e, r, s, now_us), arg);
		bf_enc_update_begin(e, r, s, now_us);
		bgp_route_iter_init(&it, s->update);
		while (bgp_route_next(&it, &rt) == 1)
			sink(bf_enc_route(e, &rt), arg);
		if (s->update->eor)
			sink(bf_enc_end_of_rib(e, r, s, now_us), arg);
		break;
	case BMP_PEER_UP:
	case BMP_PEER_DOWN:
		sink(bf_enc_peer(e, r, s, now_us), arg);
		break;
	case BMP_STATISTICS_REPORT:
		sink(bf_enc_stats(e, r, s, now_us), arg);
		break;
	case BMP_INITIATION:
		sink(bf_enc_router(e, r, BF_ROUTER_INITIATION, m, NULL,
		    now_us), arg);
		break;
	case BMP_TERMINATION:
		sink(bf_enc_router(e, r, BF_ROUTER_TERMINATION, m, NULL,
		    now_us), arg);
		break;
	default:
		break;
	}
}
