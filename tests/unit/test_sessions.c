/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_sessions.c: the host's session model: sessions interned apart by
 * every key field, the epoch rule with Peer Up, Peer Down, routes and
 * End-of-RIB in every order the two topics deliver them (and again), and
 * the view chosen per router.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "host/sessions.h"
#include "test_util.h"

static struct bf_sessions t;

static void
setup(void)
{
	char err[256];

	ck_assert_int_eq(bf_sessions_init(&t, BF_VIEWS_DEFAULT, err,
	    sizeof(err)), 0);
}

static void
teardown(void)
{
	bf_sessions_free(&t);
}

static struct bf_sess *
sess(const char *router, const char *peer)
{
	struct bf_sess *s = bf_sessions_get(&t, router, 0, peer, NULL, 65001);

	ck_assert_ptr_nonnull(s);
	return s;
}

START_TEST(interned_by_key)
{
	struct bf_sess *a = sess("10.0.0.1", "192.0.2.1");

	ck_assert_uint_eq(a->pub.id, 0);
	ck_assert_ptr_eq(sess("10.0.0.1", "192.0.2.1"), a);
	ck_assert_uint_eq(sess("10.0.0.2", "192.0.2.1")->pub.id, 1);
	ck_assert_uint_eq(sess("10.0.0.1", "192.0.2.2")->pub.id, 2);
	/* Peer type and RD are part of the key. */
	ck_assert_uint_eq(bf_sessions_get(&t, "10.0.0.1", 1, "192.0.2.1",
	    "65000:1", 1)->pub.id, 3);
	ck_assert_uint_eq(bf_sessions_get(&t, "10.0.0.1", 3, "192.0.2.1",
	    NULL, 1)->pub.id, 4);
	ck_assert_ptr_eq(bf_sessions_get(&t, "10.0.0.1", 1, "192.0.2.1",
	    "65000:1", 1), t.v[3]);
	/* Many sessions: the index grows, ids stay dense and stable. */
	for (int i = 0; i < 1000; i++) {
		char peer[32];

		snprintf(peer, sizeof(peer), "198.51.%d.%d", i / 250, i % 250);
		ck_assert_uint_eq(sess("10.0.0.9", peer)->pub.id, 5 + i);
	}
	ck_assert_ptr_eq(sess("10.0.0.1", "192.0.2.1"), a);
	ck_assert_str_eq(a->pub.router, "10.0.0.1");
	ck_assert_uint_eq(t.n, 1005);
}
END_TEST

START_TEST(in_order)
{
	struct bf_sess *s = sess("10.0.0.1", "192.0.2.1");

	ck_assert_int_eq(bf_sessions_up(&t, s, 5), BF_SESS_OPEN);
	ck_assert_int_eq(bf_sessions_record(&t, s, 5), BF_SESS_DELIVER);
	ck_assert_int_eq(bf_sessions_down(&t, s, 5), BF_SESS_DELIVER);
	/* After the Peer Down: late routes of the closed epoch are stale. */
	ck_assert_int_eq(bf_sessions_record(&t, s, 5), BF_SESS_STALE);
	ck_assert_int_eq(bf_sessions_up(&t, s, 9), BF_SESS_OPEN);
	ck_assert_int_eq(bf_sessions_record(&t, s, 9), BF_SESS_DELIVER);
	ck_assert_int_eq(bf_sessions_record(&t, s, 5), BF_SESS_STALE);
	ck_assert_uint_eq(t.stale, 2);
}
END_TEST

/* The RIB dump right behind the Peer Up, read before it. */
START_TEST(route_before_peer_up)
{
	struct bf_sess *s = sess("10.0.0.1", "192.0.2.1");

	ck_assert_int_eq(bf_sessions_record(&t, s, 7), BF_SESS_OPEN);
	ck_assert_int_eq(bf_sessions_record(&t, s, 7), BF_SESS_DELIVER);
	/* The Peer Up is delivered, without a reset, once. */
	ck_assert_int_eq(bf_sessions_up(&t, s, 7), BF_SESS_DELIVER);
	ck_assert_int_eq(bf_sessions_up(&t, s, 7), BF_SESS_REPEAT);
	ck_assert_int_eq(bf_sessions_record(&t, s, 7), BF_SESS_DELIVER);
	ck_assert_uint_eq(t.stale, 0);
}
END_TEST

START_TEST(redelivered)
{
	struct bf_sess *s = sess("10.0.0.1", "192.0.2.1");

	ck_assert_int_eq(bf_sessions_up(&t, s, 3), BF_SESS_OPEN);
	ck_assert_int_eq(bf_sessions_up(&t, s, 3), BF_SESS_REPEAT);
	ck_assert_int_eq(bf_sessions_down(&t, s, 3), BF_SESS_DELIVER);
	ck_assert_int_eq(bf_sessions_down(&t, s, 3), BF_SESS_STALE);
	ck_assert_int_eq(bf_sessions_up(&t, s, 3), BF_SESS_STALE);
	ck_assert_uint_eq(t.stale, 2);
}
END_TEST

