/* SPDX-License-Identifier: Apache-2.0 */
/*
 * collector/core pieces every program and plugin shares: the one prefix
 * parser (what it refuses and why, what it keeps), prefix containment,
 * IPv6 text as inet_ntop's, the one hash index under colliding hashes,
 * removal and growth, log
 * lines that text from the wire cannot forge, and the log rate limiter
 * (bursts, counts of what it held back, keys apart, time letting lines
 * through again) on an injected clock.
 */
#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/addr.h"
#include "core/hash_index.h"
#include "core/log.h"
#include "test_util.h"

static const struct {
	const char	*text;
	const char	*why;		/* NULL: accepted */
	const char	*canonical;	/* bf_prefix_fmt of what was read */
} prefixes[] = {
	{ "192.0.2.0/24", NULL, "192.0.2.0/24" },
	{ "0.0.0.0/0", NULL, "0.0.0.0/0" },
	{ "203.0.113.7/32", NULL, "203.0.113.7/32" },
	{ "2001:DB8::/32", NULL, "2001:db8::/32" },
	{ "2001:db8:0:0::/48", NULL, "2001:db8::/48" },
	{ "::/0", NULL, "::/0" },
	{ "192.0.2.1/24", "host bits set beyond the prefix length", NULL },
	{ "2001:db8::1/64", "host bits set beyond the prefix length", NULL },
	{ "10.128.0.0/9", NULL, "10.128.0.0/9" },
	{ "10.192.0.0/9", "host bits set beyond the prefix length", NULL },
	{ "192.0.2.0", "no /LENGTH", NULL },
	{ "192.0.2.0/33", "bad prefix length", NULL },
	{ "2001:db8::/129", "bad prefix length", NULL },
	{ "192.0.2.0/", "bad prefix length", NULL },
	{ "192.0.2.0/-1", "bad prefix length", NULL },
	{ "192.0.2.0/24x", "bad prefix length", NULL },
	{ "192.0.2/24", "not an IPv4 or IPv6 address", NULL },
	{ "example.net/24", "not an IPv4 or IPv6 address", NULL },
	{ "/24", "not an IPv4 or IPv6 address", NULL },
	{ "1111:2222:3333:4444:5555:6666:7777:8888:9999/24",
	    "not an IPv4 or IPv6 address", NULL },
};

START_TEST(prefix_parse)
{
	struct bf_prefix p;
	const char *why = NULL;
	char buf[BF_PREFIX_STRLEN];
	int rc = bf_prefix_parse(prefixes[_i].text, &p, &why);

	if (prefixes[_i].why == NULL) {
		ck_assert_msg(rc == 0, "%s refused: %s", prefixes[_i].text,
		    why);
		ck_assert_str_eq(bf_prefix_fmt(&p, buf, sizeof(buf)),
		    prefixes[_i].canonical);
	} else {
		ck_assert_msg(rc < 0, "%s accepted", prefixes[_i].text);
		ck_assert_str_eq(why, prefixes[_i].why);
	}
}
END_TEST

START_TEST(prefix_contains)
{
	struct bf_prefix p;
	struct bf_addr a;
	const char *why;

	ck_assert_int_eq(bf_prefix_parse("10.128.0.0/9", &p, &why), 0);
	ck_assert_int_eq(bf_addr_parse("10.200.1.1", &a), 0);
	ck_assert_int_eq(bf_prefix_contains(&p, &a), 1);
	ck_assert_int_eq(bf_addr_parse("10.127.255.255", &a), 0);
	ck_assert_int_eq(bf_prefix_contains(&p, &a), 0);
	/* Another family never matches, even ::/0 against IPv4. */
	ck_assert_int_eq(bf_prefix_parse("::/0", &p, &why), 0);
	ck_assert_int_eq(bf_prefix_contains(&p, &a), 0);
	ck_assert_int_eq(bf_addr_parse("2001:db8::1", &a), 0);
	ck_assert_int_eq(bf_prefix_contains(&p, &a), 1);
}
END_TEST

/*
 * bf_addr_fmt writes IPv6 as glibc's inet_ntop does (the text is in keys
 * and records): every address of words drawn from 0, 1, 0xffff and a
 * few others, so that zero runs of every length and place, ties and the
 * IPv4-compatible and -mapped forms all occur.
 */
