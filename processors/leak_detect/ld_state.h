/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ld_state.h: the state of the leak_detect plugin, shared by its modules
 * (internal: the host and tests see leak_detect.h only).
 *
 * Each module owns one part of struct ld_state, as OpenBGPD's rde_*.c do
 * (their tables share core's hash index, core/hash_index.h):
 *
 *   ld_alert.c   alerts: lifecycle (open, update, resolve), ids, records
 *   ld_route.c   sessions and offending routes: which alerts each route
 *                is a member of
 *   ld_prefix.c  monitored prefixes at run time: their routes' origins
 *                (MOAS) and learned upstreams
 *   ld_rule.c    the rules: a route's offences, no state of its own
 *   ld_file.c    the input files: load, reload on change or SIGHUP
 *   ld_rtab.c    tables of routes by id (offending, held for ROV)
 *   ld_rov.c     route origin validation: the routes held with their
 *                RPKI state, re-validated when VRPs change
 *   ld_rtr.c     VRPs over RTR (RFC 8210) from RTRlib's threads
 *   leak_detect.c  the plugin: options, init, the host's callbacks
 */
#ifndef BMPFLOW_LD_STATE_H
#define BMPFLOW_LD_STATE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "bmpflow/plugin.h"
#include "core/hash_index.h"
#include "asrel.h"
#include "monitor.h"
#include "ptab.h"
#include "rpki.h"

#define MAX_SEG		8
#define MAX_PATH	255	/* example path kept in an alert */

enum ld_type {
	T_ROUTE_LEAK,
	T_OTC_LEAK,
	T_PEER_LOCK,
	T_ORIGIN_HIJACK,
	T_SUBPREFIX_HIJACK,
	T_RPKI_INVALID,
	T_NEW_UPSTREAM,
	T_MOAS,
	T_N
};

enum { PC_NONE, PC_EXACT, PC_SUB, PC_SQUAT };
enum { HC_NONE, HC_ORIGIN, HC_FIRST_HOP };
enum { SEV_LOW, SEV_MEDIUM, SEV_HIGH, SEV_CRITICAL };

/* A neighbour's BGP Role (RFC 9234 §4.1), as it would announce it. */
enum role { ROLE_NONE, ROLE_PROVIDER, ROLE_RS, ROLE_RS_CLIENT,
    ROLE_CUSTOMER, ROLE_PEER };
extern const char *const ld_role_names[];

enum { ST_PENDING, ST_OPEN, ST_RESOLVED };

/* Input files: the first options (options[f] for file f). */
enum { F_ASREL, F_PREFIXES, F_ROAS, F_TRANSIT_FREE, F_N };

struct ld_rtr;

/* One offence of a route, before it is matched to an alert. */
struct off {
	uint8_t		type, rfc7908, pclass, hclass, sev, nseg;
	uint32_t	culprit;	/* 0 = none (MOAS) */
	uint32_t	seg[MAX_SEG];
	char		detail[160];
};

struct holder {
	uint32_t	peer;
	uint32_t	n;		/* member routes of this peer now */
};

struct alert {
	struct ld_pfx	 p;
	uint8_t		 type, rfc7908, pclass, hclass, sev, nseg;
	uint8_t		 state, dirty, touched, has_origin;
	int32_t		 partition;
	uint32_t	 culprit, origin;
	uint32_t	 seg[MAX_SEG];
	uint32_t	 path_n;
	uint32_t	*path;
	int64_t		 first_seen, last_seen, trig_us, resolved_at;
	uint64_t	 count;
	uint32_t	 holding;	/* member routes */
	struct holder	*h;		/* every peer that saw it */
	uint32_t	 nh, caph;
	char		 prefix[48];
	char		 id[17];
	char		 detail[160];
};

/*
 * Routes are kept per source, bf_src(peer, view) with the peer id
 * (session id + 1: 0 is none); alerts count peers.
 */
/* A route kept in a table of routes (ld_rtab.c): its key and partition. */
struct ld_rkey {
	uint64_t	hi, lo;
	uint32_t	src, path_id;	/* src: a source, 0 in a free slot */
	int32_t		partition;
	uint8_t		family, len;
};

/* Routes by id 1.., slots of size bytes beginning with a struct ld_rkey. */
struct ld_rtab {
	char		*slots;
	size_t		 size;
	uint32_t	 cap, n, n_free;
	uint32_t	 free_id;	/* the first free id (n_free > 0) */
	struct bf_hix	 ix;
};

/* A route member of at least one alert. */
struct oroute {
	struct ld_rkey	k;
	uint8_t		n;
	uint32_t	alert[T_N];
};

struct mroute {
	uint32_t	peer, path_id, origin;	/* peer: a source */
};

/* Runtime state of a monitored prefix: MOAS routes, learned upstreams. */
struct pstate {
	struct ld_pfx	 p;
	int32_t		 partition;	/* of its exact-prefix routes */
	int64_t		 created;
	struct mroute	*r;
	uint32_t	 nr, capr;
	uint32_t	*ups;
	uint32_t	 nups, capups;
};

/* A BGP session, by the host's session id + 1. */
struct peer {
	const char	*router, *addr;	/* the host's */
	char		*name;		/* "router|addr" */
	uint32_t	 as;
	uint8_t		 up, role;
	uint64_t	 epoch;
	uint32_t	 n_off;		/* oroutes of this peer */
	uint32_t	 n_mon;		/* mroutes of this peer */
	uint32_t	 n_rov;		/* rov_routes of this peer */
};

/* A route held for origin validation (ld_rov.c). */
struct rov_route {
	struct ld_rkey	k;
	uint32_t	origin;
	uint8_t		has_origin, state;	/* enum rpki_state */
};

/* Hash index over ids 1..: chains by id, ids owned by the caller. */
struct role_cfg {
	char		*addr;
	uint8_t		 role;
};

/* A version of a file as stat tells it: a rename over it is a new inode. */
struct ld_stamp {
	dev_t		 dev;
	ino_t		 ino;
	struct timespec	 mtime;
	off_t		 size;
};

struct ld_file {
	char		*path;
	struct ld_stamp	 loaded;	/* the data in use, or the version
					 * last refused: not tried again */
	struct ld_stamp	 seen;		/* at the last check */
	bool		 want;		/* load in the next job */
};

/* One file's load, made by a job (ld_file.c): a table not yet in use. */
struct ld_load {
	bool		 wanted;
	int		 result;	/* LD_LOAD_* of ld_file.c */
	long		 comments;	/* lines holding only a comment */
	struct ld_stamp	 stamp;		/* of the version read */
	struct astab	 tab;		/* F_ASREL, F_TRANSIT_FREE */
	struct monitor	 mon;		/* F_PREFIXES */
	struct rpki	 rpki;		/* F_ROAS */
	char		 err[512];
};

/*
 * Files loaded on a thread of their own, so that a large file does not
 * stop the processing thread; their tables replace those in use at the
 * next on_tick after the thread is done.  The thread touches only the
 * job's loads and the paths (fixed after init).
 */
struct ld_job {
	pthread_t	 thread;
	bool		 running;	/* started and not joined */
	atomic_bool	 done;		/* the thread's last store */
	struct ld_load	 load[F_N];
};

/* Field ids of alert.avsc (bf_field), declared in init. */
struct ld_out {
	int	alert_id, type, rfc7908_type, prefix_class, path_class,
		severity, prefix, origin_as, culprit_as, culprit_segment,
		as_path, routers, peers, peers_seen, peers_holding, first_seen,
		last_seen, count, state, detection_latency_ms, time_us, detail,
		rpki_state;
};

struct ld_state {
	struct bf_host	*host;
	struct ld_out	 out;
	/* settings */
	uint32_t	 min_peers;
	int64_t		 window_us, learn_us, reload_check_us;
	bool		 rpki_monitored_only;
	struct role_cfg	*roles;
	size_t		 n_roles;
	struct ld_file	 files[F_N];
	struct ld_job	 job;
	int64_t		 last_reload_check;
	/* inputs */
	struct astab	 rel;		/* AS links */
	struct astab	 tf;		/* transit-free ASes */
	struct rpki	 rpki;		/* roas_file */
	struct rpki	 rtr_rpki;	/* the RTR caches' VRPs (ld_rtr.c) */
	struct ld_rtr	*rtr;		/* NULL: no rtr setting (ld_rtr.c) */
	struct monitor	 mon;
	/* peers: sessions, by the host's session id + 1 */
	struct peer	*peers;
	uint32_t	 n_peers;	/* ids 1..n_peers in peers[] */
	/* alerts */
	struct alert	**al;		/* by id, 1.., NULL = free */
	uint32_t	 al_cap, n_al;
	uint32_t	*al_free;	/* free ids below al_cap */
	uint32_t	 n_al_free;
	struct bf_hix	 al_ix;
	struct ld_rtab	 offending;	/* struct oroute */
	/* monitored prefix runtime state */
	struct pstate	**ps;
	uint32_t	 ps_cap, n_ps;
	struct bf_hix	 ps_ix;
	struct ld_rtab	 held;		/* struct rov_route, while RPKI is on */
	bool		 rov_all;	/* re-validate every one at the tick */
	uint32_t	 rov_by_state[3];
	/* clock: largest collector or tick time seen */
	int64_t		 clock;
	uint32_t	*scratch;
	uint32_t	 scratch_cap;
	uint64_t	 routes_since_tick;
	/* metrics */
	int		 m_alerts, m_open, m_routes, m_latency, m_entries,
			 m_reloads, m_rpki_routes;
	uint32_t	 open_by_type[T_N];
};

/*
 * One announcement or withdrawal being judged: what on_route knows of it,
 * what the rules found and where its offending route is kept.
 */
struct ld_judged {
	const struct bf_route	*r;
	const struct peer	*pe;
	uint32_t		 src;		/* bf_src(peer id, view) */
	uint32_t		 path_id;	/* 0 without ADD-PATH */
	struct ld_pfx		 q;
	const struct mon_ent	*mon;		/* monitored cover, or NULL */
	struct pstate		*ps;		/* its run-time state, or NULL */
	bool			 has_origin;
	uint32_t		 origin;
	struct off		 offs[T_N];	/* the rules' verdict */
	size_t			 n;
	int32_t			 partition;	/* of bmp.route */
	int64_t			 time_us;	/* collector time, or the VRP
						 * change's */
	uint8_t			 rpki;		/* enum rpki_state, when
						 * ld_rov_applies */
};

/* What a VIEW_END ends, or everything of a peer. */
struct ld_scope {
	int	view;		/* BF_VIEWS: all */
	int32_t	part;		/* -1: all */
	int	family;		/* 0: both */
};

static inline uint32_t
ld_pfx_hash(const struct ld_pfx *p, uint64_t salt)
{
	return (uint32_t)bf_mix64(p->hi ^ bf_mix64(p->lo ^ salt) ^
	    ((uint64_t)p->family << 8 | p->len));
}

static inline bool
ld_pfx_eq(const struct ld_pfx *a, const struct ld_pfx *b)
{
	return a->hi == b->hi && a->lo == b->lo && a->family == b->family &&
	    a->len == b->len;
}

static inline uint32_t
ld_rkey_hash(uint32_t src, uint32_t path_id, const struct ld_pfx *q)
{
	return ld_pfx_hash(q, (uint64_t)src << 32 | path_id);
}

static inline bool
ld_rkey_is(const struct ld_rkey *k, uint32_t src, uint32_t path_id,
    const struct ld_pfx *q)
{
	return k->src == src && k->path_id == path_id && k->hi == q->hi &&
	    k->lo == q->lo && k->family == q->family && k->len == q->len;
}

/* k of the route (src, path_id) of q in partition. */
static inline void
ld_rkey_set(struct ld_rkey *k, uint32_t src, uint32_t path_id,
    const struct ld_pfx *q, int32_t partition)
{
	*k = (struct ld_rkey){ .hi = q->hi, .lo = q->lo, .src = src,
	    .path_id = path_id, .partition = partition, .family = q->family,
	    .len = q->len };
}

static inline struct ld_pfx
ld_rkey_pfx(const struct ld_rkey *k)
{
	return (struct ld_pfx){ .hi = k->hi, .lo = k->lo, .family = k->family,
	    .len = k->len };
}

static inline struct ld_rkey *
ld_rtab_key(const struct ld_rtab *t, uint32_t id)
{
	return (struct ld_rkey *)(void *)(t->slots + (size_t)id * t->size);
}

/* The last id in use or free: ids 1..top. */
static inline uint32_t
ld_rtab_top(const struct ld_rtab *t)
{
	return t->n + t->n_free;
}

static inline struct oroute *
ld_oroute(const struct ld_state *st, uint32_t id)
{
	return (struct oroute *)(void *)ld_rtab_key(&st->offending, id);
}

static inline struct rov_route *
ld_held(const struct ld_state *st, uint32_t id)
{
	return (struct rov_route *)(void *)ld_rtab_key(&st->held, id);
}

/* Whether x is one of v[0 .. n). */
static inline bool
ld_listed(const uint32_t *v, size_t n, uint32_t x)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == x)
			return true;
	return false;
}

