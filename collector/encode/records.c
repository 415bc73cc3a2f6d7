/* SPDX-License-Identifier: Apache-2.0 */
/*
 * records.c: the encoder's schemas, the fields records share, and the
 * records of the bmp.router, bmp.peer, bmp.stats and bmp.raw topics.
 * (bmp.route, the one per prefix, is records_route.c.)
 */
#include "records_fields.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/utf8.h"
#include "../normalize/route_set.h"
#include "../parse/bgp_wire.h"
#include "../parse/bmp_wire.h"

static const char *const topic_names[BF_TOPIC_COUNT] = {
	"router", "peer", "route", "stats", "raw",
};

/*
 * CRC-64-AVRO of the Parsing Canonical Form of each schemas/NAME.avsc the
 * writers below follow field by field: names, types, order and enum
 * symbols, what the binary encoding depends on.  A schema that changes
 * changes its writer, and this table, with it.
 */
static const uint64_t topic_fingerprints[BF_TOPIC_COUNT] = {
	[BF_TOPIC_ROUTER] = 0xb9c69e4eda7b734dULL,
	[BF_TOPIC_PEER] = 0x9cd8d37e3940d7f4ULL,
	[BF_TOPIC_ROUTE] = 0x953fb2600f4ac400ULL,
	[BF_TOPIC_STATS] = 0x24fd487739c439d3ULL,
	[BF_TOPIC_RAW] = 0x43e9d2e6c625ed80ULL,
};

const char *
bf_topic_name(enum bf_topic t)
{
	return t < BF_TOPIC_COUNT ? topic_names[t] : "unknown";
}

int
bf_encoder_init(struct bf_encoder *e, const char *schema_dir, char *errbuf,
    size_t errlen)
{
	memset(e, 0, sizeof(*e));
	for (int t = 0; t < BF_TOPIC_COUNT; t++) {
		struct bf_schema *s = &e->sch[t];

		if (bf_schema_load(s, schema_dir, topic_names[t], errbuf,
		    errlen) < 0) {
			bf_encoder_free(e);
			return -1;
		}
		if (s->fingerprint != topic_fingerprints[t]) {
			snprintf(errbuf, errlen, "schema %s/%s.avsc: fingerprint "
			    "%016" PRIx64 ", but this collector writes %s "
			    "records of fingerprint %016" PRIx64 " (schemas and "
			    "collector of one release go together)", schema_dir,
			    topic_names[t], s->fingerprint, topic_names[t],
			    topic_fingerprints[t]);
			bf_encoder_free(e);
			return -1;
		}
	}
	e->tail_action = -1;
	return 0;
}

void
bf_encoder_free(struct bf_encoder *e)
{
	for (int t = 0; t < BF_TOPIC_COUNT; t++) {
		bf_record_writer_free(&e->writer[t]);
		if (e->sch[t].schema != NULL)
			bf_schema_free(&e->sch[t]);
	}
	bf_avro_free(&e->buf);
	bf_avro_free(&e->head);
	bf_avro_free(&e->tail);
	memset(e, 0, sizeof(*e));
}

int
bf_encoder_set_format(struct bf_encoder *e, enum bf_topic t, enum bf_format f,
    uint32_t registry_id)
{
	bf_record_writer_free(&e->writer[t]);
	return bf_record_writer_init(&e->writer[t], &e->sch[t], f,
	    registry_id);
}

struct bf_avro_buf *
bf_rec_begin(struct bf_encoder *e)
{
	struct bf_avro_buf *b = &e->buf;

	bf_avro_reset(b);
	if (bf_avro_reserve(b, BF_SINGLE_OBJECT_HDR) == 0)
		b->len = BF_SINGLE_OBJECT_HDR;
	return b;
}

const struct bf_record *
bf_rec_end(struct bf_encoder *e, enum bf_topic t)
{
	if (bf_record_writer_finish(&e->writer[t], &e->sch[t], &e->buf,
	    &e->out.value, &e->out.value_len) < 0)
		return NULL;
	e->out.topic = t;
	e->out.schema = e->sch[t].name;
	e->out.route = NULL;
	return &e->out;
}

