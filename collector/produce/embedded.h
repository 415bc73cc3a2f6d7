/* SPDX-License-Identifier: Apache-2.0 */
/*
 * embedded.h: librdkafka's mock Kafka cluster run in-process, the default
 * when no brokers are configured.  It speaks the Kafka protocol on
 * loopback, so kcat, bmpflow-tail and processors attach to it over TCP.
 */
#ifndef BF_EMBEDDED_H
#define BF_EMBEDDED_H

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

struct bf_embedded {
	rd_kafka_t		*rk;	/* the mock cluster's owner handle */
	rd_kafka_mock_cluster_t	*mc;
	char			 bootstraps[512];
};

/*
 * Start n_brokers brokers and create the topics (topic_prefix + names)
 * with partitions each.  Returns 0, or -1 with errbuf.
 */
int	bf_embedded_start(struct bf_embedded *e, int n_brokers, int partitions,
	    const char *const *topics, int n_topics, char *errbuf,
	    size_t errlen);
void	bf_embedded_stop(struct bf_embedded *e);

#endif /* BF_EMBEDDED_H */
