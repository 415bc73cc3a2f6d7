/* SPDX-License-Identifier: Apache-2.0 */
/*
 * collector.h: the collector daemon's event loop state: listeners, router
 * sessions, decode → encode → produce, back-pressure and metrics.
 */
#ifndef BF_COLLECTOR_H
#define BF_COLLECTOR_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <uv.h>

#include "../common/config.h"
#include "../encode/records.h"
#include "../produce/producer.h"
#include "../produce/route_state.h"
#include "core/metrics_http.h"

enum bf_err_kind {
	BF_ERRK_MESSAGE,	/* one message undecodable, session goes on */
	BF_ERRK_FRAMING,	/* bad BMP common header: session closed */
	BF_ERRK_TRUNCATED,	/* connection closed inside a message */
	BF_ERRK_ATTR_DISCARD,	/* RFC 7606 attribute-discard */
	BF_ERRK_TREAT_AS_WITHDRAW,
	BF_ERRK_PEER_LIMIT,	/* more peers than max-peers */
	BF_ERRK_ENCODE,		/* record could not be encoded */
	BF_ERRK_COUNT,
};

/* Why a router session ended (bmpflow_sessions_closed_total's reason). */
enum bf_close_reason {
	BF_CLOSE_ROUTER,		/* the router closed, or a socket error */
	BF_CLOSE_INVALID_STREAM,	/* bad BMP framing */
	BF_CLOSE_INITIATION_TIMEOUT,	/* no first message in time */
	BF_CLOSE_MESSAGE_TIMEOUT,	/* a message stopped arriving */
	BF_CLOSE_BUFFER_LIMIT,		/* max-buffer-mbytes reached */
	BF_CLOSE_SHUTDOWN,
	BF_CLOSE_COUNT,
};

struct bf_metrics {
	uint64_t	sessions_accepted;
	uint64_t	sessions_refused_allowlist;
	uint64_t	sessions_refused_limit;
	uint64_t	sessions_refused_fds;	/* file descriptors short */
	uint64_t	sessions_closed;
	uint64_t	closed_by[BF_CLOSE_COUNT];
	uint64_t	accept_errors;
	uint64_t	bytes;
	uint64_t	msgs_by_type[BMP_TYPE_MAX];
	uint64_t	msgs_unknown_type;
	uint64_t	errors[BF_ERRK_COUNT];
	uint64_t	backpressure_pauses;
	uint64_t	backpressure_ms;
};

struct bf_session;

struct bf_collector {
	uv_loop_t		*loop;
	const struct bf_config	*cfg;
	struct bf_encoder	 enc;
	struct bf_producer	 prod;
	struct bf_route_state	 state;		/* bmp.route.state */
	uv_tcp_t		 listeners[BF_MAX_LISTEN];
	int			 n_listeners;
	struct bf_session	*sessions;	/* doubly linked */
	uint32_t		 n_sessions;
	uint64_t		 epoch_clock;	/* peer epochs of all sessions */
	bool			 paused;	/* back-pressure: not reading */
	uint64_t		 paused_since;
	bool			 stopping;
	uv_timer_t		 poll_timer;
	uv_timer_t		 sweep_timer;	/* session timeouts */
	uint64_t		 buffered;	/* session buffer bytes, all */
	int			 fd_limit;	/* accept below this descriptor */
	struct bf_metrics_http	 http;
	bool			 http_on;
	struct bf_metrics	 m;
};

/*
 * Load schemas, connect the producer to brokers, bind every listener and
 * the metrics endpoint.  Returns 0, or -1 with errbuf.
 */
int	bf_collector_start(struct bf_collector *c, uv_loop_t *loop,
	    const struct bf_config *cfg, const char *brokers, char *errbuf,
	    size_t errlen);
/*
 * Stop accepting and close every session (whole messages already read are
 * decoded and produced).  The loop ends once all handles are closed.
 */
void	bf_collector_stop(struct bf_collector *c);
/* After the loop ended: flush the producer for up to timeout_ms. */
uint64_t bf_collector_drain(struct bf_collector *c, int timeout_ms);
void	bf_collector_free(struct bf_collector *c);

/* Prometheus text exposition of every metric. */
void	bf_collector_metrics(FILE *out, void *collector);

#endif /* BF_COLLECTOR_H */
