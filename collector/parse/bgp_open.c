/* SPDX-License-Identifier: Apache-2.0 */
/*
 * BGP OPEN decoding.
 *
 *  0                   1                   2                   3
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  | header (19) ... | Version (1) | My AS (2) | Hold Time (2)      |
 *  | BGP Identifier (4) | Opt Parm Len (1) | Optional Parameters   |
 *
 * RFC 9072 extended optional parameters: Opt Parm Len 255 followed by a
 * type byte 255 and a 2-byte length, with 2-byte parameter lengths.
 */
#include <stdio.h>
#include <string.h>

#include "bgp_open.h"
#include "bgp_wire.h"

static struct bgp_cap_af *
caps_af(struct bgp_caps *c, uint16_t afi, uint8_t safi)
{
	for (uint8_t i = 0; i < c->n_af; i++)
		if (c->af[i].afi == afi && c->af[i].safi == safi)
			return &c->af[i];
	if (c->n_af == BGP_CAPS_MAX_AF)
		return NULL;
	c->af[c->n_af].afi = afi;
	c->af[c->n_af].safi = safi;
	return &c->af[c->n_af++];
}

static void
copy_text(struct bf_cur *v, char *dst, size_t size)
{
	uint8_t n;
	const uint8_t *p;

	dst[0] = '\0';
	if (cur_get_u8(v, &n) < 0 || cur_get_ptr(v, n, &p) < 0)
		return;
	if (n >= size)
		n = (uint8_t)(size - 1);
	for (uint8_t i = 0; i < n; i++)
		dst[i] = (p[i] >= 0x20 && p[i] < 0x7f) ? (char)p[i] : '?';
	dst[n] = '\0';
}

/* One capability value; malformed ones are errors because they mis-set ADD-PATH. */
static int
parse_cap(uint8_t code, struct bf_cur v, struct bgp_caps *c, size_t off,
    struct bf_err *err)
{
	uint16_t afi, u16;
	uint8_t safi, mode;
	struct bgp_cap_af *af;

	c->n_caps++;
	switch (code) {
	case BGP_CAP_MP:
		if (cur_get_u16(&v, &afi) < 0 || cur_skip(&v, 1) < 0 ||
		    cur_get_u8(&v, &safi) < 0)
			goto bad;
		if ((af = caps_af(c, afi, safi)) != NULL)
			af->mp = true;
		return 0;
	case BGP_CAP_AS4:
		if (cur_get_u32(&v, &c->as4_asn) < 0)
			goto bad;
		c->as4 = true;
		return 0;
	case BGP_CAP_ADD_PATH:
		if (cur_len(&v) % 4 != 0)
			goto bad;
		while (cur_len(&v) > 0) {
			if (cur_get_u16(&v, &afi) < 0 ||
			    cur_get_u8(&v, &safi) < 0 ||
			    cur_get_u8(&v, &mode) < 0)
				goto bad;
			if ((af = caps_af(c, afi, safi)) != NULL)
				af->addpath = mode & (BGP_ADDPATH_RECEIVE |
				    BGP_ADDPATH_SEND);
		}
		return 0;
	case BGP_CAP_ROUTE_REFRESH:
	case BGP_CAP_ROUTE_REFRESH_OLD:
		c->route_refresh = true;
		return 0;
	case BGP_CAP_ENHANCED_RR:
		c->enhanced_route_refresh = true;
		return 0;
	case BGP_CAP_EXT_MESSAGE:
		c->ext_message = true;
		return 0;
	case BGP_CAP_EXT_NEXTHOP:
		c->ext_nexthop = true;
		return 0;
	case BGP_CAP_GRACEFUL_RESTART:
		c->graceful_restart = true;
		if (cur_get_u16(&v, &u16) == 0)
			c->gr_restart_time = u16 & 0x0fff;
		return 0;
	case BGP_CAP_LLGR:
		c->llgr = true;
		return 0;
	case BGP_CAP_ROLE:
		if (cur_len(&v) != 1)
			goto bad;
		(void)cur_get_u8(&v, &c->role);
		c->has_role = true;
		return 0;
	case BGP_CAP_FQDN:
		copy_text(&v, c->hostname, sizeof(c->hostname));
		copy_text(&v, c->domain, sizeof(c->domain));
		return 0;
	default:
		c->n_unknown++;
		return 0;
	}
bad:
	bf_err_set(err, -1, off, "malformed capability %u (length %zu)", code,
	    cur_len(&v));
	return -1;
}

