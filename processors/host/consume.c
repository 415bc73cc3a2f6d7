/* SPDX-License-Identifier: Apache-2.0 */
/*
 * consume.c: bmpflow-processor's Kafka side: its clients, the consume
 * loop, the partitions of bmp.route it holds, ticks and offset commits.
 *
 * bmp.route is read in a consumer group (instances share its partitions;
 * routes are keyed by prefix, so a prefix's whole view lands in one);
 * every partition of bmp.peer is read by every instance.  Records pass the
 * peer-epoch rule, then reach the plugin; what it emits goes to
 * <prefix><output schema>.  Offsets are committed only after the outputs
 * they led to were acknowledged: at-least-once.
 *
 * Partitions of bmp.route.  The plugin's state is partitioned like
 * bmp.route (by prefix).  A partition this instance did not hold is
 * rebuilt from bmp.route.state, then read on from bmp.route
 * (bootstrap.c); without that topic it is read from its start.  Outputs
 * about it are suppressed until the group's committed offset is reached,
 * since an earlier instance published them.  A partition kept across a rebalance resumes
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
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/kafka_io.h"
#include "proc.h"

#define ROUTE_BATCH	1000
#define COMMIT_MS	1000
#define COMMITTED_TIMEOUT_MS	10000

static volatile sig_atomic_t stop, reload;

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
on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *arg)
{
	struct proc *p = arg;

	(void)rk;
	p->inflight[(uintptr_t)m->_private & 1]--;
	if (m->err) {
		p->out_failed++;
		bf_log_limited(BF_LOG_ERROR, "output failure", p->out_topic,
		    "output to %s failed: %s", p->out_topic,
		    rd_kafka_err2str(m->err));
	}
}

void
proc_sink(void *arg, const char *key, int32_t partition, const uint8_t *value,
    size_t len)
{
	struct proc *p = arg;
	rd_kafka_resp_err_t err;

	if (partition >= 0 && partition < p->n_parts &&
	    p->parts[partition].replaying) {
		p->out_suppressed++;
		return;
	}
	/*
	 * A full librdkafka queue: wait for it to drain, serving /metrics
	 * and seeing signals (a stop gives up; out_failed then holds the
	 * offsets back, so the input is read again after a restart).
	 */
	while ((err = bf_kafka_produce(p->out, p->out_rkt,
	    p->plugin->output_schema, key, strlen(key), value, len,
	    (void *)(uintptr_t)p->gen)) == RD_KAFKA_RESP_ERR__QUEUE_FULL &&
	    !stop) {
		p->out_queue_full++;
		rd_kafka_poll(p->out, 10);
		if (p->loop != NULL)
			uv_run(p->loop, UV_RUN_NOWAIT);
	}
	if (err) {
		p->out_failed++;
		bf_log_limited(BF_LOG_ERROR, "output failure", p->out_topic,
		    "output to %s: %s", p->out_topic, rd_kafka_err2str(err));
		return;
	}
	p->inflight[p->gen & 1]++;
	p->out_records++;
}

void
proc_handle(struct proc *p, const rd_kafka_message_t *m)
{
	char err[256], where[160];

	if (bf_pipeline_record(&p->pipe, m->payload, m->len, m->partition, err,
	    sizeof(err)) < 0) {
		/* A producer writing garbage must not flood the log. */
		snprintf(where, sizeof(where), "%s [%" PRId32 "]",
		    rd_kafka_topic_name(m->rkt), m->partition);
		bf_log_limited(BF_LOG_WARN, "bad record", where,
		    "%s offset %" PRId64 ": %s", where, m->offset, err);
	}
}

static void	on_rebalance(rd_kafka_t *, rd_kafka_resp_err_t,
		    rd_kafka_topic_partition_list_t *, void *);
static void	on_commit(rd_kafka_t *, rd_kafka_resp_err_t,
		    rd_kafka_topic_partition_list_t *, void *);

