/* SPDX-License-Identifier: Apache-2.0 */
/*
 * records_in.c: Avro records → plugin structs.
 *
 * The record body is scanned in place (avro_scan.h): the fields plugins
 * get are read, every other field is stepped over, nothing is allocated.
 * Strings are copied NUL-terminated into the decoder's own buffer.
 */
#include "records_in.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum in_field {
	I_ROUTER, I_PEER, I_PEER_RD, I_PEER_AS, I_PEER_TYPE, I_RIB,
	I_POST_POLICY, I_EPOCH, I_BMP_TIME, I_COLLECTOR_TIME,
	/* route */
	I_ACTION, I_AFI, I_PREFIX, I_PREFIX_LEN, I_RD, I_PATH_ID,
	I_AS_PATH_SEGMENTS, I_AS_PATH_LEN, I_ORIGIN_AS, I_NEXT_HOP, I_MED, I_LOCAL_PREF,
	I_COMMUNITIES, I_LARGE, I_OTC,
	/* peer */
	I_EVENT, I_DOWN_REASON, I_SENT_OPEN, I_RECEIVED_OPEN,
	I_FAMILY,	/* End-of-RIB; optional: schemas before it lack it */
	I_COUNT,
};

static const char *const in_names[I_COUNT] = {
	"router_address", "peer_address", "peer_rd", "peer_as", "peer_type",
	"rib", "post_policy", "peer_epoch", "bmp_time_us", "collector_time_us",
	"action", "afi", "prefix", "prefix_len", "rd", "path_id",
	"as_path_segments", "as_path_len", "origin_as", "next_hop", "med", "local_pref",
	"communities", "large_communities", "otc",
	"event", "down_reason", "sent_open", "received_open", "family",
};

/* bmp.peer event symbols, as schemas/peer.avsc orders them. */
enum { EV_UP, EV_DOWN, EV_END_OF_RIB };

/* AsPathSegmentType symbols of route.avsc → enum bf_seg_type (0: other). */
static const uint8_t seg_type_of[] = { BF_SEG_SET, BF_SEG_SEQUENCE,
    BF_SEG_CONFED_SEQUENCE, BF_SEG_CONFED_SET };

static const char *const kind_schema[BF_IN_KINDS] = { "route", "peer" };

/* What one record's scan found, by enum in_field. */
struct scanned {
	bool		 has[I_COUNT];
	int64_t		 num[I_COUNT];
	const char	*str[I_COUNT];
};

static bool
wanted(int kind, int f)
{
	return f < I_ACTION || (kind == BF_IN_ROUTE ? f <= I_OTC :
	    f >= I_EVENT);
}

int
bf_records_in_init(struct bf_records_in *d, const char *dir, char *errbuf,
    size_t errlen)
{
	memset(d, 0, sizeof(*d));
	for (int k = 0; k < BF_IN_KINDS; k++) {
		struct bf_in_schema *in = &d->in[k];
		avro_schema_t s;
		int open_at;

		errbuf[0] = '\0';
		if (bf_schema_load(&in->sch, dir, kind_schema[k], errbuf,
		    errlen) < 0 ||
		    (in->scan = bf_scan_compile(in->sch.schema)) == NULL ||
		    in->scan->n > BF_IN_MAX_FIELDS) {
			if (errbuf[0] == '\0')
				snprintf(errbuf, errlen, "%s/%s.avsc: cannot "
				    "compile", dir, kind_schema[k]);
			bf_records_in_free(d);
			return -1;
		}
		memset(in->field_of, -1, sizeof(in->field_of));
		for (int f = 0; f < I_COUNT; f++) {
			int i = avro_schema_record_field_get_index(in->sch.schema,
			    in_names[f]);

			if (!wanted(k, f))
				continue;
			if (i < 0 && f == I_FAMILY)
				continue;
			if (i < 0) {
				snprintf(errbuf, errlen, "%s/%s.avsc has no field "
				    "%s", dir, kind_schema[k], in_names[f]);
				bf_records_in_free(d);
				return -1;
			}
			in->field_of[i] = (int8_t)f;
		}
		/*
		 * Where the Role capability sits in the OPEN records.  By
		 * index: avro-c's lookup by name reads an uninitialised
		 * pointer for a field the record lacks (route.avsc).
		 */
		in->open_role = -1;
		open_at = avro_schema_record_field_get_index(in->sch.schema,
		    "sent_open");
		s = open_at >= 0 ? avro_schema_record_field_get_by_index(
		    in->sch.schema, open_at) : NULL;
		for (size_t b = 0; s != NULL && avro_typeof(s) == AVRO_UNION &&
		    b < avro_schema_union_size(s); b++) {
			avro_schema_t r = avro_schema_union_branch(s, (int)b);

			if (avro_typeof(r) == AVRO_RECORD)
				in->open_role =
				    avro_schema_record_field_get_index(r,
				    "role");
		}
		d->sch_of[k] = &in->sch;
		d->scan_of[k] = in->scan;
	}
	d->reader.schemas = d->sch_of;
	d->reader.scans = d->scan_of;
	d->reader.n = BF_IN_KINDS;
	return 0;
}

