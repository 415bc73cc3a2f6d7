/*
 * prefix_health.c: the prefix-health processor plugin.
 *
 * For every prefix seen (or only the configured `prefixes`), it keeps the
 * current route of every (session, view[, path id]) the host delivers and
 * derives visibility (the share of BGP sessions with a route: the host
 * delivers one view per session by default, and sessions are counted, not
 * views), origins/MOAS, AS-path lengths, first hops, AS hops from a target
 * ASN (an AS_SET is one hop, RFC 4271), churn in 1-minute and 15-minute
 * sliding windows, RFC 2439 flap damping per route, propagation and
 * delivery timing, and a state: healthy, degraded or unreachable.  A
 * degraded or unreachable prefix that becomes healthy again is reported
 * once with state "recovered".
 *
 * Clock.  The plugin's clock is the largest time it has seen: each route's
 * collector_time_us (the collector's receive time, monotonic across
 * routers, unlike per-peer BMP timestamps, which come from each router's
 * own clock) and each tick's now_us.  Windows, flap decay, last_change and
 * the summary interval all run on it.  BMP per-peer timestamps are used
 * only for the timing figures.
 *
 * Evaluation.  on_route and on_peer update routes and counters only; the
 * figures and the state of the prefixes they touched (every prefix, after
 * a peer event, since peers_up changed) are evaluated at the next tick.
 * That bounds the work per record to O(log routes of the prefix) and keeps
 * a RIB dump from emitting a state record per route; a state that lasts
 * less than one tick is seen in churn and flaps, not as a state record.
 *
 * Warm-up.  A session's first routes of an epoch are its RIB dump; a
 * prefix it has not reached yet is not less visible.  A session counts in
 * peers_up only once it has sent a route of that class (address family,
 * and VPN or not: bf_route_class), and its warm-up
 * runs from its first route (routers send the tables of their peers one
 * after another, seconds apart, all behind Peer Ups sent together) until
 * it has been quiet for warmup_eor_quiet_s after an End-of-RIB, or for
 * warmup_quiet_s without one (or warmup_max_s after its first route).
 * Until then it is not counted in peers_up nor its routes in
 * peers_with_route, and a prefix only warming sessions hold keeps its
 * state.  So a dump does not produce degraded/recovered pairs, and its
 * routes are not counted as churn.  Warm-up runs on processing time (the
 * ticks' wall clock), not on the records' times: a processor catching up
 * on a backlog reads a dump that happened long ago just as fast, and must
 * still wait for its end.
 *
 * Flap damping (RFC 2439 §4) is per route, (session, view, path id): a
 * withdrawal followed by a re-announcement, or a return to the path before
 * the last change, adds flap_penalty to that route's figure of merit,
 * which decays with flap_half_life_s; the route is suppressed above
 * flap_suppress until it decays below flap_reuse.  A prefix is flapping
 * while any of its routes is suppressed, so one outage and recovery, one
 * flap per route, never is.
 *
 * Partitions.  Each prefix remembers its bmp.route partition, so the host
 * can have the state of a partition dropped on a rebalance, and replayed
 * outputs suppressed.
 *
 * Compactness.  A route is a 20-byte slot in its prefix's array sorted by
 * (source, path id), the source being the host's session id and the view,
 * AS paths (with origin, BGP length and target hops) are interned into a
 * refcounted table the slot refers to by id, and the other attributes are
 * kept as a 32-bit hash, enough to tell an attribute-only change.  A
 * prefix, its key and its slots are one allocation.  See
 * ph_bytes_per_route(), and README "Sizing" for what the process holds.
 */
#ifndef _GNU_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <arpa/inet.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bmpflow/plugin.h"
#include "prefix_health.h"
#include "slab.h"

#define US_PER_S		1000000LL
#define W1_BUCKETS		6	/* 1-minute window: 6 x 10 s */
#define W1_BUCKET_US		(10 * US_PER_S)
#define W15_BUCKETS		15	/* 15-minute window: 15 x 60 s */
#define W15_BUCKET_US		(60 * US_PER_S)
#define MAX_ORIGINS		32	/* distinct origins reported */
#define MAX_EXPECTED		16	/* expected origins per prefix */
#define UNSET8			0xff
#define N_CLASSES		4	/* bf_route_class */

enum churn_kind { CH_ANN, CH_WD, CH_ATTR, CH_KINDS };

enum ph_st {
	ST_NONE,		/* never evaluated: previous_state is null */
	ST_HEALTHY,
	ST_DEGRADED,
	ST_UNREACHABLE,
};

static const char *const state_names[] = {
	[ST_NONE] = NULL,
	[ST_HEALTHY] = "healthy",
	[ST_DEGRADED] = "degraded",
	[ST_UNREACHABLE] = "unreachable",
};

/* Reasons a prefix is degraded, emitted as degraded_reasons. */
enum { R_VISIBILITY = 1, R_FLAPPING = 2, R_PATH_LEN = 4, R_ORIGIN = 8 };

struct ph_route {
	uint32_t	src;		/* bf_src(session id, view) */
	uint32_t	path_id;	/* ADD-PATH id, 0 without */
	uint32_t	path;		/* interned AS path, 0 = withdrawn */
	uint32_t	prev_path;	/* path before the last path change */
	uint32_t	attrs;		/* hash of the non-path attributes */
};

/*
 * Whether slot rt was announced in this epoch: an announcement makes a
 * slot, which from then on holds a path or, once withdrawn, the path it
 * had in prev_path.  Only a slot made for the announcement at hand has
 * neither (so a flag would cost a route a third of a word for nothing).
 */
static bool
route_ever(const struct ph_route *rt)
{
	return rt->path != 0 || rt->prev_path != 0;
}

struct ph_path {
	uint32_t	refs;
	uint32_t	hash;
	uint32_t	next;		/* hash chain, by id */
	uint32_t	origin;		/* valid with has_origin */
	uint32_t	len;		/* BGP length (a set counts 1) */
	uint32_t	segs;		/* hash of the segment types, sizes */
	int16_t		target_hops;	/* -1: target not on the path */
	uint8_t		has_origin;	/* not ending in an AS_SET */
	uint32_t	count;		/* entries in asn[] */
	uint32_t	asn[];
};

/* A session, by the host's session id. */
struct ph_peer {
	uint64_t	 epoch;
	uint32_t	 routes;	/* slots held across prefixes */
	uint32_t	 class_routes[N_CLASSES];	/* of them, by class */
	uint8_t		 up;
	uint8_t		 warming;	/* in its initial RIB dump */
	uint8_t		 eor;		/* End-of-RIB seen this epoch */
	uint8_t		 routed;	/* sent a route this epoch */
	uint8_t		 active;	/* sent a route since the last tick */
	uint8_t		 seen[N_CLASSES];	/* sent a route of the class */
	int64_t		 first_route;	/* tick time, 0: none yet */
	int64_t		 last_route;	/* the last tick after which it had
					 * sent routes, 0: none yet */
};

/* RFC 2439 figure of merit of one route that flapped. */
struct ph_damp {
	uint32_t	 src, path_id;
	float		 penalty;
	uint8_t		 suppressed;
	int64_t		 t;		/* when penalty was last decayed */
};

/*
 * Recent activity of a prefix: churn windows and flap penalty.  Allocated
 * on the first update and freed once both windows are empty and the
 * penalty has decayed to 0, so a quiet prefix costs only its ph_prefix.
 */
struct ph_act {
	struct ph_damp	*damp;		/* routes with a penalty */
	uint32_t	 n_damp, cap_damp;
	uint32_t	 w1_head, w15_head;
	uint16_t	 w1[W1_BUCKETS][CH_KINDS];
	uint16_t	 w15[W15_BUCKETS][CH_KINDS];
};

/*
 * A prefix is one allocation: these fields, its key (text, NUL ended),
 * then at routes_off its expected origins (n_expected) and its route
 * slots (cap of them), so a prefix costs one block, not three, and no
 * pointers (pfx_routes, pfx_expected, pfx_resize).
 */
struct ph_prefix {
	struct ph_act	*act;		/* NULL when quiet */
	int64_t		 last_change;	/* 0 = never */
	int64_t		 wave_first;	/* bmp_time_us */
	int64_t		 wave_span;	/* us */
	int64_t		 delay_last, delay_max;	/* us */
	uint32_t	 n_routes, cap;
	uint32_t	 live;		/* slots with a path */
	int32_t		 partition;	/* of bmp.route, -1 = none yet */
	uint8_t		 family;
	uint8_t		 state;
	uint8_t		 best_min_len;	/* shortest min path length seen */
	uint8_t		 best_target_hops;
	uint8_t		 n_expected;
	unsigned	 monitored:1;
	unsigned	 needs_eval:1;
	unsigned	 dirty:1;	/* figures changed since summary */
	unsigned	 flapping:1;	/* a route suppressed */
	unsigned	 vpn:1;		/* the key has an RD */
	uint16_t	 routes_off;	/* expected origins, then route slots */
	char		 key[];
};

/* Where the expected origins and route slots of a key of klen begin. */
static size_t
pfx_routes_off(size_t klen)
{
	size_t off = offsetof(struct ph_prefix, key) + klen;

	return (off + _Alignof(uint32_t) - 1) & ~(_Alignof(uint32_t) - 1);
}

static size_t
pfx_bytes(size_t routes_off, uint32_t n_expected, uint32_t cap)
{
	return routes_off + n_expected * sizeof(uint32_t) +
	    cap * sizeof(struct ph_route);
}

