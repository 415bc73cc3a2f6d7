/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log.c: log lines on stderr: timestamped, or with syslog priorities for
 * the journal.
 */
#include "log.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BF_LOG_MSG_MAX	1024

static enum bf_log_level max_level = BF_LOG_INFO;
static char tag[64];		/* "NAME: " after the level, or "" */
static const char *const names[] = { "error", "warn", "info", "debug" };

void
bf_log_set_level(enum bf_log_level l)
{
	max_level = l;
}

void
bf_log_set_tag(const char *name)
{
	snprintf(tag, sizeof(tag), "%s%s", name, name[0] != '\0' ? ": " : "");
}

int
bf_log_parse_level(const char *s, enum bf_log_level *out)
{
	for (int i = 0; i <= BF_LOG_DEBUG; i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = (enum bf_log_level)i;
			return 0;
		}
	}
	return -1;
}

int
bf_log_enabled(enum bf_log_level l)
{
	return l <= max_level;
}

size_t
bf_log_escape(const char *in, char *out, size_t cap)
{
	size_t o = 0;

	for (; *in != '\0' && o + 5 < cap; in++) {
		unsigned char c = (unsigned char)*in;

		if (c >= 0x20 && c != 0x7f && c != '\\')
			out[o++] = (char)c;
		else if (c == '\\' || c == '\n' || c == '\t')
			o += (size_t)snprintf(out + o, cap - o, "\\%c",
			    c == '\n' ? 'n' : c == '\t' ? 't' : '\\');
		else
			o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
	}
	out[o] = '\0';
	return o;
}

/*
 * Whether stderr is the journal (systemd sets JOURNAL_STREAM to its
 * device:inode): then lines start with a syslog priority, "<3>" for
 * errors, so that journalctl -p err finds them, and journald adds the
 * time.  Checked per line: lines are few (rate-limited), and a test or a
 * daemon may redirect stderr.
 */
static bool
stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	return js != NULL && sscanf(js, "%llu:%llu", &dev, &ino) == 2 &&
	    fstat(STDERR_FILENO, &st) == 0 && st.st_dev == dev &&
	    st.st_ino == ino;
}

