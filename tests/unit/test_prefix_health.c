/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_prefix_health.c: the prefix-health plugin driven through its
 * descriptor by scripted route and peer sequences, against a fake host
 * that captures every emitted record as (field, text value) pairs.
 *
 * Values are compared as text: longs in decimal, doubles with %.6g,
 * booleans true/false, null as "null", arrays as "[a,b]".
 */
#ifndef _GNU_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <check.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bmpflow/plugin.h"
#include "fake_host.h"
#include "../../processors/prefix_health/prefix_health.h"
#include "test_util.h"

static struct bf_host host;

/* ---- driving the plugin ------------------------------------------------------ */

#define US	1000000LL
#define T0	(1700000040LL * US)	/* a multiple of 60 s */

static const struct bf_plugin *pl;
static void *st;

static const char *const peers[] = { "198.51.100.1", "198.51.100.2",
    "198.51.100.3", "198.51.100.4" };
static const uint32_t peer_as[] = { 65010, 65020, 65030, 65040 };
static uint64_t epochs[4] = { 1, 1, 1, 1 };
static int32_t partition;	/* bmp.route partition of the next routes */
static enum bf_view view;	/* view of the next routes */

/*
 * Settings as key, value pairs.  Warm-up is off unless a test sets it:
 * most tests script routes right after a Peer Up.
 */
static void
start(const char *const *kv, size_t n)
{
	const char *all[2 * FAKE_MAX_SETTINGS];
	char err[256];
	bool warmup = false;

	ck_assert_uint_le(n, 2 * FAKE_MAX_SETTINGS - 2);
	for (size_t i = 0; i < n; i++) {
		all[i] = kv[i];
		warmup |= i % 2 == 0 && strncmp(kv[i], "warmup_", 7) == 0;
	}
	if (!warmup) {
		all[n++] = "warmup_quiet_s";
		all[n++] = "0";
	}
	for (int i = 0; i < 4; i++)
		epochs[i] = 1;
	partition = 0;
	view = BF_VIEW_ADJ_IN_PRE;
	pl = bmpflow_plugin_descriptor();
	st = fake_plugin_start(&host, all, n, err, sizeof(err));
	ck_assert_msg(st != NULL, "init: %s", err);
}

static void
stop(void)
{
	ck_assert_int_eq(host.bad, 0);
	pl->fini(st);
}

/* Session i, as the host interns it (id i). */
static const struct bf_session *
sess(int i)
{
	static struct bf_session s[4];

	s[i] = (struct bf_session){ .id = (uint32_t)i, .router = "192.0.2.254",
	    .peer = peers[i], .peer_as = peer_as[i] };
	return &s[i];
}

static void
peer_ev(int i, bool up, uint64_t epoch, int64_t t)
{
	fake_session_event(st, sess(i), up, epoch, t, NULL);
}

/* Announce (n > 0 ASNs, last is the origin) or withdraw (n == 0). */
static void
route_ep(int i, uint64_t epoch, const char *prefix, int64_t t, uint32_t med,
    int n, ...)
{
	uint32_t path[16];
	struct bf_route r;
	va_list ap;

	memset(&r, 0, sizeof(r));
	r.session = sess(i);
	r.view = view;
	r.epoch = epoch;
	r.withdraw = n == 0;
	r.family = strchr(prefix, ':') ? 6 : 4;
	r.prefix = prefix;
	r.partition = partition;
	va_start(ap, n);
	for (int k = 0; k < n; k++)
		path[k] = va_arg(ap, uint32_t);
	va_end(ap);
	if (n > 0) {
		r.as_path = path;
		r.as_path_count = (uint32_t)n;
		r.as_path_len = (uint32_t)n;
		r.has_origin_as = true;
		r.origin_as = path[n - 1];
		r.next_hop = peers[i];
		r.has_med = med != 0;
		r.med = med;
	}
	/* The router stamps 200 ms before the collector receives it. */
	r.bmp_time_us = t - 200000;
	r.collector_time_us = t;
	pl->on_route(st, &r);
}

#define ANN(i, pfx, t, ...)						\
	route_ep(i, epochs[i], pfx, t, 0,				\
	    (int)(sizeof((uint32_t[]){ __VA_ARGS__ }) / sizeof(uint32_t)),	\
	    __VA_ARGS__)
#define ANN_MED(i, pfx, t, med, ...)					\
	route_ep(i, epochs[i], pfx, t, med,				\
	    (int)(sizeof((uint32_t[]){ __VA_ARGS__ }) / sizeof(uint32_t)),	\
	    __VA_ARGS__)
#define WD(i, pfx, t)	route_ep(i, epochs[i], pfx, t, 0, 0)

static int mark;	/* records before this index are already checked */

static void
tick(int64_t t)
{
	mark = host.n;
	pl->on_tick(st, t);
}

/* The record of kind for prefix emitted by the last tick, or NULL. */
static const struct fake_rec *
find(const char *prefix, const char *kind)
{
	const struct fake_rec *found = NULL;

	for (int i = mark; i < host.n; i++) {
		if (strcmp(host.recs[i].key, prefix) == 0 &&
		    strcmp(fake_val(&host.recs[i], "kind"), kind) == 0) {
			ck_assert_msg(found == NULL, "two %s records for %s",
			    kind, prefix);
			found = &host.recs[i];
		}
	}
	return found;
}

static const struct fake_rec *
change(const char *prefix)
{
	const struct fake_rec *r = find(prefix, "change");

	ck_assert_msg(r != NULL, "no change record for %s", prefix);
	ck_assert_str_eq(fake_val(r, "prefix"), prefix);
	return r;
}

static void
no_change(const char *prefix)
{
	ck_assert_msg(find(prefix, "change") == NULL,
	    "unexpected change record for %s (state %s)", prefix,
	    fake_val(find(prefix, "change"), "state"));
}

