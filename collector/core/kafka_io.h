/*
 * kafka_io.h: the Kafka plumbing the collector, bmpflow-tail and
 * bmpflow-processor share: producer defaults, producing a record with its
 * schema header without ever dropping it, reading every partition of a
 * topic, and the bootstrap-address file of the embedded Kafka.
 */
#ifndef BF_KAFKA_IO_H
#define BF_KAFKA_IO_H

#include <stddef.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

/*
 * bmpflow's producer settings (idempotent, lz4, batched, no message
 * timeout: an outage delays, never drops).  Set them before the user's,
 * which override.  Returns 0, or -1 with err.
 */
int	bf_kafka_producer_defaults(rd_kafka_conf_t *conf, char *err,
	    size_t errlen);

/*
 * Produce one value with its key and a "schema" header.  While the queue
 * is full it serves delivery reports and tries again (counted in *waits
 * when not NULL).  Returns the error that stopped it, or 0.
 */
rd_kafka_resp_err_t bf_kafka_produce(rd_kafka_t *rk, rd_kafka_topic_t *rkt,
	    const char *schema, const void *key, size_t key_len,
	    const void *value, size_t len, void *opaque, uint64_t *waits);

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
