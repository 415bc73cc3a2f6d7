/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_leak_detect.c: the leak_detect plugin driven through its
 * descriptor by scripted route and peer sequences, against a fake host
 * that captures every emitted record as (field, text value) pairs and
 * every metric value.
 *
 * Values are compared as text: longs in decimal, null as "null", arrays
 * as "[a,b]".  Input files are written to a temporary directory.
 */
#ifndef _GNU_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <arpa/inet.h>
#include <check.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bmpflow/plugin.h"
#include "fake_host.h"
#include "../../processors/leak_detect/leak_detect.h"
#include "../../processors/leak_detect/ptab.h"
#include "../../processors/leak_detect/rpki.h"
#include "test_util.h"
#include "clock_s.h"
#include "vf_world.h"

static struct bf_host host;

/* ---- driving the plugin ------------------------------------------------------ */

#define US	1000000LL
#define T0	(1700000040LL * US)

static const struct bf_plugin *pl;
static void *st;
static int64_t now_t = T0;
static uint64_t epochs[8] = { 1, 1, 1, 1, 1, 1, 1, 1 };

static const char *const routers[] = { "192.0.2.1", "192.0.2.1",
    "192.0.2.2", "192.0.2.2", "192.0.2.3", "192.0.2.3", "192.0.2.4",
    "192.0.2.4" };
static const char *const peers[] = { "198.51.100.1", "198.51.100.2",
    "198.51.100.3", "198.51.100.4", "198.51.100.5", "198.51.100.6",
    "198.51.100.7", "198.51.100.8" };
static uint32_t peer_as[8] = { 65010, 65020, 65030, 65040, 65050, 65060,
    65070, 65080 };

static char tmpdir[64];

/* Write a file under the temporary directory; returns its path. */
static const char *
file(const char *name, const char *content)
{
	static char paths[16][128];
	static int next;
	char *p = paths[next++ % 16];
	FILE *f;

	snprintf(p, 128, "%s/%s", tmpdir, name);
	ck_assert_ptr_nonnull(f = fopen(p, "w"));
	fputs(content, f);
	fclose(f);
	return p;
}

/* init with "key", "value", ... pairs; NULL and err on failure. */
static void *
try_start(char *err, size_t errlen, const char *const *kv, size_t n)
{
	pl = bmpflow_plugin_descriptor();
	ck_assert_uint_eq(pl->abi, BMPFLOW_PLUGIN_ABI);
	ck_assert_str_eq(pl->name, "leak_detect");
	ck_assert_str_eq(pl->output_schema, "alert");
	return fake_plugin_start(&host, kv, n, err, errlen);
}

static void
start(const char *const *kv, size_t n)
{
	char err[512];

	now_t = T0;
	for (int i = 0; i < 8; i++)
		epochs[i] = 1;
	st = try_start(err, sizeof(err), kv, n);
	ck_assert_msg(st != NULL, "init failed: %s", err);
}

#define START(...) do {							\
	const char *const kv_[] = { __VA_ARGS__ };			\
	start(kv_, sizeof(kv_) / sizeof(kv_[0]));			\
} while (0)

static void
stop(void)
{
	ck_assert_int_eq(host.bad, 0);
	pl->fini(st);
	st = NULL;
	for (int i = 0; i < 8; i++)	/* tests may set them (CK_FORK=no) */
		peer_as[i] = 65010 + 10 * (uint32_t)i;
}

/* Session i, as the host interns it (id i). */
static const struct bf_session *
sess(int i)
{
	static struct bf_session s[8];

	s[i] = (struct bf_session){ .id = (uint32_t)i, .router = routers[i],
	    .peer = peers[i], .peer_as = peer_as[i] };
	return &s[i];
}

/* A peer event; peer_role as a Peer Up's received OPEN states it. */
static void
peer_ev_role(int i, bool up, const char *peer_role)
{
	if (up)
		epochs[i]++;
	fake_session_event(st, sess(i), up, epochs[i], now_t, peer_role);
}

static void
peer_ev(int i, bool up)
{
	peer_ev_role(i, up, NULL);
}

struct rt {
	int		 peer;
	const char	*prefix;
	const uint32_t	*path;
	uint32_t	 n;
	int		 path_len;	/* -1: n (no sets) */
	bool		 withdraw, has_otc, no_origin;
	uint32_t	 otc;
	int32_t		 partition;
	int64_t		 ctime;		/* 0: now_t */
	enum bf_view	 view;		/* 0: Adj-RIB-In pre-policy */
	uint64_t	 epoch;		/* 0: the peer's current one */
};

static void
route_send(const struct rt *x)
{
	struct bf_route r;
	char a[64], *slash;

	memset(&r, 0, sizeof(r));
	r.session = sess(x->peer);
	r.view = x->view;
	r.epoch = x->epoch ? x->epoch : epochs[x->peer];
	r.withdraw = x->withdraw;
	snprintf(a, sizeof(a), "%s", x->prefix);
	ck_assert_ptr_nonnull(slash = strchr(a, '/'));
	*slash = '\0';
	r.family = strchr(a, ':') ? 6 : 4;
	ck_assert_int_eq(inet_pton(r.family == 6 ? AF_INET6 : AF_INET, a,
	    r.addr), 1);
	r.prefix_len = (uint8_t)atoi(slash + 1);
	r.prefix = x->prefix;
	if (!x->withdraw) {
		r.as_path = x->path;
		r.as_path_count = x->n;
		r.as_path_len = x->path_len >= 0 ? (uint32_t)x->path_len :
		    x->n;
		r.has_origin_as = !x->no_origin && x->n > 0 &&
		    r.as_path_len == x->n;
		r.origin_as = x->n ? x->path[x->n - 1] : 0;
		r.has_otc = x->has_otc;
		r.otc = x->otc;
		r.next_hop = peers[x->peer];
	}
	r.bmp_time_us = now_t;
	r.collector_time_us = x->ctime ? x->ctime : now_t;
	r.partition = x->partition;
	pl->on_route(st, &r);
}

#define PATH(...) .path = (const uint32_t[]){ __VA_ARGS__ },		\
	.n = (uint32_t)(sizeof((const uint32_t[]){ __VA_ARGS__ }) /	\
	sizeof(uint32_t))

#define ANN(pe, pfx, ...) route_send(&(struct rt){ .peer = (pe), .prefix = (pfx),	\
	.path_len = -1, PATH(__VA_ARGS__) })
#define WD(pe, pfx) route_send(&(struct rt){ .peer = (pe), .prefix = (pfx),	\
	.withdraw = true })

static void
tick(int64_t t)
{
	now_t = t;
	pl->on_tick(st, t);
}

/*
 * Ticks at t until the reload under way (files loaded on the plugin's
 * thread) is in use; t is the last tick's, so no new check starts.
 */
static void
settle(int64_t t)
{
	double until = clock_s(CLOCK_MONOTONIC) + 60;

	while (ld_reload_pending(st)) {
		ck_assert_msg(clock_s(CLOCK_MONOTONIC) < until, "a reload still pending "
		    "after 60 s");
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
		tick(t);
	}
}

/*
 * The checks at s1 and s2 seconds after T0 (reload_check_s apart): a new
 * version seen at the first, steady at the second, read and put in use.
 */
static void
two_checks(int s1, int s2)
{
	tick(T0 + s1 * US);
	tick(T0 + s2 * US);
	settle(T0 + s2 * US);
}

/* reloads_total of file (asrel, prefixes, ...) with result; -1: never. */
static double
reloads(const char *file, const char *result)
{
	char l[96];

	snprintf(l, sizeof(l), "file=\"%s\",result=\"%s\"", file, result);
	return fake_metric_value(&host, "reloads_total", l);
}

static double
entries(const char *file)
{
	char l[64];

	snprintf(l, sizeof(l), "file=\"%s\"", file);
	return fake_metric_value(&host, "input_entries", l);
}

/* Records of type (NULL: any) and state (NULL: any) from index from on. */
static int
count_from(int from, const char *type, const char *state)
{
	int n = 0;

	for (int i = from; i < host.n; i++)
		if ((type == NULL ||
		    strcmp(fake_val(&host.recs[i], "type"), type) == 0) &&
		    (state == NULL ||
		    strcmp(fake_val(&host.recs[i], "state"), state) == 0))
			n++;
	return n;
}

static int
count(const char *type, const char *state)
{
	return count_from(0, type, state);
}

/* The last record of (type, prefix, state); fails when none. */
static const struct fake_rec *
find(const char *type, const char *prefix, const char *state)
{
	for (int i = host.n - 1; i >= 0; i--) {
		const struct fake_rec *r = &host.recs[i];
		if (strcmp(fake_val(r, "type"), type) == 0 &&
		    strcmp(fake_val(r, "prefix"), prefix) == 0 &&
		    (state == NULL || strcmp(fake_val(r, "state"), state) == 0))
			return r;
	}
	ck_abort_msg("no %s %s record for %s", state ? state : "", type,
	    prefix);
	return NULL;
}

/* field=value pairs, NULL-terminated. */
static void
expect(const struct fake_rec *r, ...)
{
	va_list ap;
	const char *f, *v;

	va_start(ap, r);
	while ((f = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		ck_assert_msg(strcmp(fake_val(r, f), v) == 0,
		    "%s %s: %s is \"%s\", want \"%s\"", r->key,
		    fake_val(r, "type"), f, fake_val(r, f), v);
	}
	va_end(ap);
}

static void
dump(void)
{
	for (int i = 0; i < host.n; i++)
		fprintf(stderr, "  %s %s %s culprit %s seg %s\n",
		    host.recs[i].key, fake_val(&host.recs[i], "state"),
		    fake_val(&host.recs[i], "alert_id"),
		    fake_val(&host.recs[i], "culprit_as"),
		    fake_val(&host.recs[i], "culprit_segment"));
}

#define EXPECT_N(want) do {					\
	if (host.n != (want))						\
		dump();							\
	ck_assert_int_eq(host.n, (want));				\
} while (0)

/* ---- data ---------------------------------------------------------------------------- */

/*
 * X = AS2001 has providers 1001, 1002 and 3356, peers 2002 and 2003,
 * customers 3001 and 2101 (2101 also a customer of 1001); 4001 is a
 * customer of 1001, 5001 of 2002.  Private AS64512 would be a hairpin if
 * judged.  The path 4134 1299 30171 132268: 4134 peers with
 * transit-free 1299, whose customer 30171 serves 132268; 1299 peers with
 * 3356.  README.md's rule examples use these links.
 */
static const char rel_txt[] =
    "# test relationships\n"
    "1001|2001|-1\n"
    "1002|2001|-1\n"
    "2001|2002|0\n"
    "2001|2003|0|bgp\n"
    "2001|3001|-1\n"
    "1001|4001|-1\n"
    "2002|5001|-1\n"
    "1001|64512|-1\n"
    "1002|64512|-1\n"
    "1001|2101|-1\n"
    "2001|2101|-1\n"
    "3356|2001|-1\n"
    "4134|1299|0\n"
    "1299|30171|-1\n"
    "30171|132268|-1\n"
    "1299|3356|0\n";

