/*
 * bmpflow-processor: runs one plugin on the collector's topics.
 *
 * bmp.route is read in a consumer group (instances share its partitions;
 * routes are keyed by prefix, so a prefix's whole view lands in one);
 * every partition of bmp.peer is read by every instance.  Records pass the
 * peer-epoch rule, then reach the plugin; what it emits goes to
 * <prefix><output schema>.  Offsets are committed only after the outputs
 * they led to were acknowledged: at-least-once.
 *
 * Partitions of bmp.route.  The plugin's state is partitioned like
 * bmp.route (by prefix).  A partition this instance did not hold is read
 * from its start to rebuild that state; outputs about it are suppressed
 * until the group's committed offset is reached, since an earlier
 * instance published them.  A partition kept across a rebalance resumes
 * where processing stopped; one taken away is dropped from the plugin.
 * A restart is the first case for every partition.
 *
 * Ticks and commits.  Plugins may defer work to on_tick (prefix_health
 * evaluates there), so the offsets to commit are taken right after a
 * tick, and committed once every output produced before that tick is
 * acknowledged: outputs carry their generation (the count of such
 * snapshots), and the snapshot waits for its generation to drain, while
 * processing goes on.  A revoke or a stop flushes and commits at once.
 * While a partition replays there are no ticks and no commits: the first
 * tick after it reports the rebuilt state, once.
 *
 * Committed offsets.  What the group has committed is taken from commit
 * results (the offset commit callback, served by rd_kafka_poll() on the
 * consumer for async and sync commits alike), per partition held, and
 * from the group's offsets fetched when a partition is newly held; it is
 * exposed as bmpflow_processor_committed_records, so a test or an
 * operator sees the at-least-once rule at work: processed minus committed
 * is what a restart would publish again.
 */
#include <dlfcn.h>
#include <inttypes.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <uv.h>

#include "core/clock.h"
#include "core/kvfile.h"
#include "core/log.h"
#include "core/metrics_http.h"
#include "core/kafka_io.h"
#include "emit.h"
#include "options.h"
#include "pipeline.h"
#include "plugin_metrics.h"

#define MAX_SETTINGS	128
#define MAX_KAFKA_PROPS	32
#define ROUTE_BATCH	1000
#define COMMIT_MS	1000
#define COMMITTED_TIMEOUT_MS	10000
#define TRIM_RECORDS	100000	/* records in and out that make a burst */
#define TRIM_QUIET_RECORDS	1000	/* or that a quiet tick ends */
#define TRIM_LOG_BYTES	(64u << 20)	/* a trim this large is logged */

static volatile sig_atomic_t stop, reload;

/* One partition of bmp.route, indexed by partition number. */
struct route_part {
	bool		 assigned;
	bool		 held;		/* the plugin has state for it */
	bool		 replaying;	/* below live_from: outputs suppressed */
	int64_t		 live_from;	/* the group's committed offset */
	int64_t		 next;		/* offset after the last processed */
	int64_t		 safe;		/* next at the last tick whose
					 * outputs were all produced */
	int64_t		 committed;	/* the group's, as last reported */
};

struct proc {
	const struct bf_plugin	*plugin;
	void			*state;
	struct bf_host		 host;
	struct bf_pipeline	 pipe;
	rd_kafka_t		*routes;	/* consumer group member */
	rd_kafka_t		*peers;		/* every partition */
	rd_kafka_t		*out;		/* producer */
	char			 out_topic[128];
	char			 route_topic[128];
	rd_kafka_topic_t	*out_rkt;
	struct bf_plugin_metrics metrics;
	const char		(*kafka_props)[2][256];	/* kafka.* settings */
	size_t			 n_kafka_props;
	struct route_part	*parts;
	int32_t			 n_parts;
	uint64_t		 out_records;
	uint64_t		 out_failed, out_suppressed, replayed;
	/* Outputs not acknowledged yet, by generation parity. */
	uint64_t		 gen, inflight[2];
	/* Offsets waiting for generation cut to be acknowledged. */
	bool			 pending;
	uint64_t		 cut;
	int64_t			*pending_next;	/* by partition, 0: none */
	int32_t			 pending_n;
	uint64_t		 rebalances, dropped_parts;
	uint64_t		 trimmed_at;	/* records in + out at the last
						 * trim_after_burst */
	uint64_t		 moved_at_tick;	/* records in + out at the
						 * last tick */
};

/*
 * Records of bmp.route not processed yet, over this instance's partitions.
 * Counted from the offsets processed, not the consumer's position, which
 * is unknown after an assignment until a record arrives.
 */
static int64_t
route_lag(struct proc *p)
{
	int64_t lag = 0;

	for (int32_t i = 0; i < p->n_parts; i++) {
		int64_t lo, hi;

		if (p->parts[i].assigned && rd_kafka_get_watermark_offsets(
		    p->routes, p->route_topic, i, &lo, &hi) ==
		    RD_KAFKA_RESP_ERR_NO_ERROR && hi >= 0)
			lag += hi - (p->parts[i].next > lo ? p->parts[i].next :
			    lo);
	}
	return lag;
}

/* The group's committed offsets, summed over the partitions held. */
static int64_t
committed_records(const struct proc *p)
{
	int64_t n = 0;

	for (int32_t i = 0; i < p->n_parts; i++)
		if (p->parts[i].held)
			n += p->parts[i].committed;
	return n;
}

static int
assigned_parts(const struct proc *p)
{
	int n = 0;

	for (int32_t i = 0; i < p->n_parts; i++)
		n += p->parts[i].assigned;
	return n;
}

