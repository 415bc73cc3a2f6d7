/* SPDX-License-Identifier: Apache-2.0 */
/*
 * route_state.h: bmp.route.state, the compacted topic of current routes
 * that lets a processor rebuild its state after bmp.route's retention
 * deleted the records that announced it.
 *
 * Every bmp.route record goes there too, keyed by the route's identity
 * without its epoch ("RD|prefix router peer-type peer-address peer-RD
 * view afi/safi path-id"), so a re-announcement in a later epoch
 * overwrites the key: the announcement's record as value; for a
 * withdrawal its record, then a tombstone (the log cleaner keeps the
 * tombstone alone; a reader of a log not cleaned yet meets the
 * withdrawal, which undoes the announcement, and skips the tombstone).
 * The key's first word is bmp.route's key, and the topic's partitioner
 * hashes that word alone with the partitioner bmp.route uses: a route's
 * state sits in the partition of the same number as its bmp.route
 * records (the topics have the same count).
 *
 * Its messages carry no "schema" header: the value's single-object
 * fingerprint names the schema, and nothing reads the header there (a
 * header is three allocations in librdkafka per message).
 *
 * A tombstone for an ended epoch needs no record before it: bmp.peer
 * (compacted: a session's latest Peer Up or Peer Down) says that epoch
 * is over, and the processor's epoch rule drops its routes.
 *
 * Kept bounded: each peer holds the identities it announced in its
 * current epoch (peer_entry.routes); when the epoch ends (Peer Down, a
 * newer Peer Up, the router's session closing) every one gets its
 * tombstone.  Those go out under back-pressure, a batch per poll while
 * the producer is not congested (a 1M-route epoch queued at once took
 * 340 MB); a route announced or withdrawn meanwhile under the same key
 * takes its pending tombstone back, since its own record supersedes it.
 */
#ifndef BF_ROUTE_STATE_H
#define BF_ROUTE_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include "../encode/records.h"

struct bf_producer;

/* Room for a state key's peer part, and for a whole state key. */
#define BF_STATE_PEER_MAX	(BF_ADDR_STRLEN * 2 + BF_RD_STRLEN + 8)
#define BF_STATE_KEY_MAX	320

/* The routes of an ended epoch whose tombstones are still to go out. */
struct bf_state_drain {
	struct bf_state_drain	*next;
	struct bf_route_set	 set;
	uint32_t		 walk;		/* bf_route_set_at position: out up to it */
	char			 peer[BF_STATE_PEER_MAX];
};

struct bf_route_state {
	struct bf_producer	*prod;
	/* The UPDATE being published (bf_state_update_begin) */
	struct peer_entry	*peer;
	uint8_t			 view;		/* enum bf_state_view */
	char			 peer_part[BF_STATE_PEER_MAX];
						/* "router type address RD" */
	size_t			 peer_len;	/* of peer_part */
	uint64_t		 peer_epoch;	/* peer's, when peer_part was built */
	uint64_t		 routes;	/* held over all peers */
	uint64_t		 bytes;		/* their sets' memory */
	uint64_t		 tombstones;	/* published */
	uint64_t		 untracked;	/* out of memory: never tombstoned */
	struct bf_state_drain	*drain, **drain_tail;	/* oldest first */
	uint64_t		 pending;	/* tombstones in drain */
};

/*
 * A state key: bmp.route's key, then the route's identity, "ROUTE-KEY
 * ROUTER TYPE ADDRESS RD VIEW AFI/SAFI PATH-ID" (PATH-ID "-" without
 * ADD-PATH).  The peer part, "ROUTER TYPE ADDRESS RD", is built apart:
 * once per peer and epoch.
 */
void	bf_state_key_peer(char *out, size_t n, const char *router,
	    uint8_t type, const struct bf_addr *addr, const uint8_t rd[8]);
size_t	bf_state_key(char *out, size_t n, const char *route_key,
	    size_t route_key_len, const char *peer, size_t peer_len,
	    const struct bf_route_id *id);

/* The peer and view of the UPDATE whose route records follow. */
void	bf_state_update_begin(struct bf_route_state *st, const char *router,
	    struct peer_entry *pe, const struct bmp_peer_hdr *hdr);
/* Publish the state of bmp.route record r (r->route set). */
void	bf_state_route(struct bf_route_state *st, const struct bf_record *r);
/*
 * After a Peer Up or Peer Down of pe: tombstones for its routes when
 * the epoch they belong to has ended.
 */
void	bf_state_sync(struct bf_route_state *st, const char *router,
	    struct peer_entry *pe);
/* pe's epoch ends with its router's session: tombstones for its routes. */
void	bf_state_end(struct bf_route_state *st, const char *router,
	    struct peer_entry *pe);
/*
 * Publish pending tombstones while the producer is not congested (all of
 * them with force, at shutdown).
 */
void	bf_state_drain(struct bf_route_state *st, bool force);
void	bf_state_free(struct bf_route_state *st);

#endif /* BF_ROUTE_STATE_H */
