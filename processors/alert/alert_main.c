/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bmpflow-alert: delivers leak_detect's alerts (bmp.alert) to a webhook,
 * syslog and e-mail, at least once.
 *
 * One alert at a time, in offset order: its offset is stored for the
 * consumer's commit only once every sink it goes to has taken it (or
 * refused it for good), so a restart delivers again what was not
 * confirmed.  While a sink fails, this loop waits and retries and reads
 * nothing more: the alerts wait in Kafka, not in memory.
 */
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <librdkafka/rdkafka.h>

#include "core/avro_schema.h"
#include "core/record_format.h"
#include "core/log.h"
#include "alert_metrics.h"
#include "alert_opts.h"
#include "alert_record.h"
#include "alert_sink.h"

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* Sleep ms or until a signal asks to stop. */
static void
nap(int64_t ms)
{
	int64_t until = sink_now_ms() + ms, left;

	while (!stop && (left = until - sink_now_ms()) > 0) {
		struct timespec ts = { 0, (left > 100 ? 100 : left) * 1000000 };

		nanosleep(&ts, NULL);
	}
}

/*
 * Hand a to sink k: wait for the rate limit, then try until taken or
 * refused, backing off 1 s doubling to retry-max-s.  0 when done with
 * it, -1 when a signal stopped the wait (a not delivered).
 */
static int
deliver(struct alert_sink *k, const struct alert *a, const char *text,
    const char *subject)
{
	const char *name = alert_sink_names[k->kind];
	int64_t backoff = 1000, wait;
	enum sink_result r;
	char why[256];

	for (;;) {
		while ((wait = sink_rate_wait_ms(k, sink_now_ms())) > 0 &&
		    !stop)
			nap(wait);
		if (stop)
			return -1;
		r = sink_deliver(k, a, text, subject, why, sizeof(why));
		if (r != SINK_RETRY)
			break;
		atomic_fetch_add(&k->failed, 1);
		if (!k->down) {
			/* Once per outage: its end is logged too. */
			k->down = true;
			k->down_ms = sink_now_ms();
			atomic_store(&k->up, 0);
			atomic_fetch_add(&k->outages, 1);
			bf_log(BF_LOG_WARN, "sink %s: delivery failed: %s; "
			    "retrying from 1 s, doubling up to %d s; alerts "
			    "wait in Kafka meanwhile", name, why,
			    k->s->retry_max_s);
		}
		nap(backoff);
		if (stop)
			return -1;
		atomic_fetch_add(&k->retried, 1);
		backoff = backoff * 2 > k->s->retry_max_s * 1000LL ?
		    k->s->retry_max_s * 1000LL : backoff * 2;
	}
	sink_rate_take(k);
	if (k->down) {
		k->down = false;
		atomic_store(&k->up, 1);
		bf_log(BF_LOG_INFO, "sink %s: delivering again after %.1f s",
		    name, (double)(sink_now_ms() - k->down_ms) / 1000);
	}
	if (r == SINK_REFUSED) {
		atomic_fetch_add(&k->refused, 1);
		bf_log_limited(BF_LOG_ERROR, "alert refused", name, "sink %s "
		    "refused alert %s (%s %s %s): %s; skipped for this sink",
		    name, alert_field(a, "alert_id"), alert_field(a, "type"),
		    alert_field(a, "state"), alert_field(a, "prefix"), why);
	} else {
		atomic_fetch_add(&k->delivered, 1);
	}
	return 0;
}

struct alert_run {
	struct alert_settings	 s;
	struct bf_schema	 schema;
	struct bf_scan_node	*scan;
	/* Alerts in any format, read with schema. */
	struct bf_record_reader	 reader;
	const struct bf_schema	*reader_schema;
	const struct bf_scan_node *reader_scan;
	struct alert_sink	 sinks[N_SINKS];
	struct alert_counts	 counts;
};

/*
 * Deliver the alert m carries to its sinks.  0 when done with it (its
 * offset may be committed), -1 when a signal stopped it first, -2 out of
 * memory (not delivered either).
 */