void
bf_records_in_free(struct bf_records_in *d)
{
	bf_record_reader_free(&d->reader);
	for (int k = 0; k < BF_IN_KINDS; k++) {
		bf_scan_free(d->in[k].scan);
		if (d->in[k].sch.schema != NULL)
			bf_schema_free(&d->in[k].sch);
	}
	memset(d, 0, sizeof(*d));
}

/* A string value, copied NUL-terminated into d->strs. */
static int
scan_str(struct bf_records_in *d, struct bf_cur *c, const char **out)
{
	const uint8_t *p;
	size_t n;

	if (bf_scan_bytes(c, &p, &n) < 0 || d->strs_used + n + 1 >
	    sizeof(d->strs))
		return -1;
	memcpy(d->strs + d->strs_used, p, n);
	d->strs[d->strs_used + n] = '\0';
	*out = d->strs + d->strs_used;
	d->strs_used += n + 1;
	return 0;
}

/* Up to max decimal numbers separated by ':' ("65001:100"); count read. */
static size_t
colon_numbers(const uint8_t *p, size_t n, uint32_t *out, size_t max)
{
	size_t k = 0, i = 0;

	while (k < max && i < n) {
		uint64_t v = 0;
		size_t start = i;

		while (i < n && p[i] >= '0' && p[i] <= '9' && v <= UINT32_MAX)
			v = v * 10 + (uint64_t)(p[i++] - '0');
		if (i == start || v > UINT32_MAX)
			return 0;
		out[k++] = (uint32_t)v;
		if (i < n && p[i++] != ':')
			return 0;
	}
	return i == n ? k : 0;
}

typedef int (*scan_item_fn)(struct bf_records_in *, struct bf_cur *,
    void *);

/* Every item of an array value, block by block, read by item. */
static int
scan_items(struct bf_records_in *d, struct bf_cur *c, scan_item_fn item,
    void *arg)
{
	int64_t count;

	for (;;) {
		if (bf_scan_block(c, &count) < 0 || (uint64_t)count > cur_len(c))
			return -1;
		if (count == 0)
			return 0;
		while (count-- > 0)
			if (item(d, c, arg) < 0)
				return -1;
	}
}

/* An AS number of segment sg, appended to d->asns. */
static int
asn_item(struct bf_records_in *d, struct bf_cur *c, void *sg)
{
	int64_t x;

	if (bf_scan_long(c, &x) < 0)
		return -1;
	if (d->route.as_path_count < BF_IN_MAX_ASNS) {
		d->asns[d->route.as_path_count++] = (uint32_t)x;
		((struct bf_as_segment *)sg)->count++;
	}
	return 0;
}

/* One AsPathSegment record: its type, then its ASNs. */
static int
segment_item(struct bf_records_in *d, struct bf_cur *c, void *unused)
{
	struct bf_route *r = &d->route;
	struct bf_as_segment dummy, *sg = &dummy;
	int64_t type;

	(void)unused;
	if (bf_scan_long(c, &type) < 0)
		return -1;
	if (r->n_segments < BF_IN_MAX_SEGMENTS)
		sg = &d->segs[r->n_segments++];
	sg->type = type >= 0 && (uint64_t)type < sizeof(seg_type_of) ?
	    seg_type_of[type] : 0;
	sg->start = r->as_path_count;
	sg->count = 0;
	return scan_items(d, c, asn_item, sg);
}

/* A community string of field *f ("high:low" or "global:l1:l2"). */
static int
community_item(struct bf_records_in *d, struct bf_cur *c, void *f)
{
	struct bf_route *r = &d->route;
	const uint8_t *p;
	size_t n;
	uint32_t v[3];

	if (bf_scan_bytes(c, &p, &n) < 0)
		return -1;
	if (*(int *)f == I_COMMUNITIES && r->n_communities <
	    BF_IN_MAX_COMMUNITIES && colon_numbers(p, n, v, 2) == 2 &&
	    v[1] <= 0xffff)
		d->communities[r->n_communities++] = v[0] << 16 | v[1];
	if (*(int *)f == I_LARGE && r->n_large_communities <
	    BF_IN_MAX_COMMUNITIES && colon_numbers(p, n, v, 3) == 3)
		d->large[r->n_large_communities++] =
		    (struct bf_large_community){ v[0], v[1], v[2] };
	return 0;
}

