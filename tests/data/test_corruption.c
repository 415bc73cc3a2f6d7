/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Random byte flips over every real capture, bounded in count: the decoder
 * never crashes, never reads out of bounds (ASan), and every message wholly
 * before the first flipped byte still decodes as in the clean stream.
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bmp_consume.h"
#include "read_file.h"
#include "test_util.h"

#define FLIPS_PER_FILE	60
#define MAX_FILES	64

static char	*paths[MAX_FILES];
static int	 n_paths;
static FILE	*devnull;

/* splitmix64: deterministic, so a failure can be replayed from its seed. */
static uint64_t
next_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

struct walk_result {
	size_t		 limit;		/* count OK messages ending before this */
	unsigned	 ok_before;
	uint64_t	 routes;
};

/* Exercise everything a consumer touches: routes and the JSON printer. */
static void
on_msg(struct bmp_stream *s, size_t off, enum bmp_msg_result res,
    const struct bf_err *err, void *arg)
{
	struct walk_result *wr = arg;

	(void)err;
	if (res != BMP_MSG_OK)
		return;
	if (off + s->msg.length <= wr->limit)
		wr->ok_before++;
	wr->routes += consume_msg(devnull, s, off);
}

static void
walk_all(const uint8_t *buf, size_t len, struct walk_result *wr)
{
	struct bmp_stream s;
	struct bf_err err = { 0 };
	size_t err_off;

	ck_assert_int_eq(bmp_stream_init(&s, BMP_DEFAULT_MAX_MSG,
	    BMP_STREAM_MAX_PEERS), 0);
	(void)bmp_stream_walk(&s, buf, len, on_msg, wr, &err, &err_off);
	bmp_stream_free(&s);
}

START_TEST(flips_keep_earlier_messages)
{
	size_t len = 0;
	uint8_t *clean = test_read_file(paths[_i], &len), *buf;
	uint64_t seed = 0x5eed0000u + (uint64_t)_i, rng = seed;

	ck_assert_msg(clean != NULL, "cannot read %s", paths[_i]);
	ck_assert_ptr_nonnull(buf = malloc(len));
	for (int round = 0; round < FLIPS_PER_FILE; round++) {
		struct walk_result ref = { 0 }, got = { 0 };
		int flips = 1 + (int)(next_rand(&rng) % 8);
		size_t first = len;

		memcpy(buf, clean, len);
		for (int k = 0; k < flips && len > 0; k++) {
			size_t at = next_rand(&rng) % len;

			buf[at] ^= (uint8_t)(1 + next_rand(&rng) % 255);
			if (at < first)
				first = at;
		}
		ref.limit = got.limit = first;
		walk_all(clean, len, &ref);
		walk_all(buf, len, &got);
		ck_assert_msg(got.ok_before == ref.ok_before, "%s seed %#llx "
		    "round %d: %u messages before offset %zu decoded, %u "
		    "expected", paths[_i], (unsigned long long)seed, round,
		    got.ok_before, first, ref.ok_before);
	}
	free(buf);
	free(clean);
}
END_TEST

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
main(void)
{
	const char *dir = getenv("BMPFLOW_SHARED_DATA");
	char bmpdir[1024];
	DIR *d;
	struct dirent *e;
	Suite *s = suite_create("corruption");
	TCase *tc = tcase_create("captures");

	if (dir == NULL)
		dir = BMPFLOW_SHARED_DATA;
	snprintf(bmpdir, sizeof(bmpdir), "%s/bmp", dir);
	if ((d = opendir(bmpdir)) == NULL) {
		fprintf(stderr, "cannot open %s: the shared captures are needed\n",
		    bmpdir);
		return EXIT_FAILURE;
	}
	while ((e = readdir(d)) != NULL && n_paths < MAX_FILES) {
		size_t n = strlen(e->d_name);
		char *p;

		if (n < 5 || strcmp(e->d_name + n - 4, ".bmp") != 0)
			continue;
		p = malloc(strlen(bmpdir) + n + 2);
		sprintf(p, "%s/%s", bmpdir, e->d_name);
		paths[n_paths++] = p;
	}
	closedir(d);
	qsort(paths, (size_t)n_paths, sizeof(paths[0]), cmp_str);
	if (n_paths == 0 || (devnull = fopen("/dev/null", "w")) == NULL) {
		fprintf(stderr, "no captures found in %s\n", bmpdir);
		return EXIT_FAILURE;
	}
	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, flips_keep_earlier_messages, 0, n_paths);
	suite_add_tcase(s, tc);
	return bf_run_suite(s);
}