#ifdef __GLIBC__
/* Resident memory of this process, bytes; 0 when unknown. */
static size_t
rss_bytes(void)
{
	unsigned long size, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f == NULL)
		return 0;
	if (fscanf(f, "%lu %lu", &size, &resident) != 2)
		resident = 0;
	fclose(f);
	return resident * (size_t)sysconf(_SC_PAGESIZE);
}

/*
 * Give the memory a burst freed back to the system.  glibc keeps freed
 * chunks resident in its arenas: after a full table, the records the
 * consumer prefetched (in librdkafka's threads' arenas), the outputs of
 * the end of a warm-up and records held for a Peer Up left RSS at 2.5
 * times what the plugin held (bench_processor_memory.py, 4M routes: 255
 * -> 98 bytes per route).
 * malloc_trim(0) returns every free page of every arena, but walks their
 * free chunks to do it, so only at a tick that finds nothing left to read
 * (no lag) and every output acknowledged, after TRIM_RECORDS records in
 * and out since the last trim, or fewer when none came since the last
 * tick: a load that the processor kept up with ends there.
 */
static void
trim_after_burst(struct proc *p)
{
	uint64_t moved = p->pipe.records + p->out_records;
	bool quiet = moved == p->moved_at_tick;
	size_t before, after;
	int64_t t0;

	p->moved_at_tick = moved;
	if (moved - p->trimmed_at < (quiet ? TRIM_QUIET_RECORDS :
	    TRIM_RECORDS) || route_lag(p) != 0 ||
	    rd_kafka_outq_len(p->out) != 0)
		return;
	p->trimmed_at = moved;
	before = rss_bytes();
	t0 = bf_now_us();
	malloc_trim(0);
	after = rss_bytes();
	/* Worth a line after a table load, not after every bit of churn. */
	if (before > after + TRIM_LOG_BYTES)
		bf_log(BF_LOG_INFO, "after a burst of records: RSS %zu -> %zu "
		    "MiB (free memory returned in %" PRId64 " ms)",
		    before >> 20, after >> 20, (bf_now_us() - t0) / 1000);
}
#else
/* Other C libraries give memory back on their own terms. */
static void
trim_after_burst(struct proc *p)
{
	(void)p;
}
#endif

static void
metric(FILE *f, const char *name, const char *type, const char *help,
    double v)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n%s %.9g\n", name, help, name,
	    type, name, v);
}

static void
render_metrics(FILE *f, void *arg)
{
	struct proc *p = arg;

	metric(f, "bmpflow_processor_records_in_total", "counter",
	    "Records read (bmp.route and bmp.peer).", (double)p->pipe.records);
	metric(f, "bmpflow_processor_records_out_total", "counter",
	    "Records the plugin emitted.", (double)p->out_records);
	metric(f, "bmpflow_processor_records_stale_total", "counter",
	    "bmp.route and bmp.peer records of session epochs already "
	    "closed (by a Peer Down or a newer epoch), not given to the "
	    "plugin.", (double)p->pipe.sessions.stale);
	metric(f, "bmpflow_processor_records_view_skipped_total", "counter",
	    "bmp.route records of views the views setting does not deliver "
	    "for their router.", (double)p->pipe.sessions.view_skipped);
	metric(f, "bmpflow_processor_records_held", "gauge",
	    "bmp.route records held until their session's Peer Up is read "
	    "(bmp.route and bmp.peer are read apart).",
	    (double)p->pipe.pending_records);
	metric(f, "bmpflow_processor_records_held_total", "counter",
	    "bmp.route records ever held for their session's Peer Up.",
	    (double)p->pipe.held_total);
	metric(f, "bmpflow_processor_peer_up_timeouts_total", "counter",
	    "Sessions whose records went to the plugin without their Peer Up "
	    "after --peer-up-wait-ms.", (double)p->pipe.up_timeouts);
	metric(f, "bmpflow_processor_sessions", "gauge",
	    "BGP sessions (router, peer type, peer address, RD) seen.",
	    (double)p->pipe.sessions.n);
	metric(f, "bmpflow_processor_records_bad_total", "counter",
	    "Undecodable records.", (double)p->pipe.bad);
	metric(f, "bmpflow_processor_output_failures_total", "counter",
	    "Outputs Kafka did not accept.", (double)p->out_failed);
	metric(f, "bmpflow_processor_lag_records", "gauge",
	    "bmp.route records not read yet.", (double)route_lag(p));
	metric(f, "bmpflow_processor_committed_records", "gauge",
	    "bmp.route offsets the group committed, summed over the "
	    "partitions held, as commit results report them: outputs of "
	    "records processed past them are published again by a restart.",
	    (double)committed_records(p));
	metric(f, "bmpflow_processor_plugin_seconds_per_call", "gauge",
	    "Mean plugin time per call.", p->pipe.plugin_calls ?
	    (double)p->pipe.plugin_ns / 1e9 /
	    (double)p->pipe.plugin_calls : 0.0);
	metric(f, "bmpflow_processor_records_replayed_total", "counter",
	    "bmp.route records read again to rebuild the state of a newly "
	    "assigned partition.", (double)p->replayed);
	metric(f, "bmpflow_processor_outputs_suppressed_total", "counter",
	    "Outputs not published because their partition was replaying.",
	    (double)p->out_suppressed);
	metric(f, "bmpflow_processor_partitions_assigned", "gauge",
	    "bmp.route partitions this instance holds.",
	    (double)assigned_parts(p));
	metric(f, "bmpflow_processor_rebalances_total", "counter",
	    "Partition assignments of bmp.route received.",
	    (double)p->rebalances);
	metric(f, "bmpflow_processor_partitions_dropped_total", "counter",
	    "bmp.route partitions taken away, their plugin state dropped.",
	    (double)p->dropped_parts);
	bf_plugin_metrics_render(&p->metrics, f);
}