static const char *
rel_file(void)
{
	return file("as-rel.txt", rel_txt);
}

/* ---- tests ------------------------------------------------------------------------------ */

START_TEST(leak_types)
{
	START("asrel_file", rel_file());
	ANN(0, "10.1.0.0/24", 1002, 2001, 1001, 4001);
	ANN(0, "10.2.0.0/24", 2003, 2001, 2002, 5001);
	ANN(0, "10.3.0.0/24", 2002, 2001, 1001, 4001);
	ANN(0, "10.4.0.0/24", 1001, 2001, 2002, 5001);
	/* Must not alert: customer route up, provider route down, peer. */
	ANN(0, "10.5.0.0/24", 1001, 2001, 3001);
	ANN(0, "10.6.0.0/24", 3001, 2001, 1001, 4001);
	ANN(0, "10.6.1.0/24", 2002, 2001, 3001);
	/* Unknown relationship (9999) in the triple. */
	ANN(0, "10.7.0.0/24", 1002, 2001, 9999, 5001);
	/* Prepending: a clean path, and a hairpin seen through prepends. */
	ANN(0, "10.8.0.0/24", 1002, 1002, 2001, 2001, 2001, 3001, 3001);
	ANN(0, "10.9.0.0/24", 1002, 2001, 2001, 1001, 1001, 4001);
	/* AS_SET: {4001 6001} flattened in, BGP length 4: not judged. */
	route_send(&(struct rt){ .peer = 0, .prefix = "10.10.0.0/24",
	    PATH(1002, 2001, 1001, 4001, 6001), .path_len = 4 });
	/* Private ASN in the middle: never judged. */
	ANN(0, "10.11.0.0/24", 1002, 64512, 1001, 4001);
	EXPECT_N(5);
	ck_assert_int_eq(count("route_leak", "open"), 5);
	expect(find("route_leak", "10.1.0.0/24", "open"), "rfc7908_type", "1",
	    "culprit_as", "2001", "culprit_segment", "[1002,2001,1001]",
	    "origin_as", "4001", "as_path", "[1002,2001,1001,4001]",
	    "prefix_class", "null", "path_class", "null", "severity", "high",
	    "peers_holding", "1", "peers_seen", "1", "count", "1",
	    "routers", "[192.0.2.1]", "peers", "[192.0.2.1|198.51.100.1]",
	    "detail", "AS2001 learned the route from its provider AS1001 and "
	    "sent it to its provider AS1002 (RFC 7908 type 1)", NULL);
	ck_assert_str_eq(find("route_leak", "10.1.0.0/24", "open")->key,
	    "route_leak|10.1.0.0/24");
	expect(find("route_leak", "10.2.0.0/24", "open"), "rfc7908_type", "2",
	    "culprit_as", "2001", "culprit_segment", "[2003,2001,2002]", NULL);
	expect(find("route_leak", "10.3.0.0/24", "open"), "rfc7908_type", "3",
	    "culprit_segment", "[2002,2001,1001]", NULL);
	expect(find("route_leak", "10.4.0.0/24", "open"), "rfc7908_type", "4",
	    "culprit_segment", "[1001,2001,2002]", NULL);
	expect(find("route_leak", "10.9.0.0/24", "open"), "rfc7908_type", "1",
	    "culprit_segment", "[1002,2001,1001]",
	    "as_path", "[1002,2001,2001,1001,1001,4001]", NULL);
	ck_assert_uint_eq(ld_offending_routes(st), 5);
	stop();
}
END_TEST

START_TEST(leak_by_session_role)
{
	peer_as[0] = 2001;
	peer_as[1] = 2001;
	START("asrel_file", rel_file(), "peer_roles",
	    "198.51.100.1=customer, 198.51.100.3=peer");
	peer_as[2] = 2002;
	/* Our customer AS2001 sends us what it learned from its provider. */
	ANN(0, "10.20.0.0/24", 2001, 1001, 4001);
	/* Its own customer's route: fine. */
	ANN(0, "10.21.0.0/24", 2001, 3001);
	/* The same path from a session without a role: not judged. */
	ANN(1, "10.22.0.0/24", 2001, 1001, 4001);
	/* Our peer AS2002 sends us its peer's route: type 2. */
	ANN(2, "10.23.0.0/24", 2002, 2001, 3001);
	EXPECT_N(2);
	expect(find("route_leak", "10.23.0.0/24", "open"), "rfc7908_type",
	    "2", "culprit_as", "2002", "culprit_segment", "[2002,2001]", NULL);
	expect(find("route_leak", "10.20.0.0/24", "open"), "rfc7908_type",
	    "1", "culprit_as", "2001", "culprit_segment", "[2001,1001]",
	    "detail", "AS2001 learned the route from its provider AS1001 and "
	    "sent it to this network, its provider by session role (RFC 7908 "
	    "type 1)", NULL);
	stop();
}
END_TEST

START_TEST(otc_rules)
{
	peer_as[0] = 2001;
	peer_as[1] = 2002;
	peer_as[2] = 1001;
	peer_as[3] = 2101;
	START("peer_roles", "198.51.100.1=customer,198.51.100.2=peer,"
	    "198.51.100.3=provider,198.51.100.4=rs-client");
	/* From a customer: any OTC is a leak by the neighbour. */
	route_send(&(struct rt){ .peer = 0, .prefix = "10.30.0.0/24", .path_len = -1,
	    PATH(2001, 1001, 4001), .has_otc = true, .otc = 1001 });
	/* From a peer: OTC equal to the peer's AS is fine, else a leak. */
	route_send(&(struct rt){ .peer = 1, .prefix = "10.31.0.0/24", .path_len = -1,
	    PATH(2002, 5001), .has_otc = true, .otc = 2002 });
	route_send(&(struct rt){ .peer = 1, .prefix = "10.32.0.0/24", .path_len = -1,
	    PATH(2002, 1001, 4001), .has_otc = true, .otc = 1001 });
	/* From a provider: fine. */
	route_send(&(struct rt){ .peer = 2, .prefix = "10.33.0.0/24", .path_len = -1,
	    PATH(1001, 4001), .has_otc = true, .otc = 1001 });
	/* From an RS client: a leak. */
	route_send(&(struct rt){ .peer = 3, .prefix = "10.34.0.0/24", .path_len = -1,
	    PATH(2101, 3001), .has_otc = true, .otc = 3001 });
	/* No OTC: nothing. */
	ANN(0, "10.35.0.0/24", 2001, 3001);
	EXPECT_N(3);
	expect(find("otc_leak", "10.30.0.0/24", "open"), "culprit_as", "2001",
	    "culprit_segment", "[2001]", "rfc7908_type", "null", NULL);
	expect(find("otc_leak", "10.32.0.0/24", "open"), "culprit_as", "2002",
	    NULL);
	expect(find("otc_leak", "10.34.0.0/24", "open"), "culprit_as", "2101",
	    NULL);
	stop();

	/* With relationships the first AS after the OTC going up is named. */
	peer_as[0] = 2001;
	START("asrel_file", rel_file(), "peer_roles", "198.51.100.1=customer");
	route_send(&(struct rt){ .peer = 0, .prefix = "10.36.0.0/24", .path_len = -1,
	    PATH(2001, 2101, 1001, 4001), .has_otc = true,
	    .otc = 1001 });
	/* The valley-free check names the same hairpin by AS2101. */
	EXPECT_N(2);
	expect(find("otc_leak", "10.36.0.0/24", "open"), "culprit_as", "2101",
	    "culprit_segment", "[2001,2101,1001]", NULL);
	expect(find("route_leak", "10.36.0.0/24", "open"), "culprit_as",
	    "2101", "rfc7908_type", "1", NULL);
	stop();

	/*
	 * Roles negotiated in the Peer Up's OPENs win over peer_roles, and
	 * the collector's spelling rs_client is understood.
	 */
	peer_as[0] = 2001;
	peer_as[1] = 2101;
	START("peer_roles", "198.51.100.1=provider");
	peer_ev_role(0, true, "customer");
	peer_ev_role(1, true, "rs_client");
	route_send(&(struct rt){ .peer = 0, .prefix = "10.37.0.0/24",
	    .path_len = -1, PATH(2001, 1001, 4001), .has_otc = true,
	    .otc = 1001 });
	route_send(&(struct rt){ .peer = 1, .prefix = "10.38.0.0/24",
	    .path_len = -1, PATH(2101, 3001), .has_otc = true, .otc = 3001 });
	EXPECT_N(2);
	expect(find("otc_leak", "10.37.0.0/24", "open"), "culprit_as", "2001",
	    NULL);
	expect(find("otc_leak", "10.38.0.0/24", "open"), "culprit_as", "2101",
	    NULL);
	/* A new epoch without the capability: back to the configured role. */
	peer_ev_role(0, true, NULL);
	route_send(&(struct rt){ .peer = 0, .prefix = "10.39.0.0/24",
	    .path_len = -1, PATH(2001, 1001, 4001), .has_otc = true,
	    .otc = 1001 });
	ck_assert_int_eq(count("otc_leak", "open"), 2);
	stop();
}
END_TEST

/* Every field of schemas/alert.avsc is set on every record, and no other. */
START_TEST(schema_fields)
{
	static char schema[16384];
	FILE *f = fopen(LD_SCHEMA_DIR "/alert.avsc", "r");
	size_t len, names = 0;
	const struct fake_rec *r;

	ck_assert_ptr_nonnull(f);
	len = fread(schema, 1, sizeof(schema) - 1, f);
	fclose(f);
	schema[len] = '\0';
	for (const char *p = schema; (p = strstr(p, "\"name\": \"")); p++)
		names++;
	START("asrel_file", rel_file());
	ANN(0, "10.1.0.0/24", 1002, 2001, 1001, 4001);
	EXPECT_N(1);
	r = &host.recs[0];
	ck_assert_int_eq(r->n, (int)names - 1);	/* less the record's */
	for (int i = 0; i < r->n; i++) {
		char want[64];
		snprintf(want, sizeof(want), "\"name\": \"%s\"", r->f[i].name);
		ck_assert_msg(strstr(schema, want) != NULL, "alert.avsc has no "
		    "field %s", r->f[i].name);
	}
	stop();
}
END_TEST

