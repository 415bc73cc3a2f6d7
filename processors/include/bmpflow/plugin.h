/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bmpflow/plugin.h: the one header a bmpflow processor plugin includes.
 *
 * A plugin is a shared object exporting BMPFLOW_PLUGIN_SYMBOL, a function
 * returning its descriptor.  The host (bmpflow-processor) owns Kafka, Avro,
 * offsets, rebalances, metrics, sessions and the peer-epoch rule; the
 * plugin sees plain C structs, one thread, one call at a time, and emits
 * output records field by field, by ids it got for the fields at init,
 * through the host API table it is given at init (no symbol of the host
 * is resolved by name).
 *
 * Sessions.  A session is one BGP session a router reports on: (router,
 * peer type, peer address, RD).  The host interns each to a dense id
 * (bf_session.id, from 0, never reused while the host runs) and follows
 * its epochs (a larger number at every Peer Up).  Routes of a session come
 * in views (enum bf_view); which views reach the plugin is the host's
 * `views` setting (see below), so a plugin that counts sessions counts
 * bf_route.session->id, never a view.
 *
 * What the host guarantees, whatever order bmp.peer and bmp.route records
 * come in (they are different topics, not ordered with each other, and a
 * router sends its RIB dump right behind its Peer Up):
 *  - BF_SESSION_UP with reset set starts a new epoch of the session: drop
 *    whatever was kept for it (every view).  It comes before the epoch's
 *    first route or End-of-RIB, from the Peer Up, or from that route when
 *    the route was read first (has_open false: no OPENs yet).
 *  - BF_SESSION_UP without reset: the Peer Up of the epoch already open,
 *    read after some of its routes.  Apply its contents (has_open, roles);
 *    keep the session's routes.  Nothing of a Peer Up is dropped.
 *  - BF_SESSION_DOWN ends the epoch, every view of it: drop its routes.
 *    A Peer Down, or the collector's router_session_closed when the
 *    router's BMP session ended.
 *  - BF_SESSION_VIEW_END: the host stopped delivering this view of the
 *    session in one bmp.route partition (a preferred view appeared there),
 *    or in all (partition -1), for routes of one class (route_class) or
 *    all (-1): drop those routes; the session itself is not down.
 *  - BF_SESSION_END_OF_RIB: the router sent End-of-RIB for a view and
 *    family of the session (its initial table is sent).  Routes of that
 *    table may still be read after it (cross-topic order).
 *  - on_route only for the open epoch of its session and a delivered
 *    view.  Records of closed epochs never reach the plugin; they are the
 *    host's records_stale_total.  A repeated record (Kafka redelivery)
 *    may reach the plugin again: treat a route as the state it sets.
 *
 * Views.  The host's `views` setting (in the plugin's config section,
 * taken by the host) is "all", or a list of bf_view names in order of
 * preference; per session, the host delivers the first listed view that
 * the session's routes come in, and the Loc-RIB (a session of its own)
 * only for routes of a class (bf_route_class) for which the router sends
 * no view ranked above it in that routing instance (RD).  The default,
 * "adj-in-pre,adj-in-post,loc-rib", is one view per session: Adj-RIB-In
 * pre-policy where the router sends it, else post-policy; a router's
 * Loc-RIB (RFC 9069) for what it sends neither of (say, VPN routes when
 * only unicast sessions are monitored).  A session's choice is made
 * per bmp.route partition from its records alone, so that every instance
 * that rebuilds a partition makes the same.
 *
 * Partitions.  bmp.route is keyed by prefix, so all of a prefix's routes
 * come from one partition (bf_route.partition).  When the consumer group
 * takes a partition away, the host calls drop_partition: the plugin drops
 * whatever it keeps for prefixes of that partition.  A partition the
 * instance is given is read from its start to rebuild that state; outputs
 * the plugin emits while the host replays records it already processed
 * before (below the group's committed offset) are not published again.
 *
 * Pointers in the event and route structs are valid during the call
 * only, except bf_session, which lives as long as the host.
 */
#ifndef BMPFLOW_PLUGIN_H
#define BMPFLOW_PLUGIN_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bumped whenever a struct or callback below changes incompatibly. */
#define BMPFLOW_PLUGIN_ABI	3
#define BMPFLOW_PLUGIN_SYMBOL	"bmpflow_plugin_descriptor"

/* Which RIB of a session a route describes. */
enum bf_view {
	BF_VIEW_ADJ_IN_PRE,	/* Adj-RIB-In, pre-policy (RFC 7854) */
	BF_VIEW_ADJ_IN_POST,	/* Adj-RIB-In, post-policy (L flag) */
	BF_VIEW_ADJ_OUT_PRE,	/* Adj-RIB-Out, pre-policy (RFC 8671) */
	BF_VIEW_ADJ_OUT_POST,	/* Adj-RIB-Out, post-policy */
	BF_VIEW_LOC_RIB,	/* the router's Loc-RIB (RFC 9069) */
	BF_VIEWS
};

#define BF_PEER_TYPE_LOC_RIB	3	/* RFC 9069 */

/* One BGP session a router reports on; owned by the host. */
struct bf_session {
	uint32_t	 id;		/* dense, from 0 */
	uint8_t		 peer_type;	/* RFC 7854 4.2; 3 = Loc-RIB */
	const char	*router;	/* router address */
	const char	*peer;		/* peer address, "" for Loc-RIB */
	const char	*peer_rd;	/* NULL when none */
	uint32_t	 peer_as;	/* Loc-RIB: the router's own AS */
};

struct bf_large_community {
	uint32_t	global, local1, local2;
};

/* AS_PATH segment types (RFC 4271, RFC 5065). */
enum bf_seg_type {
	BF_SEG_SET = 1,
	BF_SEG_SEQUENCE = 2,
	BF_SEG_CONFED_SEQUENCE = 3,
	BF_SEG_CONFED_SET = 4,
};

/* One segment: as_path[start .. start + count). */
struct bf_as_segment {
	uint8_t		type;		/* enum bf_seg_type */
	uint32_t	start, count;
};

struct bf_route {
	const struct bf_session	*session;
	enum bf_view		 view;
	uint64_t		 epoch;
	bool			 withdraw;
	uint8_t			 family;	/* 4 or 6 */
	uint8_t			 prefix_len;
	uint8_t			 addr[16];	/* network order, IPv4 in [0..3] */
	const char		*prefix;	/* "192.0.2.0/24" */
	const char		*rd;		/* VPN routes, else NULL */
	bool			 has_path_id;
	uint32_t		 path_id;
	/* Attributes: absent on withdrawals. */
	const uint32_t		*as_path;	/* flat, after the AS4 merge */
	uint32_t		 as_path_count;	/* entries in as_path */
	const struct bf_as_segment *segments;	/* cover as_path in order */
	uint32_t		 n_segments;
	uint32_t		 as_path_len;	/* BGP length: a set counts 1,
						 * confederations 0 */
	/*
	 * The origin AS: the last AS of a path ending in an AS_SEQUENCE; the
	 * session's peer AS for an empty path (a route of the iBGP peer's or,
	 * on Loc-RIB, the router's own AS).  has_origin_as false: none (the
	 * path ends in an AS_SET, an aggregate's, or confederation segments).
	 */
	bool			 has_origin_as;
	uint32_t		 origin_as;
	const char		*next_hop;	/* NULL when absent */
	bool			 has_med;
	uint32_t		 med;
	bool			 has_local_pref;
	uint32_t		 local_pref;
	const uint32_t		*communities;	/* high << 16 | low */
	uint32_t		 n_communities;
	const struct bf_large_community *large_communities;
	uint32_t		 n_large_communities;
	bool			 has_otc;
	uint32_t		 otc;
	int64_t			 bmp_time_us;	/* per-peer header timestamp */
	int64_t			 collector_time_us;	/* receive time */
	int32_t			 partition;	/* of bmp.route */
};

enum bf_session_event_kind {
	BF_SESSION_UP,
	BF_SESSION_DOWN,
	BF_SESSION_VIEW_END,
	BF_SESSION_END_OF_RIB,
};

struct bf_session_event {
	const struct bf_session	*session;
	enum bf_session_event_kind kind;
	uint64_t		 epoch;
	bool			 reset;		/* UP: a new epoch */
	bool			 has_open;	/* UP: from the Peer Up itself */
	enum bf_view		 view;		/* VIEW_END, END_OF_RIB */
	int32_t			 partition;	/* VIEW_END: of bmp.route,
						 * -1: every one */
	int8_t			 route_class;	/* VIEW_END: bf_route_class of
						 * the routes, -1: all */
	const char		*family;	/* END_OF_RIB: "ipv4-unicast" */
	const char		*down_reason;	/* DOWN */
	/*
	 * UP with has_open: the BGP Role capabilities (RFC 9234) of the Peer
	 * Up's OPENs: "provider", "rs", "rs_client", "customer" or "peer";
	 * NULL when not sent.  local_role is the monitored router's own (its
	 * sent OPEN), peer_role the neighbour's (the OPEN it received).
	 */
	const char		*local_role;
	const char		*peer_role;
	int64_t			 bmp_time_us;
	int64_t			 collector_time_us;
};

/* A plugin setting: "key = value" lines of the [plugin] config. */
struct bf_setting {
	const char	*key;
	const char	*value;
};

/*
 * A plugin option, declared once in the descriptor.  The host reads the
 * settings (plugin.KEY lines of --config, --set KEY=VALUE), refuses an
 * unknown key or a number outside [lo, hi], naming the option and its
 * help, lists the options in `bmpflow-processor --plugin NAME --help`,
 * and gives init exactly one setting per option, in the order declared:
 * the value given, or def.  A plugin checks only what spans options or
 * what a text means.
 */
enum bf_option_type {
	BF_OPT_NUMBER,
	BF_OPT_TEXT,
};

struct bf_option {
	const char		*name;
	enum bf_option_type	 type;
	const char		*def;		/* as text, "" for none */
	double			 lo, hi;	/* BF_OPT_NUMBER: its range */
	const char		*help;
};

enum bf_metric_type {
	BF_METRIC_COUNTER,
	BF_METRIC_GAUGE,
	BF_METRIC_HISTOGRAM,
};

/*
 * The host's handle.  It begins with the API table; the rest is the
 * host's.  A plugin only passes it back.
 */
struct bf_host;

/*
 * What the host offers a plugin.  size is sizeof(struct bf_host_api) of
 * the host: a later ABI only appends members.
 *
 * Output fields.  In init, field gives the id of a field of the plugin's
 * output schema (bf_plugin.output_schema) by name: >= 0, or -1 when the
 * schema has no such field (the host logs it; the plugin should fail its
 * init naming the field: bf_declare_fields below does both for a table
 * of fields).  Ids stay valid until fini; records then set fields by id,
 * with no name looked up per record.
 *
 * Output records, one at a time: begin with the Kafka key and the
 * bmp.route partition of the prefix the record is about (bf_route.partition,
 * or -1 for none), set fields by id, end.  Records of a partition the host
 * is replaying are not published again.  A field not set is null
 * (["null", T] fields), empty (strings, arrays) or zero; a field set again
 * takes the last value.  Each emit call returns 0, or -1 when the id is
 * not one field returned (-1 included) or the field has another type
 * (emit_null: is not ["null", T]); the host logs the record's first such
 * call, and emit_end drops the record and returns -1.
 *
 * Metrics, served by the host on its /metrics endpoint as
 * bmpflow_<plugin name>_<name>.  Declare each in init; the returned id
 * (>= 0, or -1 for a bad name or type) is then used with one label set,
 * the Prometheus label text without braces (`state="healthy"`, or NULL
 * for none).  Up to 64 label sets per metric.  Histograms take their
 * upper bucket bounds (ascending, +Inf is implicit) at declaration.
 *
 * outputs_deferred, from on_tick: records already given to the plugin
 * will lead to outputs only at a later tick (a warm-up holds them back).
 * The host commits no offset past the last tick without this call, so a
 * crash cannot skip outputs that were never produced.
 */
struct bf_host_api {
	uint32_t	size;
	int	(*field)(struct bf_host *, const char *name);
	int	(*emit_begin)(struct bf_host *, const char *key,
		    int32_t partition);
	int	(*emit_str)(struct bf_host *, int field, const char *v);
	int	(*emit_long)(struct bf_host *, int field, int64_t v);
	int	(*emit_double)(struct bf_host *, int field, double v);
	int	(*emit_bool)(struct bf_host *, int field, bool v);
	int	(*emit_null)(struct bf_host *, int field);
	int	(*emit_long_array)(struct bf_host *, int field,
		    const int64_t *v, size_t n);
	int	(*emit_str_array)(struct bf_host *, int field,
		    const char *const *v, size_t n);
	int	(*emit_end)(struct bf_host *);
	int	(*metric_declare)(struct bf_host *, const char *name,
		    enum bf_metric_type type, const char *help,
		    const double *buckets, size_t n_buckets);
	void	(*metric_set)(struct bf_host *, int id, const char *labels,
		    double v);
	void	(*metric_add)(struct bf_host *, int id, const char *labels,
		    double v);
	void	(*metric_observe)(struct bf_host *, int id,
		    const char *labels, double v);
	/* level 0 error .. 3 debug */
	void	(*vlog)(struct bf_host *, int level, const char *fmt,
		    va_list ap);
	void	(*outputs_deferred)(struct bf_host *);
	/*
	 * The wall clock in microseconds since the epoch: the clock of
	 * collector_time_us and of on_tick's now_us.
	 */
	int64_t	(*now_us)(void);
};

static inline const struct bf_host_api *
bf_api(struct bf_host *h)
{
	return *(const struct bf_host_api *const *)(const void *)h;
}

/* The API as calls, as plugins write them; f is a field id (bf_field). */
#define bf_field(h, name)		bf_api(h)->field(h, name)
#define bf_emit_begin(h, k, p)		bf_api(h)->emit_begin(h, k, p)
#define bf_emit_str(h, f, v)		bf_api(h)->emit_str(h, f, v)
#define bf_emit_long(h, f, v)		bf_api(h)->emit_long(h, f, v)
#define bf_emit_double(h, f, v)		bf_api(h)->emit_double(h, f, v)
#define bf_emit_bool(h, f, v)		bf_api(h)->emit_bool(h, f, v)
#define bf_emit_null(h, f)		bf_api(h)->emit_null(h, f)
#define bf_emit_long_array(h, f, v, n)	bf_api(h)->emit_long_array(h, f, v, n)
#define bf_emit_str_array(h, f, v, n)	bf_api(h)->emit_str_array(h, f, v, n)
#define bf_emit_end(h)			bf_api(h)->emit_end(h)
#define bf_metric_declare(h, n, t, hl, b, nb) \
	bf_api(h)->metric_declare(h, n, t, hl, b, nb)
#define bf_metric_set(h, id, l, v)	bf_api(h)->metric_set(h, id, l, v)
#define bf_metric_add(h, id, l, v)	bf_api(h)->metric_add(h, id, l, v)
#define bf_metric_observe(h, id, l, v)	bf_api(h)->metric_observe(h, id, l, v)
#define bf_outputs_deferred(h)		bf_api(h)->outputs_deferred(h)
#define bf_host_now_us(h)		bf_api(h)->now_us()

static inline void bf_plugin_log(struct bf_host *h, int level,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Log through the host: level 0 error .. 3 debug. */
static inline void
bf_plugin_log(struct bf_host *h, int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	bf_api(h)->vlog(h, level, fmt, ap);
	va_end(ap);
}

/*
 * An output field a plugin sets: its name in the output schema, and where
 * its id goes, the offsetof an int in the plugin's struct of ids:
 *
 *	struct my_out { int prefix, state; };
 *	#define OUT(f)	{ #f, offsetof(struct my_out, f) }
 *	static const struct bf_field_decl out_fields[] = {
 *		OUT(prefix), OUT(state),
 *	};
 */
struct bf_field_decl {
	const char	*name;
	size_t		 off;
};

/*
 * bf_field for each of decl[0..n), the id stored at (char *)ids +
 * decl[i].off; for init.  0, or -1 with the first name the output schema
 * lacks in err (ids up to it are set).
 */
static inline int
bf_declare_fields(struct bf_host *h, void *ids,
    const struct bf_field_decl *decl, size_t n, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		int id = bf_field(h, decl[i].name);

		if (id < 0) {
			snprintf(err, errlen, "the output schema has no field "
			    "\"%s\"", decl[i].name);
			return -1;
		}
		memcpy((char *)ids + decl[i].off, &id, sizeof(id));
	}
	return 0;
}

struct bf_plugin {
	uint32_t	 abi;		/* BMPFLOW_PLUGIN_ABI at build time */
	uint32_t	 size;		/* sizeof(struct bf_plugin) */
	const char	*name;		/* "prefix_health" */
	const char	*output_schema;	/* schemas/<output_schema>.avsc */
	const struct bf_option *options;	/* declared settings */
	size_t		 n_options;
	/*
	 * Returns the plugin's state, or NULL with why in err (the host
	 * exits with that message).  settings[i] is options[i] (its name
	 * and value), n_settings n_options.  h stays valid until fini.
	 */
	void	*(*init)(struct bf_host *h, const struct bf_setting *settings,
		    size_t n_settings, char *err, size_t errlen);
	void	 (*on_route)(void *state, const struct bf_route *r);
	void	 (*on_session)(void *state, const struct bf_session_event *e);
	/* Called every tick interval (default 1 s) with the wall clock. */
	void	 (*on_tick)(void *state, int64_t now_us);
	/* Forget every prefix of this bmp.route partition. */
	void	 (*drop_partition)(void *state, int32_t partition);
	void	 (*fini)(void *state);
	/* Optional (NULL: none): re-read input files, on the host's SIGHUP. */
	void	 (*reload)(void *state);
};

/*
 * In the plugin: BMPFLOW_PLUGIN(my_descriptor); exported even from a
 * plugin built with hidden visibility, as its only symbol the host needs.
 */
#define BMPFLOW_PLUGIN(desc)						\
	__attribute__((visibility("default")))				\
	const struct bf_plugin *bmpflow_plugin_descriptor(void);	\
	const struct bf_plugin *bmpflow_plugin_descriptor(void)		\
	{								\
		return &(desc);						\
	}

/*
 * The descriptor, named var, and its export in one, abi and size filled
 * in: BMPFLOW_PLUGIN_DEFINE(my_plugin, .name = "my_plugin", .init = init,
 * ...) with no semicolon after, as BMPFLOW_PLUGIN.
 */
#define BMPFLOW_PLUGIN_DEFINE(var, ...)					\
	static const struct bf_plugin var = {				\
		.abi = BMPFLOW_PLUGIN_ABI,				\
		.size = sizeof(struct bf_plugin),			\
		__VA_ARGS__						\
	};								\
	BMPFLOW_PLUGIN(var)

/*
 * A route's source in a plugin's tables: a session (a number below 2^29,
 * its id or one the plugin derives) and a view as one key, the sources
 * of one session next to each other in key order.
 */
_Static_assert(BF_VIEWS <= 8, "a view takes 3 bits of a source");

static inline uint32_t
bf_src(uint32_t session, enum bf_view view)
{
	return session << 3 | (uint32_t)view;
}

static inline uint32_t
bf_src_session(uint32_t src)
{
	return src >> 3;
}

/* Whether src is session's, in view (BF_VIEWS: any). */
static inline bool
bf_src_of(uint32_t src, uint32_t session, int view)
{
	return bf_src_session(src) == session && (view == BF_VIEWS ||
	    (src & 7) == (uint32_t)view);
}

/* Routes by address family and whether they carry an RD (VPN): 0..3. */
static inline int
bf_route_class(uint8_t family, bool has_rd)
{
	return (family == 6) | (has_rd ? 2 : 0);
}

/* Names of enum bf_view, as the `views` setting spells them. */
static inline const char *
bf_view_name(enum bf_view v)
{
	static const char *const names[BF_VIEWS] = { "adj-in-pre",
	    "adj-in-post", "adj-out-pre", "adj-out-post", "loc-rib" };

	return (unsigned)v < BF_VIEWS ? names[v] : "?";
}

/*
 * ---- Helpers for plugins ----------------------------------------------
 * Small pure functions every plugin needs.  They are static inline, so
 * they are compiled into the plugin and are no part of the ABI above.
 */

#define BF_FNV32_INIT	2166136261u
#define BF_FNV64_INIT	14695981039346656037ULL

/* FNV-1a 32 of n bytes, continuing from h (BF_FNV32_INIT to start). */
static inline uint32_t
bf_fnv32(uint32_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n--)
		h = (h ^ *b++) * 16777619u;
	return h;
}

