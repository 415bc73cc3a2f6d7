/* SPDX-License-Identifier: Apache-2.0 */
/*
 * alert_metrics.h: bmpflow-alert's /metrics, served from a thread of its
 * own so that a scrape answers while a delivery waits.
 */
#ifndef ALERT_METRICS_H
#define ALERT_METRICS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>
#include <uv.h>

#include "core/metrics_http.h"
#include "alert_sink.h"

/* Counters the delivery loop writes and the metrics thread reads. */
struct alert_counts {
	_Atomic uint64_t	read;		/* alert records read */
	_Atomic uint64_t	bad;		/* not alert records: skipped */
	_Atomic uint64_t	filtered;	/* a state not delivered */
	_Atomic int		pending;	/* one waits for its sinks */
};

struct alert_metrics {
	bool			 on;
	pthread_t		 thread;
	uv_loop_t		 loop;
	uv_async_t		 stop;
	struct bf_metrics_http	 http;
	struct alert_counts	*counts;
	struct alert_sink	*sinks;		/* [N_SINKS] */
	unsigned		 sinks_on;
	/* The consumer, once made: its lag is read at each scrape. */
	rd_kafka_t *_Atomic	 rk;
	const char		*topic;
};

/*
 * Serve /metrics on listen ("" is off).  0, or -1 logged (the address
 * taken or bad).
 */
int	alert_metrics_start(struct alert_metrics *m, const char *listen,
	    struct alert_counts *counts, struct alert_sink *sinks,
	    unsigned sinks_on);
/* Stop serving and join the thread; nothing when never started. */
void	alert_metrics_stop(struct alert_metrics *m);

#endif /* ALERT_METRICS_H */
