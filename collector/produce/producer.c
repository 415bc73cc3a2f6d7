/*
 * producer.c: the librdkafka producer of the collector.
 */
#include "producer.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "core/kafka_io.h"

/*
 * What one queued record costs librdkafka: value, key and header copies
 * plus its message and header structs (measured: about 200 bytes).
 */
#define MSG_OVERHEAD	256

/* Per message: which topic and how many bytes, for the in-flight count. */
#define OPAQUE(topic, len)	((void *)(uintptr_t)((uint64_t)(len) << 8 | \
				    (uint64_t)(topic)))

static void
on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *arg)
{
	struct bf_producer *p = arg;
	uint64_t op = (uint64_t)(uintptr_t)m->_private;
	unsigned topic = op & 0xff;
	uint64_t len = op >> 8;

	(void)rk;
	p->inflight_bytes -= len;
	p->inflight_msgs--;
	if (topic >= BF_TOPIC_COUNT)
		return;
	if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
		p->delivered[topic]++;
		return;
	}
	p->failed[topic]++;
	/* An outage fails every queued record: rate-limited, counted. */
	bf_log_limited(BF_LOG_ERROR, "delivery failure", p->topic_names[topic],
	    "kafka: delivery to %s failed: %s", p->topic_names[topic],
	    rd_kafka_err2str(m->err));
}

static void
on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	(void)rk;
	bf_log(level <= 3 ? BF_LOG_ERROR : level <= 5 ? BF_LOG_WARN :
	    BF_LOG_DEBUG, "kafka: %s: %s", fac, buf);
}

static void
on_error(rd_kafka_t *rk, int err, const char *reason, void *arg)
{
	(void)rk;
	(void)arg;
	/* The log callback already said which connection failed. */
	if (err == RD_KAFKA_RESP_ERR__TRANSPORT)
		return;
	/* Broker outages are transient: librdkafka retries, we log. */
	bf_log(err == RD_KAFKA_RESP_ERR__FATAL ? BF_LOG_ERROR : BF_LOG_WARN,
	    "kafka: %s", reason);
}

/*
 * A raw record carries a whole BMP message of up to max-message-size,
 * plus its router fields: librdkafka's default message.max.bytes
 * (1,000,000) refused records of the messages the collector accepts.
 */
static int
raw_fits(rd_kafka_conf_t *conf, uint32_t max_message, char *errbuf,
    size_t errlen)
{
	char v[24], why[256];
	uint64_t want = (uint64_t)max_message + 65536;

	if (want <= 1000000)
		return 0;
	snprintf(v, sizeof(v), "%" PRIu64, want);
	if (rd_kafka_conf_set(conf, "message.max.bytes", v, why, sizeof(why)) !=
	    RD_KAFKA_CONF_OK) {
		snprintf(errbuf, errlen, "kafka: message.max.bytes %s for "
		    "max-message-size %" PRIu32 ": %s", v, max_message, why);
		return -1;
	}
	return 0;
}

int
bf_producer_init(struct bf_producer *p, const struct bf_config *c,
    const char *brokers, char *errbuf, size_t errlen)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();

	memset(p, 0, sizeof(*p));
	p->queue_bytes = c->queue_bytes;
	if (bf_kafka_producer_defaults(conf, errbuf, errlen) < 0 ||
	    raw_fits(conf, c->max_message, errbuf, errlen) < 0) {
		rd_kafka_conf_destroy(conf);
		return -1;
	}
	rd_kafka_conf_set_opaque(conf, p);
	rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
	rd_kafka_conf_set_log_cb(conf, on_log);
	rd_kafka_conf_set_error_cb(conf, on_error);
	p->rk = bf_kafka_new(RD_KAFKA_PRODUCER, conf, brokers, &c->kafka,
	    errbuf, errlen);
	if (p->rk == NULL)
		return -1;
	for (int t = 0; t < BF_TOPIC_COUNT; t++) {
		snprintf(p->topic_names[t], sizeof(p->topic_names[t]), "%s%s",
		    c->topic_prefix, bf_topic_name((enum bf_topic)t));
		p->topics[t] = rd_kafka_topic_new(p->rk, p->topic_names[t],
		    NULL);
		if (p->topics[t] == NULL) {
			snprintf(errbuf, errlen, "kafka topic %s: %s",
			    p->topic_names[t],
			    rd_kafka_err2str(rd_kafka_last_error()));
			bf_producer_free(p);
			return -1;
		}
	}
	return 0;
}

int
bf_producer_send(struct bf_producer *p, const struct bf_record *r)
{
	uint64_t cost = r->value_len + r->key_len + MSG_OVERHEAD;
	rd_kafka_resp_err_t err = bf_kafka_produce(p->rk, p->topics[r->topic],
	    r->schema, r->key, r->key_len, r->value, r->value_len,
	    OPAQUE(r->topic, cost), &p->queue_full_waits);

	if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		bf_log_limited(BF_LOG_ERROR, "produce failure",
		    p->topic_names[r->topic], "kafka: cannot produce to %s: %s",
		    p->topic_names[r->topic], rd_kafka_err2str(err));
		p->failed[r->topic]++;
		return -1;
	}
	p->produced[r->topic]++;
	p->inflight_bytes += cost;
	p->inflight_msgs++;
	return 0;
}

void
bf_producer_poll(struct bf_producer *p)
{
	rd_kafka_poll(p->rk, 0);
}

bool
bf_producer_congested(const struct bf_producer *p)
{
	return p->inflight_bytes > p->queue_bytes;
}

bool
bf_producer_drained(const struct bf_producer *p)
{
	return p->inflight_bytes <= p->queue_bytes / 2;
}

uint64_t
bf_producer_flush(struct bf_producer *p, int timeout_ms)
{
	rd_kafka_flush(p->rk, timeout_ms);
	return p->inflight_msgs;
}

void
bf_producer_free(struct bf_producer *p)
{
	for (int t = 0; t < BF_TOPIC_COUNT; t++)
		if (p->topics[t] != NULL)
			rd_kafka_topic_destroy(p->topics[t]);
	if (p->rk != NULL)
		rd_kafka_destroy(p->rk);
	memset(p, 0, sizeof(*p));
}