/* Whether a route of family in partition part is in scope sc. */
static inline bool
ld_in_scope(struct ld_scope sc, int32_t part, uint8_t family)
{
	return (sc.part < 0 || part == sc.part) &&
	    (sc.family == 0 || family == sc.family);
}

/* ---- ld_alert.c ---- */
extern const char *const ld_type_names[T_N];
/* The alert id of (type, p, culprit), 0 when there is none. */
uint32_t ld_alert_find(const struct ld_state *st, int type,
	    const struct ld_pfx *p, uint32_t culprit);
/*
 * The alert for o on q, found or created; a resolved one older than the
 * window is replaced by a new one.  r (NULL: none) gives a new alert its
 * first_seen and example path; partition is its bmp.route partition.  0
 * when out of memory.
 */
uint32_t ld_alert_get(struct ld_state *st, const struct off *o,
	    const struct ld_pfx *q, const struct bf_route *r, int32_t partition,
	    bool has_origin, uint32_t origin);
/* Forget alert id (an open one leaves alerts_open). */
void	ld_alert_free(struct ld_state *st, uint32_t id);
/* One more member route of peer in a: 0, or -1 when out of memory. */
int	ld_alert_hold(struct alert *a, uint32_t peer);
/* One member route of peer less in a. */
void	ld_alert_release(struct alert *a, uint32_t peer);
/* No member routes in a (MOAS recounts them). */
void	ld_alert_release_all(struct alert *a);
/*
 * The lifecycle after a change of alert id's members: opens, resolves or
 * reopens it (emitting the record at once) or frees a pending one nobody
 * holds.  trig_us: collector time of the record that caused the change.
 */