/* The state of partition n, growing the table; NULL when n is absurd. */
static struct route_part *
route_part(struct proc *p, int32_t n)
{
	if (n < 0 || n >= 1 << 16)
		return NULL;
	if (n >= p->n_parts) {
		int32_t cap = n + 1;
		struct route_part *np = realloc(p->parts,
		    (size_t)cap * sizeof(*np));

		if (np == NULL)
			return NULL;
		memset(np + p->n_parts, 0, (size_t)(cap - p->n_parts) *
		    sizeof(*np));
		p->parts = np;
		p->n_parts = cap;
	}
	return &p->parts[n];
}

static void
usage(FILE *f)
{
	fprintf(f,
"usage: bmpflow-processor --plugin NAME|PATH.so [options]\n"
"\n"
"Runs a bmpflow plugin on bmp.route (consumer group) and bmp.peer (all\n"
"partitions) and publishes what it emits to <topic-prefix><output schema>.\n"
"  --plugin NAME|PATH.so      plugin: a name from %s, or a path\n"
"  --config FILE              'key = value' lines: the keys below without\n"
"                             '--', and 'plugin.KEY = VALUE' settings for\n"
"                             the plugin; flags override the file\n"
"  --brokers LIST             Kafka bootstrap servers\n"
"  --kafka-bootstrap-file F   read them from F (as the collector writes it)\n"
"  --group ID                 consumer group [bmpflow-<plugin>]\n"
"  --topic-prefix P           [bmp.]\n"
"  --output-topic T           [<topic-prefix><output schema>]\n"
"  --tick-ms N                plugin tick interval [1000]\n"
"  --peer-up-wait-ms N        hold a session's records this long for its\n"
"                             Peer Up, read apart on bmp.peer [%d]\n"
"  --schema-dir DIR           [%s]\n"
"  --metrics ADDR:PORT        Prometheus /metrics endpoint [off]\n"
"  --set KEY=VALUE            a plugin setting, repeatable\n"
"  --kafka.PROPERTY VALUE     a librdkafka property for every client\n"
"  --help, --version\n"
"\n"
"A bmp.route partition this instance newly holds (at start, or after a\n"
"rebalance) is read from its start to rebuild the plugin's state; outputs\n"
"are published again only past the group's committed offset.\n"
"The plugin setting 'views' is the host's: which views of each BGP\n"
"session reach the plugin.  'all', or views in order of preference, of\n"
"adj-in-pre, adj-in-post, adj-out-pre, adj-out-post, loc-rib: per session,\n"
"the first listed view it sends; a router's Loc-RIB for what it sends\n"
"no Adj-RIB-In of [" BF_VIEWS_DEFAULT "].\n"
"SIGTERM/SIGINT: stop after the outputs are acknowledged and offsets\n"
"committed.  SIGHUP: the plugin re-reads its input files.\n",
	    BMPFLOW_PLUGIN_DIR, BF_PEER_UP_WAIT_MS, BMPFLOW_SCHEMA_DIR);
}

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		reload = 1;
	else
		stop = 1;
}

static void
on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *arg)
{
	struct proc *p = arg;

	(void)rk;
	p->inflight[(uintptr_t)m->_private & 1]--;
	if (m->err) {
		p->out_failed++;
		bf_log(BF_LOG_ERROR, "output to %s failed: %s", p->out_topic,
		    rd_kafka_err2str(m->err));
	}
}

static void
sink(void *arg, const char *key, int32_t partition, const uint8_t *value,
    size_t len)
{
	struct proc *p = arg;
	rd_kafka_resp_err_t err;

	if (partition >= 0 && partition < p->n_parts &&
	    p->parts[partition].replaying) {
		p->out_suppressed++;
		return;
	}
	err = bf_kafka_produce(p->out, p->out_rkt, p->plugin->output_schema,
	    key, strlen(key), value, len, (void *)(uintptr_t)p->gen, NULL);
	if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
		p->inflight[p->gen & 1]++;
	if (err) {
		p->out_failed++;
		bf_log(BF_LOG_ERROR, "output to %s: %s", p->out_topic,
		    rd_kafka_err2str(err));
		return;
	}
	p->out_records++;
}

/* One bmp.route or bmp.peer record through the pipeline. */
static void
handle(struct proc *p, const rd_kafka_message_t *m)
{
	char err[256];

	if (bf_pipeline_record(&p->pipe, m->payload, m->len, m->partition, err,
	    sizeof(err)) < 0)
		bf_log(BF_LOG_WARN, "%s [%" PRId32 "] offset %" PRId64 ": %s",
		    rd_kafka_topic_name(m->rkt), m->partition, m->offset, err);
}

