/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_records.c: Avro records of the collector, read back with avro-c's
 * reader and written again by avro-c to the same bytes: the Avro writer's
 * primitives, fingerprints, single-object header, every route field, peer,
 * stats and router records, and keys.  (The collector_replay test decodes
 * the same records with python3-avro, an independent implementation.)
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "core/avro_scan.h"
#include "core/utf8.h"
#include "encode/records.h"
#include "host/emit.h"
#include "host/records_in.h"
#include "test_util.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* Per-peer header: global peer 192.0.2.1 AS 65001, BGP ID 192.0.2.1. */
#define PEER_HDR "00 00 0000000000000000 000000000000000000000000 " \
	"c0000201 0000fde9 c0000201 5f5e1000 00000064"
#define PEER_HDR_POST "00 40 0000000000000000 000000000000000000000000 " \
	"c0000201 0000fde9 c0000201 5f5e1000 00000064"

/* OPEN with 4-octet AS 65001 and MP IPv4/IPv6 unicast. */
#define OPEN "ffffffffffffffffffffffffffffffff 0035 01 04 fde9 00b4 c0000201 " \
	"18 02 06 01 04 0001 0001 02 06 01 04 0002 0001 02 06 41 04 0000fde9"
/* The same with a BGP Role capability (RFC 9234), role r in hex. */
#define OPEN_ROLE(r) "ffffffffffffffffffffffffffffffff 003a 01 04 fde9 00b4 " \
	"c0000201 1d 02 06 01 04 0001 0001 02 06 01 04 0002 0001 " \
	"02 06 41 04 0000fde9 02 03 09 01 " r

static struct bf_encoder enc;
static struct bmp_stream st;
static struct bf_router router = { .addr = "10.0.0.1", .name = "edge1" };