/* Expected "field=value" pairs, NULL-terminated. */
static void
expect(const struct fake_rec *r, ...)
{
	va_list ap;
	const char *kv;

	va_start(ap, r);
	while ((kv = va_arg(ap, const char *)) != NULL) {
		const char *eq = strchr(kv, '=');
		char name[64];

		ck_assert_ptr_nonnull(eq);
		snprintf(name, sizeof(name), "%.*s", (int)(eq - kv), kv);
		ck_assert_msg(strcmp(fake_val(r, name), eq + 1) == 0,
		    "%s %s: %s=%s, want %s", r->key, fake_val(r, "kind"), name,
		    fake_val(r, name), eq + 1);
	}
	va_end(ap);
}

static double
dval(const struct fake_rec *r, const char *field)
{
	return strtod(fake_val(r, field), NULL);
}

#define P1	"203.0.113.0/24"
#define P2	"198.18.0.0/15"
#define P6	"2001:db8::/32"
#define S(x)	(T0 + (int64_t)(x) * US)

/* ---- tests ---------------------------------------------------------------- */

START_TEST(visibility_withdraw_recover)
{
	const struct fake_rec *r;

	start(NULL, 0);
	peer_ev(0, true, 1, S(0));
	peer_ev(1, true, 1, S(0));
	ANN(0, P1, S(1), 65010, 65001);
	ANN(1, P1, S(1) + 300000, 65020, 3356, 65001);
	tick(S(2));
	r = change(P1);
	expect(r, "state=healthy", "previous_state=null",
	    "degraded_reasons=[]", "afi=4", "peers_with_route=2",
	    "peers_up=2", "routes=2", "visibility_pct=100",
	    "origins=[65001]", "moas=false", "unexpected_origins=[]",
	    "min_path_len=2", "max_path_len=3", "median_path_len=2.5",
	    "first_hop_ases=2", "target_hops=null", "target_hops_best=null",
	    "target_suboptimal=false", "announcements_1m=2",
	    "withdrawals_1m=0", "attr_changes_1m=0", "updates_1m=2",
	    "updates_15m=2", "flap_penalty=0", "flapping=false",
	    "time_us=1700000042000000", "last_change=1700000041300000",
	    "propagation_us=300000", "delivery_delay_us=200000",
	    "delivery_delay_max_us=200000", NULL);
	ck_assert_uint_eq(ph_routes_held(st), 2);

	/* Nothing changed: no record. */
	tick(S(3));
	ck_assert_int_eq(host.n, mark);

	WD(0, P1, S(5));
	tick(S(6));
	expect(change(P1), "state=degraded", "previous_state=healthy",
	    "degraded_reasons=[visibility]", "peers_with_route=1",
	    "peers_up=2", "visibility_pct=50", "origins=[65001]",
	    "min_path_len=3", "max_path_len=3", "median_path_len=3",
	    "first_hop_ases=1", "announcements_1m=2", "withdrawals_1m=1",
	    "updates_1m=3", "last_change=1700000045000000", NULL);

	WD(1, P1, S(7));
	tick(S(8));
	expect(change(P1), "state=unreachable", "previous_state=degraded",
	    "degraded_reasons=[]", "peers_with_route=0", "peers_up=2",
	    "routes=0", "visibility_pct=0", "origins=[]", "moas=false",
	    "min_path_len=null", "max_path_len=null",
	    "median_path_len=null", "first_hop_ases=0", "updates_1m=4",
	    "withdrawals_1m=2", NULL);
	ck_assert_uint_eq(ph_routes_held(st), 0);

	/* Re-announced at one peer: a flap, and half visible. */
	ANN(0, P1, S(9), 65010, 65001);
	tick(S(10));
	r = change(P1);
	expect(r, "state=degraded", "previous_state=unreachable",
	    "peers_with_route=1", "visibility_pct=50", "flapping=false",
	    NULL);
	ck_assert_double_eq_tol(dval(r, "flap_penalty"),
	    1000 * pow(0.5, 1.0 / 900), 0.01);

	/* And at the other: healthy again, reported as "recovered". */
	ANN(1, P1, S(11), 65020, 3356, 65001);
	tick(S(12));
	r = change(P1);
	expect(r, "state=recovered", "previous_state=degraded",
	    "degraded_reasons=[]", "peers_with_route=2",
	    "visibility_pct=100", "flapping=false", "announcements_1m=4",
	    "withdrawals_1m=2", "updates_1m=6", NULL);
	/* Each route flapped once: the highest penalty is B's, 1 s old. */
	ck_assert_double_eq_tol(dval(r, "flap_penalty"),
	    1000 * pow(0.5, 1.0 / 900), 0.01);

	/* The periodic summary reports the settled state, not "recovered". */
	tick(S(62));
	r = find(P1, "summary");
	ck_assert_ptr_nonnull(r);
	expect(r, "state=healthy", "previous_state=null",
	    "peers_with_route=2", "updates_1m=1", "updates_15m=6", NULL);
	no_change(P1);
	stop();
}
END_TEST

START_TEST(peer_down_drops_routes)
{
	start(NULL, 0);
	for (int i = 0; i < 3; i++) {
		peer_ev(i, true, 1, S(0));
		ANN(i, P1, S(1), peer_as[i], 65001);
	}
	ANN(0, P2, S(1), 65010, 65002);
	ANN(1, P2, S(1), 65020, 65002);
	tick(S(2));
	expect(change(P1), "state=healthy", "peers_with_route=3",
	    "peers_up=3", NULL);
	expect(change(P2), "state=degraded", "peers_with_route=2",
	    "peers_up=3", "visibility_pct=66.6667", NULL);
	ck_assert_uint_eq(ph_routes_held(st), 5);

	/* C goes down: P2 is now seen by every peer up. */
	peer_ev(2, false, 1, S(3));
	tick(S(4));
	no_change(P1);
	expect(change(P2), "state=recovered", "previous_state=degraded",
	    "peers_with_route=2", "peers_up=2", "visibility_pct=100", NULL);
	ck_assert_uint_eq(ph_routes_held(st), 4);

	/* A goes down: its routes go with it; no state change. */
	peer_ev(0, false, 1, S(5));
	tick(S(6));
	no_change(P1);
	no_change(P2);
	ck_assert_uint_eq(ph_routes_held(st), 2);

	/* A withdrawal of a prefix never announced creates nothing. */
	WD(1, "192.0.2.0/24", S(6));
	tick(S(6));
	ck_assert_int_eq(host.n, mark);

	tick(S(70));
	expect(find(P1, "summary"), "state=healthy", "peers_with_route=1",
	    "peers_up=1", "routes=1", "origins=[65001]",
	    "last_change=1700000045000000", NULL);
	expect(find(P2, "summary"), "state=healthy", "peers_with_route=1",
	    "peers_up=1", "routes=1", NULL);

	/* Last peer down: nobody has a route. */
	peer_ev(1, false, 1, S(71));
	tick(S(72));
	expect(change(P1), "state=unreachable", "previous_state=healthy",
	    "peers_with_route=0", "peers_up=0", "visibility_pct=0", NULL);
	ck_assert_uint_eq(ph_routes_held(st), 0);
	stop();
}
END_TEST

