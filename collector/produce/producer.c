/* SPDX-License-Identifier: Apache-2.0 */
/*
 * producer.c: the librdkafka producer of the collector.
 */
#include "producer.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/kafka_io.h"
#include "route_state.h"

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
	if (topic >= BF_PRODUCER_TOPICS)
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
 * librdkafka's own queue limits follow queue-mbytes, with room for a
 * full pause's overshoot: a raw record carries a whole BMP message of up
 * to max-message-size (librdkafka's default message.max.bytes, 1,000,000,
 * refused records of the messages the collector accepts), and reads
 * pause at queue-mbytes, of records costing at least MSG_OVERHEAD each.
 */
static int
queue_limits(rd_kafka_conf_t *conf, const struct bf_config *c, char *errbuf,
    size_t errlen)
{
	char max_bytes[24], kbytes[24], msgs[24];
	uint64_t msg = (uint64_t)c->max_message + 65536;
	uint64_t kb = c->queue_bytes * 2 / 1024, n = c->queue_bytes * 2 /
	    MSG_OVERHEAD;
	const char *const props[][2] = {
		{ "message.max.bytes", max_bytes },
		{ "queue.buffering.max.kbytes", kbytes },
		{ "queue.buffering.max.messages", msgs },
	};

	snprintf(max_bytes, sizeof(max_bytes), "%" PRIu64,
	    msg > 1000000 ? msg : 1000000);
	snprintf(kbytes, sizeof(kbytes), "%" PRIu64, kb > 1048576 ? kb :
	    1048576);
	snprintf(msgs, sizeof(msgs), "%" PRIu64, n > 2000000 ? (n <
	    INT32_MAX ? n : INT32_MAX) : 2000000);
	return bf_kafka_conf_set_all(conf, props, sizeof(props) /
	    sizeof(props[0]), errbuf, errlen);
}

static uint64_t
conf_u64(rd_kafka_t *rk, const char *name)
{
	char v[32];
	size_t n = sizeof(v);

	if (rd_kafka_conf_get(rd_kafka_conf(rk), name, v, &n) !=
	    RD_KAFKA_CONF_OK)
		return 0;
	return strtoull(v, NULL, 10);
}

/*
 * The user's kafka.* properties may have set librdkafka's queue below
 * queue-mbytes: nothing is lost (refused records are held and reads
 * pause), but the operator should know which limit applies.
 */
static void
check_queue_limits(const struct bf_producer *p)
{
	uint64_t kb = conf_u64(p->rk, "queue.buffering.max.kbytes");
	uint64_t msgs = conf_u64(p->rk, "queue.buffering.max.messages");

	if (kb * 1024 < p->queue_bytes || msgs < p->queue_bytes /
	    MSG_OVERHEAD)
		bf_log(BF_LOG_WARN, "kafka: librdkafka's queue "
		    "(queue.buffering.max.kbytes %" PRIu64 ", "
		    ".max.messages %" PRIu64 ") can fill before queue-mbytes "
		    "%" PRIu64 ": router reads will pause on its limit "
		    "instead (records are held, none lost)", kb, msgs,
		    p->queue_bytes >> 20);
}

typedef int32_t (*partitioner_fn)(const rd_kafka_topic_t *, const void *,
    size_t, int32_t, void *, void *);

/* librdkafka's partitioners by their "partitioner" property names. */
static const struct partitioner {
	const char	*name;
	partitioner_fn	 fn;
} partitioners[] = {
	{ "murmur2_random", rd_kafka_msg_partitioner_murmur2_random },
	{ "murmur2", rd_kafka_msg_partitioner_murmur2 },
	{ "consistent_random", rd_kafka_msg_partitioner_consistent_random },
	{ "consistent", rd_kafka_msg_partitioner_consistent },
	{ "fnv1a_random", rd_kafka_msg_partitioner_fnv1a_random },
	{ "fnv1a", rd_kafka_msg_partitioner_fnv1a },
	{ "random", rd_kafka_msg_partitioner_random },
};

/* The configured partitioner on the key's first word (before a space). */
static int32_t
first_word_partitioner(const rd_kafka_topic_t *rkt, const void *key,
    size_t key_len, int32_t partition_cnt, void *rkt_opaque, void *msg_opaque)
{
	const struct partitioner *pt = rkt_opaque;
	const char *sp = memchr(key, ' ', key_len);

	return pt->fn(rkt, key, sp != NULL ? (size_t)(sp - (const char *)key) :
	    key_len, partition_cnt, rkt_opaque, msg_opaque);
}

