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
 * at H, so no record after its commit goes without its outputs.
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
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "proc.h"

#define META_TIMEOUT_MS		10000
#define STATE_IDLE_MS		30000	/* no record for this long: give up */

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

bool
proc_bootstrap_usable(struct proc *p)
{
	int route_n = partition_count(p->state_rk, p->route_topic);
	int state_n = partition_count(p->state_rk, p->state_topic);

	if (state_n > 0 && state_n == route_n)
		return true;
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

/*
 * Every bmp.peer record up to the high watermarks of now through the
 * pipeline (bmp.peer is assigned whole), within STATE_IDLE_MS of quiet.
 */
static void
peers_catch_up(struct proc *p)
{
	rd_kafka_topic_partition_list_t *l = NULL;
	int64_t idle_since = bf_now_us(), lo, hi;
	int behind;

	if (rd_kafka_assignment(p->peers, &l) != RD_KAFKA_RESP_ERR_NO_ERROR)
		return;
	rd_kafka_position(p->peers, l);
	/* ->offset: next to read; ->opaque: the end to reach, as a count. */
	for (int i = 0; i < l->cnt; i++) {
		rd_kafka_topic_partition_t *e = &l->elems[i];

		hi = 0;
		if (rd_kafka_query_watermark_offsets(p->peers, e->topic,
		    e->partition, &lo, &hi, META_TIMEOUT_MS) != 0)
			hi = 0;
		e->opaque = (void *)(uintptr_t)hi;
		if (e->offset < lo)
			e->offset = lo;
	}
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

/* Feed state partition n, [lo, hi), to the pipeline.  Records read. */
static uint64_t
read_state(struct proc *p, int32_t n, int64_t lo, int64_t hi,
    uint64_t *routes)
{
	rd_kafka_topic_partition_list_t *l =
	    rd_kafka_topic_partition_list_new(1);
	int64_t idle_since = bf_now_us(), next = lo;
	uint64_t records = 0;

	rd_kafka_topic_partition_list_add(l, p->state_topic, n)->offset = lo;
	rd_kafka_assign(p->state_rk, l);
	rd_kafka_topic_partition_list_destroy(l);
	while (next < hi && bf_now_us() - idle_since < STATE_IDLE_MS * 1000) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(p->state_rk,
		    100);

		if (m == NULL)
			continue;
		if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
			idle_since = bf_now_us();
			next = m->offset + 1;
			records++;
			/* A tombstone: a route withdrawn, or its epoch over. */
			if (m->payload != NULL) {
				proc_handle(p, m);
				(*routes)++;
			}
			/* Records held for a Peer Up wait no longer. */
			if (records % 4096 == 0)
				bf_pipeline_poll(&p->pipe, bf_now_us());
		} else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
			bf_log_limited(BF_LOG_WARN, "consume error",
			    p->state_topic, "%s", rd_kafka_message_errstr(m));
		}
		rd_kafka_message_destroy(m);
	}
	rd_kafka_assign(p->state_rk, NULL);
	if (next < hi)
		bf_log(BF_LOG_WARN, "%s [%" PRId32 "]: stopped at offset %"
		    PRId64 " of %" PRId64 " (nothing read for %d s): state "
		    "incomplete", p->state_topic, n, next, hi,
		    STATE_IDLE_MS / 1000);
	return records;
}

int64_t
proc_bootstrap(struct proc *p, int32_t n, int64_t committed)
{
	int64_t t0 = bf_now_us(), route_lo, route_hi, lo, hi, from;
	uint64_t records, routes = 0;

	if (rd_kafka_query_watermark_offsets(p->state_rk, p->route_topic, n,
	    &route_lo, &route_hi, META_TIMEOUT_MS) != 0 ||
	    rd_kafka_query_watermark_offsets(p->state_rk, p->state_topic, n,
	    &lo, &hi, META_TIMEOUT_MS) != 0) {
		bf_log(BF_LOG_WARN, "%s [%" PRId32 "]: watermarks unknown: "
		    "rebuilt from bmp.route's start", p->route_topic, n);
		return RD_KAFKA_OFFSET_BEGINNING;
	}
	peers_catch_up(p);
	records = read_state(p, n, lo, hi, &routes);
	/* A committed offset still there: every record after it, live. */
	from = committed > 0 ? (committed > route_lo ? committed : route_lo) :
	    route_hi;
	if (from > route_hi)
		from = route_hi;
	p->bootstrap_records += records;
	p->bootstrap_routes += routes;
	p->bootstrap_us += (uint64_t)(bf_now_us() - t0);
	bf_log(BF_LOG_INFO, "%s [%" PRId32 "]: %" PRIu64 " routes from %"
	    PRIu64 " records of %s in %.2f s; %s from offset %" PRId64
	    " (low watermark %" PRId64 ")", p->route_topic, n, routes, records,
	    p->state_topic, (double)(bf_now_us() - t0) / 1e6, p->route_topic,
	    from, route_lo);
	return from;
}