/* The items of array field f. */
static int
scan_array(struct bf_records_in *d, struct bf_cur *c, int f)
{
	if (f == I_AS_PATH_SEGMENTS)
		return scan_items(d, c, segment_item, NULL);
	return scan_items(d, c, community_item, &f);
}

/* The role field of an OPEN record (n), into *role; other fields skipped. */
static int
scan_open(struct bf_records_in *d, const struct bf_in_schema *in,
    const struct bf_scan_node *n, struct bf_cur *c, const char **role)
{
	for (size_t i = 0; i < n->n; i++) {
		const struct bf_scan_node *b;

		if ((int)i != in->open_role) {
			if (bf_scan_skip(n->child[i], c) < 0)
				return -1;
			continue;
		}
		if ((b = bf_scan_branch(n->child[i], c)) == NULL)
			return -1;
		if (b->kind == BF_SCAN_BYTES) {
			if (scan_str(d, c, role) < 0)
				return -1;
		} else if (bf_scan_skip(b, c) < 0)
			return -1;
	}
	return 0;
}

/*
 * One record body: the wanted top-level fields into sc, the others
 * stepped over.  Scalars, strings and union branches are read here
 * rather than through bf_scan_skip and bf_scan_branch: a route record has
 * some 45 fields, and a call and a dispatch per field and per union level
 * were a third of the decoding time.
 */
static int
scan(struct bf_records_in *d, const struct bf_in_schema *in,
    struct bf_cur *c, struct scanned *sc)
{
	const uint8_t *p;
	size_t len;
	int64_t x;
	uint8_t b;

	for (size_t i = 0; i < in->scan->n; i++) {
		const struct bf_scan_node *n = in->scan->child[i];
		int f = in->field_of[i];

		if (n->kind == BF_SCAN_UNION) {
			if (bf_scan_long(c, &x) < 0 || x < 0 ||
			    (uint64_t)x >= n->n)
				return -1;
			n = n->child[x];
		}
		x = 0;
		switch (n->kind) {
		case BF_SCAN_NULL:
			continue;
		case BF_SCAN_INT:
			if (bf_scan_long(c, &x) < 0)
				return -1;
			break;
		case BF_SCAN_BOOL:
			if (cur_get_u8(c, &b) < 0)
				return -1;
			x = b != 0;
			break;
		case BF_SCAN_BYTES:
			if (f < 0 ? bf_scan_bytes(c, &p, &len) < 0 :
			    scan_str(d, c, &sc->str[f]) < 0)
				return -1;
			break;
		case BF_SCAN_ARRAY:
			/*
			 * Most arrays of a route are empty: one zero byte,
			 * taken here (five calls per route were 2% of the
			 * processor's instructions).
			 */
			if (cur_peek_u8(c, 0, &b) == 0 && b == 0) {
				cur_skip(c, 1);
				break;
			}
			if (f < 0 ? bf_scan_skip(n, c) < 0 :
			    scan_array(d, c, f) < 0)
				return -1;
			break;
		case BF_SCAN_RECORD:
			if (f < 0 ? bf_scan_skip(n, c) < 0 :
			    scan_open(d, in, n, c, &sc->str[f]) < 0)
				return -1;
			break;
		default:
			if (bf_scan_skip(n, c) < 0)
				return -1;
		}
		if (f >= 0) {
			sc->has[f] = true;
			sc->num[f] = x;
		}
	}
	return cur_len(c) == 0 ? 0 : -1;
}

/* The session key fields and view, and the epoch and times. */
static void
session_of(struct bf_records_in *d, const struct scanned *sc,
    uint64_t *epoch, int64_t *bmp_us, int64_t *rx_us)
{
	struct bf_in_session *s = &d->sess;

	s->router = sc->str[I_ROUTER] ? sc->str[I_ROUTER] : "";
	s->peer = sc->str[I_PEER] ? sc->str[I_PEER] : "";
	s->peer_rd = sc->str[I_PEER_RD];
	s->peer_type = (uint8_t)sc->num[I_PEER_TYPE];
	s->peer_as = (uint32_t)sc->num[I_PEER_AS];
	s->view = bf_view_of(sc->num[I_RIB], sc->num[I_POST_POLICY] != 0);
	*epoch = (uint64_t)sc->num[I_EPOCH];
	*bmp_us = sc->num[I_BMP_TIME];
	*rx_us = sc->num[I_COLLECTOR_TIME];
}

