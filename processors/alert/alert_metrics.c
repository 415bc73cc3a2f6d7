/* SPDX-License-Identifier: Apache-2.0 */
/*
 * alert_metrics.c: bmpflow-alert's /metrics page and its thread.
 */
#include "alert_metrics.h"

#include <signal.h>
#include <stddef.h>
#include <string.h>

#include "core/log.h"

/* A counter of struct alert_sink, one family labelled by sink. */
struct sink_counter {
	const char	*name, *help;
	size_t		 offset;
};

static const struct sink_counter sink_counters[] = {
	{ "bmpflow_alert_delivered_total", "Alerts a sink took",
	    offsetof(struct alert_sink, delivered) },
	{ "bmpflow_alert_failed_total",
	    "Delivery attempts that failed and are retried",
	    offsetof(struct alert_sink, failed) },
	{ "bmpflow_alert_retried_total", "Delivery attempts after a failure",
	    offsetof(struct alert_sink, retried) },
	{ "bmpflow_alert_refused_total",
	    "Alerts a sink refused for good (HTTP 3xx, 4xx; SMTP 5xx), skipped",
	    offsetof(struct alert_sink, refused) },
	{ "bmpflow_alert_outages_total", "Times a sink started failing",
	    offsetof(struct alert_sink, outages) },
};

/* Counter sc of each sink given. */
static void
per_sink(FILE *f, const struct alert_metrics *m,
    const struct sink_counter *sc)
{
	const char *names[N_SINKS];
	uint64_t v[N_SINKS];
	size_t n = 0;

	for (int i = 0; i < N_SINKS; i++) {
		if (!(m->sinks_on & (1u << i)))
			continue;
		names[n] = alert_sink_names[i];
		v[n++] = atomic_load((_Atomic uint64_t *)((char *)&m->sinks[i] +
		    sc->offset));
	}
	bf_metric_by(f, sc->name, "counter", sc->help, "sink", names, v, n);
}

/*
 * Records of topic past the consumer's position on its partitions, from
 * librdkafka's cached watermarks (no broker round trip); librdkafka's
 * calls are thread-safe, so a scrape tells it while a delivery waits.
 */
static int64_t
consumer_lag(rd_kafka_t *rk, const char *topic)
{
	rd_kafka_topic_partition_list_t *l = NULL;
	int64_t lag = 0, lo, hi;

	if (rk == NULL || rd_kafka_assignment(rk, &l) !=
	    RD_KAFKA_RESP_ERR_NO_ERROR)
		return 0;
	rd_kafka_position(rk, l);
	for (int i = 0; i < l->cnt; i++)
		if (rd_kafka_get_watermark_offsets(rk, topic,
		    l->elems[i].partition, &lo, &hi) ==
		    RD_KAFKA_RESP_ERR_NO_ERROR && hi >= 0)
			lag += hi - (l->elems[i].offset >= lo ?
			    l->elems[i].offset : lo);
	rd_kafka_topic_partition_list_destroy(l);
	return lag;
}

static void
render(FILE *f, void *arg)
{
	const struct alert_metrics *m = arg;
	const char *names[N_SINKS];
	uint64_t up[N_SINKS];
	size_t n = 0;
	const struct bf_metric_row rows[] = {
		{ "bmpflow_alert_records_total", "counter",
		    "Alert records read",
		    (double)atomic_load(&m->counts->read) },
		{ "bmpflow_alert_records_bad_total", "counter",
		    "Records that are not alerts, skipped",
		    (double)atomic_load(&m->counts->bad) },
		{ "bmpflow_alert_records_filtered_total", "counter",
		    "Alerts of a state not delivered (states)",
		    (double)atomic_load(&m->counts->filtered) },
		{ "bmpflow_alert_pending", "gauge",
		    "Alerts read and not yet taken by all their sinks",
		    atomic_load(&m->counts->pending) },
		{ "bmpflow_alert_consumer_lag", "gauge",
		    "Alert records not read yet (a partition not read from "
		    "since its assignment: from its oldest record)",
		    (double)consumer_lag(atomic_load(&m->rk), m->topic) },
	};

	bf_metric_rows(f, rows, sizeof(rows) / sizeof(rows[0]));
	for (size_t i = 0; i < sizeof(sink_counters) /
	    sizeof(sink_counters[0]); i++)
		per_sink(f, m, &sink_counters[i]);
	for (int i = 0; i < N_SINKS; i++)
		if (m->sinks_on & (1u << i)) {
			names[n] = alert_sink_names[i];
			up[n++] = (uint64_t)atomic_load(&m->sinks[i].up);
		}
	bf_metric_by(f, "bmpflow_alert_sink_up", "gauge",
	    "1 when the sink's last attempt succeeded", "sink", names, up, n);
	bf_metrics_http_render(f, &m->http, "bmpflow-alert");
}

static void
on_stop(uv_async_t *a)
{
	struct alert_metrics *m = a->data;

	bf_metrics_http_stop(&m->http);
	uv_close((uv_handle_t *)a, NULL);
}

static void *
serve(void *arg)
{
	struct alert_metrics *m = arg;

	uv_run(&m->loop, UV_RUN_DEFAULT);
	return NULL;
}

int
alert_metrics_start(struct alert_metrics *m, const char *listen,
    struct alert_counts *counts, struct alert_sink *sinks, unsigned sinks_on)
{
	sigset_t all, old;
	int rc;

	memset(m, 0, sizeof(*m));
	m->counts = counts;
	m->sinks = sinks;
	m->sinks_on = sinks_on;
	if (listen[0] == '\0')
		return 0;
	uv_loop_init(&m->loop);
	if ((rc = bf_metrics_http_start(&m->http, &m->loop, listen, render,
	    m)) != 0) {
		bf_log(BF_LOG_ERROR, "metrics %s: %s", listen, uv_strerror(rc));
		uv_run(&m->loop, UV_RUN_NOWAIT);
		uv_loop_close(&m->loop);
		return -1;
	}
	uv_async_init(&m->loop, &m->stop, on_stop);
	m->stop.data = m;
	/* The thread inherits a mask that keeps signals for the main one. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&m->thread, NULL, serve, m);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		bf_log(BF_LOG_ERROR, "metrics: no thread: %s", strerror(rc));
		return -1;
	}
	m->on = true;
	bf_log(BF_LOG_INFO, "metrics on http://%s/metrics", listen);
	return 0;
}

void
alert_metrics_stop(struct alert_metrics *m)
{
	if (!m->on)
		return;
	uv_async_send(&m->stop);
	pthread_join(m->thread, NULL);
	uv_loop_close(&m->loop);
	m->on = false;
}

