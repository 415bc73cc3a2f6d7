/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_prefix_health.c: the processor's per-record work without Kafka.
 * A benchmark, not a test.
 *
 * Reads bmp.peer and bmp.route record values as kcat -f '%R%s' writes
 * them (4-byte big-endian length, then the Avro single-object value) and
 * runs them, in memory, through what bmpflow-processor does with each
 * record: records_in decode, the peer-epoch rule, the prefix_health plugin
 * (linked in, called through its descriptor), ticks every --tick-ms of
 * wall time and a last one at the end, whose output records are encoded
 * by the host's emit.c into a counting sink.  Prints, per run and as
 * medians: decode-only records/s, full records/s and per CPU-second, and
 * the plugin's own account of its memory: bytes per route held
 * (ph_bytes_per_route) once the tables are in and after the last tick.
 *
 *   bench_prefix_health --schemas DIR [--runs N] [--tick-ms N]
 *       PEERS.bin ROUTES.bin
 */
#define _POSIX_C_SOURCE 200809L

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bmpflow/plugin.h"
#include "emit.h"
#include "options.h"
#include "pipeline.h"
#include "clock_s.h"
#include "prefix_health/prefix_health.h"
#include "read_file.h"

const struct bf_plugin *bmpflow_plugin_descriptor(void);

struct blob {
	uint8_t	*buf;
	size_t	 len;
	size_t	 n;		/* records */
};

static int
load(const char *path, struct blob *b)
{
	if ((b->buf = test_read_file(path, &b->len)) == NULL)
		return -1;
	b->n = 0;
	for (size_t off = 0; off + 4 <= b->len; b->n++) {
		uint32_t n = (uint32_t)b->buf[off] << 24 |
		    (uint32_t)b->buf[off + 1] << 16 |
		    (uint32_t)b->buf[off + 2] << 8 | b->buf[off + 3];
		off += 4 + n;
		if (off > b->len) {
			fprintf(stderr, "%s: truncated record\n", path);
			return -1;
		}
	}
	return 0;
}

struct run {
	double	 decode_rate, rate, cpu_rate, secs, cpu;
	double	 bpr_loaded, bpr_end;
	size_t	 mem_end, routes, out, out_bytes, bad, stale;
};

static size_t sink_n, sink_bytes;

static void
sink(void *arg, const char *key, int32_t partition, const uint8_t *value,
    size_t len)
{
	(void)arg;
	(void)key;
	(void)partition;
	(void)value;
	sink_n++;
	sink_bytes += len;
}

