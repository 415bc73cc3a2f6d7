/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_leak_detect.c: route records per second through the leak_detect
 * plugin on one core, with a fake host, and the plugin's memory.
 *
 * Synthetic world, generated before timing: a tiered AS graph (the 16
 * default transit-free ASes on top, mid-size transit, stubs; about 45,000
 * links written as a CAIDA as-rel file), valley-free AS paths from every
 * stub (a few prepended), 1,000 monitored prefixes, a ROA for every fourth
 * prefix (1% of them for another origin: RPKI invalid), and 0.1% of routes
 * carrying a hairpin leak.  Each run loads the files into a fresh plugin
 * state and times the RIB dump of every prefix from every peer
 * (on_route calls only; the fake host's emit calls are included).
 *
 *   bench_leak_detect [--prefixes N] [--peers N] [--runs N]
 *
 * Prints records/s of each run and their median, alerts emitted, the
 * plugin's own accounting of its memory, the on_tick that re-validates
 * every route held after a roas_file reload, and the process's peak RSS.
 */
#ifndef _GNU_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "bmpflow/plugin.h"
#include "../../processors/leak_detect/leak_detect.h"
#include "fake_host.h"
#include "vf_world.h"

static struct bf_host host;	/* fake_host.c, counting only */


/* ---- synthetic world --------------------------------------------------------------- */

static const uint32_t tier1[] = { 174, 701, 1239, 1299, 2914, 3257, 3320,
    3356, 3491, 5511, 6453, 6461, 6762, 6830, 7018, 12956 };
/* 20,000 ASes; stubs past the reserved 65552-131071. */
static const struct vf_shape shape = { .n_t1 = 16, .n_t2 = 1484,
    .n_stub = 18500, .t1_asns = tier1, .t2_base = 20016,
    .stub_base = 201500, .t2_under_t1 = 284, .t2_peers = 8000,
    .stub_peers = 6000 };
#define PATHS_PER_ORIGIN 8

struct path {
	uint32_t	n;
	uint32_t	asn[VF_MAX_PATH];
};

static struct vf_world world;
static struct path *pool;	/* per AS, PATHS_PER_ORIGIN */
static struct path *leaks;	/* hairpins */
static int n_leaks;

/* The origin AS of prefix i: a stub. */
static unsigned
origin_of(long i)
{
	return world.first_stub +
	    (unsigned)((i * 7919) % (world.n - world.first_stub));
}

static void
build_world(const char *dir, long n_prefixes, char *rel, char *pfx, char *roa)
{
	FILE *f;

	vf_world_init(&world, &shape, 0x9e3779b97f4a7c15ULL);
	snprintf(rel, 256, "%s/as-rel.txt", dir);
	if ((f = fopen(rel, "w")) == NULL || vf_world_write_asrel(&world, f) ||
	    fclose(f) != 0) {
		perror(rel);
		exit(1);
	}
	pool = calloc((size_t)world.n * PATHS_PER_ORIGIN, sizeof(*pool));
	leaks = calloc(4096, sizeof(*leaks));
	for (unsigned o = 0; o < world.n; o++)
		for (int k = 0; k < PATHS_PER_ORIGIN; k++) {
			struct path *pa = &pool[o * PATHS_PER_ORIGIN + k];
			unsigned w[VF_MAX_WALK], n = vf_world_walk(&world, o,
			    VF_WALK_UP_MAX, 2, w);

			pa->n = vf_world_as_path(&world, w, n, true, pa->asn);
		}
	for (unsigned c = world.first_stub; c < world.n && n_leaks < 4096;
	    c++) {
		struct path *pa = &leaks[n_leaks];
		const struct vf_as *p0;

		if (!vf_world_hairpin(&world, c, pa->asn))
			continue;
		n_leaks++;
		pa->n = 3;
		p0 = &world.as[world.as[c].prov[0]];
		if (p0->np > 0)	/* and where p0 learned it */
			pa->asn[pa->n++] = world.as[p0->prov[0]].asn;
	}
	/* Monitored prefixes: every 1000th prefix, its own origin. */
	snprintf(pfx, 256, "%s/prefixes.txt", dir);
	snprintf(roa, 256, "%s/roas.json", dir);
	FILE *pf = fopen(pfx, "w"), *rf = fopen(roa, "w");
	if (pf == NULL || rf == NULL) {
		perror(dir);
		exit(1);
	}
	fprintf(rf, "{\"metadata\":{},\"roas\":[\n");
	bool first = true;
	for (long i = 0; i < n_prefixes; i++) {
		uint32_t a = (uint32_t)(16777216 + i * 256);
		uint32_t o = world.as[origin_of(i)].asn;

		if (i % 1000 == 0)
			fprintf(pf, "%u.%u.%u.0/24 %u\n", a >> 24,
			    (a >> 16) & 255, (a >> 8) & 255, o);
		if (i % 4 == 0) {
			fprintf(rf, "%s{\"asn\":%u,\"prefix\":\"%u.%u.%u.0/"
			    "24\",\"maxLength\":24,\"ta\":\"bench\"}",
			    first ? "" : ",\n", i % 400 == 0 ? 64496u : o,
			    a >> 24, (a >> 16) & 255,
			    (a >> 8) & 255);
			first = false;
		}
	}
	fprintf(rf, "\n]}\n");
	fclose(pf);
	fclose(rf);
}

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
	long n_prefixes = 1000000;
	int n_peers = 4, runs = 3;
	char dir[] = "/tmp/bench_leak_detect.XXXXXX", rel[256], pfx[256],
	    roa[256], cmd[320];
	static const char *const routers[] = { "192.0.2.1", "192.0.2.2" };
	static const char *const peers[] = { "198.51.100.1", "198.51.100.2",
	    "198.51.100.3", "198.51.100.4", "198.51.100.5", "198.51.100.6",
	    "198.51.100.7", "198.51.100.8" };
	double *rate;
	size_t mem = 0;
	long alerts = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--prefixes") == 0 && i + 1 < argc)
			n_prefixes = atol(argv[++i]);
		else if (strcmp(argv[i], "--peers") == 0 && i + 1 < argc)
			n_peers = atoi(argv[++i]);
		else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
			runs = atoi(argv[++i]);
		else {
			fprintf(stderr, "usage: %s [--prefixes N (1000000)] "
			    "[--peers N (4, at most 8)] [--runs N (3)]\n",
			    argv[0]);
			return 2;
		}
	}
	if (n_prefixes < 1 || n_prefixes > 15000000 || n_peers < 1 ||
	    n_peers > 8 || runs < 1) {
		fprintf(stderr, "bad arguments\n");
		return 2;
	}
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	build_world(dir, n_prefixes, rel, pfx, roa);
	printf("world: %u ASes, %zu AS links, %ld prefixes x %d peers, %d "
	    "hairpin paths\n", world.n, world.n_links, n_prefixes, n_peers,
	    n_leaks);
	const char *const set[] = { "asrel_file", rel, "prefixes_file", pfx,
	    "roas_file", roa, "reload_check_s", "0" };
	const struct bf_plugin *pl = bmpflow_plugin_descriptor();
	rate = calloc((size_t)runs, sizeof(double));
	for (int run = 0; run < runs; run++) {
		char err[512];
		struct timespec t0, t1;
		struct bf_session sess[64];
		void *st;
		struct bf_route r;

		if ((st = fake_plugin_start(&host, set, sizeof(set) /
		    sizeof(set[0]), err, sizeof(err))) == NULL) {
			fprintf(stderr, "init: %s\n", err);
			return 1;
		}
		memset(&r, 0, sizeof(r));
		r.family = 4;
		r.prefix_len = 24;
		r.prefix = "bench";	/* the plugin reads the bytes */
		host.discard = true;
		r.epoch = 1;
		clock_gettime(CLOCK_REALTIME, &t0);
		r.collector_time_us = (int64_t)t0.tv_sec * 1000000 +
		    t0.tv_nsec / 1000;
		r.bmp_time_us = r.collector_time_us;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (int p = 0; p < n_peers; p++) {
			sess[p] = (struct bf_session){ .id = (uint32_t)p,
			    .router = routers[p & 1], .peer = peers[p],
			    .peer_as = 64500 + (uint32_t)p };
			r.session = &sess[p];
			r.next_hop = peers[p];
			for (long i = 0; i < n_prefixes; i++) {
				uint32_t a = (uint32_t)(16777216 + i * 256);
				const struct path *pa = i % 1000 == 999 ?
				    &leaks[(i / 1000) % n_leaks] :
				    &pool[origin_of(i) * PATHS_PER_ORIGIN +
				    ((i + p) & (PATHS_PER_ORIGIN - 1))];

				r.addr[0] = (uint8_t)(a >> 24);
				r.addr[1] = (uint8_t)(a >> 16);
				r.addr[2] = (uint8_t)(a >> 8);
				r.as_path = pa->asn;
				r.as_path_count = r.as_path_len = pa->n;
				r.has_origin_as = true;
				r.origin_as = pa->asn[pa->n - 1];
				r.partition = (int32_t)(i & 15);
				pl->on_route(st, &r);
			}
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		double s = (double)(t1.tv_sec - t0.tv_sec) +
		    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		rate[run] = (double)n_prefixes * n_peers / s;
		alerts = host.emitted;
		mem = ld_mem_bytes(st);
		printf("run %d: %.0f route records/s (%.3f s), %ld alert "
		    "records, %zu alerts held, %zu offending routes, plugin "
		    "state %.1f MiB\n", run + 1, rate[run], s, alerts,
		    ld_alerts_held(st), ld_offending_routes(st),
		    (double)mem / 1048576.0);
		for (int t = 0; t < FAKE_MAX_TYPES && host.types[t][0]; t++)
			printf("  %s: %ld records\n", host.types[t],
			    host.type_count[t]);
		/*
		 * A roas_file reload re-validates every route held: the one
		 * on_tick that does it, timed.
		 */
		ld_reload(st);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		pl->on_tick(st, r.collector_time_us);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		printf("  on_tick re-validating the routes held after a "
		    "roas_file reload: %.3f s\n", (double)(t1.tv_sec -
		    t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
		/* Sanity, untimed: every peer down resolves every alert. */
		long before = host.emitted;
		for (int p = 0; p < n_peers; p++)
			fake_session_event(st, &sess[p], false, 1,
			    r.collector_time_us, NULL);
		if (ld_offending_routes(st) != 0 ||
		    host.emitted - before != alerts) {
			fprintf(stderr, "peers down: %ld resolved of %ld, %zu "
			    "offending routes left\n", host.emitted - before,
			    alerts, ld_offending_routes(st));
			return 1;
		}
		pl->fini(st);
	}
	qsort(rate, (size_t)runs, sizeof(double), cmp_d);
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("leak_detect: median %.0f route records/s over %d runs "
	    "(%ld prefixes x %d peers); plugin state %.1f MiB; peak RSS %.1f "
	    "MiB (bench included)\n", rate[runs / 2], runs, n_prefixes,
	    n_peers, (double)mem / 1048576.0, (double)ru.ru_maxrss / 1024.0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	free(rate);
	free(pool);
	free(leaks);
	vf_world_free(&world);
	return 0;
}