void	ld_alert_refresh(struct ld_state *st, uint32_t id, int64_t trig_us);
/* ld_alert_refresh of every alert marked touched, unmarking it. */
void	ld_alert_refresh_touched(struct ld_state *st, int64_t trig_us);
/* One more sighting of a by r; o (NULL: none) renews a MOAS's origins. */
void	ld_alert_seen(struct alert *a, const struct bf_route *r,
	    const struct off *o);
/* From on_tick: "update" of the dirty open alerts, expired ones freed. */
void	ld_alert_tick(struct ld_state *st);
void	ld_alert_drop_partition(struct ld_state *st, int32_t partition);
void	ld_alert_metric_open(struct ld_state *st, int type);
void	ld_alert_free_all(struct ld_state *st);
size_t	ld_alert_bytes(const struct ld_state *st);

/* ---- ld_rtab.c ---- */
/* An empty table of slots of size bytes. */
void	ld_rtab_init(struct ld_rtab *t, size_t size);
/* The id of route (src, path_id, q), index hash h (ld_rkey_hash); 0: none. */
uint32_t ld_rtab_find(const struct ld_rtab *t, uint32_t src,
	    uint32_t path_id, const struct ld_pfx *q, uint32_t h);
/* A new route's id, its slot zeroed but for its key; 0: out of memory. */
uint32_t ld_rtab_add(struct ld_rtab *t, uint32_t src, uint32_t path_id,
	    const struct ld_pfx *q, int32_t partition, uint32_t h);
