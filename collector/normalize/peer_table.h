/* SPDX-License-Identifier: Apache-2.0 */
/*
 * peer_table.h: the peers of one BMP session, keyed by (peer type, RD,
 * address), with the capabilities both OPENs of their Peer Up negotiated.
 */
#ifndef BF_PEER_TABLE_H
#define BF_PEER_TABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "../parse/bgp_attr.h"
#include "../parse/bmp_parse.h"
#include "core/hash_index.h"
#include "route_set.h"

/* Views of a peer's routes, as bf_state_view_of() tells them: loc-rib last. */
#define PEER_VIEWS	(BF_SV_LOC_RIB + 1)

/*
 * Routes a peer holds in its open epoch, by view (bmpflow_peer_routes):
 * what the route state holds when it is on, else announcements less
 * withdrawals.
 */
struct peer_routes {
	uint64_t	epoch;		/* the counts are of this epoch */
	uint32_t	n[PEER_VIEWS];
	uint8_t		seen;		/* bit per view a route was counted in */
};

struct peer_entry {
	uint8_t		type;
	uint8_t		rd[8];
	struct bf_addr	addr;
	bool		up;		/* epoch open: no Peer Down since */
	bool		has_open;	/* the epoch began with a Peer Up */
	uint64_t	epoch;		/* from the table's clock at each opening */
	struct bmp_peer_hdr hdr;	/* per-peer header of that Peer Up */
	/* decode options derived from the Peer Up OPENs */
	bool		as4;
	uint32_t	addpath_in;	/* bit per bgp_af.index, Adj-RIB-In/Loc-RIB */
	uint32_t	addpath_out;	/* Adj-RIB-Out */
	/* Routes published to bmp.route.state (--route-state). */
	struct bf_route_set routes;
	struct peer_routes held;
};

struct peer_table {
	/*
	 * Epochs come from *clock, which each Peer Up advances.  By default it
	 * is the table's own counter (epochs 1, 2, ...); the collector shares
	 * one clock, started at the wall-clock microseconds, among all its
	 * sessions, so a peer's epochs keep growing when its router
	 * reconnects or the collector restarts.
	 */
	uint64_t		 own_clock;
	uint64_t		*clock;
	struct peer_entry	*v;	/* by id - 1, in order of first sight */
	uint32_t		 count, cap;
	struct bf_hix		 index;	/* key hash -> id */
	uint32_t		 max;	/* refuse new peers beyond this */
};

/* Returns 0, or -1 when out of memory. */
int	peer_table_init(struct peer_table *t, uint32_t max_peers);
void	peer_table_free(struct peer_table *t);

/* The peer of hdr, or NULL if unknown. */
struct peer_entry	*peer_table_find(struct peer_table *t,
			    const struct bmp_peer_hdr *hdr);
/* Find or create; NULL when the table is full (max peers) or out of memory. */
struct peer_entry	*peer_table_get(struct peer_table *t,
			    const struct bmp_peer_hdr *hdr);

/* Record a Peer Up: new epoch, capabilities from both OPENs. */
void	peer_table_up(struct peer_table *t, struct peer_entry *e,
	    const struct bmp_peer_up *pu);

/*
 * Open an epoch at a route of a peer with none open (no Peer Up seen, as
 * FRR 8.0 does for Loc-RIB, or none since its Peer Down): its records
 * then belong to an epoch that a Peer Down or the session's end closes.
 */
void	peer_table_open(struct peer_table *t, struct peer_entry *e,
	    const struct bmp_peer_hdr *hdr);

/*
 * Decode options for a Route Monitoring message of hdr from peer e (NULL,
 * or an epoch without a Peer Up): RFC 6793 and RFC 7911 from the OPENs,
 * else the A flag and no ADD-PATH.
 */
void	peer_table_decode_opts(const struct peer_entry *e,
	    const struct bmp_peer_hdr *hdr, struct bgp_decode_opts *o);

/*
 * Count delta routes (+1 added, -1 gone, 0 none) in view v of e's open
 * epoch; the counts of an earlier epoch are dropped first.
 */
void	peer_table_count(struct peer_entry *e, enum bf_state_view v,
	    int delta);
/* The counts of e's open epoch; NULL with no epoch open or nothing counted. */
const struct peer_routes *peer_table_routes(const struct peer_entry *e);

#endif /* BF_PEER_TABLE_H */
