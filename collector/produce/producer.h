/*
 * producer.h: records → Kafka through librdkafka: idempotent, batched, lz4,
 * with the in-flight byte count the listener uses for back-pressure.
 */
#ifndef BF_PRODUCER_H
#define BF_PRODUCER_H

#include <stdbool.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include "../common/config.h"
#include "../encode/records.h"

struct bf_producer {
	rd_kafka_t		*rk;
	rd_kafka_topic_t	*topics[BF_TOPIC_COUNT];
	char			 topic_names[BF_TOPIC_COUNT][96];
	uint64_t		 queue_bytes;	/* pause reading above this */
	uint64_t		 inflight_bytes;	/* produced, not yet reported */
	uint64_t		 inflight_msgs;
	uint64_t		 produced[BF_TOPIC_COUNT];
	uint64_t		 delivered[BF_TOPIC_COUNT];
	uint64_t		 failed[BF_TOPIC_COUNT];
	uint64_t		 queue_full_waits;	/* produce() had to wait */
};

/*
 * Connect to brokers (comma-separated bootstrap list) with every
 * kafka.<property> of c passed through.  Returns 0, or -1 with errbuf.
 */
int	bf_producer_init(struct bf_producer *p, const struct bf_config *c,
	    const char *brokers, char *errbuf, size_t errlen);
/*
 * Queue one record.  Never drops: when librdkafka's queue is full it
 * serves delivery reports until there is room.  Returns 0, or -1 on an
 * error that will not go away (unknown topic, message too large).
 */
int	bf_producer_send(struct bf_producer *p, const struct bf_record *r);
/* Serve delivery reports without blocking. */
void	bf_producer_poll(struct bf_producer *p);
/* Above the back-pressure mark: stop reading routers. */
bool	bf_producer_congested(const struct bf_producer *p);
/* Back under half the mark: resume reading. */
bool	bf_producer_drained(const struct bf_producer *p);
/* Wait up to timeout_ms for everything to be delivered; returns left. */
uint64_t bf_producer_flush(struct bf_producer *p, int timeout_ms);
void	bf_producer_free(struct bf_producer *p);

#endif /* BF_PRODUCER_H */
