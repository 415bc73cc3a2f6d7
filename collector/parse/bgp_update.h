/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bgp_update.h: BGP UPDATE decoding (RFC 4271 §4.3, RFC 4760, RFC 7606).
 */
#ifndef BF_BGP_UPDATE_H
#define BF_BGP_UPDATE_H

#include <stdbool.h>
#include <stdint.h>

#include "bgp_attr.h"
#include "bgp_nlri.h"

struct bgp_update {
	struct bf_cur	msg;		/* the whole BGP message */
	struct bf_cur	withdrawn;	/* IPv4 unicast withdrawn routes */
	size_t		withdrawn_off;
	struct bf_cur	nlri;		/* IPv4 unicast NLRI */
	size_t		nlri_off;
	struct bgp_decode_opts opts;
	enum bgp_outcome outcome;
	uint32_t	n_withdrawn;	/* prefixes, all decoded families */
	uint32_t	n_announced;
	bool		eor;		/* End-of-RIB marker, RFC 4724 §2 */
	uint16_t	eor_afi;
	uint8_t		eor_safi;
	bool		undecoded_reach;	/* MP_REACH of a family not in the table */
	bool		undecoded_unreach;
	bool		addpath_guessed;	/* some NLRI parsed only against the caps */
	bool		sec_addpath[4];		/* per NLRI field: path IDs present */
	struct bgp_attrs attrs;		/* last: large */
};

/*
 * Decode the BGP message msg (header included), which must be an UPDATE.
 * Returns the RFC 7606 outcome; BGP_SESSION_RESET means the message could
 * not be used at all, with err naming why and where (offset in msg).
 * NLRI are validated here so iteration afterwards cannot fail.
 * The update keeps pointers into msg: valid as long as msg's buffer is.
 */
enum bgp_outcome bgp_update_parse(struct bf_cur msg,
	    const struct bgp_decode_opts *opts, struct bgp_update *u,
	    struct bf_err *err);

/* Read the BGP header: 0 with length and type, -1 if malformed (err set). */
int	bgp_msg_header(struct bf_cur msg, uint16_t *len, uint8_t *type,
	    struct bf_err *err);

enum bgp_route_action {
	BGP_ANNOUNCE,
	BGP_WITHDRAW,
};

/* Every prefix of an UPDATE in wire order: withdrawals first. */
struct bgp_route_iter {
	const struct bgp_update	*u;
	int			 section;	/* which NLRI field is walked */
	struct bgp_nlri_iter	 it;
};

struct bgp_route {
	enum bgp_route_action	 action;
	const struct bgp_af	*af;
	struct bgp_nlri		 nlri;
};

void	bgp_route_iter_init(struct bgp_route_iter *ri, const struct bgp_update *u);
/* 1 with r filled, 0 at the end.  Treat-as-withdraw turns announcements into withdrawals. */
int	bgp_route_next(struct bgp_route_iter *ri, struct bgp_route *r);

#endif /* BF_BGP_UPDATE_H */