static int
bench(const char *schemas, const struct blob *bl, int tick_ms, struct run *r)
{
	const struct bf_plugin *pl = bmpflow_plugin_descriptor();
	struct bf_pipeline *pipe = calloc(1, sizeof(*pipe));
	struct bf_host host;
	char err[256];
	double t0, c0, last_tick;
	size_t total = 0;
	void *st;

	memset(r, 0, sizeof(*r));
	if (pipe == NULL || bf_pipeline_init(pipe, pl, schemas,
	    BF_VIEWS_DEFAULT, err, sizeof(err)) < 0 || bf_host_init(&host, schemas,
	    pl->output_schema, sink, NULL, err, sizeof(err)) < 0) {
		fprintf(stderr, "init: %s\n", err);
		return -1;
	}
	/* Decode only. */
	t0 = clock_s(CLOCK_MONOTONIC);
	for (int i = 0; i < 2; i++)
		for (size_t off = 0; off + 4 <= bl[i].len; total++) {
			const uint8_t *q = bl[i].buf + off;
			uint32_t n = (uint32_t)q[0] << 24 |
			    (uint32_t)q[1] << 16 | (uint32_t)q[2] << 8 | q[3];
			if (bf_records_in_decode(&pipe->in, q + 4, n, err,
			    sizeof(err)) < 0)
				r->bad++;
			off += 4 + n;
		}
	r->decode_rate = (double)total / (clock_s(CLOCK_MONOTONIC) - t0);
	/* Decode, epoch rule, plugin, ticks and output encoding. */
	if ((st = bf_plugin_start(pl, &host, NULL, 0, err, sizeof(err))) ==
	    NULL) {
		fprintf(stderr, "plugin init: %s\n", err);
		return -1;
	}
	pipe->state = st;
	sink_n = sink_bytes = 0;
	r->bad = 0;
	t0 = last_tick = clock_s(CLOCK_MONOTONIC);
	c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	for (int i = 0; i < 2; i++)
		for (size_t off = 0, k = 0; off + 4 <= bl[i].len; k++) {
			const uint8_t *q = bl[i].buf + off;
			uint32_t n = (uint32_t)q[0] << 24 |
			    (uint32_t)q[1] << 16 | (uint32_t)q[2] << 8 | q[3];
			bf_pipeline_record(pipe, q + 4, n, 0, err,
			    sizeof(err));
			off += 4 + n;
			if ((k & 1023) == 0) {
				double t = clock_s(CLOCK_MONOTONIC);
				if ((t - last_tick) * 1000 >= tick_ms) {
					pl->on_tick(st, (int64_t)(clock_s(
					    CLOCK_REALTIME) * 1e6));
					last_tick = t;
				}
			}
		}
	r->bpr_loaded = ph_bytes_per_route(st);
	pl->on_tick(st, (int64_t)(clock_s(CLOCK_REALTIME) * 1e6));
	r->secs = clock_s(CLOCK_MONOTONIC) - t0;
	r->cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
	r->rate = (double)total / r->secs;
	r->cpu_rate = (double)total / r->cpu;
	r->bpr_end = ph_bytes_per_route(st);
	r->mem_end = ph_mem_bytes(st);
	r->routes = ph_routes_held(st);
	r->out = sink_n;
	r->out_bytes = sink_bytes;
	r->bad = pipe->bad;
	r->stale = pipe->sessions.stale;
	pl->fini(st);
	bf_host_free(&host);
	bf_pipeline_free(pipe);
	free(pipe);
	return 0;
}

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
median(struct run *rs, int n, size_t field)
{
	double v[64];

	for (int i = 0; i < n; i++)
		v[i] = *(double *)((char *)&rs[i] + field);
	qsort(v, (size_t)n, sizeof(double), cmp_d);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int
main(int argc, char **argv)
{
	const char *schemas = NULL, *files[2] = { NULL, NULL };
	int runs = 3, tick_ms = 1000, nf = 0;
	struct blob bl[2];
	struct run rs[64];

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--schemas") && i + 1 < argc)
			schemas = argv[++i];
		else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
			runs = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--tick-ms") && i + 1 < argc)
			tick_ms = atoi(argv[++i]);
		else if (argv[i][0] != '-' && nf < 2)
			files[nf++] = argv[i];
		else
			nf = 99;
	}
	if (schemas == NULL || nf != 2 || runs < 1 || runs > 64 ||
	    tick_ms < 1) {
		fprintf(stderr, "usage: bench_prefix_health --schemas DIR "
		    "[--runs N] [--tick-ms N] PEERS.bin ROUTES.bin\n");
		return 2;
	}
	if (load(files[0], &bl[0]) < 0 || load(files[1], &bl[1]) < 0)
		return 1;
	printf("in memory: %zu peer + %zu route records, %.1f MB\n",
	    bl[0].n, bl[1].n, (double)(bl[0].len + bl[1].len) / 1e6);
	printf("%4s %12s %12s %12s %8s %8s %9s %9s %10s %8s\n", "run",
	    "decode r/s", "records/s", "rec/cpu-s", "secs", "outputs",
	    "B/route@in", "B/route@end", "routes", "stale");
	for (int i = 0; i < runs; i++) {
		struct run *r = &rs[i];
		if (bench(schemas, bl, tick_ms, r) < 0)
			return 1;
		printf("%4d %12.0f %12.0f %12.0f %8.3f %8zu %9.1f %9.1f %10zu "
		    "%8zu%s\n", i + 1, r->decode_rate, r->rate, r->cpu_rate,
		    r->secs, r->out, r->bpr_loaded, r->bpr_end, r->routes,
		    r->stale, r->bad ? " BAD RECORDS" : "");
	}
	printf("%4s %12.0f %12.0f %12.0f %8.3f %8s %9.1f %9.1f\n", "med",
	    median(rs, runs, offsetof(struct run, decode_rate)),
	    median(rs, runs, offsetof(struct run, rate)),
	    median(rs, runs, offsetof(struct run, cpu_rate)),
	    median(rs, runs, offsetof(struct run, secs)), "",
	    median(rs, runs, offsetof(struct run, bpr_loaded)),
	    median(rs, runs, offsetof(struct run, bpr_end)));
	printf("plugin memory after the last run: %zu bytes for %zu routes "
	    "(route slot %zu bytes)\n", rs[runs - 1].mem_end,
	    rs[runs - 1].routes, ph_route_slot_bytes());
	return 0;
}