static void
setup(void)
{
	char err[256];

	ck_assert_msg(bf_encoder_init(&enc, BMPFLOW_SCHEMA_DIR, err,
	    sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(bmp_stream_init(&st, 1 << 20, 64), 0);
}

static void
teardown(void)
{
	bf_encoder_free(&enc);
	bmp_stream_free(&st);
}

static void
decode_vec(struct bb *v)
{
	struct bf_err err;

	bb_bmp_end(v, 0);
	bf_err_clear(&err);
	ck_assert_msg(bmp_stream_decode(&st, v->b, v->n, &err) == BMP_MSG_OK,
	    "vector does not decode: %s", err.msg);
}

/*
 * A Peer Up with these sent and received OPENs and information TLVs; st.msg
 * points into the message (its TLVs) until the next Peer Up.
 */
static void
peer_up_opens(const char *sent, const char *received, const char *tlvs)
{
	static struct bb v;

	v.n = 0;

	bb_hex(&v, "03 00000000 03 " PEER_HDR);
	/* Local address 192.0.2.2 (IPv4 in the last 4 of 16 bytes), ports. */
	bb_hex(&v, "000000000000000000000000 c0000202 b3c1 00b3");
	bb_hex(&v, sent);
	bb_hex(&v, received);
	bb_hex(&v, tlvs);
	decode_vec(&v);
}

static void
peer_up(void)
{
	peer_up_opens(OPEN, OPEN, "");
}

/*
 * Read a record back with avro-c, after checking the header, and check
 * avro-c writes the value it read to the same bytes: the hand-written
 * writer (core/avro_write.h) encodes every field as avro-c does, and the
 * body holds nothing after the record.  The hand-written reader
 * (core/avro_scan.h) must walk the same body to its last byte.
 */
/* The core reader steps over body exactly, neither short nor beyond. */
static void
scan_whole(struct bf_schema *s, const uint8_t *body, size_t len)
{
	struct bf_scan_node *n = bf_scan_compile(s->schema);
	struct bf_cur c = cur_make(body, len);

	ck_assert_ptr_nonnull(n);
	ck_assert_int_eq(bf_scan_skip(n, &c), 0);
	ck_assert_msg(cur_len(&c) == 0, "the core reader left %zu bytes of a "
	    "%s record", cur_len(&c), s->name);
	if (len > 0) {
		c = cur_make(body, len - 1);
		ck_assert_msg(bf_scan_skip(n, &c) < 0, "the core reader read a "
		    "%s record cut by one byte", s->name);
	}
	bf_scan_free(n);
}

static avro_value_t
read_back(const struct bf_record *r, enum bf_topic t)
{
	struct bf_schema *s = &enc.sch[t];
	size_t body_len = r != NULL ? r->value_len - BF_SINGLE_OBJECT_HDR : 0;
	avro_value_t val;
	avro_reader_t rd;
	avro_writer_t wr;
	static char again[1 << 16];
	size_t size = 0;
	uint64_t fp;

	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->topic, t);
	ck_assert_str_eq(r->schema, bf_topic_name(t));
	ck_assert_int_eq(bf_single_object_fingerprint(r->value, r->value_len,
	    &fp), 0);
	ck_assert_uint_eq(fp, s->fingerprint);
	ck_assert_int_eq(avro_generic_value_new(s->iface, &val), 0);
	rd = avro_reader_memory((const char *)r->value + BF_SINGLE_OBJECT_HDR,
	    (int64_t)(r->value_len - BF_SINGLE_OBJECT_HDR));
	ck_assert_int_eq(avro_value_read(rd, &val), 0);
	avro_reader_free(rd);
	ck_assert_int_eq(avro_value_sizeof(&val, &size), 0);
	ck_assert_uint_eq(size, body_len);
	ck_assert_uint_le(size, sizeof(again));
	wr = avro_writer_memory(again, (int64_t)sizeof(again));
	ck_assert_int_eq(avro_value_write(wr, &val), 0);
	ck_assert_int_eq(avro_writer_tell(wr), (int64_t)size);
	avro_writer_free(wr);
	ck_assert_msg(memcmp(again, r->value + BF_SINGLE_OBJECT_HDR, size) ==
	    0, "avro-c writes the %s record it read differently",
	    bf_topic_name(t));
	scan_whole(s, r->value + BF_SINGLE_OBJECT_HDR, body_len);
	return val;
}

static avro_value_t
get(avro_value_t *rec, const char *name)
{
	avro_value_t f;

	ck_assert_msg(avro_value_get_by_name(rec, name, &f, NULL) == 0,
	    "no field %s", name);
	return f;
}

static const char *
str(avro_value_t *rec, const char *name)
{
	avro_value_t f = get(rec, name);
	const char *s;
	size_t n;

	if (avro_value_get_type(&f) == AVRO_UNION) {
		avro_value_t b;

		avro_value_get_current_branch(&f, &b);
		if (avro_value_get_type(&b) == AVRO_NULL)
			return NULL;
		f = b;
	}
	ck_assert_int_eq(avro_value_get_string(&f, &s, &n), 0);
	return s;
}

/* A long field, or -1 when a union holds null. */
static int64_t
num(avro_value_t *rec, const char *name)
{
	avro_value_t f = get(rec, name);
	int64_t l;
	int i;

	if (avro_value_get_type(&f) == AVRO_UNION) {
		avro_value_t b;

		avro_value_get_current_branch(&f, &b);
		if (avro_value_get_type(&b) == AVRO_NULL)
			return -1;
		f = b;
	}
	if (avro_value_get_type(&f) == AVRO_INT32) {
		int32_t i32;

		avro_value_get_int(&f, &i32);
		return i32;
	}
	if (avro_value_get_type(&f) == AVRO_BOOLEAN) {
		avro_value_get_boolean(&f, &i);
		return i;
	}
	if (avro_value_get_type(&f) == AVRO_ENUM) {
		avro_value_get_enum(&f, &i);
		return i;
	}
	ck_assert_int_eq(avro_value_get_long(&f, &l), 0);
	return l;
}

static size_t
arr_len(avro_value_t *rec, const char *name)
{
	avro_value_t f = get(rec, name);
	size_t n;

	avro_value_get_size(&f, &n);
	return n;
}

static const char *
arr_str(avro_value_t *rec, const char *name, size_t i)
{
	avro_value_t f = get(rec, name), e;
	const char *s;
	size_t n;

	ck_assert_int_eq(avro_value_get_by_index(&f, i, &e, NULL), 0);
	avro_value_get_string(&e, &s, &n);
	return s;
}

static int64_t
arr_long(avro_value_t *rec, const char *name, size_t i)
{
	avro_value_t f = get(rec, name), e;
	int64_t l;

	ck_assert_int_eq(avro_value_get_by_index(&f, i, &e, NULL), 0);
	avro_value_get_long(&e, &l);
	return l;
}

START_TEST(crc64_avro_known_values)
{
	/* Fingerprints from the Avro specification's test suite. */
	ck_assert_uint_eq(bf_crc64_avro("\"null\"", 6),
	    (uint64_t)7195948357588979594ULL);
	ck_assert_uint_eq(bf_crc64_avro("\"int\"", 5),
	    (uint64_t)8247732601305521295ULL);
}
END_TEST

/*
 * The Avro writer's primitives against avro-c: varints at every length
 * edge, both signs, floats, doubles, strings, bytes, a union, and arrays
 * whose count is put in at their end (a 2-byte count moves the items).
 */
START_TEST(avro_writer_matches_avro_c)
{
	static const char schema_json[] = "{\"type\":\"record\",\"name\":\"T\","
	    "\"fields\":[{\"name\":\"longs\",\"type\":{\"type\":\"array\","
	    "\"items\":\"long\"}},{\"name\":\"b\",\"type\":\"boolean\"},"
	    "{\"name\":\"f\",\"type\":\"float\"},{\"name\":\"d\",\"type\":"
	    "\"double\"},{\"name\":\"s\",\"type\":\"string\"},{\"name\":"
	    "\"by\",\"type\":\"bytes\"},{\"name\":\"u\",\"type\":[\"null\","
	    "\"long\"]},{\"name\":\"none\",\"type\":{\"type\":\"array\","
	    "\"items\":\"long\"}}]}";
	static const int64_t edges[] = { 0, -1, 1, 63, -64, 64, -65, 8191,
	    8192, INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN };
	struct bf_avro_buf b = { 0 };
	avro_schema_t sch;
	avro_value_iface_t *iface;
	avro_value_t val, f, el;
	avro_reader_t rd;
	avro_writer_t wr;
	static char again[4096];
	size_t at, n = 0, i;
	int64_t l;
	float fl;
	double d;
	const char *str;
	const void *bytes;

	ck_assert_int_eq(avro_schema_from_json_length(schema_json,
	    sizeof(schema_json) - 1, &sch), 0);
	iface = avro_generic_class_from_schema(sch);
	at = bf_avro_array_open(&b);
	for (i = 0; i < 100; i++, n++)
		bf_avro_long(&b, edges[i % NELEM(edges)]);
	bf_avro_array_close(&b, at, n);
	bf_avro_bool(&b, true);
	bf_avro_float(&b, -1.5f);
	bf_avro_double(&b, 1e300);
	bf_avro_str(&b, "route €");
	bf_avro_bytes(&b, "\x00\xff", 2);
	bf_avro_long(&b, 1);
	bf_avro_long(&b, -42);
	bf_avro_array_close(&b, bf_avro_array_open(&b), 0);
	ck_assert(!bf_avro_failed(&b));

	ck_assert_int_eq(avro_generic_value_new(iface, &val), 0);
	rd = avro_reader_memory((const char *)b.p, (int64_t)b.len);
	ck_assert_int_eq(avro_value_read(rd, &val), 0);
	avro_reader_free(rd);
	avro_value_get_by_name(&val, "longs", &f, NULL);
	avro_value_get_size(&f, &n);
	ck_assert_uint_eq(n, 100);
	for (i = 0; i < n; i++) {
		avro_value_get_by_index(&f, i, &el, NULL);
		avro_value_get_long(&el, &l);
		ck_assert_int_eq(l, edges[i % NELEM(edges)]);
	}
	avro_value_get_by_name(&val, "f", &f, NULL);
	avro_value_get_float(&f, &fl);
	ck_assert(fl == -1.5f);
	avro_value_get_by_name(&val, "d", &f, NULL);
	avro_value_get_double(&f, &d);
	ck_assert(d == 1e300);
	avro_value_get_by_name(&val, "s", &f, NULL);
	avro_value_get_string(&f, &str, &n);
	ck_assert_str_eq(str, "route €");
	avro_value_get_by_name(&val, "by", &f, NULL);
	avro_value_get_bytes(&f, &bytes, &n);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(memcmp(bytes, "\x00\xff", 2), 0);
	ck_assert_int_eq(num(&val, "u"), -42);
	ck_assert_uint_eq(arr_len(&val, "none"), 0);

	/* avro-c writes what it read to the same bytes, and no more. */
	wr = avro_writer_memory(again, (int64_t)sizeof(again));
	ck_assert_int_eq(avro_value_write(wr, &val), 0);
	ck_assert_int_eq(avro_writer_tell(wr), (int64_t)b.len);
	ck_assert_int_eq(memcmp(again, b.p, b.len), 0);
	avro_writer_free(wr);
	avro_value_decref(&val);
	avro_value_iface_decref(iface);
	avro_schema_decref(sch);
	bf_avro_free(&b);
}
END_TEST

START_TEST(every_schema_loads_with_docs)
{
	for (int t = 0; t < BF_TOPIC_COUNT; t++) {
		struct bf_schema *s = &enc.sch[t];

		ck_assert_str_eq(s->name, bf_topic_name((enum bf_topic)t));
		ck_assert_ptr_nonnull(strstr(s->canonical, "net.bmpflow."));
		/* Canonical form drops doc strings and defaults. */
		ck_assert_ptr_null(strstr(s->canonical, "\"doc\""));
		ck_assert_ptr_null(strstr(s->canonical, "\"default\""));
	}
}
END_TEST

START_TEST(route_announce_every_field)
{
	struct bb v = { .n = 0 };
	struct bgp_route_iter it;
	struct bgp_route rt;
	const struct bf_record *r;
	avro_value_t rec;
	/* One UPDATE: 2 IPv4 NLRI and attributes incl. 4-octet AS_PATH with a
	 * set, NEXT_HOP, LOCAL_PREF (no MED), communities, large community,
	 * route target, OTC and an unknown attribute. */
	static const char attrs[] =
	    "40 01 01 00 "				/* ORIGIN igp */
	    "40 02 14 02 02 0000fde9 0000fdea 01 02 00000001 00000002 "
	    "40 03 04 c0000201 "			/* NEXT_HOP */
	    "40 05 04 00000064 "			/* LOCAL_PREF 100 */
	    "c0 08 08 fde90064 ffffff01 "		/* 65001:100, 65535:65281 */
	    "c0 20 0c 0000fde9 00000001 00000002 "	/* large */
	    "c0 10 08 0002 fde9 00000064 "		/* rt:65001:100 */
	    "c0 23 04 0000fde9 "			/* OTC 65001 */
	    "c0 63 02 abcd";				/* unknown 99 */
	uint8_t ab[256];
	size_t an = hex_bytes(attrs, ab, sizeof(ab));
	char hdr[128];

	peer_up();
	bb_hex(&v, "03 00000000 00 " PEER_HDR_POST);
	snprintf(hdr, sizeof(hdr), "ffffffffffffffffffffffffffffffff %04zx 02 "
	    "0000 %04zx", 19 + 2 + 2 + an + 4 + 3, an);
	bb_hex(&v, hdr);
	bb_hex(&v, attrs);
	bb_hex(&v, "18 c63364 10 0a01");			/* 198.51.100/24, 10.1/16 */
	decode_vec(&v);
	ck_assert(st.has_update);
	bf_enc_update_begin(&enc, &router, &st, 1700000000000000LL);
	bgp_route_iter_init(&it, st.update);
	ck_assert_int_eq(bgp_route_next(&it, &rt), 1);
	r = bf_enc_route(&enc, &rt);
	ck_assert_str_eq(r->key, "198.51.100.0/24");
	rec = read_back(r, BF_TOPIC_ROUTE);
	ck_assert_str_eq(str(&rec, "router_address"), "10.0.0.1");
	ck_assert_str_eq(str(&rec, "router_name"), "edge1");
	ck_assert_int_eq(num(&rec, "collector_time_us"), 1700000000000000LL);
	ck_assert_str_eq(str(&rec, "peer_address"), "192.0.2.1");
	ck_assert_int_eq(num(&rec, "peer_as"), 65001);
	ck_assert_str_eq(str(&rec, "peer_bgp_id"), "192.0.2.1");
	ck_assert_ptr_null(str(&rec, "peer_rd"));
	ck_assert_int_eq(num(&rec, "peer_epoch"), 1);
	ck_assert_int_eq(num(&rec, "post_policy"), 1);
	ck_assert_int_eq(num(&rec, "bmp_time_us"), 1600000000000100LL);
	ck_assert_int_eq(num(&rec, "action"), 0);
	ck_assert_str_eq(str(&rec, "family"), "ipv4-unicast");
	ck_assert_str_eq(str(&rec, "prefix"), "198.51.100.0/24");
	ck_assert_int_eq(num(&rec, "prefix_len"), 24);
	ck_assert_int_eq(num(&rec, "path_id"), -1);
	ck_assert_int_eq(num(&rec, "origin"), 0);
	ck_assert_uint_eq(arr_len(&rec, "as_path"), 4);
	ck_assert_int_eq(arr_long(&rec, "as_path", 0), 65001);
	ck_assert_int_eq(arr_long(&rec, "as_path", 3), 2);
	ck_assert_uint_eq(arr_len(&rec, "as_path_segments"), 2);
	ck_assert_int_eq(num(&rec, "as_path_len"), 3);	/* set counts 1 */
	ck_assert_int_eq(num(&rec, "origin_as"), -1);	/* ends in a set */
	ck_assert_str_eq(str(&rec, "next_hop"), "192.0.2.1");
	ck_assert_int_eq(num(&rec, "med"), -1);		/* absent, not 0 */
	ck_assert_int_eq(num(&rec, "local_pref"), 100);
	ck_assert_uint_eq(arr_len(&rec, "communities"), 2);
	ck_assert_str_eq(arr_str(&rec, "communities", 0), "65001:100");
	ck_assert_str_eq(arr_str(&rec, "communities", 1), "65535:65281");
	ck_assert_str_eq(arr_str(&rec, "large_communities", 0), "65001:1:2");
	ck_assert_str_eq(arr_str(&rec, "ext_communities", 0), "rt:65001:100");
	ck_assert_int_eq(num(&rec, "otc"), 65001);
	ck_assert_int_eq(num(&rec, "aigp"), -1);
	ck_assert_uint_eq(arr_len(&rec, "unknown_attributes"), 1);
	ck_assert_int_eq(num(&rec, "error_handling"), 0);
	avro_value_decref(&rec);

	ck_assert_int_eq(bgp_route_next(&it, &rt), 1);
	rec = read_back(bf_enc_route(&enc, &rt), BF_TOPIC_ROUTE);
	ck_assert_str_eq(str(&rec, "prefix"), "10.1.0.0/16");
	ck_assert_int_eq(arr_long(&rec, "as_path", 1), 65002);
	avro_value_decref(&rec);
	ck_assert_int_eq(bgp_route_next(&it, &rt), 0);
}
END_TEST

START_TEST(route_withdraw_has_no_attributes)
{
	struct bb v = { .n = 0 };
	struct bgp_route_iter it;
	struct bgp_route rt;
	avro_value_t rec;

	peer_up();
	bb_hex(&v, "03 00000000 00 " PEER_HDR);
	/* IPv6 withdraw through MP_UNREACH: 2001:db8::/32. */
	bb_hex(&v, "ffffffffffffffffffffffffffffffff 0022 02 0000 000b "
	    "80 0f 08 0002 01 20 20010db8");
	decode_vec(&v);
	bf_enc_update_begin(&enc, &router, &st, 1);
	bgp_route_iter_init(&it, st.update);
	ck_assert_int_eq(bgp_route_next(&it, &rt), 1);
	rec = read_back(bf_enc_route(&enc, &rt), BF_TOPIC_ROUTE);
	ck_assert_int_eq(num(&rec, "action"), 1);
	ck_assert_str_eq(str(&rec, "prefix"), "2001:db8::/32");
	ck_assert_str_eq(str(&rec, "family"), "ipv6-unicast");
	ck_assert_uint_eq(arr_len(&rec, "as_path"), 0);
	ck_assert_ptr_null(str(&rec, "next_hop"));
	ck_assert_int_eq(num(&rec, "local_pref"), -1);
	ck_assert_int_eq(num(&rec, "origin"), -1);
	avro_value_decref(&rec);
}
END_TEST

START_TEST(peer_up_and_down_records)
{
	struct bb v = { .n = 0 };
	avro_value_t rec, open, f;
	const struct bf_record *r;

	peer_up();
	r = bf_enc_peer(&enc, &router, &st, 5);
	ck_assert_str_eq(r->key, "10.0.0.1|192.0.2.1");
	rec = read_back(r, BF_TOPIC_PEER);
	ck_assert_int_eq(num(&rec, "event"), 0);
	ck_assert_int_eq(num(&rec, "peer_epoch"), 1);
	ck_assert_str_eq(str(&rec, "local_address"), "192.0.2.2");
	ck_assert_int_eq(num(&rec, "local_port"), 0xb3c1);
	ck_assert_int_eq(num(&rec, "remote_port"), 179);
	open = get(&rec, "sent_open");
	avro_value_get_current_branch(&open, &f);
	ck_assert_int_eq(num(&f, "as"), 65001);
	ck_assert_int_eq(num(&f, "hold_time"), 180);
	ck_assert_uint_eq(arr_len(&f, "families"), 2);
	ck_assert_str_eq(arr_str(&f, "families", 1), "ipv6-unicast");
	ck_assert_int_eq(num(&rec, "down_reason_code"), -1);
	avro_value_decref(&rec);

	/* Peer Down, reason 1 with a NOTIFICATION (cease/admin shutdown). */
	bb_hex(&v, "03 00000000 02 " PEER_HDR);
	bb_hex(&v, "01 ffffffffffffffffffffffffffffffff 0015 03 06 02");
	decode_vec(&v);
	rec = read_back(bf_enc_peer(&enc, &router, &st, 6), BF_TOPIC_PEER);
	ck_assert_int_eq(num(&rec, "event"), 1);
	ck_assert_int_eq(num(&rec, "down_reason_code"), 1);
	ck_assert_int_eq(num(&rec, "notification_code"), 6);
	ck_assert_int_eq(num(&rec, "notification_subcode"), 2);
	ck_assert_int_eq(num(&rec, "fsm_event"), -1);
	ck_assert_int_eq(num(&rec, "peer_epoch"), 1);
	avro_value_decref(&rec);
}
END_TEST

/* What bf_enc_message gave its sink: event/action and epoch of each. */
struct sunk {
	int	 n;
	int	 topic[8];
	int64_t	 epoch[8], what[8], sent_open[8];
};

static void
sink_read(const struct bf_record *r, void *arg)
{
	struct sunk *k = arg;
	avro_value_t rec;

	ck_assert_ptr_nonnull(r);
	ck_assert_int_lt(k->n, 8);
	rec = read_back(r, r->topic);
	k->topic[k->n] = r->topic;
	k->epoch[k->n] = num(&rec, "peer_epoch");
	k->what[k->n] = num(&rec, r->topic == BF_TOPIC_PEER ? "event" :
	    "action");
	k->sent_open[k->n] = r->topic == BF_TOPIC_PEER ?
	    num(&rec, "sent_open") : 0;
	k->n++;
	avro_value_decref(&rec);
}

/* A Route Monitoring of 198.51.100.0/24 from a peer with header hdr. */
static struct sunk
monitor(const char *hdr, enum bmp_msg_result want)
{
	struct bb v = { .n = 0 };
	struct sunk k = { .n = 0 };
	struct bf_err err;

	bb_hex(&v, "03 00000000 00 ");
	bb_hex(&v, hdr);
	bb_hex(&v, "ffffffffffffffffffffffffffffffff 002f 02 0000 0014 "
	    "40 01 01 00 40 02 06 02 01 0000fde9 40 03 04 c0000201 "
	    "18 c63364");
	bb_bmp_end(&v, 0);
	bf_err_clear(&err);
	ck_assert_int_eq(bmp_stream_decode(&st, v.b, v.n, &err), want);
	if (want == BMP_MSG_OK)
		bf_enc_message(&enc, &router, &st, 7, sink_read, &k);
	return k;
}

/*
 * Every route record belongs to an epoch that ends (issue 11): routes of
 * a peer without a Peer Up open an epoch, announced by a Peer Up record
 * without OPENs, that a Peer Down ends; after it, routes open a new one;
 * routes of a peer beyond max-peers are refused, not published with 0.
 */
START_TEST(routes_without_peer_up_get_an_epoch)
{
	struct bb v = { .n = 0 };
	struct sunk k = monitor(PEER_HDR, BMP_MSG_OK);
	int64_t first;

	ck_assert_int_eq(k.n, 2);
	ck_assert_int_eq(k.topic[0], BF_TOPIC_PEER);
	ck_assert_int_eq(k.what[0], 0);			/* up */
	ck_assert_int_eq(k.sent_open[0], -1);		/* without OPENs */
	ck_assert_int_eq(k.topic[1], BF_TOPIC_ROUTE);
	first = k.epoch[0];
	ck_assert_int_gt(first, 0);
	ck_assert_int_eq(k.epoch[1], first);
	ck_assert_uint_eq(st.st.no_peer_up, 1);

	/* The next route is of the same epoch, with no second Peer Up. */
	k = monitor(PEER_HDR, BMP_MSG_OK);
	ck_assert_int_eq(k.n, 1);
	ck_assert_int_eq(k.epoch[0], first);

	/* Its Peer Down ends it; routes after it open a newer epoch. */
	bb_hex(&v, "03 00000000 02 " PEER_HDR " 02 0000");
	decode_vec(&v);
	ck_assert_int_eq(st.peer->epoch, first);
	ck_assert(!st.peer->up);
	k = monitor(PEER_HDR, BMP_MSG_OK);
	ck_assert_int_eq(k.n, 2);
	ck_assert_int_gt(k.epoch[0], first);
	ck_assert_int_eq(k.epoch[1], k.epoch[0]);

	/* A real Peer Up starts an epoch with OPENs of its own. */
	peer_up();
	ck_assert(st.peer->has_open);
	ck_assert_int_gt(st.peer->epoch, k.epoch[0]);
	k = monitor(PEER_HDR, BMP_MSG_OK);
	ck_assert_int_eq(k.n, 1);
	ck_assert_int_eq(k.epoch[0], st.peer->epoch);

	/* A session full at max-peers refuses a new peer's routes. */
	bmp_stream_free(&st);
	ck_assert_int_eq(bmp_stream_init(&st, 1 << 20, 1), 0);
	ck_assert_int_eq(monitor(PEER_HDR, BMP_MSG_OK).n, 2);
	monitor("00 00 0000000000000000 000000000000000000000000 "
	    "c0000202 0000fdea c0000202 5f5e1000 00000064", BMP_MSG_ERROR);
	ck_assert_uint_eq(st.st.peer_limit, 1);
}
END_TEST

START_TEST(stats_and_router_records)
{
	struct bb v = { .n = 0 };
	avro_value_t rec, arr, el;
	const struct bf_record *r;

	peer_up();
	/* 3 stats: type 0 counter 7, type 7 gauge 1000, type 9 IPv6 gauge 42 */
	bb_hex(&v, "03 00000000 01 " PEER_HDR " 00000003 "
	    "0000 0004 00000007 "
	    "0007 0008 00000000000003e8 "
	    "0009 000b 0002 01 000000000000002a");
	decode_vec(&v);
	r = bf_enc_stats(&enc, &router, &st, 9);
	ck_assert_str_eq(r->key, "10.0.0.1|192.0.2.1");
	rec = read_back(r, BF_TOPIC_STATS);
	arr = get(&rec, "stats");
	avro_value_get_by_index(&arr, 2, &el, NULL);
	ck_assert_int_eq(num(&el, "type"), 9);
	ck_assert_int_eq(num(&el, "afi"), 2);
	ck_assert_int_eq(num(&el, "safi"), 1);
	ck_assert_int_eq(num(&el, "value"), 42);
	avro_value_get_by_index(&arr, 1, &el, NULL);
	ck_assert_int_eq(num(&el, "value"), 1000);
	ck_assert_int_eq(num(&el, "afi"), -1);
	avro_value_decref(&rec);

	/* Initiation with sysDescr and sysName. */
	v.n = 0;
	bb_hex(&v, "03 00000000 04 0001 0005 46524f7267 0002 0003 723031");
	decode_vec(&v);
	r = bf_enc_router(&enc, &router, BF_ROUTER_INITIATION, &st.msg, NULL,
	    10);
	ck_assert_str_eq(r->key, "10.0.0.1");
	rec = read_back(r, BF_TOPIC_ROUTER);
	ck_assert_int_eq(num(&rec, "event"), 1);
	ck_assert_str_eq(str(&rec, "sys_descr"), "FROrg");
	ck_assert_uint_eq(arr_len(&rec, "info"), 2);
	avro_value_decref(&rec);

	rec = read_back(bf_enc_router(&enc, &router, BF_ROUTER_DISCONNECTED,
	    NULL, "connection closed by router", 11), BF_TOPIC_ROUTER);
	ck_assert_int_eq(num(&rec, "event"), 3);
	ck_assert_str_eq(str(&rec, "reason"), "connection closed by router");
	ck_assert_uint_eq(arr_len(&rec, "info"), 0);
	avro_value_decref(&rec);
}
END_TEST

/* Every string in v, at any depth, is valid UTF-8. */
static void
assert_strings_utf8(avro_value_t *v)
{
	avro_value_t child;
	const char *s, *name;
	size_t n;

	switch (avro_value_get_type(v)) {
	case AVRO_STRING:
		avro_value_get_string(v, &s, &n);
		ck_assert_uint_eq(bf_utf8_valid_len(cur_make((const uint8_t *)s,
		    n - 1)), n - 1);
		break;
	case AVRO_RECORD:
	case AVRO_ARRAY:
		avro_value_get_size(v, &n);
		for (size_t i = 0; i < n; i++) {
			avro_value_get_by_index(v, i, &child, &name);
			assert_strings_utf8(&child);
		}
		break;
	case AVRO_UNION:
		avro_value_get_current_branch(v, &child);
		assert_strings_utf8(&child);
		break;
	default:
		break;
	}
}

/* info[i].value of a router or peer record. */
static const char *
info_value(avro_value_t *rec, size_t i)
{
	avro_value_t arr = get(rec, "info"), el;

	ck_assert_int_eq(avro_value_get_by_index(&arr, i, &el, NULL), 0);
	return str(&el, "value");
}

/*
 * An Initiation with a Latin-1 sysName ("r\xe9seau-1") and a sysDescr cut
 * inside a character: U+FFFD in their place in every string, each TLV
 * counted once for the metric, the latest named for the log.
 */
START_TEST(router_text_is_valid_utf8)
{
	struct bb v = { .n = 0 };
	struct bf_router rt = { .addr = "10.0.0.1" };
	avro_value_t rec;

	/* sysDescr "FRR é" + the first 2 of the 3 bytes of "€", sysName. */
	bb_hex(&v, "03 00000000 04 0001 0008 46525220c3a9e282 "
	    "0002 0008 72e9736561752d31");
	decode_vec(&v);
	/* What the collector does with an Initiation's sysName. */
	bf_info_tlv_text(st.msg.u.info_tlvs, BMP_INFO_SYSNAME, rt.name,
	    sizeof(rt.name));
	ck_assert_str_eq(rt.name, "r\xef\xbf\xbdseau-1");
	rec = read_back(bf_enc_router(&enc, &rt, BF_ROUTER_INITIATION,
	    &st.msg, NULL, 1), BF_TOPIC_ROUTER);
	assert_strings_utf8(&rec);
	ck_assert_str_eq(str(&rec, "router_name"), "r\xef\xbf\xbdseau-1");
	ck_assert_str_eq(str(&rec, "sys_descr"), "FRR \xc3\xa9\xef\xbf\xbd");
	ck_assert_str_eq(info_value(&rec, 0), "FRR \xc3\xa9\xef\xbf\xbd");
	ck_assert_str_eq(info_value(&rec, 1), "r\xef\xbf\xbdseau-1");
	ck_assert_uint_eq(enc.invalid_utf8, 2);
	ck_assert_str_eq(enc.invalid_utf8_tlv, "sysName");
	avro_value_decref(&rec);

	/* Valid text is not counted; control bytes still go out as hex. */
	v.n = 0;
	bb_hex(&v, "03 00000000 04 0002 0008 72c3a97365617531 0000 0002 0001");
	decode_vec(&v);
	rec = read_back(bf_enc_router(&enc, &rt, BF_ROUTER_INITIATION,
	    &st.msg, NULL, 2), BF_TOPIC_ROUTER);
	ck_assert_str_eq(info_value(&rec, 0), "r\xc3\xa9seau1");
	ck_assert_str_eq(info_value(&rec, 1), "0001");
	ck_assert_uint_eq(enc.invalid_utf8, 2);
	avro_value_decref(&rec);
}
END_TEST

/* A Peer Up's VRF/table name TLV (RFC 9069) that is not UTF-8. */
START_TEST(peer_text_is_valid_utf8)
{
	avro_value_t rec;

	peer_up_opens(OPEN, OPEN, "0003 0005 ff56524631");
	rec = read_back(bf_enc_peer(&enc, &router, &st, 1), BF_TOPIC_PEER);
	assert_strings_utf8(&rec);
	ck_assert_str_eq(info_value(&rec, 0), "\xef\xbf\xbdVRF1");
	ck_assert_uint_eq(enc.invalid_utf8, 1);
	ck_assert_str_eq(enc.invalid_utf8_tlv, "vrf_table_name");
	avro_value_decref(&rec);
}
END_TEST

#define MARKER "ffffffffffffffffffffffffffffffff"
/* End-of-RIB markers (RFC 4724 §2) in each kind of view. */
static const struct {
	const char	*name;
	const char	*peer_hdr;
	const char	*update;
	const char	*family;
	int		 rib;		/* Rib symbol */
	int		 post_policy, filtered;
	int64_t		 epoch;		/* 2: the Loc-RIB "peer" had no Peer
					 * Up, its marker opened an epoch */
	const char	*key;
} eor_vectors[] = {
	{ "IPv4: empty UPDATE, Adj-RIB-In post-policy", PEER_HDR_POST,
	    MARKER "0017 02 0000 0000", "ipv4-unicast", 0, 1, 0, 1,
	    "10.0.0.1|192.0.2.1 eor ipv4-unicast adj-in-post" },
	{ "IPv6: MP_UNREACH without NLRI, Adj-RIB-Out pre-policy",
	    "00 10 0000000000000000 000000000000000000000000 c0000201 "
	    "0000fde9 c0000201 5f5e1000 00000064",
	    MARKER "001d 02 0000 0006 800f03 0002 01", "ipv6-unicast", 1, 0,
	    0, 1, "10.0.0.1|192.0.2.1 eor ipv6-unicast adj-out-pre" },
	{ "VPNv4 in a filtered Loc-RIB",
	    "03 80 0000000000000000 00000000000000000000000000000000 "
	    "0000fde9 c0000201 5f5e1000 00000064",
	    MARKER "001d 02 0000 0006 800f03 0001 80", "vpnv4-unicast", 2, 0,
	    1, 2, "10.0.0.1| eor vpnv4-unicast loc-rib" },
};

START_TEST(end_of_rib_is_a_peer_record)
{
	struct bb v = { .n = 0 };
	struct bgp_route_iter it;
	struct bgp_route rt;
	const struct bf_record *r;
	avro_value_t rec;

	peer_up();
	bb_hex(&v, "03 00000000 00");
	bb_hex(&v, eor_vectors[_i].peer_hdr);
	bb_hex(&v, eor_vectors[_i].update);
	decode_vec(&v);
	ck_assert(st.has_update && st.update->eor);
	bgp_route_iter_init(&it, st.update);
	ck_assert_int_eq(bgp_route_next(&it, &rt), 0);
	r = bf_enc_end_of_rib(&enc, &router, &st, 42);
	ck_assert_str_eq(r->key, eor_vectors[_i].key);
	rec = read_back(r, BF_TOPIC_PEER);
	ck_assert_int_eq(num(&rec, "event"), 2);
	ck_assert_str_eq(str(&rec, "family"), eor_vectors[_i].family);
	ck_assert_int_eq(num(&rec, "rib"), eor_vectors[_i].rib);
	ck_assert_int_eq(num(&rec, "post_policy"), eor_vectors[_i].post_policy);
	ck_assert_int_eq(num(&rec, "loc_rib_filtered"),
	    eor_vectors[_i].filtered);
	ck_assert_int_eq(num(&rec, "peer_epoch"), eor_vectors[_i].epoch);
	ck_assert(st.opened == (eor_vectors[_i].epoch == 2));
	ck_assert_int_eq(num(&rec, "peer_as"), 65001);
	ck_assert_int_eq(num(&rec, "bmp_time_us"), 1600000000000100LL);
	ck_assert_int_eq(num(&rec, "collector_time_us"), 42);
	ck_assert_str_eq(str(&rec, "router_name"), "edge1");
	/* A Peer Up/Down's own fields stay null. */
	ck_assert_ptr_null(str(&rec, "local_address"));
	ck_assert_int_eq(num(&rec, "local_port"), -1);
	ck_assert_int_eq(num(&rec, "sent_open"), -1);
	ck_assert_int_eq(num(&rec, "received_open"), -1);
	ck_assert_uint_eq(arr_len(&rec, "info"), 0);
	ck_assert_int_eq(num(&rec, "down_reason_code"), -1);
	ck_assert_ptr_null(str(&rec, "down_reason"));
	ck_assert_int_eq(num(&rec, "notification_code"), -1);
	avro_value_decref(&rec);

	/* The next Peer Up has no family. */
	peer_up();
	rec = read_back(bf_enc_peer(&enc, &router, &st, 43), BF_TOPIC_PEER);
	ck_assert_int_eq(num(&rec, "event"), 0);
	ck_assert_ptr_null(str(&rec, "family"));
	avro_value_decref(&rec);
}
END_TEST

START_TEST(raw_record_is_verbatim)
{
	static const uint8_t msg[] = { 3, 0, 0, 0, 6, 4 };
	avro_value_t rec, f;
	const void *p;
	size_t n;

	rec = read_back(bf_enc_raw(&enc, &router, msg, sizeof(msg), 1),
	    BF_TOPIC_RAW);
	ck_assert_int_eq(num(&rec, "bmp_type"), 4);
	f = get(&rec, "message");
	avro_value_get_bytes(&f, &p, &n);
	ck_assert_uint_eq(n, sizeof(msg));
	ck_assert_mem_eq(p, msg, n);
	avro_value_decref(&rec);
}
END_TEST

/*
 * The route a plugin gets for an UPDATE with these path attributes (hex),
 * from the collector's encoder through the host's decoder; the record.
 */
static const struct bf_record *
route_of(struct bf_records_in *in, const char *attrs)
{
	struct bb v = { .n = 0 };
	struct bgp_route_iter it;
	struct bgp_route rt;
	const struct bf_record *r;
	uint8_t ab[128];
	size_t an = hex_bytes(attrs, ab, sizeof(ab));
	char hdr[128], err[256];

	bb_hex(&v, "03 00000000 00 " PEER_HDR);
	snprintf(hdr, sizeof(hdr), "ffffffffffffffffffffffffffffffff %04zx 02 "
	    "0000 %04zx", 19 + 2 + 2 + an + 4, an);
	bb_hex(&v, hdr);
	bb_hex(&v, attrs);
	bb_hex(&v, "18 c63364");
	decode_vec(&v);
	bf_enc_update_begin(&enc, &router, &st, 99);
	bgp_route_iter_init(&it, st.update);
	ck_assert_int_eq(bgp_route_next(&it, &rt), 1);
	r = bf_enc_route(&enc, &rt);
	ck_assert_msg(bf_records_in_decode(in, r->value, r->value_len, err,
	    sizeof(err)) == BF_IN_ROUTE, "%s", err);
	return r;
}

/*
 * The three record formats carry the same record: the host decodes a
 * route and a Peer Up alike from each; JSON converts back to the very
 * Avro body; an avro-confluent header holds the registry id; cut records
 * and JSON of the wrong shape are refused, naming the field.
 */
START_TEST(formats_carry_the_same_record)
{
	static const char attrs[] =
	    "40 01 01 00 "
	    "40 02 0e 02 03 0000fde9 0000fdea 0000fdeb "
	    "40 03 04 c0000201 "
	    "c0 08 04 fde90064";
	static uint8_t avro_body[4096], json[8192];
	size_t avro_len = 0, json_len = 0;
	struct bf_records_in in;
	const struct bf_record *r;
	struct bf_avro_buf back = { 0 };
	char err[256] = "";

	ck_assert_msg(bf_records_in_init(&in, BMPFLOW_SCHEMA_DIR, err,
	    sizeof(err)) == 0, "%s", err);
	peer_up();	/* one session: the same epoch in every format */
	for (int f = BF_FORMAT_AVRO; f <= BF_FORMAT_JSON; f++) {
		ck_assert_int_eq(bf_encoder_set_format(&enc, BF_TOPIC_PEER,
		    (enum bf_format)f, 4243), 0);
		/* The registry id as a lookup would have kept it. */
		in.reader.last_id = 4243;
		in.reader.last_id_schema = BF_IN_PEER + 1;
		r = bf_enc_peer(&enc, &router, &st, 7);
		ck_assert_msg(bf_records_in_decode(&in, r->value, r->value_len,
		    err, sizeof(err)) == BF_IN_PEER, "%s: %s",
		    bf_format_names[f], err);
		ck_assert_int_eq(in.peer.kind, BF_SESSION_UP);
		ck_assert_str_eq(in.sess.peer, "192.0.2.1");
		ck_assert_uint_eq(in.sess.peer_as, 65001);
	}
	for (int f = BF_FORMAT_AVRO; f <= BF_FORMAT_JSON; f++) {
		ck_assert_int_eq(bf_encoder_set_format(&enc, BF_TOPIC_ROUTE,
		    (enum bf_format)f, 4242), 0);
		in.reader.last_id = 4242;
		in.reader.last_id_schema = BF_IN_ROUTE + 1;
		r = route_of(&in, attrs);
		ck_assert_str_eq(in.route.prefix, "198.51.100.0/24");
		ck_assert_uint_eq(in.route.as_path_count, 3);
		ck_assert_uint_eq(in.route.origin_as, 65003);
		ck_assert_str_eq(in.route.next_hop, "192.0.2.1");
		ck_assert_uint_eq(in.route.communities[0], 65001u << 16 | 100);
		ck_assert_int_eq(in.route.bmp_time_us, 1600000000000100LL);
		switch (f) {
		case BF_FORMAT_AVRO:
			ck_assert_uint_eq(r->value[0], 0xc3);
			avro_len = r->value_len - BF_SINGLE_OBJECT_HDR;
			memcpy(avro_body, r->value + BF_SINGLE_OBJECT_HDR,
			    avro_len);
			break;
		case BF_FORMAT_CONFLUENT:
			/* 00, id 4242 big-endian, the same body. */
			ck_assert_uint_eq(r->value_len, BF_CONFLUENT_HDR +
			    avro_len);
			ck_assert_mem_eq(r->value, "\x00\x00\x00\x10\x92", 5);
			ck_assert_mem_eq(r->value + 5, avro_body, avro_len);
			for (size_t cut = 0; cut < r->value_len; cut++)
				ck_assert_int_eq(bf_records_in_decode(&in,
				    r->value, cut, err, sizeof(err)), -1);
			break;
		case BF_FORMAT_JSON:
			ck_assert_uint_eq(r->value[0], '{');
			json_len = r->value_len;
			memcpy(json, r->value, json_len);
			for (size_t cut = 0; cut < json_len; cut++)
				ck_assert_int_eq(bf_records_in_decode(&in,
				    json, cut, err, sizeof(err)), -1);
			break;
		}
	}
	/* JSON back to Avro: the very bytes the avro format holds. */
	ck_assert_msg(bf_json_to_avro(json, json_len, in.scan_of[BF_IN_ROUTE],
	    &back, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(back.len, avro_len);
	ck_assert_mem_eq(back.p, avro_body, avro_len);
	/* Wrong shapes, named. */
	ck_assert_int_eq(bf_json_to_avro((const uint8_t *)"{\"router_address\""
	    ":7}", 20, in.scan_of[BF_IN_ROUTE], &back, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "field 'router_address': expected a string "
	    "(string)");
	ck_assert_int_eq(bf_records_in_decode(&in, (const uint8_t *)
	    "{\"action\":\"announce\"}", 21, err, sizeof(err)), -1);
	ck_assert_msg(strncmp(err, "field '", 7) == 0, "%s", err);
	/* An id no registry was asked about, and none to ask. */
	in.reader.last_id_schema = 0;
	ck_assert_int_eq(bf_records_in_decode(&in, (const uint8_t *)
	    "\x00\x00\x00\x00\x09\x02", 6, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "avro-confluent record of schema id 9: reading "
	    "it needs schema-registry-url");
	bf_avro_free(&back);
	bf_records_in_free(&in);
}
END_TEST

/*
 * The processor host's side: a record the collector wrote, decoded into
 * the plain structs a plugin gets.
 */
START_TEST(route_and_peer_reach_plugins_intact)
{
	struct bf_records_in in;
	const struct bf_record *r;
	char err[256] = "";
	static const char attrs[] =
	    "40 01 01 00 "
	    "40 02 0e 02 03 0000fde9 0000fdea 0000fdeb "
	    "40 03 04 c0000201 "
	    "80 04 04 00000005 "
	    "c0 08 04 fde90064 "
	    "c0 20 0c 0000fde9 00000001 00000002";

	ck_assert_msg(bf_records_in_init(&in, BMPFLOW_SCHEMA_DIR, err,
	    sizeof(err)) == 0, "%s", err);
	peer_up();
	r = bf_enc_peer(&enc, &router, &st, 7);
	ck_assert_int_eq(bf_records_in_decode(&in, r->value, r->value_len, err,
	    sizeof(err)), BF_IN_PEER);
	ck_assert_int_eq(in.peer.kind, BF_SESSION_UP);
	ck_assert(in.peer.has_open);
	ck_assert_uint_eq(in.peer.epoch, 1);
	ck_assert_str_eq(in.sess.router, "10.0.0.1");
	ck_assert_str_eq(in.sess.peer, "192.0.2.1");
	ck_assert_ptr_null(in.sess.peer_rd);
	ck_assert_uint_eq(in.sess.peer_type, 0);
	ck_assert_uint_eq(in.sess.peer_as, 65001);
	ck_assert_int_eq(in.sess.view, BF_VIEW_ADJ_IN_PRE);
	ck_assert_ptr_null(in.peer.local_role);
	ck_assert_ptr_null(in.peer.peer_role);

	r = route_of(&in, attrs);
	ck_assert(!in.route.withdraw);
	ck_assert_str_eq(in.route.prefix, "198.51.100.0/24");
	ck_assert_uint_eq(in.route.family, 4);
	ck_assert_uint_eq(in.route.prefix_len, 24);
	ck_assert_uint_eq(in.route.addr[0], 198);
	ck_assert_uint_eq(in.route.addr[2], 100);
	ck_assert_uint_eq(in.route.epoch, 1);
	ck_assert_uint_eq(in.route.as_path_count, 3);
	ck_assert_uint_eq(in.route.as_path[2], 65003);
	ck_assert_uint_eq(in.route.as_path_len, 3);
	ck_assert(in.route.has_origin_as);
	ck_assert_uint_eq(in.route.origin_as, 65003);
	ck_assert_str_eq(in.route.next_hop, "192.0.2.1");
	ck_assert(in.route.has_med);
	ck_assert_uint_eq(in.route.med, 5);
	ck_assert(!in.route.has_local_pref);
	ck_assert_uint_eq(in.route.n_communities, 1);
	ck_assert_uint_eq(in.route.communities[0], 65001u << 16 | 100);
	ck_assert_uint_eq(in.route.n_large_communities, 1);
	ck_assert_uint_eq(in.route.large_communities[0].local2, 2);
	ck_assert_int_eq(in.route.collector_time_us, 99);
	ck_assert_int_eq(in.route.bmp_time_us, 1600000000000100LL);
	ck_assert_str_eq(in.sess.router, "10.0.0.1");
	ck_assert_str_eq(in.sess.peer, "192.0.2.1");
	ck_assert_int_eq(in.route.view, BF_VIEW_ADJ_IN_PRE);
	ck_assert_uint_eq(in.route.n_segments, 1);
	ck_assert_uint_eq(in.route.segments[0].type, BF_SEG_SEQUENCE);
	ck_assert_uint_eq(in.route.segments[0].start, 0);
	ck_assert_uint_eq(in.route.segments[0].count, 3);
	for (size_t cut = 0; cut < r->value_len; cut++)
		ck_assert_int_eq(bf_records_in_decode(&in, r->value, cut, err,
		    sizeof(err)), -1);

	/* Not a record: a clear error, nothing decoded. */
	ck_assert_int_eq(bf_records_in_decode(&in, (const uint8_t *)"xy", 2,
	    err, sizeof(err)), -1);
	ck_assert_str_eq(err, "not a record of format avro, avro-confluent or "
	    "json (first byte 0x78)");
	/* Roles: the router's from its sent OPEN, the neighbour's from the
	 * OPEN it received. */
	peer_up_opens(OPEN_ROLE("00"), OPEN_ROLE("03"), "");
	r = bf_enc_peer(&enc, &router, &st, 8);
	ck_assert_int_eq(bf_records_in_decode(&in, r->value, r->value_len, err,
	    sizeof(err)), BF_IN_PEER);
	ck_assert_str_eq(in.peer.local_role, "provider");
	ck_assert_str_eq(in.peer.peer_role, "customer");
	/* Cut at every length, or with a byte more: refused, saying where. */
	for (size_t cut = 0; cut < r->value_len; cut++)
		ck_assert_int_eq(bf_records_in_decode(&in, r->value, cut, err,
		    sizeof(err)), -1);
	{
		uint8_t longer[4096];

		ck_assert_uint_lt(r->value_len, sizeof(longer));
		memcpy(longer, r->value, r->value_len);
		longer[r->value_len] = 0;
		ck_assert_int_eq(bf_records_in_decode(&in, longer,
		    r->value_len + 1, err, sizeof(err)), -1);
		ck_assert_msg(strstr(err, "bad peer record") != NULL, "%s", err);
	}
	bf_records_in_free(&in);
}
END_TEST

/* ---- the processor's output encoder ---------------------------------------- */

static uint8_t out_rec[4096];
static size_t out_len;
static int out_n;
static int32_t out_partition;

/*
 * AS path segments reach plugins; a path ending in an AS_SET has no
 * origin; an empty path (a route of our own AS, from an iBGP peer or the
 * Loc-RIB) has the session's peer AS as origin, never 0.
 */
START_TEST(path_segments_and_origin)
{
	struct bf_records_in in;
	char err[256] = "";

	ck_assert_msg(bf_records_in_init(&in, BMPFLOW_SCHEMA_DIR, err,
	    sizeof(err)) == 0, "%s", err);
	peer_up();
	/* 65001 {65002 65003}: a sequence, then a set. */
	route_of(&in, "40 01 01 00 40 02 10 02 01 0000fde9 01 02 0000fdea "
	    "0000fdeb 40 03 04 c0000201");
	ck_assert_uint_eq(in.route.as_path_count, 3);
	ck_assert_uint_eq(in.route.as_path_len, 2);
	ck_assert_uint_eq(in.route.n_segments, 2);
	ck_assert_uint_eq(in.route.segments[0].type, BF_SEG_SEQUENCE);
	ck_assert_uint_eq(in.route.segments[0].count, 1);
	ck_assert_uint_eq(in.route.segments[1].type, BF_SEG_SET);
	ck_assert_uint_eq(in.route.segments[1].start, 1);
	ck_assert_uint_eq(in.route.segments[1].count, 2);
	ck_assert(!in.route.has_origin_as);
	/* Empty AS_PATH: origin is the peer AS of the session (65001). */
	route_of(&in, "40 01 01 00 40 02 00 40 03 04 c0000201");
	ck_assert_uint_eq(in.route.as_path_count, 0);
	ck_assert_uint_eq(in.route.n_segments, 0);
	ck_assert(in.route.has_origin_as);
	ck_assert_uint_eq(in.route.origin_as, 65001);
	bf_records_in_free(&in);
}
END_TEST

static void
out_sink(void *arg, const char *key, int32_t partition, const uint8_t *value,
    size_t len)
{
	(void)arg;
	ck_assert_str_eq(key, "198.51.100.0/24");
	ck_assert_uint_le(len, sizeof(out_rec));
	memcpy(out_rec, value, len);
	out_len = len;
	out_partition = partition;
	out_n++;
}

/*
 * bf_emit_* write what avro-c reads back: every kind of field, set, unset
 * (null or zero) and null, by the ids bf_field gave; a wrong name has no
 * id, and a wrong id or type drops the record.
 */
START_TEST(plugin_output_encoding)
{
	static const int64_t origins[] = { 65001, -1, 4200000000LL };
	static const char *const reasons[] = { "visibility", "flapping" };
	enum { PREFIX, AFI, PEERS_UP, VIS, MOAS, ORIGINS, REASONS, PREV,
	    MEDIAN, MIN_LEN, N_IDS };
	static const char *const names[N_IDS] = { "prefix", "afi",
	    "peers_up", "visibility_pct", "moas", "origins",
	    "degraded_reasons", "previous_state", "median_path_len",
	    "min_path_len" };
	struct two_ids { int afi, no_such; } ids = { -2, -2 };
	static const struct bf_field_decl decl[] = {
		{ "afi", offsetof(struct two_ids, afi) },
		{ "no_such_field", offsetof(struct two_ids, no_such) },
	};
	int id[N_IDS];
	struct bf_host h;
	avro_value_t val, f, b, el;
	avro_reader_t rd;
	char err[256];
	const char *s;
	size_t n;
	int64_t l;
	double d;
	int bo;
	uint64_t fp;

	ck_assert_msg(bf_host_init(&h, BMPFLOW_SCHEMA_DIR, "prefix_health",
	    out_sink, NULL, err, sizeof(err)) == 0, "%s", err);
	for (int i = 0; i < N_IDS; i++)
		ck_assert_int_ge(id[i] = bf_field(&h, names[i]), 0);
	ck_assert_int_eq(bf_field(&h, "afi"), id[AFI]);	/* again: same */
	ck_assert_int_eq(bf_field(&h, "no_such_field"), -1);
	/* A table: ids up to the missing field, which err names. */
	ck_assert_int_eq(bf_declare_fields(&h, &ids, decl, 2, err,
	    sizeof(err)), -1);
	ck_assert_int_eq(ids.afi, id[AFI]);
	ck_assert_int_eq(ids.no_such, -2);
	ck_assert_ptr_nonnull(strstr(err, "\"no_such_field\""));
	out_n = 0;
	bf_emit_begin(&h, "198.51.100.0/24", 7);
	ck_assert_int_eq(bf_emit_str(&h, id[PREFIX], "198.51.100.0/24"), 0);
	ck_assert_int_eq(bf_emit_long(&h, id[AFI], 4), 0);
	ck_assert_int_eq(bf_emit_long(&h, id[PEERS_UP], 1), 0);
	ck_assert_int_eq(bf_emit_long(&h, id[PEERS_UP], -300), 0); /* again */
	ck_assert_int_eq(bf_emit_double(&h, id[VIS], 66.5), 0);
	ck_assert_int_eq(bf_emit_bool(&h, id[MOAS], true), 0);
	ck_assert_int_eq(bf_emit_long_array(&h, id[ORIGINS], origins, 3), 0);
	ck_assert_int_eq(bf_emit_str_array(&h, id[REASONS], reasons, 2), 0);
	ck_assert_int_eq(bf_emit_null(&h, id[PREV]), 0);
	ck_assert_int_eq(bf_emit_double(&h, id[MEDIAN], 2.5), 0);
	ck_assert_int_eq(bf_emit_long(&h, id[MIN_LEN], 3), 0);
	ck_assert_int_eq(bf_emit_end(&h), 0);
	ck_assert_int_eq(out_n, 1);
	ck_assert_int_eq(out_partition, 7);
	ck_assert_int_eq(bf_single_object_fingerprint(out_rec, out_len, &fp),
	    0);
	ck_assert_uint_eq(fp, h.sch.fingerprint);
	ck_assert_int_eq(avro_generic_value_new(h.sch.iface, &val), 0);
	rd = avro_reader_memory((const char *)out_rec + BF_SINGLE_OBJECT_HDR,
	    (int64_t)(out_len - BF_SINGLE_OBJECT_HDR));
	ck_assert_int_eq(avro_value_read(rd, &val), 0);
	avro_reader_free(rd);
	ck_assert_int_eq(avro_value_sizeof(&val, &n), 0);
	ck_assert_uint_eq(n, out_len - BF_SINGLE_OBJECT_HDR);
	f = get(&val, "prefix");
	avro_value_get_string(&f, &s, &n);
	ck_assert_str_eq(s, "198.51.100.0/24");
	f = get(&val, "state");				/* unset: empty */
	avro_value_get_string(&f, &s, &n);
	ck_assert_str_eq(s, "");
	ck_assert_int_eq(num(&val, "afi"), 4);
	ck_assert_int_eq(num(&val, "peers_up"), -300);
	ck_assert_int_eq(num(&val, "routes"), 0);		/* unset: zero */
	f = get(&val, "visibility_pct");
	avro_value_get_double(&f, &d);
	ck_assert_double_eq(d, 66.5);
	f = get(&val, "flap_penalty");
	avro_value_get_double(&f, &d);
	ck_assert_double_eq(d, 0);
	f = get(&val, "moas");
	avro_value_get_boolean(&f, &bo);
	ck_assert(bo);
	f = get(&val, "origins");
	avro_value_get_size(&f, &n);
	ck_assert_uint_eq(n, 3);
	avro_value_get_by_index(&f, 2, &el, NULL);
	avro_value_get_long(&el, &l);
	ck_assert_int_eq(l, 4200000000LL);
	avro_value_get_by_index(&f, 1, &el, NULL);
	avro_value_get_long(&el, &l);
	ck_assert_int_eq(l, -1);
	f = get(&val, "unexpected_origins");		/* unset: empty */
	avro_value_get_size(&f, &n);
	ck_assert_uint_eq(n, 0);
	f = get(&val, "degraded_reasons");
	avro_value_get_size(&f, &n);
	ck_assert_uint_eq(n, 2);
	avro_value_get_by_index(&f, 1, &el, NULL);
	avro_value_get_string(&el, &s, &n);
	ck_assert_str_eq(s, "flapping");
	f = get(&val, "previous_state");
	avro_value_get_current_branch(&f, &b);
	ck_assert_int_eq(avro_value_get_type(&b), AVRO_NULL);
	f = get(&val, "target_hops");			/* unset: null */
	avro_value_get_current_branch(&f, &b);
	ck_assert_int_eq(avro_value_get_type(&b), AVRO_NULL);
	f = get(&val, "median_path_len");
	avro_value_get_current_branch(&f, &b);
	avro_value_get_double(&b, &d);
	ck_assert_double_eq(d, 2.5);
	f = get(&val, "min_path_len");
	avro_value_get_current_branch(&f, &b);
	avro_value_get_long(&b, &l);
	ck_assert_int_eq(l, 3);
	avro_value_decref(&val);

	/* No such id, or another type: refused, the record dropped. */
	bf_emit_begin(&h, "198.51.100.0/24", -1);
	ck_assert_int_eq(bf_emit_long(&h, -1, 1), -1);
	ck_assert_int_eq(bf_emit_end(&h), -1);
	bf_emit_begin(&h, "198.51.100.0/24", -1);
	ck_assert_int_eq(bf_emit_str(&h, (int)h.n_fields, "x"), -1);
	ck_assert_int_eq(bf_emit_end(&h), -1);
	bf_emit_begin(&h, "198.51.100.0/24", -1);
	ck_assert_int_eq(bf_emit_str(&h, id[AFI], "4"), -1);
	ck_assert_int_eq(bf_emit_null(&h, id[PREFIX]), -1);
	ck_assert_int_eq(bf_emit_end(&h), -1);
	ck_assert_int_eq(out_n, 1);
	ck_assert_uint_eq(h.dropped, 3);
	bf_host_free(&h);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("records");
	TCase *tc = tcase_create("encode");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, crc64_avro_known_values);
	tcase_add_test(tc, formats_carry_the_same_record);
	tcase_add_test(tc, avro_writer_matches_avro_c);
	tcase_add_test(tc, every_schema_loads_with_docs);
	tcase_add_test(tc, route_announce_every_field);
	tcase_add_test(tc, route_withdraw_has_no_attributes);
	tcase_add_test(tc, peer_up_and_down_records);
	tcase_add_test(tc, routes_without_peer_up_get_an_epoch);
	tcase_add_test(tc, stats_and_router_records);
	tcase_add_test(tc, router_text_is_valid_utf8);
	tcase_add_test(tc, peer_text_is_valid_utf8);
	tcase_add_loop_test(tc, end_of_rib_is_a_peer_record, 0,
	    sizeof(eor_vectors) / sizeof(eor_vectors[0]));
	tcase_add_test(tc, raw_record_is_verbatim);
	tcase_add_test(tc, route_and_peer_reach_plugins_intact);
	tcase_add_test(tc, path_segments_and_origin);
	tcase_add_test(tc, plugin_output_encoding);
	suite_add_tcase(s, tc);
	return bf_run_suite(s);
}