/* The settings of each client role; the user's kafka.* override them. */
static int
role_conf(rd_kafka_conf_t *c, rd_kafka_type_t type, const char *group,
    bool group_member, char *why, size_t whylen)
{
	/*
	 * Alerts wait at most 5 ms to be batched (collector: 10).  Outputs
	 * queue up to 100k or 32 MiB (librdkafka's own message default),
	 * then proc_sink waits for acknowledgements: the first tick after a
	 * table load emits one output per prefix at once, and with the
	 * collector's bounds (2M, 1 GiB) those alone set the peak RSS.
	 */
	static const char *const producer[][2] = {
		{ "linger.ms", "5" },
		{ "queue.buffering.max.messages", "100000" },
		{ "queue.buffering.max.kbytes", "32768" },
	};
	/*
	 * An idle fetch returns within 10 ms: librdkafka's mock cluster
	 * (the embedded Kafka) holds a fetch for the whole wait even when
	 * records arrive, which would add up to 500 ms to every alert.  A
	 * real broker answers as soon as data is there.
	 */
	const char *const consumer[][2] = {
		{ "group.id", group },
		{ "enable.auto.commit", "false" },
		{ "auto.offset.reset", "earliest" },
		{ "fetch.wait.max.ms", "10" },
	};
	/*
	 * Prefetch more than a second of work.  The limits count the one
	 * queue all partitions feed, and once it is full librdkafka 2.0
	 * looks at it again only a second later: with the default 100k (or
	 * 200k) the fetcher idled most of each second, at half the
	 * records/s (bench_processor.py shows it); the queue's memory is
	 * held to 128 MiB.  The end of a replaying partition makes it live.
	 */
	static const char *const member[][2] = {
		{ "queued.min.messages", "500000" },
		{ "queued.max.messages.kbytes", "131072" },
		{ "enable.partition.eof", "true" },
	};

#define N(a)	(sizeof(a) / sizeof((a)[0]))
	if (type == RD_KAFKA_PRODUCER)
		return bf_kafka_producer_defaults(c, why, whylen) < 0 ? -1 :
		    bf_kafka_conf_set_all(c, producer, N(producer), why,
		    whylen);
	if (bf_kafka_conf_set_all(c, consumer, N(consumer), why, whylen) < 0)
		return -1;
	return group_member ? bf_kafka_conf_set_all(c, member, N(member), why,
	    whylen) : 0;
#undef N
}

