/* SPDX-License-Identifier: Apache-2.0 */
/*
 * proc_metrics.c: what bmpflow-processor tells about itself: its /metrics
 * page, and the memory it gives back after a burst of records.
 */
#include <inttypes.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/metrics_http.h"
#include "proc.h"

#define TRIM_RECORDS	100000	/* records in and out that make a burst */
#define TRIM_QUIET_RECORDS	1000	/* or that a quiet tick ends */
#define TRIM_LOG_BYTES	(64u << 20)	/* a trim this large is logged */

/*
 * Records of bmp.route not processed yet, over this instance's partitions.
 * Counted from the offsets processed, not the consumer's position, which
 * is unknown after an assignment until a record arrives.
 */
int64_t
proc_route_lag(struct proc *p)
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
void
proc_trim_after_burst(struct proc *p)
{
	uint64_t moved = p->pipe.records + p->out_records;
	bool quiet = moved == p->moved_at_tick;
	size_t before, after;
	int64_t t0;

	p->moved_at_tick = moved;
	if (moved - p->trimmed_at < (quiet ? TRIM_QUIET_RECORDS :
	    TRIM_RECORDS) || proc_route_lag(p) != 0 ||
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
void
proc_trim_after_burst(struct proc *p)
{
	(void)p;
}
#endif

void
proc_metrics_render(FILE *f, void *arg)
{
	struct proc *p = arg;

	bf_metric(f, "bmpflow_processor_records_in_total", "counter",
	    "Records read (bmp.route and bmp.peer).", (double)p->pipe.records);
	bf_metric(f, "bmpflow_processor_records_out_total", "counter",
	    "Records the plugin emitted.", (double)p->out_records);
	bf_metric(f, "bmpflow_processor_records_stale_total", "counter",
	    "bmp.route and bmp.peer records of session epochs already "
	    "closed (by a Peer Down or a newer epoch), not given to the "
	    "plugin.", (double)p->pipe.sessions.stale);
	bf_metric(f, "bmpflow_processor_records_view_skipped_total", "counter",
	    "bmp.route records of views the views setting does not deliver "
	    "for their router.", (double)p->pipe.sessions.view_skipped);
	bf_metric(f, "bmpflow_processor_records_held", "gauge",
	    "bmp.route records held until their session's Peer Up is read "
	    "(bmp.route and bmp.peer are read apart).",
	    (double)p->pipe.pending_records);
	bf_metric(f, "bmpflow_processor_records_held_total", "counter",
	    "bmp.route records ever held for their session's Peer Up.",
	    (double)p->pipe.held_total);
	bf_metric(f, "bmpflow_processor_peer_up_timeouts_total", "counter",
	    "Sessions whose records went to the plugin without their Peer Up "
	    "after --peer-up-wait-ms.", (double)p->pipe.up_timeouts);
	bf_metric(f, "bmpflow_processor_sessions", "gauge",
	    "BGP sessions (router, peer type, peer address, RD) seen.",
	    (double)p->pipe.sessions.n);
	bf_metric(f, "bmpflow_processor_records_bad_total", "counter",
	    "Undecodable records.", (double)p->pipe.bad);
	bf_metric(f, "bmpflow_processor_output_failures_total", "counter",
	    "Outputs Kafka did not accept.", (double)p->out_failed);
	bf_metric(f, "bmpflow_processor_output_queue_full_total", "counter",
	    "Times an output waited for room in librdkafka's queue.",
	    (double)p->out_queue_full);
	bf_metric(f, "bmpflow_processor_lag_records", "gauge",
	    "bmp.route records not read yet.", (double)proc_route_lag(p));
	bf_metric(f, "bmpflow_processor_committed_records", "gauge",
	    "bmp.route offsets the group committed, summed over the "
	    "partitions held, as commit results report them: outputs of "
	    "records processed past them are published again by a restart.",
	    (double)committed_records(p));
	bf_metric(f, "bmpflow_processor_plugin_seconds_per_call", "gauge",
	    "Mean plugin time per call.", p->pipe.plugin_calls ?
	    (double)p->pipe.plugin_ns / 1e9 /
	    (double)p->pipe.plugin_calls : 0.0);
	bf_metric(f, "bmpflow_processor_records_replayed_total", "counter",
	    "bmp.route records read again to rebuild the state of a newly "
	    "assigned partition.", (double)p->replayed);
	bf_metric(f, "bmpflow_processor_bootstrap_records_total", "counter",
	    "bmp.route.state records read to rebuild newly assigned "
	    "partitions (tombstones included).", (double)p->bootstrap_records);
	bf_metric(f, "bmpflow_processor_bootstrap_routes_total", "counter",
	    "Routes of bmp.route.state fed to the plugin.",
	    (double)p->bootstrap_routes);
	bf_metric(f, "bmpflow_processor_bootstrap_seconds_total", "counter",
	    "Time spent reading bmp.route.state.",
	    (double)p->bootstrap_us / 1e6);
	bf_metric(f, "bmpflow_processor_outputs_suppressed_total", "counter",
	    "Outputs not published because their partition was replaying.",
	    (double)p->out_suppressed);
	bf_metric(f, "bmpflow_processor_partitions_assigned", "gauge",
	    "bmp.route partitions this instance holds.",
	    (double)assigned_parts(p));
	bf_metric(f, "bmpflow_processor_rebalances_total", "counter",
	    "Partition assignments of bmp.route received.",
	    (double)p->rebalances);
	/* Tests wait for ticks, not for time, to see what a tick outputs. */
	bf_metric(f, "bmpflow_processor_ticks_total", "counter",
	    "Plugin ticks (on_tick calls).", (double)p->ticks);
	bf_metric(f, "bmpflow_processor_partitions_dropped_total", "counter",
	    "bmp.route partitions taken away, their plugin state dropped.",
	    (double)p->dropped_parts);
	bf_plugin_metrics_render(&p->metrics, f);
	if (p->http != NULL)
		bf_metrics_http_render(f, p->http, "bmpflow-processor");
}
