/*
 * records.c: Avro records of the bmp.* topics through avro-c generic values.
 */
#include "records.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"
#include "../parse/bgp_wire.h"
#include "../parse/bmp_wire.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define ENC_BUF_INIT	(64 * 1024)

static const char *const topic_names[BF_TOPIC_COUNT] = {
	"router", "peer", "route", "stats", "raw",
};

static const char *const field_names[F_COUNT] = {
	"router_address", "router_name", "collector_time_us",
	"peer_address", "peer_as", "peer_bgp_id", "peer_rd", "peer_type",
	"rib", "post_policy", "loc_rib_filtered", "peer_epoch", "bmp_time_us",
	"action", "family", "afi", "safi", "prefix", "prefix_len", "rd",
	"path_id", "labels", "origin", "as_path", "as_path_segments",
	"as_path_len", "origin_as", "next_hop", "next_hop_link_local", "med",
	"local_pref", "atomic_aggregate", "aggregator_as",
	"aggregator_address", "communities", "large_communities",
	"ext_communities", "ipv6_ext_communities", "originator_id",
	"cluster_list", "otc", "aigp", "unknown_attributes", "error_handling",
	"event", "sys_descr", "info", "reason", "messages", "decode_errors",
	"local_address", "local_port", "remote_port", "sent_open",
	"received_open", "down_reason_code", "down_reason",
	"notification_code", "notification_subcode", "fsm_event",
	"stats", "bmp_type", "message",
};

const char *
bf_topic_name(enum bf_topic t)
{
	return t < BF_TOPIC_COUNT ? topic_names[t] : "unknown";
}

/*
 * Field setters.  Schema mismatches were ruled out at init (every field
 * the encoder sets exists), so avro-c errors here mean out of memory and
 * are caught by the final write.
 */
static avro_value_t
fld(struct bf_enc_rec *r, enum bf_field f)
{
	avro_value_t v = { 0 };

	avro_value_get_by_index(&r->v, (size_t)r->idx[f], &v, NULL);
	return v;
}

static void
set_str_v(avro_value_t *v, const char *s)
{
	avro_value_set_string_len(v, s, strlen(s) + 1);
}

static void
set_str(struct bf_enc_rec *r, enum bf_field f, const char *s)
{
	avro_value_t v = fld(r, f);

	set_str_v(&v, s);
}

static void
set_long(struct bf_enc_rec *r, enum bf_field f, int64_t x)
{
	avro_value_t v = fld(r, f);

	avro_value_set_long(&v, x);
}

static void
set_int(struct bf_enc_rec *r, enum bf_field f, int32_t x)
{
	avro_value_t v = fld(r, f);

	avro_value_set_int(&v, x);
}

static void
set_bool(struct bf_enc_rec *r, enum bf_field f, bool x)
{
	avro_value_t v = fld(r, f);

	avro_value_set_boolean(&v, x);
}

static void
set_enum(struct bf_enc_rec *r, enum bf_field f, int sym)
{
	avro_value_t v = fld(r, f);

	avro_value_set_enum(&v, sym);
}

/* ["null", T]: branch 0 is null. */
static void
set_null(struct bf_enc_rec *r, enum bf_field f)
{
	avro_value_t v = fld(r, f), b = { NULL, NULL };

	avro_value_set_branch(&v, 0, &b);
	avro_value_set_null(&b);
}

static avro_value_t
set_some(struct bf_enc_rec *r, enum bf_field f)
{
	avro_value_t v = fld(r, f), b = { NULL, NULL };

	avro_value_set_branch(&v, 1, &b);
	return b;
}

/*
 * Optional values: u is a ["null", T] union, given directly or as field f.
 * Nested records (OPEN summaries, stats) and top-level fields share them.
 */
static void
opt_str_v(avro_value_t *u, const char *s)
{
	avro_value_t b;
	bool has = s != NULL && s[0] != '\0';

	avro_value_set_branch(u, has, &b);
	if (has)
		set_str_v(&b, s);
	else
		avro_value_set_null(&b);
}

static void
opt_long_v(avro_value_t *u, bool has, int64_t x)
{
	avro_value_t b;

	avro_value_set_branch(u, has, &b);
	if (has)
		avro_value_set_long(&b, x);
	else
		avro_value_set_null(&b);
}

static void
opt_int_v(avro_value_t *u, bool has, int32_t x)
{
	avro_value_t b;

	avro_value_set_branch(u, has, &b);
	if (has)
		avro_value_set_int(&b, x);
	else
		avro_value_set_null(&b);
}

static void
set_opt_str(struct bf_enc_rec *r, enum bf_field f, const char *s)
{
	avro_value_t v = fld(r, f);

	opt_str_v(&v, s);
}

static void
set_opt_long(struct bf_enc_rec *r, enum bf_field f, bool has, int64_t x)
{
	avro_value_t v = fld(r, f);

	opt_long_v(&v, has, x);
}

static void
set_opt_int(struct bf_enc_rec *r, enum bf_field f, bool has, int32_t x)
{
	avro_value_t v = fld(r, f);

	opt_int_v(&v, has, x);
}

/* Empty the array field f and return it for appending. */
static avro_value_t
array_reset(struct bf_enc_rec *r, enum bf_field f)
{
	avro_value_t v = fld(r, f);

	avro_value_reset(&v);
	return v;
}

static void
append_str(avro_value_t *arr, const char *s)
{
	avro_value_t e;

	if (avro_value_append(arr, &e, NULL) == 0)
		set_str_v(&e, s);
}

