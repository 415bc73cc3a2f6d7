/* SPDX-License-Identifier: Apache-2.0 */
/*
 * text_buf.h: text built by appending to a fixed buffer, for what runs
 * per route or per UPDATE (Kafka keys, community lists): snprintf's "%s"
 * and "%u" cost more instructions than the rest of a key's building
 * (callgrind: 1,700 per bmp.route.state key, 1,100 per community), these
 * a few dozen.  Text past the buffer is cut; it stays NUL-terminated.
 */
#ifndef BF_TEXT_BUF_H
#define BF_TEXT_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct bf_text_buf {
	char	*p;
	size_t	 len, cap;	/* cap > 0: room for the NUL */
};

static inline void
bf_tb_init(struct bf_text_buf *k, char *buf, size_t cap)
{
	k->p = buf;
	k->len = 0;
	k->cap = cap;
	buf[0] = '\0';
}

static inline void
bf_tb_mem(struct bf_text_buf *k, const char *s, size_t n)
{
	if (n > k->cap - 1 - k->len)
		n = k->cap - 1 - k->len;
	memcpy(k->p + k->len, s, n);
	k->len += n;
	k->p[k->len] = '\0';
}

static inline void
bf_tb_str(struct bf_text_buf *k, const char *s)
{
	bf_tb_mem(k, s, strlen(s));
}

static inline void
bf_tb_chr(struct bf_text_buf *k, char c)
{
	bf_tb_mem(k, &c, 1);
}

/* v in decimal. */
static inline void
bf_tb_u32(struct bf_text_buf *k, uint32_t v)
{
	char d[10];
	size_t i = sizeof(d);

	do {
		d[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	bf_tb_mem(k, d + i, sizeof(d) - i);
}

#endif /* BF_TEXT_BUF_H */
