/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Framing: a stream cut at every possible point still yields exactly the
 * messages it holds; invalid headers are rejected as soon as 6 bytes are in.
 */
#include <check.h>
#include <stdlib.h>

#include "normalize/bmp_stream.h"
#include "parse/bmp_frame.h"
#include "test_util.h"

/* Initiation (sysName "r1"), Termination (reason 0), unknown type 9. */
static const char stream_hex[] =
    "03 0000000c 04  0002 0002 7231"
    "03 0000000c 05  0001 0002 0000"
    "03 00000008 09  beef";

START_TEST(frame_whole_messages)
{
	uint8_t buf[64];
	size_t n = hex_bytes(stream_hex, buf, sizeof(buf));
	struct bf_err err = { 0 };

	ck_assert_int_eq(bmp_frame(buf, n, 4096, &err), 12);
	ck_assert_int_eq(bmp_frame(buf + 12, n - 12, 4096, &err), 12);
	ck_assert_int_eq(bmp_frame(buf + 24, n - 24, 4096, &err), 8);
	ck_assert_str_eq(err.msg, "");
}
END_TEST

/* Every length short of a whole message means "need more", never an error. */
START_TEST(frame_needs_more)
{
	uint8_t full[64];
	size_t n = hex_bytes(stream_hex, full, sizeof(full));
	size_t cut = (size_t)_i;
	uint8_t *buf = exact_copy(full, cut);
	struct bf_err err = { 0 };

	(void)n;
	ck_assert_int_eq(bmp_frame(buf, cut, 4096, &err), 0);
	ck_assert_str_eq(err.msg, "");
	free(buf);
}
END_TEST

static const struct {
	const char	*name;
	const char	*hex;
	const char	*msg_part;
} bad_headers[] = {
	{ "version 1", "01 00000006 04", "unsupported BMP version 1" },
	{ "version 4", "04 0000003b 02", "unsupported BMP version 4" },
	{ "length 5", "03 00000005 04", "below the 6-byte header" },
	{ "length 0", "03 00000000 00", "below the 6-byte header" },
	{ "over max", "03 00001001 00", "exceeds the maximum of 4096" },
	{ "huge", "03 ffffffff 00", "exceeds the maximum" },
};

START_TEST(frame_rejects_bad_header)
{
	uint8_t buf[16];
	size_t n = hex_bytes(bad_headers[_i].hex, buf, sizeof(buf));
	struct bf_err err = { 0 };

	ck_assert_msg(bmp_frame(buf, n, 4096, &err) == -1, "%s accepted",
	    bad_headers[_i].name);
	ck_assert_msg(strstr(err.msg, bad_headers[_i].msg_part) != NULL,
	    "%s: message '%s' lacks '%s'", bad_headers[_i].name, err.msg,
	    bad_headers[_i].msg_part);
}
END_TEST

struct split_count {
	unsigned	msgs;
	unsigned	skipped;
};

static void
count_cb(struct bmp_stream *s, size_t off, enum bmp_msg_result res,
    const struct bf_err *err, void *arg)
{
	struct split_count *sc = arg;

	(void)s;
	(void)off;
	(void)err;
	sc->msgs++;
	if (res == BMP_MSG_SKIPPED)
		sc->skipped++;
}

/*
 * Feed the stream in two reads split at every point, buffering the rest as
 * a session does: always three messages, the unknown type skipped.
 */
START_TEST(walk_split_at_every_point)
{
	uint8_t full[64], buf[64];
	size_t n = hex_bytes(stream_hex, full, sizeof(full));
	size_t split = (size_t)_i, have = 0;
	struct split_count sc = { 0 };
	struct bmp_stream s;
	struct bf_err err = { 0 };
	size_t err_off;
	long used;

	ck_assert_int_eq(bmp_stream_init(&s, 4096, 16), 0);
	memcpy(buf, full, split);
	have = split;
	used = bmp_stream_walk(&s, buf, have, count_cb, &sc, &err, &err_off);
	ck_assert_int_ge(used, 0);
	memmove(buf, buf + used, have - (size_t)used);
	have -= (size_t)used;
	memcpy(buf + have, full + split, n - split);
	have += n - split;
	used = bmp_stream_walk(&s, buf, have, count_cb, &sc, &err, &err_off);
	ck_assert_int_eq(used, (long)have);
	ck_assert_uint_eq(sc.msgs, 3);
	ck_assert_uint_eq(sc.skipped, 1);
	ck_assert_uint_eq(s.st.by_type[4], 1);
	ck_assert_uint_eq(s.st.by_type[5], 1);
	ck_assert_uint_eq(s.st.unknown_type, 1);
	bmp_stream_free(&s);
}
END_TEST

/* A bad header after good messages: those are delivered, error at its offset. */
START_TEST(walk_stops_at_bad_header)
{
	uint8_t buf[64];
	size_t n = hex_bytes("03 0000000c 04 0002 0002 7231  07 00000006 04",
	    buf, sizeof(buf));
	struct split_count sc = { 0 };
	struct bmp_stream s;
	struct bf_err err = { 0 };
	size_t err_off = 0;

	ck_assert_int_eq(bmp_stream_init(&s, 4096, 16), 0);
	ck_assert_int_eq(bmp_stream_walk(&s, buf, n, count_cb, &sc, &err,
	    &err_off), -1);
	ck_assert_uint_eq(sc.msgs, 1);
	ck_assert_uint_eq(err_off, 12);
	ck_assert_ptr_nonnull(strstr(err.msg, "version 7"));
	bmp_stream_free(&s);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("bmp_frame");
	TCase *tc = tcase_create("core");
	uint8_t tmp[64];
	size_t n = hex_bytes(stream_hex, tmp, sizeof(tmp));

	tcase_add_test(tc, frame_whole_messages);
	tcase_add_loop_test(tc, frame_needs_more, 0, 12);
	tcase_add_loop_test(tc, frame_rejects_bad_header, 0,
	    sizeof(bad_headers) / sizeof(bad_headers[0]));
	tcase_add_loop_test(tc, walk_split_at_every_point, 0, (int)n + 1);
	tcase_add_test(tc, walk_stops_at_bad_header);
	suite_add_tcase(s, tc);
	return bf_run_suite(s);
}
