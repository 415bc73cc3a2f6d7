/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bgp_attr.h: decoded BGP path attributes and the RFC 7606 outcomes.
 *
 * Variable-length attribute values (communities, cluster list, ...) are kept
 * as cursors into the message: valid as long as the message buffer is.
 */
#ifndef BF_BGP_ATTR_H
#define BF_BGP_ATTR_H

#include <stdbool.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/cursor.h"
#include "core/err.h"
#include "bgp_nlri.h"
#include "bgp_wire.h"

/* Outcome of decoding an UPDATE, worst first wins (RFC 7606 §2). */
enum bgp_outcome {
	BGP_OK = 0,
	BGP_ATTR_DISCARD,	/* a bad attribute was dropped, rest is valid */
	BGP_TREAT_AS_WITHDRAW,	/* all NLRI become withdrawals */
	BGP_SESSION_RESET,	/* message unusable: NLRI cannot be located */
};

/* An AS path is at most 65535 bytes of 2-octet ASNs: 32767 ASNs. */
#define BGP_ASPATH_MAX_ASNS	32768
#define BGP_ASPATH_MAX_SEGS	16384
#define BGP_MAX_UNKNOWN_ATTRS	16
#define BGP_MAX_ATTR_ISSUES	8

struct bgp_aspath_seg {
	uint8_t		type;		/* BGP_ASPATH_* */
	uint16_t	start;		/* index of first ASN in asns[] */
	uint16_t	count;
};

struct bgp_aspath {
	uint32_t		n_segs;
	uint32_t		n_asns;
	struct bgp_aspath_seg	segs[BGP_ASPATH_MAX_SEGS];
	uint32_t		asns[BGP_ASPATH_MAX_ASNS];
};

struct bgp_unknown_attr {
	uint8_t		code;
	uint8_t		flags;
	struct bf_cur	value;
};

/* One attribute problem, as RFC 7606 wants it logged. */
struct bgp_attr_issue {
	uint8_t			code;
	enum bgp_outcome	action;		/* BGP_OK: reported, data kept */
	size_t			offset;
	char			msg[128];
};

struct bgp_mp_reach {
	uint16_t		 afi;
	uint8_t			 safi;
	const struct bgp_af	*af;		/* NULL: undecoded family */
	struct bf_addr		 next_hop;
	struct bf_addr		 next_hop_ll;	/* IPv6 link-local, if sent */
	uint8_t			 next_hop_rd[8];/* VPN next hop RD (usually 0) */
	struct bf_cur		 nlri;
	size_t			 nlri_off;	/* offset of nlri in message */
};

struct bgp_mp_unreach {
	uint16_t		 afi;
	uint8_t			 safi;
	const struct bgp_af	*af;
	struct bf_cur		 nlri;
	size_t			 nlri_off;
};

struct bgp_attrs {
	uint8_t		present[BGP_ATTR_MAX / 8];	/* seen bitmap, by code */
	uint8_t		origin;
	bool		as4_merged;	/* AS4_PATH was merged in */
	uint8_t		as_path_asn_size;	/* 2 or 4 as decoded */
	bool		as_path_width_guessed;	/* not the negotiated width */
	bool		has_origin_as;
	uint32_t	origin_as;
	struct bf_addr	next_hop;	/* NEXT_HOP attribute (IPv4) */
	uint32_t	med;
	uint32_t	local_pref;
	bool		atomic_aggregate;
	uint32_t	aggregator_as;	/* AS4_AGGREGATOR applied */
	struct bf_addr	aggregator_addr;
	struct bf_cur	communities;	/* 4 bytes each */
	uint32_t	originator_id;
	struct bf_cur	cluster_list;	/* 4 bytes each */
	struct bf_cur	ext_communities;	/* 8 bytes each */
	struct bf_cur	ipv6_ext_communities;	/* 20 bytes each */
	struct bf_cur	large_communities;	/* 12 bytes each */
	uint32_t	otc;
	uint64_t	aigp;
	struct bgp_mp_reach	mp_reach;
	struct bgp_mp_unreach	mp_unreach;
	uint8_t		n_unknown;
	uint16_t	n_unknown_total;	/* unknown attrs incl. beyond kept */
	uint8_t		n_issues;
	/* raw values kept until the merge step */
	struct bf_cur	as_path_raw, as4_path_raw;
	size_t		as_path_off, as4_path_off;
	uint32_t	as4_aggregator_as;
	struct bf_addr	as4_aggregator_addr;
	/*
	 * From here on, arrays valid up to their counters above: not cleared
	 * per UPDATE, which keeps the per-message reset small.
	 */
	struct bgp_unknown_attr unknown[BGP_MAX_UNKNOWN_ATTRS];
	struct bgp_attr_issue issues[BGP_MAX_ATTR_ISSUES];
	struct bgp_aspath aspath;	/* after the RFC 6793 merge */
};

static inline bool
bgp_attr_has(const struct bgp_attrs *a, unsigned code)
{
	return (a->present[code / 8] >> (code % 8)) & 1;
}

/* Add a report-only issue (action BGP_OK): the data is kept as decoded. */
void		 bgp_attrs_note(struct bgp_attrs *a, uint8_t code, size_t off,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Attribute name for a code ("AS_PATH", "attr-99" for unknown ones). */
const char	*bgp_attr_name(unsigned code, char *buf, size_t size);

struct bgp_decode_opts {
	bool		as4;		/* AS_PATH carries 4-octet ASNs */
	uint32_t	addpath;	/* bit per bgp_af.index: path IDs present */
};

/*
 * Decode the path attribute section attrs of an UPDATE (base_off: its offset
 * in the message).  Fills out and returns the worst RFC 7606 outcome; every
 * problem is listed in out->issues.  err names the first session-reset cause.
 */
enum bgp_outcome bgp_attrs_parse(struct bf_cur attrs, size_t base_off,
	    const struct bgp_decode_opts *opts, struct bgp_attrs *out,
	    struct bf_err *err);

#endif /* BF_BGP_ATTR_H */
