/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sessions.h: the session model (plugin.h), kept by the processor host
 * for every plugin.  A session is (router, peer type, peer address, RD);
 * it is interned to a dense id on first sight and keeps its epoch.
 * bmp.peer and bmp.route are not ordered with each other and Kafka may
 * deliver records again, so each record is judged against the session's
 * current epoch:
 *  - a record of a newer epoch opens it (the plugin resets the session),
 *    whether it is the Peer Up or a route or End-of-RIB read first;
 *  - the Peer Up of the open epoch, read after its routes, is delivered
 *    once (its OPENs and roles reach the plugin), a repeat is skipped;
 *  - a Peer Down closes the open epoch (every view of it);
 *  - anything of a closed epoch is stale and never reaches the plugin.
 * Views: per session, the first view of the preference list that the
 * session's routes come in is delivered (or every view with "all"); the
 * Loc-RIB of a routing instance (router and RD: a VRF's or the global
 * table), a session of its own, only while the router sends no listed
 * view ranked above it for any session of that instance.  When a more preferred view
 * appears, the one delivered so far ends.  A session's choice is made per
 * bmp.route partition, from that partition's records only: every instance
 * of a consumer group that rebuilds a partition from its start makes the
 * same choice, whatever else it holds.  The Loc-RIB ends in every
 * partition at once, so that a session counts in all or none.
 */
#ifndef BF_SESSIONS_H
#define BF_SESSIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bmpflow/plugin.h"
#include "core/hash_index.h"

#define BF_VIEWS_DEFAULT	"adj-in-pre,adj-in-post,loc-rib"

enum bf_sess_verdict {
	BF_SESS_STALE,		/* of a closed epoch: dropped, counted */
	BF_SESS_REPEAT,		/* already delivered: dropped */
	BF_SESS_DELIVER,
	BF_SESS_OPEN,		/* a new epoch: reset the session first */
};

struct bf_pending;		/* records held for a late Peer Up (pipeline.c) */

struct bf_sess {
	struct bf_session	 pub;		/* what plugins see */
	char			*peer, *peer_rd;	/* pub's, owned */
	uint32_t		 inst;		/* index of insts[] */
	uint64_t		 epoch;		/* current; 0: none yet */
	bool			 open;
	bool			 up_seen;	/* its Peer Up read */
	bool			 told;		/* the plugin has its UP */
	struct bf_sess_part	*parts;		/* by bmp.route partition */
	uint32_t		 n_parts;
	struct bf_pending	*pending;	/* held records, oldest first */
	struct bf_pending	*pending_last;
	int64_t			 pending_since;	/* the oldest's arrival, us */
};

/* A session's views in one bmp.route partition. */
struct bf_sess_part {
	int8_t		 chosen;	/* its view, -1: none yet */
	uint8_t		 views;		/* delivered this epoch, bits */
};

struct bf_sess_router {
	char		*addr;
};

/* A routing instance of a router: the sessions of one RD. */
struct bf_sess_inst {
	uint32_t	 router;
	char		*rd;		/* NULL: the global table */
	uint8_t		 best[4];	/* by route class: best rank of its
					 * sessions' views but Loc-RIB,
					 * BF_VIEWS: none */
};

struct bf_sessions {
	struct bf_sess		**v;		/* by id */
	uint32_t		 n, cap;
	struct bf_hix		 index;		/* key hash -> id + 1 */
	uint32_t		 last;		/* id found last */
	struct bf_sess_router	*routers;
	uint32_t		 n_routers;
	struct bf_sess_inst	*insts;
	uint32_t		 n_insts;
	uint8_t			 prefs[BF_VIEWS];	/* preference order */
	uint8_t			 n_prefs;	/* 0: every view ("all") */
	uint64_t		 stale;		/* records of closed epochs */
	uint64_t		 view_skipped;	/* routes of views not chosen */
};

/* views: "all" or a comma list of bf_view names.  0, or -1 with why. */
int	bf_sessions_init(struct bf_sessions *t, const char *views, char *err,
	    size_t errlen);
void	bf_sessions_free(struct bf_sessions *t);

/* The session of these key fields, interned on first sight; NULL: OOM. */
struct bf_sess *bf_sessions_get(struct bf_sessions *t, const char *router,
	    uint8_t peer_type, const char *peer, const char *peer_rd,
	    uint32_t peer_as);

/* The epoch rule for a Peer Up, a Peer Down, a route or End-of-RIB. */
enum bf_sess_verdict bf_sessions_up(struct bf_sessions *t, struct bf_sess *s,
	    uint64_t epoch);
enum bf_sess_verdict bf_sessions_down(struct bf_sessions *t,
	    struct bf_sess *s, uint64_t epoch);
enum bf_sess_verdict bf_sessions_record(struct bf_sessions *t,
	    struct bf_sess *s, uint64_t epoch);

/*
 * Whether a route of view v of s in partition part is delivered.  Called
 * for every route: it records that s sends v there.  When that makes v
 * the view of s in part in place of another, *ended is that other view
 * (else -1), which the caller ends (BF_SESSION_VIEW_END) for s in part;
 * when it makes the Loc-RIB of the routing instance of s undelivered for
 * routes of route_class (bf_route_class), *loc_rib_ended is set, and the
 * caller ends those routes of the Loc-RIB view in every partition for each
 * session of the instance.  false also when out of memory.
 */
bool	bf_sessions_view(struct bf_sessions *t, struct bf_sess *s,
	    enum bf_view v, int32_t part, int route_class, int *ended,
	    bool *loc_rib_ended);

/* Whether End-of-RIB of view v concerns a plugin: a listed view. */
bool	bf_sessions_view_wanted(const struct bf_sessions *t, enum bf_view v);

/*
 * Clears view v from the views of s delivered in part (-1: every one);
 * true when it was set (a VIEW_END is due).
 */
bool	bf_sessions_take_view(struct bf_sess *s, enum bf_view v, int32_t part);

/* A bmp.route partition taken away: its choices are made afresh. */
void	bf_sessions_drop_partition(struct bf_sessions *t, int32_t part);

/* The view of a record's rib (0 in, 1 out, 2 Loc-RIB) and L flag. */
enum bf_view bf_view_of(int64_t rib, bool post_policy);

#endif /* BF_SESSIONS_H */