static void
append_long(avro_value_t *arr, int64_t x)
{
	avro_value_t e;

	if (avro_value_append(arr, &e, NULL) == 0)
		avro_value_set_long(&e, x);
}

static void
ipv4_fmt(uint32_t v, char *buf, size_t n)
{
	struct bf_addr a;

	bf_addr_v4(&a, v);
	bf_addr_fmt(&a, buf, n);
}

static int
rec_init(struct bf_enc_rec *r, const char *dir, const char *name,
    char *errbuf, size_t errlen)
{
	if (bf_schema_load(&r->sch, dir, name, errbuf, errlen) < 0)
		return -1;
	if (avro_generic_value_new(r->sch.iface, &r->v) != 0) {
		snprintf(errbuf, errlen, "%s schema: %s", name,
		    avro_strerror());
		bf_schema_free(&r->sch);
		return -1;
	}
	for (int f = 0; f < F_COUNT; f++) {
		avro_value_t child;
		size_t i;

		r->idx[f] = avro_value_get_by_name(&r->v, field_names[f],
		    &child, &i) == 0 ? (int)i : -1;
	}
	return 0;
}

/* Fields each topic's encoder sets: the schema must have all of them. */
static const enum bf_field common_fields[] = {
	F_ROUTER_ADDRESS, F_ROUTER_NAME, F_COLLECTOR_TIME_US,
};
static const enum bf_field peer_fields[] = {
	F_PEER_ADDRESS, F_PEER_AS, F_PEER_BGP_ID, F_PEER_RD, F_PEER_TYPE,
	F_RIB, F_POST_POLICY, F_LOC_RIB_FILTERED, F_PEER_EPOCH, F_BMP_TIME_US,
};

static int
rec_require(const struct bf_enc_rec *r, const enum bf_field *fs, size_t n,
    char *errbuf, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		if (r->idx[fs[i]] < 0) {
			snprintf(errbuf, errlen, "schema %s.avsc has no field %s",
			    r->sch.name, field_names[fs[i]]);
			return -1;
		}
	}
	return 0;
}

/* The per-prefix fields, which must be one run in the route schema. */
static const enum bf_field prefix_fields[] = {
	F_ACTION, F_FAMILY, F_AFI, F_SAFI, F_PREFIX, F_PREFIX_LEN, F_RD,
	F_PATH_ID, F_LABELS,
};

static void
route_field_runs(struct bf_encoder *e)
{
	struct bf_enc_rec *r = &e->rec[BF_TOPIC_ROUTE];
	int lo = r->idx[prefix_fields[0]], hi = lo;
	size_t n = 0;

	avro_value_get_size(&r->v, &n);
	for (size_t i = 1; i < NELEM(prefix_fields); i++) {
		int x = r->idx[prefix_fields[i]];

		lo = x < lo ? x : lo;
		hi = x > hi ? x : hi;
	}
	/* Contiguous and nothing else in between: segments can be reused. */
	if (lo > 0 && (size_t)(hi - lo + 1) == NELEM(prefix_fields)) {
		e->prefix_first = (size_t)lo;
		e->prefix_end = (size_t)hi + 1;
		e->n_route_fields = n;
	}
}

int
bf_encoder_init(struct bf_encoder *e, const char *schema_dir, char *errbuf,
    size_t errlen)
{
	static const enum bf_field route_fields[] = {
		F_ACTION, F_FAMILY, F_AFI, F_SAFI, F_PREFIX, F_PREFIX_LEN, F_RD,
		F_PATH_ID, F_LABELS, F_ORIGIN, F_AS_PATH, F_AS_PATH_SEGMENTS,
		F_AS_PATH_LEN, F_ORIGIN_AS, F_NEXT_HOP, F_NEXT_HOP_LINK_LOCAL,
		F_MED, F_LOCAL_PREF, F_ATOMIC_AGGREGATE, F_AGGREGATOR_AS,
		F_AGGREGATOR_ADDRESS, F_COMMUNITIES, F_LARGE_COMMUNITIES,
		F_EXT_COMMUNITIES, F_IPV6_EXT_COMMUNITIES, F_ORIGINATOR_ID,
		F_CLUSTER_LIST, F_OTC, F_AIGP, F_UNKNOWN_ATTRIBUTES,
		F_ERROR_HANDLING,
	};
	static const enum bf_field router_fields[] = {
		F_EVENT, F_SYS_DESCR, F_INFO, F_REASON, F_MESSAGES,
		F_DECODE_ERRORS,
	};
	static const enum bf_field peer_ev_fields[] = {
		F_EVENT, F_LOCAL_ADDRESS, F_LOCAL_PORT, F_REMOTE_PORT,
		F_SENT_OPEN, F_RECEIVED_OPEN, F_INFO, F_DOWN_REASON_CODE,
		F_DOWN_REASON, F_NOTIFICATION_CODE, F_NOTIFICATION_SUBCODE,
		F_FSM_EVENT, F_FAMILY,
	};
	static const enum bf_field stats_fields[] = { F_STATS };
	static const enum bf_field raw_fields[] = { F_BMP_TYPE, F_MESSAGE };
	static const struct {
		const enum bf_field	*f;
		size_t			 n;
		bool			 per_peer;
	} need[BF_TOPIC_COUNT] = {
		[BF_TOPIC_ROUTER] = { router_fields, NELEM(router_fields), false },
		[BF_TOPIC_PEER] = { peer_ev_fields, NELEM(peer_ev_fields), true },
		[BF_TOPIC_ROUTE] = { route_fields, NELEM(route_fields), true },
		[BF_TOPIC_STATS] = { stats_fields, NELEM(stats_fields), true },
		[BF_TOPIC_RAW] = { raw_fields, NELEM(raw_fields), false },
	};

	memset(e, 0, sizeof(*e));
	for (int t = 0; t < BF_TOPIC_COUNT; t++) {
		struct bf_enc_rec *r = &e->rec[t];

		if (rec_init(r, schema_dir, topic_names[t], errbuf, errlen) < 0 ||
		    rec_require(r, common_fields, NELEM(common_fields), errbuf,
		    errlen) < 0 ||
		    (need[t].per_peer && rec_require(r, peer_fields,
		    NELEM(peer_fields), errbuf, errlen) < 0) ||
		    rec_require(r, need[t].f, need[t].n, errbuf, errlen) < 0) {
			bf_encoder_free(e);
			return -1;
		}
	}
	route_field_runs(e);
	e->cap = ENC_BUF_INIT;
	e->buf = malloc(e->cap);
	e->w = avro_writer_memory((char *)e->buf, (int64_t)e->cap);
	if (e->buf == NULL || e->w == NULL) {
		snprintf(errbuf, errlen, "out of memory");
		bf_encoder_free(e);
		return -1;
	}
	e->attrs_action = -1;
	return 0;
}