START_TEST(path_and_attribute_changes)
{
	const char *kv[] = { "target_asn", "3356", "summary_interval_s", "10" };
	const struct fake_rec *r;

	start(kv, 4);
	for (int i = 0; i < 3; i++)
		peer_ev(i, true, 1, S(0));
	ANN(0, P1, S(1), 65010, 65001);
	ANN(1, P1, S(1), 65020, 3356, 65001);
	ANN(2, P1, S(1), 65030, 174, 3356, 3356, 3356, 65001);
	tick(S(2));
	expect(change(P1), "state=healthy", "min_path_len=2",
	    "max_path_len=6", "median_path_len=3", "first_hop_ases=3",
	    "target_hops=1", "target_hops_best=1",
	    "target_suboptimal=false", NULL);

	/* A's path gets longer: a path change, no flap. */
	ANN(0, P1, S(3), 65010, 6939, 65001);
	/* B's MED changes: attribute-only. */
	ANN_MED(1, P1, S(4), 50, 65020, 3356, 65001);
	/* C sends the same route again: counted, nothing changes. */
	ANN(2, P1, S(5), 65030, 174, 3356, 3356, 3356, 65001);
	tick(S(12));
	r = find(P1, "summary");
	ck_assert_ptr_nonnull(r);
	expect(r, "state=healthy", "min_path_len=3", "max_path_len=6",
	    "median_path_len=3", "announcements_1m=5", "attr_changes_1m=1",
	    "withdrawals_1m=0", "updates_1m=6", "flap_penalty=0",
	    "last_change=1700000044000000", NULL);

	/* B loses the target on its path: target_hops from C, sub-optimal. */
	ANN(1, P1, S(61), 65020, 65001);
	tick(S(62));
	no_change(P1);
	expect(find(P1, "summary"), "target_hops=1", "target_hops_best=1",
	    "target_suboptimal=false", "min_path_len=2", NULL);
	ANN(2, P1, S(122), 65030, 174, 3356, 1299, 65001);
	WD(1, P1, S(122));
	tick(S(181));
	expect(change(P1), "state=degraded", "previous_state=healthy",
	    "target_hops=2", "target_hops_best=1",
	    "target_suboptimal=true", "peers_with_route=2",
	    "visibility_pct=66.6667", NULL);
	stop();
}
END_TEST

START_TEST(path_back_and_forth_is_a_flap)
{
	const struct fake_rec *r;

	start(NULL, 0);
	peer_ev(0, true, 1, S(0));
	ANN(0, P1, S(1), 65010, 65001);
	ANN(0, P1, S(2), 65010, 6939, 65001);	/* change: no flap */
	ANN(0, P1, S(3), 65010, 65001);		/* back: flap */
	ANN(0, P1, S(4), 65010, 6939, 65001);	/* forth: flap */
	ANN(0, P1, S(4), 65010, 6939, 65001);	/* duplicate: none */
	tick(S(4));
	r = change(P1);
	expect(r, "state=healthy", "flapping=false", "announcements_1m=5",
	    NULL);
	ck_assert_double_eq_tol(dval(r, "flap_penalty"),
	    1000 * pow(0.5, 1.0 / 900) + 1000, 0.01);
	stop();
}
END_TEST

START_TEST(path_length_jump_degrades)
{
	start(NULL, 0);
	peer_ev(0, true, 1, S(0));
	ANN(0, P1, S(1), 65010, 65001);
	tick(S(2));
	expect(change(P1), "state=healthy", "min_path_len=2", NULL);
	ANN(0, P1, S(3), 65010, 1, 2, 3, 65001);
	tick(S(4));
	expect(change(P1), "state=degraded", "previous_state=healthy",
	    "degraded_reasons=[path_length]", "min_path_len=5", NULL);
	ANN(0, P1, S(5), 65010, 1, 65001);
	tick(S(6));
	expect(change(P1), "state=recovered", "min_path_len=3", NULL);
	stop();
}
END_TEST

START_TEST(origin_change_moas_and_monitored)
{
	const char *kv[] = { "prefixes", P1 "@65001, 2001:DB8::/32",
	    "degraded_visibility_pct", "50" };
	const struct fake_rec *r;

	start(kv, 4);
	/* Monitored prefixes nobody has announced: unreachable. */
	tick(S(0));
	expect(change(P1), "state=unreachable", "previous_state=null",
	    "peers_up=0", NULL);
	expect(change(P6), "state=unreachable", "previous_state=null",
	    "afi=6", NULL);
	peer_ev(0, true, 1, S(0));
	peer_ev(1, true, 1, S(0));
	ANN(0, P1, S(1), 65010, 65001);
	ANN(1, P1, S(1), 65020, 65001);
	ANN(0, P2, S(1), 65010, 65002);		/* not monitored */
	ANN(0, P6, S(1), 65010, 65006);
	tick(S(2));
	expect(change(P1), "state=recovered", "previous_state=unreachable",
	    "origins=[65001]", "moas=false", NULL);
	/* Only A has sent IPv6: it alone counts as up for AFI 6. */
	expect(change(P6), "state=recovered", "peers_up=1",
	    "visibility_pct=100", "origins=[65006]", NULL);
	ck_assert_ptr_null(find(P2, "change"));
	ck_assert_uint_eq(ph_routes_held(st), 3);

	/* B's origin changes: MOAS, and not an expected origin. */
	ANN(1, P1, S(3), 65020, 64999);
	tick(S(4));
	r = change(P1);
	expect(r, "state=degraded", "previous_state=healthy",
	    "degraded_reasons=[unexpected_origin]", "origins=[64999,65001]",
	    "moas=true", "unexpected_origins=[64999]",
	    "peers_with_route=2", "visibility_pct=100", NULL);

	/* Back to the expected origin. */
	ANN(1, P1, S(5), 65020, 65001);
	tick(S(6));
	expect(change(P1), "state=recovered", "origins=[65001]",
	    "moas=false", "unexpected_origins=[]", NULL);
	stop();
}
END_TEST

