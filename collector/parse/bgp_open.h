/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bgp_open.h: BGP OPEN message and its capabilities (RFC 4271 §4.2,
 * RFC 5492), as carried in a BMP Peer Up.
 */
#ifndef BF_BGP_OPEN_H
#define BF_BGP_OPEN_H

#include <stdbool.h>
#include <stdint.h>

#include "core/cursor.h"
#include "core/err.h"

#define BGP_CAPS_MAX_AF		32	/* families kept per OPEN */
#define BGP_FQDN_MAX		64

struct bgp_cap_af {
	uint16_t	afi;
	uint8_t		safi;
	uint8_t		addpath;	/* BGP_ADDPATH_RECEIVE | _SEND, 0 if none */
	bool		mp;		/* announced in a multiprotocol capability */
};

struct bgp_caps {
	bool		as4;		/* 4-octet AS capability (RFC 6793) */
	uint32_t	as4_asn;
	bool		route_refresh;
	bool		enhanced_route_refresh;
	bool		ext_message;	/* RFC 8654 */
	bool		ext_nexthop;	/* RFC 8950 */
	bool		graceful_restart;
	uint16_t	gr_restart_time;
	bool		llgr;
	bool		has_role;	/* RFC 9234 BGP Role */
	uint8_t		role;
	char		hostname[BGP_FQDN_MAX];	/* FQDN capability, "" if absent */
	char		domain[BGP_FQDN_MAX];
	uint8_t		n_af;
	struct bgp_cap_af af[BGP_CAPS_MAX_AF];
	uint16_t	n_caps;		/* capabilities seen, any code */
	uint16_t	n_unknown;	/* capabilities with codes not listed here */
};

struct bgp_open {
	uint8_t		version;
	uint16_t	my_as;		/* 2-octet field, AS_TRANS when AS > 65535 */
	uint16_t	hold_time;
	uint32_t	bgp_id;
	struct bgp_caps	caps;
};

/*
 * Decode one whole BGP OPEN message (19-byte header included) from msg.
 * Returns 0 and fills out, or -1 with err set (offset relative to msg).
 * Capabilities beyond BGP_CAPS_MAX_AF families are counted, not kept.
 */
int	bgp_open_parse(struct bf_cur msg, struct bgp_open *out,
	    struct bf_err *err);

/* The AS number the speaker claims: the 4-octet capability's if present. */
uint32_t bgp_open_asn(const struct bgp_open *o);

/* ADD-PATH direction bits advertised for (afi, safi), 0 if none. */
uint8_t	bgp_caps_addpath(const struct bgp_caps *c, uint16_t afi, uint8_t safi);

#endif /* BF_BGP_OPEN_H */
