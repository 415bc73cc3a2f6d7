/*
 * log.c: timestamped log lines on stderr.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static enum bf_log_level max_level = BF_LOG_INFO;
static const char *const names[] = { "error", "warn", "info", "debug" };

void
bf_log_set_level(enum bf_log_level l)
{
	max_level = l;
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

void
bf_log(enum bf_log_level l, const char *fmt, ...)
{
	char line[1024], ts[32];
	struct timespec now;
	struct tm tm;
	va_list ap;

	if (l > max_level)
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One write per line keeps lines whole when threads log too. */
	fprintf(stderr, "%s.%03ldZ %-5s %s\n", ts, now.tv_nsec / 1000000,
	    names[l], line);
}
