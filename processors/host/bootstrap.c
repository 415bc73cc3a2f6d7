/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bootstrap.c: rebuilding a newly held bmp.route partition from
 * bmp.route.state instead of from bmp.route's start.
 *
 * Kafka's retention deletes bmp.route's old records, and with them every
 * route stable since: a processor replaying bmp.route from its start
 * would silently lack them.  The collector keeps each current route in
 * the compacted bmp.route.state, in the partition of the same number as
 * its bmp.route records (collector/produce/route_state.h).  Tombstones
 * (withdrawals, ended epochs) are skipped here: before a withdrawal's
 * tombstone comes its record, which undoes the announcement while the
 * log is not compacted; an ended epoch's routes fail the epoch rule.  So for partition n:
 * note bmp.route's high watermark H, read state partition n from its
 * start to its own high watermark, each record passing the pipeline
 * exactly as a replayed bmp.route record (the same epoch rule; outputs
 * suppressed while the group has a committed offset, as in a replay),
 * then read bmp.route from H.  Records produced between H and the
 * state's end are applied twice, once from each topic: an announcement
 * or withdrawal applied again leaves a route's state as it was.  A group
 * that committed an offset still in bmp.route resumes there instead of
 * at H, so no record after its commit goes without its outputs.  The
 * state partitions of the partitions new in one assignment are read
 * together, a few at a time (read_state).
 *
 * bmp.peer is read up to its end first, so the epochs the state's
 * routes belong to are known: a route of an ended epoch is dropped at
 * once, one of an open epoch reaches the plugin behind its Peer Up
 * instead of waiting for it in memory.
 *
 * Without the state topic, or with a partition count other than
 * bmp.route's, partitions are rebuilt from bmp.route's start, as before.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "proc.h"

#define META_TIMEOUT_MS		10000
#define STATE_IDLE_MS		30000	/* no record for this long: give up */
#define STATE_BATCH		1000	/* records per queue operation */
#define STATE_WINDOW		50000	/* records left in partitions assigned */

/* Partition count of topic, 0 when it does not exist, -1 unknown. */
static int
partition_count(rd_kafka_t *rk, const char *topic)
{
	rd_kafka_topic_t *t = rd_kafka_topic_new(rk, topic, NULL);
	const struct rd_kafka_metadata *md;
	int n = -1;

	if (t == NULL)
		return -1;
	if (rd_kafka_metadata(rk, 0, t, &md, META_TIMEOUT_MS) ==
	    RD_KAFKA_RESP_ERR_NO_ERROR) {
		if (md->topic_cnt == 1)
			n = md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR ?
			    md->topics[0].partition_cnt :
			    md->topics[0].err ==
			    RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ? 0 : -1;
		rd_kafka_metadata_destroy(md);
	}
	rd_kafka_topic_destroy(t);
	return n;
}

/*
 * Set each partition of l's ->offset to its earliest (which:
 * RD_KAFKA_OFFSET_BEGINNING) or end (RD_KAFKA_OFFSET_END) offset, in one
 * request per leader; a partition not answered gets -1.
 */
static void
list_offsets(rd_kafka_t *rk, rd_kafka_topic_partition_list_t *l,
    int64_t which)
{
	rd_kafka_resp_err_t err;

	for (int i = 0; i < l->cnt; i++)
		l->elems[i].offset = which;
	err = rd_kafka_offsets_for_times(rk, l, META_TIMEOUT_MS);
	for (int i = 0; i < l->cnt; i++)
		if (err != RD_KAFKA_RESP_ERR_NO_ERROR ||
		    l->elems[i].err != RD_KAFKA_RESP_ERR_NO_ERROR)
			l->elems[i].offset = -1;
}

/*
 * Every bmp.peer record up to the high watermarks of now through the
 * pipeline (bmp.peer is assigned whole), within STATE_IDLE_MS of quiet.
 */