/* Encode fields [from, to) of r's value into seg.  0, or -1 (memory). */
static int
seg_write(struct bf_encoder *e, struct bf_enc_rec *r, size_t from, size_t to,
    struct bf_enc_seg *seg)
{
	for (;;) {
		size_t i;

		avro_writer_memory_set_dest(e->w, (char *)seg->b,
		    (int64_t)seg->cap);
		for (i = from; i < to; i++) {
			avro_value_t f;

			avro_value_get_by_index(&r->v, i, &f, NULL);
			if (seg->cap == 0 || avro_value_write(e->w, &f) != 0)
				break;
		}
		if (i == to && seg->cap > 0) {
			seg->n = (size_t)avro_writer_tell(e->w);
			return 0;
		}
		size_t cap = seg->cap ? seg->cap * 2 : 4096;
		uint8_t *nb = cap <= (64u << 20) ? realloc(seg->b, cap) : NULL;

		if (nb == NULL)
			return -1;
		seg->b = nb;
		seg->cap = cap;
	}
}

void
bf_encoder_free(struct bf_encoder *e)
{
	free(e->head.b);
	free(e->mid.b);
	free(e->tail.b);
	for (int t = 0; t < BF_TOPIC_COUNT; t++) {
		if (e->rec[t].sch.iface != NULL) {
			avro_value_decref(&e->rec[t].v);
			bf_schema_free(&e->rec[t].sch);
		}
	}
	if (e->w != NULL)
		avro_writer_free(e->w);
	free(e->buf);
	memset(e, 0, sizeof(*e));
}

/* Serialize r's value after the single-object header; NULL on failure. */
static const struct bf_record *
rec_write(struct bf_encoder *e, enum bf_topic t)
{
	struct bf_enc_rec *r = &e->rec[t];

	for (;;) {
		avro_writer_memory_set_dest(e->w,
		    (char *)e->buf + BF_SINGLE_OBJECT_HDR,
		    (int64_t)(e->cap - BF_SINGLE_OBJECT_HDR));
		if (avro_value_write(e->w, &r->v) == 0)
			break;
		/* Too small (or worse): size it exactly once, then retry. */
		size_t need = 0;

		if (avro_value_sizeof(&r->v, &need) != 0 ||
		    need + BF_SINGLE_OBJECT_HDR <= e->cap)
			return NULL;
		uint8_t *nb = realloc(e->buf, need + BF_SINGLE_OBJECT_HDR);

		if (nb == NULL)
			return NULL;
		e->buf = nb;
		e->cap = need + BF_SINGLE_OBJECT_HDR;
	}
	bf_schema_header(&r->sch, e->buf);
	e->out.topic = t;
	e->out.schema = r->sch.name;
	e->out.value = e->buf;
	e->out.value_len = BF_SINGLE_OBJECT_HDR +
	    (size_t)avro_writer_tell(e->w);
	return &e->out;
}

static void
set_key(struct bf_encoder *e, const char *a, const char *b, const char *c)
{
	int n = snprintf(e->out.key, sizeof(e->out.key), "%s%s%s%s%s", a,
	    b ? "|" : "", b ? b : "", c ? "|" : "", c ? c : "");

	e->out.key_len = n < 0 ? 0 : (size_t)n < sizeof(e->out.key) ?
	    (size_t)n : sizeof(e->out.key) - 1;
}

static void
set_router(struct bf_enc_rec *r, const struct bf_router *rt, int64_t now_us)
{
	set_str(r, F_ROUTER_ADDRESS, rt->addr);
	set_opt_str(r, F_ROUTER_NAME, rt->name);
	set_long(r, F_COLLECTOR_TIME_US, now_us);
}

static int
peer_type_sym(uint8_t type)
{
	return type <= BMP_PEER_LOC_RIB ? type : 4;
}