START_TEST(ipv6_text_as_inet_ntop)
{
	static const uint16_t words[] = { 0, 0, 0, 1, 0xffff, 0xdb8, 0x2001,
	    0xa0 };
	struct bf_addr a = { .family = BF_AF_INET6 };
	char got[BF_ADDR_STRLEN], want[BF_ADDR_STRLEN];
	uint32_t x = 12345;

	for (int n = 0; n < 100000; n++) {
		for (int i = 0; i < 8; i++) {
			uint16_t w;

			x = x * 1103515245u + 12345u;
			w = words[(x >> 16) % 8];
			if (w == 0xa0)
				w = (uint16_t)(x >> 8);
			a.a[2 * i] = (uint8_t)(w >> 8);
			a.a[2 * i + 1] = (uint8_t)w;
		}
		ck_assert_ptr_nonnull(inet_ntop(AF_INET6, a.a, want,
		    sizeof(want)));
		ck_assert_str_eq(bf_addr_fmt(&a, got, sizeof(got)), want);
	}
}
END_TEST

/* The ids the index gives for hash h, as a bit set of ids below 64. */
static uint64_t
ids_of(const struct bf_hix *x, uint32_t h)
{
	uint64_t set = 0;

	for (uint32_t id = bf_hix_first(x, h); id != 0; id = bf_hix_next(x, id))
		set |= 1ull << id;
	return set;
}

START_TEST(hash_index_collisions)
{
	struct bf_hix x = { 0 };
	uint64_t want[4] = { 0 };

	/*
	 * 60 ids under 4 hashes that share their low bits (one bucket at any
	 * table size below 2^16): chains must keep them apart by hash.
	 */
	for (uint32_t id = 1; id <= 60; id++) {
		ck_assert_int_eq(bf_hix_insert(&x, id, (id % 4) << 16 | 5), 0);
		want[id % 4] |= 1ull << id;
	}
	for (uint32_t k = 0; k < 4; k++)
		ck_assert_uint_eq(ids_of(&x, k << 16 | 5), want[k]);
	ck_assert_uint_eq(ids_of(&x, 9u << 16 | 5), 0);
	/* Removed from the head, the middle and the tail of chains. */
	for (uint32_t id = 1; id <= 60; id += 3) {
		bf_hix_remove(&x, id);
		want[id % 4] &= ~(1ull << id);
	}
	for (uint32_t k = 0; k < 4; k++)
		ck_assert_uint_eq(ids_of(&x, k << 16 | 5), want[k]);
	ck_assert_uint_eq(x.n, 40);
	ck_assert_uint_gt(bf_hix_bytes(&x), 0);
	bf_hix_free(&x);
	ck_assert_uint_eq(ids_of(&x, 5), 0);
}
END_TEST

START_TEST(hash_index_growth)
{
	struct bf_hix x = { 0 };
	const uint32_t n = 100000;

	/* Spread hashes; every id is found under its own after many doublings. */
	for (uint32_t id = 1; id <= n; id++)
		ck_assert_int_eq(bf_hix_insert(&x, id, id * 2654435761u), 0);
	for (uint32_t id = 1; id <= n; id++) {
		uint32_t h = id * 2654435761u, got = bf_hix_first(&x, h);

		while (got != 0 && got != id)
			got = bf_hix_next(&x, got);
		ck_assert_uint_eq(got, id);
	}
	ck_assert_uint_ge(x.n_buckets, n);
	bf_hix_free(&x);
}
END_TEST

START_TEST(log_escapes_control_bytes)
{
	/* A sysName with a newline forged a whole second log line. */
	const char *in = "edge1\n2026-12-05T00:00:00.000Z error forged\t\\"
	    "\x01\x7f caf\xc3\xa9";
	char out[128], small[8];

	bf_log_escape(in, out, sizeof(out));
	ck_assert_str_eq(out, "edge1\\n2026-12-05T00:00:00.000Z error "
	    "forged\\t\\\\\\x01\\x7f caf\xc3\xa9");
	ck_assert_ptr_null(strchr(out, '\n'));
	/* Cut short, never mid-escape, always terminated. */
	ck_assert_uint_le(bf_log_escape(in, small, sizeof(small)),
	    sizeof(small) - 1);
	ck_assert_ptr_null(strchr(small, '\n'));
}
END_TEST