/* The receivers peer_lock names, in the segment and the detail. */
START_TEST(peer_lock)
{
	peer_as[0] = 4134;
	START("asrel_file", rel_file(), "peer_roles", "198.51.100.1=peer");
	/* To this network, our peer by session role. */
	ANN(0, "10.40.0.0/24", 4134, 1299, 30171, 132268);
	/* To its peer, by relationships. */
	ANN(1, "10.41.0.0/24", 2002, 2001, 3356, 13335);
	/* To a transit-free AS, relationship unknown. */
	ANN(1, "10.42.0.0/24", 174, 2001, 3356, 13335);
	/* Two violations: the one nearest the origin is named. */
	ANN(1, "10.43.0.0/24", 1299, 6939, 174, 2002, 2001, 3356, 13335);
	/* A private AS is never judged, as culprit nor as receiver. */
	ANN(1, "10.44.0.0/24", 1001, 64512, 3356, 13335);
	ANN(1, "10.45.0.0/24", 64512, 2001, 3356, 13335);
	ck_assert_int_eq(count("peer_lock", "open"), 4);
	expect(find("peer_lock", "10.40.0.0/24", "open"), "culprit_as", "4134",
	    "culprit_segment", "[4134,1299]", "origin_as", "132268",
	    "severity", "high", "rfc7908_type", "null", "detail", "AS4134 "
	    "passed the route of transit-free AS1299 to this network, its "
	    "peer by session role", NULL);
	expect(find("peer_lock", "10.41.0.0/24", "open"), "culprit_as", "2001",
	    "culprit_segment", "[2002,2001,3356]", "detail", "AS2001 passed "
	    "the route of transit-free AS3356 to its peer AS2002", NULL);
	expect(find("peer_lock", "10.42.0.0/24", "open"), "culprit_as", "2001",
	    "culprit_segment", "[174,2001,3356]", "detail", "AS2001 passed "
	    "the route of transit-free AS3356 to transit-free AS174, "
	    "nobody's customer", NULL);
	expect(find("peer_lock", "10.43.0.0/24", "open"), "culprit_as", "2001",
	    "culprit_segment", "[2002,2001,3356]", NULL);
	stop();
	/* A custom list replaces the default one. */
	START("transit_free_file", file("tf.txt", "# list\nAS2002, 9\n"));
	ANN(0, "10.40.0.0/24", 1299, 6939, 3356, 13335);
	ANN(0, "10.46.0.0/24", 9, 3001, 2002, 5001);
	EXPECT_N(1);
	expect(find("peer_lock", "10.46.0.0/24", "open"), "culprit_as", "3001",
	    NULL);
	stop();
}
END_TEST

static const char prefixes_txt[] =
    "# monitored\n"
    "205.251.192.0/23 16509\n"
    "205.251.194.0/23   AS16509   # Route 53\n"
    "104.16.0.0/12 13335 upstreams=3356,174\n"
    "198.51.100.0/24 none\n"
    "2001:db8::/32 64500,64501\n";

START_TEST(hijacks)
{
	START("prefixes_file", file("p.txt", prefixes_txt),
	    "upstream_learn_s", "10");
	ANN(0, "205.251.192.0/23", 3356, 16509);	/* learns 3356 */
	ANN(0, "205.251.194.0/23", 3356, 10297);
	EXPECT_N(1);
	expect(find("origin_hijack", "205.251.194.0/23", "open"),
	    "culprit_as", "10297", "origin_as", "10297", "prefix_class",
	    "exact", "path_class", "origin", "severity", "critical",
	    "culprit_segment", "[10297]", NULL);
	ANN(1, "205.251.194.0/23", 3356, 16509);
	EXPECT_N(2);
	expect(find("moas", "205.251.194.0/23", "open"), "culprit_as", "null",
	    "origin_as", "null", "culprit_segment", "[10297,16509]",
	    "severity", "high", "peers_holding", "2", NULL);
	ANN(0, "205.251.193.0/24", 6939, 10297);
	ANN(1, "205.251.193.0/24", 3356, 16509);	/* expected origin */
	EXPECT_N(3);
	expect(find("subprefix_hijack", "205.251.193.0/24", "open"),
	    "culprit_as", "10297", "prefix_class", "sub-prefix", "path_class",
	    "origin", NULL);
	ANN(0, "198.51.100.0/24", 3356, 2002);
	ANN(0, "198.51.100.128/25", 3356, 2002);
	EXPECT_N(5);
	expect(find("origin_hijack", "198.51.100.0/24", "open"),
	    "culprit_as", "2002", "prefix_class", "squatting", NULL);
	expect(find("subprefix_hijack", "198.51.100.128/25", "open"),
	    "culprit_as", "2002", "prefix_class", "squatting", NULL);
	/* Configured upstreams. */
	ANN(0, "104.16.0.0/12", 6939, 13335);
	ANN(0, "104.17.0.0/16", 3356, 13335);
	ANN(1, "104.17.0.0/16", 174, 174, 13335);
	EXPECT_N(6);
	expect(find("new_upstream", "104.16.0.0/12", "open"), "culprit_as",
	    "6939", "culprit_segment", "[6939,13335]", "prefix_class", "exact",
	    "path_class", "first_hop", "severity", "medium", NULL);
	/* Learned upstreams: 174 inside the window, 6939 after it. */
	now_t = T0 + 5 * US;
	ANN(2, "205.251.192.0/23", 174, 16509);
	now_t = T0 + 20 * US;
	ANN(3, "205.251.192.0/23", 174, 16509);
	ANN(4, "205.251.192.0/23", 6939, 16509);
	EXPECT_N(7);
	expect(find("new_upstream", "205.251.192.0/23", "open"), "culprit_as",
	    "6939", NULL);
	/* An AS_SET origin is not judged against the expected origins. */
	route_send(&(struct rt){ .peer = 5, .prefix = "205.251.192.0/23",
	    PATH(3356, 10297, 10298), .path_len = 2 });
	/* IPv6, one of two origins. */
	ANN(0, "2001:db8:1::/48", 3356, 64501);
	ANN(0, "2001:db8:2::/48", 3356, 64502);
	EXPECT_N(8);
	expect(find("subprefix_hijack", "2001:db8:2::/48", "open"),
	    "culprit_as", "64502", NULL);
	/* Withdrawing the hijack resolves it and the MOAS. */
	WD(0, "205.251.194.0/23");
	EXPECT_N(10);
	expect(find("origin_hijack", "205.251.194.0/23", "resolved"),
	    "peers_holding", "0", NULL);
	expect(find("moas", "205.251.194.0/23", "resolved"), NULL);
	ck_assert_str_eq(fake_val(find("moas", "205.251.194.0/23", "resolved"),
	    "alert_id"), fake_val(find("moas", "205.251.194.0/23", "open"),
	    "alert_id"));
	stop();
}
END_TEST

static const char roas_json[] =
    "{\n"
    "  \"metadata\": { \"counts\": 6, \"nested\": [1, {\"a\": null}] },\n"
    "  \"roas\": [\n"
    "    { \"asn\": 16509, \"prefix\": \"205.251.192.0/21\", "
    "\"maxLength\": 24, \"ta\": \"arin\" },\n"
    "    { \"asn\": \"AS13335\", \"prefix\": \"2606:4700::/32\", "
    "\"maxLength\": 48 },\n"
    "    { \"asn\": 0, \"prefix\": \"198.51.100.0/24\", \"maxLength\": 24 },\n"
    "    { \"asn\": 64500, \"prefix\": \"203.0.113.0/24\" },\n"
    "    { \"prefix\": \"203.0.113.0/24\", \"maxLength\": 25, "
    "\"asn\": \"as64501\", \"expires\": 1700000000 }\n"
    "  ]\n"
    "}\n";

START_TEST(rpki)
{
	START("roas_file", file("roas.json", roas_json));
	ANN(0, "205.251.192.0/24", 3356, 16509);	/* valid */
	ANN(0, "205.251.192.0/25", 3356, 16509);	/* too long */
	ANN(0, "205.251.193.0/24", 3356, 10297);	/* wrong origin */
	ANN(0, "8.8.8.0/24", 3356, 15169);		/* not found */
	ANN(0, "198.51.100.0/24", 3356, 2002);		/* AS0 ROA */
	ANN(0, "203.0.113.0/24", 64500);		/* valid */
	ANN(0, "203.0.113.128/25", 64500);		/* too long */
	ANN(1, "203.0.113.128/25", 64501);		/* valid */
	route_send(&(struct rt){ .peer = 0, .prefix = "205.251.194.0/24",
	    PATH(3356, 16509, 16510), .path_len = 2 });
	ANN(0, "2606:4700:10::/48", 13335);		/* valid */
	ANN(0, "2606:4700::/49", 13335);		/* too long */
	ANN(0, "2606:4700::/32", 666);			/* wrong origin */
	ANN(0, "2001:db8::/32", 666);			/* not found */
	EXPECT_N(7);
	ck_assert_int_eq(count("rpki_invalid", "open"), 7);
	expect(find("rpki_invalid", "205.251.192.0/25", "open"), "culprit_as",
	    "16509", "severity", "medium", NULL);
	expect(find("rpki_invalid", "205.251.193.0/24", "open"), "culprit_as",
	    "10297", NULL);
	expect(find("rpki_invalid", "198.51.100.0/24", "open"), "culprit_as",
	    "2002", NULL);
	expect(find("rpki_invalid", "203.0.113.128/25", "open"), "culprit_as",
	    "64500", "peers_seen", "1", NULL);
	expect(find("rpki_invalid", "205.251.194.0/24", "open"), "culprit_as",
	    "null", "origin_as", "null", NULL);
	expect(find("rpki_invalid", "2606:4700::/49", "open"), "culprit_as",
	    "13335", NULL);
	expect(find("rpki_invalid", "2606:4700::/32", "open"), "culprit_as",
	    "666", NULL);
	/* A valid replacement resolves. */
	ANN(0, "205.251.193.0/24", 3356, 16509);
	EXPECT_N(8);
	expect(find("rpki_invalid", "205.251.193.0/24", "resolved"), NULL);
	stop();
}
END_TEST

static double
rpki_routes(const char *state)
{
	char l[48];

	snprintf(l, sizeof(l), "state=\"%s\"", state);
	return fake_metric_value(&host, "rpki_routes", l);
}

/*
 * VRPs that change re-validate the routes held, clean ones included: a
 * ROA added makes a held route invalid (rpki_invalid opens, no route
 * record needed), removed again it resolves.  RTR updates take the same
 * path (ld_rov_revalidate; tests/e2e/test_rtr.py).
 */