static void
set_peer(struct bf_enc_rec *r, const struct bmp_peer_hdr *h, uint64_t epoch)
{
	char buf[BF_RD_STRLEN > BF_ADDR_STRLEN ? BF_RD_STRLEN : BF_ADDR_STRLEN];
	enum bmp_rib rib = bmp_peer_rib(h);

	set_str(r, F_PEER_ADDRESS, bf_addr_fmt(&h->addr, buf, sizeof(buf)));
	set_long(r, F_PEER_AS, h->as);
	ipv4_fmt(h->bgp_id, buf, sizeof(buf));
	set_str(r, F_PEER_BGP_ID, buf);
	set_opt_str(r, F_PEER_RD, bf_rd_is_zero(h->rd) ? NULL :
	    bf_rd_fmt(h->rd, buf, sizeof(buf)));
	set_enum(r, F_PEER_TYPE, peer_type_sym(h->type));
	set_enum(r, F_RIB, (int)rib);
	set_bool(r, F_POST_POLICY, bmp_peer_post_policy(h));
	set_bool(r, F_LOC_RIB_FILTERED, rib == BMP_RIB_LOC &&
	    (h->flags & BMP_PEER_F_LOCRIB_F) != 0);
	set_long(r, F_PEER_EPOCH, (int64_t)epoch);
	set_long(r, F_BMP_TIME_US, (int64_t)h->ts_sec * 1000000 + h->ts_usec);
}

/* Key of a per-peer record: router|peer address[|RD]. */
static void
set_peer_key(struct bf_encoder *e, const struct bf_router *rt,
    const struct bmp_peer_hdr *h, bool with_rd)
{
	char a[BF_ADDR_STRLEN], rd[BF_RD_STRLEN];

	bf_addr_fmt(&h->addr, a, sizeof(a));
	set_key(e, rt->addr, a, with_rd && !bf_rd_is_zero(h->rd) ?
	    bf_rd_fmt(h->rd, rd, sizeof(rd)) : NULL);
}

/*
 * Information TLV values as Avro text: valid UTF-8 (RFC 7854 §4.4 says
 * UTF-8, routers do not always comply), hex when there are control bytes.
 * Returns the number of U+FFFD put in for ill-formed bytes.
 */
static size_t
tlv_text(struct bf_cur v, char *out, size_t n)
{
	size_t o = 0;
	bool text = true;
	uint8_t b;
	struct bf_cur c = v;

	while (cur_get_u8(&c, &b) == 0)
		if (b < 0x20 && b != '\t' && b != '\n' && b != '\r')
			text = false;
	if (text)
		return bf_utf8_copy(v, out, n);
	c = v;
	while (o + 3 <= n && cur_get_u8(&c, &b) == 0)
		o += (size_t)snprintf(out + o, n - o, "%02x", b);
	out[o] = '\0';
	return 0;
}

/* The info array of message msg_type; counts TLVs that were not UTF-8. */
static void
set_info(struct bf_encoder *enc, struct bf_enc_rec *r, uint8_t msg_type,
    struct bf_cur tlvs)
{
	avro_value_t arr = array_reset(r, F_INFO), e, f;
	struct bmp_tlv t;
	char text[1024];

	while (bmp_tlv_next(&tlvs, &t) == 1) {
		const char *name = bmp_info_tlv_name(msg_type, t.type);
		uint16_t reason;

		if (avro_value_append(&arr, &e, NULL) != 0)
			return;
		avro_value_get_by_name(&e, "type", &f, NULL);
		avro_value_set_int(&f, t.type);
		avro_value_get_by_name(&e, "name", &f, NULL);
		set_str_v(&f, name);
		if (msg_type == BMP_TERMINATION && t.type == BMP_TERM_REASON &&
		    cur_get_u16(&t.value, &reason) == 0) {
			snprintf(text, sizeof(text), "%u", reason);
		} else if (tlv_text(t.value, text, sizeof(text)) > 0) {
			enc->invalid_utf8++;
			enc->invalid_utf8_tlv = name;
		}
		avro_value_get_by_name(&e, "value", &f, NULL);
		set_str_v(&f, text);
	}
}

/* Text value of the first TLV of a type in tlvs, "" if none. */
void
bf_info_tlv_text(struct bf_cur tlvs, uint16_t type, char *out, size_t n)
{
	struct bmp_tlv t;

	out[0] = '\0';
	while (bmp_tlv_next(&tlvs, &t) == 1)
		if (t.type == type) {
			tlv_text(t.value, out, n);
			return;
		}
}

static const char *
term_reason_name(uint16_t r)
{
	static const char *const names[] = {
		"administratively closed", "unspecified reason",
		"out of resources", "redundant connection",
		"permanently administratively closed",
	};

	return r < NELEM(names) ? names[r] : "unknown reason";
}

const struct bf_record *
bf_enc_router(struct bf_encoder *e, const struct bf_router *rt,
    enum bf_router_event ev, const struct bmp_msg *m, const char *reason,
    int64_t now_us)
{
	struct bf_enc_rec *r = &e->rec[BF_TOPIC_ROUTER];
	char descr[1024], rs[64];

	set_router(r, rt, now_us);
	set_enum(r, F_EVENT, (int)ev);
	descr[0] = '\0';
	if (m != NULL && (ev == BF_ROUTER_INITIATION ||
	    ev == BF_ROUTER_TERMINATION)) {
		set_info(e, r, m->type, m->u.info_tlvs);
		if (ev == BF_ROUTER_INITIATION)
			bf_info_tlv_text(m->u.info_tlvs, BMP_INFO_SYSDESCR, descr,
			    sizeof(descr));
		if (ev == BF_ROUTER_TERMINATION && reason == NULL) {
			struct bf_cur tl = m->u.info_tlvs;
			struct bmp_tlv t;
			uint16_t code;

			while (bmp_tlv_next(&tl, &t) == 1)
				if (t.type == BMP_TERM_REASON &&
				    cur_get_u16(&t.value, &code) == 0) {
					snprintf(rs, sizeof(rs), "%s",
					    term_reason_name(code));
					reason = rs;
				}
		}
	} else {
		array_reset(r, F_INFO);
	}
	set_opt_str(r, F_SYS_DESCR, descr);
	set_opt_str(r, F_REASON, reason);
	set_long(r, F_MESSAGES, (int64_t)rt->msgs);
	set_long(r, F_DECODE_ERRORS, (int64_t)rt->errors);
	set_key(e, rt->addr, NULL, NULL);
	return rec_write(e, BF_TOPIC_ROUTER);
}

