/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ph_state.h: the prefix-health plugin's state, shared by its files (not
 * part of the plugin API; tests use prefix_health.h).
 *
 * Each file owns one kind of data, as OpenBGPD's rde_*.c do:
 *   ph_table.c     the prefix table and each prefix's route slots
 *   ph_path.c      interned AS paths and the hash of the other attributes
 *   ph_peer.c      sessions: epochs, route classes, warm-up
 *   ph_act.c       a prefix's recent activity: churn windows, RFC 2439
 *                  damping, propagation and delivery timing
 *   ph_eval.c      figures, states and output records, per tick
 *   prefix_health.c  options, init, fini and the descriptor
 * Functions one file exports to the others carry its prefix (ph_table_,
 * ph_path_, ph_peer_, ph_act_, ph_eval_); the small accessors below are
 * inline.  Every block the state holds is allocated with ph_realloc.
 */
#ifndef BMPFLOW_PH_STATE_H
#define BMPFLOW_PH_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bmpflow/plugin.h"
#include "core/hash_index.h"
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
static inline bool
route_ever(const struct ph_route *rt)
{
	return rt->path != 0 || rt->prev_path != 0;
}

struct ph_path {
	uint32_t	refs;
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
 * pointers (pfx_routes, pfx_expected, ph_table_resize).
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
	unsigned	 withdrawn:1;	/* a route of it was withdrawn */
	uint16_t	 routes_off;	/* expected origins, then route slots */
	char		 key[];
};

/* Where the expected origins and route slots of a key of klen begin. */
static inline size_t
pfx_routes_off(size_t klen)
{
	size_t off = offsetof(struct ph_prefix, key) + klen;

	return (off + _Alignof(uint32_t) - 1) & ~(_Alignof(uint32_t) - 1);
}

static inline size_t
pfx_bytes(size_t routes_off, uint32_t n_expected, uint32_t cap)
{
	return routes_off + n_expected * sizeof(uint32_t) +
	    cap * sizeof(struct ph_route);
}

static inline size_t
pfx_size(const struct ph_prefix *p)
{
	return pfx_bytes(p->routes_off, p->n_expected, p->cap);
}

/* The origins and slots of p (not const: as strchr, for either use). */
static inline uint32_t *
pfx_expected(const struct ph_prefix *p)
{
	return (uint32_t *)(void *)((char *)(uintptr_t)p + p->routes_off);
}

static inline struct ph_route *
pfx_routes(const struct ph_prefix *p)
{
	return (struct ph_route *)(void *)(pfx_expected(p) + p->n_expected);
}

static inline int
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
	/* AS paths: ids index paths[] and path_ix (by the path's hash) */
	struct ph_path	**paths;
	uint32_t	 paths_cap;	/* ids 1..paths_cap-1 */
	uint32_t	*path_free;
	uint32_t	 n_free, n_paths;
	struct bf_hix	 path_ix;
	/* scratch for evaluation */
	uint32_t	*scratch;
	size_t		 scratch_cap;
};

/*
 * Everything the state holds is allocated here, at a size the caller
 * keeps: small blocks from slabs (slab.h), larger ones from malloc.
 */
static inline void *
ph_realloc(struct ph_state *st, void *p, size_t old, size_t new)
{
	void *q = slab_realloc(&st->slabs, p, old, new);

	if (q == NULL && new > 0)
		return NULL;
	st->mem = st->mem - old + new;
	return q;
}

static inline void
ph_free(struct ph_state *st, void *p, size_t size)
{
	if (p == NULL)
		return;
	slab_free(&st->slabs, p, size);
	st->mem -= size;
}

/* What a VIEW_END ends, or everything of a session. */
struct ph_scope {
	int	view;		/* BF_VIEWS: all */
	int32_t	part;		/* -1: all */
	int	route_class;	/* -1: all */
};

/* ---- ph_table.c: prefixes and their route slots -------------------------- */

/* The prefix for key, created when create is set; NULL otherwise or ENOMEM. */
struct ph_prefix *ph_table_prefix(struct ph_state *st, const char *key,
	    int family, bool create);