static int
handle(struct alert_run *r, const rd_kafka_message_t *m)
{
	struct alert a;
	struct bf_cur body, walk;
	char *text, *subject, why[512];
	unsigned sinks;
	int rc = 0;

	if (bf_record_read(&r->reader, m->payload, m->len, 0, &body, why,
	    sizeof(why)) < 0 || (walk = body, bf_scan_skip(r->scan, &walk))
	    < 0 || cur_len(&walk) != 0) {
		/* Never deliverable: counted and passed. */
		atomic_fetch_add(&r->counts.bad, 1);
		bf_log_limited(BF_LOG_WARN, "bad alert record", "bmp.alert",
		    "[%" PRId32 "] offset %" PRId64 ": not an alert record of "
		    "%s/alert.avsc (%s); skipped", m->partition, m->offset,
		    r->s.schema_dir, why);
		return 0;
	}
	/* Checked whole above: only memory can fail it. */
	if (alert_decode(&a, r->scan, body.p, cur_len(&body)) < 0)
		return -2;
	atomic_fetch_add(&r->counts.read, 1);
	if (a.state < 0 || !(r->s.states & (1u << a.state))) {
		atomic_fetch_add(&r->counts.filtered, 1);
		alert_free(&a);
		return 0;
	}
	sinks = alert_route_sinks(&r->s, alert_field(&a, "type"));
	text = alert_render(&a, r->s.templates[a.state]);
	subject = alert_render(&a, r->s.subject);
	atomic_store(&r->counts.pending, 1);
	if (text == NULL || subject == NULL)
		rc = -2;
	for (int i = 0; i < N_SINKS && rc == 0; i++)
		if (sinks & (1u << i))
			rc = deliver(&r->sinks[i], &a, text, subject);
	atomic_store(&r->counts.pending, 0);
	free(text);
	free(subject);
	alert_free(&a);
	return rc;
}

/* Mark m's offset as done: the consumer's next auto commit takes it. */
static void
store_offset(rd_kafka_t *rk, const rd_kafka_message_t *m)
{
	rd_kafka_topic_partition_list_t *l =
	    rd_kafka_topic_partition_list_new(1);

	rd_kafka_topic_partition_list_add(l, rd_kafka_topic_name(m->rkt),
	    m->partition)->offset = m->offset + 1;
	if (rd_kafka_offsets_store(rk, l) != RD_KAFKA_RESP_ERR_NO_ERROR)
		bf_log_limited(BF_LOG_WARN, "offset store failed", "bmp.alert",
		    "[%" PRId32 "] offset %" PRId64 ": not stored (partition "
		    "revoked?): it may be delivered again", m->partition,
		    m->offset);
	rd_kafka_topic_partition_list_destroy(l);
}

/* The consumer: auto commit of the offsets stored after delivery. */
static rd_kafka_t *
consumer(const struct alert_settings *s)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char why[512];
	const char *const props[][2] = {
		{ "group.id", s->group },
		{ "enable.auto.commit", "true" },
		{ "enable.auto.offset.store", "false" },
		/* A kill -9 delivers again at most this much. */
		{ "auto.commit.interval.ms", "1000" },
		/* A new group starts at the oldest alert: none missed. */
		{ "auto.offset.reset", "earliest" },
		/* Not polling while a sink is down is no reason to leave. */
		{ "max.poll.interval.ms", "86400000" },
		/*
		 * librdkafka's mock cluster (the collector's embedded Kafka)
		 * holds a fetch for the whole wait; with the default 500 ms
		 * joining the group stalled now and then (test_alert_delivery).
		 */
		{ "fetch.wait.max.ms", "100" },
		/* What is fetched ahead while a sink is down stays small. */
		{ "queued.max.messages.kbytes", "1024" },
	};
	rd_kafka_t *rk;

	if (bf_kafka_conf_set_all(conf, props, sizeof(props) /
	    sizeof(props[0]), why, sizeof(why)) < 0) {
		rd_kafka_conf_destroy(conf);
		bf_log(BF_LOG_ERROR, "%s", why);
		return NULL;
	}
	rk = bf_kafka_new(RD_KAFKA_CONSUMER, conf, s->brokers, &s->kafka, why,
	    sizeof(why));
	if (rk == NULL)
		bf_log(BF_LOG_ERROR, "%s", why);
	return rk;
}

static int
subscribe(rd_kafka_t *rk, const char *topic)
{
	rd_kafka_topic_partition_list_t *l =
	    rd_kafka_topic_partition_list_new(1);
	rd_kafka_resp_err_t err;

	rd_kafka_topic_partition_list_add(l, topic, RD_KAFKA_PARTITION_UA);
	rd_kafka_poll_set_consumer(rk);
	err = rd_kafka_subscribe(rk, l);
	rd_kafka_topic_partition_list_destroy(l);
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		bf_log(BF_LOG_ERROR, "subscribe %s: %s", topic,
		    rd_kafka_err2str(err));
		return -1;
	}
	return 0;
}