START_TEST(flap_storm_and_decay)
{
	const struct fake_rec *r;
	double p;

	start(NULL, 0);
	peer_ev(0, true, 1, S(0));
	peer_ev(1, true, 1, S(0));
	ANN(0, P1, S(1), 65010, 65001);
	ANN(1, P1, S(1), 65020, 65001);
	tick(S(1));
	expect(change(P1), "state=healthy", NULL);
	/* Three withdraw/re-announce cycles at A within 3 seconds. */
	for (int k = 0; k < 3; k++) {
		WD(0, P1, S(2 + k));
		ANN(0, P1, S(2 + k), 65010, 65001);
	}
	tick(S(5));
	r = change(P1);
	p = ((1000 * pow(0.5, 1.0 / 900) + 1000) * pow(0.5, 1.0 / 900) +
	    1000) * pow(0.5, 1.0 / 900);
	expect(r, "state=degraded", "previous_state=healthy",
	    "degraded_reasons=[flapping]", "flapping=true",
	    "visibility_pct=100", "announcements_1m=5", "withdrawals_1m=3",
	    "updates_1m=8", NULL);
	ck_assert_double_eq_tol(dval(r, "flap_penalty"), p, 0.01);

	/* After one half-life: still above reuse (750), still degraded. */
	tick(S(5 + 900));
	no_change(P1);
	r = find(P1, "summary");
	expect(r, "state=degraded", "flapping=true", "updates_1m=0",
	    "updates_15m=0", NULL);
	ck_assert_double_eq_tol(dval(r, "flap_penalty"), p / 2, 0.01);
	tick(S(5 + 1700));
	no_change(P1);
	/* Below reuse: healthy again. */
	tick(S(5 + 1900));
	r = change(P1);
	expect(r, "state=recovered", "previous_state=degraded",
	    "flapping=false", "degraded_reasons=[]", NULL);
	ck_assert_double_eq_tol(dval(r, "flap_penalty"),
	    p * pow(0.5, 1900.0 / 900), 0.01);
	stop();
}
END_TEST

START_TEST(churn_windows)
{
	const struct fake_rec *r;

	start(NULL, 0);
	peer_ev(0, true, 1, S(0));
	ANN(0, P1, S(5), 65010, 65001);			/* bucket 0 */
	ANN_MED(0, P1, S(15), 7, 65010, 65001);		/* bucket 1 */
	ANN(0, P1, S(65), 65010, 65002);		/* bucket 6 */
	tick(S(66));
	/* The 1-minute window holds 10 s buckets 1..6. */
	r = change(P1);
	expect(r, "announcements_1m=1", "attr_changes_1m=1",
	    "updates_1m=2", "announcements_15m=2", "updates_15m=3", NULL);
	tick(S(126));
	expect(find(P1, "summary"), "updates_1m=0", "updates_15m=3", NULL);
	/* The 15-minute window holds 60 s buckets: the first drops out
	 * at 900 s. */
	ANN(0, P1, S(899), 65010, 65001);
	tick(S(900));
	expect(find(P1, "summary"), "updates_1m=1", "updates_15m=2", NULL);
	stop();
}
END_TEST

START_TEST(peer_epochs)
{
	start(NULL, 0);
	peer_ev(0, true, 1, S(0));
	peer_ev(1, true, 1, S(0));
	ANN(0, P1, S(1), 65010, 65001);
	ANN(0, P2, S(1), 65010, 65002);
	ANN(1, P1, S(1), 65020, 65001);
	tick(S(2));
	expect(change(P1), "state=healthy", "peers_with_route=2", NULL);
	expect(change(P2), "state=degraded", "visibility_pct=50", NULL);
	ck_assert_uint_eq(ph_routes_held(st), 3);

	/* A new epoch of A (its session restarted): A starts afresh. */
	peer_ev(0, true, 2, S(3));
	ck_assert_uint_eq(ph_routes_held(st), 1);
	tick(S(4));
	/* A has sent nothing in epoch 2: only B counts as up. */
	expect(change(P2), "state=unreachable", "previous_state=degraded",
	    "peers_up=1", NULL);
	no_change(P1);

	epochs[0] = 2;
	ANN(0, P2, S(5), 65010, 65002);
	tick(S(6));
	expect(change(P2), "state=degraded", "previous_state=unreachable",
	    "peers_with_route=1", "peers_up=2", "flap_penalty=0", NULL);
	ck_assert_uint_eq(ph_routes_held(st), 2);
	stop();
}
END_TEST

/* The Peer Up read after the routes it heads keeps them (no reset). */
START_TEST(late_peer_up_keeps_routes)
{
	struct bf_session_event up = { .kind = BF_SESSION_UP, .epoch = 1,
	    .has_open = true, .local_role = "provider",
	    .peer_role = "customer" };

	start(NULL, 0);
	/* The host opened the epoch from the first route. */
	up.session = sess(0);
	up.reset = true;
	up.has_open = false;
	pl->on_session(st, &up);
	ANN(0, P1, S(1), 65010, 65001);
	up.reset = false;
	up.has_open = true;
	pl->on_session(st, &up);
	ck_assert_uint_eq(ph_routes_held(st), 1);
	tick(S(2));
	expect(change(P1), "state=healthy", "peers_up=1", NULL);
	stop();
}
END_TEST