static const struct bf_plugin *
load_plugin(const char *spec, char *err, size_t errlen)
{
	char path[1024];
	const struct bf_plugin *(*get)(void);
	const struct bf_plugin *pl;
	void *so;

	if (strchr(spec, '/') != NULL)
		snprintf(path, sizeof(path), "%s", spec);
	else
		snprintf(path, sizeof(path), "%s/%s.so", BMPFLOW_PLUGIN_DIR,
		    spec);
	if ((so = dlopen(path, RTLD_NOW | RTLD_GLOBAL)) == NULL) {
		snprintf(err, errlen, "plugin %s: %s", path, dlerror());
		return NULL;
	}
	*(void **)&get = dlsym(so, BMPFLOW_PLUGIN_SYMBOL);
	if (get == NULL || (pl = get()) == NULL) {
		snprintf(err, errlen, "plugin %s: no %s() in it", path,
		    BMPFLOW_PLUGIN_SYMBOL);
		return NULL;
	}
	if (pl->abi != BMPFLOW_PLUGIN_ABI) {
		snprintf(err, errlen, "plugin %s was built for plugin ABI %" PRIu32
		    ", this bmpflow-processor has ABI %d: rebuild it", path,
		    pl->abi, BMPFLOW_PLUGIN_ABI);
		return NULL;
	}
	if (pl->size < sizeof(*pl)) {
		snprintf(err, errlen, "plugin %s: descriptor of %" PRIu32
		    " bytes, ABI %d has %zu: rebuild it", path, pl->size,
		    BMPFLOW_PLUGIN_ABI, sizeof(*pl));
		return NULL;
	}
	if (pl->name == NULL || pl->output_schema == NULL || !pl->init ||
	    !pl->on_route || !pl->on_session || !pl->on_tick ||
	    !pl->drop_partition || !pl->fini) {
		snprintf(err, errlen, "plugin %s: incomplete descriptor", path);
		return NULL;
	}
	return pl;
}

static void	on_rebalance(rd_kafka_t *, rd_kafka_resp_err_t,
		    rd_kafka_topic_partition_list_t *, void *);
static void	on_commit(rd_kafka_t *, rd_kafka_resp_err_t,
		    rd_kafka_topic_partition_list_t *, void *);

static rd_kafka_t *
kafka(rd_kafka_type_t type, const char *brokers, const char *group,
    bool group_member, struct proc *p)
{
	rd_kafka_conf_t *c = rd_kafka_conf_new();
	char why[512];
	rd_kafka_t *rk;

	rd_kafka_conf_set(c, "bootstrap.servers", brokers, NULL, 0);
	if (type == RD_KAFKA_PRODUCER) {
		if (bf_kafka_producer_defaults(c, why, sizeof(why)) < 0) {
			bf_log(BF_LOG_ERROR, "%s", why);
			rd_kafka_conf_destroy(c);
			return NULL;
		}
		/* Alerts wait at most 5 ms to be batched (collector: 10). */
		rd_kafka_conf_set(c, "linger.ms", "5", NULL, 0);
		rd_kafka_conf_set_opaque(c, p);
		rd_kafka_conf_set_dr_msg_cb(c, on_delivery);
	} else {
		rd_kafka_conf_set(c, "group.id", group, NULL, 0);
		rd_kafka_conf_set(c, "enable.auto.commit", "false", NULL, 0);
		rd_kafka_conf_set(c, "auto.offset.reset", "earliest", NULL, 0);
		/*
		 * An idle fetch returns within 10 ms: librdkafka's mock cluster
		 * (the embedded Kafka) holds a fetch for the whole wait even
		 * when records arrive, which would add up to 500 ms to every
		 * alert.  A real broker answers as soon as data is there.
		 */
		rd_kafka_conf_set(c, "fetch.wait.max.ms", "10", NULL, 0);
		if (group_member) {
			/*
			 * Prefetch more than a second of work.  The limits
			 * count the one queue all partitions feed, and once
			 * it is full librdkafka 2.0 looks at it again only a
			 * second later: with the default 100k (or 200k) the
			 * fetcher idled most of each second (bench_processor,
			 * steady: 240k -> 470-530k records/s; peak RSS
			 * 485 -> 665 MiB with the queue held to 128 MiB).
			 */
			rd_kafka_conf_set(c, "queued.min.messages", "500000",
			    NULL, 0);
			rd_kafka_conf_set(c, "queued.max.messages.kbytes",
			    "131072", NULL, 0);
			/* The end of a replaying partition makes it live. */
			rd_kafka_conf_set(c, "enable.partition.eof", "true",
			    NULL, 0);
			rd_kafka_conf_set_opaque(c, p);
			rd_kafka_conf_set_rebalance_cb(c, on_rebalance);
			rd_kafka_conf_set_offset_commit_cb(c, on_commit);
		}
	}
	for (size_t i = 0; i < p->n_kafka_props; i++)
		if (rd_kafka_conf_set(c, p->kafka_props[i][0],
		    p->kafka_props[i][1], why, sizeof(why)) !=
		    RD_KAFKA_CONF_OK) {
			bf_log(BF_LOG_ERROR, "kafka.%s: %s",
			    p->kafka_props[i][0], why);
			rd_kafka_conf_destroy(c);
			return NULL;
		}
	rk = rd_kafka_new(type, c, why, sizeof(why));
	if (rk == NULL) {
		bf_log(BF_LOG_ERROR, "kafka: %s", why);
		rd_kafka_conf_destroy(c);
	}
	return rk;
}

static bool
replaying(const struct proc *p)
{
	for (int32_t i = 0; i < p->n_parts; i++)
		if (p->parts[i].assigned && p->parts[i].replaying)
			return true;
	return false;
}

/*
 * Commit next[partition] for the partitions held (0: nothing read); with
 * next NULL, the offsets of the last tick without deferred outputs.
 */
static void
commit_offsets(struct proc *p, const int64_t *next, int32_t n, bool async)
{
	rd_kafka_topic_partition_list_t *l =
	    rd_kafka_topic_partition_list_new(n > 0 ? n : 1);

	for (int32_t i = 0; i < n && i < p->n_parts; i++) {
		int64_t o = next != NULL ? next[i] : p->parts[i].safe;

		if (p->parts[i].assigned && o > 0)
			rd_kafka_topic_partition_list_add(l, p->route_topic,
			    i)->offset = o;
	}
	if (l->cnt > 0)
		rd_kafka_commit(p->routes, l, async);
	rd_kafka_topic_partition_list_destroy(l);
}