/*
 * The topic configuration of a topic whose keys may carry words after
 * the one that partitions them: bmp.route.state (the route's identity
 * after bmp.route's key, so a route's state lands in the partition
 * number of its bmp.route records) and bmp.peer (an End-of-RIB's family
 * after its session's key, so it stays in order with the session's Peer
 * Up and Down and compaction keeps both).  NULL: rk's default.
 */
static rd_kafka_topic_conf_t *
first_word_topic_conf(rd_kafka_t *rk, const char *topic)
{
	rd_kafka_topic_conf_t *tc = rd_kafka_default_topic_conf_dup(rk);
	const struct partitioner *pt = &partitioners[0];
	char name[64] = "";
	size_t n = sizeof(name);

	if (tc == NULL)
		return NULL;
	if (rd_kafka_topic_conf_get(tc, "partitioner", name, &n) ==
	    RD_KAFKA_CONF_OK)
		for (size_t i = 0; i < sizeof(partitioners) /
		    sizeof(partitioners[0]); i++)
			if (strcmp(name, partitioners[i].name) == 0)
				pt = &partitioners[i];
	if (strcmp(name, pt->name) != 0)
		bf_log(BF_LOG_WARN, "kafka: partitioner '%s' unknown here: %s "
		    "uses %s on its keys' first word, its partitions may not "
		    "match the other topics'", name, topic, pt->name);
	rd_kafka_topic_conf_set_partitioner_cb(tc, first_word_partitioner);
	rd_kafka_topic_conf_set_opaque(tc, (void *)(uintptr_t)pt);
	return tc;
}

void
bf_producer_topic_name(const struct bf_config *c, int t, char *out, size_t n)
{
	snprintf(out, n, "%s%s", c->topic_prefix, t == BF_TOPIC_ROUTE_STATE ?
	    "route.state" : bf_topic_name((enum bf_topic)t));
}

int
bf_producer_init(struct bf_producer *p, const struct bf_config *c,
    const char *brokers, char *errbuf, size_t errlen)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();

	memset(p, 0, sizeof(*p));
	p->queue_bytes = c->queue_bytes;
	p->held_tail = &p->held;
	if (bf_kafka_producer_defaults(conf, errbuf, errlen) < 0 ||
	    queue_limits(conf, c, errbuf, errlen) < 0) {
		rd_kafka_conf_destroy(conf);
		return -1;
	}
	/*
	 * Brokers' topics are made as configured (topics.c), never by a
	 * produce.  (The embedded Kafka made its own and would only warn
	 * that it cannot be told.)
	 */
	if (c->kafka_brokers[0] != '\0' && bf_kafka_conf_set(conf,
	    "allow.auto.create.topics", "false", errbuf, errlen) < 0) {
		rd_kafka_conf_destroy(conf);
		return -1;
	}
	rd_kafka_conf_set_opaque(conf, p);
	rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
	rd_kafka_conf_set_error_cb(conf, on_error);
	p->rk = bf_kafka_new(RD_KAFKA_PRODUCER, conf, brokers, &c->kafka,
	    errbuf, errlen);
	if (p->rk == NULL)
		return -1;
	check_queue_limits(p);
	for (int t = 0; t < (c->route_state ? BF_PRODUCER_TOPICS :
	    BF_TOPIC_COUNT); t++) {
		bf_producer_topic_name(c, t, p->topic_names[t],
		    sizeof(p->topic_names[t]));
		p->topics[t] = rd_kafka_topic_new(p->rk, p->topic_names[t],
		    t == BF_TOPIC_ROUTE_STATE || t == BF_TOPIC_PEER ?
		    first_word_topic_conf(p->rk, p->topic_names[t]) : NULL);
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

/* A record librdkafka will not take, ever: counted and logged. */
static void
refused(struct bf_producer *p, unsigned topic, rd_kafka_resp_err_t err)
{
	bf_log_limited(BF_LOG_ERROR, "produce failure", p->topic_names[topic],
	    "kafka: cannot produce to %s: %s", p->topic_names[topic],
	    rd_kafka_err2str(err));
	p->failed[topic]++;
}

static rd_kafka_resp_err_t
produce(struct bf_producer *p, unsigned topic, const char *schema,
    const void *key, size_t key_len, const void *value, size_t value_len,
    uint64_t cost)
{
	return bf_kafka_produce(p->rk, p->topics[topic], schema, key, key_len,
	    value_len > 0 ? value : NULL, value_len, OPAQUE(topic, cost));
}

static int
hold(struct bf_producer *p, unsigned topic, const char *schema,
    const void *key, size_t key_len, const void *value, size_t value_len,
    uint64_t cost)
{
	struct bf_held_record *h = malloc(sizeof(*h) + key_len + value_len);

	if (h == NULL) {
		bf_log(BF_LOG_ERROR, "kafka: out of memory holding a record "
		    "for %s", p->topic_names[topic]);
		p->failed[topic]++;
		return -1;
	}
	h->next = NULL;
	h->schema = schema;
	h->cost = cost;
	h->key_len = (uint32_t)key_len;
	h->value_len = (uint32_t)value_len;
	h->topic = (uint8_t)topic;
	memcpy(h->bytes, key, key_len);
	if (value_len > 0)
		memcpy(h->bytes + key_len, value, value_len);
	*p->held_tail = h;
	p->held_tail = &h->next;
	p->held_msgs++;
	p->held_bytes += cost;
	p->inflight_bytes += cost;
	p->produced[topic]++;
	return 0;
}

int
bf_producer_send_kv(struct bf_producer *p, unsigned topic, const char *schema,
    const void *key, size_t key_len, const void *value, size_t value_len)
{
	uint64_t cost = value_len + key_len + MSG_OVERHEAD;
	rd_kafka_resp_err_t err;

	/* Behind held records, in order: a partition's order is kept. */
	if (p->held != NULL)
		return hold(p, topic, schema, key, key_len, value, value_len,
		    cost);
	err = produce(p, topic, schema, key, key_len, value, value_len, cost);
	if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
		p->queue_full++;
		return hold(p, topic, schema, key, key_len, value, value_len,
		    cost);
	}
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		refused(p, topic, err);
		return -1;
	}
	p->produced[topic]++;
	p->inflight_bytes += cost;
	p->inflight_msgs++;
	return 0;
}

