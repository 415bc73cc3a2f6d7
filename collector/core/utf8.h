/* SPDX-License-Identifier: Apache-2.0 */
/*
 * utf8.h: text from the wire made valid UTF-8 (RFC 3629) for Avro strings.
 *
 * An Avro "string" must be UTF-8, but routers send what their operators
 * typed: Latin-1 sysNames, descriptions cut in the middle of a character.
 * Ill-formed input is repaired as Python's errors="replace" and WHATWG
 * decoders do (Unicode §3.9, "U+FFFD substitution of maximal subparts"):
 * each maximal ill-formed subpart becomes one U+FFFD.  Overlong forms,
 * surrogates (U+D800..DFFF) and code points above U+10FFFF are ill-formed.
 */
#ifndef BF_UTF8_H
#define BF_UTF8_H

#include <stddef.h>

#include "cursor.h"

/*
 * Length of the longest prefix of text that is valid UTF-8: cur_len(&text)
 * when all of it is.  Reads in place, ASCII a word at a time: the no-copy
 * check for text a caller can use as it is.
 */
size_t	bf_utf8_valid_len(struct bf_cur text);

/*
 * Copy text into out (cap >= 1 bytes), NUL-terminated, as valid UTF-8:
 * each ill-formed subpart replaced by U+FFFD, cut at a character boundary
 * when it does not fit.  Valid text costs one bf_utf8_valid_len() scan and
 * one memcpy.  Returns the number of U+FFFD written: 0 when out holds the
 * input's own bytes (perhaps cut short).  A U+0000 in text is copied too:
 * callers that need C strings keep control bytes out.
 */
size_t	bf_utf8_copy(struct bf_cur text, char *out, size_t cap);

/*
 * Length of the maximal ill-formed subpart at the head of text (1..3), the
 * bytes one U+FFFD stands for; 0 when text is empty or starts with a
 * well-formed character.  With bf_utf8_valid_len, lets a writer that
 * streams (the JSON escaper) repair text as bf_utf8_copy does.
 */
size_t	bf_utf8_bad_len(struct bf_cur text);

#endif /* BF_UTF8_H */