enum commit_mode { COMMIT_NONE, COMMIT_LATER, COMMIT_NOW };

/*
 * A tick; then its offsets are kept to commit once the outputs before
 * it are acknowledged (COMMIT_LATER), or outputs are flushed and offsets
 * committed at once (COMMIT_NOW).  Nothing while a partition replays: its
 * position is below what the group already has, and the plugin's state
 * is not whole yet.  A tick at which the plugin defers outputs moves no
 * offset: commits stay at the last tick without deferred outputs.
 */
static void
tick_commit(struct proc *p, enum commit_mode mode)
{
	if (replaying(p))
		return;
	p->host.deferred = false;
	p->plugin->on_tick(p->state, bf_now_us());
	/* Records held for a Peer Up are not processed yet either. */
	if (!p->host.deferred && p->pipe.pending_records == 0)
		for (int32_t i = 0; i < p->n_parts; i++)
			p->parts[i].safe = p->parts[i].next;
	else if (mode == COMMIT_LATER)
		return;
	if (mode == COMMIT_LATER && !p->pending) {
		int64_t *n = realloc(p->pending_next, (size_t)(p->n_parts > 0 ?
		    p->n_parts : 1) * sizeof(*n));

		if (n == NULL)
			return;
		for (int32_t i = 0; i < p->n_parts; i++)
			n[i] = p->parts[i].safe;
		p->pending_next = n;
		p->pending_n = p->n_parts;
		p->cut = p->gen++;
		p->pending = true;
	} else if (mode == COMMIT_NOW) {
		rd_kafka_flush(p->out, 30000);
		if (rd_kafka_outq_len(p->out) != 0) {
			bf_log(BF_LOG_WARN, "outputs not acknowledged: "
			    "offsets not committed");
			return;
		}
		commit_offsets(p, NULL, p->n_parts, false);
		p->pending = false;
	}
}

/* The kept offsets, once their generation's outputs are acknowledged. */
static void
commit_ready(struct proc *p)
{
	if (!p->pending || p->inflight[p->cut & 1] != 0)
		return;
	/* A lost output must be derived again: commit nothing more. */
	if (p->out_failed != 0)
		return;
	commit_offsets(p, p->pending_next, p->pending_n, true);
	p->pending = false;
}

/*
 * A new assignment (the eager protocol revokes everything first): drop
 * the partitions that went elsewhere, resume the kept ones where they
 * stopped, rebuild the new ones from their start.
 */
static void
assign(struct proc *p, rd_kafka_topic_partition_list_t *parts)
{
	p->rebalances++;
	for (int32_t i = 0; i < p->n_parts; i++) {
		bool keep = false;

		for (int j = 0; j < parts->cnt; j++)
			keep |= parts->elems[j].partition == i;
		if (p->parts[i].held && !keep) {
			bf_pipeline_drop_partition(&p->pipe, i);
			p->plugin->drop_partition(p->state, i);
			p->dropped_parts++;
			bf_log(BF_LOG_INFO, "%s [%" PRId32 "] went to another "
			    "instance: its state dropped", p->route_topic, i);
			memset(&p->parts[i], 0, sizeof(p->parts[i]));
		}
	}
	if (rd_kafka_committed(p->routes, parts, COMMITTED_TIMEOUT_MS) !=
	    RD_KAFKA_RESP_ERR_NO_ERROR)
		bf_log(BF_LOG_WARN, "%s: committed offsets unknown: outputs of "
		    "replayed records will be published again", p->route_topic);
	for (int j = 0; j < parts->cnt; j++) {
		rd_kafka_topic_partition_t *e = &parts->elems[j];
		struct route_part *rp = route_part(p, e->partition);

		if (rp == NULL)
			continue;
		rp->assigned = true;
		if (rp->held) {
			e->offset = rp->next;
			continue;
		}
		rp->held = true;
		rp->live_from = e->err == RD_KAFKA_RESP_ERR_NO_ERROR &&
		    e->offset > 0 ? e->offset : 0;
		rp->committed = rp->live_from;
		rp->replaying = rp->live_from > 0;
		rp->next = 0;
		e->offset = RD_KAFKA_OFFSET_BEGINNING;
		if (rp->replaying)
			bf_log(BF_LOG_INFO, "%s [%" PRId32 "]: rebuilding state "
			    "from its start; live from offset %" PRId64,
			    p->route_topic, e->partition, rp->live_from);
	}
	rd_kafka_assign(p->routes, parts);
}

static void
on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
    rd_kafka_topic_partition_list_t *parts, void *opaque)
{
	struct proc *p = opaque;

	if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
		assign(p, parts);
		return;
	}
	/* Revoked: commit what was processed; state waits for the next
	 * assignment, which may give the partitions back. */
	tick_commit(p, COMMIT_NOW);
	for (int32_t i = 0; i < p->n_parts; i++)
		p->parts[i].assigned = false;
	rd_kafka_assign(rk, NULL);
}

/*
 * The result of a commit: the offsets the group now has, kept for the
 * partitions still held (a partition dropped since keeps nothing).  A
 * failed commit changes nothing; the next one carries the same or later
 * offsets.
 */
