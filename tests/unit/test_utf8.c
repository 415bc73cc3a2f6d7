/* SPDX-License-Identifier: Apache-2.0 */
/*
 * UTF-8 repair: valid text passes unchanged, each class of ill-formed
 * input becomes U+FFFD per maximal subpart (expected outputs are Python's
 * bytes.decode("utf-8", "replace")), input cut at every offset of a
 * multi-byte character and output cut at every size stay valid.  The JSON
 * writer's strings read back as the same repair.
 */
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/json_write.h"
#include "core/utf8.h"
#include "test_util.h"

#define FFFD	"efbfbd"

static const struct {
	const char	*name;
	const char	*in;		/* hex */
	const char	*out;		/* hex */
	size_t		 replaced;
	size_t		 valid_len;	/* of in */
} vectors[] = {
	{ "ascii", "656467652d726f757465722d312e6578616d706c652e6e6574",
	    "656467652d726f757465722d312e6578616d706c652e6e6574", 0, 25 },
	{ "empty", "", "", 0, 0 },
	{ "two-byte", "72 c3a9 73656175", "72 c3a9 73656175", 0, 7 },
	{ "three-byte", "e282ac 2035", "e282ac 2035", 0, 5 },
	{ "four-byte", "f09f9880 21", "f09f9880 21", 0, 5 },
	{ "U+10FFFF", "f48fbfbf", "f48fbfbf", 0, 4 },
	{ "U+D7FF", "ed9fbf", "ed9fbf", 0, 3 },
	{ "latin-1", "72 e9 736561752d31", "72" FFFD "736561752d31", 1, 1 },
	{ "lone continuation", "61 80 62", "61" FFFD "62", 1, 1 },
	{ "overlong C0", "c0af", FFFD FFFD, 2, 0 },
	{ "overlong C1", "c1bf", FFFD FFFD, 2, 0 },
	{ "overlong E0", "e080af", FFFD FFFD FFFD, 3, 0 },
	{ "overlong F0", "f08080af", FFFD FFFD FFFD FFFD, 4, 0 },
	{ "surrogate D800", "eda080", FFFD FFFD FFFD, 3, 0 },
	{ "surrogate DFFF", "edbfbf", FFFD FFFD FFFD, 3, 0 },
	{ "above U+10FFFF", "f4908080", FFFD FFFD FFFD FFFD, 4, 0 },
	{ "lead F5", "f5808080", FFFD FFFD FFFD FFFD, 4, 0 },
	{ "FE FF", "feff", FFFD FFFD, 2, 0 },
	{ "truncated, then ASCII", "e282 41", FFFD "41", 1, 0 },
	{ "truncated at the end", "78 f09f98", "78" FFFD, 1, 1 },
	{ "valid after invalid", "ff c3a9 ff", FFFD "c3a9" FFFD, 2, 0 },
};

START_TEST(vectors_repair_like_python)
{
	uint8_t in[64], want[64];
	size_t n = hex_bytes(vectors[_i].in, in, sizeof(in));
	size_t wn = hex_bytes(vectors[_i].out, want, sizeof(want));
	uint8_t *exact = exact_copy(in, n);
	struct bf_cur c = cur_make(exact, n);
	char out[64];
	size_t replaced = bf_utf8_copy(c, out, sizeof(out));

	if (strlen(out) != wn || memcmp(out, want, wn) != 0) {
		hex_dump("input", in, n);
		hex_dump("got", (const uint8_t *)out, strlen(out));
		hex_dump("want", want, wn);
		ck_abort_msg("%s: wrong repair", vectors[_i].name);
	}
	ck_assert_uint_eq(replaced, vectors[_i].replaced);
	ck_assert_uint_eq(bf_utf8_valid_len(c), vectors[_i].valid_len);
	c = cur_make((const uint8_t *)out, strlen(out));
	ck_assert_uint_eq(bf_utf8_valid_len(c), strlen(out));
	free(exact);
}
END_TEST

/* JSON text of a string (the writer's escapes only) back to its bytes. */
static size_t
json_unescape(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;

	ck_assert_int_eq(*s++, '"');
	while (*s != '"') {
		unsigned cp;

		ck_assert_uint_lt(n + 3, cap);
		if (*s != '\\') {
			out[n++] = (uint8_t)*s++;
			continue;
		}
		s++;
		if (*s != 'u') {
			out[n++] = (uint8_t)*s++;
			continue;
		}
		ck_assert_int_eq(sscanf(s + 1, "%4x", &cp), 1);
		s += 5;
		if (cp < 0x20) {
			out[n++] = (uint8_t)cp;
		} else {
			ck_assert_uint_eq(cp, 0xfffd);
			memcpy(out + n, "\xef\xbf\xbd", 3);
			n += 3;
		}
	}
	ck_assert_int_eq(s[1], '\0');
	return n;
}