/* A Peer Down of a newer epoch closes the open one (its Up was lost). */
START_TEST(newer_down_closes)
{
	struct bf_sess *s = sess("10.0.0.1", "192.0.2.1");

	ck_assert_int_eq(bf_sessions_up(&t, s, 3), BF_SESS_OPEN);
	ck_assert_int_eq(bf_sessions_down(&t, s, 4), BF_SESS_DELIVER);
	ck_assert_int_eq(bf_sessions_record(&t, s, 3), BF_SESS_STALE);
	ck_assert_int_eq(bf_sessions_record(&t, s, 4), BF_SESS_STALE);
	/* A down of a session never open here has nothing to close. */
	ck_assert_int_eq(bf_sessions_down(&t, s, 6), BF_SESS_REPEAT);
}
END_TEST

/*
 * Per session: pre-policy where sent, else post-policy; the Loc-RIB of a
 * router that sends neither for any session.
 */
START_TEST(view_per_session)
{
	struct bf_sess *a = sess("10.0.0.1", "192.0.2.1");
	struct bf_sess *b = sess("10.0.0.1", "192.0.2.2");
	struct bf_sess *loc = bf_sessions_get(&t, "10.0.0.1", 3, "", NULL,
	    65000);
	struct bf_sess *other = sess("10.0.0.2", "192.0.2.1");
	struct bf_sess *other_loc = bf_sessions_get(&t, "10.0.0.2", 3, "",
	    NULL, 65000);
	bool loc_end;
	int ended;

	/* Loc-RIB first: delivered while nothing better is seen. */
	ck_assert(bf_sessions_view(&t, loc, BF_VIEW_LOC_RIB, 0, 0, &ended,
	    &loc_end));
	ck_assert_int_eq(ended, -1);
	ck_assert(!loc_end);
	/* A's post-policy view: the router's Loc-RIB ends. */
	ck_assert(bf_sessions_view(&t, a, BF_VIEW_ADJ_IN_POST, 0, 0, &ended,
	    &loc_end));
	ck_assert_int_eq(ended, -1);
	ck_assert(loc_end);
	ck_assert(bf_sessions_take_view(loc, BF_VIEW_LOC_RIB, -1));
	ck_assert(!bf_sessions_take_view(loc, BF_VIEW_LOC_RIB, -1));
	ck_assert(!bf_sessions_view(&t, loc, BF_VIEW_LOC_RIB, 0, 0, &ended,
	    &loc_end));
	/* B sends pre-policy: its own choice, A keeps post-policy. */
	ck_assert(bf_sessions_view(&t, b, BF_VIEW_ADJ_IN_PRE, 0, 0, &ended,
	    &loc_end));
	ck_assert_int_eq(ended, -1);
	ck_assert(!loc_end);
	ck_assert(bf_sessions_view(&t, a, BF_VIEW_ADJ_IN_POST, 0, 0, &ended,
	    &loc_end));
	ck_assert(!bf_sessions_view(&t, b, BF_VIEW_ADJ_IN_POST, 0, 0, &ended,
	    &loc_end));
	/* A's pre-policy appears: A's post-policy ends. */
	ck_assert(bf_sessions_view(&t, a, BF_VIEW_ADJ_IN_PRE, 0, 0, &ended,
	    &loc_end));
	ck_assert_int_eq(ended, BF_VIEW_ADJ_IN_POST);
	ck_assert(bf_sessions_take_view(a, BF_VIEW_ADJ_IN_POST, -1));
	ck_assert(!bf_sessions_view(&t, a, BF_VIEW_ADJ_IN_POST, 0, 0, &ended,
	    &loc_end));
	/* Adj-RIB-Out is not in the default list. */
	ck_assert(!bf_sessions_view(&t, a, BF_VIEW_ADJ_OUT_PRE, 0, 0, &ended,
	    &loc_end));
	/* Another router with only a Loc-RIB keeps it. */
	ck_assert(bf_sessions_view(&t, other_loc, BF_VIEW_LOC_RIB, 0, 0, &ended,
	    &loc_end));
	/* ... and sessions seen only on Adj-RIB-Out do not change that. */
	ck_assert(!bf_sessions_view(&t, other, BF_VIEW_ADJ_OUT_POST, 0, 0, &ended,
	    &loc_end));
	ck_assert(!loc_end);
	ck_assert(bf_sessions_view(&t, other_loc, BF_VIEW_LOC_RIB, 0, 0, &ended,
	    &loc_end));
	ck_assert_uint_eq(t.view_skipped, 5);
	/* End-of-RIB matters for the listed views. */
	ck_assert(bf_sessions_view_wanted(&t, BF_VIEW_ADJ_IN_POST));
	ck_assert(bf_sessions_view_wanted(&t, BF_VIEW_LOC_RIB));
	ck_assert(!bf_sessions_view_wanted(&t, BF_VIEW_ADJ_OUT_PRE));
}
END_TEST

