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

void
bf_log(enum bf_log_level l, const char *fmt, ...)
{
	char raw[1024], line[4 * sizeof(raw)], ts[32];
	struct timespec now;
	struct tm tm;
	va_list ap;

	if (l > max_level)
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	/* Text from routers and files must not forge or break lines. */
	bf_log_escape(raw, line, sizeof(line));
	/* One write per line keeps lines whole when threads log too. */
	fprintf(stderr, "%s.%03ldZ %-5s %s\n", ts, now.tv_nsec / 1000000,
	    names[l], line);
}
