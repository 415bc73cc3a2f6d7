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

static inline int
cur_skip(struct bf_cur *c, size_t n)
{
	if (c->len < n)
		return -1;
	c->p += n;
	c->len -= n;
	return 0;
}

/* Cut the next n bytes into sub and advance c past them. */
static inline int
cur_sub(struct bf_cur *c, size_t n, struct bf_cur *sub)
{
	if (c->len < n)
		return -1;
	sub->p = c->p;
	sub->len = n;
	c->p += n;
	c->len -= n;
	return 0;
}

/* Borrow a pointer to the next n bytes (lifetime: the underlying buffer). */
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
static inline int
cur_get_u8(struct bf_cur *c, uint8_t *out)
{
	const uint8_t *p;

	if (cur_get_ptr(c, 1, &p) < 0)
		return -1;
	*out = p[0];
	return 0;
}

static inline int
cur_get_u16(struct bf_cur *c, uint16_t *out)
{
	const uint8_t *p;

	if (cur_get_ptr(c, 2, &p) < 0)
		return -1;
	*out = (uint16_t)((uint16_t)p[0] << 8 | p[1]);
	return 0;
}

static inline int
cur_get_u24(struct bf_cur *c, uint32_t *out)
{
	const uint8_t *p;

	if (cur_get_ptr(c, 3, &p) < 0)
		return -1;
	*out = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
	return 0;
}

static inline int
cur_get_u32(struct bf_cur *c, uint32_t *out)
{
	const uint8_t *p;

	if (cur_get_ptr(c, 4, &p) < 0)
		return -1;
	*out = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
	return 0;
}

static inline int
cur_get_u64(struct bf_cur *c, uint64_t *out)
{
	uint32_t hi, lo;
	struct bf_cur save = *c;

	if (cur_get_u32(c, &hi) < 0 || cur_get_u32(c, &lo) < 0) {
		*c = save;
		return -1;
	}
	*out = (uint64_t)hi << 32 | lo;
	return 0;
}

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