/*
 * A session's choice is per partition, from that partition's records
 * alone: an instance that rebuilds one partition chooses as any other.
 */
START_TEST(view_per_partition)
{
	struct bf_sess *a = sess("10.0.0.1", "192.0.2.1");
	bool loc_end;
	int ended;

	ck_assert(bf_sessions_view(&t, a, BF_VIEW_ADJ_IN_POST, 3, 0, &ended,
	    &loc_end));
	ck_assert(bf_sessions_view(&t, a, BF_VIEW_ADJ_IN_PRE, 5, 0, &ended,
	    &loc_end));
	ck_assert_int_eq(ended, -1);
	/* Partition 3 has seen no pre-policy route: post-policy stays. */
	ck_assert(bf_sessions_view(&t, a, BF_VIEW_ADJ_IN_POST, 3, 0, &ended,
	    &loc_end));
	ck_assert(!bf_sessions_view(&t, a, BF_VIEW_ADJ_IN_POST, 5, 0, &ended,
	    &loc_end));
	ck_assert(bf_sessions_view(&t, a, BF_VIEW_ADJ_IN_PRE, 3, 0, &ended,
	    &loc_end));
	ck_assert_int_eq(ended, BF_VIEW_ADJ_IN_POST);
	ck_assert(bf_sessions_take_view(a, BF_VIEW_ADJ_IN_POST, 3));
	ck_assert(!bf_sessions_take_view(a, BF_VIEW_ADJ_IN_POST, 5));
	/* Partition 3 taken away and given back: chosen afresh. */
	bf_sessions_drop_partition(&t, 3);
	ck_assert(bf_sessions_view(&t, a, BF_VIEW_ADJ_IN_POST, 3, 0, &ended,
	    &loc_end));
	ck_assert_int_eq(ended, -1);
}
END_TEST

START_TEST(views_setting)
{
	struct bf_sessions u;
	struct bf_sess *s;
	char err[256];
	bool loc_end;
	int ended;

	ck_assert_int_eq(bf_sessions_init(&u, "all", err, sizeof(err)), 0);
	s = bf_sessions_get(&u, "10.0.0.1", 0, "192.0.2.1", NULL, 1);
	for (int v = 0; v < BF_VIEWS; v++) {
		ck_assert(bf_sessions_view(&u, s, v, 0, 0, &ended, &loc_end));
		ck_assert_int_eq(ended, -1);
	}
	bf_sessions_free(&u);
	ck_assert_int_eq(bf_sessions_init(&u, "loc-rib, adj-out-post", err,
	    sizeof(err)), 0);
	s = bf_sessions_get(&u, "10.0.0.1", 0, "192.0.2.1", NULL, 1);
	ck_assert(!bf_sessions_view(&u, s, BF_VIEW_ADJ_IN_PRE, 0, 0, &ended,
	    &loc_end));
	ck_assert(bf_sessions_view(&u, s, BF_VIEW_ADJ_OUT_POST, 0, 0, &ended,
	    &loc_end));
	ck_assert(bf_sessions_view(&u, s, BF_VIEW_LOC_RIB, 0, 0, &ended, &loc_end));
	ck_assert_int_eq(ended, BF_VIEW_ADJ_OUT_POST);
	bf_sessions_free(&u);
	ck_assert_int_eq(bf_sessions_init(&u, "adj-in-pre,bogus", err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "\"bogus\" is not a view"));
	ck_assert_int_eq(bf_sessions_init(&u, "loc-rib,loc-rib", err,
	    sizeof(err)), -1);
	ck_assert_int_eq(bf_sessions_init(&u, "adj-in-prefix", err,
	    sizeof(err)), -1);
	ck_assert_int_eq(bf_sessions_init(&u, "", err, sizeof(err)), -1);
}
END_TEST

START_TEST(view_names)
{
	ck_assert_int_eq(bf_view_of(0, false), BF_VIEW_ADJ_IN_PRE);
	ck_assert_int_eq(bf_view_of(0, true), BF_VIEW_ADJ_IN_POST);
	ck_assert_int_eq(bf_view_of(1, false), BF_VIEW_ADJ_OUT_PRE);
	ck_assert_int_eq(bf_view_of(1, true), BF_VIEW_ADJ_OUT_POST);
	ck_assert_int_eq(bf_view_of(2, false), BF_VIEW_LOC_RIB);
	ck_assert_str_eq(bf_view_name(BF_VIEW_LOC_RIB), "loc-rib");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("sessions");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, interned_by_key);
	tcase_add_test(tc, in_order);
	tcase_add_test(tc, route_before_peer_up);
	tcase_add_test(tc, redelivered);
	tcase_add_test(tc, newer_down_closes);
	tcase_add_test(tc, view_per_session);
	tcase_add_test(tc, view_per_partition);
	tcase_add_test(tc, views_setting);
	tcase_add_test(tc, view_names);
	suite_add_tcase(s, tc);
	return bf_run_suite(s);
}