/*
 * FNV-1a 32 of a string with its terminating NUL, so that chained fields
 * ("ab", "c" and "a", "bc") hash apart; NULL hashes apart from "".
 */
static inline uint32_t
bf_fnv32_str(uint32_t h, const char *s)
{
	if (s == NULL)
		return bf_fnv32(h, "\0\1", 2);
	do			/* one pass: no strlen first */
		h = (h ^ (uint8_t)*s) * 16777619u;
	while (*s++ != '\0');
	return h;
}

/* FNV-1a 64 of n bytes, continuing from h (BF_FNV64_INIT to start). */
static inline uint64_t
bf_fnv64(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n--)
		h = (h ^ *b++) * 1099511628211ULL;
	return h;
}

/*
 * Mixes every bit of x into every bit of the result (the MurmurHash3
 * finalizer), so that a power-of-two table can index by the low bits.
 */
static inline uint64_t
bf_mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

/*
 * parts[0..n) joined by '|' into buf (len > 0 bytes), cut where it is full
 * as snprintf would: a key built for every record, so no snprintf.
 */
static inline char *
bf_join_key(char *buf, size_t len, const char *const *parts, size_t n)
{
	size_t at = 0;

	for (size_t i = 0; i < n; i++) {
		size_t k = strlen(parts[i]);

		if (i > 0 && at < len - 1)
			buf[at++] = '|';
		if (k > len - 1 - at)
			k = len - 1 - at;
		memcpy(buf + at, parts[i], k);
		at += k;
	}
	buf[at] = '\0';
	return buf;
}

/* qsort comparator for uint32_t, ascending. */
static inline int
bf_cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/*
 * A setting's number: the whole of s, in [lo, hi].  0 with *out set, or
 * -1 with *out untouched.
 */
static inline int
bf_parse_num(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

#endif /* BMPFLOW_PLUGIN_H */
