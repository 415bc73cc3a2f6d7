/* SPDX-License-Identifier: Apache-2.0 */
/*
 * out_topic.c: the output topic created through the Admin API.
 */
#include "out_topic.h"

#include <stdio.h>
#include <unistd.h>

#include "core/kafka_admin.h"
#include "core/log.h"

#define WAIT_SERVED_MS	30000

/* The partitions the output topic gets; -1 with err when not known. */
static int
out_partitions(const struct proc *p, const rd_kafka_metadata_t *md,
    char *err, size_t errlen)
{
	const rd_kafka_metadata_topic_t *route;

	if (p->opts->out_partitions > 0)
		return p->opts->out_partitions;
	if ((route = bf_kafka_md_topic(md, p->route_topic)) == NULL) {
		snprintf(err, errlen, "%s does not exist, so its partitions "
		    "are unknown: start the collector first, or set "
		    "output-partitions", p->route_topic);
		return -1;
	}
	return route->partition_cnt;
}

/*
 * Until the brokers' metadata lists topic, just made (the controller
 * answers before every broker knows it, and outputs sent meanwhile would
 * fail as for an unknown topic): 0, or -1 with err after WAIT_SERVED_MS.
 */
static int
wait_served(rd_kafka_t *rk, const char *topic, char *err, size_t errlen)
{
	for (int waited = 0; waited < WAIT_SERVED_MS; waited += 100) {
		bool has_controller;
		const rd_kafka_metadata_t *md = bf_kafka_all_topics(rk,
		    &has_controller, err, errlen);
		bool served = md != NULL && bf_kafka_md_topic(md, topic) !=
		    NULL;

		if (md != NULL)
			rd_kafka_metadata_destroy(md);
		if (served)
			return 0;
		usleep(100 * 1000);
	}
	snprintf(err, errlen, "created, but not listed by the brokers after "
	    "%d s", WAIT_SERVED_MS / 1000);
	return -1;
}

int
proc_out_topic_ensure(struct proc *p)
{
	const struct proc_opts *o = p->opts;
	char err[1024];
	const rd_kafka_metadata_t *md = NULL;
	struct bf_topic_spec spec = { p->out_topic, 0, o->out_replication,
	    { { NULL, NULL } } };
	bool has_controller;
	rd_kafka_t *rk;
	int rc = -1;

	if (!o->create_topics)
		return 0;
	rk = bf_kafka_new(RD_KAFKA_PRODUCER, rd_kafka_conf_new(), o->brokers,
	    &o->kafka, err, sizeof(err));
	if (rk == NULL)
		goto out;
	if ((md = bf_kafka_all_topics(rk, &has_controller, err,
	    sizeof(err))) == NULL)
		goto out;
	/* Present, or nobody here to make it: the mock makes it on use. */
	if (bf_kafka_md_topic(md, p->out_topic) != NULL || !has_controller) {
		rc = 0;
		goto out;
	}
	if ((spec.partitions = out_partitions(p, md, err, sizeof(err))) < 0)
		goto out;
	if (bf_kafka_create_topics(rk, &spec, 1, false, err, sizeof(err)) == 0)
		rc = wait_served(rk, p->out_topic, err, sizeof(err));
out:
	if (rc < 0)
		bf_log(BF_LOG_ERROR, "output topic %s on %s: %s (create-topics "
		    "= false leaves it to you)", p->out_topic, o->brokers, err);
	if (md != NULL)
		rd_kafka_metadata_destroy(md);
	if (rk != NULL)
		rd_kafka_destroy(rk);
	return rc;
}