static void
on_commit(rd_kafka_t *rk, rd_kafka_resp_err_t err,
    rd_kafka_topic_partition_list_t *offsets, void *opaque)
{
	struct proc *p = opaque;

	(void)rk;
	if (err == RD_KAFKA_RESP_ERR__NO_OFFSET || offsets == NULL)
		return;		/* nothing was to be committed */
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		bf_log(BF_LOG_WARN, "%s: offset commit failed: %s",
		    p->route_topic, rd_kafka_err2str(err));
		return;
	}
	for (int i = 0; i < offsets->cnt; i++) {
		const rd_kafka_topic_partition_t *e = &offsets->elems[i];

		if (e->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
			bf_log(BF_LOG_WARN, "%s [%" PRId32 "]: offset commit "
			    "failed: %s", e->topic, e->partition,
			    rd_kafka_err2str(e->err));
			continue;
		}
		if (strcmp(e->topic, p->route_topic) != 0 || e->offset < 0 ||
		    e->partition < 0 || e->partition >= p->n_parts ||
		    !p->parts[e->partition].held)
			continue;
		p->parts[e->partition].committed = e->offset;
	}
}

/* A replaying partition goes live once next_unprocessed reaches live_from. */
static void
replay_check(struct proc *p, struct route_part *rp, int32_t partition,
    int64_t next_unprocessed)
{
	if (!rp->replaying || next_unprocessed < rp->live_from)
		return;
	rp->replaying = false;
	bf_log(BF_LOG_INFO, "%s [%" PRId32 "]: state rebuilt, live at offset "
	    "%" PRId64, p->route_topic, partition, rp->live_from);
}

/* The end of a partition: nothing more to replay there. */
static void
route_eof(struct proc *p, const rd_kafka_message_t *m)
{
	struct route_part *rp = route_part(p, m->partition);

	if (rp != NULL)
		replay_check(p, rp, m->partition, INT64_MAX);
}

/* One bmp.route record, with the replay bookkeeping around it. */
static void
handle_route(struct proc *p, const rd_kafka_message_t *m)
{
	struct route_part *rp = route_part(p, m->partition);

	if (rp == NULL) {
		handle(p, m);
		return;
	}
	replay_check(p, rp, m->partition, m->offset);
	if (rp->replaying)
		p->replayed++;
	handle(p, m);
	rp->next = m->offset + 1;
	replay_check(p, rp, m->partition, rp->next);
}

/* Settings from --config and the command line; flags come last and win. */
struct opts {
	char			 plugin[512];
	char			 brokers[1024];
	char			 group[256];
	char			 prefix[64];
	char			 out_topic[128];
	char			 schema_dir[512];
	char			 metrics[128];
	int			 tick_ms;
	int			 peer_up_wait_ms;
	struct bf_setting	 settings[MAX_SETTINGS];
	char			 setbuf[MAX_SETTINGS][2][256];
	size_t			 n_set;
	char			 kafka[MAX_KAFKA_PROPS][2][256];
	size_t			 n_kafka;
	char			 views[256];	/* host's plugin setting */
};

static int
copy_opt(char *dst, size_t len, const char *v, char *err, size_t errlen)
{
	if ((size_t)snprintf(dst, len, "%s", v) >= len) {
		snprintf(err, errlen, "value too long");
		return -1;
	}
	return 0;
}

/* A plugin setting; a repeated key replaces the earlier value. */
static int
plugin_setting(struct opts *o, const char *key, const char *value, char *err,
    size_t errlen)
{
	size_t i;

	for (i = 0; i < o->n_set; i++)
		if (strcmp(o->setbuf[i][0], key) == 0)
			break;
	if (i == MAX_SETTINGS) {
		snprintf(err, errlen, "more than %d plugin settings",
		    MAX_SETTINGS);
		return -1;
	}
	if (copy_opt(o->setbuf[i][0], 256, key, err, errlen) < 0 ||
	    copy_opt(o->setbuf[i][1], 256, value, err, errlen) < 0)
		return -1;
	o->settings[i].key = o->setbuf[i][0];
	o->settings[i].value = o->setbuf[i][1];
	if (i == o->n_set)
		o->n_set++;
	return 0;
}

/* The host's own plugin setting, views, taken out of the plugin's. */
static const char *
take_views(struct opts *o)
{
	for (size_t i = 0; i < o->n_set; i++) {
		if (strcmp(o->settings[i].key, "views") != 0)
			continue;
		snprintf(o->views, sizeof(o->views), "%s",
		    o->settings[i].value);
		o->n_set--;
		memmove(&o->settings[i], &o->settings[i + 1],
		    (o->n_set - i) * sizeof(o->settings[0]));
		break;
	}
	return o->views;
}

/* Milliseconds in [lo, 3600000] for option key. */
static int
parse_ms(const char *key, const char *v, long lo, int *out, char *err,
    size_t errlen)
{
	char *end;
	long n = strtol(v, &end, 10);

	if (*v == '\0' || *end != '\0' || n < lo || n > 3600000) {
		snprintf(err, errlen, "%s '%s': expected %ld..3600000", key, v,
		    lo);
		return -1;
	}
	*out = (int)n;
	return 0;
}