void
bf_rec_key(struct bf_encoder *e, const char *a, const char *b, const char *c)
{
	int n = snprintf(e->out.key, sizeof(e->out.key), "%s%s%s%s%s", a,
	    b ? "|" : "", b ? b : "", c ? "|" : "", c ? c : "");

	e->out.key_len = n < 0 ? 0 : (size_t)n < sizeof(e->out.key) ?
	    (size_t)n : sizeof(e->out.key) - 1;
}

void
bf_rec_opt_str(struct bf_avro_buf *b, const char *s)
{
	if (s == NULL || s[0] == '\0') {
		bf_avro_null(b);
		return;
	}
	bf_avro_long(b, 1);
	bf_avro_str(b, s);
}

void
bf_rec_opt_long(struct bf_avro_buf *b, bool has, int64_t x)
{
	bf_avro_long(b, has);
	if (has)
		bf_avro_long(b, x);
}

void
bf_rec_ipv4_fmt(uint32_t v, char *buf, size_t n)
{
	struct bf_addr a;

	bf_addr_v4(&a, v);
	bf_addr_fmt(&a, buf, n);
}

void
bf_rec_router(struct bf_avro_buf *b, const struct bf_router *rt,
    int64_t now_us)
{
	bf_avro_str(b, rt->addr);
	bf_rec_opt_str(b, rt->name);
	bf_avro_long(b, now_us);
}

void
bf_rec_peer(struct bf_avro_buf *b, const struct bmp_peer_hdr *h,
    uint64_t epoch)
{
	char buf[BF_RD_STRLEN > BF_ADDR_STRLEN ? BF_RD_STRLEN : BF_ADDR_STRLEN];
	enum bmp_rib rib = bmp_peer_rib(h);

	bf_avro_str(b, bf_addr_fmt(&h->addr, buf, sizeof(buf)));
	bf_avro_long(b, h->as);
	bf_rec_ipv4_fmt(h->bgp_id, buf, sizeof(buf));
	bf_avro_str(b, buf);
	bf_rec_opt_str(b, bf_rd_is_zero(h->rd) ? NULL :
	    bf_rd_fmt(h->rd, buf, sizeof(buf)));
	/* PeerType: the four of RFC 7854 and RFC 9069, then "other". */
	bf_avro_long(b, h->type <= BMP_PEER_LOC_RIB ? h->type : 4);
	bf_avro_long(b, (int64_t)rib);
	bf_avro_bool(b, bmp_peer_post_policy(h));
	bf_avro_bool(b, rib == BMP_RIB_LOC &&
	    (h->flags & BMP_PEER_F_LOCRIB_F) != 0);
	bf_avro_long(b, (int64_t)epoch);
	bf_avro_long(b, (int64_t)h->ts_sec * 1000000 + h->ts_usec);
}

/*
 * An End-of-RIB's key: its session's, then " eor FAMILY VIEW".  The
 * partitioner reads only the first word (producer.c), so the marker
 * stays in order with its session's Peer Up and Down, and compaction
 * keeps the latest of each (a marker sharing their key would displace
 * the Peer Up and its OPENs).
 */
static void
eor_key(struct bf_encoder *e, const struct bmp_peer_hdr *h,
    const char *family)
{
	size_t at = e->out.key_len;
	int n = snprintf(e->out.key + at, sizeof(e->out.key) - at,
	    " eor %s %s", family, bf_state_view_name(bf_state_view_of(h)));

	if (n > 0)
		e->out.key_len = at + (size_t)n < sizeof(e->out.key) ?
		    at + (size_t)n : sizeof(e->out.key) - 1;
}

