/*
 * log.h: one line per event to stderr: "2026-11-25T10:00:00.123Z LEVEL msg".
 */
#ifndef BF_LOG_H
#define BF_LOG_H

#include <stddef.h>

enum bf_log_level {
	BF_LOG_ERROR,
	BF_LOG_WARN,
	BF_LOG_INFO,
	BF_LOG_DEBUG,
};

/* Set the most verbose level printed; default info. */
void	bf_log_set_level(enum bf_log_level l);
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

#endif /* BF_LOG_H */