static const char *
role_name(uint8_t role)
{
	static const char *const names[] = {
		"provider", "rs", "rs_client", "customer", "peer",
	};

	return role < NELEM(names) ? names[role] : "unknown";
}

static void
set_open(struct bf_enc_rec *r, enum bf_field f, const struct bgp_open *o)
{
	avro_value_t rec = set_some(r, f), v, arr;
	const struct bgp_caps *c = &o->caps;
	char buf[64], name[32];

	avro_value_get_by_name(&rec, "as", &v, NULL);
	avro_value_set_long(&v, bgp_open_asn(o));
	avro_value_get_by_name(&rec, "hold_time", &v, NULL);
	avro_value_set_int(&v, o->hold_time);
	ipv4_fmt(o->bgp_id, buf, sizeof(buf));
	avro_value_get_by_name(&rec, "bgp_id", &v, NULL);
	set_str_v(&v, buf);
	avro_value_get_by_name(&rec, "families", &arr, NULL);
	avro_value_reset(&arr);
	for (uint8_t i = 0; i < c->n_af; i++)
		if (c->af[i].mp)
			append_str(&arr, bgp_af_name(c->af[i].afi,
			    c->af[i].safi, name, sizeof(name)));
	avro_value_get_by_name(&rec, "add_path", &arr, NULL);
	avro_value_reset(&arr);
	for (uint8_t i = 0; i < c->n_af; i++) {
		uint8_t ap = c->af[i].addpath;

		if (ap == 0)
			continue;
		snprintf(buf, sizeof(buf), "%s:%s", bgp_af_name(c->af[i].afi,
		    c->af[i].safi, name, sizeof(name)), ap == 3 ? "both" :
		    ap == 2 ? "send" : "receive");
		append_str(&arr, buf);
	}
	avro_value_get_by_name(&rec, "four_octet_as", &v, NULL);
	avro_value_set_boolean(&v, c->as4);
	avro_value_get_by_name(&rec, "route_refresh", &v, NULL);
	avro_value_set_boolean(&v, c->route_refresh);
	avro_value_get_by_name(&rec, "extended_message", &v, NULL);
	avro_value_set_boolean(&v, c->ext_message);
	avro_value_get_by_name(&rec, "graceful_restart", &v, NULL);
	avro_value_set_boolean(&v, c->graceful_restart);
	avro_value_get_by_name(&rec, "role", &v, NULL);
	opt_str_v(&v, c->has_role ? role_name(c->role) : NULL);
	avro_value_get_by_name(&rec, "hostname", &v, NULL);
	opt_str_v(&v, c->hostname);
}

/* Symbols of peer.avsc's PeerEvent enum. */
enum peer_event_sym {
	PEER_EVENT_UP,
	PEER_EVENT_DOWN,
	PEER_EVENT_END_OF_RIB,
};

/*
 * A bmp.peer record: Peer Up (pu), Peer Down (pd), End-of-RIB (eor_family),
 * or, with none of them, the end of a peer because its router's session
 * closed (closed says why).
 */
static const struct bf_record *
enc_peer_event(struct bf_encoder *e, const struct bf_router *rt,
    const struct bmp_peer_hdr *h, uint64_t epoch, const struct bmp_peer_up *pu,
    const struct bmp_peer_down *pd, const char *eor_family,
    const char *closed, int64_t now_us)
{
	struct bf_enc_rec *r = &e->rec[BF_TOPIC_PEER];
	char buf[BF_ADDR_STRLEN];

	set_router(r, rt, now_us);
	set_peer(r, h, epoch);
	set_enum(r, F_EVENT, pu != NULL ? PEER_EVENT_UP : eor_family != NULL ?
	    PEER_EVENT_END_OF_RIB : PEER_EVENT_DOWN);
	set_opt_str(r, F_FAMILY, eor_family);
	if (pu != NULL) {
		set_opt_str(r, F_LOCAL_ADDRESS, bf_addr_fmt(&pu->local_addr,
		    buf, sizeof(buf)));
		set_opt_int(r, F_LOCAL_PORT, true, pu->local_port);
		set_opt_int(r, F_REMOTE_PORT, true, pu->remote_port);
		set_open(r, F_SENT_OPEN, &pu->sent_open);
		set_open(r, F_RECEIVED_OPEN, &pu->recv_open);
		set_info(e, r, BMP_PEER_UP, pu->tlvs);
	} else {
		set_null(r, F_LOCAL_ADDRESS);
		set_null(r, F_LOCAL_PORT);
		set_null(r, F_REMOTE_PORT);
		set_null(r, F_SENT_OPEN);
		set_null(r, F_RECEIVED_OPEN);
	}
	if (pd != NULL) {
		set_info(e, r, BMP_PEER_DOWN, pd->tlvs);
		set_opt_int(r, F_DOWN_REASON_CODE, true, pd->reason);
		set_opt_str(r, F_DOWN_REASON,
		    bmp_peer_down_reason_name(pd->reason));
	} else {
		if (pu == NULL)
			array_reset(r, F_INFO);
		set_null(r, F_DOWN_REASON_CODE);
		set_opt_str(r, F_DOWN_REASON, closed);
	}
	set_opt_int(r, F_NOTIFICATION_CODE, pd && pd->has_notification,
	    pd ? pd->notify_code : 0);
	set_opt_int(r, F_NOTIFICATION_SUBCODE, pd && pd->has_notification,
	    pd ? pd->notify_subcode : 0);
	set_opt_int(r, F_FSM_EVENT, pd && pd->reason == BMP_PD_LOCAL_NO_NOTIFY,
	    pd ? pd->fsm_event : 0);
	set_peer_key(e, rt, h, true);
	return rec_write(e, BF_TOPIC_PEER);
}