START_TEST(json_strings_repair_alike)
{
	uint8_t in[64], want[64], got[192];
	size_t n = hex_bytes(vectors[_i].in, in, sizeof(in));
	size_t wn = hex_bytes(vectors[_i].out, want, sizeof(want));
	char *json = NULL;
	size_t json_len = 0;
	FILE *f = open_memstream(&json, &json_len);

	bf_json_escape(f, in, n);
	fclose(f);
	n = json_unescape(json, got, sizeof(got));
	if (n != wn || memcmp(got, want, wn) != 0)
		ck_abort_msg("%s: JSON %s is not the repair", vectors[_i].name,
		    json);
	free(json);
}
END_TEST

/*
 * "a" + one character + "b", for characters of 2, 3 and 4 bytes, cut
 * after every byte: a cut inside the character leaves one U+FFFD.
 */
START_TEST(input_cut_at_every_offset)
{
	static const char *const chars[] = { "c3a9", "e282ac", "f09f9880" };
	uint8_t ch[4], in[8];
	size_t cn = hex_bytes(chars[_i], ch, sizeof(ch));

	in[0] = 'a';
	memcpy(in + 1, ch, cn);
	in[1 + cn] = 'b';
	for (size_t cut = 0; cut <= cn + 2; cut++) {
		uint8_t *exact = exact_copy(in, cut);
		struct bf_cur c = cur_make(exact, cut);
		char out[16], want[16];
		size_t replaced = bf_utf8_copy(c, out, sizeof(out));
		bool inside = cut > 1 && cut < 1 + cn;

		if (inside)
			memcpy(want, "a\xef\xbf\xbd", 5);
		else {
			memcpy(want, in, cut);
			want[cut] = '\0';
		}
		ck_assert_msg(strcmp(out, want) == 0, "%zu-byte character cut "
		    "at %zu", cn, cut);
		ck_assert_uint_eq(replaced, inside ? 1 : 0);
		ck_assert_uint_eq(bf_utf8_valid_len(c), inside ? 1 : cut);
		free(exact);
	}
}
END_TEST

/*
 * Output of every size: the longest prefix that fits, cut at a character
 * boundary, never half a U+FFFD.
 */
START_TEST(output_cut_at_every_size)
{
	/* "a", U+00E9, U+20AC, U+1F600, 0xFF (U+FFFD), "z": 1+2+3+4+3+1. */
	static const uint8_t in[] = { 'a', 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0,
	    0x9f, 0x98, 0x80, 0xff, 'z' };
	static const size_t ends[] = { 0, 1, 3, 6, 10, 13, 14 };
	static const char full[] = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
	    "\xef\xbf\xbdz";
	size_t cap = (size_t)_i + 1, fit = 0;
	char *out = malloc(cap);

	ck_assert_ptr_nonnull(out);
	for (size_t k = 0; k < sizeof(ends) / sizeof(ends[0]); k++)
		if (ends[k] <= cap - 1)
			fit = ends[k];
	bf_utf8_copy(cur_make(in, sizeof(in)), out, cap);
	ck_assert_uint_eq(strlen(out), fit);
	ck_assert_mem_eq(out, full, fit);
	free(out);
}
END_TEST

/* Long ASCII runs take the word-at-a-time path; a bad byte anywhere in
 * them is still found. */
START_TEST(bad_byte_at_every_position_of_ascii)
{
	uint8_t in[40];
	char out[64];

	memset(in, 'x', sizeof(in));
	in[_i] = 0xe9;
	ck_assert_uint_eq(bf_utf8_valid_len(cur_make(in, sizeof(in))),
	    (size_t)_i);
	ck_assert_uint_eq(bf_utf8_copy(cur_make(in, sizeof(in)), out,
	    sizeof(out)), 1);
	ck_assert_uint_eq(strlen(out), sizeof(in) + 2);
	ck_assert_mem_eq(out + _i, "\xef\xbf\xbd", 3);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("utf8");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, vectors_repair_like_python, 0,
	    sizeof(vectors) / sizeof(vectors[0]));
	tcase_add_loop_test(tc, json_strings_repair_alike, 0,
	    sizeof(vectors) / sizeof(vectors[0]));
	tcase_add_loop_test(tc, input_cut_at_every_offset, 0, 3);
	tcase_add_loop_test(tc, output_cut_at_every_size, 0, 16);
	tcase_add_loop_test(tc, bad_byte_at_every_position_of_ascii, 0, 40);
	suite_add_tcase(s, tc);
	return bf_run_suite(s);
}