/*
 * "views = all": Adj-RIB-In pre- and post-policy and Adj-RIB-Out of one
 * session are one session in visibility; a view that ends takes only its
 * routes.
 */
START_TEST(views_of_one_session)
{
	struct bf_session_event end = { .kind = BF_SESSION_VIEW_END,
	    .epoch = 1, .view = BF_VIEW_ADJ_IN_PRE };

	start(NULL, 0);
	for (int i = 0; i < 2; i++) {
		peer_ev(i, true, 1, S(0));
		for (int v = BF_VIEW_ADJ_IN_PRE; v <= BF_VIEW_ADJ_OUT_PRE;
		    v++) {
			view = v;
			ANN(i, P1, S(1), peer_as[i], 65001);
		}
	}
	view = BF_VIEW_ADJ_IN_PRE;
	ANN(0, P2, S(1), 65010, 65002);
	tick(S(2));
	expect(change(P1), "state=healthy", "peers_with_route=2",
	    "peers_up=2", "routes=6", NULL);
	expect(change(P2), "state=degraded", "peers_with_route=1",
	    "peers_up=2", "visibility_pct=50", NULL);
	/* A's pre-policy view ends: P2 is gone from A, P1 stays. */
	end.session = sess(0);
	pl->on_session(st, &end);
	ck_assert_uint_eq(ph_routes_held(st), 5);
	tick(S(3));
	expect(change(P2), "state=unreachable", NULL);
	no_change(P1);
	/* A Peer Down ends every view of the session. */
	peer_ev(1, false, 1, S(4));
	ck_assert_uint_eq(ph_routes_held(st), 2);
	tick(S(5));
	no_change(P1);
	stop();
}
END_TEST

/*
 * Tables of three sessions arriving seconds apart behind Peer Ups sent
 * together (as FRR sends them): each session's warm-up runs from its own
 * first route, so no prefix the three share ever flips.
 */
START_TEST(warmup_per_session)
{
	static const char *const kv[] = { "warmup_quiet_s", "3" };
	char pfx[32];

	start(kv, 2);
	for (int i = 0; i < 3; i++)
		peer_ev(i, true, 1, S(0));
	tick(S(0));
	for (int i = 0; i < 3; i++) {
		for (int t = 0; t < 3; t++) {
			/* Each table takes 3 s, the next starts after it. */
			int64_t now = S(1 + 3 * i + t);

			for (int k = t * 100; k < (t + 1) * 100; k++) {
				snprintf(pfx, sizeof(pfx), "10.0.%d.0/24", k);
				route_ep(i, 1, pfx, now, 0, 2, peer_as[i],
				    65001);
			}
			tick(now);
			for (int k = 0; k < 300; k++) {
				snprintf(pfx, sizeof(pfx), "10.0.%d.0/24", k);
				const struct fake_rec *r = find(pfx, "change");

				ck_assert_msg(r == NULL || strcmp(fake_val(r,
				    "state"), "healthy") == 0, "%s %s at %ds "
				    "into the load", pfx, r ? fake_val(r,
				    "state") : "", 1 + 3 * i + t);
			}
		}
	}
	tick(S(20));
	tick(S(21));
	ck_assert_double_eq(fake_metric_value(&host,
	    "prefixes", "state=\"healthy\""), 300);
	ck_assert_double_eq(fake_metric_value(&host, "peers_warming", ""), 0);
	stop();
}
END_TEST

/*
 * A prefix whose only routes go before it had a state (here a view the
 * host stops delivering during the dump) gets no record: it was never
 * seen, it is not unreachable.
 */
START_TEST(gone_before_a_state)
{
	static const char *const kv[] = { "warmup_quiet_s", "3" };
	struct bf_session_event end = { .kind = BF_SESSION_VIEW_END,
	    .epoch = 1, .view = BF_VIEW_LOC_RIB, .partition = -1,
	    .route_class = -1 };

	start(kv, 2);
	peer_ev(0, true, 1, S(0));
	peer_ev(1, true, 1, S(0));
	tick(S(0));
	view = BF_VIEW_LOC_RIB;
	ANN(0, P1, S(1), 65010, 65001);
	view = BF_VIEW_ADJ_IN_PRE;
	ANN(1, P2, S(1), 65020, 65002);
	tick(S(1));
	end.session = sess(0);
	pl->on_session(st, &end);
	for (int t = 2; t < 8; t++) {
		tick(S(t));
		ck_assert_ptr_null(find(P1, "change"));
	}
	ck_assert_double_eq(fake_metric_value(&host, "prefixes",
	    "state=\"healthy\""), 1);
	ck_assert_double_eq(fake_metric_value(&host, "prefixes",
	    "state=\"unreachable\""), 0);
	stop();
}
END_TEST

/*
 * A prefix withdrawn while it had no state yet is unreachable: an instance
 * that rebuilt its partition (its peers in warm-up again) must still end
 * the state an earlier instance published for it.
 */
START_TEST(withdrawn_before_a_state)
{
	static const char *const kv[] = { "warmup_quiet_s", "3" };

	start(kv, 2);
	peer_ev(0, true, 1, S(0));
	peer_ev(1, true, 1, S(0));
	tick(S(0));
	ANN(0, P1, S(1), 65010, 65001);
	ANN(1, P1, S(1), 65020, 65001);
	ANN(1, P2, S(1), 65020, 65002);
	tick(S(1));
	WD(0, P1, S(2));
	WD(1, P1, S(2));
	tick(S(2));
	expect(change(P1), "state=unreachable", "previous_state=null",
	    "peers_with_route=0", "routes=0", NULL);
	/* P2 kept its route: it gets its state once the warm-up ends. */
	bool p2_state = false;
	for (int t = 3; t < 9; t++) {
		tick(S(t));
		no_change(P1);
		if (find(P2, "change") != NULL) {
			expect(change(P2), "peers_with_route=1", NULL);
			p2_state = true;
		}
	}
	ck_assert(p2_state);
	stop();
}
END_TEST