int
bf_producer_send(struct bf_producer *p, const struct bf_record *r)
{
	return bf_producer_send_kv(p, r->topic, r->schema, r->key, r->key_len,
	    r->value, r->value_len);
}

/* Hand held records to librdkafka, oldest first, while it takes them. */
static void
release_held(struct bf_producer *p)
{
	struct bf_held_record *h;

	while ((h = p->held) != NULL) {
		rd_kafka_resp_err_t err = produce(p, h->topic, h->schema,
		    h->bytes, h->key_len, h->bytes + h->key_len,
		    h->value_len, h->cost);

		if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL)
			return;
		if ((p->held = h->next) == NULL)
			p->held_tail = &p->held;
		p->held_msgs--;
		p->held_bytes -= h->cost;
		if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
			p->inflight_msgs++;
		} else {
			p->inflight_bytes -= h->cost;
			p->produced[h->topic]--;
			refused(p, h->topic, err);
		}
		free(h);
	}
}

void
bf_producer_poll(struct bf_producer *p)
{
	rd_kafka_poll(p->rk, 0);
	release_held(p);
}

bool
bf_producer_congested(const struct bf_producer *p)
{
	return p->held != NULL || p->inflight_bytes > p->queue_bytes;
}

bool
bf_producer_drained(const struct bf_producer *p)
{
	return p->held == NULL && p->inflight_bytes <= p->queue_bytes / 2;
}

uint64_t
bf_producer_flush(struct bf_producer *p, int timeout_ms)
{
	int64_t deadline = bf_now_us() + (int64_t)timeout_ms * 1000;
	int64_t left_ms;

	/* Held records first, in order, as librdkafka's queue drains. */
	while (p->held != NULL && (left_ms = (deadline - bf_now_us()) /
	    1000) > 0) {
		rd_kafka_poll(p->rk, left_ms < 100 ? (int)left_ms : 100);
		release_held(p);
	}
	left_ms = (deadline - bf_now_us()) / 1000;
	rd_kafka_flush(p->rk, left_ms > 0 ? (int)left_ms : 0);
	return p->inflight_msgs + p->held_msgs;
}

void
bf_producer_free(struct bf_producer *p)
{
	while (p->held != NULL) {
		struct bf_held_record *h = p->held;

		p->held = h->next;
		free(h);
	}
	for (int t = 0; t < BF_PRODUCER_TOPICS; t++)
		if (p->topics[t] != NULL)
			rd_kafka_topic_destroy(p->topics[t]);
	if (p->rk != NULL)
		rd_kafka_destroy(p->rk);
	memset(p, 0, sizeof(*p));
}
