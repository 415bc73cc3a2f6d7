/* SPDX-License-Identifier: Apache-2.0 */
/*
 * key_text.h: Kafka keys built by appending to a fixed buffer.  Every
 * route record needs one or two keys; snprintf's "%s" and "%u" cost more
 * instructions than the rest of a key's building (callgrind: 1,700 per
 * bmp.route.state key), these a few dozen.  Text past the buffer is cut;
 * the buffer stays NUL-terminated.
 */
#ifndef BF_KEY_TEXT_H
#define BF_KEY_TEXT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct bf_key_text {
	char	*p;
	size_t	 len, cap;	/* cap > 0: room for the NUL */
};

static inline void
bf_kt_init(struct bf_key_text *k, char *buf, size_t cap)
{
	k->p = buf;
	k->len = 0;
	k->cap = cap;
	buf[0] = '\0';
}

static inline void
bf_kt_mem(struct bf_key_text *k, const char *s, size_t n)
{
	if (n > k->cap - 1 - k->len)
		n = k->cap - 1 - k->len;
	memcpy(k->p + k->len, s, n);
	k->len += n;
	k->p[k->len] = '\0';
}

static inline void
bf_kt_str(struct bf_key_text *k, const char *s)
{
	bf_kt_mem(k, s, strlen(s));
}

static inline void
bf_kt_chr(struct bf_key_text *k, char c)
{
	bf_kt_mem(k, &c, 1);
}

/* v in decimal. */
static inline void
bf_kt_u32(struct bf_key_text *k, uint32_t v)
{
	char d[10];
	size_t i = sizeof(d);

	do {
		d[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	bf_kt_mem(k, d + i, sizeof(d) - i);
}

#endif /* BF_KEY_TEXT_H */
