/*
 * records_in.c: Avro records → plugin structs, through avro-c.
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
	I_ACTION, I_AFI, I_PREFIX, I_PREFIX_LEN, I_RD, I_PATH_ID, I_AS_PATH,
	I_AS_PATH_LEN, I_ORIGIN_AS, I_NEXT_HOP, I_MED, I_LOCAL_PREF,
	I_COMMUNITIES, I_LARGE, I_OTC,
	/* peer */
	I_EVENT, I_DOWN_REASON, I_SENT_OPEN, I_RECEIVED_OPEN,
	I_COUNT,
};

static const char *const in_names[I_COUNT] = {
	"router_address", "peer_address", "peer_rd", "peer_as", "peer_type",
	"rib", "post_policy", "peer_epoch", "bmp_time_us", "collector_time_us",
	"action", "afi", "prefix", "prefix_len", "rd", "path_id", "as_path",
	"as_path_len", "origin_as", "next_hop", "med", "local_pref",
	"communities", "large_communities", "otc",
	"event", "down_reason", "sent_open", "received_open",
};

static const char *const kind_schema[BF_IN_KINDS] = { "route", "peer" };

int
bf_records_in_init(struct bf_records_in *d, const char *dir, char *errbuf,
    size_t errlen)
{
	memset(d, 0, sizeof(*d));
	for (int k = 0; k < BF_IN_KINDS; k++) {
		struct bf_in_schema *in = &d->in[k];

		if (bf_schema_load(&in->sch, dir, kind_schema[k], errbuf,
		    errlen) < 0 ||
		    avro_generic_value_new(in->sch.iface, &in->v) != 0) {
			bf_records_in_free(d);
			if (errbuf[0] == '\0')
				snprintf(errbuf, errlen, "%s", avro_strerror());
			return -1;
		}
		for (int f = 0; f < I_COUNT; f++) {
			avro_value_t child;
			size_t i;
			bool needed = f < I_ACTION || (k == BF_IN_ROUTE ?
			    f <= I_OTC : f >= I_EVENT);

			in->idx[f] = avro_value_get_by_name(&in->v, in_names[f],
			    &child, &i) == 0 ? (int)i : -1;
			if (needed && in->idx[f] < 0) {
				snprintf(errbuf, errlen, "%s/%s.avsc has no field "
				    "%s", dir, kind_schema[k], in_names[f]);
				bf_records_in_free(d);
				return -1;
			}
		}
	}
	return 0;
}

void
bf_records_in_free(struct bf_records_in *d)
{
	for (int k = 0; k < BF_IN_KINDS; k++) {
		if (d->in[k].sch.iface != NULL) {
			if (d->in[k].v.self != NULL)
				avro_value_decref(&d->in[k].v);
			bf_schema_free(&d->in[k].sch);
		}
	}
}

/* Field f, with a ["null", T] union resolved: false when null. */
static bool
field(struct bf_in_schema *in, int f, avro_value_t *out)
{
	avro_value_get_by_index(&in->v, (size_t)in->idx[f], out, NULL);
	if (avro_value_get_type(out) == AVRO_UNION) {
		avro_value_t b;

		avro_value_get_current_branch(out, &b);
		*out = b;
	}
	return avro_value_get_type(out) != AVRO_NULL;
}

static const char *
str(struct bf_in_schema *in, int f)
{
	avro_value_t v;
	const char *s = NULL;
	size_t n;

	if (!field(in, f, &v) || avro_value_get_string(&v, &s, &n) != 0)
		return NULL;
	return s;
}

static bool
num(struct bf_in_schema *in, int f, int64_t *out)
{
	avro_value_t v;
	int32_t i;
	int b;

	*out = 0;
	if (!field(in, f, &v))
		return false;
	switch (avro_value_get_type(&v)) {
	case AVRO_INT64:
		return avro_value_get_long(&v, out) == 0;
	case AVRO_INT32:
		if (avro_value_get_int(&v, &i) != 0)
			return false;
		*out = i;
		return true;
	case AVRO_ENUM:
		if (avro_value_get_enum(&v, &b) != 0)
			return false;
		*out = b;
		return true;
	case AVRO_BOOLEAN:
		if (avro_value_get_boolean(&v, &b) != 0)
			return false;
		*out = b;
		return true;
	default:
		return false;
	}
}