static void
peers_catch_up(struct proc *p)
{
	rd_kafka_topic_partition_list_t *l = NULL, *pos;
	int64_t idle_since = bf_now_us();
	int behind;

	if (rd_kafka_assignment(p->peers, &l) != RD_KAFKA_RESP_ERR_NO_ERROR)
		return;
	/* ->opaque: the end to reach; ->offset: the next to read. */
	list_offsets(p->state_rk, l, RD_KAFKA_OFFSET_END);
	for (int i = 0; i < l->cnt; i++)
		l->elems[i].opaque = (void *)(uintptr_t)(l->elems[i].offset > 0 ?
		    l->elems[i].offset : 0);
	list_offsets(p->state_rk, l, RD_KAFKA_OFFSET_BEGINNING);
	pos = rd_kafka_topic_partition_list_copy(l);
	rd_kafka_position(p->peers, pos);
	for (int i = 0; i < l->cnt; i++)
		if (pos->elems[i].offset > l->elems[i].offset)
			l->elems[i].offset = pos->elems[i].offset;
	rd_kafka_topic_partition_list_destroy(pos);
	do {
		rd_kafka_message_t *m;

		behind = 0;
		for (int i = 0; i < l->cnt; i++)
			behind += l->elems[i].offset <
			    (int64_t)(uintptr_t)l->elems[i].opaque;
		if (behind == 0 || (m = rd_kafka_consumer_poll(p->peers,
		    100)) == NULL)
			continue;
		if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
			rd_kafka_topic_partition_t *e =
			    rd_kafka_topic_partition_list_find(l,
			    rd_kafka_topic_name(m->rkt), m->partition);

			proc_handle(p, m);
			if (e != NULL)
				e->offset = m->offset + 1;
			idle_since = bf_now_us();
		}
		rd_kafka_message_destroy(m);
	} while (behind > 0 && bf_now_us() - idle_since < STATE_IDLE_MS *
	    1000);
	rd_kafka_topic_partition_list_destroy(l);
}

/* p->wm: low and high watermarks of bmp.route and the state, n each. */
static bool
note_watermarks(struct proc *p, int n)
{
	const char *topics[2] = { p->route_topic, p->state_topic };
	rd_kafka_topic_partition_list_t *l =
	    rd_kafka_topic_partition_list_new(n);
	int64_t *wm = realloc(p->wm, (size_t)n * 4 * sizeof(*wm));

	if (wm == NULL) {
		rd_kafka_topic_partition_list_destroy(l);
		return false;
	}
	p->wm = wm;
	p->wm_n = n;
	for (int t = 0; t < 2; t++) {
		for (int which = 0; which < 2; which++) {
			rd_kafka_topic_partition_list_destroy(l);
			l = rd_kafka_topic_partition_list_new(n);
			for (int i = 0; i < n; i++)
				rd_kafka_topic_partition_list_add(l, topics[t],
				    i);
			list_offsets(p->state_rk, l, which == 0 ?
			    RD_KAFKA_OFFSET_BEGINNING : RD_KAFKA_OFFSET_END);
			for (int i = 0; i < n; i++)
				wm[i * 4 + t * 2 + which] = l->elems[i].offset;
		}
	}
	rd_kafka_topic_partition_list_destroy(l);
	return true;
}

bool
proc_bootstrap_prepare(struct proc *p)
{
	int route_n = partition_count(p->state_rk, p->route_topic);
	int state_n = partition_count(p->state_rk, p->state_topic);

	if (state_n > 0 && state_n == route_n) {
		if (!note_watermarks(p, route_n))
			return false;
		peers_catch_up(p);
		return true;
	}
	if (p->state_warned)
		return false;
	p->state_warned = true;
	if (state_n == 0)
		bf_log(BF_LOG_WARN, "%s does not exist: new partitions of %s "
		    "are rebuilt from its start (routes older than its "
		    "retention are missed)", p->state_topic, p->route_topic);
	else
		bf_log(BF_LOG_WARN, "%s has %d partitions, %s %d: new "
		    "partitions of %s are rebuilt from its start",
		    p->state_topic, state_n, p->route_topic, route_n,
		    p->route_topic);
	return false;
}

/* One state partition being read: [next, hi) left; what it gave. */
struct state_read {
	int32_t		n;
	bool		assigned;
	int64_t		next, hi;
	uint64_t	records, routes;
};