static int64_t fake_ms;

static int64_t
fake_clock(void)
{
	return fake_ms;
}

/* stderr goes to a file; the test reads its lines back. */
static FILE *
capture_stderr(void)
{
	FILE *f = tmpfile();

	ck_assert_ptr_nonnull(f);
	fflush(stderr);
	ck_assert_int_ge(dup2(fileno(f), fileno(stderr)), 0);
	return f;
}

/* Lines written since the last call containing needle; the last in last. */
static int
lines_with(FILE *f, const char *needle, char *last, size_t cap)
{
	static long read_to;
	char line[2048];
	int n = 0;

	fflush(stderr);
	fseek(f, read_to, SEEK_SET);
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, needle) != NULL) {
			n++;
			if (last != NULL)
				snprintf(last, cap, "%s", line);
		}
	read_to = ftell(f);
	return n;
}

/*
 * Under systemd (stderr is the stream JOURNAL_STREAM names) lines carry
 * syslog priorities, so journalctl -p err finds the errors; elsewhere a
 * timestamp.
 */
START_TEST(log_priorities_for_the_journal)
{
	FILE *f = capture_stderr();
	struct stat st;
	char js[64], last[2048];

	unsetenv("JOURNAL_STREAM");
	bf_log(BF_LOG_ERROR, "plain %d", 1);
	ck_assert_int_eq(lines_with(f, "plain 1", last, sizeof(last)), 1);
	ck_assert_msg(last[0] == '2' && strstr(last, "Z error plain 1") !=
	    NULL, "%s", last);
	ck_assert_int_eq(fstat(fileno(f), &st), 0);
	snprintf(js, sizeof(js), "%llu:%llu", (unsigned long long)st.st_dev,
	    (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", js, 1);
	bf_log(BF_LOG_ERROR, "journal %d", 2);
	ck_assert_int_eq(lines_with(f, "journal 2", last, sizeof(last)), 1);
	ck_assert_str_eq(last, "<3>error journal 2\n");
	bf_log(BF_LOG_WARN, "journal %d", 3);
	ck_assert_int_eq(lines_with(f, "journal 3", last, sizeof(last)), 1);
	ck_assert_str_eq(last, "<4>warn  journal 3\n");
	/* The processor names its plugin in every line. */
	bf_log_set_tag("prefix_health");
	bf_log(BF_LOG_INFO, "journal %d", 4);
	ck_assert_int_eq(lines_with(f, "journal 4", last, sizeof(last)), 1);
	ck_assert_str_eq(last, "<6>info  prefix_health: journal 4\n");
	bf_log_set_tag("");
	/* Another stream than the journal's: timestamps again. */
	setenv("JOURNAL_STREAM", "1:1", 1);
	bf_log(BF_LOG_INFO, "elsewhere");
	ck_assert_int_eq(lines_with(f, "elsewhere", last, sizeof(last)), 1);
	ck_assert(last[0] == '2');
	unsetenv("JOURNAL_STREAM");
}
END_TEST

START_TEST(log_limited_bursts_and_counts)
{
	FILE *f = capture_stderr();
	char last[2048];

	bf_log_set_clock(fake_clock);
	fake_ms = 1000000;
	/* A flood from one router: the burst, then nothing... */
	for (int i = 0; i < 25; i++)
		bf_log_limited(BF_LOG_WARN, "refused connection", "192.0.2.1",
		    "router 192.0.2.1 refused: line %d", i);
	ck_assert_int_eq(lines_with(f, "192.0.2.1", NULL, 0), BF_LOG_BURST);
	/* ...while another router and another kind are not held back. */
	bf_log_limited(BF_LOG_WARN, "refused connection", "192.0.2.2",
	    "router 192.0.2.2 refused");
	bf_log_limited(BF_LOG_WARN, "invalid BMP stream", "192.0.2.1",
	    "router 192.0.2.1: invalid BMP stream");
	ck_assert_int_eq(lines_with(f, "refused", NULL, 0), 1);
	ck_assert_int_eq(lines_with(f, "invalid BMP stream", NULL, 0), 0);
	/* The count waits for the key's limit to let a line through. */
	bf_log_flush_suppressed(0);
	ck_assert_int_eq(lines_with(f, "suppressed", NULL, 0), 0);
	fake_ms += BF_LOG_INTERVAL_S * 1000 - 1;
	bf_log_flush_suppressed(0);
	ck_assert_int_eq(lines_with(f, "suppressed", NULL, 0), 0);
	/* Then one line says how many, of which kind and whom. */
	fake_ms += 1;
	bf_log_flush_suppressed(0);
	ck_assert_int_eq(lines_with(f, "suppressed", last, sizeof(last)), 1);
	ck_assert_msg(strstr(last, " warn  refused connection, "
	    "192.0.2.1: 15 similar lines suppressed in the last 10 s\n") != NULL,
	    "%s", last);
	/* One more interval: lines pass again, with no count left. */
	fake_ms += BF_LOG_INTERVAL_S * 1000;
	bf_log_limited(BF_LOG_WARN, "refused connection", "192.0.2.1",
	    "router 192.0.2.1 refused: again");
	ck_assert_int_eq(lines_with(f, "again", last, sizeof(last)), 1);
	ck_assert_ptr_null(strstr(last, "suppressed"));
	/* A suppressed line is counted on the key's next line. */
	bf_log_limited(BF_LOG_ERROR, "refused connection", "192.0.2.1",
	    "held back");
	fake_ms += BF_LOG_INTERVAL_S * 1000;
	bf_log_limited(BF_LOG_WARN, "refused connection", "192.0.2.1",
	    "router 192.0.2.1 refused: next");
	ck_assert_int_eq(lines_with(f, "next", last, sizeof(last)), 1);
	ck_assert_ptr_nonnull(strstr(last, "refused: next (1 similar lines "
	    "suppressed in the last 10 s)\n"));
	bf_log_flush_suppressed(1);
	ck_assert_int_eq(lines_with(f, "suppressed", NULL, 0), 0);
	bf_log_set_clock(NULL);
}
END_TEST

START_TEST(log_limited_kind_across_sources)
{
	FILE *f = capture_stderr();
	char who[32], last[2048];

	bf_log_set_clock(fake_clock);
	fake_ms = 5000;
	/* A flood from many addresses, one line each: the kind's limit. */
	for (int i = 0; i < 300; i++) {
		snprintf(who, sizeof(who), "198.51.100.%d", i);
		bf_log_limited(BF_LOG_WARN, "refused connection", who,
		    "router %s refused", who);
	}
	ck_assert_int_eq(lines_with(f, "refused", NULL, 0),
	    BF_LOG_KIND_BURST);
	fake_ms += BF_LOG_KIND_INTERVAL_S * 1000;
	bf_log_flush_suppressed(0);
	ck_assert_int_eq(lines_with(f, "suppressed", last, sizeof(last)), 1);
	ck_assert_ptr_nonnull(strstr(last, "refused connection, all sources: "
	    "250 similar lines suppressed in the last 1 s"));
	/* Below the level printed: neither written nor counted. */
	for (int i = 0; i < 100; i++)
		bf_log_limited(BF_LOG_DEBUG, "attribute issue", "192.0.2.9",
		    "noted");
	bf_log_flush_suppressed(1);
	ck_assert_int_eq(lines_with(f, "noted", NULL, 0) + lines_with(f,
	    "suppressed", NULL, 0), 0);
	bf_log_set_clock(NULL);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("core");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, prefix_parse, 0,
	    sizeof(prefixes) / sizeof(prefixes[0]));
	tcase_add_test(tc, prefix_contains);
	tcase_add_test(tc, ipv6_text_as_inet_ntop);
	tcase_add_test(tc, hash_index_collisions);
	tcase_add_test(tc, hash_index_growth);
	tcase_add_test(tc, log_escapes_control_bytes);
	tcase_add_test(tc, log_priorities_for_the_journal);
	tcase_add_test(tc, log_limited_bursts_and_counts);
	tcase_add_test(tc, log_limited_kind_across_sources);
	suite_add_tcase(s, tc);
	return bf_run_suite(s);
}