static int
set_opt(void *arg, const char *key, const char *v, char *err, size_t errlen)
{
	struct opts *o = arg;

	if (!strcmp(key, "plugin"))
		return copy_opt(o->plugin, sizeof(o->plugin), v, err, errlen);
	if (!strcmp(key, "brokers"))
		return copy_opt(o->brokers, sizeof(o->brokers), v, err, errlen);
	if (!strcmp(key, "kafka-bootstrap-file")) {
		if (bf_bootstrap_read(v, o->brokers, sizeof(o->brokers)) < 0) {
			snprintf(err, errlen, "%s: no bootstrap address in it "
			    "(is the collector running?)", v);
			return -1;
		}
		return 0;
	}
	if (!strcmp(key, "group"))
		return copy_opt(o->group, sizeof(o->group), v, err, errlen);
	if (!strcmp(key, "topic-prefix"))
		return copy_opt(o->prefix, sizeof(o->prefix), v, err, errlen);
	if (!strcmp(key, "output-topic"))
		return copy_opt(o->out_topic, sizeof(o->out_topic), v, err,
		    errlen);
	if (!strcmp(key, "schema-dir"))
		return copy_opt(o->schema_dir, sizeof(o->schema_dir), v, err,
		    errlen);
	if (!strcmp(key, "metrics"))
		return copy_opt(o->metrics, sizeof(o->metrics), v, err, errlen);
	if (!strcmp(key, "tick-ms"))
		return parse_ms(key, v, 10, &o->tick_ms, err, errlen);
	if (!strcmp(key, "peer-up-wait-ms"))
		return parse_ms(key, v, 0, &o->peer_up_wait_ms, err, errlen);
	if (!strncmp(key, "plugin.", 7) && key[7] != '\0')
		return plugin_setting(o, key + 7, v, err, errlen);
	if (!strncmp(key, "kafka.", 6) && key[6] != '\0') {
		if (o->n_kafka == MAX_KAFKA_PROPS) {
			snprintf(err, errlen, "more than %d kafka.* settings",
			    MAX_KAFKA_PROPS);
			return -1;
		}
		if (copy_opt(o->kafka[o->n_kafka][0], 256, key + 6, err,
		    errlen) < 0 || copy_opt(o->kafka[o->n_kafka][1], 256, v,
		    err, errlen) < 0)
			return -1;
		o->n_kafka++;
		return 0;
	}
	if (!strcmp(key, "set")) {
		const char *eq = strchr(v, '=');
		char k[256];

		if (eq == NULL || eq == v || (size_t)(eq - v) >= sizeof(k)) {
			snprintf(err, errlen, "set '%s': expected KEY=VALUE", v);
			return -1;
		}
		snprintf(k, sizeof(k), "%.*s", (int)(eq - v), v);
		return plugin_setting(o, k, eq + 1, err, errlen);
	}
	snprintf(err, errlen, "unknown setting '%s'", key);
	return -1;
}

