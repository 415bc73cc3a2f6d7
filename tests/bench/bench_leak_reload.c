/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_leak_reload.c: how long leak_detect holds the processing thread
 * when a large AS relationship file is replaced.
 *
 * Writes an as-rel file of N links, starts the plugin on it
 * (reload_check_s 1), then drives it as the host does: a batch of route
 * records, one on_tick a simulated second later, again and again.  After
 * the third tick the file is replaced (written beside it, renamed over
 * it) by one link longer; the loop runs until the plugin reports the
 * reload (reloads_total, input_entries).  Each on_route and on_tick call
 * is timed on its own.
 *
 *   bench_leak_reload [--links N (2000000)] [--routes N (2000, per tick)]
 *
 * Prints the longest on_tick and on_route call in wall-clock time and in
 * the processing thread's CPU time (on a busy machine the wall clock
 * counts time the thread waited for a CPU, the loading thread's
 * included), the routes judged while the new file was being read, and the
 * wall time from the rename to the new table in use.
 */
#ifndef _GNU_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bmpflow/plugin.h"
#include "clock_s.h"
#include "fake_host.h"

#define US		1000000LL
#define T0		(1700000040LL * US)
#define LIMIT_S		600.0	/* wall-clock bound of the whole run */

static struct bf_host host;	/* fake_host.c, counting only */

/* The longest of some calls, in wall-clock and in this thread's CPU time. */
struct longest {
	double	wall, cpu;
	double	wall0, cpu0;	/* of the call being timed */
};

static void
call_start(struct longest *l)
{
	l->wall0 = clock_s(CLOCK_MONOTONIC);
	l->cpu0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
}

static void
call_end(struct longest *l)
{
	double wall = clock_s(CLOCK_MONOTONIC) - l->wall0;
	double cpu = clock_s(CLOCK_THREAD_CPUTIME_ID) - l->cpu0;

	if (wall > l->wall)
		l->wall = wall;
	if (cpu > l->cpu)
		l->cpu = cpu;
}

/*
 * n links between distinct public ASNs, provider|customer and peers
 * alternating, written to tmp and renamed to path.
 */
static void
write_asrel(const char *path, long n)
{
	char tmp[300];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((f = fopen(tmp, "w")) == NULL) {
		perror(tmp);
		exit(1);
	}
	fprintf(f, "# bench_leak_reload: %ld links\n", n);
	for (long i = 0; i < n; i++)
		fprintf(f, "%ld|%ld|%d\n", 200000 + i / 16, 300000000 + i,
		    i & 1 ? 0 : -1);
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		perror(path);
		exit(1);
	}
}

int
main(int argc, char **argv)
{
	long links = 2000000, per_tick = 2000;
	char dir[] = "/tmp/bench_leak_reload.XXXXXX", rel[256], cmd[320],
	    err[512];
	const struct bf_plugin *pl = bmpflow_plugin_descriptor();
	struct bf_session sess = { .id = 0, .router = "192.0.2.1",
	    .peer = "198.51.100.1", .peer_as = 3356 };
	struct longest on_tick = { 0 }, on_route = { 0 };
	double t_renamed = 0, t_loaded = 0, start;
	long routes_during = 0, ticks = 0;
	uint32_t path[3] = { 3356, 0, 0 };
	struct bf_route r;
	void *st;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--links") == 0 && i + 1 < argc)
			links = atol(argv[++i]);
		else if (strcmp(argv[i], "--routes") == 0 && i + 1 < argc)
			per_tick = atol(argv[++i]);
		else {
			fprintf(stderr, "usage: %s [--links N (2000000)] "
			    "[--routes N (2000, per tick)]\n", argv[0]);
			return 2;
		}
	}
	if (links < 1 || links > 100000000 || per_tick < 1) {
		fprintf(stderr, "bad arguments\n");
		return 2;
	}
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(rel, sizeof(rel), "%s/as-rel.txt", dir);
	write_asrel(rel, links);
	const char *const set[] = { "asrel_file", rel, "reload_check_s", "1" };
	start = clock_s(CLOCK_MONOTONIC);
	if ((st = fake_plugin_start(&host, set, 4, err, sizeof(err))) == NULL) {
		fprintf(stderr, "init: %s\n", err);
		return 1;
	}
	printf("%ld links loaded at init in %.3f s\n", links, clock_s(CLOCK_MONOTONIC) - start);
	host.discard = true;
	memset(&r, 0, sizeof(r));
	r.session = &sess;
	r.family = 4;
	r.prefix_len = 24;
	r.prefix = "bench";	/* the plugin reads the bytes */
	r.epoch = 1;
	r.as_path = path;
	r.as_path_count = r.as_path_len = 3;
	r.has_origin_as = true;
	r.next_hop = sess.peer;
	start = clock_s(CLOCK_MONOTONIC);
	while (fake_metric_value(&host, "reloads_total",
	    "file=\"asrel\",result=\"ok\"") < 1) {
		int64_t t = T0 + ticks * US;

		if (clock_s(CLOCK_MONOTONIC) - start > LIMIT_S) {
			fprintf(stderr, "no reload after %.0f s\n", LIMIT_S);
			return 1;
		}
		r.collector_time_us = r.bmp_time_us = t;
		for (long i = 0; i < per_tick; i++) {
			uint32_t a = (uint32_t)(16777216 + (i & 65535) * 256);

			r.addr[0] = (uint8_t)(a >> 24);
			r.addr[1] = (uint8_t)(a >> 16);
			r.addr[2] = (uint8_t)(a >> 8);
			path[1] = 200000 + (uint32_t)(i % 1000);
			path[2] = 300000000 + (uint32_t)i;
			r.origin_as = path[2];
			call_start(&on_route);
			pl->on_route(st, &r);
			call_end(&on_route);
		}
		if (t_renamed > 0)
			routes_during += per_tick;
		call_start(&on_tick);
		pl->on_tick(st, t);
		call_end(&on_tick);
		if (++ticks == 3) {
			write_asrel(rel, links + 1);
			t_renamed = clock_s(CLOCK_MONOTONIC);
		}
	}
	t_loaded = clock_s(CLOCK_MONOTONIC);
	printf("reload of %ld links: longest on_tick %.3f ms (CPU %.3f ms), "
	    "longest on_route %.3f ms (CPU %.3f ms); %ld routes judged "
	    "between the rename and the new table in use, %.3f s after the "
	    "rename (%ld ticks); input_entries %.0f\n", links + 1,
	    on_tick.wall * 1e3, on_tick.cpu * 1e3, on_route.wall * 1e3,
	    on_route.cpu * 1e3, routes_during, t_loaded - t_renamed, ticks,
	    fake_metric_value(&host, "input_entries", "file=\"asrel\""));
	pl->fini(st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return 0;
}
