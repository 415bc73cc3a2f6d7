/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_decode: decoder throughput and memory on a BMP file held in memory.
 * A benchmark, not a test: it prints figures, it judges
 * nothing but decode errors.
 *
 *   bmpflow-gen-fulltable -o /tmp/fulltable.bmp
 *   bench_decode [--runs N] /tmp/fulltable.bmp
 *
 * The file is read whole first.  Each run then decodes it as bmpflow-decode
 * does (bmp_stream_init, bmp_stream_walk -> bmp_frame + bmp_stream_decode ->
 * bgp_update_parse) and walks every prefix of every UPDATE with
 * bgp_route_next(), as the collector does when it builds route records.
 * Prefix bytes and decoded attributes are folded into a checksum that is
 * printed, so the work cannot be optimised away; it must be equal on every
 * run.  MB/s counts 10^6 bytes of BMP stream per second.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "clock_s.h"
#include "normalize/bmp_stream.h"
#include "read_file.h"

#define MAX_RUNS	1000

struct run {
	uint64_t	prefixes;	/* routes walked by bgp_route_next */
	uint64_t	errors;		/* messages that did not decode */
	uint64_t	sum;		/* checksum of what was decoded */
	double		secs;
};

static uint64_t
fold(uint64_t h, uint64_t v)
{
	return (h ^ v) * 0x100000001b3ULL;
}

static uint64_t
fold_bytes(uint64_t h, const uint8_t *p, size_t n)
{
	uint64_t w = 0;

	memcpy(&w, p, n < 8 ? n : 8);
	h = fold(h, w);
	if (n > 8) {
		memcpy(&w, p + 8, n - 8 < 8 ? n - 8 : 8);
		h = fold(h, w);
	}
	return h;
}

/* Fold the attributes the UPDATE parser decoded into values. */
static uint64_t
fold_attrs(uint64_t h, const struct bgp_attrs *a)
{
	h = fold(h, a->origin);
	h = fold(h, a->origin_as);
	h = fold(h, a->aspath.n_segs);
	for (uint32_t i = 0; i < a->aspath.n_asns; i++)
		h = fold(h, a->aspath.asns[i]);
	h = fold_bytes(h, a->next_hop.a, 4);
	h = fold(h, a->med);
	h = fold(h, a->aggregator_as);
	h = fold(h, cur_len(&a->communities));
	h = fold(h, cur_len(&a->large_communities));
	if (bgp_attr_has(a, BGP_ATTR_MP_REACH_NLRI))
		h = fold_bytes(h, a->mp_reach.next_hop.a, 16);
	return h;
}

static void
on_message(struct bmp_stream *s, size_t off, enum bmp_msg_result res,
    const struct bf_err *err, void *arg)
{
	struct run *r = arg;
	struct bgp_route_iter ri;
	struct bgp_route rt;
	uint64_t h = r->sum;

	(void)off;
	(void)err;
	if (res == BMP_MSG_ERROR) {
		r->errors++;
		return;
	}
	if (!s->has_update)
		return;
	h = fold_attrs(h, &s->update->attrs);
	bgp_route_iter_init(&ri, s->update);
	while (bgp_route_next(&ri, &rt) == 1) {
		const struct bf_prefix *p = &rt.nlri.prefix;

		h = fold_bytes(h, p->addr.a, p->addr.family == BF_AF_INET6 ?
		    16 : 4);
		h = fold(h, (uint64_t)p->len << 8 | rt.action);
		r->prefixes++;
	}
	r->sum = h;
}

/* Decode buf once; returns -1 when the stream cannot be framed whole. */
static int
run_once(const uint8_t *buf, size_t len, struct run *r,
    struct bmp_stream_stats *st)
{
	struct bmp_stream s;
	struct bf_err err = { 0 };
	size_t err_off = 0;
	double t0;
	long used;