const struct bf_record *
bf_enc_peer(struct bf_encoder *e, const struct bf_router *rt,
    const struct bmp_stream *s, int64_t now_us)
{
	const struct bmp_msg *m = &s->msg;
	bool up = m->type == BMP_PEER_UP;

	return enc_peer_event(e, rt, &m->peer, s->peer != NULL ?
	    s->peer->epoch : 0, up ? &m->u.peer_up : NULL,
	    up ? NULL : &m->u.peer_down, NULL, NULL, now_us);
}

const struct bf_record *
bf_enc_end_of_rib(struct bf_encoder *e, const struct bf_router *rt,
    const struct bmp_stream *s, int64_t now_us)
{
	const struct bgp_update *u = s->update;
	char family[32];

	return enc_peer_event(e, rt, &s->msg.peer, s->peer != NULL ?
	    s->peer->epoch : 0, NULL, NULL, bgp_af_name(u->eor_afi,
	    u->eor_safi, family, sizeof(family)), NULL, now_us);
}

const struct bf_record *
bf_enc_peer_closed(struct bf_encoder *e, const struct bf_router *rt,
    const struct peer_entry *p, int64_t now_us)
{
	return enc_peer_event(e, rt, &p->hdr, p->epoch, NULL, NULL, NULL,
	    "router_session_closed", now_us);
}

const struct bf_record *
bf_enc_stats(struct bf_encoder *e, const struct bf_router *rt,
    const struct bmp_stream *s, int64_t now_us)
{
	struct bf_enc_rec *r = &e->rec[BF_TOPIC_STATS];
	const struct bmp_msg *m = &s->msg;
	avro_value_t arr, el, f;
	struct bf_cur body = m->u.stats.body;
	struct bmp_stat st;

	set_router(r, rt, now_us);
	set_peer(r, &m->peer, s->peer != NULL ? s->peer->epoch : 0);
	arr = array_reset(r, F_STATS);
	while (bmp_stat_next(&body, &st) == 1) {
		bool af = st.kind == BMP_STAT_AFI_GAUGE64;

		if (avro_value_append(&arr, &el, NULL) != 0)
			break;
		avro_value_get_by_name(&el, "type", &f, NULL);
		avro_value_set_int(&f, st.type);
		avro_value_get_by_name(&el, "name", &f, NULL);
		set_str_v(&f, bmp_stat_name(st.type));
		avro_value_get_by_name(&el, "afi", &f, NULL);
		opt_int_v(&f, af, st.afi);
		avro_value_get_by_name(&el, "safi", &f, NULL);
		opt_int_v(&f, af, st.safi);
		avro_value_get_by_name(&el, "value", &f, NULL);
		avro_value_set_long(&f, st.kind == BMP_STAT_OPAQUE ? 0 :
		    (int64_t)st.value);
	}
	set_peer_key(e, rt, &m->peer, false);
	return rec_write(e, BF_TOPIC_STATS);
}

const struct bf_record *
bf_enc_raw(struct bf_encoder *e, const struct bf_router *rt,
    const uint8_t *msg, size_t len, int64_t now_us)
{
	struct bf_enc_rec *r = &e->rec[BF_TOPIC_RAW];
	avro_value_t v = fld(r, F_MESSAGE);
	uint8_t type = len > 5 ? msg[5] : 0;	/* framed: header validated */

	set_router(r, rt, now_us);
	set_int(r, F_BMP_TYPE, type);
	avro_value_set_bytes(&v, (void *)(uintptr_t)msg, len);
	set_key(e, rt->addr, NULL, NULL);
	return rec_write(e, BF_TOPIC_RAW);
}

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

static void
set_list(struct bf_enc_rec *r, enum bf_field f, struct bf_cur v, size_t elem)
{
	avro_value_t arr = array_reset(r, f);
	uint8_t b[20];
	char text[96];

	while (cur_get_bytes(&v, b, elem) == 0) {
		uint32_t x = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
		    (uint32_t)b[2] << 8 | b[3];

		switch (elem) {
		case 4:
			if (f == F_COMMUNITIES)
				snprintf(text, sizeof(text), "%u:%u", x >> 16,
				    x & 0xffff);
			else
				ipv4_fmt(x, text, sizeof(text));
			break;
		case 8:
			ext_community_fmt(b, text, sizeof(text));
			break;
		case 12:
			snprintf(text, sizeof(text), "%" PRIu32 ":%" PRIu32
			    ":%" PRIu32, x,
			    (uint32_t)b[4] << 24 | (uint32_t)b[5] << 16 |
			    (uint32_t)b[6] << 8 | b[7],
			    (uint32_t)b[8] << 24 | (uint32_t)b[9] << 16 |
			    (uint32_t)b[10] << 8 | b[11]);
			break;
		default: {	/* 20: RFC 5701 */
			struct bf_addr a = { .family = BF_AF_INET6 };
			char as[BF_ADDR_STRLEN];

			memcpy(a.a, b + 2, 16);
			snprintf(text, sizeof(text), "0x%02x%02x:%s:%u", b[0],
			    b[1], bf_addr_fmt(&a, as, sizeof(as)),
			    (unsigned)b[18] << 8 | b[19]);
			break;
		}
		}
		append_str(&arr, text);
	}
}

