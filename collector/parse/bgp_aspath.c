/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AS path segments, RFC 4271 §4.3 and RFC 5065:
 *
 *   +-------------+-------------+----------------------------+
 *   | type (1)    | count (1)   | count x ASN (2 or 4 bytes) |
 *   +-------------+-------------+----------------------------+
 */
#include "bgp_aspath.h"
#include "bgp_wire.h"

static unsigned
seg_weight(uint8_t type, uint8_t count)
{
	switch (type) {
	case BGP_ASPATH_SEQUENCE:
		return count;
	case BGP_ASPATH_SET:
		return 1;
	default:	/* confederation segments do not count, RFC 5065 §5.3 */
		return 0;
	}
}

long
bgp_aspath_verify(struct bf_cur raw, unsigned asn_size, size_t base_off,
    struct bf_err *err)
{
	struct bf_cur c = raw;
	long weight = 0;
	uint8_t type = 0, count = 0;

	while (cur_len(&c) > 0) {
		size_t off = base_off + cur_offset(&raw, &c);

		if (cur_get_u8(&c, &type) < 0 || cur_get_u8(&c, &count) < 0) {
			bf_err_set(err, -1, off, "AS path segment header cut "
			    "short");
			return -1;
		}
		if (type < BGP_ASPATH_SET || type > BGP_ASPATH_CONFED_SET) {
			bf_err_set(err, -1, off, "AS path segment type %u "
			    "unknown", type);
			return -1;
		}
		if (count == 0) {
			bf_err_set(err, -1, off, "AS path segment of zero "
			    "length");
			return -1;
		}
		if (cur_skip(&c, (size_t)count * asn_size) < 0) {
			bf_err_set(err, -1, off, "AS path segment of %u ASNs "
			    "overruns the attribute (%u-octet ASNs)", count,
			    asn_size);
			return -1;
		}
		weight += seg_weight(type, count);
	}
	return weight;
}

static void
append_seg(struct bgp_aspath *out, uint8_t type)
{
	struct bgp_aspath_seg *s = &out->segs[out->n_segs++];

	s->type = type;
	s->start = (uint16_t)out->n_asns;
	s->count = 0;
}

/*
 * Append segments of raw (already verified) to out.  limit caps how much
 * path weight is copied; a sequence crossing the limit is cut (RFC 6793
 * §4.2.3 takes "the leading" ASNs of AS_PATH).
 */
static void
append_path(struct bgp_aspath *out, struct bf_cur raw, unsigned asn_size,
    long limit)
{
	struct bf_cur c = raw;
	uint8_t type = 0, count = 0;
	long used = 0;

	while (cur_len(&c) > 0 && used < limit) {
		(void)cur_get_u8(&c, &type);
		(void)cur_get_u8(&c, &count);
		/* Merge adjacent same-type sequences split at 255 ASNs. */
		if (!(out->n_segs > 0 && type == BGP_ASPATH_SEQUENCE &&
		    out->segs[out->n_segs - 1].type == type))
			append_seg(out, type);
		if (type == BGP_ASPATH_SEQUENCE && used + count > limit)
			count = (uint8_t)(limit - used);
		used += seg_weight(type, count);
		for (uint8_t i = 0; i < count; i++) {
			uint32_t asn = 0;
			uint16_t a16;

			if (asn_size == 4)
				(void)cur_get_u32(&c, &asn);
			else if (cur_get_u16(&c, &a16) == 0)
				asn = a16;
			out->asns[out->n_asns++] = asn;
			out->segs[out->n_segs - 1].count++;
		}
	}
}

bool
bgp_aspath_build(struct bgp_aspath *out, struct bf_cur as_path,
    unsigned asn_size, struct bf_cur as4_path)
{
	long w2, w4;

	out->n_segs = 0;
	out->n_asns = 0;
	if (cur_len(&as4_path) == 0) {
		append_path(out, as_path, asn_size, __LONG_MAX__);
		return false;
	}
	w2 = bgp_aspath_verify(as_path, asn_size, 0, NULL);
	w4 = bgp_aspath_verify(as4_path, 4, 0, NULL);
	if (w2 < w4) {
		/* RFC 6793 §4.2.3: AS4_PATH longer than AS_PATH is ignored. */
		append_path(out, as_path, asn_size, __LONG_MAX__);
		return false;
	}
	append_path(out, as_path, asn_size, w2 - w4);
	append_path(out, as4_path, 4, __LONG_MAX__);
	return true;
}

bool
bgp_aspath_origin(const struct bgp_aspath *p, uint32_t *asn)
{
	const struct bgp_aspath_seg *last;

	if (p->n_segs == 0)
		return false;
	last = &p->segs[p->n_segs - 1];
	if (last->type != BGP_ASPATH_SEQUENCE || last->count == 0)
		return false;
	*asn = p->asns[last->start + last->count - 1];
	return true;
}