	memset(r, 0, sizeof(*r));
	r->sum = 0xcbf29ce484222325ULL;
	t0 = clock_s(CLOCK_MONOTONIC);
	if (bmp_stream_init(&s, BMP_DEFAULT_MAX_MSG, BMP_STREAM_MAX_PEERS) < 0) {
		fprintf(stderr, "bench_decode: out of memory\n");
		exit(1);
	}
	used = bmp_stream_walk(&s, buf, len, on_message, r, &err, &err_off);
	r->secs = clock_s(CLOCK_MONOTONIC) - t0;
	*st = s.st;
	bmp_stream_free(&s);
	if (used < 0) {
		fprintf(stderr, "bench_decode: offset %zu: %s\n", err_off,
		    err.msg);
		return -1;
	}
	if ((size_t)used != len) {
		fprintf(stderr, "bench_decode: the last %zu bytes are an "
		    "incomplete message\n", len - (size_t)used);
		return -1;
	}
	return 0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void
usage(FILE *f)
{
	fprintf(f,
"usage: bench_decode [--runs N] FILE\n"
"\n"
"Read the BMP file FILE into memory, then decode it N times (default 5)\n"
"through the bmpflow-decode path, walking every prefix and its attributes.\n"
"Prints prefixes/s and MB/s (10^6 bytes) per run, their medians, and the\n"
"peak RSS (which includes the file buffer).\n"
"\n"
"  -r, --runs N   decode passes (1..%d, default 5)\n"
"  -h, --help     this help\n",
	    MAX_RUNS);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "runs", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static double pps[MAX_RUNS], mbps[MAX_RUNS];
	struct bmp_stream_stats st;
	struct rusage ru;
	struct run r;
	uint64_t prefixes = 0, sum = 0;
	uint8_t *buf;
	size_t len;
	long runs = 5;
	char *end;
	int ch;

	while ((ch = getopt_long(argc, argv, "r:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			errno = 0;
			runs = strtol(optarg, &end, 10);
			if (errno || *end != '\0' || runs < 1 ||
			    runs > MAX_RUNS) {
				fprintf(stderr, "bench_decode: --runs wants "
				    "1..%d, not '%s'\n", MAX_RUNS, optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	if ((buf = test_read_file(argv[optind], &len)) == NULL)
		return 2;
	printf("file %s: %.1f MB\n", argv[optind], (double)len / 1e6);
	for (int i = 0; i < runs; i++) {
		if (run_once(buf, len, &r, &st) < 0)
			return 1;
		if (r.errors > 0) {
			fprintf(stderr, "bench_decode: run %d: %" PRIu64
			    " messages did not decode (see bmpflow-decode)\n",
			    i + 1, r.errors);
			return 1;
		}
		if (i == 0) {
			prefixes = r.prefixes;
			sum = r.sum;
		} else if (r.prefixes != prefixes || r.sum != sum) {
			fprintf(stderr, "bench_decode: run %d decoded "
			    "differently: %" PRIu64 " prefixes, checksum %016"
			    PRIx64 " (run 1: %" PRIu64 ", %016" PRIx64 ")\n",
			    i + 1, r.prefixes, r.sum, prefixes, sum);
			return 1;
		}
		pps[i] = (double)r.prefixes / r.secs;
		mbps[i] = (double)len / 1e6 / r.secs;
		printf("run %d: %.2f M prefixes/s, %.0f MB/s (%.3f s)\n", i + 1,
		    pps[i] / 1e6, mbps[i], r.secs);
		fflush(stdout);
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("median: %.2f M prefixes/s, %.0f MB/s (%ld runs), prefixes=%"
	    PRIu64 ", messages=%" PRIu64 ", updates=%" PRIu64 ", peak RSS "
	    "%.1f MiB (file %.1f MiB), checksum %016" PRIx64 "\n",
	    median(pps, (int)runs) / 1e6, median(mbps, (int)runs), runs,
	    prefixes, st.msgs, st.updates, (double)ru.ru_maxrss / 1024.0,
	    (double)len / 1048576.0, sum);
	free(buf);
	return 0;
}