/* Whether state partition n's watermarks (and bmp.route's) are known. */
static bool
watermarks_known(const struct proc *p, int32_t n)
{
	return n >= 0 && n < p->wm_n && p->wm[n * 4] >= 0 &&
	    p->wm[n * 4 + 1] >= 0 && p->wm[n * 4 + 2] >= 0 &&
	    p->wm[n * 4 + 3] >= 0;
}

/* One record of a state partition being read, to the pipeline. */
static void
state_record(struct proc *p, struct state_read *r, const rd_kafka_message_t *m)
{
	r->next = m->offset + 1;
	r->records++;
	/* A tombstone: a route withdrawn, or its epoch over. */
	if (m->payload != NULL) {
		proc_handle(p, m);
		r->routes++;
	}
}

/* Add (assign true) or remove state partition r of the reader. */
static void
state_assign(struct proc *p, struct state_read *r, bool assign)
{
	rd_kafka_topic_partition_list_t *l =
	    rd_kafka_topic_partition_list_new(1);
	rd_kafka_error_t *e;

	rd_kafka_topic_partition_list_add(l, p->state_topic, r->n)->offset =
	    r->next;
	e = assign ? rd_kafka_incremental_assign(p->state_rk, l) :
	    rd_kafka_incremental_unassign(p->state_rk, l);
	if (e != NULL) {
		bf_log(BF_LOG_WARN, "%s [%" PRId32 "]: %s", p->state_topic,
		    r->n, rd_kafka_error_string(e));
		rd_kafka_error_destroy(e);
	}
	rd_kafka_topic_partition_list_destroy(l);
	r->assigned = assign;
}

/*
 * Assign the next state partitions of rd while the records left in
 * those assigned stay within STATE_WINDOW (at least one is assigned);
 * *left: those records, *next_rd: the first not assigned yet.
 */
static void
state_window(struct proc *p, struct state_read *rd, int n_rd, int *next_rd,
    int64_t *left, int *assigned)
{
	for (; *next_rd < n_rd; (*next_rd)++) {
		struct state_read *r = &rd[*next_rd];

		if (r->next >= r->hi)
			continue;
		if (*assigned > 0 && *left + (r->hi - r->next) > STATE_WINDOW)
			return;
		state_assign(p, r, true);
		*left += r->hi - r->next;
		(*assigned)++;
	}
}

/*
 * Feed the n_rd state partitions of rd, each [next, hi), to the
 * pipeline; by_part[n]: the index in rd of state partition n, or -1.
 * Several at once, so that the fetcher keeps ahead of the pipeline, but
 * no more records left in them than STATE_WINDOW: beyond librdkafka's
 * queued.min.messages (100k) its fetcher backs off for a second.  In
 * batches, with one clock read per batch: a poll and two clock reads per
 * record cost as much as decoding it (bench_processor.py --perf).
 */
static void
read_state(struct proc *p, struct state_read *rd, int n_rd,
    const int *by_part)
{
	rd_kafka_message_t *batch[STATE_BATCH];
	rd_kafka_queue_t *q = rd_kafka_queue_get_consumer(p->state_rk);
	int64_t idle_since = bf_now_us(), now = idle_since, left = 0;
	int next_rd = 0, assigned = 0;

	state_window(p, rd, n_rd, &next_rd, &left, &assigned);
	while (assigned > 0 && now - idle_since < STATE_IDLE_MS * 1000) {
		/*
		 * What is queued, without waiting; else the next record,
		 * waited for: a batch call waits for its whole batch, which
		 * the last records never fill.
		 */
		ssize_t got = rd_kafka_consume_batch_queue(q, 0, batch,
		    STATE_BATCH);

		if (got == 0)
			got = rd_kafka_consume_batch_queue(q, 100, batch, 1);
		now = bf_now_us();
		for (ssize_t i = 0; i < got; i++) {
			rd_kafka_message_t *m = batch[i];
			struct state_read *r = m->partition >= 0 &&
			    m->partition < p->wm_n && by_part[m->partition] >= 0 ?
			    &rd[by_part[m->partition]] : NULL;

			/* What is past hi comes from bmp.route. */
			if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR && r != NULL &&
			    r->assigned && r->next < r->hi) {
				int64_t was = r->next;

				idle_since = now;
				state_record(p, r, m);
				left -= r->next >= r->hi ? r->hi - was :
				    r->next - was;
				if (r->next >= r->hi) {
					state_assign(p, r, false);
					assigned--;
				}
			} else if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR &&
			    m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
				bf_log_limited(BF_LOG_WARN, "consume error",
				    p->state_topic, "%s",
				    rd_kafka_message_errstr(m));
			}
			rd_kafka_message_destroy(m);
		}
		state_window(p, rd, n_rd, &next_rd, &left, &assigned);
		/* Records held for a Peer Up wait no longer. */
		bf_pipeline_poll(&p->pipe, now);
	}
	rd_kafka_queue_destroy(q);
	for (int i = 0; i < n_rd; i++) {
		if (rd[i].assigned)
			state_assign(p, &rd[i], false);
		if (rd[i].next < rd[i].hi)
			bf_log(BF_LOG_WARN, "%s [%" PRId32 "]: stopped at "
			    "offset %" PRId64 " of %" PRId64 " (nothing read for "
			    "%d s): state incomplete", p->state_topic, rd[i].n,
			    rd[i].next, rd[i].hi, STATE_IDLE_MS / 1000);
	}
}

