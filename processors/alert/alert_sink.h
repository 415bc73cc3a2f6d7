/* SPDX-License-Identifier: Apache-2.0 */
/*
 * alert_sink.h: where alerts go: a webhook (libcurl HTTP POST), syslog
 * (RFC 5424 over UDP, TCP with RFC 6587 octet counting, or a local
 * socket) and e-mail (libcurl SMTP).  One attempt per call; the caller
 * retries, paces and counts.
 */
#ifndef ALERT_SINK_H
#define ALERT_SINK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <curl/curl.h>

#include "alert_opts.h"
#include "alert_record.h"

enum sink_result {
	SINK_TAKEN,	/* the receiver took it */
	SINK_RETRY,	/* down, busy or timed out: try again later */
	SINK_REFUSED,	/* refused for good (HTTP 4xx, SMTP 5xx): skip */
};

struct alert_sink {
	enum alert_sink_kind		 kind;
	const struct alert_settings	*s;
	CURL				*curl;
	struct curl_slist		*list;	/* headers or recipients */
	int				 fd;	/* syslog socket, -1 closed */
	char				 hostname[256];
	double				 tokens;	/* rate limit bucket */
	int64_t				 refilled_ms;
	bool				 down;	/* failing since down_ms */
	int64_t				 down_ms;
	/* Read by the metrics thread. */
	_Atomic uint64_t		 delivered, failed, retried, refused,
					 outages;
	_Atomic int			 up;
};

/* Make sink kind of s.  0, or -1 with err. */
int	sink_open(struct alert_sink *k, enum alert_sink_kind kind,
	    const struct alert_settings *s, char *err, size_t errlen);
void	sink_close(struct alert_sink *k);
/*
 * One attempt to hand a over, with its rendered text and subject.  On
 * SINK_RETRY and SINK_REFUSED, why says what happened.
 */
enum sink_result sink_deliver(struct alert_sink *k, const struct alert *a,
	    const char *text, const char *subject, char *why, size_t whylen);
/* CLOCK_MONOTONIC in milliseconds: back-off and rate limits. */
int64_t	sink_now_ms(void);
/* Milliseconds until the rate limit lets one more through (0: now). */
int64_t	sink_rate_wait_ms(struct alert_sink *k, int64_t now_ms);
/* One delivery taken from the bucket. */
void	sink_rate_take(struct alert_sink *k);

#endif /* ALERT_SINK_H */
