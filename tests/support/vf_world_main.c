/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bmpflow-vf-world: a vf_world for the Python tests, so that they and the
 * C tests draw valley-free paths from one generator.
 *
 *   bmpflow-vf-world --tiers T1,T2,STUBS --bases B1,B2,B3 --t2-peers N
 *       --seed S --asrel FILE --from AS[,AS...] --paths N
 *
 * Writes the world's relationship file to FILE and N AS paths to standard
 * output, one per line, ASNs separated by spaces: path i as neighbour
 * from[i % count] sends it (its walk, up to 2 hops up, a peer, up to 3
 * down), the origin last.  Every transit AS buys from tier 1.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "vf_world.h"

#define MAX_FROM	64

static void
usage(void)
{
	fprintf(stderr, "usage: bmpflow-vf-world --tiers T1,T2,STUBS --bases "
	    "B1,B2,B3 [--t2-peers N] [--seed S] --asrel FILE --from AS[,AS...] "
	    "--paths N\n");
	exit(2);
}

/* Up to max numbers "a,b,c" into v; exits on anything else. */
static unsigned
numbers(const char *s, uint32_t *v, unsigned max)
{
	unsigned n = 0;
	char *end;

	do {
		errno = 0;
		unsigned long x = strtoul(s, &end, 10);
		if (errno || end == s || n == max || x > UINT32_MAX)
			usage();
		v[n++] = (uint32_t)x;
		s = end + 1;
	} while (*end == ',');
	if (*end != '\0')
		usage();
	return n;
}

int
main(int argc, char **argv)
{
	uint32_t tiers[3] = { 0 }, bases[3] = { 0 }, from[MAX_FROM], v;
	unsigned n_from = 0, paths = 0, start[MAX_FROM];
	uint64_t seed = 1;
	struct vf_shape s = { 0 };
	struct vf_world w;
	const char *asrel = NULL;
	FILE *f;

	for (int i = 1; i + 1 < argc; i += 2) {
		const char *o = argv[i], *a = argv[i + 1];

		if (strcmp(o, "--tiers") == 0 && numbers(a, tiers, 3) == 3)
			continue;
		if (strcmp(o, "--bases") == 0 && numbers(a, bases, 3) == 3)
			continue;
		if (strcmp(o, "--t2-peers") == 0 && numbers(a, &v, 1))
			s.t2_peers = v;
		else if (strcmp(o, "--seed") == 0 && numbers(a, &v, 1) && v)
			seed = v;
		else if (strcmp(o, "--asrel") == 0)
			asrel = a;
		else if (strcmp(o, "--from") == 0)
			n_from = numbers(a, from, MAX_FROM);
		else if (strcmp(o, "--paths") == 0 && numbers(a, &v, 1))
			paths = v;
		else
			usage();
	}
	if (argc % 2 == 0 || asrel == NULL || n_from == 0 || tiers[0] == 0 ||
	    tiers[1] == 0 || tiers[2] == 0)
		usage();
	s.n_t1 = tiers[0];
	s.n_t2 = s.t2_under_t1 = tiers[1];
	s.n_stub = tiers[2];
	s.t1_base = bases[0];
	s.t2_base = bases[1];
	s.stub_base = bases[2];
	vf_world_init(&w, &s, seed);
	for (unsigned i = 0; i < n_from; i++) {
		long k = vf_world_find(&w, from[i]);

		if (k < 0) {
			fprintf(stderr, "bmpflow-vf-world: AS%" PRIu32 " is not "
			    "in the world\n", from[i]);
			return 2;
		}
		start[i] = (unsigned)k;
	}
	if ((f = fopen(asrel, "w")) == NULL || vf_world_write_asrel(&w, f) ||
	    fclose(f) != 0) {
		perror(asrel);
		return 1;
	}
	for (unsigned i = 0; i < paths; i++) {
		unsigned walk[VF_MAX_WALK], n;
		uint32_t path[VF_MAX_PATH];

		n = vf_world_walk(&w, start[i % n_from], 2, 3, walk);
		n = vf_world_as_path(&w, walk, n, false, path);
		for (unsigned k = 0; k < n; k++)
			printf("%s%" PRIu32, k ? " " : "", path[k]);
		putchar('\n');
	}
	vf_world_free(&w);
	return fflush(stdout) == 0 ? 0 : 1;
}
