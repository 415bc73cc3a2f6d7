/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Cursor contract: every getter reads network order, and on a short read
 * fails with -1 leaving both the cursor and the output untouched.
 */
#include <check.h>
#include <stdlib.h>

#include "core/cursor.h"
#include "test_util.h"

static const uint8_t bytes[] = {
	0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09,
};

START_TEST(reads_network_order)
{
	struct bf_cur c = cur_make(bytes, sizeof(bytes));
	uint8_t u8;
	uint16_t u16;
	uint32_t u24, u32;
	uint64_t u64;

	ck_assert_int_eq(cur_get_u8(&c, &u8), 0);
	ck_assert_uint_eq(u8, 0x01);
	ck_assert_int_eq(cur_get_u16(&c, &u16), 0);
	ck_assert_uint_eq(u16, 0x0203);
	ck_assert_int_eq(cur_get_u24(&c, &u24), 0);
	ck_assert_uint_eq(u24, 0x040506);
	ck_assert_uint_eq(cur_len(&c), 3);
	c = cur_make(bytes, sizeof(bytes));
	ck_assert_int_eq(cur_get_u32(&c, &u32), 0);
	ck_assert_uint_eq(u32, 0x01020304);
	c = cur_make(bytes, sizeof(bytes));
	ck_assert_int_eq(cur_get_u64(&c, &u64), 0);
	ck_assert_uint_eq(u64, 0x0102030405060708ull);
	ck_assert_uint_eq(cur_len(&c), 1);
}
END_TEST

/* For each width and each length short of it: -1, nothing moved or written. */
START_TEST(short_reads_touch_nothing)
{
	size_t avail = (size_t)_i % 8;	/* 0..7 bytes present */
	uint8_t *buf = exact_copy(bytes, avail);
	struct bf_cur c = cur_make(buf, avail), before = c, sub;
	uint8_t u8 = 0xaa, out[8];
	uint16_t u16 = 0xaaaa;
	uint32_t u32 = 0xaaaaaaaa;
	uint64_t u64 = 0xaaaaaaaaaaaaaaaaull;
	const uint8_t *ptr = NULL;

	memset(out, 0xaa, sizeof(out));
	if (avail < 1) {
		ck_assert_int_eq(cur_get_u8(&c, &u8), -1);
		ck_assert_uint_eq(u8, 0xaa);
	}
	if (avail < 2) {
		ck_assert_int_eq(cur_get_u16(&c, &u16), -1);
		ck_assert_uint_eq(u16, 0xaaaa);
	}
	if (avail < 3) {
		ck_assert_int_eq(cur_get_u24(&c, &u32), -1);
		ck_assert_uint_eq(u32, 0xaaaaaaaa);
	}
	if (avail < 4) {
		ck_assert_int_eq(cur_get_u32(&c, &u32), -1);
		ck_assert_uint_eq(u32, 0xaaaaaaaa);
	}
	ck_assert_int_eq(cur_get_u64(&c, &u64), -1);
	ck_assert_uint_eq(u64, 0xaaaaaaaaaaaaaaaaull);
	ck_assert_int_eq(cur_get_bytes(&c, out, avail + 1), -1);
	ck_assert_uint_eq(out[0], 0xaa);
	ck_assert_int_eq(cur_get_ptr(&c, avail + 1, &ptr), -1);
	ck_assert_ptr_null(ptr);
	ck_assert_int_eq(cur_skip(&c, avail + 1), -1);
	ck_assert_int_eq(cur_sub(&c, avail + 1, &sub), -1);
	ck_assert_int_eq(cur_peek_u8(&c, avail, &u8), -1);
	ck_assert_ptr_eq(c.p, before.p);
	ck_assert_uint_eq(c.len, before.len);
	free(buf);
}
END_TEST

START_TEST(sub_carves_and_advances)
{
	struct bf_cur c = cur_make(bytes, sizeof(bytes)), sub;
	uint8_t v;

	ck_assert_int_eq(cur_sub(&c, 4, &sub), 0);
	ck_assert_uint_eq(cur_len(&sub), 4);
	ck_assert_uint_eq(cur_len(&c), 5);
	ck_assert_uint_eq(cur_offset(&(struct bf_cur){ bytes, 9 }, &c), 4);
	ck_assert_int_eq(cur_skip(&sub, 3), 0);
	ck_assert_int_eq(cur_get_u8(&sub, &v), 0);
	ck_assert_uint_eq(v, 0x04);
	/* The sub-cursor ends where it was cut, not at the buffer's end. */
	ck_assert_int_eq(cur_get_u8(&sub, &v), -1);
	ck_assert_int_eq(cur_peek_u8(&c, 0, &v), 0);
	ck_assert_uint_eq(v, 0x05);
	ck_assert_uint_eq(cur_len(&c), 5);
	ck_assert_int_eq(cur_get_bytes(&c, NULL, 0), 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("cursor");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, reads_network_order);
	tcase_add_loop_test(tc, short_reads_touch_nothing, 0, 8);
	tcase_add_test(tc, sub_carves_and_advances);
	suite_add_tcase(s, tc);
	return bf_run_suite(s);
}
