/*
 * test_util.h: helpers shared by the Check tests.
 */
#ifndef BF_TEST_UTIL_H
#define BF_TEST_UTIL_H

#include <check.h>
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Parse hex text ("ff ff 00 1a", whitespace and '|' ignored) into out.
 * Returns the byte count; aborts the test on malformed text or overflow.
 */
static inline size_t
hex_bytes(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	for (const char *p = hex; *p != '\0'; p++) {
		int v;

		if (isspace((unsigned char)*p) || *p == '|')
			continue;
		if (!isxdigit((unsigned char)*p)) {
			fprintf(stderr, "bad hex character '%c' in vector\n", *p);
			abort();
		}
		v = isdigit((unsigned char)*p) ? *p - '0' :
		    tolower((unsigned char)*p) - 'a' + 10;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n == cap) {
			fprintf(stderr, "hex vector longer than %zu bytes\n", cap);
			abort();
		}
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	if (hi >= 0) {
		fprintf(stderr, "odd number of hex digits in vector\n");
		abort();
	}
	return n;
}

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