static size_t
pfx_size(const struct ph_prefix *p)
{
	return pfx_bytes(p->routes_off, p->n_expected, p->cap);
}

/* The origins and slots of p (not const: as strchr, for either use). */
static uint32_t *
pfx_expected(const struct ph_prefix *p)
{
	return (uint32_t *)(void *)((char *)(uintptr_t)p + p->routes_off);
}

static struct ph_route *
pfx_routes(const struct ph_prefix *p)
{
	return (struct ph_route *)(void *)(pfx_expected(p) + p->n_expected);
}

static int
prefix_class(const struct ph_prefix *p)
{
	return bf_route_class(p->family, p->vpn);
}

struct ph_cfg {
	uint32_t	target_asn;	/* 0 = none */
	double		vis_pct;
	double		flap_penalty, flap_suppress, flap_reuse, flap_max;
	int64_t		half_life_us;
	uint32_t	path_len_jump;	/* 0 = off */
	uint32_t	target_hops_max;	/* 0 = off */
	int64_t		summary_us;
	int64_t		wave_us;
	int64_t		warmup_quiet_us;	/* 0 = no warm-up */
	int64_t		warmup_eor_quiet_us;
	int64_t		warmup_max_us;
};

/* Field ids of prefix_health.avsc (bf_field), declared in init. */
struct ph_out {
	int	prefix, kind, time_us, afi, state, previous_state,
		degraded_reasons, peers_with_route, peers_up, routes,
		visibility_pct, origins, moas, unexpected_origins,
		min_path_len, max_path_len, median_path_len, first_hop_ases,
		target_hops, target_hops_best, target_suboptimal,
		announcements_1m, withdrawals_1m, attr_changes_1m, updates_1m,
		announcements_15m, withdrawals_15m, attr_changes_15m,
		updates_15m, flap_penalty, flapping, last_change,
		propagation_us, delivery_delay_us, delivery_delay_max_us;
};

/* Metric ids (bf_metric_declare). */
struct ph_metrics {
	int	prefixes;	/* gauge by state */
	int	delivery;	/* histogram, seconds */
	int	propagation;	/* histogram, seconds */
	int	warming;	/* gauge: peers in warm-up */
	int	memory;		/* gauge: ph_mem_bytes */
	int	routes;		/* gauge: routes held */
};

struct ph_state {
	struct bf_host	*host;
	struct slab_pool slabs;		/* of every block ph_realloc gives */
	struct ph_cfg	 cfg;
	size_t		 mem;
	size_t		 routes_live;
	int64_t		 clock;
	int64_t		 wall;		/* the last tick's now_us */
	int64_t		 last_summary;
	bool		 eval_all;
	bool		 monitored_only;
	struct ph_out	 out;
	struct ph_metrics m;
	uint32_t	 n_state[4];	/* prefixes per enum ph_st */
	uint32_t	 n_warming;
	/* prefixes: open addressing, linear probing, never deleted */
	struct ph_prefix **pfx;
	uint16_t	*pfx_tag;	/* hash >> 16 of each slot's key */
	size_t		 pfx_cap, n_pfx;
	/* sessions, by the host's id */
	struct ph_peer	*peers;
	uint32_t	 n_peers;
	uint32_t	 peers_up[N_CLASSES];
	uint32_t	 peers_up_ticked[N_CLASSES];	/* at the last tick */
	/* AS paths: ids index paths[], chains from path_bucket[] */
	struct ph_path	**paths;
	uint32_t	 paths_cap;	/* ids 1..paths_cap-1 */
	uint32_t	*path_free;
	uint32_t	 n_free, n_paths;
	uint32_t	*path_bucket;
	uint32_t	 path_nbucket;
	/* scratch for evaluation */
	uint32_t	*scratch;
	size_t		 scratch_cap;
};

struct ph_fig {
	uint32_t	peers_with_route, peers_up, routes;
	double		vis;
	uint32_t	n_origins;
	uint32_t	origins[MAX_ORIGINS];
	uint32_t	n_unexpected;
	uint32_t	unexpected[MAX_ORIGINS];
	int64_t		min_len, max_len;	/* -1 = none */
	double		median_len;
	uint32_t	first_hops;
	int64_t		target_hops;		/* -1 = none */
	bool		target_suboptimal;
	uint32_t	w1[CH_KINDS], w15[CH_KINDS];
	double		penalty;
	unsigned	reasons;
	enum ph_st	state;
};

/* ---- accounted allocation -------------------------------------------- */

/*
 * Everything the state holds is allocated here, at a size the caller
 * keeps: small blocks from slabs (slab.h), larger ones from malloc.
 */
static void *
ph_realloc(struct ph_state *st, void *p, size_t old, size_t new)
{
	void *q = slab_realloc(&st->slabs, p, old, new);

	if (q == NULL && new > 0)
		return NULL;
	st->mem = st->mem - old + new;
	return q;
}

static void
ph_free(struct ph_state *st, void *p, size_t size)
{
	if (p == NULL)
		return;
	slab_free(&st->slabs, p, size);
	st->mem -= size;
}

/* ---- peers -------------------------------------------------------------- */

/* The session of id, the table grown to hold it; NULL when out of memory. */
static struct ph_peer *
peer_get(struct ph_state *st, uint32_t id)
{
	if (id >= st->n_peers) {
		uint32_t n = id < 8 ? 8 : id + id / 2 + 1;
		struct ph_peer *np = ph_realloc(st, st->peers,
		    st->n_peers * sizeof(*np), n * sizeof(*np));

		if (np == NULL)
			return NULL;
		memset(np + st->n_peers, 0, (n - st->n_peers) * sizeof(*np));
		st->peers = np;
		st->n_peers = n;
	}
	return &st->peers[id];
}

/* ---- AS paths ----------------------------------------------------------- */

static size_t
path_size(uint32_t count)
{
	return sizeof(struct ph_path) + count * sizeof(uint32_t);
}

static void
path_unref(struct ph_state *st, uint32_t id)
{
	struct ph_path *p;
	uint32_t *link;

	if (id == 0 || --(p = st->paths[id])->refs > 0)
		return;
	for (link = &st->path_bucket[p->hash & (st->path_nbucket - 1)];
	    *link != id; link = &st->paths[*link]->next)
		;
	*link = p->next;
	ph_free(st, p, path_size(p->count));
	st->paths[id] = NULL;
	st->path_free[st->n_free++] = id;
	st->n_paths--;
}

static int
path_rehash(struct ph_state *st, uint32_t nb)
{
	uint32_t *b = ph_realloc(st, NULL, 0, nb * sizeof(*b));

	if (b == NULL)
		return -1;
	memset(b, 0, nb * sizeof(*b));
	for (uint32_t i = 1; i < st->paths_cap; i++) {
		struct ph_path *p = st->paths[i];
		if (p == NULL)
			continue;
		p->next = b[p->hash & (nb - 1)];
		b[p->hash & (nb - 1)] = i;
	}
	ph_free(st, st->path_bucket, st->path_nbucket * sizeof(uint32_t));
	st->path_bucket = b;
	st->path_nbucket = nb;
	return 0;
}

/*
 * AS hops from the last occurrence of target to the origin, -1 if absent:
 * each AS of an AS_SEQUENCE counts one (prepends once), an AS_SET one,
 * confederation segments none (RFC 4271 9.1.2.2, RFC 5065).  A route
 * without segments has one AS_SEQUENCE.
 */
static int64_t
target_hops(const struct bf_route *r, uint32_t target)
{
	struct bf_as_segment whole = { BF_SEG_SEQUENCE, 0, r->as_path_count };
	const struct bf_as_segment *seg = r->n_segments ? r->segments : &whole;
	uint32_t n = r->n_segments ? r->n_segments : 1, prev = 0;
	int64_t hops = 0;
	bool found = false;

	if (target == 0 || r->as_path == NULL)
		return -1;
	for (uint32_t k = 0; k < n; k++) {
		const uint32_t *a = r->as_path + seg[k].start;
		bool in = false;

		if (seg[k].type == BF_SEG_SEQUENCE) {
			for (uint32_t i = 0; i < seg[k].count; i++) {
				if (a[i] == target) {
					found = true;
					hops = 0;
				} else if (found && (a[i] != prev))
					hops++;
				prev = a[i];
			}
		} else if (seg[k].type == BF_SEG_SET) {
			for (uint32_t i = 0; i < seg[k].count; i++)
				in |= a[i] == target;
			if (in) {
				found = true;
				hops = 0;
			} else if (found)
				hops++;
			prev = 0;
		}
	}
	return found ? hops : -1;
}

/* The segment structure (types and sizes) of r, hashed. */
static uint32_t
segs_hash(const struct bf_route *r)
{
	uint32_t h = BF_FNV32_INIT;

	for (uint32_t k = 0; k < r->n_segments; k++) {
		h = bf_fnv32(h, &r->segments[k].type, 1);
		h = bf_fnv32(h, &r->segments[k].count, sizeof(uint32_t));
	}
	return h;
}

/*
 * The id of r's AS path (with its origin, BGP length, segments and target
 * hops), interned with one reference taken for the caller; 0 when out of
 * memory.
 */
