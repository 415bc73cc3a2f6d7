/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kafka_admin.h: topics made and read through Kafka's Admin API and the
 * cluster's metadata, for every program that owns topics (the collector
 * its bmp.* topics, the processor host its output topic).
 */
#ifndef BF_KAFKA_ADMIN_H
#define BF_KAFKA_ADMIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

/* Bounds of the start-up requests: a cluster that cannot answer is down. */
#define BF_KAFKA_METADATA_TIMEOUT_MS	15000
#define BF_KAFKA_ADMIN_TIMEOUT_MS	30000

#define BF_TOPIC_MAX_CONFIGS	4

/* A topic to create; what is left unset is the broker's default. */
struct bf_topic_spec {
	const char	*name;
	int32_t		 partitions;		/* -1: the broker's default */
	int32_t		 replication;		/* -1: the broker's default */
	/* {name, value} pairs; a NULL name ends them. */
	const char	*configs[BF_TOPIC_MAX_CONFIGS][2];
};

/*
 * One admin request, CreateTopics of nt or DescribeConfigs of cr (the
 * other NULL), both n long and freed here: its result event (the
 * caller destroys it), or NULL when none came in time.
 */
rd_kafka_event_t *bf_kafka_admin_request(rd_kafka_t *rk,
	    rd_kafka_NewTopic_t **nt, rd_kafka_ConfigResource_t **cr, size_t n,
	    bool validate_only);

/*
 * CreateTopics of the n topics (validate_only: asks whether the brokers
 * would, so that a caller can make all or none); a topic made meanwhile
 * by another program counts as made.  0, or -1 with every refusal in
 * err ("topic: why; ...").
 */
int	bf_kafka_create_topics(rd_kafka_t *rk, const struct bf_topic_spec *t,
	    size_t n, bool validate_only, char *err, size_t errlen);

/*
 * The cluster's metadata of every topic, naming none (a named topic may
 * be auto-created), within BF_KAFKA_METADATA_TIMEOUT_MS; *has_controller
 * says whether the controller is one of the brokers (librdkafka's mock
 * cluster names none and answers no CreateTopics).  NULL with why in err
 * when the brokers do not answer; free with rd_kafka_metadata_destroy().
 */
const rd_kafka_metadata_t *bf_kafka_all_topics(rd_kafka_t *rk,
	    bool *has_controller, char *err, size_t errlen);

/* topic's entry in md, or NULL when the cluster does not have it. */
const rd_kafka_metadata_topic_t *bf_kafka_md_topic(
	    const rd_kafka_metadata_t *md, const char *topic);

/*
 * Whether topic exists on rk's cluster: 1, 0, or -1 with err (brokers
 * unreachable), from every topic's metadata, as above.
 */
int	bf_kafka_topic_exists(rd_kafka_t *rk, const char *topic, char *err,
	    size_t errlen);

#endif /* BF_KAFKA_ADMIN_H */