/* End-of-RIB ends a warm-up after warmup_eor_quiet_s, not warmup_quiet_s. */
START_TEST(warmup_end_of_rib)
{
	static const char *const kv[] = { "warmup_quiet_s", "30",
	    "warmup_eor_quiet_s", "1" };
	struct bf_session_event eor = { .kind = BF_SESSION_END_OF_RIB,
	    .epoch = 1, .view = BF_VIEW_ADJ_IN_PRE, .family = "ipv4-unicast" };

	start(kv, 4);
	peer_ev(0, true, 1, S(0));
	peer_ev(1, true, 1, S(0));
	tick(S(0));
	ANN(0, P1, S(1), 65010, 65001);
	ANN(1, P1, S(1), 65020, 65001);
	tick(S(1));
	eor.session = sess(0);
	pl->on_session(st, &eor);
	tick(S(2));
	ck_assert_double_eq(fake_metric_value(&host, "peers_warming", ""), 1);
	expect(change(P1), "state=healthy", "peers_up=1", NULL);
	/* Without End-of-RIB, B waits its 30 s of quiet. */
	tick(S(31));
	tick(S(32));
	ck_assert_double_eq(fake_metric_value(&host, "peers_warming", ""), 0);
	/*
	 * A new session's End-of-RIB read before its table's last routes
	 * (bmp.peer is read apart): the warm-up lasts while they come, one
	 * tick interval at a time.
	 */
	peer_ev(2, true, 1, S(40));
	eor.session = sess(2);
	pl->on_session(st, &eor);
	for (int t = 41; t < 45; t++) {
		ANN(2, P2, S(t), 65030, 65002);
		tick(S(t));
		ck_assert_double_eq(fake_metric_value(&host, "peers_warming",
		    ""), 1);
	}
	tick(S(45));
	tick(S(46));
	ck_assert_double_eq(fake_metric_value(&host, "peers_warming", ""), 0);
	stop();
}
END_TEST

/*
 * RFC 2439 per route: three sessions withdraw a prefix and announce it
 * again (one outage): one flap per route, none suppressed: recovered,
 * never flapping.  One route that flaps again and again is suppressed,
 * and the prefix is flapping until it decays below reuse.
 */
START_TEST(flap_damping_per_route)
{
	const struct fake_rec *r;

	start(NULL, 0);
	for (int i = 0; i < 3; i++) {
		peer_ev(i, true, 1, S(0));
		ANN(i, P1, S(1), peer_as[i], 65001);
	}
	tick(S(2));
	expect(change(P1), "state=healthy", NULL);
	for (int i = 0; i < 3; i++)
		WD(i, P1, S(3));
	tick(S(4));
	expect(change(P1), "state=unreachable", NULL);
	for (int i = 0; i < 3; i++)
		ANN(i, P1, S(5), peer_as[i], 65001);
	tick(S(6));
	r = change(P1);
	expect(r, "state=recovered", "flapping=false", "degraded_reasons=[]",
	    NULL);
	ck_assert_double_lt(dval(r, "flap_penalty"), 1000);

	/* A's route flaps three times more: suppressed. */
	for (int k = 0; k < 3; k++) {
		WD(0, P1, S(10 + 2 * k));
		ANN(0, P1, S(11 + 2 * k), 65010, 65001);
	}
	tick(S(17));
	r = change(P1);
	expect(r, "state=degraded", "flapping=true",
	    "degraded_reasons=[flapping]", "peers_with_route=3", NULL);
	ck_assert_double_gt(dval(r, "flap_penalty"), 2000);
	/* Below reuse (750) after log2(4000/750) half-lives: healthy. */
	tick(S(17 + 900 * 3));
	r = change(P1);
	expect(r, "state=recovered", "flapping=false", NULL);
	stop();
}
END_TEST

/*
 * An AS_SET is one hop (RFC 4271), and a path ending in one has no single
 * origin: 64602 T {3356 1299} 174 64708 is 3 hops from T.
 */
START_TEST(as_set_one_hop)
{
	static const char *const kv[] = { "target_asn", "64999",
	    "target_hops_max", "3" };
	uint32_t path[] = { 64602, 64999, 3356, 1299, 174, 64708 };
	struct bf_as_segment segs[] = { { BF_SEG_SEQUENCE, 0, 2 },
	    { BF_SEG_SET, 2, 2 }, { BF_SEG_SEQUENCE, 4, 2 } };
	uint32_t agg[] = { 64603, 64510, 64511 };
	struct bf_as_segment agg_segs[] = { { BF_SEG_SEQUENCE, 0, 1 },
	    { BF_SEG_SET, 1, 2 } };
	struct bf_route r = { .epoch = 1, .family = 4, .prefix = P1,
	    .as_path = path, .as_path_count = 6, .segments = segs,
	    .n_segments = 3, .as_path_len = 5, .has_origin_as = true,
	    .origin_as = 64708, .next_hop = "192.0.2.1" };

	start(kv, 4);
	peer_ev(0, true, 1, S(0));
	peer_ev(1, true, 1, S(0));
	r.session = sess(0);
	r.collector_time_us = r.bmp_time_us = S(1);
	pl->on_route(st, &r);
	/* B: an aggregate ending in an AS_SET, no origin_as. */
	r.session = sess(1);
	r.prefix = P2;
	r.as_path = agg;
	r.as_path_count = 3;
	r.segments = agg_segs;
	r.n_segments = 2;
	r.as_path_len = 2;
	r.has_origin_as = false;
	pl->on_route(st, &r);
	r.session = sess(0);
	r.as_path = (uint32_t[]){ 64602, 64510 };
	r.as_path_count = 2;
	r.segments = NULL;
	r.n_segments = 0;
	r.has_origin_as = true;
	r.origin_as = 64510;
	pl->on_route(st, &r);
	tick(S(2));
	expect(change(P1), "target_hops=3", "target_suboptimal=false",
	    "min_path_len=5", NULL);
	/* The aggregate adds no origin: no MOAS. */
	expect(change(P2), "origins=[64510]", "moas=false", NULL);
	stop();
}
END_TEST

