/*
 * bench_leak_detect.c: route records per second through the leak_detect
 * plugin on one core, with a fake host, and the plugin's memory.
 *
 * Synthetic world, generated before timing: a tiered AS graph (the 16
 * default transit-free ASes on top, mid-size transit, stubs; about 50,000
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
 * plugin's own accounting of its memory and the process's peak RSS.
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
#include "options.h"

static struct bf_host host;	/* fake_host.c, counting only */


/* ---- synthetic world --------------------------------------------------------------- */

static const uint32_t tier1[] = { 174, 701, 1239, 1299, 2914, 3257, 3320,
    3356, 3491, 5511, 6453, 6461, 6762, 6830, 7018, 12956 };
#define N_T1	16
#define N_T2	1500
#define N_AS	20000
#define MAX_NB	24
#define PATHS_PER_ORIGIN 8
#define MAX_HOPS 16	/* 8 hops, a few prepends */

struct node {
	uint32_t	asn;
	int		prov[4], np;
	int		cust[MAX_NB], nc;
	int		peer[MAX_NB], npe;
};

static struct node g[N_AS];
static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint32_t
rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

static bool
linked(int a, int b)
{
	for (int i = 0; i < g[a].np; i++)
		if (g[a].prov[i] == b)
			return true;
	for (int i = 0; i < g[a].nc; i++)
		if (g[a].cust[i] == b)
			return true;
	for (int i = 0; i < g[a].npe; i++)
		if (g[a].peer[i] == b)
			return true;
	return false;
}

static long n_links;

static void
pc(int p, int c, FILE *f)
{
	if (p == c || linked(p, c) || g[c].np == 4 || g[p].nc == MAX_NB)
		return;
	g[c].prov[g[c].np++] = p;
	g[p].cust[g[p].nc++] = c;
	fprintf(f, "%u|%u|-1\n", g[p].asn, g[c].asn);
	n_links++;
}

static void
pp(int a, int b, FILE *f)
{
	if (a == b || linked(a, b) || g[a].npe == MAX_NB ||
	    g[b].npe == MAX_NB)
		return;
	g[a].peer[g[a].npe++] = b;
	g[b].peer[g[b].npe++] = a;
	fprintf(f, "%u|%u|0\n", g[a].asn, g[b].asn);
	n_links++;
}

static bool
in_path(const int *p, int n, int x)
{
	for (int i = 0; i < n; i++)
		if (p[i] == x)
			return true;
	return false;
}

/* Valley-free walk from origin o: p[0] = o. */
static int
walk(int o, int *p)
{
	int n = 0, cur = o;

	p[n++] = cur;
	while (g[cur].np > 0 && n < 5) {
		int nx = g[cur].prov[rnd((uint32_t)g[cur].np)];
		if (in_path(p, n, nx))
			break;
		p[n++] = cur = nx;
		if (rnd(3) == 0)
			break;
	}
	if (g[cur].npe > 0 && rnd(2)) {
		int nx = g[cur].peer[rnd((uint32_t)g[cur].npe)];
		if (!in_path(p, n, nx))
			p[n++] = cur = nx;
	}
	for (int k = (int)rnd(3); k > 0 && g[cur].nc > 0 && n < 8; k--) {
		int nx = g[cur].cust[rnd((uint32_t)g[cur].nc)];
		if (in_path(p, n, nx))
			break;
		p[n++] = cur = nx;
	}
	return n;
}

struct path {
	uint32_t	n;
	uint32_t	asn[MAX_HOPS];
};

static struct path *pool;	/* N_AS x PATHS_PER_ORIGIN */
static struct path *leaks;	/* hairpins */
static int n_leaks;

