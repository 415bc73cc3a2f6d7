/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_util.h: helpers shared by the Check tests.
 */
#ifndef BF_TEST_UTIL_H
#define BF_TEST_UTIL_H

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bmp_build.h"	/* hex_bytes */

/* Dump bytes to stderr, for diagnosing a failed vector. */
static inline void
hex_dump(const char *what, const uint8_t *p, size_t n)
{
	fprintf(stderr, "%s (%zu bytes):", what, n);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "%s%02x", i % 16 ? " " : "\n  ", p[i]);
	fputc('\n', stderr);
}

/*
 * Copy n bytes to a fresh heap buffer of exactly n bytes, so that ASan
 * catches any read past the end of a truncated input.
 */
static inline uint8_t *
exact_copy(const uint8_t *p, size_t n)
{
	uint8_t *b = malloc(n ? n : 1);

	if (b == NULL)
		abort();
	if (n)
		memcpy(b, p, n);
	return b;
}

/*
 * Run every test of s and free it; returns EXIT_SUCCESS when all passed,
 * else EXIT_FAILURE, for main to return.
 */
static inline int
bf_run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif /* BF_TEST_UTIL_H */