/* Key of a per-peer record: router|peer address[|RD]. */
static void
peer_key(struct bf_encoder *e, const struct bf_router *rt,
    const struct bmp_peer_hdr *h, bool with_rd)
{
	char a[BF_ADDR_STRLEN], rd[BF_RD_STRLEN];

	bf_addr_fmt(&h->addr, a, sizeof(a));
	bf_rec_key(e, rt->addr, a, with_rd && !bf_rd_is_zero(h->rd) ?
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

/*
 * The info array (InfoTlv: type, name, value) of message msg_type; counts
 * TLVs that were not UTF-8.
 */
static void
put_info(struct bf_encoder *enc, struct bf_avro_buf *b, uint8_t msg_type,
    struct bf_cur tlvs)
{
	size_t at = bf_avro_array_open(b), n = 0;
	struct bmp_tlv t;
	char text[1024];

	while (bmp_tlv_next(&tlvs, &t) == 1) {
		const char *name = bmp_info_tlv_name(msg_type, t.type);
		uint16_t reason;

		if (msg_type == BMP_TERMINATION && t.type == BMP_TERM_REASON &&
		    cur_get_u16(&t.value, &reason) == 0) {
			snprintf(text, sizeof(text), "%u", reason);
		} else if (tlv_text(t.value, text, sizeof(text)) > 0) {
			enc->invalid_utf8++;
			enc->invalid_utf8_tlv = name;
		}
		bf_avro_long(b, t.type);
		bf_avro_str(b, name);
		bf_avro_str(b, text);
		n++;
	}
	bf_avro_array_close(b, at, n);
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

/* Reason text of a Termination's reason TLV (the last), or NULL. */
static const char *
term_reason(struct bf_cur tlvs, char *buf, size_t n)
{
	const char *reason = NULL;
	struct bmp_tlv t;
	uint16_t code;

	while (bmp_tlv_next(&tlvs, &t) == 1)
		if (t.type == BMP_TERM_REASON &&
		    cur_get_u16(&t.value, &code) == 0) {
			snprintf(buf, n, "%s", term_reason_name(code));
			reason = buf;
		}
	return reason;
}

const struct bf_record *
bf_enc_router(struct bf_encoder *e, const struct bf_router *rt,
    enum bf_router_event ev, const struct bmp_msg *m, const char *reason,
    int64_t now_us)
{
	struct bf_avro_buf *b = bf_rec_begin(e);
	bool tlvs = m != NULL && (ev == BF_ROUTER_INITIATION ||
	    ev == BF_ROUTER_TERMINATION);
	char descr[1024], rs[64];

	descr[0] = '\0';
	if (tlvs && ev == BF_ROUTER_INITIATION)
		bf_info_tlv_text(m->u.info_tlvs, BMP_INFO_SYSDESCR, descr,
		    sizeof(descr));
	if (tlvs && ev == BF_ROUTER_TERMINATION && reason == NULL)
		reason = term_reason(m->u.info_tlvs, rs, sizeof(rs));
	bf_rec_router(b, rt, now_us);
	bf_avro_long(b, (int64_t)ev);
	bf_rec_opt_str(b, descr);
	if (tlvs)
		put_info(e, b, m->type, m->u.info_tlvs);
	else
		bf_avro_long(b, 0);		/* no info */
	bf_rec_opt_str(b, reason);
	bf_avro_long(b, (int64_t)rt->msgs);
	bf_avro_long(b, (int64_t)rt->errors);
	bf_rec_key(e, rt->addr, NULL, NULL);
	return bf_rec_end(e, BF_TOPIC_ROUTER);
}

static const char *
role_name(uint8_t role)
{
	static const char *const names[] = {
		"provider", "rs", "rs_client", "customer", "peer",
	};

	return role < NELEM(names) ? names[role] : "unknown";
}

/* A string array of the families of c: all with MP, or with ADD-PATH. */
static void
put_families(struct bf_avro_buf *b, const struct bgp_caps *c, bool add_path)
{
	size_t at = bf_avro_array_open(b), n = 0;
	char buf[64], name[32];

	for (uint8_t i = 0; i < c->n_af; i++) {
		uint8_t ap = c->af[i].addpath;

		if (add_path ? ap == 0 : !c->af[i].mp)
			continue;
		bgp_af_name(c->af[i].afi, c->af[i].safi, name, sizeof(name));
		if (add_path) {
			snprintf(buf, sizeof(buf), "%s:%s", name, ap == 3 ?
			    "both" : ap == 2 ? "send" : "receive");
			bf_avro_str(b, buf);
		} else {
			bf_avro_str(b, name);
		}
		n++;
	}
	bf_avro_array_close(b, at, n);
}

/* ["null", BgpOpen], the summary of OPEN o. */
static void
put_open(struct bf_avro_buf *b, const struct bgp_open *o)
{
	const struct bgp_caps *c = &o->caps;
	char buf[BF_ADDR_STRLEN];

	bf_avro_long(b, 1);
	bf_avro_long(b, bgp_open_asn(o));
	bf_avro_long(b, o->hold_time);
	bf_rec_ipv4_fmt(o->bgp_id, buf, sizeof(buf));
	bf_avro_str(b, buf);
	put_families(b, c, false);
	put_families(b, c, true);
	bf_avro_bool(b, c->as4);
	bf_avro_bool(b, c->route_refresh);
	bf_avro_bool(b, c->ext_message);
	bf_avro_bool(b, c->graceful_restart);
	bf_rec_opt_str(b, c->has_role ? role_name(c->role) : NULL);
	bf_rec_opt_str(b, c->hostname);
}

/* Symbols of peer.avsc's PeerEvent enum. */
enum peer_event_sym {
	PEER_EVENT_UP,
	PEER_EVENT_DOWN,
	PEER_EVENT_END_OF_RIB,
};

/*
 * What a bmp.peer record says: a Peer Up (pu; NULL for an epoch the
 * collector opened at a route), a Peer Down (pd, or closed saying why
 * the collector ended the epoch) or an End-of-RIB (family).
 */
struct peer_event {
	enum peer_event_sym		 sym;
	const struct bmp_peer_up	*pu;
	const struct bmp_peer_down	*pd;
	const char			*family;
	const char			*closed;
};

static const struct bf_record *
enc_peer_event(struct bf_encoder *e, const struct bf_router *rt,
    const struct bmp_peer_hdr *h, uint64_t epoch, const struct peer_event *ev,
    int64_t now_us)
{
	struct bf_avro_buf *b = bf_rec_begin(e);
	const struct bmp_peer_up *pu = ev->pu;
	const struct bmp_peer_down *pd = ev->pd;
	char buf[BF_ADDR_STRLEN];

	bf_rec_router(b, rt, now_us);
	bf_rec_peer(b, h, epoch);
	bf_avro_long(b, ev->sym);
	if (pu != NULL) {
		bf_rec_opt_str(b, bf_addr_fmt(&pu->local_addr, buf,
		    sizeof(buf)));
		bf_rec_opt_long(b, true, pu->local_port);
		bf_rec_opt_long(b, true, pu->remote_port);
		put_open(b, &pu->sent_open);
		put_open(b, &pu->recv_open);
		put_info(e, b, BMP_PEER_UP, pu->tlvs);
	} else {
		for (int i = 0; i < 5; i++)	/* local_address .. received_open */
			bf_avro_null(b);
		if (pd != NULL)
			put_info(e, b, BMP_PEER_DOWN, pd->tlvs);
		else
			bf_avro_long(b, 0);	/* no info */
	}
	bf_rec_opt_long(b, pd != NULL, pd ? pd->reason : 0);
	bf_rec_opt_str(b, pd != NULL ? bmp_peer_down_reason_name(pd->reason) :
	    ev->closed);
	bf_rec_opt_long(b, pd && pd->has_notification,
	    pd ? pd->notify_code : 0);
	bf_rec_opt_long(b, pd && pd->has_notification,
	    pd ? pd->notify_subcode : 0);
	bf_rec_opt_long(b, pd && pd->reason == BMP_PD_LOCAL_NO_NOTIFY,
	    pd ? pd->fsm_event : 0);
	bf_rec_opt_str(b, ev->family);
	peer_key(e, rt, h, true);
	if (ev->family != NULL)
		eor_key(e, h, ev->family);
	return bf_rec_end(e, BF_TOPIC_PEER);
}

static uint64_t
epoch_of(const struct bmp_stream *s)
{
	return s->peer != NULL ? s->peer->epoch : 0;
}

const struct bf_record *
bf_enc_peer(struct bf_encoder *e, const struct bf_router *rt,
    const struct bmp_stream *s, int64_t now_us)
{
	const struct bmp_msg *m = &s->msg;
	bool up = m->type == BMP_PEER_UP;

	return enc_peer_event(e, rt, &m->peer, epoch_of(s), &(struct peer_event)
	    { .sym = up ? PEER_EVENT_UP : PEER_EVENT_DOWN,
	    .pu = up ? &m->u.peer_up : NULL,
	    .pd = up ? NULL : &m->u.peer_down }, now_us);
}

const struct bf_record *
bf_enc_peer_opened(struct bf_encoder *e, const struct bf_router *rt,
    const struct bmp_stream *s, int64_t now_us)
{
	return enc_peer_event(e, rt, &s->msg.peer, epoch_of(s),
	    &(struct peer_event){ .sym = PEER_EVENT_UP }, now_us);
}

const struct bf_record *
bf_enc_end_of_rib(struct bf_encoder *e, const struct bf_router *rt,
    const struct bmp_stream *s, int64_t now_us)
{
	const struct bgp_update *u = s->update;
	char family[32];

	return enc_peer_event(e, rt, &s->msg.peer, epoch_of(s),
	    &(struct peer_event){ .sym = PEER_EVENT_END_OF_RIB,
	    .family = bgp_af_name(u->eor_afi, u->eor_safi, family,
	    sizeof(family)) }, now_us);
}

const struct bf_record *
bf_enc_peer_closed(struct bf_encoder *e, const struct bf_router *rt,
    const struct peer_entry *p, int64_t now_us)
{
	return enc_peer_event(e, rt, &p->hdr, p->epoch, &(struct peer_event)
	    { .sym = PEER_EVENT_DOWN, .closed = "router_session_closed" },
	    now_us);
}

const struct bf_record *
bf_enc_stats(struct bf_encoder *e, const struct bf_router *rt,
    const struct bmp_stream *s, int64_t now_us)
{
	struct bf_avro_buf *b = bf_rec_begin(e);
	const struct bmp_msg *m = &s->msg;
	struct bf_cur body = m->u.stats.body;
	struct bmp_stat st;
	size_t at, n = 0;

	bf_rec_router(b, rt, now_us);
	bf_rec_peer(b, &m->peer, epoch_of(s));
	at = bf_avro_array_open(b);
	while (bmp_stat_next(&body, &st) == 1) {
		bool af = st.kind == BMP_STAT_AFI_GAUGE64;

		/* Stat: type, name, afi, safi, value */
		bf_avro_long(b, st.type);
		bf_avro_str(b, bmp_stat_name(st.type));
		bf_rec_opt_long(b, af, st.afi);
		bf_rec_opt_long(b, af, st.safi);
		bf_avro_long(b, st.kind == BMP_STAT_OPAQUE ? 0 :
		    (int64_t)st.value);
		n++;
	}
	bf_avro_array_close(b, at, n);
	peer_key(e, rt, &m->peer, false);
	return bf_rec_end(e, BF_TOPIC_STATS);
}

const struct bf_record *
bf_enc_raw(struct bf_encoder *e, const struct bf_router *rt,
    const uint8_t *msg, size_t len, int64_t now_us)
{
	struct bf_avro_buf *b = bf_rec_begin(e);

	bf_rec_router(b, rt, now_us);
	bf_avro_long(b, len > 5 ? msg[5] : 0);	/* framed: header validated */
	bf_avro_bytes(b, msg, len);
	bf_rec_key(e, rt->addr, NULL, NULL);
	return bf_rec_end(e, BF_TOPIC_RAW);
}