/* Write one line: the timestamp, the level, msg escaped. */
static void
write_line(enum bf_log_level l, const char *msg)
{
	static const int syslog_priority[] = { 3, 4, 6, 7 };
	char line[4 * BF_LOG_MSG_MAX], ts[32];
	struct timespec now;
	struct tm tm;

	if (stderr_is_journal()) {
		bf_log_escape(msg, line, sizeof(line));
		fprintf(stderr, "<%d>%-5s %s%s\n", syslog_priority[l],
		    names[l], tag, line);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	/* Text from routers and files must not forge or break lines. */
	bf_log_escape(msg, line, sizeof(line));
	/* One write per line keeps lines whole when threads log too. */
	fprintf(stderr, "%s.%03ldZ %-5s %s%s\n", ts, now.tv_nsec / 1000000,
	    names[l], tag, line);
}

void
bf_log(enum bf_log_level l, const char *fmt, ...)
{
	char raw[BF_LOG_MSG_MAX];
	va_list ap;

	if (l > max_level)
		return;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	write_line(l, raw);
}

/*
 * The rate limiter.  Each key is a generic cell rate bucket: tat_ms is
 * when its bucket would be full again; a line passes while that stays
 * within burst intervals from now, and pushes it one interval on.
 */
#define LIMIT_SLOTS	256	/* keys held at once; a power of two */
#define LIMIT_PROBE	8	/* the slots a key may take, from its hash */
#define SUMMARY_MAX	96	/* "N similar lines suppressed ..." */

struct limit_key {
	char			 kind[40];
	char			 who[64];	/* "" for the kind's own limit */
	uint32_t		 hash;
	bool			 used;
	enum bf_log_level	 level;		/* most severe suppressed */
	int64_t			 tat_ms, last_ms;
	uint64_t		 suppressed;
	int64_t			 since_ms;	/* first suppressed */
};

static pthread_mutex_t limit_mu = PTHREAD_MUTEX_INITIALIZER;
static struct limit_key keys[LIMIT_SLOTS];
static uint32_t n_pending;		/* keys with suppressed lines */
static int64_t (*limit_clock)(void);

static int64_t
monotonic_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

void
bf_log_set_clock(int64_t (*now_ms)(void))
{
	pthread_mutex_lock(&limit_mu);
	limit_clock = now_ms;
	memset(keys, 0, sizeof(keys));
	n_pending = 0;
	pthread_mutex_unlock(&limit_mu);
}

static uint32_t
fnv1a(uint32_t h, const char *s)
{
	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	/* A field end, so that ("a", "bc") and ("ab", "c") differ. */
	return (h ^ 0xff) * 16777619u;
}

static bool
is_kind(const struct limit_key *k)
{
	return k->who[0] == '\0';
}

/* The summary of k's suppressed lines, as a line or a line's suffix. */
static size_t
summary(const struct limit_key *k, int64_t now, char *out, size_t cap)
{
	int64_t secs = (now - k->since_ms + 999) / 1000;
	int n = snprintf(out, cap, "%" PRIu64 " similar lines suppressed in "
	    "the last %" PRId64 " s", k->suppressed, secs > 0 ? secs : 1);

	return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
}

/* Write k's count as a line of its own and forget it. */
static void
write_summary(struct limit_key *k, int64_t now)
{
	char text[SUMMARY_MAX];

	summary(k, now, text, sizeof(text));
	bf_log(k->level, "%s, %s: %s", k->kind, is_kind(k) ? "all sources" :
	    k->who, text);
	k->suppressed = 0;
	n_pending--;
}

/*
 * The slot of (kind, who), taking a free one or the least recently used
 * of its probe window (never keep, the kind's own slot); a key pushed
 * out writes its count first, so that no count is lost.
 */
static struct limit_key *
limit_slot(const char *kind, const char *who, const struct limit_key *keep,
    int64_t now)
{
	uint32_t h = fnv1a(fnv1a(2166136261u, kind), who);
	struct limit_key *victim = NULL;

	for (uint32_t i = 0; i < LIMIT_PROBE; i++) {
		struct limit_key *k = &keys[(h + i) & (LIMIT_SLOTS - 1)];

		if (k->used && k->hash == h && strncmp(k->kind, kind,
		    sizeof(k->kind) - 1) == 0 && strncmp(k->who, who,
		    sizeof(k->who) - 1) == 0)
			return k;
		if (k == keep)
			continue;
		if (!k->used) {
			if (victim == NULL || victim->used)
				victim = k;
		} else if (victim == NULL || (victim->used &&
		    k->last_ms < victim->last_ms))
			victim = k;
	}
	if (victim->used && victim->suppressed > 0)
		write_summary(victim, now);
	memset(victim, 0, sizeof(*victim));
	victim->used = true;
	victim->hash = h;
	snprintf(victim->kind, sizeof(victim->kind), "%s", kind);
	snprintf(victim->who, sizeof(victim->who), "%s", who);
	victim->tat_ms = now;
	return victim;
}

static bool
may_pass(const struct limit_key *k, int64_t now)
{
	int64_t interval = is_kind(k) ? BF_LOG_KIND_INTERVAL_S * 1000 :
	    BF_LOG_INTERVAL_S * 1000;
	int64_t burst = is_kind(k) ? BF_LOG_KIND_BURST : BF_LOG_BURST;
	int64_t from = k->tat_ms > now ? k->tat_ms : now;

	return from + interval - now <= burst * interval;
}

static void
charge(struct limit_key *k, int64_t now)
{
	int64_t interval = is_kind(k) ? BF_LOG_KIND_INTERVAL_S * 1000 :
	    BF_LOG_INTERVAL_S * 1000;

	k->tat_ms = (k->tat_ms > now ? k->tat_ms : now) + interval;
	k->last_ms = now;
}

static void
suppress(struct limit_key *k, enum bf_log_level l, int64_t now)
{
	if (k->suppressed++ == 0) {
		k->since_ms = now;
		k->level = l;
		n_pending++;
	} else if (l < k->level)
		k->level = l;
	k->last_ms = now;
}

void
bf_log_vlimited(enum bf_log_level l, const char *kind, const char *who,
    const char *fmt, va_list ap)
{
	struct limit_key *all, *key;
	char raw[BF_LOG_MSG_MAX];
	int64_t now;
	size_t n;

	if (l > max_level)
		return;
	if (who == NULL || who[0] == '\0')
		who = "-";
	pthread_mutex_lock(&limit_mu);
	now = limit_clock != NULL ? limit_clock() : monotonic_ms();
	all = limit_slot(kind, "", NULL, now);
	key = limit_slot(kind, who, all, now);
	if (!may_pass(key, now))
		suppress(key, l, now);
	else if (!may_pass(all, now))
		suppress(all, l, now);
	else {
		charge(key, now);
		charge(all, now);
		/* Room for the suffix, so that the count is never cut. */
		vsnprintf(raw, sizeof(raw) - SUMMARY_MAX, fmt, ap);
		if (key->suppressed > 0) {
			n = strlen(raw);
			raw[n++] = ' ';
			raw[n++] = '(';
			n += summary(key, now, raw + n, SUMMARY_MAX - 3);
			snprintf(raw + n, sizeof(raw) - n, ")");
			key->suppressed = 0;
			n_pending--;
		}
		write_line(l, raw);
	}
	pthread_mutex_unlock(&limit_mu);
}

void
bf_log_limited(enum bf_log_level l, const char *kind, const char *who,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	bf_log_vlimited(l, kind, who, fmt, ap);
	va_end(ap);
}

void
bf_log_flush_suppressed(int all)
{
	int64_t now;

	pthread_mutex_lock(&limit_mu);
	now = limit_clock != NULL ? limit_clock() : monotonic_ms();
	if (n_pending > 0) {
		for (size_t i = 0; i < LIMIT_SLOTS && n_pending > 0; i++) {
			struct limit_key *k = &keys[i];

			if (k->used && k->suppressed > 0 &&
			    (all || may_pass(k, now))) {
				charge(k, now);
				write_summary(k, now);
			}
		}
	}
	pthread_mutex_unlock(&limit_mu);
}