START_TEST(settings_errors)
{
	const char *bad[][3] = {
		{ "no_such_thing", "1", "" },
		{ "degraded_visibility_pct", "120", "" },
		{ "prefixes", "192.0.2.0/33", "bad prefix length" },
		{ "prefixes", "192.0.2.0/24@x", "" },
		/* A typing error that would never match a route. */
		{ "prefixes", "192.0.2.1/24", "host bits set" },
		{ "flap_reuse", "5000", "" },
	};
	char err[256];

	pl = bmpflow_plugin_descriptor();
	ck_assert_uint_eq(pl->abi, BMPFLOW_PLUGIN_ABI);
	ck_assert_str_eq(pl->name, "prefix_health");
	ck_assert_str_eq(pl->output_schema, "prefix_health");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_ptr_null(fake_plugin_start(&host, bad[i], 2, err,
		    sizeof(err)));
		ck_assert_msg(err[0] != '\0', "no message for %s", bad[i][0]);
		ck_assert_msg(strstr(err, bad[i][2]) != NULL, "%s=%s: '%s' "
		    "does not say '%s'", bad[i][0], bad[i][1], err, bad[i][2]);
	}
}
END_TEST

START_TEST(warmup_hides_rib_dump)
{
	static const char *const kv[] = { "warmup_quiet_s", "3",
	    "warmup_max_s", "5" };

	start(kv, 4);
	peer_ev(0, true, 1, S(0));
	peer_ev(1, true, 1, S(0));
	/* Dumps: B has reached P2 but not P1 yet. */
	ANN(0, P1, S(1), 65010, 65001);
	ANN(0, P2, S(1), 65010, 65002);
	ANN(1, P2, S(1), 65020, 65002);
	/* Warm-up runs on tick time: both start counting at this tick. */
	host.deferred = false;
	tick(S(2));
	ck_assert_int_eq(host.n, mark);		/* both still warming */
	ck_assert_double_eq(fake_metric_value(&host, "peers_warming", ""), 2);
	/* Their routes' outputs are held back: the host must not commit. */
	ck_assert(host.deferred);
	tick(S(3));
	ANN(1, P1, S(3) + US / 2, 65020, 65001);
	/* Quiet is counted in whole ticks: B's last route marks S(4). */
	tick(S(4));
	/* A has been quiet for 3 s, B not yet: only A counts. */
	tick(S(5));
	expect(change(P1), "state=healthy", "previous_state=null",
	    "peers_with_route=1", "peers_up=1", "visibility_pct=100", NULL);
	expect(change(P2), "state=healthy", "peers_with_route=1",
	    "peers_up=1", NULL);
	ck_assert_double_eq(fake_metric_value(&host, "peers_warming", ""), 1);
	/* B's dump is over: both count, nothing was ever degraded. */
	tick(S(6));
	host.deferred = false;
	tick(S(7));
	ck_assert(!host.deferred);
	no_change(P1);
	no_change(P2);
	ck_assert_double_eq(fake_metric_value(&host, "peers_warming", ""), 0);
	ck_assert_double_eq(fake_metric_value(&host, "prefixes",
	    "state=\"healthy\""), 2);
	ck_assert_double_eq(fake_metric_value(&host, "prefixes",
	    "state=\"degraded\""), 0);

	/*
	 * C never goes quiet: it counts warmup_max_s after its Peer Up, and
	 * P1, which it does not have, is then seen by 2 of 3.
	 */
	tick(S(10));
	peer_ev(2, true, 1, S(10));
	bool degraded = false;
	for (int t = 10; t <= 16; t++) {
		const struct fake_rec *c;

		ANN(2, P2, S(t), 65030, 65002);
		ANN_MED(2, P2, S(t) + US / 2, (uint32_t)t, 65030, 65002);
		tick(S(t) + US / 2);
		c = find(P1, "change");
		if (t < 15) {
			ck_assert_ptr_null(c);
			ck_assert_double_eq(fake_metric_value(&host,
			    "peers_warming", ""), 1);
		} else if (c != NULL) {
			ck_assert(!degraded);
			expect(c, "state=degraded", "peers_with_route=2",
			    "peers_up=3", NULL);
			degraded = true;
		}
	}
	ck_assert(degraded);
	ck_assert_double_eq(fake_metric_value(&host, "peers_warming", ""), 0);
	no_change(P2);
	stop();
}
END_TEST

/*
 * A processor catching up on a backlog reads an old dump fast: warm-up
 * still waits for its end, on tick time, not on the records' times.
 */
START_TEST(warmup_on_a_backlog)
{
	static const char *const kv[] = { "warmup_quiet_s", "3" };
	const int64_t now = S(100000);		/* the dump was a day ago */

	start(kv, 2);
	peer_ev(0, true, 1, S(0));
	peer_ev(1, true, 1, S(0));
	ANN(0, P1, S(1), 65010, 65001);
	ANN(0, P2, S(1), 65010, 65002);
	tick(now);
	ck_assert_int_eq(host.n, mark);
	/* B's half of the backlog is read over the next seconds. */
	for (int i = 1; i <= 4; i++) {
		ANN(1, i % 2 ? P1 : P2, S(2), 65020, i % 2 ? 65001 : 65002);
		tick(now + i * US);
		ck_assert_double_eq(fake_metric_value(&host, "prefixes",
		    "state=\"degraded\""), 0);
	}
	/* A, quiet since the first tick, counts; then B: never degraded. */
	tick(now + 8 * US);
	ck_assert_double_eq(fake_metric_value(&host, "peers_warming", ""), 0);
	ck_assert_double_eq(fake_metric_value(&host, "prefixes",
	    "state=\"degraded\""), 0);
	ck_assert_double_eq(fake_metric_value(&host, "prefixes",
	    "state=\"healthy\""), 2);
	stop();
}
END_TEST