static void
build_world(const char *dir, long n_prefixes, char *rel, char *pfx, char *roa)
{
	FILE *f;

	for (int i = 0; i < N_AS; i++)
		g[i].asn = i < N_T1 ? tier1[i] : i < N_T2 ? 20000u + (uint32_t)i :
		    200000u + (uint32_t)i;	/* past the reserved 65552-131071 */

	snprintf(rel, 256, "%s/as-rel.txt", dir);
	if ((f = fopen(rel, "w")) == NULL) {
		perror(rel);
		exit(1);
	}
	for (int a = 0; a < N_T1; a++)
		for (int b = a + 1; b < N_T1; b++)
			pp(a, b, f);
	for (int i = N_T1; i < N_T2; i++)
		for (int k = 1 + (int)rnd(3); k > 0; k--)
			pc(i < 300 ? (int)rnd(N_T1) :
			    N_T1 + (int)rnd((uint32_t)(i - N_T1)), i, f);
	for (int k = 0; k < 8000; k++)
		pp(N_T1 + (int)rnd(N_T2 - N_T1), N_T1 + (int)rnd(N_T2 - N_T1),
		    f);
	for (int i = N_T2; i < N_AS; i++)
		for (int k = 1 + (int)rnd(2); k > 0; k--)
			pc(N_T1 + (int)rnd(N_T2 - N_T1), i, f);
	for (int k = 0; k < 6000; k++)
		pp(N_T2 + (int)rnd(N_AS - N_T2), N_T2 + (int)rnd(N_AS - N_T2),
		    f);
	fclose(f);
	pool = calloc((size_t)N_AS * PATHS_PER_ORIGIN, sizeof(*pool));
	leaks = calloc(4096, sizeof(*leaks));
	for (int o = 0; o < N_AS; o++)
		for (int k = 0; k < PATHS_PER_ORIGIN; k++) {
			struct path *pa = &pool[o * PATHS_PER_ORIGIN + k];
			int w[16], n = walk(o, w);
			for (int j = n - 1; j >= 0 && pa->n < MAX_HOPS; j--) {
				pa->asn[pa->n++] = g[w[j]].asn;
				if (rnd(10) == 0 && pa->n < MAX_HOPS)
					pa->asn[pa->n++] = g[w[j]].asn;
			}
		}
	for (int c = N_T2; c < N_AS && n_leaks < 4096; c++)
		if (g[c].np >= 2) {
			struct path *pa = &leaks[n_leaks++];
			int p0 = g[c].prov[0];
			pa->n = 3;
			pa->asn[0] = g[g[c].prov[1]].asn;
			pa->asn[1] = g[c].asn;
			pa->asn[2] = g[p0].asn;
			if (g[p0].np > 0)	/* and where p0 learned it */
				pa->asn[pa->n++] = g[g[p0].prov[0]].asn;
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
		int o = N_T2 + (int)((i * 7919) % (N_AS - N_T2));
		if (i % 1000 == 0)
			fprintf(pf, "%u.%u.%u.0/24 %u\n", a >> 24,
			    (a >> 16) & 255, (a >> 8) & 255, g[o].asn);
		if (i % 4 == 0) {
			fprintf(rf, "%s{\"asn\":%u,\"prefix\":\"%u.%u.%u.0/"
			    "24\",\"maxLength\":24,\"ta\":\"bench\"}",
			    first ? "" : ",\n", i % 400 == 0 ? 64496u :
			    g[o].asn, a >> 24, (a >> 16) & 255,
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
	printf("world: %d ASes, %ld AS links, %ld prefixes x %d peers, %d "
	    "hairpin paths\n", N_AS, n_links, n_prefixes, n_peers, n_leaks);
	const struct bf_setting set[] = {
		{ "asrel_file", rel }, { "prefixes_file", pfx },
		{ "roas_file", roa }, { "reload_check_s", "0" },
	};
	const struct bf_plugin *pl = bmpflow_plugin_descriptor();
	rate = calloc((size_t)runs, sizeof(double));
	for (int run = 0; run < runs; run++) {
		char err[512];
		struct timespec t0, t1;
		struct bf_session sess[64];
		void *st;
		struct bf_route r;

		fake_host_reset(&host);
		host.discard = true;
		if ((st = bf_plugin_start(pl, &host, set, 4, err,
		    sizeof(err))) == NULL) {
			fprintf(stderr, "init: %s\n", err);
			return 1;
		}
		memset(&r, 0, sizeof(r));
		r.family = 4;
		r.prefix_len = 24;
		r.prefix = "bench";	/* the plugin reads the bytes */
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
				int o = N_T2 + (int)((i * 7919) %
				    (N_AS - N_T2));
				const struct path *pa = i % 1000 == 999 ?
				    &leaks[(i / 1000) % n_leaks] :
				    &pool[o * PATHS_PER_ORIGIN +
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
		/* Sanity, untimed: every peer down resolves every alert. */
		long before = host.emitted;
		for (int p = 0; p < n_peers; p++) {
			struct bf_session_event e = { .session = &sess[p],
			    .kind = BF_SESSION_DOWN, .epoch = 1,
			    .collector_time_us = r.collector_time_us };

			pl->on_session(st, &e);
		}
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
	return 0;
}
