/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cursor.h: the one bounds-checked reader for untrusted bytes.
 *
 * Every decoder reads wire data only through these helpers; nothing else in
 * bmpflow dereferences a cursor's pointer.  Each getter returns 0 on success
 * or -1 when fewer bytes remain than asked for; on failure neither the cursor
 * nor the output is touched, so a caller can report the offset it stopped at.
 * Multi-byte integers are read in network byte order.
 */
#ifndef BF_CURSOR_H
#define BF_CURSOR_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct bf_cur {
	const uint8_t	*p;	/* next unread byte */
	size_t		 len;	/* bytes left */
};

static inline struct bf_cur
cur_make(const uint8_t *p, size_t len)
{
	struct bf_cur c = { p, len };
	return c;
}

static inline size_t
cur_len(const struct bf_cur *c)
{
	return c->len;
}

/* Offset of c's position from the start of the enclosing region base. */
static inline size_t
cur_offset(const struct bf_cur *base, const struct bf_cur *c)
{
	return (size_t)(c->p - base->p);
}

/*
 * Borrow a pointer to the next n bytes (lifetime: the underlying buffer):
 * the one bounds check every read below goes through.
 */
static inline int
cur_get_ptr(struct bf_cur *c, size_t n, const uint8_t **out)
{
	if (c->len < n)
		return -1;
	*out = c->p;
	c->p += n;
	c->len -= n;
	return 0;
}

static inline int
cur_skip(struct bf_cur *c, size_t n)
{
	const uint8_t *p;

	return cur_get_ptr(c, n, &p);
}

/* Cut the next n bytes into sub and advance c past them. */
static inline int
cur_sub(struct bf_cur *c, size_t n, struct bf_cur *sub)
{
	const uint8_t *p;

	if (cur_get_ptr(c, n, &p) < 0)
		return -1;
	sub->p = p;
	sub->len = n;
	return 0;
}

static inline int
cur_get_bytes(struct bf_cur *c, void *out, size_t n)
{
	const uint8_t *p;

	if (cur_get_ptr(c, n, &p) < 0)
		return -1;
	if (n > 0)
		memcpy(out, p, n);
	return 0;
}

/* Unsigned integers in network byte order: 0, or -1 with c untouched. */
#define BE16(p)	((uint16_t)((uint16_t)(p)[0] << 8 | (p)[1]))
#define BE32(p)	((uint32_t)(p)[0] << 24 | (uint32_t)(p)[1] << 16 |	\
	    (uint32_t)(p)[2] << 8 | (p)[3])
#define CUR_GET_UINT(name, type, n, value)				\
	static inline int						\
	name(struct bf_cur *c, type *out)				\
	{								\
		const uint8_t *p;					\
									\
		if (cur_get_ptr(c, n, &p) < 0)				\
			return -1;					\
		*out = (value);						\
		return 0;						\
	}
CUR_GET_UINT(cur_get_u8, uint8_t, 1, p[0])
CUR_GET_UINT(cur_get_u16, uint16_t, 2, BE16(p))
CUR_GET_UINT(cur_get_u24, uint32_t, 3,
    (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2])
CUR_GET_UINT(cur_get_u32, uint32_t, 4, BE32(p))
CUR_GET_UINT(cur_get_u64, uint64_t, 8, (uint64_t)BE32(p) << 32 | BE32(p + 4))
#undef CUR_GET_UINT
#undef BE16
#undef BE32

/* Look at byte i ahead without consuming it. */
static inline int
cur_peek_u8(const struct bf_cur *c, size_t i, uint8_t *out)
{
	if (c->len <= i)
		return -1;
	*out = c->p[i];
	return 0;
}

#endif /* BF_CURSOR_H */
