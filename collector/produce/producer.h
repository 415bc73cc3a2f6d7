/* SPDX-License-Identifier: Apache-2.0 */
/*
 * producer.h: records → Kafka through librdkafka: idempotent, batched, lz4,
 * with the in-flight byte count the listener uses for back-pressure.
 * Records librdkafka refuses for a full queue are held here, in order,
 * and handed over as it drains: sending never blocks and never drops.
 */
#ifndef BF_PRODUCER_H
#define BF_PRODUCER_H

#include <stdbool.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include "../common/config.h"
#include "../encode/records.h"

/*
 * Beyond the encoder's topics: bmp.route.state (--route-state), the
 * compacted current routes, keyed by route identity, values bmp.route's
 * records, tombstones (null values) for routes gone.  route_state.h.
 */
#define BF_TOPIC_ROUTE_STATE	BF_TOPIC_COUNT
#define BF_PRODUCER_TOPICS	(BF_TOPIC_COUNT + 1)

/* The name of producer topic t under c's topic-prefix, into out. */
void	bf_producer_topic_name(const struct bf_config *c, int t, char *out,
	    size_t n);

/* A record librdkafka's full queue refused, with copies of its bytes. */
struct bf_held_record {
	struct bf_held_record	*next;
	const char		*schema;	/* static schema name, or NULL */
	uint64_t		 cost;		/* counted in inflight_bytes */
	uint32_t		 key_len, value_len;
	uint8_t			 topic;
	uint8_t			 bytes[];	/* key, then value */
};

struct bf_producer {
	rd_kafka_t		*rk;
	rd_kafka_topic_t	*topics[BF_PRODUCER_TOPICS];
	char			 topic_names[BF_PRODUCER_TOPICS][96];
	uint64_t		 queue_bytes;	/* pause reading above this */
	uint64_t		 inflight_bytes;	/* produced, not yet reported */
	uint64_t		 inflight_msgs;
	uint64_t		 produced[BF_PRODUCER_TOPICS];
	uint64_t		 delivered[BF_PRODUCER_TOPICS];
	uint64_t		 failed[BF_PRODUCER_TOPICS];
	struct bf_held_record	*held, **held_tail;	/* FIFO, oldest first */
	uint64_t		 held_msgs, held_bytes;
	uint64_t		 queue_full;	/* records librdkafka refused */
};

/*
 * Connect to brokers (comma-separated bootstrap list) with every
 * kafka.<property> of c passed through.  Returns 0, or -1 with errbuf.
 */
int	bf_producer_init(struct bf_producer *p, const struct bf_config *c,
	    const char *brokers, char *errbuf, size_t errlen);
/*
 * Queue one record.  Never waits and never drops: a record librdkafka's
 * full queue refuses (or that would overtake one held) is copied and
 * held until bf_producer_poll hands it over.  Returns 0, or -1 on an
 * error that will not go away (unknown topic, message too large) or when
 * memory for a held copy is lacking.
 */
int	bf_producer_send(struct bf_producer *p, const struct bf_record *r);
/*
 * The same for a record given by parts; value NULL: a tombstone; schema
 * NULL: no "schema" header.
 */
int	bf_producer_send_kv(struct bf_producer *p, unsigned topic,
	    const char *schema, const void *key, size_t key_len,
	    const void *value, size_t value_len);
/* Serve delivery reports and hand held records over, without blocking. */
void	bf_producer_poll(struct bf_producer *p);
/* Above the back-pressure mark, or records held: stop reading routers. */
bool	bf_producer_congested(const struct bf_producer *p);
/* Nothing held and back under half the mark: resume reading. */
bool	bf_producer_drained(const struct bf_producer *p);
/*
 * Wait up to timeout_ms for everything, held records included, to be
 * delivered; returns how many records are left.
 */
uint64_t bf_producer_flush(struct bf_producer *p, int timeout_ms);
void	bf_producer_free(struct bf_producer *p);

#endif /* BF_PRODUCER_H */