int
main(int argc, char **argv)
{
	static struct opts o = {
		.prefix = "bmp.", .schema_dir = BMPFLOW_SCHEMA_DIR,
		.tick_ms = 1000, .views = BF_VIEWS_DEFAULT,
		.peer_up_wait_ms = BF_PEER_UP_WAIT_MS,
	};
	static struct proc p;
	struct bf_metrics_http http;
	uv_loop_t loop;
	char topic[320], err[2048];
	int64_t last_tick, last_commit;
	rd_kafka_message_t *batch[ROUTE_BATCH];
	rd_kafka_queue_t *route_q;
	ssize_t n;
	bool help = false;

	/* The config file first, wherever --config is: flags win. */
	for (int i = 1; i + 1 < argc; i++)
		if (!strcmp(argv[i], "--config") &&
		    bf_kvfile_load(argv[i + 1], set_opt, &o, err,
		    sizeof(err)) < 0) {
			fprintf(stderr, "bmpflow-processor: %s\n", err);
			return 2;
		}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			help = true;
			continue;
		}
		if (!strcmp(a, "--version")) {
			printf("bmpflow-processor %s (plugin ABI %d)\n",
			    BMPFLOW_VERSION, BMPFLOW_PLUGIN_ABI);
			return 0;
		}
		if (strncmp(a, "--", 2) != 0) {
			fprintf(stderr, "bmpflow-processor: unexpected "
			    "argument %s\n", a);
			usage(stderr);
			return 2;
		}
		if (v == NULL) {
			fprintf(stderr, "bmpflow-processor: %s: missing value\n",
			    a);
			return 2;
		}
		i++;
		if (!strcmp(a, "--config"))
			continue;
		if (set_opt(&o, a + 2, v, err, sizeof(err)) < 0) {
			fprintf(stderr, "bmpflow-processor: %s: %s\n", a, err);
			usage(stderr);
			return 2;
		}
	}
	if (help) {
		usage(stdout);
		if (o.plugin[0] == '\0')
			printf("\nWith --plugin, --help lists the plugin's "
			    "settings too.\n");
		else if ((p.plugin = load_plugin(o.plugin, err,
		    sizeof(err))) != NULL)
			bf_options_usage(p.plugin, stdout);
		else
			fprintf(stderr, "bmpflow-processor: %s\n", err);
		return p.plugin != NULL || o.plugin[0] == '\0' ? 0 : 2;
	}
	if (o.plugin[0] == '\0' || o.brokers[0] == '\0') {
		fprintf(stderr, "bmpflow-processor: need --plugin and --brokers "
		    "or --kafka-bootstrap-file\n");
		return 2;
	}
	if ((p.plugin = load_plugin(o.plugin, err, sizeof(err))) == NULL) {
		fprintf(stderr, "bmpflow-processor: %s\n", err);
		return 2;
	}
	if (o.group[0] == '\0')
		snprintf(o.group, sizeof(o.group), "bmpflow-%s", p.plugin->name);
	if (o.out_topic[0] != '\0')
		snprintf(p.out_topic, sizeof(p.out_topic), "%s", o.out_topic);
	else
		snprintf(p.out_topic, sizeof(p.out_topic), "%s%s", o.prefix,
		    p.plugin->output_schema);
	snprintf(p.route_topic, sizeof(p.route_topic), "%sroute", o.prefix);
	bf_plugin_metrics_init(&p.metrics, p.plugin->name);
	if (bf_pipeline_init(&p.pipe, p.plugin, o.schema_dir, take_views(&o),
	    err, sizeof(err)) < 0 || bf_host_init(&p.host, o.schema_dir,
	    p.plugin->output_schema, sink, &p, err, sizeof(err)) < 0) {
		fprintf(stderr, "bmpflow-processor: %s\n", err);
		return 1;
	}
	p.host.metrics = &p.metrics;
	p.pipe.peer_up_wait_us = (int64_t)o.peer_up_wait_ms * 1000;
	/* Settings are checked before anything connects anywhere. */
	p.state = bf_plugin_start(p.plugin, &p.host, o.settings, o.n_set, err,
	    sizeof(err));
	p.pipe.state = p.state;
	if (p.state == NULL) {
		fprintf(stderr, "bmpflow-processor: plugin %s: %s\n",
		    p.plugin->name, err);
		return 2;
	}
	p.kafka_props = (const char (*)[2][256])o.kafka;
	p.n_kafka_props = o.n_kafka;
	p.out = kafka(RD_KAFKA_PRODUCER, o.brokers, o.group, false, &p);
	p.routes = kafka(RD_KAFKA_CONSUMER, o.brokers, o.group, true, &p);
	snprintf(topic, sizeof(topic), "%speer-%d", o.group, (int)getpid());
	p.peers = kafka(RD_KAFKA_CONSUMER, o.brokers, topic, false, &p);
	if (p.out == NULL || p.routes == NULL || p.peers == NULL ||
	    (p.out_rkt = rd_kafka_topic_new(p.out, p.out_topic, NULL)) == NULL)
		return 1;
	snprintf(topic, sizeof(topic), "%speer", o.prefix);
	if (bf_kafka_assign_all(p.peers, topic, RD_KAFKA_OFFSET_BEGINNING, err,
	    sizeof(err)) < 0) {
		bf_log(BF_LOG_ERROR, "%s at %s", err, o.brokers);
		return 1;
	}
	{
		rd_kafka_topic_partition_list_t *sub =
		    rd_kafka_topic_partition_list_new(1);

		rd_kafka_topic_partition_list_add(sub, p.route_topic,
		    RD_KAFKA_PARTITION_UA);
		rd_kafka_subscribe(p.routes, sub);
		rd_kafka_topic_partition_list_destroy(sub);
	}
	uv_loop_init(&loop);
	if (o.metrics[0] != '\0') {
		int rc = bf_metrics_http_start(&http, &loop, o.metrics,
		    render_metrics, &p);

		if (rc != 0) {
			fprintf(stderr, "bmpflow-processor: metrics %s: %s\n",
			    o.metrics, uv_strerror(rc));
			return 2;
		}
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	bf_log(BF_LOG_INFO, "plugin %s on %s, group %s, output %s",
	    p.plugin->name, o.brokers, o.group, p.out_topic);
	last_tick = last_commit = bf_now_us();
	route_q = rd_kafka_queue_get_consumer(p.routes);
	while (!stop) {
		rd_kafka_message_t *m;
		int64_t t;

		/* Peer events first: they open and close epochs. */
		while ((m = rd_kafka_consumer_poll(p.peers, 0)) != NULL) {
			if (!m->err)
				handle(&p, m);
			rd_kafka_message_destroy(m);
		}
		/* In batches: one queue operation per 1,000 records. */
		n = rd_kafka_consume_batch_queue(route_q, 50, batch,
		    ROUTE_BATCH);
		for (ssize_t i = 0; i < n; i++) {
			m = batch[i];
			if (!m->err)
				handle_route(&p, m);
			else if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
				route_eof(&p, m);
			else
				bf_log(BF_LOG_WARN, "%s",
				    rd_kafka_message_errstr(m));
			rd_kafka_message_destroy(m);
		}
		bf_pipeline_poll(&p.pipe, bf_now_us());
		rd_kafka_poll(p.out, 0);
		rd_kafka_poll(p.routes, 0);	/* commit results */
		uv_run(&loop, UV_RUN_NOWAIT);	/* serve /metrics */
		if (reload) {
			reload = 0;
			if (p.plugin->reload != NULL) {
				bf_log(BF_LOG_INFO, "SIGHUP: plugin %s reloads "
				    "its inputs", p.plugin->name);
				p.plugin->reload(p.state);
			}
		}
		t = bf_now_us();
		if (t - last_tick >= (int64_t)o.tick_ms * 1000) {
			bool c = t - last_commit >= COMMIT_MS * 1000;

			tick_commit(&p, c ? COMMIT_LATER : COMMIT_NONE);
			trim_after_burst(&p);
			last_tick = t;
			if (c)
				last_commit = t;
		}
		commit_ready(&p);
	}
	bf_log(BF_LOG_INFO, "stopping: %" PRIu64 " records in, %" PRIu64
	    " out, %" PRIu64 " undecodable, %" PRIu64 " stale by epoch",
	    p.pipe.records, p.out_records, p.pipe.bad, p.pipe.sessions.stale);
	rd_kafka_queue_destroy(route_q);
	tick_commit(&p, COMMIT_NOW);
	/* Closing revokes the partitions: that commits, through the plugin. */
	rd_kafka_consumer_close(p.routes);
	rd_kafka_consumer_close(p.peers);
	p.plugin->fini(p.state);
	rd_kafka_destroy(p.routes);
	rd_kafka_destroy(p.peers);
	rd_kafka_topic_destroy(p.out_rkt);
	rd_kafka_destroy(p.out);
	if (o.metrics[0] != '\0') {
		bf_metrics_http_stop(&http);
		uv_run(&loop, UV_RUN_DEFAULT);
	}
	uv_loop_close(&loop);
	bf_host_free(&p.host);
	bf_plugin_metrics_free(&p.metrics);
	free(p.parts);
	bf_pipeline_free(&p.pipe);
	free(p.pending_next);
	return p.out_failed ? 1 : 0;
}