static void
fill_route(struct bf_records_in *d, const struct scanned *sc)
{
	struct bf_route *r = &d->route;
	const char *slash;
	char addr[64];

	session_of(d, sc, &r->epoch, &r->bmp_time_us, &r->collector_time_us);
	r->view = d->sess.view;
	r->withdraw = sc->num[I_ACTION] == 1;
	r->family = sc->num[I_AFI] == 2 ? 6 : 4;
	r->prefix = sc->str[I_PREFIX];
	r->prefix_len = (uint8_t)sc->num[I_PREFIX_LEN];
	if (r->prefix != NULL && (slash = strchr(r->prefix, '/')) != NULL &&
	    (size_t)(slash - r->prefix) < sizeof(addr)) {
		memcpy(addr, r->prefix, (size_t)(slash - r->prefix));
		addr[slash - r->prefix] = '\0';
		inet_pton(r->family == 6 ? AF_INET6 : AF_INET, addr, r->addr);
	}
	r->rd = sc->str[I_RD];
	r->has_path_id = sc->has[I_PATH_ID];
	r->path_id = (uint32_t)sc->num[I_PATH_ID];
	r->as_path = d->asns;
	r->segments = d->segs;
	r->as_path_len = (uint32_t)sc->num[I_AS_PATH_LEN];
	r->has_origin_as = sc->has[I_ORIGIN_AS];
	r->origin_as = (uint32_t)sc->num[I_ORIGIN_AS];
	/* Our own route: iBGP from an empty path, or the router's Loc-RIB. */
	if (!r->withdraw && r->as_path_count == 0 && r->n_segments == 0) {
		r->has_origin_as = true;
		r->origin_as = d->sess.peer_as;
	}
	r->next_hop = sc->str[I_NEXT_HOP];
	r->has_med = sc->has[I_MED];
	r->med = (uint32_t)sc->num[I_MED];
	r->has_local_pref = sc->has[I_LOCAL_PREF];
	r->local_pref = (uint32_t)sc->num[I_LOCAL_PREF];
	r->has_otc = sc->has[I_OTC];
	r->otc = (uint32_t)sc->num[I_OTC];
	r->communities = d->communities;
	r->large_communities = d->large;
}

static void
fill_peer(struct bf_records_in *d, const struct scanned *sc)
{
	struct bf_session_event *e = &d->peer;

	session_of(d, sc, &e->epoch, &e->bmp_time_us, &e->collector_time_us);
	e->view = d->sess.view;
	switch (sc->num[I_EVENT]) {
	case EV_UP:
		e->kind = BF_SESSION_UP;
		e->has_open = true;
		e->local_role = sc->str[I_SENT_OPEN];
		e->peer_role = sc->str[I_RECEIVED_OPEN];
		break;
	case EV_END_OF_RIB:
		e->kind = BF_SESSION_END_OF_RIB;
		e->family = sc->str[I_FAMILY];
		break;
	default:
		e->kind = BF_SESSION_DOWN;
		e->down_reason = sc->str[I_DOWN_REASON];
	}
}

int
bf_records_in_decode(struct bf_records_in *d, const uint8_t *p, size_t n,
    char *errbuf, size_t errlen)
{
	struct scanned sc;
	struct bf_cur c;
	int k;

	/* Route and peer records differ in required fields: JSON tells. */
	k = bf_record_read(&d->reader, p, n, BF_RECORD_ANY_SCHEMA, &c, errbuf,
	    errlen);
	if (k < 0)
		return -1;
	memset(&sc, 0, sizeof(sc));
	d->strs_used = 0;
	if (k == BF_IN_ROUTE)
		memset(&d->route, 0, sizeof(d->route));
	else
		memset(&d->peer, 0, sizeof(d->peer));
	if (scan(d, &d->in[k], &c, &sc) < 0) {
		snprintf(errbuf, errlen, "bad %s record: truncated or malformed "
		    "at byte %zu", kind_schema[k], n - cur_len(&c));
		return -1;
	}
	if (k == BF_IN_ROUTE)
		fill_route(d, &sc);
	else
		fill_peer(d, &sc);
	return d->kind = k;
}