static void
set_aspath(struct bf_enc_rec *r, const struct bgp_aspath *p)
{
	avro_value_t flat = array_reset(r, F_AS_PATH);
	avro_value_t segs = array_reset(r, F_AS_PATH_SEGMENTS);
	int32_t len = 0;

	for (uint32_t i = 0; i < p->n_asns; i++)
		append_long(&flat, p->asns[i]);
	for (uint32_t s = 0; s < p->n_segs; s++) {
		const struct bgp_aspath_seg *sg = &p->segs[s];
		avro_value_t el, f, asns;
		int sym = sg->type >= 1 && sg->type <= 4 ? sg->type - 1 : 4;

		if (sg->type == BGP_ASPATH_SEQUENCE)
			len += sg->count;
		else if (sg->type == BGP_ASPATH_SET)
			len += 1;
		if (avro_value_append(&segs, &el, NULL) != 0)
			continue;
		avro_value_get_by_name(&el, "type", &f, NULL);
		avro_value_set_enum(&f, sym);
		avro_value_get_by_name(&el, "asns", &asns, NULL);
		avro_value_reset(&asns);
		for (uint32_t i = 0; i < sg->count; i++)
			append_long(&asns, p->asns[sg->start + i]);
	}
	set_int(r, F_AS_PATH_LEN, len);
}

/* The attribute fields: from a, or all absent (a == NULL: withdrawals). */
static void
set_attrs(struct bf_enc_rec *r, const struct bgp_attrs *a)
{
	static const struct bgp_attrs none;
	char buf[BF_ADDR_STRLEN];
	avro_value_t arr;

	if (a == NULL)
		a = &none;
	if (bgp_attr_has(a, BGP_ATTR_ORIGIN) && a->origin <= 2) {
		avro_value_t b = set_some(r, F_ORIGIN);

		avro_value_set_enum(&b, a->origin);
	} else {
		set_null(r, F_ORIGIN);
	}
	if (a == &none) {
		array_reset(r, F_AS_PATH);
		array_reset(r, F_AS_PATH_SEGMENTS);
		set_int(r, F_AS_PATH_LEN, 0);
	} else {
		set_aspath(r, &a->aspath);
	}
	set_opt_long(r, F_ORIGIN_AS, a->has_origin_as, a->origin_as);
	set_opt_long(r, F_MED, bgp_attr_has(a, BGP_ATTR_MED), a->med);
	set_opt_long(r, F_LOCAL_PREF, bgp_attr_has(a, BGP_ATTR_LOCAL_PREF),
	    a->local_pref);
	set_bool(r, F_ATOMIC_AGGREGATE, a->atomic_aggregate);
	set_opt_long(r, F_AGGREGATOR_AS, bgp_attr_has(a, BGP_ATTR_AGGREGATOR),
	    a->aggregator_as);
	set_opt_str(r, F_AGGREGATOR_ADDRESS, bgp_attr_has(a,
	    BGP_ATTR_AGGREGATOR) ? bf_addr_fmt(&a->aggregator_addr, buf,
	    sizeof(buf)) : NULL);
	set_list(r, F_COMMUNITIES, a->communities, 4);
	set_list(r, F_LARGE_COMMUNITIES, a->large_communities, 12);
	set_list(r, F_EXT_COMMUNITIES, a->ext_communities, 8);
	set_list(r, F_IPV6_EXT_COMMUNITIES, a->ipv6_ext_communities, 20);
	if (bgp_attr_has(a, BGP_ATTR_ORIGINATOR_ID))
		ipv4_fmt(a->originator_id, buf, sizeof(buf));
	set_opt_str(r, F_ORIGINATOR_ID, bgp_attr_has(a,
	    BGP_ATTR_ORIGINATOR_ID) ? buf : NULL);
	set_list(r, F_CLUSTER_LIST, a->cluster_list, 4);
	set_opt_long(r, F_OTC, bgp_attr_has(a, BGP_ATTR_OTC), a->otc);
	set_opt_long(r, F_AIGP, bgp_attr_has(a, BGP_ATTR_AIGP),
	    (int64_t)a->aigp);
	arr = array_reset(r, F_UNKNOWN_ATTRIBUTES);
	for (uint8_t i = 0; i < a->n_unknown; i++) {
		const struct bgp_unknown_attr *u = &a->unknown[i];
		avro_value_t el, f;
		struct bf_cur v = u->value;
		const uint8_t *p = NULL;
		size_t n = cur_len(&v);

		if (avro_value_append(&arr, &el, NULL) != 0)
			break;
		avro_value_get_by_name(&el, "code", &f, NULL);
		avro_value_set_int(&f, u->code);
		avro_value_get_by_name(&el, "flags", &f, NULL);
		avro_value_set_int(&f, u->flags);
		avro_value_get_by_name(&el, "value", &f, NULL);
		cur_get_ptr(&v, n, &p);
		avro_value_set_bytes(&f, (void *)(uintptr_t)p, n);
	}
}