static uint32_t
path_intern(struct ph_state *st, const struct bf_route *r)
{
	uint32_t count = r->as_path ? r->as_path_count : 0;
	uint32_t origin = r->has_origin_as ? r->origin_as : 0;
	uint32_t segs = segs_hash(r);
	uint32_t h = bf_fnv32(BF_FNV32_INIT, &origin, sizeof(origin));
	struct ph_path *p;
	uint32_t id;
	int64_t th;

	h = bf_fnv32(h, &r->as_path_len, sizeof(r->as_path_len));
	h = bf_fnv32(h, &segs, sizeof(segs));
	if (count > 0)
		h = bf_fnv32(h, r->as_path, count * sizeof(uint32_t));
	if (st->path_nbucket > 0) {
		for (id = st->path_bucket[h & (st->path_nbucket - 1)];
		    id != 0; id = p->next) {
			p = st->paths[id];
			if (p->hash == h && p->origin == origin &&
			    p->has_origin == r->has_origin_as &&
			    p->segs == segs &&
			    p->len == r->as_path_len && p->count == count &&
			    (count == 0 || memcmp(p->asn, r->as_path,
			    count * sizeof(uint32_t)) == 0)) {
				p->refs++;
				return id;
			}
		}
	}
	if (st->n_free == 0) {
		uint32_t oc = st->paths_cap, nc = oc ? oc * 2 : 64;
		struct ph_path **np = ph_realloc(st, st->paths,
		    oc * sizeof(*np), nc * sizeof(*np));
		if (np == NULL)
			return 0;
		st->paths = np;
		uint32_t *nf = ph_realloc(st, st->path_free,
		    oc * sizeof(*nf), nc * sizeof(*nf));
		if (nf == NULL)
			return 0;
		st->path_free = nf;
		st->paths_cap = nc;
		for (uint32_t i = nc - 1; i >= (oc ? oc : 1); i--) {
			np[i] = NULL;
			nf[st->n_free++] = i;
		}
		if (oc == 0)
			np[0] = NULL;
	}
	if ((p = ph_realloc(st, NULL, 0, path_size(count))) == NULL)
		return 0;
	id = st->path_free[--st->n_free];
	p->refs = 1;
	p->hash = h;
	p->origin = origin;
	p->has_origin = r->has_origin_as;
	p->segs = segs;
	th = target_hops(r, st->cfg.target_asn);
	p->target_hops = (int16_t)(th > INT16_MAX ? INT16_MAX : th);
	p->len = r->as_path_len;
	p->count = count;
	if (count > 0)
		memcpy(p->asn, r->as_path, count * sizeof(uint32_t));
	st->paths[id] = p;
	st->n_paths++;
	if (st->n_paths > st->path_nbucket) {
		if (path_rehash(st, st->path_nbucket ? st->path_nbucket * 2
		    : 64) < 0)
			return 0;	/* p stays reachable by id only */
	} else {
		p->next = st->path_bucket[h & (st->path_nbucket - 1)];
		st->path_bucket[h & (st->path_nbucket - 1)] = id;
	}
	return id;
}

static uint32_t
attrs_hash(const struct bf_route *r)
{
	uint32_t h = bf_fnv32_str(BF_FNV32_INIT, r->next_hop);
	uint32_t f = (r->has_med ? 1u : 0) | (r->has_local_pref ? 2u : 0) |
	    (r->has_otc ? 4u : 0);

	h = bf_fnv32(h, &f, sizeof(f));
	if (r->has_med)
		h = bf_fnv32(h, &r->med, sizeof(r->med));
	if (r->has_local_pref)
		h = bf_fnv32(h, &r->local_pref, sizeof(r->local_pref));
	if (r->has_otc)
		h = bf_fnv32(h, &r->otc, sizeof(r->otc));
	if (r->communities && r->n_communities)
		h = bf_fnv32(h, r->communities,
		    r->n_communities * sizeof(uint32_t));
	h = bf_fnv32(h, &r->n_communities, sizeof(r->n_communities));
	if (r->large_communities && r->n_large_communities)
		h = bf_fnv32(h, r->large_communities, r->n_large_communities *
		    sizeof(struct bf_large_community));
	return h;
}

/* ---- prefixes ----------------------------------------------------------- */

static const char *
route_key(const struct bf_route *r, char *buf, size_t len)
{
	if (r->rd == NULL)
		return r->prefix;
	snprintf(buf, len, "%s %s", r->rd, r->prefix);
	return buf;
}

/*
 * The slot of key (hash h): its prefix's, or the empty one it would take.
 * A 16-bit tag per slot keeps the probe from reading other prefixes.
 */
static size_t
pfx_slot(const struct ph_state *st, const char *key, uint32_t h)
{
	size_t i = h & (st->pfx_cap - 1);
	uint16_t tag = (uint16_t)(h >> 16);

	while (st->pfx[i] != NULL && (st->pfx_tag[i] != tag ||
	    strcmp(st->pfx[i]->key, key) != 0))
		i = (i + 1) & (st->pfx_cap - 1);
	return i;
}

/* Place p, whose key hashes to h, in its slot. */
static void
pfx_put(struct ph_state *st, struct ph_prefix *p, uint32_t h)
{
	size_t i = pfx_slot(st, p->key, h);

	st->pfx[i] = p;
	st->pfx_tag[i] = (uint16_t)(h >> 16);
}

static size_t
pfx_table_bytes(size_t cap)
{
	return cap * (sizeof(struct ph_prefix *) + sizeof(uint16_t));
}

/*
 * Swap in an empty table of cap slots (pointers, then tags, in one block);
 * the old one is returned for the caller to re-place and free.  -1: ENOMEM.
 */
static int
pfx_table_swap(struct ph_state *st, size_t cap, struct ph_prefix ***old,
    size_t *old_cap)
{
	struct ph_prefix **n = ph_realloc(st, NULL, 0, pfx_table_bytes(cap));

	if (n == NULL)
		return -1;
	memset(n, 0, pfx_table_bytes(cap));
	*old = st->pfx;
	*old_cap = st->pfx_cap;
	st->pfx = n;
	st->pfx_tag = (uint16_t *)(n + cap);
	st->pfx_cap = cap;
	return 0;
}

/* The prefix for key, created when create is set; NULL otherwise or ENOMEM. */
static struct ph_prefix *
pfx_get(struct ph_state *st, const char *key, int family, bool create)
{
	uint32_t h = bf_fnv32_str(BF_FNV32_INIT, key);
	struct ph_prefix *p;

	if (st->pfx_cap > 0 && (p = st->pfx[pfx_slot(st, key, h)]) != NULL)
		return p;
	if (!create)
		return NULL;
	if ((st->n_pfx + 1) * 4 > st->pfx_cap * 3) {
		struct ph_prefix **old;
		size_t oc;

		if (pfx_table_swap(st, st->pfx_cap ? st->pfx_cap * 2 : 64, &old,
		    &oc) < 0)
			return NULL;
		for (size_t j = 0; j < oc; j++)
			if (old[j] != NULL)
				pfx_put(st, old[j], bf_fnv32_str(
				    BF_FNV32_INIT, old[j]->key));
		ph_free(st, old, pfx_table_bytes(oc));
	}
	size_t klen = strlen(key) + 1, off = pfx_routes_off(klen);
	if (off > UINT16_MAX ||
	    (p = ph_realloc(st, NULL, 0, pfx_bytes(off, 0, 0))) == NULL)
		return NULL;
	memset(p, 0, sizeof(*p));
	memcpy(p->key, key, klen);
	p->routes_off = (uint16_t)off;
	p->family = (uint8_t)family;
	p->best_min_len = UNSET8;
	p->best_target_hops = UNSET8;
	p->partition = -1;
	pfx_put(st, p, h);
	st->n_pfx++;
	st->n_state[ST_NONE]++;
	return p;
}

/*
 * p's record resized for n_expected origins (never fewer than it has) and
 * cap route slots (at least n_routes; the slots move up with added
 * origins); NULL when out of memory, p untouched.  The caller re-points
 * whatever pointed at p: pfx_resize_placed when that is its table slot.
 */
static struct ph_prefix *
pfx_resize(struct ph_state *st, struct ph_prefix *p, uint32_t n_expected,
    uint32_t cap)
{
	struct ph_prefix *n = ph_realloc(st, p, pfx_size(p),
	    pfx_bytes(p->routes_off, n_expected, cap));

	if (n == NULL)
		return NULL;
	if (n_expected > n->n_expected)
		memmove(pfx_expected(n) + n_expected, pfx_routes(n),
		    n->n_routes * sizeof(struct ph_route));
	n->n_expected = (uint8_t)n_expected;
	n->cap = cap;
	return n;
}

/* pfx_resize for a prefix in the table: its slot follows it. */
static struct ph_prefix *
pfx_resize_placed(struct ph_state *st, struct ph_prefix *p,
    uint32_t n_expected, uint32_t cap)
{
	size_t i = pfx_slot(st, p->key, bf_fnv32_str(BF_FNV32_INIT, p->key));
	struct ph_prefix *n = pfx_resize(st, p, n_expected, cap);

	if (n != NULL)
		st->pfx[i] = n;
	return n;
}

