/* SPDX-License-Identifier: Apache-2.0 */
/*
 * embedded.c: the in-process mock Kafka cluster.
 */
#include "embedded.h"

#include <stdio.h>
#include <string.h>

int
bf_embedded_start(struct bf_embedded *e, int n_brokers, int partitions,
    const char *const *topics, int n_topics, char *errbuf, size_t errlen)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char why[512];

	memset(e, 0, sizeof(*e));
	/* The owner handle never connects anywhere: no bootstrap servers. */
	rd_kafka_conf_set(conf, "log_level", "3", why, sizeof(why));
	e->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof(why));
	if (e->rk == NULL) {
		rd_kafka_conf_destroy(conf);
		snprintf(errbuf, errlen, "embedded kafka: %s", why);
		return -1;
	}
	e->mc = rd_kafka_mock_cluster_new(e->rk, n_brokers);
	if (e->mc == NULL) {
		snprintf(errbuf, errlen, "embedded kafka: cannot start %d "
		    "mock brokers", n_brokers);
		bf_embedded_stop(e);
		return -1;
	}
	for (int i = 0; i < n_topics; i++) {
		rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(e->mc,
		    topics[i], partitions, 1);

		if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
			snprintf(errbuf, errlen, "embedded kafka: topic %s: %s",
			    topics[i], rd_kafka_err2str(err));
			bf_embedded_stop(e);
			return -1;
		}
	}
	snprintf(e->bootstraps, sizeof(e->bootstraps), "%s",
	    rd_kafka_mock_cluster_bootstraps(e->mc));
	return 0;
}

void
bf_embedded_stop(struct bf_embedded *e)
{
	if (e->mc != NULL)
		rd_kafka_mock_cluster_destroy(e->mc);
	if (e->rk != NULL)
		rd_kafka_destroy(e->rk);
	memset(e, 0, sizeof(*e));
}