void
bf_enc_update_begin(struct bf_encoder *e, const struct bf_router *rt,
    const struct bmp_stream *s, int64_t now_us)
{
	struct bf_enc_rec *r = &e->rec[BF_TOPIC_ROUTE];
	const struct bgp_update *u = s->update;

	set_router(r, rt, now_us);
	set_peer(r, &s->msg.peer, s->peer != NULL ? s->peer->epoch : 0);
	set_enum(r, F_ERROR_HANDLING, u->outcome == BGP_ATTR_DISCARD ? 1 :
	    u->outcome == BGP_TREAT_AS_WITHDRAW ? 2 : 0);
	e->update = u;
	e->attrs_action = -1;
	e->attrs_af = NULL;
	e->head.n = 0;
	if (e->prefix_first > 0 &&
	    seg_write(e, r, 0, e->prefix_first, &e->head) < 0)
		e->head.n = 0;
}

/* head + prefix fields + tail, after the single-object header. */
static const struct bf_record *
route_write(struct bf_encoder *e)
{
	struct bf_enc_rec *r = &e->rec[BF_TOPIC_ROUTE];
	size_t len;

	if (e->head.n == 0 || e->tail.n == 0 ||
	    seg_write(e, r, e->prefix_first, e->prefix_end, &e->mid) < 0)
		return rec_write(e, BF_TOPIC_ROUTE);
	len = BF_SINGLE_OBJECT_HDR + e->head.n + e->mid.n + e->tail.n;
	if (len > e->cap) {
		uint8_t *nb = realloc(e->buf, len);

		if (nb == NULL)
			return NULL;
		e->buf = nb;
		e->cap = len;
	}
	bf_schema_header(&r->sch, e->buf);
	memcpy(e->buf + BF_SINGLE_OBJECT_HDR, e->head.b, e->head.n);
	memcpy(e->buf + BF_SINGLE_OBJECT_HDR + e->head.n, e->mid.b, e->mid.n);
	memcpy(e->buf + BF_SINGLE_OBJECT_HDR + e->head.n + e->mid.n,
	    e->tail.b, e->tail.n);
	e->out.topic = BF_TOPIC_ROUTE;
	e->out.schema = r->sch.name;
	e->out.value = e->buf;
	e->out.value_len = len;
	return &e->out;
}

/* Next hop: MP_REACH's for its family, else NEXT_HOP; none for withdraws. */
static void
set_next_hop(struct bf_enc_rec *r, const struct bgp_attrs *a,
    const struct bgp_af *af, bool announce)
{
	char nh[BF_ADDR_STRLEN];

	if (!announce) {
		set_null(r, F_NEXT_HOP);
		set_null(r, F_NEXT_HOP_LINK_LOCAL);
	} else if (bgp_attr_has(a, BGP_ATTR_MP_REACH_NLRI) &&
	    a->mp_reach.af == af) {
		set_opt_str(r, F_NEXT_HOP, bf_addr_fmt(&a->mp_reach.next_hop,
		    nh, sizeof(nh)));
		set_opt_str(r, F_NEXT_HOP_LINK_LOCAL, bf_addr_fmt(
		    &a->mp_reach.next_hop_ll, nh, sizeof(nh)));
	} else {
		set_opt_str(r, F_NEXT_HOP, bgp_attr_has(a, BGP_ATTR_NEXT_HOP) ?
		    bf_addr_fmt(&a->next_hop, nh, sizeof(nh)) : NULL);
		set_null(r, F_NEXT_HOP_LINK_LOCAL);
	}
}

const struct bf_record *
bf_enc_route(struct bf_encoder *e, const struct bgp_route *rt)
{
	struct bf_enc_rec *r = &e->rec[BF_TOPIC_ROUTE];
	const struct bgp_update *u = e->update;
	const struct bgp_attrs *a = &u->attrs;
	const struct bgp_nlri *n = &rt->nlri;
	char pfx[BF_PREFIX_STRLEN], rd[BF_RD_STRLEN];
	bool announce = rt->action == BGP_ANNOUNCE;

	/* Fields shared by a run of prefixes of one family and action are
	 * set once per run: the Avro value keeps them. */
	if (e->attrs_action != (int)rt->action || e->attrs_af != rt->af) {
		if (e->attrs_action != (int)rt->action)
			set_attrs(r, announce ? a : NULL);
		e->attrs_action = (int)rt->action;
		e->attrs_af = rt->af;
		set_enum(r, F_ACTION, announce ? 0 : 1);
		set_str(r, F_FAMILY, rt->af->name);
		set_int(r, F_AFI, rt->af->afi);
		set_int(r, F_SAFI, rt->af->safi);
		set_next_hop(r, a, rt->af, announce);
		e->tail.n = 0;
		if (e->prefix_first > 0 && seg_write(e, r, e->prefix_end,
		    e->n_route_fields, &e->tail) < 0)
			e->tail.n = 0;
	}
	set_str(r, F_PREFIX, bf_prefix_fmt(&n->prefix, pfx, sizeof(pfx)));
	set_int(r, F_PREFIX_LEN, n->prefix.len);
	set_opt_str(r, F_RD, n->has_rd ? bf_rd_fmt(n->rd, rd, sizeof(rd)) :
	    NULL);
	set_opt_long(r, F_PATH_ID, n->has_path_id, n->path_id);
	if (n->n_labels > 0 || e->had_labels) {
		avro_value_t labels = array_reset(r, F_LABELS), el;

		for (uint8_t i = 0; i < n->n_labels; i++)
			if (avro_value_append(&labels, &el, NULL) == 0)
				avro_value_set_int(&el, (int32_t)n->labels[i]);
		e->had_labels = n->n_labels > 0;
	}
	if (n->has_rd) {
		set_key(e, rd, pfx, NULL);
	} else {
		e->out.key_len = strlen(pfx);
		memcpy(e->out.key, pfx, e->out.key_len + 1);
	}
	return route_write(e);
}
