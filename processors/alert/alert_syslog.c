/* SPDX-License-Identifier: Apache-2.0 */
/*
 * alert_syslog.c: RFC 5424 lines to a syslog server.
 */
#include "alert_syslog.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "core/opttab.h"

/* RFC 5424 §6.2.1 severities. */
#define SEV_ERR		3
#define SEV_WARNING	4
#define SEV_NOTICE	5
/* The SD-ID's enterprise number: RFC 5612's, for documentation use. */
#define SD_ID		"bmpflow@32473"

int
syslog_open(struct alert_sink *k, char *err, size_t errlen)
{
	const char *t = k->s->syslog_target;
	char host[256];
	unsigned port;

	if (gethostname(k->hostname, sizeof(k->hostname)) < 0 ||
	    k->hostname[0] == '\0')
		snprintf(k->hostname, sizeof(k->hostname), "-");
	if (strncmp(t, "unix:", 5) == 0)
		return 0;
	if (bf_hostport_split(t + 6, host, sizeof(host), &port) < 0 ||
	    port == 0) {
		snprintf(err, errlen, "syslog %s: expected udp://HOST:PORT or "
		    "tcp://HOST:PORT", t);
		return -1;
	}
	return 0;
}

/* What the alert's state and type make of it (hijacks are worse). */
static int
severity(const struct alert *a)
{
	if (a->state == STATE_RESOLVED)
		return SEV_NOTICE;
	return strstr(alert_field(a, "type"), "hijack") != NULL ? SEV_ERR :
	    SEV_WARNING;
}

/* An SD-PARAM value: '"', '\\' and ']' escaped (RFC 5424 §6.3.3). */
static void
sd_value(FILE *f, const char *name, const char *v)
{
	fprintf(f, " %s=\"", name);
	for (; *v != '\0'; v++) {
		if (*v == '"' || *v == '\\' || *v == ']')
			fputc('\\', f);
		fputc(*v, f);
	}
	fputc('"', f);
}

/* One RFC 5424 message; malloc'd. */
static char *
message(const struct alert_sink *k, const struct alert *a, const char *text,
    size_t *len)
{
	static const char *const sd[] = { "alert_id", "type", "state",
		"severity", "prefix" };
	char *buf = NULL, ts[40];
	struct timespec now;
	struct tm tm;
	FILE *f = open_memstream(&buf, len);

	if (f == NULL)
		return NULL;
	clock_gettime(CLOCK_REALTIME, &now);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", gmtime_r(&now.tv_sec,
	    &tm));
	/* PRI VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG */
	fprintf(f, "<%d>1 %s.%06ldZ %s bmpflow-alert %d %.32s [" SD_ID,
	    k->s->syslog_facility * 8 + severity(a), ts,
	    now.tv_nsec / 1000, k->hostname, (int)getpid(),
	    alert_field(a, "type"));
	for (size_t i = 0; i < sizeof(sd) / sizeof(sd[0]); i++)
		sd_value(f, sd[i], alert_field(a, sd[i]));
	fprintf(f, "] %s", text);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* A socket connected to the target, or -1 with why. */
static int
connect_target(const struct alert_sink *k, char *why, size_t whylen)
{
	const char *t = k->s->syslog_target;
	struct timeval tv = { k->s->timeout_s, 0 };
	struct addrinfo hints = { 0 }, *res, *ai;
	char host[256], port_text[8];
	unsigned port;
	int fd = -1, rc;

	if (strncmp(t, "unix:", 5) == 0) {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };

		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", t + 5);
		if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0 ||
		    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
			snprintf(why, whylen, "%s: %s", t + 5, strerror(errno));
			if (fd >= 0)
				close(fd);
			return -1;
		}
		return fd;
	}
	(void)bf_hostport_split(t + 6, host, sizeof(host), &port);
	snprintf(port_text, sizeof(port_text), "%u", port);
	hints.ai_socktype = t[0] == 'u' ? SOCK_DGRAM : SOCK_STREAM;
	if ((rc = getaddrinfo(host, port_text, &hints, &res)) != 0) {
		snprintf(why, whylen, "%s: %s", host, gai_strerror(rc));
		return -1;
	}
	snprintf(why, whylen, "no address");
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    0)) < 0)
			continue;
		/* The send timeout bounds connect(2) too. */
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		snprintf(why, whylen, "%s: %s", t, strerror(errno));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

/* Whether a stream socket's peer has closed it (or failed it). */
static int
stream_closed(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char b;

	if (poll(&p, 1, 0) <= 0)
		return 0;
	return (p.revents & (POLLERR | POLLHUP)) != 0 ||
	    recv(fd, &b, 1, MSG_DONTWAIT) <= 0;
}

enum sink_result
syslog_send(struct alert_sink *k, const struct alert *a, const char *text,
    char *why, size_t whylen)
{
	bool tcp = strncmp(k->s->syslog_target, "tcp://", 6) == 0;
	size_t len = 0, off = 0;
	char *msg = message(k, a, text, &len), head[24];
	ssize_t n;
	int hl = 0;

	if (msg == NULL) {
		snprintf(why, whylen, "out of memory");
		return SINK_RETRY;
	}
	if (k->fd >= 0 && tcp && stream_closed(k->fd)) {
		close(k->fd);
		k->fd = -1;
	}
	if (k->fd < 0 && (k->fd = connect_target(k, why, whylen)) < 0) {
		free(msg);
		return SINK_RETRY;
	}
	if (tcp)
		hl = snprintf(head, sizeof(head), "%zu ", len);
	/* The frame's length, then the message; partial writes go on. */
	while (off < (size_t)hl + len) {
		const char *p = off < (size_t)hl ? head + off :
		    msg + (off - (size_t)hl);
		size_t left = off < (size_t)hl ? (size_t)hl - off :
		    len - (off - (size_t)hl);

		if ((n = send(k->fd, p, left, MSG_NOSIGNAL)) < 0) {
			snprintf(why, whylen, "%s: %s", k->s->syslog_target,
			    strerror(errno));
			close(k->fd);
			k->fd = -1;
			free(msg);
			/* A frame cut short would corrupt the stream: resend whole. */
			return SINK_RETRY;
		}
		off += (size_t)n;
	}
	free(msg);
	return SINK_TAKEN;
}
