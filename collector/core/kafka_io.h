/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kafka_io.h: the Kafka plumbing the collector, bmpflow-tail and
 * bmpflow-processor share: setting properties, producer defaults,
 * producing a record with its schema header, reading every partition of a
 * topic, and the bootstrap-address file of the embedded Kafka.
 */
#ifndef BF_KAFKA_IO_H
#define BF_KAFKA_IO_H

#include <stddef.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

struct bf_opts;

#define BF_KAFKA_MAX_PROPS	64
#define BF_KAFKA_PROP_LEN	256

/* The user's librdkafka properties (kafka.NAME VALUE), in the order given. */
struct bf_kafka_props {
	char	name[BF_KAFKA_MAX_PROPS][BF_KAFKA_PROP_LEN];
	char	value[BF_KAFKA_MAX_PROPS][BF_KAFKA_PROP_LEN];
	size_t	n;
};

/* The "kafka." keys of o.  0, or -1 with err (too many, too long). */
int	bf_kafka_props_from_opts(struct bf_kafka_props *kp,
	    const struct bf_opts *o, char *err, size_t errlen);

/*
 * The brokers of o's "brokers", else of its "kafka-bootstrap-file" (what
 * the collector wrote), else "".  0, or -1 said on stderr (a file with no
 * address in it).
 */
int	bf_kafka_brokers_from_opts(const struct bf_opts *o, char *out,
	    size_t n);

/* Set one property.  0, or -1 with err ("kafka.NAME=VALUE: why"). */
int	bf_kafka_conf_set(rd_kafka_conf_t *conf, const char *name,
	    const char *value, char *err, size_t errlen);
/* Set n { name, value } pairs, stopping at the first refused. */
int	bf_kafka_conf_set_all(rd_kafka_conf_t *conf,
	    const char *const (*props)[2], size_t n, char *err, size_t errlen);

/*
 * The one way every bmpflow program makes a Kafka client.  conf holds the
 * caller's defaults for its role and its callbacks; librdkafka's log
 * lines go to bf_log, bootstrap.servers and then the user's properties
 * are set over them (the user's win), and the client is made.  Returns it, or NULL with err ("kafka.NAME=VALUE:
 * why", "kafka: why"); conf is taken over either way.
 */
rd_kafka_t *bf_kafka_new(rd_kafka_type_t type, rd_kafka_conf_t *conf,
	    const char *brokers, const struct bf_kafka_props *user, char *err,
	    size_t errlen);

/*
 * bmpflow's producer settings (idempotent, lz4, batched, no message
 * timeout: an outage delays, never drops).  Set them before the user's,
 * which override.  Returns 0, or -1 with err.
 */
int	bf_kafka_producer_defaults(rd_kafka_conf_t *conf, char *err,
	    size_t errlen);

/*
 * Produce one value (copied) with its key and a "schema" header (none
 * for a NULL schema: a header costs librdkafka three allocations).  Never
 * waits: RD_KAFKA_RESP_ERR__QUEUE_FULL says librdkafka's queue is full
 * and the caller keeps the record and tries again later (blocking here
 * would freeze the caller's event loop for a whole broker outage).
 */
rd_kafka_resp_err_t bf_kafka_produce(rd_kafka_t *rk, rd_kafka_topic_t *rkt,
	    const char *schema, const void *key, size_t key_len,
	    const void *value, size_t len, void *opaque);


/*
 * Assign every partition of topic to consumer rk, starting at offset
 * (RD_KAFKA_OFFSET_BEGINNING, _END).  Returns the partition count, or -1
 * with err (unknown topic, broker unreachable).
 */
int	bf_kafka_assign_all(rd_kafka_t *rk, const char *topic, int64_t offset,
	    char *err, size_t errlen);

/* The bootstrap file: one line "HOST:PORT,...".  0, or -1 with errno. */
int	bf_bootstrap_write(const char *path, const char *servers);
/* 0 with out filled, or -1 (missing, unreadable or empty file). */
int	bf_bootstrap_read(const char *path, char *out, size_t n);

#endif /* BF_KAFKA_IO_H */
