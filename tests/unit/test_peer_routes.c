/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_peer_routes.c: the per-peer route counts of bmpflow_peer_routes
 * (normalize/peer_table.c): per view, none below zero, dropped when a new
 * epoch begins, none reported for a peer without an open epoch.
 */
#include <check.h>

#include "normalize/peer_table.h"
#include "test_util.h"

START_TEST(counts_by_view_and_epoch)
{
	struct peer_table t;
	struct bmp_peer_hdr hdr = { .type = 0 };
	struct peer_entry *e;
	const struct peer_routes *h;

	ck_assert_int_eq(peer_table_init(&t, 16), 0);
	hdr.addr.family = BF_AF_INET;
	hdr.addr.a[0] = 192;
	ck_assert_ptr_nonnull(e = peer_table_get(&t, &hdr));
	ck_assert_ptr_null(peer_table_routes(e));	/* no epoch yet */
	peer_table_open(&t, e, &hdr);
	ck_assert_ptr_null(peer_table_routes(e));	/* nothing counted */
	peer_table_count(e, BF_SV_ADJ_IN_PRE, 1);
	peer_table_count(e, BF_SV_ADJ_IN_PRE, 1);
	peer_table_count(e, BF_SV_LOC_RIB, 0);		/* a withdrawal, none held */
	peer_table_count(e, BF_SV_LOC_RIB, -1);		/* not below zero */
	ck_assert_ptr_nonnull(h = peer_table_routes(e));
	ck_assert_uint_eq(h->n[BF_SV_ADJ_IN_PRE], 2);
	ck_assert_uint_eq(h->n[BF_SV_LOC_RIB], 0);
	ck_assert_uint_eq(h->seen, 1u << BF_SV_ADJ_IN_PRE |
	    1u << BF_SV_LOC_RIB);
	peer_table_count(e, BF_SV_ADJ_IN_PRE, -1);
	ck_assert_uint_eq(h->n[BF_SV_ADJ_IN_PRE], 1);
	/* Peer Down: nothing reported; the next epoch starts from none. */
	e->up = false;
	ck_assert_ptr_null(peer_table_routes(e));
	peer_table_open(&t, e, &hdr);
	ck_assert_ptr_null(peer_table_routes(e));
	peer_table_count(e, BF_SV_ADJ_OUT_POST, 1);
	ck_assert_ptr_nonnull(h = peer_table_routes(e));
	ck_assert_uint_eq(h->n[BF_SV_ADJ_IN_PRE], 0);
	ck_assert_uint_eq(h->n[BF_SV_ADJ_OUT_POST], 1);
	ck_assert_uint_eq(h->seen, 1u << BF_SV_ADJ_OUT_POST);
	peer_table_free(&t);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("peer_routes");
	TCase *tc = tcase_create("peer_routes");

	tcase_add_test(tc, counts_by_view_and_epoch);
	suite_add_tcase(s, tc);
	return bf_run_suite(s);
}