/*
 * p, in the table, resized for n_expected origins (never fewer than it
 * has) and cap route slots (at least n_routes); its table slot follows
 * it.  NULL when out of memory, p untouched.
 */
struct ph_prefix *ph_table_resize(struct ph_state *st, struct ph_prefix *p,
	    uint32_t n_expected, uint32_t cap);

/* Route r of session pe (ph_peer_route) into its prefix's slot. */
void	ph_table_route(struct ph_state *st, struct ph_peer *pe,
	    const struct bf_route *r);

/* Every route slot of session id in scope dropped, in every prefix. */
void	ph_table_drop_session(struct ph_state *st, uint32_t id,
	    struct ph_scope sc);

/* Every prefix of the bmp.route partition forgotten (monitored ones kept). */
void	ph_table_drop_partition(struct ph_state *st, int32_t partition);

/* Every prefix freed, and the table. */
void	ph_table_free(struct ph_state *st);

/* ---- ph_path.c: AS paths and other attributes ---------------------------- */

/*
 * The id of r's AS path (with its origin, BGP length, segments and target
 * hops), interned with one reference taken for the caller; 0 when out of
 * memory.
 */
uint32_t ph_path_intern(struct ph_state *st, const struct bf_route *r);

/* One reference to path id (0: none) given back. */
void	ph_path_unref(struct ph_state *st, uint32_t id);

/* The hash of r's attributes other than the AS path. */
uint32_t ph_path_attrs_hash(const struct bf_route *r);

/* Every interned path freed, and the table. */
void	ph_path_free_all(struct ph_state *st);

/* ---- ph_peer.c: sessions ------------------------------------------------- */

/* ph_peer_get for an id beyond the table: the table grown to hold it. */
struct ph_peer *ph_peer_grow(struct ph_state *st, uint32_t id);

/*
 * The session of id, the table grown to hold it; NULL when out of memory
 * (logged).  Inline: every route asks, and the table is nearly always
 * large enough.
 */
static inline struct ph_peer *
ph_peer_get(struct ph_state *st, uint32_t id)
{
	return id < st->n_peers ? &st->peers[id] : ph_peer_grow(st, id);
}

/* A session event (Up, Down, a view's end, End-of-RIB). */
void	ph_peer_event(struct ph_state *st, const struct bf_session_event *e);

/* Session pe of route r: its epoch, warm-up and route classes to date. */
void	ph_peer_route(struct ph_state *st, struct ph_peer *pe,
	    const struct bf_route *r);

/* Sessions whose RIB dump is over start counting in visibility. */
void	ph_peer_warm(struct ph_state *st);

/* ---- ph_act.c: churn windows, flap damping, timing ----------------------- */

/* A change of kind k on p by session pe counted in p's churn windows. */
void	ph_act_churn(struct ph_state *st, struct ph_prefix *p,
	    const struct ph_peer *pe, enum churn_kind k);

/* Slide p's windows to the clock; true when a churn figure changed. */
bool	ph_act_roll(const struct ph_state *st, struct ph_prefix *p);

/* Free p's activity record once its windows and penalty are all zero. */
void	ph_act_release_if_quiet(struct ph_state *st, struct ph_prefix *p);

/* Free p's activity record, whatever it holds. */
void	ph_act_free(struct ph_state *st, struct ph_prefix *p);

/* Decay p's figures of merit to the clock; p->flapping follows. */
void	ph_act_decay(struct ph_state *st, struct ph_prefix *p);

/* The highest figure of merit of p's routes, as last decayed. */
double	ph_act_penalty(const struct ph_prefix *p);

/* Route (src, path_id) of p flapped. */
void	ph_act_flap(struct ph_state *st, struct ph_prefix *p, uint32_t src,
	    uint32_t path_id);

/* p changed with route r: last change, propagation wave, delivery delay. */
void	ph_act_change(struct ph_state *st, struct ph_prefix *p,
	    const struct bf_route *r);

/* ---- ph_eval.c: figures, states, output records -------------------------- */

/* The tick's evaluation: changes, summaries and the gauges. */
void	ph_eval_tick(struct ph_state *st);

#endif /* BMPFLOW_PH_STATE_H */