START_TEST(rpki_revalidate)
{
	static const char one[] = "{\"roas\": [{\"asn\": 64500, "
	    "\"prefix\": \"203.0.113.0/24\"}]}\n";
	static const char two[] = "{\"roas\": [{\"asn\": 64500, "
	    "\"prefix\": \"203.0.113.0/24\"}, {\"asn\": 666, "
	    "\"prefix\": \"8.0.0.0/8\", \"maxLength\": 24}]}\n";
	const char *rp = file("roas-r.json", one);
	int before;

	START("roas_file", rp, "reload_check_s", "5");
	ANN(0, "8.8.8.0/24", 3356, 15169);		/* not found */
	ANN(1, "8.8.8.0/24", 3356, 15169);
	ANN(0, "203.0.113.0/24", 64500);		/* valid */
	ANN(0, "9.9.9.0/24", 3356, 19281);		/* not found, stays */
	tick(T0);
	EXPECT_N(0);
	ck_assert_double_eq(rpki_routes("valid"), 1);
	ck_assert_double_eq(rpki_routes("not_found"), 3);
	file("roas-r.json", two);
	two_checks(5, 10);
	EXPECT_N(1);
	expect(find("rpki_invalid", "8.8.8.0/24", "open"), "culprit_as",
	    "15169", "origin_as", "15169", "rpki_state", "invalid", NULL);
	tick(T0 + 11 * US);	/* the second session's route joined */
	expect(find("rpki_invalid", "8.8.8.0/24", "update"), "peers_holding",
	    "2", NULL);
	ck_assert_double_eq(rpki_routes("invalid"), 2);
	ck_assert_double_eq(rpki_routes("not_found"), 1);
	/* Held routes leave with their session. */
	peer_ev_role(1, false, NULL);
	tick(T0 + 12 * US);
	ck_assert_double_eq(rpki_routes("invalid"), 1);
	ck_assert_int_eq(count("rpki_invalid", "resolved"), 0);
	file("roas-r.json", one);
	two_checks(15, 20);
	expect(find("rpki_invalid", "8.8.8.0/24", "resolved"), "rpki_state",
	    "not_found", "peers_holding", "0", NULL);
	ck_assert_int_eq(count("rpki_invalid", "resolved"), 1);
	ck_assert_double_eq(rpki_routes("invalid"), 0);
	ck_assert_double_eq(rpki_routes("not_found"), 2);
	/* A withdrawn route is not held: the ROA again opens nothing. */
	WD(0, "8.8.8.0/24");
	file("roas-r.json", two);
	before = host.n;
	two_checks(25, 30);
	ck_assert_int_eq(host.n, before);
	ck_assert_double_eq(rpki_routes("not_found"), 1);
	stop();
}
END_TEST

/* A table of one VRP, p from asn up to maxlen. */
static void
one_vrp(struct rpki *rp, const char *p, uint32_t asn, uint8_t maxlen)
{
	struct rpki_builder b = { 0 };
	struct ld_pfx q;
	const char *why;

	ck_assert_int_eq(ptab_parse(p, &q, &why), 0);
	ck_assert_int_eq(rpki_builder_add(&b, &q, asn, maxlen), 0);
	ck_assert_int_eq(rpki_builder_finish(&b, rp), 0);
	rpki_builder_free(&b);
}

/*
 * roas_file and RTR together: RFC 6811 over the union of their VRPs, so
 * one table's match makes a route valid that the other alone calls
 * invalid; invalid when either covers it and none matches.
 */
START_TEST(rpki_union)
{
	struct rpki file = { 0 }, rtr = { 0 }, none = { 0 };
	const struct rpki *both[2] = { &file, &rtr }, *empty[2] = { &none,
	    &none };
	struct ld_pfx q;
	const char *why;

	one_vrp(&file, "10.0.0.0/8", 64500, 24);
	one_vrp(&rtr, "10.1.0.0/16", 64501, 16);
	ck_assert_int_eq(ptab_parse("10.1.0.0/16", &q, &why), 0);
	ck_assert_int_eq(rpki_validate(&file, &q, 64501, true), RPKI_INVALID);
	ck_assert_int_eq(rpki_validate_any(both, 2, &q, 64501, true),
	    RPKI_VALID);
	ck_assert_int_eq(rpki_validate_any(both, 2, &q, 64500, true),
	    RPKI_VALID);
	ck_assert_int_eq(rpki_validate_any(both, 2, &q, 64502, true),
	    RPKI_INVALID);
	ck_assert_int_eq(rpki_validate_any(both, 2, &q, 64501, false),
	    RPKI_INVALID);
	ck_assert_int_eq(ptab_parse("11.0.0.0/24", &q, &why), 0);
	ck_assert_int_eq(rpki_validate_any(both, 2, &q, 64501, true),
	    RPKI_NOT_FOUND);
	ck_assert_int_eq(rpki_validate_any(empty, 2, &q, 64501, true),
	    RPKI_NOT_FOUND);
	rpki_free(&file);
	rpki_free(&rtr);
}
END_TEST

/* init refused with want in its message. */
static void
bad_rtr(const char *const *kv, size_t n, const char *want)
{
	char err[512] = "";

	ck_assert_ptr_null(try_start(err, sizeof(err), kv, n));
	ck_assert_msg(strstr(err, want) != NULL, "error \"%s\", want \"%s\"",
	    err, want);
}

#define BAD_RTR(want, ...) do {						\
	const char *const kv_[] = { __VA_ARGS__ };			\
	bad_rtr(kv_, sizeof(kv_) / sizeof(kv_[0]), want);		\
} while (0)

/*
 * The rtr setting: servers refused at init with what is wrong; a server
 * that is down does not stop init, and fini stops RTRlib's threads.
 */
START_TEST(rtr_settings)
{
	BAD_RTR("rtr: bad server \"cache\" (want HOST:PORT, [IPV6]:PORT or "
	    "ssh://USER@HOST:PORT)", "rtr", "127.0.0.1:3323 cache");
	BAD_RTR("bad server \"127.0.0.1:0\"", "rtr", "127.0.0.1:0");
	BAD_RTR("bad server \"ssh://h:22\"", "rtr", "ssh://h:22");
	BAD_RTR("rtr: rpki@h:22 is SSH: set rtr_ssh_key", "rtr",
	    "ssh://rpki@h:22");
	BAD_RTR("rtr_expire_s (600) must be more than rtr_refresh_s (3600)",
	    "rtr", "127.0.0.1:3323", "rtr_expire_s", "600");
	/*
	 * Nothing listens on port 1 of [::1]: init runs, no VRPs from RTR;
	 * a roas_file reload still re-validates the routes held.
	 */
	START("rtr", "[::1]:1, 127.0.0.1:1", "rtr_retry_s", "1", "roas_file",
	    file("roas-t.json", "{\"roas\": [{\"asn\": 64500, "
	    "\"prefix\": \"203.0.113.0/24\"}]}\n"), "reload_check_s", "5");
	tick(T0);
	ck_assert_double_eq(fake_metric_value(&host, "rtr_connected", ""),
	    0);
	ck_assert_double_eq(fake_metric_value(&host, "rtr_up",
	    "server=\"::1:1\""), 0);
	ANN(0, "8.8.8.0/24", 3356, 15169);
	tick(T0 + US);
	ck_assert_double_eq(rpki_routes("not_found"), 1);
	EXPECT_N(0);
	file("roas-t.json", "{\"roas\": [{\"asn\": 666, \"prefix\": "
	    "\"8.8.8.0/24\"}]}\n");
	two_checks(5, 10);
	EXPECT_N(1);
	expect(find("rpki_invalid", "8.8.8.0/24", "open"), "culprit_as",
	    "15169", NULL);
	stop();
}
END_TEST

/* ---- README.md's rule examples ------------------------------------------------------- */

/*
 * Each rule of README.md with a must-alert and a must-not-alert path,
 * under the same name there.  An example runs on a fresh plugin with
 * rel_txt, prefixes_txt and roas_json loaded (bare: no setting at all,
 * the default config) and sends one route from a session with the first
 * AS of the path (or neighbour), its BGP Role from the Peer Up, plus
 * optionally a second route (also) from another session.  want: exactly
 * the alerts opened, "type/culprit" sorted, space separated.
 */
struct rule_example {
	const char	*name;
	const char	*role;		/* the neighbour's role, NULL: none */
	const char	*prefix;
	const char	*path;		/* nearest AS first */
	uint32_t	 otc;		/* 0: no OTC attribute */
	uint32_t	 neighbour;	/* 0: the first AS of the path */
	const char	*also;		/* another session's path, or NULL */
	bool		 bare;
	const char	*want;
};

static const struct rule_example rule_examples[] = {
	{ "route_leak.1", NULL, "10.1.0.0/24", "1002 2001 1001 4001",
	    .want = "route_leak/2001" },
	{ "route_leak.1", NULL, "10.1.0.0/24", "1001 2001 3001", .want = "" },
	{ "route_leak.2", NULL, "10.1.0.0/24", "2003 2001 2002 5001",
	    .want = "route_leak/2001" },
	{ "route_leak.2", NULL, "10.1.0.0/24", "2002 2001 3001", .want = "" },
	{ "route_leak.3", NULL, "10.1.0.0/24", "2002 2001 1001 4001",
	    .want = "route_leak/2001" },
	{ "route_leak.3", NULL, "10.1.0.0/24", "3001 2001 1001 4001",
	    .want = "" },
	{ "route_leak.4", NULL, "10.1.0.0/24", "1001 2001 2002 5001",
	    .want = "route_leak/2001" },
	{ "route_leak.4", NULL, "10.1.0.0/24", "3001 2001 2002 5001",
	    .want = "" },
	{ "route_leak.role", "customer", "10.1.0.0/24", "2001 1001 4001",
	    .want = "route_leak/2001" },
	{ "route_leak.role", "provider", "10.1.0.0/24", "2002 2001 3001",
	    .want = "" },
	{ "otc_leak.customer", "customer", "10.1.0.0/24", "2001 2002 5001",
	    2002, .want = "otc_leak/2001 route_leak/2001" },
	{ "otc_leak.customer", "customer", "10.1.0.0/24", "2001 3001",
	    .want = "" },
	{ "otc_leak.rs_client", "rs_client", "10.1.0.0/24", "2101 1001 4001",
	    1001, .want = "otc_leak/2101 route_leak/2101" },
	{ "otc_leak.rs_client", "rs_client", "10.1.0.0/24", "2101",
	    .want = "" },
	{ "otc_leak.peer", "peer", "10.1.0.0/24", "2002 2001 1001 4001", 1001,
	    .want = "otc_leak/2001 route_leak/2001" },
	{ "otc_leak.peer", "peer", "10.1.0.0/24", "2002 5001", 2002,
	    .want = "" },
	{ "otc_leak.provider", "provider", "10.1.0.0/24", "2002 2001 3001",
	    2001, .want = "" },
	{ "otc_leak.rs", "rs", "10.1.0.0/24", "2002 5001", 2002, 6777,
	    .want = "" },
	{ "peer_lock.relationships", NULL, "10.1.0.0/24",
	    "1001 2101 3356 13335", .want = "peer_lock/2101" },
	{ "peer_lock.relationships", NULL, "10.1.0.0/24",
	    "3001 2001 3356 13335", .want = "" },
	{ "peer_lock.role", "peer", "10.1.0.0/24", "4134 1299 30171 132268",
	    .want = "peer_lock/4134 route_leak/4134" },
	{ "peer_lock.role", "provider", "10.1.0.0/24",
	    "4134 1299 30171 132268", .want = "" },
	{ "peer_lock.clique", NULL, "10.1.0.0/24", "174 2001 3356 13335",
	    .want = "peer_lock/2001" },
	{ "peer_lock.clique", "provider", "10.1.0.0/24",
	    "2001 3356 1299 30171 132268", .want = "" },
	{ "peer_lock.default", NULL, "10.1.0.0/24", "1299 6939 3356 13335",
	    .bare = true, .want = "peer_lock/6939" },
	{ "peer_lock.default", NULL, "10.1.0.0/24", "4134 1299 30171 132268",
	    .bare = true, .want = "" },
	{ "origin_hijack", NULL, "104.16.0.0/12", "3356 666",
	    .want = "origin_hijack/666" },
	{ "origin_hijack", NULL, "104.16.0.0/12", "3356 13335", .want = "" },
	{ "subprefix_hijack", NULL, "104.17.0.0/16", "3356 666",
	    .want = "subprefix_hijack/666" },
	{ "subprefix_hijack", NULL, "104.17.0.0/16", "174 13335",
	    .want = "" },
	{ "rpki_invalid", NULL, "2606:4700::/32", "3356 666",
	    .want = "rpki_invalid/666" },
	{ "rpki_invalid", NULL, "2606:4700::/32", "3356 13335", .want = "" },
	{ "new_upstream", NULL, "104.16.0.0/12", "6939 13335",
	    .want = "new_upstream/6939" },
	{ "new_upstream", NULL, "104.16.0.0/12", "174 13335", .want = "" },
	{ "moas", NULL, "2001:db8::/32", "3356 64500", .also = "174 64501",
	    .want = "moas/null" },
	{ "moas", NULL, "2001:db8::/32", "3356 64500", .also = "174 64500",
	    .want = "" },
};