static void
peer_id(struct bf_records_in *d, struct bf_in_schema *in,
    struct bf_peer_id *p, uint64_t *epoch, int64_t *bmp_us, int64_t *rx_us)
{
	int64_t x;
	const char *rd;

	p->router = str(in, I_ROUTER);
	p->peer = str(in, I_PEER);
	p->peer_rd = str(in, I_PEER_RD);
	num(in, I_PEER_AS, &x);
	p->peer_as = (uint32_t)x;
	num(in, I_RIB, &x);
	p->rib = (enum bf_plugin_rib)x;
	num(in, I_POST_POLICY, &x);
	p->post_policy = x != 0;
	num(in, I_EPOCH, &x);
	*epoch = (uint64_t)x;
	num(in, I_BMP_TIME, bmp_us);
	num(in, I_COLLECTOR_TIME, rx_us);
	num(in, I_PEER_TYPE, &x);
	rd = p->peer_rd != NULL ? p->peer_rd : "";
	snprintf(d->peer_key, sizeof(d->peer_key), "%s|%lld|%s|%s",
	    p->router ? p->router : "", (long long)x, p->peer ? p->peer : "",
	    rd);
}

/* Array field f of longs into out[max]; returns the count kept. */
static uint32_t
longs(struct bf_in_schema *in, int f, uint32_t *out, size_t max)
{
	avro_value_t arr, el;
	size_t n = 0, k = 0;

	if (!field(in, f, &arr) || avro_value_get_size(&arr, &n) != 0)
		return 0;
	for (size_t i = 0; i < n && k < max; i++) {
		int64_t x;

		if (avro_value_get_by_index(&arr, i, &el, NULL) == 0 &&
		    avro_value_get_long(&el, &x) == 0)
			out[k++] = (uint32_t)x;
	}
	return (uint32_t)k;
}

static int
decode_route(struct bf_records_in *d)
{
	struct bf_in_schema *in = &d->in[BF_IN_ROUTE];
	struct bf_route *r = &d->route;
	avro_value_t arr, el;
	size_t n = 0;
	int64_t x;
	char addr[64];
	const char *slash;

	memset(r, 0, sizeof(*r));
	peer_id(d, in, &r->peer, &r->epoch, &r->bmp_time_us,
	    &r->collector_time_us);
	num(in, I_ACTION, &x);
	r->withdraw = x == 1;
	num(in, I_AFI, &x);
	r->family = x == 2 ? 6 : 4;
	r->prefix = str(in, I_PREFIX);
	num(in, I_PREFIX_LEN, &x);
	r->prefix_len = (uint8_t)x;
	if (r->prefix != NULL && (slash = strchr(r->prefix, '/')) != NULL &&
	    (size_t)(slash - r->prefix) < sizeof(addr)) {
		memcpy(addr, r->prefix, (size_t)(slash - r->prefix));
		addr[slash - r->prefix] = '\0';
		inet_pton(r->family == 6 ? AF_INET6 : AF_INET, addr, r->addr);
	}
	r->rd = str(in, I_RD);
	r->has_path_id = num(in, I_PATH_ID, &x);
	r->path_id = (uint32_t)x;
	r->as_path = d->asns;
	r->as_path_count = longs(in, I_AS_PATH, d->asns, BF_IN_MAX_ASNS);
	num(in, I_AS_PATH_LEN, &x);
	r->as_path_len = (uint32_t)x;
	r->has_origin_as = num(in, I_ORIGIN_AS, &x);
	r->origin_as = (uint32_t)x;
	r->next_hop = str(in, I_NEXT_HOP);
	r->has_med = num(in, I_MED, &x);
	r->med = (uint32_t)x;
	r->has_local_pref = num(in, I_LOCAL_PREF, &x);
	r->local_pref = (uint32_t)x;
	r->has_otc = num(in, I_OTC, &x);
	r->otc = (uint32_t)x;
	r->communities = d->communities;
	if (field(in, I_COMMUNITIES, &arr) &&
	    avro_value_get_size(&arr, &n) == 0) {
		for (size_t i = 0; i < n && r->n_communities <
		    BF_IN_MAX_COMMUNITIES; i++) {
			const char *s;
			size_t sz;
			unsigned hi, lo;

			if (avro_value_get_by_index(&arr, i, &el, NULL) == 0 &&
			    avro_value_get_string(&el, &s, &sz) == 0 &&
			    sscanf(s, "%u:%u", &hi, &lo) == 2)
				d->communities[r->n_communities++] =
				    hi << 16 | (lo & 0xffff);
		}
	}
	r->large_communities = d->large;
	if (field(in, I_LARGE, &arr) && avro_value_get_size(&arr, &n) == 0) {
		for (size_t i = 0; i < n && r->n_large_communities <
		    BF_IN_MAX_COMMUNITIES; i++) {
			struct bf_large_community *lc =
			    &d->large[r->n_large_communities];
			const char *s;
			size_t sz;

			if (avro_value_get_by_index(&arr, i, &el, NULL) == 0 &&
			    avro_value_get_string(&el, &s, &sz) == 0 &&
			    sscanf(s, "%u:%u:%u", &lc->global, &lc->local1,
			    &lc->local2) == 3)
				r->n_large_communities++;
		}
	}
	return BF_IN_ROUTE;
}