bool
proc_bootstrap(struct proc *p, rd_kafka_topic_partition_list_t *parts,
    const bool *fresh)
{
	int64_t t0 = bf_now_us();
	struct state_read *rd = calloc((size_t)parts->cnt + 1, sizeof(*rd));
	int *by_part = malloc(((size_t)p->wm_n + 1) * sizeof(*by_part));
	int n_rd = 0;

	if (rd == NULL || by_part == NULL) {
		free(rd);
		free(by_part);
		return false;
	}
	for (int32_t n = 0; n < p->wm_n; n++)
		by_part[n] = -1;
	for (int i = 0; i < parts->cnt; i++) {
		const rd_kafka_topic_partition_t *e = &parts->elems[i];

		if (!fresh[i] || !watermarks_known(p, e->partition))
			continue;
		int32_t n = e->partition;

		by_part[n] = n_rd;
		rd[n_rd++] = (struct state_read){ .n = n,
		    .next = p->wm[n * 4 + 2], .hi = p->wm[n * 4 + 3] };
	}
	read_state(p, rd, n_rd, by_part);
	for (int i = 0; i < parts->cnt; i++) {
		rd_kafka_topic_partition_t *e = &parts->elems[i];
		int32_t n = e->partition;
		int64_t route_lo, route_hi, committed = e->offset;
		const struct state_read *r;

		if (!fresh[i])
			continue;
		if (!watermarks_known(p, n)) {
			bf_log(BF_LOG_WARN, "%s [%" PRId32 "]: watermarks "
			    "unknown: rebuilt from its start", p->route_topic,
			    n);
			e->offset = RD_KAFKA_OFFSET_BEGINNING;
			continue;
		}
		r = &rd[by_part[n]];
		route_lo = p->wm[n * 4];
		route_hi = p->wm[n * 4 + 1];
		/* A committed offset still there: every record after it,
		 * live. */
		e->offset = committed > 0 ? (committed > route_lo ? committed :
		    route_lo) : route_hi;
		if (e->offset > route_hi)
			e->offset = route_hi;
		p->bootstrap_records += r->records;
		p->bootstrap_routes += r->routes;
		bf_log(BF_LOG_INFO, "%s [%" PRId32 "]: %" PRIu64 " routes from %"
		    PRIu64 " records of %s; %s from offset %" PRId64 " (low "
		    "watermark %" PRId64 ")", p->route_topic, n, r->routes,
		    r->records, p->state_topic, p->route_topic, e->offset,
		    route_lo);
	}
	p->bootstrap_us += (uint64_t)(bf_now_us() - t0);
	bf_log(BF_LOG_INFO, "%s: %d partitions rebuilt from %s in %.2f s",
	    p->route_topic, n_rd, p->state_topic,
	    (double)(bf_now_us() - t0) / 1e6);
	free(rd);
	free(by_part);
	return true;
}