void	ld_rtab_del(struct ld_rtab *t, uint32_t id);
void	ld_rtab_free(struct ld_rtab *t);
size_t	ld_rtab_bytes(const struct ld_rtab *t);

/* ---- ld_route.c ---- */
/*
 * Re-judge the rpki_invalid membership of j's route (j->r NULL): its other
 * alerts stay, the rpki_invalid one is joined (invalid) or left.
 */
void	ld_route_rejudge_rpki(struct ld_state *st, struct ld_judged *j,
	    bool invalid);
/* The peer of session ss (its id + 1), added on first sight; 0: OOM. */
uint32_t ld_peer_get(struct ld_state *st, const struct bf_session *ss);
/* The neighbour's role from peer_roles, ROLE_NONE when not listed. */
uint8_t	ld_peer_config_role(const struct ld_state *st, const char *addr);
/*
 * Peer pid's epoch ends or a new one starts (sc: all of it): drop all its
 * routes; or one of its views ends: drop those in sc.  Alerts they leave
 * are refreshed at trig_us; then the peer is up (or not) in epoch.
 */
void	ld_peer_reset(struct ld_state *st, uint32_t pid, bool up,
	    uint64_t epoch, struct ld_scope sc, int64_t trig_us);
/* Make j's route a member of exactly the alerts of its offences. */
void	ld_route_judge(struct ld_state *st, const struct ld_judged *j);
void	ld_route_drop_partition(struct ld_state *st, int32_t partition);
void	ld_route_free_all(struct ld_state *st);
size_t	ld_route_bytes(const struct ld_state *st);

/* ---- ld_prefix.c ---- */
/* The state of monitored prefix m, made (create) at first; NULL: none/OOM. */
struct pstate *ld_prefix_get(struct ld_state *st, const struct ld_pfx *m,
	    bool create);