int
bgp_open_parse(struct bf_cur msg, struct bgp_open *out, struct bf_err *err)
{
	struct bf_cur c = msg, params, p;
	uint16_t len, plen16;
	uint8_t type, plen8, ptype, ccode, clen;
	bool ext;

	memset(out, 0, sizeof(*out));
	if (cur_skip(&c, BGP_MARKER_LEN) < 0 || cur_get_u16(&c, &len) < 0 ||
	    cur_get_u8(&c, &type) < 0) {
		bf_err_set(err, -1, 0, "BGP OPEN shorter than its header");
		return -1;
	}
	if (type != BGP_MSG_OPEN) {
		bf_err_set(err, -1, 18, "expected BGP OPEN, got message type %u",
		    type);
		return -1;
	}
	if (len < BGP_OPEN_MIN_LEN || len > cur_len(&msg)) {
		bf_err_set(err, -1, 16, "BGP OPEN length %u outside 29..%zu",
		    len, cur_len(&msg));
		return -1;
	}
	c.len = len - BGP_HDR_LEN;
	(void)cur_get_u8(&c, &out->version);
	(void)cur_get_u16(&c, &out->my_as);
	(void)cur_get_u16(&c, &out->hold_time);
	(void)cur_get_u32(&c, &out->bgp_id);
	(void)cur_get_u8(&c, &plen8);
	ext = false;
	if (plen8 == BGP_OPT_PARAM_EXT_LENGTH) {
		uint8_t marker;

		if (cur_peek_u8(&c, 0, &marker) == 0 &&
		    marker == BGP_OPT_PARAM_EXT_LENGTH) {
			(void)cur_skip(&c, 1);
			if (cur_get_u16(&c, &plen16) < 0)
				goto trunc;
			ext = true;
		} else
			plen16 = plen8;
	} else
		plen16 = plen8;
	if (cur_sub(&c, plen16, &params) < 0)
		goto trunc;
	while (cur_len(&params) > 0) {
		if (cur_get_u8(&params, &ptype) < 0)
			goto trunc;
		if (ext) {
			if (cur_get_u16(&params, &plen16) < 0)
				goto trunc;
		} else {
			if (cur_get_u8(&params, &plen8) < 0)
				goto trunc;
			plen16 = plen8;
		}
		if (cur_sub(&params, plen16, &p) < 0)
			goto trunc;
		if (ptype != BGP_OPT_PARAM_CAPABILITIES)
			continue;
		while (cur_len(&p) > 0) {
			struct bf_cur v;
			size_t off = cur_offset(&msg, &p);

			if (cur_get_u8(&p, &ccode) < 0 ||
			    cur_get_u8(&p, &clen) < 0 ||
			    cur_sub(&p, clen, &v) < 0)
				goto trunc;
			if (parse_cap(ccode, v, &out->caps, off, err) < 0)
				return -1;
		}
	}
	return 0;
trunc:
	bf_err_set(err, -1, cur_offset(&msg, &c),
	    "BGP OPEN optional parameters overrun the message");
	return -1;
}

uint32_t
bgp_open_asn(const struct bgp_open *o)
{
	return o->caps.as4 ? o->caps.as4_asn : o->my_as;
}

uint8_t
bgp_caps_addpath(const struct bgp_caps *c, uint16_t afi, uint8_t safi)
{
	for (uint8_t i = 0; i < c->n_af; i++)
		if (c->af[i].afi == afi && c->af[i].safi == safi)
			return c->af[i].addpath;
	return 0;
}