START_TEST(partition_dropped)
{
	start(NULL, 0);
	peer_ev(0, true, 1, S(0));
	partition = 1;
	ANN(0, P1, S(1), 65010, 65001);
	partition = 2;
	ANN(0, P2, S(1), 65010, 65002);
	ANN(0, P6, S(1), 65010, 65006);
	tick(S(2));
	ck_assert_int_eq(change(P1)->partition, 1);
	ck_assert_int_eq(change(P2)->partition, 2);
	ck_assert_double_eq(fake_metric_value(&host, "prefixes",
	    "state=\"healthy\""), 3);
	ck_assert_uint_eq(ph_routes_held(st), 3);

	/* Partition 2 goes to another instance: its prefixes are gone. */
	pl->drop_partition(st, 2);
	ck_assert_uint_eq(ph_routes_held(st), 1);
	tick(S(70));
	ck_assert_ptr_nonnull(find(P1, "summary"));
	ck_assert_ptr_null(find(P2, "summary"));
	ck_assert_ptr_null(find(P6, "summary"));
	ck_assert_double_eq(fake_metric_value(&host, "prefixes",
	    "state=\"healthy\""), 1);

	/* Given back and rebuilt: P2 starts afresh. */
	partition = 2;
	ANN(0, P2, S(71), 65010, 65002);
	tick(S(72));
	expect(change(P2), "state=healthy", "previous_state=null",
	    "peers_with_route=1", NULL);
	ck_assert_uint_eq(ph_routes_held(st), 2);
	stop();
}
END_TEST

/* ---- bytes per route --------------------------------------------------------- */

/*
 * Bytes per route held after n_peers each dump n_prefixes, and once the
 * churn windows are empty.  With warm-up (the default), the dumps are not
 * churn and leave no activity records.
 */
static double
measure(int n_prefixes, int n_peers, bool warmup)
{
	static const char *const kv[] = { "warmup_quiet_s", "3" };
	const char *mode = warmup ? "warm-up" : "no warm-up";
	char pfx[32];
	double b;

	struct timespec t0, t1;

	start(kv, warmup ? 2 : 0);
	host.discard = true;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < n_peers; i++) {
		char addr[32];
		struct bf_session s = { .id = (uint32_t)i,
		    .router = "192.0.2.254", .peer = addr };
		struct bf_session_event e = { .session = &s, .epoch = 1,
		    .kind = BF_SESSION_UP, .reset = true,
		    .collector_time_us = T0 };
		snprintf(addr, sizeof(addr), "10.%d.%d.%d", i >> 16,
		    (i >> 8) & 0xff, i & 0xff);
		pl->on_session(st, &e);
		for (int k = 0; k < n_prefixes; k++) {
			/* Realistic sharing: a path per (peer, origin). */
			uint32_t path[4] = { 64512u + (uint32_t)i, 3356,
			    174, 65000u + (uint32_t)(k % 1000) };
			struct bf_route r = {
				.session = &s, .epoch = 1, .family = 4,
				.prefix = pfx, .as_path = path,
				.as_path_count = 4, .as_path_len = 4,
				.has_origin_as = true, .origin_as = path[3],
				.next_hop = addr,
				.bmp_time_us = T0, .collector_time_us = T0,
			};
			snprintf(pfx, sizeof(pfx), "%d.%d.%d.0/24",
			    1 + (k >> 16), (k >> 8) & 0xff, k & 0xff);
			pl->on_route(st, &r);
		}
	}
	ck_assert_uint_eq(ph_routes_held(st),
	    (size_t)n_prefixes * (size_t)n_peers);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("prefix_health: %d prefixes x %d peers: %.0f on_route calls "
	    "per second (this build)\n", n_prefixes, n_peers,
	    (double)n_prefixes * n_peers / ((double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9));
	pl->on_tick(st, T0);
	ck_assert_int_eq(host.emitted, warmup ? 0 : n_prefixes);
	pl->on_tick(st, T0 + 4 * US);
	ck_assert_int_eq(host.emitted, n_prefixes);
	printf("prefix_health: %d prefixes x %d peers, %s: %.1f bytes per "
	    "route just after the RIB dump (%zu bytes)\n", n_prefixes,
	    n_peers, mode, ph_bytes_per_route(st), ph_mem_bytes(st));
	/* 16 minutes later the churn windows are empty. */
	pl->on_tick(st, T0 + 16 * 60 * US);
	b = ph_bytes_per_route(st);
	printf("prefix_health: %d prefixes x %d peers, %s: %.1f bytes per "
	    "route when quiet (%zu bytes, route slot %zu bytes)\n",
	    n_prefixes, n_peers, mode, b, ph_mem_bytes(st),
	    ph_route_slot_bytes());
	pl->fini(st);
	return b;
}

START_TEST(bytes_per_route)
{
	ck_assert_uint_le(ph_route_slot_bytes(), 24);
	measure(1, 10000, true);
	ck_assert_double_le(measure(100000, 10, true), 64);
	measure(100000, 10, false);
	measure(100000, 2, true);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("prefix_health");
	TCase *tc = tcase_create("scripted");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, visibility_withdraw_recover);
	tcase_add_test(tc, peer_down_drops_routes);
	tcase_add_test(tc, path_and_attribute_changes);
	tcase_add_test(tc, path_back_and_forth_is_a_flap);
	tcase_add_test(tc, path_length_jump_degrades);
	tcase_add_test(tc, origin_change_moas_and_monitored);
	tcase_add_test(tc, flap_storm_and_decay);
	tcase_add_test(tc, churn_windows);
	tcase_add_test(tc, peer_epochs);
	tcase_add_test(tc, late_peer_up_keeps_routes);
	tcase_add_test(tc, views_of_one_session);
	tcase_add_test(tc, warmup_per_session);
	tcase_add_test(tc, warmup_end_of_rib);
	tcase_add_test(tc, gone_before_a_state);
	tcase_add_test(tc, withdrawn_before_a_state);
	tcase_add_test(tc, flap_damping_per_route);
	tcase_add_test(tc, as_set_one_hop);
	tcase_add_test(tc, settings_errors);
	tcase_add_test(tc, warmup_hides_rib_dump);
	tcase_add_test(tc, warmup_on_a_backlog);
	tcase_add_test(tc, partition_dropped);
	tcase_add_test(tc, bytes_per_route);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return bf_run_suite(suite());
}