/* Schema, templates and sinks.  0, or -1 logged. */
static int
setup(struct alert_run *r)
{
	char err[512];

	if (bf_schema_load(&r->schema, r->s.schema_dir, "alert", err,
	    sizeof(err)) < 0) {
		bf_log(BF_LOG_ERROR, "%s", err);
		return -1;
	}
	if ((r->scan = bf_scan_compile(r->schema.schema)) == NULL ||
	    (r->s.registry.url[0] != '\0' && (r->reader.registry =
	    bf_registry_new(&r->s.registry)) == NULL)) {
		bf_log(BF_LOG_ERROR, "alert schema: out of memory");
		return -1;
	}
	r->reader_schema = &r->schema;
	r->reader_scan = r->scan;
	r->reader.schemas = &r->reader_schema;
	r->reader.scans = &r->reader_scan;
	r->reader.n = 1;
	for (int i = 0; i < N_STATES; i++)
		if (alert_template_check(r->s.templates[i], r->scan, err,
		    sizeof(err)) < 0 || alert_template_check(r->s.subject,
		    r->scan, err, sizeof(err)) < 0) {
			bf_log(BF_LOG_ERROR, "template: %s", err);
			return -1;
		}
	for (int i = 0; i < N_SINKS; i++) {
		r->sinks[i].fd = -1;
		if ((r->s.sinks_on & (1u << i)) && sink_open(&r->sinks[i],
		    (enum alert_sink_kind)i, &r->s, err, sizeof(err)) < 0) {
			bf_log(BF_LOG_ERROR, "%s", err);
			return -1;
		}
	}
	return 0;
}

static void
teardown(struct alert_run *r)
{
	for (int i = 0; i < N_SINKS; i++)
		sink_close(&r->sinks[i]);
	bf_record_reader_free(&r->reader);
	bf_registry_free(r->reader.registry);
	if (r->scan != NULL)
		bf_scan_free(r->scan);
	if (r->schema.schema != NULL)
		bf_schema_free(&r->schema);
}

/*
 * Read and deliver until a signal.  0, or 1 on a fatal Kafka error or
 * out of memory: the alert in hand is not committed, so a restart
 * delivers it.
 */
static int
run(struct alert_run *r, rd_kafka_t *rk)
{
	while (!stop) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
		int rc = 0;

		bf_log_flush_suppressed(0);
		if (m == NULL)
			continue;
		if (m->err == RD_KAFKA_RESP_ERR__FATAL) {
			bf_log(BF_LOG_ERROR, "kafka: %s",
			    rd_kafka_message_errstr(m));
			rd_kafka_message_destroy(m);
			return 1;
		}
		if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR)
			bf_log_limited(BF_LOG_WARN, "consume error", r->s.topic,
			    "%s: %s", r->s.topic, rd_kafka_message_errstr(m));
		else if ((rc = handle(r, m)) == 0)
			store_offset(rk, m);
		rd_kafka_message_destroy(m);
		if (rc == -2) {
			bf_log(BF_LOG_ERROR, "out of memory: stopping with the "
			    "alert in hand not delivered");
			return 1;
		}
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static struct alert_run r;
	struct alert_metrics metrics;
	struct sigaction sa = { .sa_handler = on_signal };
	rd_kafka_t *rk;
	int rc;

	rc = alert_opts_parse(argc, argv, &r.s);
	if (rc != 0)
		return rc < 0 ? 2 : 0;
	bf_log_set_level(r.s.log_level);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (setup(&r) < 0) {
		teardown(&r);
		curl_global_cleanup();
		return 1;
	}
	/* Signals reach this thread, not the metrics one. */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (alert_metrics_start(&metrics, r.s.metrics, &r.counts, r.sinks,
	    r.s.sinks_on) < 0 || (rk = consumer(&r.s)) == NULL) {
		alert_metrics_stop(&metrics);
		teardown(&r);
		curl_global_cleanup();
		return 1;
	}
	metrics.topic = r.s.topic;
	atomic_store(&metrics.rk, rk);
	rc = subscribe(rk, r.s.topic) < 0 ? 1 : 0;
	if (rc == 0) {
		bf_log(BF_LOG_INFO, "delivering %s (group %s) to%s%s%s",
		    r.s.topic, r.s.group, r.s.sinks_on & 1 ? " webhook" : "",
		    r.s.sinks_on & 2 ? " syslog" : "",
		    r.s.sinks_on & 4 ? " smtp" : "");
		rc = run(&r, rk);
	}
	/* The stored offsets are committed on close. */
	rd_kafka_consumer_close(rk);
	/* Scrapes read the consumer: none may run past its end. */
	alert_metrics_stop(&metrics);
	rd_kafka_destroy(rk);
	bf_log(BF_LOG_INFO, "stopped: %" PRIu64 " alerts read, offsets of "
	    "those delivered committed", atomic_load(&r.counts.read));
	bf_log_flush_suppressed(1);
	teardown(&r);
	curl_global_cleanup();
	return rc;
}