bool	ld_prefix_upstream_known(const struct pstate *p, uint32_t asn);
/* asn is now a known upstream of p (not when out of memory). */
void	ld_prefix_learn(struct pstate *p, uint32_t asn);
/* Set (present) or clear the route (src, path_id) of p; true: changed. */
bool	ld_prefix_route(struct ld_state *st, struct pstate *p, uint32_t src,
	    uint32_t path_id, bool present, uint32_t origin);
/* Re-judge p's MOAS after its routes changed (r: the cause, or NULL). */
void	ld_prefix_moas(struct ld_state *st, struct pstate *p,
	    const struct bf_route *r, int64_t trig_us);
/* Drop peer pid's routes within sc (its view, partition, family). */
void	ld_prefix_drop_peer(struct ld_state *st, uint32_t pid,
	    struct ld_scope sc, int64_t trig_us);
void	ld_prefix_drop_partition(struct ld_state *st, int32_t partition);
void	ld_prefix_free_all(struct ld_state *st);
size_t	ld_prefix_bytes(const struct ld_state *st);

/* ---- ld_rule.c ---- */
/* Every offence of announcement j->r into j->offs and j->n; its origin. */
void	ld_rule_judge(struct ld_state *st, struct ld_judged *j);

/*
 * The rpki_invalid offence of j (origin, prefix, monitored cover) into o:
 * for the rule and for a route re-validated after a VRP change.
 */
void	ld_rule_rpki_offence(const struct ld_judged *j, struct off *o);

/* ---- ld_rov.c ---- */
/* Whether VRPs are in use: roas_file or rtr set. */
bool	ld_rov_on(const struct ld_state *st);
/* Whether a route of q under monitored cover mon is validated. */
bool	ld_rov_applies(const struct ld_state *st, const struct mon_ent *mon);
/* RFC 6811 state over the file's and the RTR caches' VRPs. */
enum rpki_state ld_rov_validate(const struct ld_state *st,
	    const struct ld_pfx *q, uint32_t origin, bool has_origin);
/* Hold (announcement) or forget (withdrawal) j's route and its j->rpki. */
void	ld_rov_route(struct ld_state *st, const struct ld_judged *j,
	    bool withdraw);
void	ld_rov_drop_peer(struct ld_state *st, uint32_t pid,
	    struct ld_scope sc);
void	ld_rov_drop_partition(struct ld_state *st, int32_t partition);
/*
 * From on_tick: re-validate the routes held under the prefixes whose VRPs
 * changed (changed, n of them), or all of them after a roas_file reload;
 * a route whose verdict changes joins or leaves its rpki_invalid alert.
 */
void	ld_rov_revalidate(struct ld_state *st, const struct ld_pfx *changed,
	    size_t n, int64_t trig_us);
void	ld_rov_metric(struct ld_state *st);

/* ---- ld_rtr.c ---- */
/*
 * Start RTRlib's manager on the servers of spec (the rtr setting:
 * "HOST:PORT ..." or ssh://USER@HOST:PORT, one fail-over group each,
 * preferred first; "": none) with SSH key files key and known, intervals
 * refresh, expire, retry in seconds: 0, or -1 with why in err.
 */
int	ld_rtr_start(struct ld_state *st, const char *spec, const char *key,
	    const char *known, const unsigned intervals[3], char *err,
	    size_t errlen);
/*
 * From on_tick: take the VRP changes RTRlib's threads queued, rebuild
 * st->rtr_rpki and re-validate the routes held under them; log and count
 * connection changes.
 */
void	ld_rtr_tick(struct ld_state *st);
void	ld_rtr_stop(struct ld_state *st);

/* ---- ld_file.c ---- */
/*
 * At init, load file `which` (without a path: the built-in transit-free
 * list): 0, or -1 with "file:line: what" in err.  A file with no entries
 * is refused, unless it holds comments: then its check is off (logged).
 */
int	ld_file_load(struct ld_state *st, int which, char *err, size_t errlen);
/*
 * From on_tick: put in use what a finished job loaded; every
 * reload_check_s, look for files changed and then steady since the last
 * look, and start a job loading them.
 */
void	ld_file_tick(struct ld_state *st);
/* Load every file in a job now (SIGHUP), whether changed or not. */
void	ld_file_request_all(struct ld_state *st);
/* Wait for a running job and discard what it loaded (fini). */
void	ld_file_stop(struct ld_state *st);
void	ld_file_metric_entries(struct ld_state *st);

/* ---- leak_detect.c ---- */
/* The plugin's options, the input files first (F_*). */
extern const struct bf_option ld_options[];

#endif /* BMPFLOW_LD_STATE_H */
