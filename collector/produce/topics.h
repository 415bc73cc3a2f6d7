/* SPDX-License-Identifier: Apache-2.0 */
/*
 * topics.h: the collector's topics made as configured, through Kafka's
 * Admin API, before anything is produced: nothing relies on the brokers'
 * auto-create (which would give broker defaults: partitions, retention
 * and cleanup.policy the collector's keys do not expect).
 */
#ifndef BF_TOPICS_H
#define BF_TOPICS_H

#include <stddef.h>

#include "../common/config.h"
#include "../encode/records.h"

/*
 * Check c's topics on brokers and, with create-topics, create the
 * missing ones (c->topics: partitions, replication factor, retention.ms,
 * cleanup.policy, min.insync.replicas).  An existing topic that differs
 * is logged as a warning per setting and kept as it is (partitions
 * never change: keys would move).  Returns 0 to run on, or -1 with err:
 * brokers unreachable (create-topics on), a creation refused, or a topic
 * and the one it is partitioned like found with different partitions.
 * Brokers without a controller (librdkafka's mock cluster) can neither
 * create topics nor show configs: partitions are checked alone.
 */
int	bf_topics_ensure(const struct bf_config *c, const char *brokers,
	    char *err, size_t errlen);

/*
 * Set e's record format of each topic as c says; for avro-confluent,
 * register the topic's schema (its .avsc text) under the subject
 * TOPIC-value with c's Schema Registry first.  Returns 0, or -1 with err
 * (the registry unreachable or refusing the schema: incompatible with the
 * subject's versions, bad credentials), naming topic and subject.
 */
int	bf_topics_formats(struct bf_encoder *e, const struct bf_config *c,
	    char *err, size_t errlen);

#endif /* BF_TOPICS_H */
