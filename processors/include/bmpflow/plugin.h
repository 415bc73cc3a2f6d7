/*
 * bmpflow/plugin.h: the one header a bmpflow processor plugin includes.
 *
 * A plugin is a shared object exporting BMPFLOW_PLUGIN_SYMBOL, a function
 * returning its descriptor.  The host (bmpflow-processor) owns Kafka, Avro,
 * offsets, rebalances, metrics and the peer-epoch rule; the plugin sees
 * plain C structs, one thread, one call at a time, and emits output
 * records field by field through the host.
 *
 * Peer epochs, as the host applies them before calling the plugin:
 *  - on_peer(up) starts a peer's new epoch: drop whatever the plugin kept
 *    for that (router, peer) and start afresh;
 *  - on_peer(down) ends it: drop that peer's routes;
 *  - on_route is only called for the current, open epoch of its peer;
 *    late records of closed epochs never reach the plugin.
 * A route of a newer epoch than the last Peer Up seen (bmp.peer and
 * bmp.route are not ordered with each other) is preceded by an on_peer(up)
 * the host makes for it.
 *
 * Partitions.  bmp.route is keyed by prefix, so all of a prefix's routes
 * come from one partition (bf_route.partition).  When the consumer group
 * takes a partition away, the host calls drop_partition: the plugin drops
 * whatever it keeps for prefixes of that partition.  A partition the
 * instance is given is read from its start to rebuild that state; outputs
 * the plugin emits while the host replays records it already processed
 * before (below the group's committed offset) are not published again.
 *
 * Pointers in the structs are valid during the call only.
 */
#ifndef BMPFLOW_PLUGIN_H
#define BMPFLOW_PLUGIN_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Bumped whenever a struct or callback below changes incompatibly. */
#define BMPFLOW_PLUGIN_ABI	2
#define BMPFLOW_PLUGIN_SYMBOL	"bmpflow_plugin_descriptor"

enum bf_plugin_rib {
	BF_PLUGIN_ADJ_RIB_IN,
	BF_PLUGIN_ADJ_RIB_OUT,
	BF_PLUGIN_LOC_RIB,
};

/* The monitored BGP session: one (router, peer) of a BMP feed. */
struct bf_peer_id {
	const char		*router;	/* router address */
	const char		*peer;		/* peer address, "" for Loc-RIB */
	const char		*peer_rd;	/* NULL when none */
	uint32_t		 peer_as;
	enum bf_plugin_rib	 rib;
	bool			 post_policy;
};

struct bf_large_community {
	uint32_t	global, local1, local2;
};

struct bf_route {
	struct bf_peer_id	 peer;
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
	uint32_t		 as_path_len;	/* BGP length: a set counts 1 */
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

struct bf_peer_event {
	struct bf_peer_id	 peer;
	uint64_t		 epoch;
	bool			 up;
	const char		*down_reason;	/* NULL for up */
	/*
	 * BGP Role capabilities (RFC 9234) of the Peer Up's OPENs: "provider",
	 * "rs", "rs_client", "customer" or "peer"; NULL when not sent (and
	 * always on downs).  local_role is the monitored router's own (its
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

struct bf_host;		/* opaque: the plugin's handle on its host */

/*
 * Output records, one at a time: begin with the Kafka key and the
 * bmp.route partition of the prefix the record is about (bf_route.partition,
 * or -1 for none), set fields of the plugin's output schema by name, end.
 * Records of a partition the host is replaying are not published again.
 * A field not set is null (["null", T] fields), empty (strings, arrays) or
 * zero.  Each returns 0, or -1 when the field does not exist or has
 * another type (the host logs it; the record is dropped at end).
 */
int	bf_emit_begin(struct bf_host *h, const char *key, int32_t partition);
int	bf_emit_str(struct bf_host *h, const char *field, const char *v);
int	bf_emit_long(struct bf_host *h, const char *field, int64_t v);
int	bf_emit_double(struct bf_host *h, const char *field, double v);
int	bf_emit_bool(struct bf_host *h, const char *field, bool v);
int	bf_emit_null(struct bf_host *h, const char *field);
int	bf_emit_long_array(struct bf_host *h, const char *field,
	    const int64_t *v, size_t n);
int	bf_emit_str_array(struct bf_host *h, const char *field,
	    const char *const *v, size_t n);
int	bf_emit_end(struct bf_host *h);

/*
 * Metrics, served by the host on its /metrics endpoint as
 * bmpflow_<plugin name>_<name>.  Declare each in init; the returned id
 * (>= 0, or -1 for a bad name or type) is then used with one label set,
 * the Prometheus label text without braces (`state="healthy"`, or NULL
 * for none).  Up to 64 label sets per metric.  Histograms take their
 * upper bucket bounds (ascending, +Inf is implicit) at declaration.
 */
enum bf_metric_type {
	BF_METRIC_COUNTER,
	BF_METRIC_GAUGE,
	BF_METRIC_HISTOGRAM,
};

int	bf_metric_declare(struct bf_host *h, const char *name,
	    enum bf_metric_type type, const char *help,
	    const double *buckets, size_t n_buckets);
void	bf_metric_set(struct bf_host *h, int id, const char *labels, double v);
void	bf_metric_add(struct bf_host *h, int id, const char *labels, double v);
void	bf_metric_observe(struct bf_host *h, int id, const char *labels,
	    double v);

/* Log through the host: level 0 error .. 3 debug. */
void	bf_plugin_log(struct bf_host *h, int level, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/*
 * The host's wall clock in microseconds since the epoch: the clock of
 * collector_time_us and of on_tick's now_us.
 */
int64_t	bf_now_us(void);

/*
 * From on_tick: records already given to the plugin will lead to outputs
 * only at a later tick (a warm-up holds them back).  The host commits no
 * offset past the last tick without this call, so a crash cannot skip
 * outputs that were never produced.
 */
void	bf_outputs_deferred(struct bf_host *h);

struct bf_plugin {
	uint32_t	 abi;		/* BMPFLOW_PLUGIN_ABI at build time */
	const char	*name;		/* "prefix_health" */
	const char	*output_schema;	/* schemas/<output_schema>.avsc */
	/*
	 * Returns the plugin's state, or NULL with why in err (the host
	 * exits with that message).
	 */
	void	*(*init)(struct bf_host *h, const struct bf_setting *settings,
		    size_t n_settings, char *err, size_t errlen);
	void	 (*on_route)(void *state, const struct bf_route *r);
	void	 (*on_peer)(void *state, const struct bf_peer_event *e);
	/* Called every tick interval (default 1 s) with the wall clock. */
	void	 (*on_tick)(void *state, int64_t now_us);
	/* Forget every prefix of this bmp.route partition. */
	void	 (*drop_partition)(void *state, int32_t partition);
	void	 (*fini)(void *state);
	/* Optional (NULL: none): re-read input files, on the host's SIGHUP. */
	void	 (*reload)(void *state);
};

/* In the plugin: BMPFLOW_PLUGIN(my_descriptor); */
#define BMPFLOW_PLUGIN(desc)						\
	const struct bf_plugin *bmpflow_plugin_descriptor(void);	\
	const struct bf_plugin *bmpflow_plugin_descriptor(void)		\
	{								\
		return &(desc);						\
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
