/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_route_set.c: a peer's set of announced route identities (what the
 * collector tombstones in bmp.route.state when the epoch ends): identities
 * apart by every field, removal and slot reuse, the walk and the position
 * find gives in it, clearing.
 */
#include <check.h>

#include "normalize/route_set.h"
#include "test_util.h"

/* IPv4 host route 10.0.0.0 + n, adj-in-pre, no RD, no path id. */
static void
route(struct bf_route_id *id, uint32_t n)
{
	struct bf_prefix p = { .addr = { .family = BF_AF_INET,
	    .a = { 10, (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n } },
	    .len = 32 };

	bf_route_id_set(id, BF_SV_ADJ_IN_PRE, 1, 1, &p, NULL, NULL);
}

START_TEST(identities_apart_by_every_field)
{
	struct bf_route_set s = { 0 };
	struct bf_route_id base, id;
	const uint8_t rd[8] = { 0, 0, 0, 1, 0, 0, 0, 2 };
	uint32_t path = 7;

	route(&base, 1);
	ck_assert_int_eq(bf_route_set_add(&s, &base), 1);
	ck_assert_int_eq(bf_route_set_add(&s, &base), 0);
	id = base;
	id.prefix.len = 23;
	ck_assert_int_eq(bf_route_set_add(&s, &id), 1);
	bf_route_id_set(&id, BF_SV_ADJ_IN_POST, 1, 1, &base.prefix, NULL, NULL);
	ck_assert_int_eq(bf_route_set_add(&s, &id), 1);
	bf_route_id_set(&id, BF_SV_ADJ_IN_PRE, 1, 2, &base.prefix, NULL, NULL);
	ck_assert_int_eq(bf_route_set_add(&s, &id), 1);
	bf_route_id_set(&id, BF_SV_ADJ_IN_PRE, 1, 1, &base.prefix, rd, NULL);
	ck_assert_int_eq(bf_route_set_add(&s, &id), 1);
	bf_route_id_set(&id, BF_SV_ADJ_IN_PRE, 1, 1, &base.prefix, NULL, &path);
	ck_assert_int_eq(bf_route_set_add(&s, &id), 1);
	/* Path id 0 is an id, not "none". */
	path = 0;
	bf_route_id_set(&id, BF_SV_ADJ_IN_PRE, 1, 1, &base.prefix, NULL, &path);
	ck_assert_int_eq(bf_route_set_add(&s, &id), 1);
	ck_assert_uint_eq(s.n, 7);
	bf_route_set_clear(&s);
	ck_assert_uint_eq(s.n, 0);
	ck_assert_uint_eq(bf_route_set_bytes(&s), 0);
}
END_TEST

START_TEST(remove_reuse_and_walk)
{
	struct bf_route_set s = { 0 };
	struct bf_route_id id;
	const struct bf_route_id *e;
	uint32_t i = 0, seen = 0, n = 100000;
	size_t bytes;

	for (uint32_t k = 0; k < n; k++) {
		route(&id, k);
		ck_assert_int_eq(bf_route_set_add(&s, &id), 1);
	}
	bytes = bf_route_set_bytes(&s);
	/* Every other one withdrawn, twice: the second finds nothing. */
	for (uint32_t k = 0; k < n; k += 2) {
		route(&id, k);
		ck_assert(bf_route_set_del(&s, &id));
		ck_assert(!bf_route_set_del(&s, &id));
	}
	ck_assert_uint_eq(s.n, n / 2);
	/* Announced again: into the freed slots, no growth. */
	for (uint32_t k = 0; k < n; k += 2) {
		route(&id, k);
		ck_assert_int_eq(bf_route_set_add(&s, &id), 1);
	}
	ck_assert_uint_eq(s.used, n);
	ck_assert_uint_eq(bf_route_set_bytes(&s), bytes);
	route(&id, 1);
	ck_assert(bf_route_set_del(&s, &id));
	ck_assert_uint_eq(bf_route_set_find(&s, &id), 0);
	while ((e = bf_route_set_at(&s, &i)) != NULL) {
		/* find gives the walk's position: the drain's "out yet". */
		ck_assert_uint_eq(bf_route_set_find(&s, e), i);
		ck_assert_uint_ne(e->view, BF_SV_FREE);
		ck_assert(!(e->prefix.addr.a[1] == 0 && e->prefix.addr.a[2] ==
		    0 && e->prefix.addr.a[3] == 1));
		seen++;
	}
	ck_assert_uint_eq(seen, n - 1);
	fprintf(stderr, "%u routes: %zu bytes, %.1f a route\n", n, bytes,
	    (double)bytes / n);
	bf_route_set_clear(&s);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("route_set");
	TCase *tc = tcase_create("route_set");

	tcase_add_test(tc, identities_apart_by_every_field);
	tcase_add_test(tc, remove_reuse_and_walk);
	suite_add_tcase(s, tc);
	return bf_run_suite(s);
}
