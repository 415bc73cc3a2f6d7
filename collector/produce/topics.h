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

#endif /* BF_TOPICS_H */