static rd_kafka_t *
kafka(rd_kafka_type_t type, const char *brokers, const char *group,
    bool group_member, struct proc *p)
{
	rd_kafka_conf_t *c = rd_kafka_conf_new();
	char why[512];
	rd_kafka_t *rk;

	if (role_conf(c, type, group, group_member, why, sizeof(why)) < 0) {
		bf_log(BF_LOG_ERROR, "%s", why);
		rd_kafka_conf_destroy(c);
		return NULL;
	}
	if (type == RD_KAFKA_PRODUCER) {
		rd_kafka_conf_set_opaque(c, p);
		rd_kafka_conf_set_dr_msg_cb(c, on_delivery);
	} else if (group_member) {
		rd_kafka_conf_set_opaque(c, p);
		rd_kafka_conf_set_rebalance_cb(c, on_rebalance);
		rd_kafka_conf_set_offset_commit_cb(c, on_commit);
	}
	rk = bf_kafka_new(type, c, brokers, &p->opts->kafka, why, sizeof(why));
	if (rk == NULL)
		bf_log(BF_LOG_ERROR, "%s", why);
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
	p->ticks++;
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
	bool state = false;

	for (int j = 0; j < parts->cnt && !state; j++) {
		int32_t i = parts->elems[j].partition;

		state = i >= p->n_parts || !p->parts[i].held;
	}
	state = state && proc_bootstrap_prepare(p);
	if (rd_kafka_committed(p->routes, parts, COMMITTED_TIMEOUT_MS) !=
	    RD_KAFKA_RESP_ERR_NO_ERROR)
		bf_log(BF_LOG_WARN, "%s: committed offsets unknown: outputs of "
		    "replayed records will be published again", p->route_topic);
	/*
	 * Partitions new here: fresh[j] set, ->offset the group's committed
	 * (0: none) for proc_bootstrap.  Without memory for fresh, all are
	 * read from bmp.route's start.
	 */
	bool *fresh = calloc((size_t)parts->cnt + 1, sizeof(*fresh));

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
		if (fresh != NULL) {
			fresh[j] = true;
			e->offset = rp->live_from;
		}
	}
	state = state && fresh != NULL && proc_bootstrap(p, parts, fresh);
	for (int j = 0; j < parts->cnt && fresh != NULL; j++) {
		rd_kafka_topic_partition_t *e = &parts->elems[j];
		struct route_part *rp = route_part(p, e->partition);

		if (!fresh[j])
			continue;
		if (!state)
			e->offset = RD_KAFKA_OFFSET_BEGINNING;
		if (e->offset >= 0)
			rp->next = e->offset;
		else if (rp->replaying)
			bf_log(BF_LOG_INFO, "%s [%" PRId32 "]: rebuilding state "
			    "from its start; live from offset %" PRId64,
			    p->route_topic, e->partition, rp->live_from);
	}
	free(fresh);
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
		/* Once a second during an outage: limited, counted. */
		bf_log_limited(BF_LOG_WARN, "offset commit failed",
		    p->route_topic, "%s: offset commit failed: %s",
		    p->route_topic, rd_kafka_err2str(err));
		return;
	}
	for (int i = 0; i < offsets->cnt; i++) {
		const rd_kafka_topic_partition_t *e = &offsets->elems[i];

		if (e->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
			bf_log_limited(BF_LOG_WARN, "offset commit failed",
			    e->topic, "%s [%" PRId32 "]: offset commit "
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
		proc_handle(p, m);
		return;
	}
	replay_check(p, rp, m->partition, m->offset);
	if (rp->replaying)
		p->replayed++;
	proc_handle(p, m);
	rp->next = m->offset + 1;
	replay_check(p, rp, m->partition, rp->next);
}

int
proc_kafka_start(struct proc *p)
{
	const struct proc_opts *o = p->opts;
	rd_kafka_topic_partition_list_t *sub;
	char topic[320], err[512];

	p->out = kafka(RD_KAFKA_PRODUCER, o->brokers, o->group, false, p);
	p->routes = kafka(RD_KAFKA_CONSUMER, o->brokers, o->group, true, p);
	snprintf(topic, sizeof(topic), "%speer-%d", o->group, (int)getpid());
	p->peers = kafka(RD_KAFKA_CONSUMER, o->brokers, topic, false, p);
	snprintf(topic, sizeof(topic), "%sstate-%d", o->group, (int)getpid());
	p->state_rk = kafka(RD_KAFKA_CONSUMER, o->brokers, topic, false, p);
	snprintf(p->state_topic, sizeof(p->state_topic), "%sroute.state",
	    o->prefix);
	if (p->out == NULL || p->routes == NULL || p->peers == NULL ||
	    p->state_rk == NULL ||
	    (p->out_rkt = rd_kafka_topic_new(p->out, p->out_topic, NULL)) ==
	    NULL)
		return -1;
	snprintf(topic, sizeof(topic), "%speer", o->prefix);
	if (bf_kafka_assign_all(p->peers, topic, RD_KAFKA_OFFSET_BEGINNING, err,
	    sizeof(err)) < 0) {
		bf_log(BF_LOG_ERROR, "%s at %s", err, o->brokers);
		return -1;
	}
	sub = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(sub, p->route_topic,
	    RD_KAFKA_PARTITION_UA);
	rd_kafka_subscribe(p->routes, sub);
	rd_kafka_topic_partition_list_destroy(sub);
	return 0;
}

void
proc_on_signal(int sig)
{
	if (sig == SIGHUP)
		reload = 1;
	else
		stop = 1;
}

void
proc_consume(struct proc *p, uv_loop_t *loop)
{
	int64_t last_tick, last_commit;
	rd_kafka_message_t *batch[ROUTE_BATCH];
	rd_kafka_queue_t *route_q;
	ssize_t n;

	last_tick = last_commit = bf_now_us();
	p->loop = loop;
	route_q = rd_kafka_queue_get_consumer(p->routes);
	while (!stop) {
		rd_kafka_message_t *m;
		int64_t t;

		/* Peer events first: they open and close epochs. */
		while ((m = rd_kafka_consumer_poll(p->peers, 0)) != NULL) {
			if (!m->err)
				proc_handle(p, m);
			rd_kafka_message_destroy(m);
		}
		/* In batches: one queue operation per 1,000 records. */
		n = rd_kafka_consume_batch_queue(route_q, 50, batch,
		    ROUTE_BATCH);
		for (ssize_t i = 0; i < n; i++) {
			m = batch[i];
			if (!m->err)
				handle_route(p, m);
			else if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
				route_eof(p, m);
			else
				bf_log_limited(BF_LOG_WARN, "consume error",
				    m->rkt != NULL ? rd_kafka_topic_name(
				    m->rkt) : NULL, "%s",
				    rd_kafka_message_errstr(m));
			rd_kafka_message_destroy(m);
		}
		bf_pipeline_poll(&p->pipe, bf_now_us());
		rd_kafka_poll(p->out, 0);
		rd_kafka_poll(p->routes, 0);	/* commit results */
		uv_run(loop, UV_RUN_NOWAIT);	/* serve /metrics */
		bf_log_flush_suppressed(0);
		if (reload) {
			reload = 0;
			if (p->plugin->reload != NULL) {
				bf_log(BF_LOG_INFO, "SIGHUP: plugin %s reloads "
				    "its inputs", p->plugin->name);
				p->plugin->reload(p->state);
			}
		}
		t = bf_now_us();
		if (t - last_tick >= (int64_t)p->opts->tick_ms * 1000) {
			bool c = t - last_commit >= COMMIT_MS * 1000;

			tick_commit(p, c ? COMMIT_LATER : COMMIT_NONE);
			proc_trim_after_burst(p);
			last_tick = t;
			if (c)
				last_commit = t;
		}
		commit_ready(p);
	}
	bf_log(BF_LOG_INFO, "stopping: %" PRIu64 " records in, %" PRIu64
	    " out, %" PRIu64 " undecodable, %" PRIu64 " stale by epoch",
	    p->pipe.records, p->out_records, p->pipe.bad,
	    p->pipe.sessions.stale);
	rd_kafka_queue_destroy(route_q);
	tick_commit(p, COMMIT_NOW);
	bf_log_flush_suppressed(1);
}

void
proc_kafka_stop(struct proc *p)
{
	/* Closing revokes the partitions: that commits, through the plugin. */
	if (p->routes != NULL)
		rd_kafka_consumer_close(p->routes);
	if (p->peers != NULL)
		rd_kafka_consumer_close(p->peers);
	if (p->state != NULL)
		p->plugin->fini(p->state);
	if (p->routes != NULL)
		rd_kafka_destroy(p->routes);
	if (p->peers != NULL)
		rd_kafka_destroy(p->peers);
	if (p->state_rk != NULL)
		rd_kafka_destroy(p->state_rk);
	if (p->out_rkt != NULL)
		rd_kafka_topic_destroy(p->out_rkt);
	if (p->out != NULL)
		rd_kafka_destroy(p->out);
	free(p->parts);
	free(p->pending_next);
	free(p->wm);
}
