/* SPDX-License-Identifier: Apache-2.0 */
/*
 * utf8.c: UTF-8 validation and U+FFFD repair, by the well-formed byte
 * sequences of Unicode Table 3-7:
 *
 *   U+0000..U+007F     00..7F
 *   U+0080..U+07FF     C2..DF  80..BF
 *   U+0800..U+0FFF     E0      A0..BF  80..BF
 *   U+1000..U+CFFF     E1..EC  80..BF  80..BF
 *   U+D000..U+D7FF     ED      80..9F  80..BF
 *   U+E000..U+FFFF     EE..EF  80..BF  80..BF
 *   U+10000..U+3FFFF   F0      90..BF  80..BF  80..BF
 *   U+40000..U+FFFFF   F1..F3  80..BF  80..BF  80..BF
 *   U+100000..U+10FFFF F4      80..8F  80..BF  80..BF
 *
 * The narrowed second-byte ranges exclude overlong forms (E0, F0),
 * surrogates (ED) and code points above U+10FFFF (F4); C0, C1 and F5..FF
 * never start a character.
 */
#include "utf8.h"

#include <stdint.h>
#include <string.h>

#define ASCII_WORD_HIGH_BITS	0x8080808080808080ULL
static const char replacement[] = "\xef\xbf\xbd";	/* U+FFFD */
#define REPLACEMENT_LEN		(sizeof(replacement) - 1)

/*
 * The character at the head of c, not consumed: its length 1..4 when
 * well-formed; else 0 with *bad set to the length of its maximal
 * ill-formed subpart (1..3), the bytes one U+FFFD replaces (0: c is empty).
 */
static size_t
char_len(const struct bf_cur *c, size_t *bad)
{
	uint8_t b, lo = 0x80, hi = 0xbf;
	size_t n;

	*bad = 0;
	if (cur_peek_u8(c, 0, &b) < 0)
		return 0;
	if (b < 0x80)
		return 1;
	if (b < 0xc2 || b > 0xf4) {
		*bad = 1;
		return 0;
	}
	n = b < 0xe0 ? 2 : b < 0xf0 ? 3 : 4;
	if (b == 0xe0)
		lo = 0xa0;
	else if (b == 0xed)
		hi = 0x9f;
	else if (b == 0xf0)
		lo = 0x90;
	else if (b == 0xf4)
		hi = 0x8f;
	for (size_t i = 1; i < n; i++) {
		if (cur_peek_u8(c, i, &b) < 0 || b < lo || b > hi) {
			*bad = i;
			return 0;
		}
		lo = 0x80;
		hi = 0xbf;
	}
	return n;
}

size_t
bf_utf8_valid_len(struct bf_cur text)
{
	struct bf_cur c = text;
	size_t n, bad;

	while (cur_len(&c) > 0) {
		struct bf_cur word = c;
		uint64_t w;

		if (cur_get_bytes(&word, &w, sizeof(w)) == 0 &&
		    (w & ASCII_WORD_HIGH_BITS) == 0) {
			c = word;
			continue;
		}
		if ((n = char_len(&c, &bad)) == 0)
			break;
		cur_skip(&c, n);
	}
	return cur_offset(&text, &c);
}

size_t
bf_utf8_bad_len(struct bf_cur text)
{
	size_t bad;

	char_len(&text, &bad);
	return bad;
}

size_t
bf_utf8_copy(struct bf_cur text, char *out, size_t cap)
{
	struct bf_cur c = text;
	size_t o = 0, replaced = 0, bad;

	while (cur_len(&c) > 0) {
		size_t room = cap - 1 - o, run = bf_utf8_valid_len(c);
		uint8_t b;

		if (run > room) {
			/* Cut before the character that straddles the end. */
			run = room;
			while (run > 0 && cur_peek_u8(&c, run, &b) == 0 &&
			    (b & 0xc0) == 0x80)
				run--;
			cur_get_bytes(&c, out + o, run);
			o += run;
			break;
		}
		cur_get_bytes(&c, out + o, run);
		o += run;
		if (cur_len(&c) == 0)
			break;
		if (room - run < REPLACEMENT_LEN)
			break;
		char_len(&c, &bad);
		memcpy(out + o, replacement, REPLACEMENT_LEN);
		o += REPLACEMENT_LEN;
		replaced++;
		cur_skip(&c, bad);
	}
	out[o] = '\0';
	return replaced;
}
