/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log.h: one line per event to stderr: "2026-11-25T10:00:00.123Z LEVEL msg".
 */
#ifndef BF_LOG_H
#define BF_LOG_H

#include <stddef.h>
#include <stdarg.h>
#include <stdint.h>

enum bf_log_level {
	BF_LOG_ERROR,
	BF_LOG_WARN,
	BF_LOG_INFO,
	BF_LOG_DEBUG,
};

/* Set the most verbose level printed; default info. */
void	bf_log_set_level(enum bf_log_level l);
/*
 * Name every line after the level ("prefix_health: ..."): the processor
 * names its plugin, so that one journal or file tells instances apart.
 */
void	bf_log_set_tag(const char *name);
/* Parse "error", "warn", "info", "debug": 0, or -1 when unknown. */
int	bf_log_parse_level(const char *s, enum bf_log_level *out);
int	bf_log_enabled(enum bf_log_level l);
/*
 * One line; control bytes of the message (a sysName's newline, a file's
 * escape sequences) are written escaped (\n, \t, \xNN; a backslash as
 * \\), so that no text from the wire can forge or break a log line.
 */
void	bf_log(enum bf_log_level l, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* That escaping of in into out (cap > 5 bytes); the length written. */
size_t	bf_log_escape(const char *in, char *out, size_t cap);

/*
 * Rate-limited lines, for what an outsider can repeat at will (refused
 * connects, broken streams, bad records, failed deliveries).  A line's
 * key is its kind (a constant: "refused connection") and whom it
 * concerns ("router 192.0.2.1", "bmp.route [3]").  Lines of one key pass
 * in a burst of BF_LOG_BURST, then one per BF_LOG_INTERVAL_S; lines of
 * one kind, whatever whom, BF_LOG_KIND_BURST then one per
 * BF_LOG_KIND_INTERVAL_S, so a flood from many addresses is bounded too.
 * The others are counted: the next line of the key ends with "(N similar
 * lines suppressed in the last S s)", and bf_log_flush_suppressed, called
 * from a timer, writes "WHO: N similar lines suppressed in the last S s
 * (KIND)" for a key gone quiet, when its limit lets a line through.
 * Keys live in a fixed table (no allocation); a key pushed out of it by
 * others adds its count to its kind's.  Safe from any thread.
 */
#define BF_LOG_BURST		10
#define BF_LOG_INTERVAL_S	10
#define BF_LOG_KIND_BURST	50
#define BF_LOG_KIND_INTERVAL_S	1

void	bf_log_limited(enum bf_log_level l, const char *kind, const char *who,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void	bf_log_vlimited(enum bf_log_level l, const char *kind,
	    const char *who, const char *fmt, va_list ap)
	    __attribute__((format(printf, 4, 0)));
/*
 * Write the counts of suppressed lines whose key may log again; with
 * all (at exit), every count.  Cheap when nothing waits: call it often.
 */
void	bf_log_flush_suppressed(int all);
/* Tests: the limiter's clock, ms (NULL: CLOCK_MONOTONIC); forgets all keys. */
void	bf_log_set_clock(int64_t (*now_ms)(void));

#endif /* BF_LOG_H */