#define N_RULE_EXAMPLES	(int)(sizeof(rule_examples) / sizeof(rule_examples[0]))

/* "3356 13335" into path; returns the count. */
static uint32_t
parse_path(const char *txt, uint32_t *path, uint32_t max)
{
	uint32_t n = 0;
	char *end;

	for (const char *p = txt; *p != '\0'; p = end) {
		ck_assert_uint_lt(n, max);
		path[n++] = (uint32_t)strtoul(p, &end, 10);
		ck_assert_ptr_ne(end, p);
	}
	return n;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Peer i announces x->prefix over path txt. */
static void
example_route(const struct rule_example *x, int i, const char *txt)
{
	uint32_t path[16], n = parse_path(txt, path, 16);

	route_send(&(struct rt){ .peer = i, .prefix = x->prefix, .path = path,
	    .n = n, .path_len = -1, .has_otc = x->otc != 0, .otc = x->otc });
}

START_TEST(rule_example)
{
	const struct rule_example *x = &rule_examples[_i];
	const char *got[8];
	char alert[8][64], joined[256] = "";
	uint32_t first;
	int n = 0;

	first = (uint32_t)strtoul(x->path, NULL, 10);
	peer_as[0] = x->neighbour ? x->neighbour : first;
	if (x->also)
		peer_as[1] = (uint32_t)strtoul(x->also, NULL, 10);
	if (x->bare)
		start(NULL, 0);
	else
		START("asrel_file", rel_file(), "prefixes_file",
		    file("p.txt", prefixes_txt), "roas_file",
		    file("roas.json", roas_json));
	if (x->role)
		peer_ev_role(0, true, x->role);
	example_route(x, 0, x->path);
	if (x->also)
		example_route(x, 1, x->also);
	for (int i = 0; i < host.n; i++) {
		ck_assert_int_lt(n, 8);
		ck_assert_str_eq(fake_val(&host.recs[i], "state"), "open");
		snprintf(alert[n], sizeof(alert[n]), "%s/%s",
		    fake_val(&host.recs[i], "type"),
		    fake_val(&host.recs[i], "culprit_as"));
		got[n] = alert[n];
		n++;
	}
	qsort(got, (size_t)n, sizeof(got[0]), cmp_str);
	for (int i = 0; i < n; i++)
		snprintf(joined + strlen(joined), sizeof(joined) -
		    strlen(joined), "%s%s", i ? " " : "", got[i]);
	ck_assert_msg(strcmp(joined, x->want) == 0, "%s: %s (%s session%s) "
	    "alerts \"%s\", must %s \"%s\"", x->name, x->path,
	    x->role ? x->role : "no role", x->otc ? ", OTC" : "", joined,
	    *x->want ? "alert" : "not alert:", x->want);
	stop();
}
END_TEST

START_TEST(prefix_table)
{
	struct ptab_item it[6];
	const struct ptab_ent *cov[8];
	struct ptab t;
	struct ld_pfx q;
	const char *why;
	static const char *const p[] = { "10.0.0.0/8", "10.1.0.0/16",
	    "10.1.2.0/24", "10.2.0.0/16", "11.0.0.0/8", "0.0.0.0/0" };

	for (int i = 0; i < 6; i++) {
		ck_assert_int_eq(ptab_parse(p[i], &it[i].p, &why), 0);
		it[i].val = (uint32_t)i;
	}
	ck_assert_int_eq(ptab_build(&t, it, 6), 0);
	ck_assert_int_eq(ptab_parse("10.1.2.128/25", &q, &why), 0);
	ck_assert_uint_eq(ptab_cover(&t, &q, cov, 8), 4);
	ck_assert_uint_eq(t.vals[cov[0]->first], 2);
	ck_assert_uint_eq(t.vals[cov[1]->first], 1);
	ck_assert_uint_eq(t.vals[cov[2]->first], 0);
	ck_assert_uint_eq(t.vals[cov[3]->first], 5);
	ck_assert_int_eq(ptab_parse("10.3.0.0/16", &q, &why), 0);
	ck_assert_uint_eq(ptab_cover(&t, &q, cov, 8), 2);
	ck_assert_int_eq(ptab_parse("10.0.0.0/7", &q, &why), 0);
	ck_assert_uint_eq(ptab_cover(&t, &q, cov, 8), 1);
	ck_assert_int_eq(ptab_parse("12.0.0.0/8", &q, &why), 0);
	ck_assert_uint_eq(ptab_cover(&t, &q, cov, 8), 1);
	ptab_free(&t);
	ck_assert_int_eq(ptab_parse("10.1.2.3/24", &q, &why), -1);
	ck_assert_str_eq(why, "host bits set beyond the prefix length");
	ck_assert_int_eq(ptab_parse("10.1.2.0/33", &q, &why), -1);
	ck_assert_int_eq(ptab_parse("10.1.2.0", &q, &why), -1);
	ck_assert_int_eq(ptab_parse("2001:db8::/129", &q, &why), -1);
}
END_TEST

START_TEST(lifecycle)
{
	struct timespec ts;
	int64_t w;
	char id[32], fs[32];
	double lat;

	clock_gettime(CLOCK_REALTIME, &ts);
	w = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000 - 3000;

	snprintf(fs, sizeof(fs), "%" PRId64, w);

	START("asrel_file", rel_file(), "min_peers", "2",
	    "alert_window_s", "60");
	now_t = w;	/* collector times near the wall clock */
	route_send(&(struct rt){ .peer = 0, .prefix = "10.1.0.0/24", .path_len = -1,
	    PATH(1002, 2001, 1001, 4001), .ctime = w,
	    .partition = 7 });
	EXPECT_N(0);
	ck_assert_uint_eq(ld_alerts_held(st), 1);
	route_send(&(struct rt){ .peer = 1, .prefix = "10.1.0.0/24", .path_len = -1,
	    PATH(1002, 2001, 1001, 4001), .ctime = w,
	    .partition = 7 });
	EXPECT_N(1);
	expect(&host.recs[0], "state", "open", "peers_holding", "2",
	    "peers_seen", "2", "count", "2", "routers", "[192.0.2.1]",
	    "peers", "[192.0.2.1|198.51.100.1,192.0.2.1|198.51.100.2]",
	    "first_seen", fs, "last_seen", fs, NULL);
	ck_assert_int_eq(host.recs[0].partition, 7);
	ck_assert_str_eq(host.recs[0].key, "route_leak|10.1.0.0/24");
	lat = atof(fake_val(&host.recs[0], "detection_latency_ms"));
	ck_assert_msg(lat >= 3 && lat < 60000, "latency %g ms", lat);
	snprintf(id, sizeof(id), "%s", fake_val(&host.recs[0], "alert_id"));
	ck_assert_uint_eq(strlen(id), 16);
	/* A third peer: one update at the next tick, none after. */
	ANN(2, "10.1.0.0/24", 1002, 2001, 1001, 4001);
	EXPECT_N(1);
	tick(w + 1 * US);
	EXPECT_N(2);
	expect(&host.recs[1], "state", "update", "alert_id", id,
	    "peers_holding", "3", "count", "3",
	    "routers", "[192.0.2.1,192.0.2.2]", NULL);
	tick(w + 2 * US);
	EXPECT_N(2);
	/* Repeats: counted, one update per tick. */
	ANN(0, "10.1.0.0/24", 1002, 2001, 1001, 4001);
	ANN(0, "10.1.0.0/24", 1002, 2001, 1001, 4001);
	tick(w + 3 * US);
	EXPECT_N(3);
	expect(&host.recs[2], "state", "update", "count", "5", NULL);
	/* A withdrawal and a clean replacement leave one peer holding. */
	WD(0, "10.1.0.0/24");
	ANN(1, "10.1.0.0/24", 1001, 2001, 3001);
	EXPECT_N(3);
	tick(w + 4 * US);
	EXPECT_N(4);
	expect(&host.recs[3], "state", "update", "peers_holding", "1",
	    "peers_seen", "3", NULL);
	/* Its peer goes down: resolved at once. */
	peer_ev(2, false);
	EXPECT_N(5);
	expect(&host.recs[4], "state", "resolved", "alert_id", id,
	    "peers_holding", "0", NULL);
	ck_assert_double_eq(fake_metric_value(&host, "alerts_total",
	    "type=\"route_leak\",state=\"open\""), 1);
	ck_assert_double_eq(fake_metric_value(&host, "alerts_total",
	    "type=\"route_leak\",state=\"update\""), 3);
	ck_assert_double_eq(fake_metric_value(&host, "alerts_total",
	    "type=\"route_leak\",state=\"resolved\""), 1);
	ck_assert_double_eq(fake_metric_value(&host, "alerts_open",
	    "type=\"route_leak\""), 0);
	ck_assert_double_eq(fake_metric_value(&host, "detection_latency_ms",
	    "type=\"route_leak\""), 5);
	/* Back within the window: the same alert, reopened. */
	now_t = w + 10 * US;
	ANN(0, "10.1.0.0/24", 1002, 2001, 1001, 4001);
	EXPECT_N(5);
	ANN(1, "10.1.0.0/24", 1002, 2001, 1001, 4001);
	EXPECT_N(6);
	expect(&host.recs[5], "state", "update", "alert_id", id,
	    "peers_holding", "2", NULL);
	ck_assert_double_eq(fake_metric_value(&host, "alerts_open",
	    "type=\"route_leak\""), 1);
	WD(0, "10.1.0.0/24");
	WD(1, "10.1.0.0/24");
	EXPECT_N(7);
	expect(&host.recs[6], "state", "resolved", NULL);
	/* After the window it is forgotten: a repeat is a new alert. */
	tick(w + 100 * US);
	EXPECT_N(7);
	ck_assert_uint_eq(ld_alerts_held(st), 0);
	ck_assert_uint_eq(ld_offending_routes(st), 0);
	now_t = w + 101 * US;
	ANN(0, "10.1.0.0/24", 1002, 2001, 1001, 4001);
	ANN(1, "10.1.0.0/24", 1002, 2001, 1001, 4001);
	EXPECT_N(8);
	expect(&host.recs[7], "state", "open", "count", "2", NULL);
	ck_assert_str_ne(fake_val(&host.recs[7], "alert_id"), id);
	tick(w + 102 * US);
	ck_assert_double_eq(fake_metric_value(&host, "routes_total", ""), 13);
	stop();
}
END_TEST

START_TEST(partitions)
{
	START("asrel_file", rel_file());
	route_send(&(struct rt){ .peer = 0, .prefix = "10.1.0.0/24", .path_len = -1,
	    PATH(1002, 2001, 1001, 4001), .partition = 3 });
	route_send(&(struct rt){ .peer = 0, .prefix = "10.2.0.0/24", .path_len = -1,
	    PATH(2003, 2001, 2002, 5001), .partition = 5 });
	EXPECT_N(2);
	ck_assert_int_eq(host.recs[0].partition, 3);
	ck_assert_int_eq(host.recs[1].partition, 5);
	pl->drop_partition(st, 3);
	EXPECT_N(2);
	ck_assert_uint_eq(ld_alerts_held(st), 1);
	ck_assert_uint_eq(ld_offending_routes(st), 1);
	ck_assert_double_eq(fake_metric_value(&host, "alerts_open",
	    "type=\"route_leak\""), 1);
	route_send(&(struct rt){ .prefix = "10.1.0.0/24", .withdraw = true,
	    .partition = 3 });
	EXPECT_N(2);
	route_send(&(struct rt){ .peer = 0, .prefix = "10.1.0.0/24", .path_len = -1,
	    PATH(1002, 2001, 1001, 4001), .partition = 3 });
	EXPECT_N(3);
	expect(&host.recs[2], "state", "open", NULL);
	ck_assert_double_eq(fake_metric_value(&host, "alerts_open",
	    "type=\"route_leak\""), 2);
	stop();
}
END_TEST

START_TEST(peer_epochs)
{
	START("asrel_file", rel_file());
	ANN(0, "10.1.0.0/24", 1002, 2001, 1001, 4001);
	ANN(1, "10.1.0.0/24", 1002, 2001, 1001, 4001);
	EXPECT_N(1);
	/* A new epoch of peer 0 drops its routes: one peer still holds. */
	peer_ev(0, true);
	EXPECT_N(1);
	ck_assert_uint_eq(ld_offending_routes(st), 1);
	/* A route of a newer epoch than the last Peer Up starts it. */
	route_send(&(struct rt){ .peer = 1, .prefix = "10.3.0.0/24",
	    .path_len = -1, PATH(1001, 2001, 3001), .epoch = 5 });
	EXPECT_N(2);
	expect(&host.recs[1], "state", "resolved", "peers_holding", "0",
	    "peers_seen", "2", NULL);
	ck_assert_uint_eq(ld_offending_routes(st), 0);
	ck_assert_uint_gt(ld_mem_bytes(st), 0);
	stop();
}
END_TEST

/*
 * One session's views are one peer: a sub-prefix hijack seen in Adj-RIB-In
 * pre- and post-policy (and Adj-RIB-Out) is held by one peer, listed once;
 * its Peer Down ends every view and resolves it.  A view that ends takes
 * only its own routes.
 */
START_TEST(views_of_one_session)
{
	const struct bf_session_event end = { .session = sess(0),
	    .kind = BF_SESSION_VIEW_END, .epoch = 1,
	    .view = BF_VIEW_ADJ_IN_PRE, .partition = -1,
	    .route_class = -1 };

	START("prefixes_file", file("p.txt", prefixes_txt));
	for (int v = BF_VIEW_ADJ_IN_PRE; v <= BF_VIEW_ADJ_OUT_PRE; v++)
		route_send(&(struct rt){ .peer = 0, .prefix =
		    "205.251.193.0/24", .path_len = -1, PATH(6939, 10297),
		    .view = (enum bf_view)v });
	EXPECT_N(1);
	expect(find("subprefix_hijack", "205.251.193.0/24", "open"),
	    "peers_holding", "1", "peers_seen", "1", "peers",
	    "[192.0.2.1|198.51.100.1]", NULL);
	ck_assert_uint_eq(ld_offending_routes(st), 3);
	pl->on_session(st, &end);
	ck_assert_uint_eq(ld_offending_routes(st), 2);
	EXPECT_N(1);
	peer_ev(0, false);
	EXPECT_N(2);
	expect(find("subprefix_hijack", "205.251.193.0/24", "resolved"),
	    "peers_holding", "0", "peers_seen", "1", NULL);
	ck_assert_uint_eq(ld_offending_routes(st), 0);
	stop();
}
END_TEST

/*
 * The Peer Up read after the session's first routes (the host opened the
 * epoch from them) gives its BGP Role without a reset: the routes stay and
 * the role judges what comes next.
 */
START_TEST(late_peer_up_role)
{
	struct bf_session_event up = { .session = sess(0),
	    .kind = BF_SESSION_UP, .epoch = 2, .reset = true };

	START("asrel_file", rel_file());
	pl->on_session(st, &up);
	epochs[0] = 2;
	ANN(0, "10.1.0.0/24", 1002, 2001, 1001, 4001);
	EXPECT_N(1);
	up.reset = false;
	up.has_open = true;
	up.peer_role = "customer";
	pl->on_session(st, &up);
	ck_assert_uint_eq(ld_offending_routes(st), 1);
	/* An OTC route from a customer: a leak, now that the role is known. */
	route_send(&(struct rt){ .peer = 0, .prefix = "10.30.0.0/24",
	    .path_len = -1, PATH(2001, 1001, 4001), .has_otc = true,
	    .otc = 1001 });
	EXPECT_N(2);
	expect(find("otc_leak", "10.30.0.0/24", "open"), "peers_holding", "1",
	    NULL);
	stop();
}
END_TEST

static void
bad_start(const char *key, const char *content, const char *want)
{
	char err[512], path[160];
	const char *kv[2] = { key, content };

	if (strstr(key, "_file") != NULL) {
		kv[1] = file("bad.txt", content);
		snprintf(path, sizeof(path), "%s", kv[1]);
	}
	ck_assert_ptr_null(try_start(err, sizeof(err), kv, 2));
	if (strstr(key, "_file") != NULL) {
		char full[700];
		snprintf(full, sizeof(full), "%s%s", path, want);
		ck_assert_msg(strcmp(err, full) == 0, "%s: got \"%s\", want "
		    "\"%s\"", key, err, full);
	} else
		ck_assert_msg(strstr(err, want) != NULL, "%s: got \"%s\", "
		    "want \"%s\"", key, err, want);
}

START_TEST(input_errors)
{
	bad_start("asrel_file", "1001|2001\n", ":1: \"1001|2001\": want "
	    "AS1|AS2|REL or AS1|AS2|REL|SOURCE, got 2 fields");
	bad_start("asrel_file", "# c\n1001|2001|-1\n1001|x|0\n",
	    ":3: bad AS number in \"1001|x\"");
	bad_start("asrel_file", "1001|2001|1\n", ":1: relationship \"1\" is "
	    "neither -1 (provider|customer) nor 0 (peers)");
	bad_start("asrel_file", "7|7|0\n", ":1: AS7 related to itself");
	bad_start("prefixes_file", "10.0.0.1/8 1\n", ":1: \"10.0.0.1/8\": "
	    "host bits set beyond the prefix length");
	bad_start("prefixes_file", "10.0.0.0/8\n", ":1: 10.0.0.0/8 without "
	    "origins (want PREFIX ORIGINS, ORIGINS \"none\" or ASN,ASN...)");
	bad_start("prefixes_file", "\n10.0.0.0/8 AS1,x\n", ":2: bad origin "
	    "\"x\" (want ASN,ASN... or none)");
	bad_start("prefixes_file", "10.0.0.0/8 1 ups=2\n", ":1: unknown "
	    "option \"ups=2\" (want upstreams=ASN,...)");
	bad_start("prefixes_file", "10.0.0.0/8 1 upstreams=2 x\n", ":1: "
	    "extra field \"x\" (want PREFIX ORIGINS [upstreams=ASN,...])");
	bad_start("prefixes_file", "10.0.0.0/8 1\n# c\n10.0.0.0/8 2\n",
	    ":3: 10.0.0.0/8 listed again (first at line 1)");
	bad_start("roas_file", "{\"roas\":[{\"asn\":1,\"prefix\":"
	    "\"10.0.0.0/8\",\"maxLength\":7}]}", ":1: ROA 10.0.0.0/8: "
	    "maxLength 7 is not between the prefix length and 32");
	bad_start("roas_file", "{\n\"roas\": [\n{\"asn\": 1}\n]}",
	    ":3: ROA without \"prefix\"");
	bad_start("roas_file", "{\"foo\": [1, 2]}", ":1: no \"roas\" array "
	    "in the top-level object");
	bad_start("roas_file", "{\"roas\": [\n{\"asn\": \"ASx\", \"prefix\": "
	    "\"10.0.0.0/8\"}]}", ":2: bad \"asn\" \"ASx\" (want 13335 or "
	    "\"AS13335\")");
	bad_start("roas_file", "{\"roas\": [ {\"asn\": 1, \"prefix\": "
	    "\"10.0.0.0/8\"}\n", ":2: expected ']', found the end of the "
	    "file");
	bad_start("roas_file", "{\"roas\": []} {}", ":1: text after the "
	    "top-level object, found \"{}\"");
	bad_start("roas_file", "{\"roas\": [ {\"asn\": 1, \"prefix\": "
	    "\"10.0.0.1/8\"}]}", ":1: ROA prefix \"10.0.0.1/8\": host bits "
	    "set beyond the prefix length");
	bad_start("transit_free_file", "174 x\n", ":1: \"x\" is not an AS "
	    "number");
	bad_start("bogus", "1", "unknown setting \"bogus\"");
	bad_start("min_peers", "0", "min_peers: bad value \"0\"");
	bad_start("peer_roles", "1.2.3.4=boss", "peer_roles: bad entry "
	    "\"1.2.3.4=boss\" (want PEER_ADDRESS=provider|customer|peer|rs|"
	    "rs-client, the neighbour's role)");
	{
		char err[512];
		const char *kv[2] = { "asrel_file", "/nonexistent/as-rel" };
		ck_assert_ptr_null(try_start(err, sizeof(err), kv, 2));
		ck_assert_str_eq(err, "/nonexistent/as-rel: No such file or "
		    "directory");
	}
}
END_TEST

START_TEST(reload)
{
	const char *rp = file("rel-r.txt", "1002|2001|-1\n");

	START("asrel_file", rp, "reload_check_s", "5");
	ANN(0, "10.1.0.0/24", 1002, 2001, 1001, 4001);	/* unknown link */
	EXPECT_N(0);
	file("rel-r.txt", rel_txt);
	tick(T0 + 1 * US);	/* a new version, seen once: not read yet */
	ck_assert(!ld_reload_pending(st));
	tick(T0 + 6 * US);	/* the same 5 s later: read */
	settle(T0 + 6 * US);
	ck_assert_double_eq(reloads("asrel", "ok"), 1);
	ck_assert_double_eq(entries("asrel"), 16);
	ANN(0, "10.2.0.0/24", 1002, 2001, 1001, 4001);
	ANN(0, "10.1.0.0/24", 1002, 2001, 1001, 4001);	/* judged again */
	EXPECT_N(2);
	/* A broken file keeps the data it replaces. */
	file("rel-r.txt", "1002|2001|-1\nbroken\n");
	two_checks(12, 18);
	ck_assert_double_eq(reloads("asrel", "error"), 1);
	ck_assert_msg(strstr(host.last_warn, "rel-r.txt:2: \"broken\": want "
	    "AS1|AS2|REL") != NULL, "log: %s", host.last_warn);
	ANN(0, "10.3.0.0/24", 2002, 2001, 1001, 4001);
	EXPECT_N(3);
	ck_assert_int_eq(ld_reload(st), 1);
	tick(T0 + 24 * US);	/* unchanged broken file: not retried */
	tick(T0 + 30 * US);
	ck_assert(!ld_reload_pending(st));
	ck_assert_double_eq(reloads("asrel", "error"), 2);
	ck_assert_double_eq(entries("asrel"), 16);
	/* SIGHUP: the descriptor's reload reads every file at once. */
	file("rel-r.txt", "1002|2001|-1\n");
	pl->reload(st);
	ck_assert(ld_reload_pending(st));
	settle(T0 + 30 * US);
	ck_assert_double_eq(reloads("asrel", "ok"), 2);
	ck_assert_double_eq(entries("asrel"), 1);
	stop();
}
END_TEST

/*
 * A file with no entries is refused at start, naming the file and the
 * check it would turn off; one holding only comments is the operator's
 * "off", logged.  A reload never turns a check off.  (A prefix table with
 * no entries was sorted through qsort(NULL, 0), which UBSan stops.)
 */
START_TEST(empty_files)
{
	bad_start("roas_file", "{\"roas\": []}\n", ": no entries in \"roas\": "
	    "rpki_invalid would be off (to turn it off, leave roas_file "
	    "unset)");
	bad_start("asrel_file", "", ": no entries (an empty file): "
	    "route_leak, and peer_lock by relationships would be off (to turn "
	    "it off, leave asrel_file unset or write a file holding only # "
	    "comments)");
	bad_start("prefixes_file", "\n  \n", ": no entries (an empty file): "
	    "origin_hijack, subprefix_hijack, new_upstream and moas would be "
	    "off (to turn it off, leave prefixes_file unset or write a file "
	    "holding only # comments)");
	bad_start("transit_free_file", "\n", ": no entries (an empty file): "
	    "peer_lock would be off (to turn it off, leave transit_free_file "
	    "unset or write a file holding only # comments)");

	const char *pp = file("p-off.txt", "# none monitored yet\n");
	START("prefixes_file", pp);
	ck_assert_msg(strstr(host.last_warn, "prefixes_file (") != NULL &&
	    strstr(host.last_warn, "p-off.txt) holds only comments: "
	    "origin_hijack, subprefix_hijack, new_upstream and moas off") !=
	    NULL, "log: %s", host.last_warn);
	ANN(0, "205.251.194.0/23", 3356, 10297);
	EXPECT_N(0);
	/* Turned on by a reload, never off by one. */
	file("p-off.txt", prefixes_txt);
	ck_assert_int_eq(ld_reload(st), 0);
	ck_assert_double_eq(entries("prefixes"), 5);
	file("p-off.txt", "");
	ck_assert_int_eq(ld_reload(st), 1);
	ck_assert_msg(strstr(host.last_warn, "p-off.txt: no entries (an empty "
	    "file)") != NULL, "log: %s", host.last_warn);
	file("p-off.txt", "# all gone\n");
	ck_assert_int_eq(ld_reload(st), 1);
	ck_assert_msg(strstr(host.last_warn, "p-off.txt: only comments, no "
	    "entries: a reload never turns origin_hijack, subprefix_hijack, "
	    "new_upstream and moas off (a restart does)") != NULL, "log: %s",
	    host.last_warn);
	ck_assert_double_eq(entries("prefixes"), 5);
	ck_assert_double_eq(reloads("prefixes", "error"), 2);
	ANN(0, "205.251.194.0/23", 3356, 10297);
	EXPECT_N(1);
	stop();
}
END_TEST

/*
 * A line cut short is never data: a last line without its new line is a
 * file cut or still being written ("64500|6450" of "64500|64501|-1" would
 * parse).  Errors quote the offending text with control bytes escaped.
 */
START_TEST(cut_lines)
{
	static const char *const cut = " has no new line: the file is cut "
	    "short or still being written (replace it by renaming a complete "
	    "file over it)";
	char want[256];

	/* Cuts that parse: "64500" cut to "645", "3356" to "33". */
	snprintf(want, sizeof(want), ":2: last line \"10.1.0.0/16 645\"%s",
	    cut);
	bad_start("prefixes_file", "10.0.0.0/8 64500\n10.1.0.0/16 645", want);
	snprintf(want, sizeof(want), ":1: last line \"174 33\"%s", cut);
	bad_start("transit_free_file", "174 33", want);
	snprintf(want, sizeof(want), ":2: last line \"64500|64501|-1\"%s",
	    cut);
	bad_start("asrel_file", "1001|2001|-1\n64500|64501|-1", want);
	snprintf(want, sizeof(want), ":2: last line \"64500|6450\"%s", cut);
	bad_start("asrel_file", "1001|2001|-1\n64500|6450", want);
	bad_start("asrel_file", "64500|\n", ":1: \"64500|\": want AS1|AS2|REL "
	    "or AS1|AS2|REL|SOURCE, got 2 fields");
	bad_start("roas_file", "{\"roas\": [{\"asn\": 1, \"prefix\": \"10.0.",
	    ":1: unterminated string");
	/* Control bytes of the file never reach a log line raw. */
	bad_start("asrel_file", "1001|20\x1b[2K01|-1\n", ":1: bad AS number in "
	    "\"1001|20\\x1b[2K01\"");
	bad_start("asrel_file", "1001|2001|-1\n\x01\n", ":2: \"\\x01\": want "
	    "AS1|AS2|REL or AS1|AS2|REL|SOURCE, got 1 fields");
	bad_start("roas_file", "{\"roas\": [\n{\"asn\": 1,\t\x01}]}\n",
	    ":2: expected a string, found \"\\x01}]}\"");
	bad_start("prefixes_file", "10.0.0.0/8 1\tups=\x7f\n", ":1: unknown "
	    "option \"ups=\\x7f\" (want upstreams=ASN,...)");

	/* On reload a cut file keeps the data in use until it is whole. */
	const char *rp = file("rel-cut.txt", "1002|2001|-1\n");
	START("asrel_file", rp, "reload_check_s", "5");
	file("rel-cut.txt", "1002|2001|-1\n1001|2001|-1\n1001|40");
	two_checks(5, 10);
	ck_assert_double_eq(reloads("asrel", "error"), 1);
	ck_assert_double_eq(entries("asrel"), 1);
	ck_assert_msg(strstr(host.last_warn, "rel-cut.txt:3: last line "
	    "\"1001|40\" has no new line") != NULL, "log: %s", host.last_warn);
	file("rel-cut.txt", "1002|2001|-1\n1001|2001|-1\n1001|4001|-1\n");
	two_checks(15, 20);
	ck_assert_double_eq(reloads("asrel", "ok"), 1);
	ck_assert_double_eq(entries("asrel"), 3);
	stop();
}
END_TEST

/*
 * A file written in place, with pauses, is read only once a version has
 * stayed the same across two checks: a first part, even one ending with a
 * whole line, is never loaded while the writer is still at it.
 */
START_TEST(written_in_place)
{
	const char *rp = file("rel-w.txt", "1002|2001|-1\n");
	size_t len = strlen(rel_txt), cut1, cut2;
	FILE *w;

	/* Two cuts at line ends: parts that would parse. */
	cut1 = (size_t)(strchr(rel_txt + len / 3, '\n') - rel_txt) + 1;
	cut2 = (size_t)(strchr(rel_txt + 2 * len / 3, '\n') - rel_txt) + 1;
	START("asrel_file", rp, "reload_check_s", "5");
	ck_assert_ptr_nonnull(w = fopen(rp, "w"));
	ck_assert_uint_eq(fwrite(rel_txt, 1, cut1, w), cut1);
	ck_assert_int_eq(fflush(w), 0);
	tick(T0 + 5 * US);	/* a new version: seen */
	ck_assert_uint_eq(fwrite(rel_txt + cut1, 1, cut2 - cut1, w),
	    cut2 - cut1);
	ck_assert_int_eq(fflush(w), 0);
	tick(T0 + 10 * US);	/* changed since: not steady, not read */
	ck_assert(!ld_reload_pending(st));
	ck_assert_double_eq(entries("asrel"), 1);
	ck_assert_uint_eq(fwrite(rel_txt + cut2, 1, len - cut2, w),
	    len - cut2);
	ck_assert_int_eq(fclose(w), 0);
	tick(T0 + 15 * US);	/* changed again */
	ck_assert(!ld_reload_pending(st));
	ck_assert_double_eq(entries("asrel"), 1);
	tick(T0 + 20 * US);	/* the same 5 s later: read */
	settle(T0 + 20 * US);
	ck_assert_double_eq(reloads("asrel", "ok"), 1);
	ck_assert_double_eq(reloads("asrel", "error"), -1);
	ck_assert_double_eq(entries("asrel"), 16);
	stop();
}
END_TEST

/* A relationship file of rel_txt and n more links, renamed over path. */
static void
replace_big_rel(const char *path, long n)
{
	char tmp[160];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.new", path);
	ck_assert_ptr_nonnull(f = fopen(tmp, "w"));
	fputs(rel_txt, f);
	for (long i = 0; i < n; i++)
		fprintf(f, "%ld|%ld|-1\n", 200000 + i / 16, 300000000 + i);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(rename(tmp, path), 0);
}

/*
 * Reloads run off the processing thread: on_tick starts one and returns
 * (a 2M-link file held it about a second), routes are judged with the
 * table in use until an on_tick after the load puts the new one in; fini
 * waits for a load under way.
 */
START_TEST(reload_off_thread)
{
	const char *rp = file("rel-big.txt", "1002|2001|-1\n");

	START("asrel_file", rp, "reload_check_s", "1");
	replace_big_rel(rp, 100000);
	tick(T0 + 1 * US);
	tick(T0 + 2 * US);	/* steady: the load starts */
	ANN(0, "10.1.0.0/24", 1002, 2001, 1001, 4001);	/* the old table */
	EXPECT_N(0);
	ck_assert_double_eq(entries("asrel"), 1);
	ck_assert(ld_reload_pending(st));
	settle(T0 + 2 * US);
	ck_assert_double_eq(entries("asrel"), 100016);
	ANN(0, "10.2.0.0/24", 1002, 2001, 1001, 4001);
	EXPECT_N(1);
	replace_big_rel(rp, 100001);
	pl->reload(st);
	ck_assert(ld_reload_pending(st));
	stop();
}
END_TEST

/* ---- incident replays ------------------------------------------------------------------ */

#define DATA(f) LD_DATA_DIR "/" f

/*
 * June 2019: AS396531 learned Cloudflare more-specifics from its provider
 * AS33154 (DQE) and sent them to its other provider, Verizon AS701, which
 * propagated them.  Our routers peer with AS701 (two sessions) and with
 * AS3356.  Expected: per leaked /21 one route_leak (hairpin, RFC 7908
 * type 1, by AS396531) and one rpki_invalid (the ROA allows /20 at most),
 * nothing else, all resolved when the leak is withdrawn.
 */
START_TEST(incident_2019_verizon_leak)
{
	static const char *const leaked[] = { "104.20.0.0/21",
	    "104.20.8.0/21", "104.16.80.0/21" };

	peer_as[0] = 701;
	peer_as[1] = 3356;
	peer_as[2] = 701;
	START("asrel_file", DATA("as-rel.example.txt"),
	    "prefixes_file", DATA("prefixes.example.txt"),
	    "roas_file", DATA("roas.example.json"),
	    "transit_free_file", DATA("transit-free.txt"));
	/* Before: Cloudflare through AS3356 and AS701, all clean. */
	ANN(1, "104.16.0.0/12", 3356, 13335);
	ANN(0, "104.16.0.0/12", 701, 3356, 13335);
	ANN(2, "104.16.0.0/12", 701, 174, 13335);
	ANN(1, "2606:4700::/32", 3356, 13335);
	EXPECT_N(0);
	/* The leak reaches both AS701 sessions. */
	now_t += 60 * US;
	for (int i = 0; i < 3; i++)
		ANN(0, leaked[i], 701, 396531, 33154, 3356, 13335);
	EXPECT_N(6);
	now_t += 2 * US;
	for (int i = 0; i < 3; i++)
		ANN(2, leaked[i], 701, 396531, 33154, 3356, 13335);
	tick(now_t + US);
	EXPECT_N(12);
	ck_assert_int_eq(count("route_leak", "open"), 3);
	ck_assert_int_eq(count("rpki_invalid", "open"), 3);
	ck_assert_int_eq(count(NULL, "update"), 6);
	for (int i = 0; i < 3; i++) {
		expect(find("route_leak", leaked[i], "open"), "rfc7908_type",
		    "1", "culprit_as", "396531", "culprit_segment",
		    "[701,396531,33154]", "origin_as", "13335", "as_path",
		    "[701,396531,33154,3356,13335]", NULL);
		expect(find("route_leak", leaked[i], "update"),
		    "peers_holding", "2", "routers", "[192.0.2.1,192.0.2.2]",
		    NULL);
		expect(find("rpki_invalid", leaked[i], "open"), "culprit_as",
		    "13335", NULL);
	}
	/* Withdrawn everywhere: everything resolves. */
	now_t += 60 * US;
	for (int i = 0; i < 3; i++) {
		WD(0, leaked[i]);
		WD(2, leaked[i]);
	}
	ck_assert_int_eq(count(NULL, "resolved"), 6);
	tick(now_t + US);
	EXPECT_N(18);
	ck_assert_uint_eq(ld_offending_routes(st), 0);
	ck_assert_double_eq(fake_metric_value(&host, "alerts_open",
	    "type=\"route_leak\""), 0);
	stop();
}
END_TEST

/*
 * April 2018: AS10297 (eNet) originated /24s of Amazon's Route 53 /23s
 * (205.251.192.0/23 .. 205.251.198.0/23, origin AS16509), propagated by
 * Hurricane Electric AS6939.  Expected: per /24 one subprefix_hijack
 * (sub-prefix, origin, culprit AS10297) and one rpki_invalid (with today's
 * ROA), nothing for Amazon's own routes, all resolved on withdrawal.
 */
START_TEST(incident_2018_route53_hijack)
{
	static const char *const amazon[] = { "205.251.192.0/23",
	    "205.251.194.0/23", "205.251.196.0/23", "205.251.198.0/23" };
	static const char *const hijacked[] = { "205.251.192.0/24",
	    "205.251.193.0/24", "205.251.195.0/24", "205.251.197.0/24",
	    "205.251.199.0/24" };

	peer_as[0] = 6939;
	peer_as[1] = 3356;
	START("asrel_file", DATA("as-rel.example.txt"),
	    "prefixes_file", DATA("prefixes.example.txt"),
	    "roas_file", DATA("roas.example.json"));
	for (int i = 0; i < 4; i++) {
		ANN(1, amazon[i], 3356, 16509);
		ANN(0, amazon[i], 6939, 16509);
	}
	EXPECT_N(0);
	now_t += 600 * US;	/* after the upstream learning window */
	for (int i = 0; i < 5; i++)
		ANN(0, hijacked[i], 6939, 10297);
	EXPECT_N(10);
	for (int i = 0; i < 5; i++) {
		expect(find("subprefix_hijack", hijacked[i], "open"),
		    "culprit_as", "10297", "origin_as", "10297",
		    "prefix_class", "sub-prefix", "path_class", "origin",
		    "severity", "critical", "as_path", "[6939,10297]", NULL);
		expect(find("rpki_invalid", hijacked[i], "open"),
		    "culprit_as", "10297", NULL);
	}
	now_t += 7200 * US;
	for (int i = 0; i < 5; i++)
		WD(0, hijacked[i]);
	EXPECT_N(20);
	ck_assert_int_eq(count(NULL, "resolved"), 10);
	stop();
}
END_TEST

/* ---- valley-free synthetic paths ------------------------------------------------------ */

/* 160 ASes; the tier 1 of transit_free_file, some transit peering with it. */
static const struct vf_shape small_world = { .n_t1 = 5, .n_t2 = 30,
    .n_stub = 125, .t1_base = 10000, .t2_base = 20005, .stub_base = 30035,
    .t2_under_t1 = 30, .t2_t1_peers = 30, .t2_peers = 40, .stub_peers = 60 };

/* Records of type emitted (kept or not, host.discard). */
static long
emitted(const char *type)
{
	for (int t = 0; t < FAKE_MAX_TYPES; t++)
		if (strcmp(host.types[t], type) == 0)
			return host.type_count[t];
	return 0;
}

/*
 * The tier-1s are the transit-free list, and some tier-2s peer with a
 * tier-1: their customers get its routes (a provider passing a
 * peer-learned route down), which the old peer_lock rule flagged.
 */
START_TEST(valley_free_paths_never_leak)
{
	struct vf_world w;
	char path[160], tf[160];
	FILE *f;
	int n_paths = 0, hairpins = 0, locks = 0;

	vf_world_init(&w, &small_world, 88172645463325252ULL);
	snprintf(path, sizeof(path), "%s/synthetic-rel.txt", tmpdir);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	ck_assert_int_eq(vf_world_write_asrel(&w, f), 0);
	ck_assert_int_eq(fclose(f), 0);
	snprintf(tf, sizeof(tf), "%s", file("synthetic-tf.txt",
	    "10000 10001 10002 10003 10004\n"));
	START("asrel_file", path, "transit_free_file", tf);
	host.discard = true;
	for (int i = 0; i < 20000; i++) {
		unsigned walk[VF_MAX_WALK], n = vf_world_walk(&w, w.n_t1 +
		    vf_world_rnd(&w, w.n - w.n_t1), 3, 3, walk);
		uint32_t asns[VF_MAX_PATH];
		uint32_t m = vf_world_as_path(&w, walk, n, true, asns);
		char pfx[32];

		snprintf(pfx, sizeof(pfx), "20.%d.%d.0/24", i >> 8, i & 255);
		route_send(&(struct rt){ .peer = i % 4, .prefix = pfx,
		    .path = asns, .n = m, .path_len = -1 });
		n_paths++;
	}
	ck_assert_int_eq(n_paths, 20000);
	ck_assert_int_eq(emitted("route_leak"), 0);
	ck_assert_int_eq(emitted("peer_lock"), 0);
	/*
	 * Not vacuous: a multi-homed AS passing one provider's route to
	 * the other is caught every time, as a peer-lock violation too when
	 * that provider is transit-free.
	 */
	for (unsigned c = w.n_t1; c < w.n && hairpins < 20; c++) {
		uint32_t asns[3];
		char pfx[32];

		if (!vf_world_hairpin(&w, c, asns))
			continue;
		snprintf(pfx, sizeof(pfx), "21.0.%d.0/24", hairpins++);
		route_send(&(struct rt){ .peer = 0, .prefix = pfx, .path = asns,
		    .n = 3, .path_len = -1 });
		locks += w.as[c].prov[0] < w.n_t1;
	}
	ck_assert_int_ge(hairpins, 10);
	ck_assert_int_ge(locks, 1);
	ck_assert_int_eq(emitted("route_leak"), hairpins);
	ck_assert_int_eq(emitted("peer_lock"), locks);
	stop();
	vf_world_free(&w);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("leak_detect");
	TCase *tc = tcase_create("scripted");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, schema_fields);
	tcase_add_test(tc, leak_types);
	tcase_add_test(tc, leak_by_session_role);
	tcase_add_test(tc, otc_rules);
	tcase_add_test(tc, peer_lock);
	tcase_add_loop_test(tc, rule_example, 0, N_RULE_EXAMPLES);
	tcase_add_test(tc, hijacks);
	tcase_add_test(tc, rpki);
	tcase_add_test(tc, prefix_table);
	tcase_add_test(tc, lifecycle);
	tcase_add_test(tc, partitions);
	tcase_add_test(tc, peer_epochs);
	tcase_add_test(tc, views_of_one_session);
	tcase_add_test(tc, late_peer_up_role);
	tcase_add_test(tc, input_errors);
	tcase_add_test(tc, reload);
	tcase_add_test(tc, rpki_revalidate);
	tcase_add_test(tc, rtr_settings);
	tcase_add_test(tc, rpki_union);
	tcase_add_test(tc, empty_files);
	tcase_add_test(tc, cut_lines);
	tcase_add_test(tc, written_in_place);
	tcase_add_test(tc, reload_off_thread);
	tcase_add_test(tc, incident_2019_verizon_leak);
	tcase_add_test(tc, incident_2018_route53_hijack);
	tcase_add_test(tc, valley_free_paths_never_leak);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	int status;
	char cmd[128];

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_leak_detect.XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return EXIT_FAILURE;
	}
	status = bf_run_suite(suite());
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	return status;
}
