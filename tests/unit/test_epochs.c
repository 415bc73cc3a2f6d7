/*
 * test_epochs.c: the peer-epoch rule with peer and route records in every
 * order the two topics can deliver them, and redelivered.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "host/epochs.h"
#include "test_util.h"

static struct bf_epochs t;

static void
setup(void)
{
	ck_assert_int_eq(bf_epochs_init(&t), 0);
}

static void
teardown(void)
{
	bf_epochs_free(&t);
}

#define P "10.0.0.1|global|192.0.2.1|"

START_TEST(in_order)
{
	ck_assert_int_eq(bf_epochs_peer(&t, P, 5, true), BF_EPOCH_DELIVER);
	ck_assert_int_eq(bf_epochs_route(&t, P, 5), BF_EPOCH_DELIVER);
	ck_assert_int_eq(bf_epochs_peer(&t, P, 5, false), BF_EPOCH_DELIVER);
	/* After the Peer Down: late routes of the closed epoch are dropped. */
	ck_assert_int_eq(bf_epochs_route(&t, P, 5), BF_EPOCH_DROP);
	ck_assert_int_eq(bf_epochs_peer(&t, P, 9, true), BF_EPOCH_DELIVER);
	ck_assert_int_eq(bf_epochs_route(&t, P, 9), BF_EPOCH_DELIVER);
	ck_assert_int_eq(bf_epochs_route(&t, P, 5), BF_EPOCH_DROP);
	ck_assert_uint_eq(t.dropped, 2);
}
END_TEST

START_TEST(route_before_its_peer_up)
{
	/* bmp.route ran ahead of bmp.peer: the route opens epoch 7. */
	ck_assert_int_eq(bf_epochs_route(&t, P, 7), BF_EPOCH_OPEN_DELIVER);
	ck_assert_int_eq(bf_epochs_route(&t, P, 7), BF_EPOCH_DELIVER);
	/* Its Peer Up arrives late: no second reset of the peer. */
	ck_assert_int_eq(bf_epochs_peer(&t, P, 7, true), BF_EPOCH_DROP);
	ck_assert_int_eq(bf_epochs_route(&t, P, 7), BF_EPOCH_DELIVER);
}
END_TEST

START_TEST(old_peer_down_after_new_epoch)
{
	ck_assert_int_eq(bf_epochs_peer(&t, P, 3, true), BF_EPOCH_DELIVER);
	ck_assert_int_eq(bf_epochs_route(&t, P, 8), BF_EPOCH_OPEN_DELIVER);
	/* The Down of epoch 3 must not close epoch 8. */
	ck_assert_int_eq(bf_epochs_peer(&t, P, 3, false), BF_EPOCH_DROP);
	ck_assert_int_eq(bf_epochs_route(&t, P, 8), BF_EPOCH_DELIVER);
	/* A Down of a newer epoch than known closes everything up to it. */
	ck_assert_int_eq(bf_epochs_peer(&t, P, 12, false), BF_EPOCH_DELIVER);
	ck_assert_int_eq(bf_epochs_route(&t, P, 8), BF_EPOCH_DROP);
	ck_assert_int_eq(bf_epochs_route(&t, P, 12), BF_EPOCH_DROP);
	ck_assert_int_eq(bf_epochs_peer(&t, P, 12, true), BF_EPOCH_DROP);
}
END_TEST

START_TEST(redelivery_is_idempotent)
{
	/* At-least-once: the same records again change nothing. */
	for (int pass = 0; pass < 2; pass++) {
		enum bf_epoch_action up = bf_epochs_peer(&t, P, 4, true);

		ck_assert_int_eq(up, pass == 0 ? BF_EPOCH_DELIVER :
		    BF_EPOCH_DROP);
		ck_assert_int_eq(bf_epochs_route(&t, P, 4), pass == 0 ?
		    BF_EPOCH_DELIVER : BF_EPOCH_DROP);
		ck_assert_int_eq(bf_epochs_peer(&t, P, 4, false), pass == 0 ?
		    BF_EPOCH_DELIVER : BF_EPOCH_DROP);
	}
}
END_TEST

START_TEST(no_peer_up_ever)
{
	/* FRR 8.0 Loc-RIB: routes of epoch 0, no Peer Up at all. */
	ck_assert_int_eq(bf_epochs_route(&t, P, 0), BF_EPOCH_DELIVER);
	ck_assert_int_eq(bf_epochs_route(&t, P, 0), BF_EPOCH_DELIVER);
}
END_TEST

START_TEST(peers_are_independent_and_table_grows)
{
	char key[64];

	for (int i = 0; i < 5000; i++) {
		snprintf(key, sizeof(key), "r|global|10.%d.%d.1|", i >> 8,
		    i & 255);
		ck_assert_int_eq(bf_epochs_peer(&t, key, (uint64_t)i + 1, true),
		    BF_EPOCH_DELIVER);
	}
	for (int i = 0; i < 5000; i++) {
		snprintf(key, sizeof(key), "r|global|10.%d.%d.1|", i >> 8,
		    i & 255);
		ck_assert_int_eq(bf_epochs_route(&t, key, (uint64_t)i + 1),
		    BF_EPOCH_DELIVER);
		ck_assert_int_eq(bf_epochs_route(&t, key, (uint64_t)i),
		    BF_EPOCH_DROP);
	}
	ck_assert_uint_eq(t.count, 5000);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("epochs");
	TCase *tc = tcase_create("rule");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, in_order);
	tcase_add_test(tc, route_before_its_peer_up);
	tcase_add_test(tc, old_peer_down_after_new_epoch);
	tcase_add_test(tc, redelivery_is_idempotent);
	tcase_add_test(tc, no_peer_up_ever);
	tcase_add_test(tc, peers_are_independent_and_table_grows);
	suite_add_tcase(s, tc);
	return bf_run_suite(s);
}