/* The BGP Role capability (RFC 9234) of a Peer Up's OPEN, or NULL. */
static const char *
open_role(struct bf_in_schema *in, int f)
{
	avro_value_t open, role, b;
	const char *s = NULL;
	size_t n;

	if (!field(in, f, &open) ||
	    avro_value_get_by_name(&open, "role", &role, NULL) != 0 ||
	    avro_value_get_current_branch(&role, &b) != 0 ||
	    avro_value_get_type(&b) != AVRO_STRING ||
	    avro_value_get_string(&b, &s, &n) != 0)
		return NULL;
	return s;
}

static int
decode_peer(struct bf_records_in *d)
{
	struct bf_in_schema *in = &d->in[BF_IN_PEER];
	struct bf_peer_event *e = &d->peer;
	int64_t x;

	memset(e, 0, sizeof(*e));
	peer_id(d, in, &e->peer, &e->epoch, &e->bmp_time_us,
	    &e->collector_time_us);
	num(in, I_EVENT, &x);
	e->up = x == 0;
	e->down_reason = e->up ? NULL : str(in, I_DOWN_REASON);
	e->local_role = open_role(in, I_SENT_OPEN);
	e->peer_role = open_role(in, I_RECEIVED_OPEN);
	return BF_IN_PEER;
}

int
bf_records_in_decode(struct bf_records_in *d, const uint8_t *p, size_t n,
    char *errbuf, size_t errlen)
{
	uint64_t fp;
	avro_reader_t rd;
	int k, rc;

	if (bf_single_object_fingerprint(p, n, &fp) < 0) {
		snprintf(errbuf, errlen, "not an Avro single-object record");
		return -1;
	}
	for (k = 0; k < BF_IN_KINDS; k++)
		if (d->in[k].sch.fingerprint == fp)
			break;
	if (k == BF_IN_KINDS) {
		snprintf(errbuf, errlen, "unknown schema fingerprint %016llx",
		    (unsigned long long)fp);
		return -1;
	}
	rd = avro_reader_memory((const char *)p + BF_SINGLE_OBJECT_HDR,
	    (int64_t)(n - BF_SINGLE_OBJECT_HDR));
	if (rd == NULL) {
		snprintf(errbuf, errlen, "out of memory");
		return -1;
	}
	avro_value_reset(&d->in[k].v);
	rc = avro_value_read(rd, &d->in[k].v);
	avro_reader_free(rd);
	if (rc != 0) {
		snprintf(errbuf, errlen, "bad %s record: %s", kind_schema[k],
		    avro_strerror());
		return -1;
	}
	return k == BF_IN_ROUTE ? decode_route(d) : decode_peer(d);
}