/* Index of (src, path_id) in p's slots, or -(insertion point) - 1. */
static long
route_find(const struct ph_prefix *p, uint32_t src, uint32_t path_id)
{
	const struct ph_route *routes = pfx_routes(p);
	uint64_t k = (uint64_t)src << 32 | path_id;
	long lo = 0, hi = (long)p->n_routes - 1;

	while (lo <= hi) {
		long mid = (lo + hi) / 2;
		uint64_t m = (uint64_t)routes[mid].src << 32 |
		    routes[mid].path_id;
		if (m == k)
			return mid;
		if (m < k)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -lo - 1;
}

/*
 * A new slot (src, path_id) at index at of *pp's, which may move to make
 * room (*pp follows); NULL when out of memory.
 */
static struct ph_route *
route_insert(struct ph_state *st, struct ph_prefix **pp, long at,
    uint32_t src, uint32_t path_id)
{
	struct ph_prefix *p = *pp;
	struct ph_route *routes;

	if (p->n_routes == p->cap) {
		uint32_t nc = p->cap < 2 ? 2 : p->cap + p->cap / 2;

		if ((p = pfx_resize_placed(st, p, p->n_expected, nc)) == NULL)
			return NULL;
		*pp = p;
	}
	routes = pfx_routes(p);
	memmove(&routes[at + 1], &routes[at],
	    (p->n_routes - (size_t)at) * sizeof(*routes));
	p->n_routes++;
	memset(&routes[at], 0, sizeof(routes[at]));
	routes[at].src = src;
	routes[at].path_id = path_id;
	st->peers[bf_src_session(src)].routes++;
	st->peers[bf_src_session(src)].class_routes[prefix_class(p)]++;
	return &routes[at];
}

/* ---- windows, flap penalty, timing --------------------------------------- */

/* Slide a window to bucket now_b; true when counts left it. */
static bool
win_advance(uint32_t *head, uint16_t (*c)[CH_KINDS], uint32_t nb,
    uint32_t now_b)
{
	bool dropped = false;
	uint32_t b, from;

	if (now_b <= *head)
		return false;
	from = now_b - *head >= nb ? now_b - nb + 1 : *head + 1;
	for (b = from; b <= now_b; b++) {
		uint16_t *k = c[b % nb];
		dropped |= (k[0] | k[1] | k[2]) != 0;
		memset(k, 0, sizeof(c[0]));
	}
	*head = now_b;
	return dropped;
}

/* Slide both windows to the clock; true when a churn figure changed. */
static bool
win_roll(const struct ph_state *st, struct ph_prefix *p)
{
	struct ph_act *a = p->act;
	bool d1, d15;

	if (a == NULL)
		return false;
	d1 = win_advance(&a->w1_head, a->w1, W1_BUCKETS,
	    (uint32_t)(st->clock / W1_BUCKET_US));
	d15 = win_advance(&a->w15_head, a->w15, W15_BUCKETS,
	    (uint32_t)(st->clock / W15_BUCKET_US));
	return d1 || d15;
}

/* p's activity record, allocated on first use; NULL when out of memory. */
static struct ph_act *
act_get(struct ph_state *st, struct ph_prefix *p)
{
	if (p->act == NULL &&
	    (p->act = ph_realloc(st, NULL, 0, sizeof(*p->act))) != NULL)
		memset(p->act, 0, sizeof(*p->act));
	return p->act;
}

/* Free p's activity record once its windows and penalty are all zero. */
static void
act_release_if_quiet(struct ph_state *st, struct ph_prefix *p)
{
	const struct ph_act *a = p->act;

	if (a == NULL || a->n_damp > 0)
		return;
	for (int b = 0; b < W15_BUCKETS; b++)
		for (int k = 0; k < CH_KINDS; k++)
			if (a->w15[b][k] != 0 || (b < W1_BUCKETS &&
			    a->w1[b][k] != 0))
				return;
	ph_free(st, p->act, sizeof(*p->act));
	p->act = NULL;
}

static void
churn_count(struct ph_state *st, struct ph_prefix *p,
    const struct ph_peer *pe, enum churn_kind k)
{
	struct ph_act *a;

	/* A RIB dump is not churn (and costs no activity record). */
	if (pe->warming || (a = act_get(st, p)) == NULL)
		return;
	win_roll(st, p);
	if (a->w1[a->w1_head % W1_BUCKETS][k] < UINT16_MAX)
		a->w1[a->w1_head % W1_BUCKETS][k]++;
	if (a->w15[a->w15_head % W15_BUCKETS][k] < UINT16_MAX)
		a->w15[a->w15_head % W15_BUCKETS][k]++;
}

/*
 * RFC 2439 §4.3: each figure of merit decays exponentially with time; one
 * below 1 is forgotten.  The prefix is flapping while a route is
 * suppressed: above flap_suppress, until below flap_reuse.
 */
static void
penalty_decay(struct ph_state *st, struct ph_prefix *p)
{
	struct ph_act *a = p->act;
	uint32_t kept = 0;

	p->flapping = 0;
	if (a == NULL)
		return;
	for (uint32_t i = 0; i < a->n_damp; i++) {
		struct ph_damp *d = &a->damp[i];

		if (st->clock > d->t) {
			d->penalty *= (float)pow(0.5, (double)(st->clock -
			    d->t) / (double)st->cfg.half_life_us);
			d->t = st->clock;
		}
		if (d->suppressed && d->penalty < st->cfg.flap_reuse)
			d->suppressed = 0;
		if (d->penalty < 1.0f)
			continue;
		p->flapping |= d->suppressed;
		a->damp[kept++] = *d;
	}
	a->n_damp = kept;
	if (kept == 0) {
		ph_free(st, a->damp, a->cap_damp * sizeof(*a->damp));
		a->damp = NULL;
		a->cap_damp = 0;
	}
}

/* The highest figure of merit of p's routes, decayed to now. */
static double
penalty_max(const struct ph_prefix *p)
{
	double m = 0;

	for (uint32_t i = 0; p->act != NULL && i < p->act->n_damp; i++)
		if (p->act->damp[i].penalty > m)
			m = p->act->damp[i].penalty;
	return m;
}

/* Route (src, path_id) of p flapped. */
static void
flap(struct ph_state *st, struct ph_prefix *p, uint32_t src,
    uint32_t path_id)
{
	struct ph_act *a = act_get(st, p);
	struct ph_damp *d;
	uint32_t i;

	if (a == NULL)
		return;
	penalty_decay(st, p);
	for (i = 0; i < a->n_damp; i++)
		if (a->damp[i].src == src && a->damp[i].path_id == path_id)
			break;
	if (i == a->n_damp) {
		if (a->n_damp == a->cap_damp) {
			uint32_t cap = a->cap_damp ? a->cap_damp * 2 : 1;

			d = ph_realloc(st, a->damp, a->cap_damp * sizeof(*d),
			    cap * sizeof(*d));
			if (d == NULL)
				return;
			a->damp = d;
			a->cap_damp = cap;
		}
		d = &a->damp[a->n_damp++];
		memset(d, 0, sizeof(*d));
		d->src = src;
		d->path_id = path_id;
		d->t = st->clock;
	}
	d = &a->damp[i];
	d->penalty += (float)st->cfg.flap_penalty;
	if (d->penalty > st->cfg.flap_max)
		d->penalty = (float)st->cfg.flap_max;
	if (d->penalty > st->cfg.flap_suppress)
		d->suppressed = 1;
	p->flapping |= d->suppressed;
}

static void
timing(struct ph_state *st, struct ph_prefix *p, const struct bf_route *r)
{
	int64_t b = r->bmp_time_us;
	int64_t d = r->collector_time_us - r->bmp_time_us;

	if (p->last_change == 0 || b < p->wave_first ||
	    b - p->wave_first > st->cfg.wave_us) {
		p->wave_first = b;
		p->wave_span = 0;
		p->delay_max = d;
	} else {
		if (b - p->wave_first > p->wave_span)
			p->wave_span = b - p->wave_first;
		if (d > p->delay_max)
			p->delay_max = d;
	}
	p->delay_last = d;
	p->last_change = st->clock;
	bf_metric_observe(st->host, st->m.delivery, NULL, (double)d / 1e6);
}

/* ---- routes and peers ----------------------------------------------------- */

static void
route_release(struct ph_state *st, struct ph_prefix *p, struct ph_route *rt)
{
	if (rt->path != 0) {
		p->live--;
		st->routes_live--;
	}
	path_unref(st, rt->path);
	path_unref(st, rt->prev_path);
	st->peers[bf_src_session(rt->src)].routes--;
	st->peers[bf_src_session(rt->src)].class_routes[prefix_class(p)]--;
}

/* What a VIEW_END ends, or everything of a session. */
struct ph_scope {
	int	view;		/* BF_VIEWS: all */
	int32_t	part;		/* -1: all */
	int	route_class;	/* -1: all */
};

static const struct ph_scope ph_all = { BF_VIEWS, -1, -1 };

/* Drop every route of session id in scope, everywhere. */
static void
peer_drop_routes(struct ph_state *st, uint32_t id, struct ph_scope sc)
{
	int view = sc.view;

	if (st->peers[id].routes > 0) {
		for (size_t i = 0; i < st->pfx_cap; i++) {
			struct ph_prefix *p = st->pfx[i];
			struct ph_route *routes;
			long at, end, to;

			if (p == NULL || p->n_routes == 0 ||
			    (sc.part >= 0 && p->partition != sc.part) ||
			    (sc.route_class >= 0 && bf_route_class(p->family,
			    p->vpn) != sc.route_class))
				continue;
			routes = pfx_routes(p);
			at = route_find(p, bf_src(id, 0), 0);
			if (at < 0)
				at = -at - 1;
			for (end = to = at; (size_t)end < p->n_routes &&
			    bf_src_session(routes[end].src) == id; end++) {
				if (bf_src_of(routes[end].src, id, view))
					route_release(st, p, &routes[end]);
				else
					routes[to++] = routes[end];
			}
			if (end == to)
				continue;
			memmove(&routes[to], &routes[end],
			    (p->n_routes - (size_t)end) * sizeof(*routes));
			p->n_routes -= (uint32_t)(end - to);
			p->needs_eval = p->dirty = 1;
			p->last_change = st->clock;
		}
	}
	st->eval_all = true;
}

/*
 * Session id starts afresh (up: a new epoch, or a view ended) or ends: its
 * routes in scope are dropped and, when it has none left, it counts
 * nowhere until its next route.
 */
static void
peer_reset(struct ph_state *st, uint32_t id, bool up, uint64_t epoch,
    struct ph_scope sc)
{
	struct ph_peer *pe = &st->peers[id];

	peer_drop_routes(st, id, sc);
	/* It counts for a class while it has a route slot of it. */
	for (int c = 0; c < N_CLASSES; c++) {
		if (pe->class_routes[c] > 0)
			continue;
		if (pe->up && !pe->warming && pe->seen[c])
			st->peers_up[c]--;
		pe->seen[c] = 0;
	}
	/* A view ended where the session goes on with others. */
	if (sc.view != BF_VIEWS && pe->routes > 0)
		return;
	if (pe->warming)
		st->n_warming--;
	pe->up = up;
	pe->epoch = epoch;
	pe->warming = pe->eor = pe->routed = pe->active = 0;
	pe->first_route = pe->last_route = 0;
}

/* Sessions whose RIB dump is over start counting in visibility. */
static void
peers_warm(struct ph_state *st)
{
	for (uint32_t id = 0; st->n_warming > 0 && id < st->n_peers; id++) {
		struct ph_peer *pe = &st->peers[id];
		int64_t quiet;

		if (!pe->warming)
			continue;
		/*
		 * Quiet is whole tick intervals without a route: a route
		 * marks its interval, and End-of-RIB (read apart, often before
		 * the table's last routes) ends nothing while they come.
		 */
		if (pe->first_route == 0)
			pe->first_route = st->wall;
		if (pe->active || pe->last_route == 0)
			pe->last_route = st->wall;
		pe->active = 0;
		quiet = pe->eor ? st->cfg.warmup_eor_quiet_us :
		    st->cfg.warmup_quiet_us;
		if (st->wall - pe->last_route < quiet &&
		    st->wall - pe->first_route < st->cfg.warmup_max_us)
			continue;
		pe->warming = 0;
		st->n_warming--;
		for (int c = 0; c < N_CLASSES; c++)
			st->peers_up[c] += pe->seen[c];
		st->eval_all = true;
	}
}

static void
on_session(void *state, const struct bf_session_event *e)
{
	struct ph_state *st = state;
	uint32_t id = e->session->id;
	struct ph_peer *pe = peer_get(st, id);

	if (pe == NULL) {
		bf_plugin_log(st->host, 0, "out of memory adding a session");
		return;
	}
	if (e->collector_time_us > st->clock)
		st->clock = e->collector_time_us;
	switch (e->kind) {
	case BF_SESSION_UP:
		if (e->reset)
			peer_reset(st, id, true, e->epoch, ph_all);
		break;
	case BF_SESSION_DOWN:
		peer_reset(st, id, false, e->epoch, ph_all);
		break;
	case BF_SESSION_VIEW_END:
		peer_reset(st, id, true, e->epoch, (struct ph_scope){
		    (int)e->view, e->partition, e->route_class });
		break;
	case BF_SESSION_END_OF_RIB:
		pe->eor = 1;
		break;
	}
}

static void
on_route(void *state, const struct bf_route *r)
{
	struct ph_state *st = state;
	char kbuf[256];
	uint32_t id = r->session->id, src = bf_src(id, r->view), path;
	struct ph_peer *pe;
	struct ph_prefix *p;
	struct ph_route *rt;
	int cls;
	long at;

	if (r->prefix == NULL || (r->family != 4 && r->family != 6))
		return;
	if ((pe = peer_get(st, id)) == NULL) {
		bf_plugin_log(st->host, 0, "out of memory adding a session");
		return;
	}
	if (r->collector_time_us > st->clock)
		st->clock = r->collector_time_us;
	/* The host resets a session before its epoch's first route. */
	if (!pe->up || r->epoch != pe->epoch)
		peer_reset(st, id, true, r->epoch, ph_all);
	/* Its first route starts its warm-up: the RIB dump comes now. */
	if (!pe->routed) {
		pe->routed = 1;
		pe->warming = st->cfg.warmup_quiet_us > 0;
		st->n_warming += pe->warming;
		pe->first_route = st->wall;
	}
	pe->active = 1;
	cls = bf_route_class(r->family, r->rd != NULL);
	if (!pe->seen[cls]) {
		pe->seen[cls] = 1;
		if (!pe->warming) {
			st->peers_up[cls]++;
			st->eval_all = true;
		}
	}
	/* A withdrawal of a prefix never announced creates nothing. */
	p = pfx_get(st, route_key(r, kbuf, sizeof(kbuf)), r->family,
	    !st->monitored_only && !r->withdraw);
	if (p == NULL)
		return;
	p->partition = r->partition;
	p->vpn = r->rd != NULL;
	at = route_find(p, src, r->has_path_id ? r->path_id : 0);
	if (r->withdraw) {
		churn_count(st, p, pe, CH_WD);
		if (at < 0 || pfx_routes(p)[at].path == 0)
			return;
		rt = &pfx_routes(p)[at];
		path_unref(st, rt->prev_path);
		rt->prev_path = rt->path;	/* a re-announce is a flap */
		rt->path = 0;
		p->live--;
		st->routes_live--;
		timing(st, p, r);
		p->needs_eval = p->dirty = 1;
		return;
	}
	if ((path = path_intern(st, r)) == 0) {
		bf_plugin_log(st->host, 0, "out of memory interning a path");
		return;
	}
	if (at < 0 && (rt = route_insert(st, &p, -at - 1, src,
	    r->has_path_id ? r->path_id : 0)) == NULL) {
		path_unref(st, path);
		bf_plugin_log(st->host, 0, "out of memory adding a route");
		return;
	}
	if (at >= 0)
		rt = &pfx_routes(p)[at];
	uint32_t attrs = attrs_hash(r);
	if (rt->path == path) {
		path_unref(st, path);
		churn_count(st, p, pe, rt->attrs == attrs ? CH_ANN :
		    CH_ATTR);
		if (rt->attrs == attrs)
			return;		/* duplicate: nothing changed */
	} else {
		churn_count(st, p, pe, CH_ANN);
		/*
		 * A flap: re-announced after a withdrawal in this epoch,
		 * or back to the path it had before the last change.
		 */
		if (route_ever(rt) && (rt->path == 0 ||
		    path == rt->prev_path))
			flap(st, p, rt->src, rt->path_id);
		if (rt->path == 0) {
			p->live++;
			st->routes_live++;
			/* prev_path already holds the withdrawn path */
		} else {
			path_unref(st, rt->prev_path);
			rt->prev_path = rt->path;
		}
		rt->path = path;
	}
	rt->attrs = attrs;
	timing(st, p, r);
	p->needs_eval = p->dirty = 1;
}

/* ---- figures and state ---------------------------------------------------- */

/* Ascending; most prefixes have a handful of routes, where qsort is slow. */
static void
sort_u32(uint32_t *v, size_t n)
{
	if (n > 16) {
		qsort(v, n, sizeof(*v), bf_cmp_u32);
		return;
	}
	for (size_t i = 1; i < n; i++) {
		uint32_t x = v[i];
		size_t j = i;

		for (; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

static int
scratch_reserve(struct ph_state *st, size_t n)
{
	uint32_t *s;

	if (n <= st->scratch_cap)
		return 0;
	if ((s = ph_realloc(st, st->scratch,
	    st->scratch_cap * sizeof(*s), n * sizeof(*s))) == NULL)
		return -1;
	st->scratch = s;
	st->scratch_cap = n;
	return 0;
}

/* Whether a peer past its warm-up holds a route of p. */
static bool
held_past_warmup(const struct ph_state *st, const struct ph_prefix *p)
{
	const struct ph_route *routes = pfx_routes(p);

	for (uint32_t i = 0; i < p->n_routes; i++)
		if (routes[i].path != 0 &&
		    !st->peers[bf_src_session(routes[i].src)].warming)
			return true;
	return false;
}

static void
figures(struct ph_state *st, struct ph_prefix *p, struct ph_fig *f)
{
	uint32_t last_session = UINT32_MAX, n = 0;

	memset(f, 0, sizeof(*f));
	f->min_len = f->max_len = f->target_hops = -1;
	f->peers_up = st->peers_up[prefix_class(p)];
	f->routes = p->live;
	/*
	 * No state yet and held only by peers in warm-up (a RIB dump): it
	 * gets none until they finish, when every prefix is evaluated.
	 */
	if (p->state == ST_NONE && p->live > 0 && !held_past_warmup(st, p)) {
		f->state = ST_NONE;
		return;
	}
	if (scratch_reserve(st, 2 * (size_t)p->live + 2) < 0) {
		f->state = (enum ph_st)p->state;
		return;
	}
	uint32_t *lens = st->scratch, *hops = st->scratch + p->live + 1;
	for (uint32_t i = 0; i < p->n_routes; i++) {
		const struct ph_route *rt = &pfx_routes(p)[i];
		const struct ph_path *pa;
		uint32_t j;

		if (rt->path == 0)
			continue;
		pa = st->paths[rt->path];
		/* Sessions, not views: slots of a session are adjacent. */
		if (bf_src_session(rt->src) != last_session &&
		    !st->peers[bf_src_session(rt->src)].warming)
			f->peers_with_route++;
		last_session = bf_src_session(rt->src);
		lens[n] = pa->len;
		hops[n++] = pa->count > 0 ? pa->asn[0] : 0;
		/* A path ending in an AS_SET has no single origin. */
		for (j = 0; pa->has_origin && j < f->n_origins; j++)
			if (f->origins[j] == pa->origin)
				break;
		if (pa->has_origin && j == f->n_origins && j < MAX_ORIGINS)
			f->origins[f->n_origins++] = pa->origin;
		if (pa->target_hops >= 0 && (f->target_hops < 0 ||
		    pa->target_hops < f->target_hops))
			f->target_hops = pa->target_hops;
	}
	if (n > 0) {
		sort_u32(lens, n);
		f->min_len = lens[0];
		f->max_len = lens[n - 1];
		f->median_len = n % 2 ? lens[n / 2] :
		    (lens[n / 2 - 1] + (double)lens[n / 2]) / 2;
		sort_u32(hops, n);
		for (uint32_t i = 0; i < n; i++)
			if (hops[i] != 0 && (i == 0 || hops[i] != hops[i - 1]))
				f->first_hops++;
	}
	sort_u32(f->origins, f->n_origins);
	for (uint32_t i = 0; p->n_expected > 0 && i < f->n_origins; i++) {
		uint32_t j;
		for (j = 0; j < p->n_expected; j++)
			if (pfx_expected(p)[j] == f->origins[i])
				break;
		if (j == p->n_expected)
			f->unexpected[f->n_unexpected++] = f->origins[i];
	}
	f->vis = f->peers_up ? 100.0 * f->peers_with_route / f->peers_up : 0;
	if (f->vis > 100)
		f->vis = 100;
	/* Best (lowest) figures seen over the prefix's life. */
	if (f->min_len >= 0 && f->min_len < p->best_min_len)
		p->best_min_len = (uint8_t)(f->min_len < UNSET8 ? f->min_len :
		    UNSET8 - 1);
	if (f->target_hops >= 0 && f->target_hops < p->best_target_hops)
		p->best_target_hops = (uint8_t)(f->target_hops < UNSET8 ?
		    f->target_hops : UNSET8 - 1);
	f->target_suboptimal = f->target_hops >= 0 &&
	    (f->target_hops > p->best_target_hops ||
	    (st->cfg.target_hops_max > 0 &&
	    f->target_hops > st->cfg.target_hops_max));
	/* Windows: advance to now, then sum. */
	if (win_roll(st, p))
		p->dirty = 1;
	for (int k = 0; p->act != NULL && k < CH_KINDS; k++) {
		for (int b = 0; b < W1_BUCKETS; b++)
			f->w1[k] += p->act->w1[b][k];
		for (int b = 0; b < W15_BUCKETS; b++)
			f->w15[k] += p->act->w15[b][k];
	}
	penalty_decay(st, p);
	f->penalty = penalty_max(p);
	act_release_if_quiet(st, p);
	/* State. */
	if (f->peers_with_route == 0) {
		/*
		 * Held only by peers in warm-up: nothing known yet.  Routes
		 * gone before it ever had a state (a view the host stopped
		 * delivering, a session down during its dump) make a prefix
		 * unreachable only when it is one to watch.
		 */
		f->state = p->live > 0 || (p->state == ST_NONE &&
		    !p->monitored) ? (enum ph_st)p->state : ST_UNREACHABLE;
		return;
	}
	if (f->vis < st->cfg.vis_pct)
		f->reasons |= R_VISIBILITY;
	if (p->flapping)
		f->reasons |= R_FLAPPING;
	if (st->cfg.path_len_jump > 0 && p->best_min_len != UNSET8 &&
	    f->min_len >= (int64_t)p->best_min_len + st->cfg.path_len_jump)
		f->reasons |= R_PATH_LEN;
	if (f->n_unexpected > 0)
		f->reasons |= R_ORIGIN;
	f->state = f->reasons ? ST_DEGRADED : ST_HEALTHY;
}

static void
emit_nullable(struct bf_host *h, int field, bool has, int64_t v)
{
	if (has)
		bf_emit_long(h, field, v);
	else
		bf_emit_null(h, field);
}

static void
emit(struct ph_state *st, struct ph_prefix *p, const struct ph_fig *f,
    const char *kind, const char *state, const char *prev)
{
	struct bf_host *h = st->host;
	const struct ph_out *o = &st->out;
	int64_t v[MAX_ORIGINS];
	const char *reasons[4];
	size_t nr = 0;

	bf_emit_begin(h, p->key, p->partition);
	bf_emit_str(h, o->prefix, p->key);
	bf_emit_str(h, o->kind, kind);
	bf_emit_long(h, o->time_us, st->clock);
	bf_emit_long(h, o->afi, p->family);
	bf_emit_str(h, o->state, state);
	if (prev)
		bf_emit_str(h, o->previous_state, prev);
	else
		bf_emit_null(h, o->previous_state);
	if (f->reasons & R_VISIBILITY)
		reasons[nr++] = "visibility";
	if (f->reasons & R_FLAPPING)
		reasons[nr++] = "flapping";
	if (f->reasons & R_PATH_LEN)
		reasons[nr++] = "path_length";
	if (f->reasons & R_ORIGIN)
		reasons[nr++] = "unexpected_origin";
	bf_emit_str_array(h, o->degraded_reasons, reasons, nr);
	bf_emit_long(h, o->peers_with_route, f->peers_with_route);
	bf_emit_long(h, o->peers_up, f->peers_up);
	bf_emit_long(h, o->routes, f->routes);
	bf_emit_double(h, o->visibility_pct, f->vis);
	for (uint32_t i = 0; i < f->n_origins; i++)
		v[i] = f->origins[i];
	bf_emit_long_array(h, o->origins, v, f->n_origins);
	bf_emit_bool(h, o->moas, f->n_origins > 1);
	for (uint32_t i = 0; i < f->n_unexpected; i++)
		v[i] = f->unexpected[i];
	bf_emit_long_array(h, o->unexpected_origins, v, f->n_unexpected);
	emit_nullable(h, o->min_path_len, f->min_len >= 0, f->min_len);
	emit_nullable(h, o->max_path_len, f->max_len >= 0, f->max_len);
	if (f->min_len >= 0)
		bf_emit_double(h, o->median_path_len, f->median_len);
	else
		bf_emit_null(h, o->median_path_len);
	bf_emit_long(h, o->first_hop_ases, f->first_hops);
	emit_nullable(h, o->target_hops, f->target_hops >= 0, f->target_hops);
	emit_nullable(h, o->target_hops_best, p->best_target_hops != UNSET8,
	    p->best_target_hops);
	bf_emit_bool(h, o->target_suboptimal, f->target_suboptimal);
	bf_emit_long(h, o->announcements_1m, f->w1[CH_ANN]);
	bf_emit_long(h, o->withdrawals_1m, f->w1[CH_WD]);
	bf_emit_long(h, o->attr_changes_1m, f->w1[CH_ATTR]);
	bf_emit_long(h, o->updates_1m,
	    f->w1[CH_ANN] + f->w1[CH_WD] + f->w1[CH_ATTR]);
	bf_emit_long(h, o->announcements_15m, f->w15[CH_ANN]);
	bf_emit_long(h, o->withdrawals_15m, f->w15[CH_WD]);
	bf_emit_long(h, o->attr_changes_15m, f->w15[CH_ATTR]);
	bf_emit_long(h, o->updates_15m,
	    f->w15[CH_ANN] + f->w15[CH_WD] + f->w15[CH_ATTR]);
	bf_emit_double(h, o->flap_penalty, f->penalty);
	bf_emit_bool(h, o->flapping, p->flapping != 0);
	emit_nullable(h, o->last_change, p->last_change != 0, p->last_change);
	emit_nullable(h, o->propagation_us, p->last_change != 0,
	    p->wave_span);
	emit_nullable(h, o->delivery_delay_us, p->last_change != 0,
	    p->delay_last);
	emit_nullable(h, o->delivery_delay_max_us, p->last_change != 0,
	    p->delay_max);
	bf_emit_end(h);
}

/* Evaluate p; on a state change emit a "change" record. */
static void
evaluate(struct ph_state *st, struct ph_prefix *p, bool *emitted)
{
	struct ph_fig f;
	enum ph_st old = p->state;

	figures(st, p, &f);
	p->needs_eval = 0;
	*emitted = false;
	if (f.state == old)
		return;
	st->n_state[old]--;
	st->n_state[f.state]++;
	p->state = (uint8_t)f.state;
	if (p->last_change != 0)
		bf_metric_observe(st->host, st->m.propagation, NULL,
		    p->wave_span / 1e6);
	emit(st, p, &f, "change",
	    f.state == ST_HEALTHY && (old == ST_DEGRADED ||
	    old == ST_UNREACHABLE) ? "recovered" : state_names[f.state],
	    state_names[old]);
	*emitted = true;
}

static void
on_tick(void *state, int64_t now_us)
{
	struct ph_state *st = state;
	bool summary, emitted, vis[N_CLASSES];

	if (now_us > st->clock)
		st->clock = now_us;
	st->wall = now_us;
	peers_warm(st);
	/* Routes of peers in warm-up get their outputs when it ends. */
	if (st->n_warming > 0)
		bf_outputs_deferred(st->host);
	summary = st->clock - st->last_summary >= st->cfg.summary_us;
	/* peers_up moved: every prefix of that class has new figures. */
	for (int c = 0; c < N_CLASSES; c++) {
		vis[c] = st->peers_up[c] != st->peers_up_ticked[c];
		st->peers_up_ticked[c] = st->peers_up[c];
	}
	for (size_t i = 0; i < st->pfx_cap; i++) {
		struct ph_prefix *p = st->pfx[i];

		if (p == NULL)
			continue;
		bool decaying = p->act != NULL && p->act->n_damp > 0;

		if (decaying || vis[prefix_class(p)] || (summary &&
		    win_roll(st, p)))
			p->dirty = 1;
		if (!st->eval_all && !p->needs_eval && !decaying &&
		    !(summary && p->dirty))
			continue;
		evaluate(st, p, &emitted);
		/* No summary before a first state (warm-up). */
		if (summary && p->dirty && !emitted && p->state != ST_NONE) {
			struct ph_fig f;
			figures(st, p, &f);
			emit(st, p, &f, "summary", state_names[p->state],
			    NULL);
		}
		if (summary || emitted)
			p->dirty = 0;
	}
	st->eval_all = false;
	if (summary)
		st->last_summary = st->clock;
	for (int s = ST_HEALTHY; s <= ST_UNREACHABLE; s++) {
		char labels[32];

		snprintf(labels, sizeof(labels), "state=\"%s\"",
		    state_names[s]);
		bf_metric_set(st->host, st->m.prefixes, labels, st->n_state[s]);
	}
	bf_metric_set(st->host, st->m.warming, NULL, st->n_warming);
	bf_metric_set(st->host, st->m.memory, NULL, (double)ph_mem_bytes(st));
	bf_metric_set(st->host, st->m.routes, NULL, (double)st->routes_live);
}

/* ---- partitions -------------------------------------------------------- */

/*
 * Forget everything p learned from routes; its key and config stay.
 * Returns p, moved when its slots were given back (the caller places it).
 */
static struct ph_prefix *
prefix_reset(struct ph_state *st, struct ph_prefix *p)
{
	struct ph_prefix *n;

	for (uint32_t i = 0; i < p->n_routes; i++)
		route_release(st, p, &pfx_routes(p)[i]);
	p->n_routes = 0;
	if ((n = pfx_resize(st, p, p->n_expected, 0)) != NULL)
		p = n;
	if (p->act != NULL)
		ph_free(st, p->act->damp, p->act->cap_damp *
		    sizeof(*p->act->damp));
	ph_free(st, p->act, sizeof(*p->act));
	st->n_state[p->state]--;
	st->n_state[ST_NONE]++;
	p->act = NULL;
	p->live = 0;
	p->state = ST_NONE;
	p->best_min_len = p->best_target_hops = UNSET8;
	p->needs_eval = p->dirty = p->flapping = 0;
	p->last_change = p->wave_first = 0;
	p->wave_span = p->delay_last = p->delay_max = 0;
	p->partition = -1;
	return p;
}

static void
drop_partition(void *state, int32_t partition)
{
	struct ph_state *st = state;
	struct ph_prefix **old;
	size_t cap, dropped = 0;

	if (st->pfx_cap == 0)
		return;
	/* Open addressing without tombstones: rebuild the probe chains. */
	if (pfx_table_swap(st, st->pfx_cap, &old, &cap) < 0) {
		bf_plugin_log(st->host, 0, "out of memory dropping partition "
		    "%" PRId32 ": its prefixes are kept", partition);
		return;
	}
	for (size_t i = 0; i < cap; i++) {
		struct ph_prefix *p = old[i];

		if (p == NULL)
			continue;
		if (p->partition == partition) {
			p = prefix_reset(st, p);
			if (!p->monitored) {
				st->n_state[ST_NONE]--;
				ph_free(st, p, pfx_size(p));
				st->n_pfx--;
				dropped++;
				continue;
			}
		}
		pfx_put(st, p, bf_fnv32_str(BF_FNV32_INIT, p->key));
	}
	ph_free(st, old, pfx_table_bytes(cap));
	bf_plugin_log(st->host, 2, "partition %" PRId32 ": %zu prefixes "
	    "dropped", partition, dropped);
}

/* ---- settings, init, fini ---------------------------------------------- */

/* "192.0.2.0/24@65001|65002": canonical prefix and expected origins. */
static int
add_monitored(struct ph_state *st, char *spec, char *err, size_t errlen)
{
	char *at = strchr(spec, '@'), *slash, txt[INET6_ADDRSTRLEN + 8];
	unsigned char addr[16];
	struct ph_prefix *p;
	int family;
	double len;

	if (at)
		*at++ = '\0';
	if ((slash = strchr(spec, '/')) == NULL)
		goto bad;
	*slash = '\0';
	family = strchr(spec, ':') ? 6 : 4;
	if (inet_pton(family == 6 ? AF_INET6 : AF_INET, spec, addr) != 1 ||
	    bf_parse_num(slash + 1, 0, family == 6 ? 128 : 32, &len) < 0)
		goto bad;
	inet_ntop(family == 6 ? AF_INET6 : AF_INET, addr, txt, sizeof(txt));
	snprintf(txt + strlen(txt), sizeof(txt) - strlen(txt), "/%d",
	    (int)len);
	if ((p = pfx_get(st, txt, family, true)) == NULL)
		goto nomem;
	p->monitored = 1;
	p->needs_eval = 1;	/* unreachable until a route comes */
	while (at && *at) {
		char *bar = strchr(at, '|');
		double asn;
		if (bar)
			*bar++ = '\0';
		if (bf_parse_num(at, 1, UINT32_MAX, &asn) < 0 ||
		    p->n_expected == MAX_EXPECTED)
			goto bad;
		if ((p = pfx_resize_placed(st, p, p->n_expected + 1u,
		    p->cap)) == NULL)
			goto nomem;
		pfx_expected(p)[p->n_expected - 1] = (uint32_t)asn;
		at = bar;
	}
	return 0;
bad:
	snprintf(err, errlen, "prefixes: bad entry \"%s\" (want "
	    "PREFIX/LEN[@ASN|ASN...], at most %d origins)", spec,
	    MAX_EXPECTED);
	return -1;
nomem:
	snprintf(err, errlen, "prefixes: out of memory");
	return -1;
}

static void fini(void *state);

#define OUT(f)	{ #f, offsetof(struct ph_out, f) }
static const struct bf_field_decl out_fields[] = {
	OUT(prefix), OUT(kind), OUT(time_us), OUT(afi), OUT(state),
	OUT(previous_state), OUT(degraded_reasons), OUT(peers_with_route),
	OUT(peers_up), OUT(routes), OUT(visibility_pct), OUT(origins),
	OUT(moas), OUT(unexpected_origins), OUT(min_path_len),
	OUT(max_path_len), OUT(median_path_len), OUT(first_hop_ases),
	OUT(target_hops), OUT(target_hops_best), OUT(target_suboptimal),
	OUT(announcements_1m), OUT(withdrawals_1m), OUT(attr_changes_1m),
	OUT(updates_1m), OUT(announcements_15m), OUT(withdrawals_15m),
	OUT(attr_changes_15m), OUT(updates_15m), OUT(flap_penalty),
	OUT(flapping), OUT(last_change), OUT(propagation_us),
	OUT(delivery_delay_us), OUT(delivery_delay_max_us),
};
#undef OUT
/* Every id of struct ph_out is in the table: none is left 0, a valid id. */
_Static_assert(sizeof(out_fields) / sizeof(out_fields[0]) ==
    sizeof(struct ph_out) / sizeof(int), "a field of struct ph_out is not "
    "in out_fields");

static void
declare_metrics(struct ph_state *st)
{
	/* Seconds: BMP delivery is ms..s; propagation s..minutes. */
	static const double delay_b[] = { 0.001, 0.005, 0.01, 0.025, 0.05,
	    0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30 };
	static const double prop_b[] = { 0.01, 0.1, 0.5, 1, 2, 5, 10, 30, 60,
	    120, 300 };

	st->m.prefixes = bf_metric_declare(st->host, "prefixes",
	    BF_METRIC_GAUGE, "Prefixes by state.", NULL, 0);
	st->m.delivery = bf_metric_declare(st->host, "delivery_delay_seconds",
	    BF_METRIC_HISTOGRAM, "Collector receive time minus the BMP "
	    "per-peer timestamp, per route.", delay_b,
	    sizeof(delay_b) / sizeof(delay_b[0]));
	st->m.propagation = bf_metric_declare(st->host, "propagation_seconds",
	    BF_METRIC_HISTOGRAM, "First to last sighting (BMP time) across "
	    "routers and peers of the change behind each state change.",
	    prop_b, sizeof(prop_b) / sizeof(prop_b[0]));
	st->m.warming = bf_metric_declare(st->host, "peers_warming",
	    BF_METRIC_GAUGE, "BGP sessions in their initial RIB dump (from "
	    "their first route until quiet), not counted in visibility yet.",
	    NULL, 0);
	/* Its own account; the process's RSS is what to size by (README). */
	st->m.memory = bf_metric_declare(st->host, "memory_bytes",
	    BF_METRIC_GAUGE, "Bytes the plugin's state holds by its own count "
	    "(tables, routes, paths, prefixes; no allocator overhead).",
	    NULL, 0);
	st->m.routes = bf_metric_declare(st->host, "routes",
	    BF_METRIC_GAUGE, "Routes held: (session, view, prefix, path id) "
	    "announced.", NULL, 0);
}

/* Options, in the order of options[]; durations in seconds. */
enum {
	O_TARGET_ASN, O_VIS_PCT, O_FLAP_PENALTY, O_HALF_LIFE, O_SUPPRESS,
	O_REUSE, O_FLAP_MAX, O_PATH_LEN_JUMP, O_TARGET_HOPS_MAX, O_SUMMARY,
	O_WAVE, O_WARMUP_QUIET, O_WARMUP_MAX, O_WARMUP_EOR, O_PREFIXES, O_N
};

static const struct bf_option options[O_N] = {
	[O_TARGET_ASN] = { "target_asn", BF_OPT_NUMBER, "0", 0, UINT32_MAX,
	    "ASN whose distance to the origin is reported as target_hops "
	    "(0 = none)" },
	[O_VIS_PCT] = { "degraded_visibility_pct", BF_OPT_NUMBER, "80", 0,
	    100, "degraded below this visibility, % of sessions" },
	[O_FLAP_PENALTY] = { "flap_penalty", BF_OPT_NUMBER, "1000", 1, 1e9,
	    "penalty added to a route per flap" },
	[O_HALF_LIFE] = { "flap_half_life_s", BF_OPT_NUMBER, "900", 1, 1e7,
	    "penalty half-life" },
	[O_SUPPRESS] = { "flap_suppress", BF_OPT_NUMBER, "2000", 0, 1e9,
	    "a route is suppressed above this; a prefix with a suppressed "
	    "route is flapping (degraded)" },
	[O_REUSE] = { "flap_reuse", BF_OPT_NUMBER, "750", 0, 1e9,
	    "suppression ends below this" },
	[O_FLAP_MAX] = { "flap_max_penalty", BF_OPT_NUMBER, "12000", 1, 1e9,
	    "penalty ceiling" },
	[O_PATH_LEN_JUMP] = { "path_len_jump", BF_OPT_NUMBER, "3", 0, 255,
	    "degraded when the shortest path is this much longer than the "
	    "shortest seen (0 = off)" },
	[O_TARGET_HOPS_MAX] = { "target_hops_max", BF_OPT_NUMBER, "0", 0, 255,
	    "target_suboptimal above this (0 = only versus the best seen)" },
	[O_SUMMARY] = { "summary_interval_s", BF_OPT_NUMBER, "60", 1, 1e7,
	    "summary records period" },
	[O_WAVE] = { "propagation_window_s", BF_OPT_NUMBER, "60", 1, 1e7,
	    "changes closer than this (BMP time) are one wave for "
	    "propagation_us" },
	[O_WARMUP_QUIET] = { "warmup_quiet_s", BF_OPT_NUMBER, "3", 0, 1e5,
	    "a session's RIB dump is over after this long without a route "
	    "from it (0 = no warm-up)" },
	[O_WARMUP_MAX] = { "warmup_max_s", BF_OPT_NUMBER, "120", 0, 1e6,
	    "or this long after its first route" },
	[O_WARMUP_EOR] = { "warmup_eor_quiet_s", BF_OPT_NUMBER, "1", 0, 1e5,
	    "or this long without a route after its End-of-RIB" },
	[O_PREFIXES] = { "prefixes", BF_OPT_TEXT, "", 0, 0,
	    "only these prefixes, with their expected origins: "
	    "PREFIX[@ASN|ASN...],... (none: every prefix)" },
};

static void *
init(struct bf_host *h, const struct bf_setting *settings, size_t n,
    char *err, size_t errlen)
{
	const char *prefixes = settings[O_PREFIXES].value;
	double v[O_N];
	struct ph_state *st;

	if (n != O_N) {
		snprintf(err, errlen, "%zu settings for %d options", n, O_N);
		return NULL;
	}
	for (size_t t = 0; t < O_PREFIXES; t++)
		v[t] = strtod(settings[t].value, NULL);
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	st->mem = sizeof(*st);
	st->host = h;
	st->cfg.target_asn = (uint32_t)v[O_TARGET_ASN];
	st->cfg.vis_pct = v[O_VIS_PCT];
	st->cfg.flap_penalty = v[O_FLAP_PENALTY];
	st->cfg.half_life_us = (int64_t)(v[O_HALF_LIFE] * US_PER_S);
	st->cfg.flap_suppress = v[O_SUPPRESS];
	st->cfg.flap_reuse = v[O_REUSE];
	st->cfg.flap_max = v[O_FLAP_MAX];
	st->cfg.path_len_jump = (uint32_t)v[O_PATH_LEN_JUMP];
	st->cfg.target_hops_max = (uint32_t)v[O_TARGET_HOPS_MAX];
	st->cfg.summary_us = (int64_t)(v[O_SUMMARY] * US_PER_S);
	st->cfg.wave_us = (int64_t)(v[O_WAVE] * US_PER_S);
	st->cfg.warmup_quiet_us = (int64_t)(v[O_WARMUP_QUIET] * US_PER_S);
	st->cfg.warmup_max_us = (int64_t)(v[O_WARMUP_MAX] * US_PER_S);
	st->cfg.warmup_eor_quiet_us = (int64_t)(v[O_WARMUP_EOR] * US_PER_S);
	if (st->cfg.flap_reuse > st->cfg.flap_suppress) {
		snprintf(err, errlen, "flap_reuse %g is above flap_suppress "
		    "%g", st->cfg.flap_reuse, st->cfg.flap_suppress);
		free(st);
		return NULL;
	}
	if (prefixes != NULL && *prefixes != '\0') {
		char *copy = strdup(prefixes), *save = NULL, *tok;
		if (copy == NULL) {
			snprintf(err, errlen, "out of memory");
			free(st);
			return NULL;
		}
		for (tok = strtok_r(copy, ", \t", &save); tok != NULL;
		    tok = strtok_r(NULL, ", \t", &save)) {
			if (add_monitored(st, tok, err, errlen) < 0) {
				free(copy);
				fini(st);
				return NULL;
			}
		}
		free(copy);
		st->monitored_only = true;
	}
	if (bf_declare_fields(h, &st->out, out_fields, sizeof(out_fields) /
	    sizeof(out_fields[0]), err, errlen) < 0) {
		fini(st);
		return NULL;
	}
	declare_metrics(st);
	bf_plugin_log(h, 2, "prefix_health: %s, target AS%" PRIu32
	    ", degraded below %g%% visibility or above flap penalty %g",
	    st->monitored_only ? "monitored prefixes only" : "every prefix",
	    st->cfg.target_asn, st->cfg.vis_pct, st->cfg.flap_suppress);
	return st;
}

static void
fini(void *state)
{
	struct ph_state *st = state;

	if (st == NULL)
		return;
	/* Blocks above SLAB_MAX_BLOCK are malloc's: each is freed. */
	for (size_t i = 0; i < st->pfx_cap; i++) {
		struct ph_prefix *p = st->pfx[i];
		if (p == NULL)
			continue;
		if (p->act != NULL)
			ph_free(st, p->act->damp, p->act->cap_damp *
			    sizeof(*p->act->damp));
		ph_free(st, p->act, sizeof(*p->act));
		ph_free(st, p, pfx_size(p));
	}
	ph_free(st, st->pfx, pfx_table_bytes(st->pfx_cap));
	ph_free(st, st->peers, st->n_peers * sizeof(*st->peers));
	for (uint32_t i = 1; i < st->paths_cap; i++)
		if (st->paths[i] != NULL)
			ph_free(st, st->paths[i], path_size(
			    st->paths[i]->count));
	ph_free(st, st->paths, st->paths_cap * sizeof(*st->paths));
	ph_free(st, st->path_free, st->paths_cap * sizeof(*st->path_free));
	ph_free(st, st->path_bucket, st->path_nbucket *
	    sizeof(*st->path_bucket));
	ph_free(st, st->scratch, st->scratch_cap * sizeof(*st->scratch));
	slab_pool_free(&st->slabs);
	free(st);
}

/* ---- measurement ----------------------------------------------------------- */

size_t
ph_mem_bytes(const void *state)
{
	const struct ph_state *st = state;

	/* Scratch is per-evaluation working space, not state per route. */
	return st->mem - st->scratch_cap * sizeof(uint32_t);
}

size_t
ph_routes_held(const void *state)
{
	return ((const struct ph_state *)state)->routes_live;
}

double
ph_bytes_per_route(const void *state)
{
	size_t n = ph_routes_held(state);

	return n ? (double)ph_mem_bytes(state) / (double)n : 0;
}

size_t
ph_route_slot_bytes(void)
{
	return sizeof(struct ph_route);
}

static const struct bf_plugin prefix_health = {
	.abi = BMPFLOW_PLUGIN_ABI,
	.size = sizeof(struct bf_plugin),
	.name = "prefix_health",
	.output_schema = "prefix_health",
	.options = options,
	.n_options = O_N,
	.init = init,
	.on_route = on_route,
	.on_session = on_session,
	.on_tick = on_tick,
	.drop_partition = drop_partition,
	.fini = fini,
};

BMPFLOW_PLUGIN(prefix_health)
