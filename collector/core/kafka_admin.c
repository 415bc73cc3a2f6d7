/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kafka_admin.c: CreateTopics, DescribeConfigs and topic metadata.
 */
#include "kafka_admin.h"

#include <stdio.h>
#include <string.h>

#include "log.h"

rd_kafka_event_t *
bf_kafka_admin_request(rd_kafka_t *rk, rd_kafka_NewTopic_t **nt,
    rd_kafka_ConfigResource_t **cr, size_t n, bool validate_only)
{
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	rd_kafka_AdminOptions_t *o = rd_kafka_AdminOptions_new(rk,
	    nt != NULL ? RD_KAFKA_ADMIN_OP_CREATETOPICS :
	    RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS);
	rd_kafka_event_t *ev;
	char why[256];

	rd_kafka_AdminOptions_set_request_timeout(o, BF_KAFKA_ADMIN_TIMEOUT_MS,
	    why, sizeof(why));
	if (nt != NULL) {
		rd_kafka_AdminOptions_set_operation_timeout(o,
		    BF_KAFKA_ADMIN_TIMEOUT_MS, why, sizeof(why));
		rd_kafka_AdminOptions_set_validate_only(o, validate_only, why,
		    sizeof(why));
		rd_kafka_CreateTopics(rk, nt, n, o, q);
		rd_kafka_NewTopic_destroy_array(nt, n);
	} else {
		rd_kafka_DescribeConfigs(rk, cr, n, o, q);
		rd_kafka_ConfigResource_destroy_array(cr, n);
	}
	rd_kafka_AdminOptions_destroy(o);
	ev = rd_kafka_queue_poll(q, BF_KAFKA_ADMIN_TIMEOUT_MS + 5000);
	rd_kafka_queue_destroy(q);
	return ev;
}

/* Append "topic: why" to err, "; " between. */
static void
add_error(char *err, size_t errlen, const char *topic, const char *why)
{
	size_t at = strlen(err);

	snprintf(err + at, errlen - at, "%s%s: %s", at > 0 ? "; " : "", topic,
	    why);
}

/* t as a NewTopic, or NULL with why in err. */
static rd_kafka_NewTopic_t *
new_topic(const struct bf_topic_spec *t, char *err, size_t errlen)
{
	char why[512];
	rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(t->name, t->partitions,
	    t->replication, why, sizeof(why));

	if (nt == NULL) {
		add_error(err, errlen, t->name, why);
		return NULL;
	}
	for (int i = 0; i < BF_TOPIC_MAX_CONFIGS && t->configs[i][0] != NULL;
	    i++)
		if (rd_kafka_NewTopic_set_config(nt, t->configs[i][0],
		    t->configs[i][1]) != RD_KAFKA_RESP_ERR_NO_ERROR) {
			snprintf(why, sizeof(why), "config %s = %s refused",
			    t->configs[i][0], t->configs[i][1]);
			add_error(err, errlen, t->name, why);
			rd_kafka_NewTopic_destroy(nt);
			return NULL;
		}
	return nt;
}

int
bf_kafka_create_topics(rd_kafka_t *rk, const struct bf_topic_spec *t,
    size_t n, bool validate_only, char *err, size_t errlen)
{
	rd_kafka_NewTopic_t *nt[n > 0 ? n : 1];
	const rd_kafka_topic_result_t **res;
	rd_kafka_event_t *ev;
	size_t made = 0, n_res;
	int rc = 0;

	err[0] = '\0';
	if (n == 0)
		return 0;
	for (; made < n; made++)
		if ((nt[made] = new_topic(&t[made], err, errlen)) == NULL) {
			rd_kafka_NewTopic_destroy_array(nt, made);
			return -1;
		}
	ev = bf_kafka_admin_request(rk, nt, NULL, n, validate_only);
	if (ev == NULL || rd_kafka_event_error(ev)) {
		add_error(err, errlen, "CreateTopics", ev == NULL ? "no answer" :
		    rd_kafka_event_error_string(ev));
		rc = -1;
	} else {
		res = rd_kafka_CreateTopics_result_topics(
		    rd_kafka_event_CreateTopics_result(ev), &n_res);
		for (size_t i = 0; i < n_res; i++) {
			rd_kafka_resp_err_t e = rd_kafka_topic_result_error(
			    res[i]);
			const char *s = rd_kafka_topic_result_error_string(
			    res[i]);

			/* Another program made it meanwhile: as good. */
			if (e == RD_KAFKA_RESP_ERR_NO_ERROR ||
			    e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
				if (!validate_only)
					bf_log(BF_LOG_INFO, "topic %s created",
					    rd_kafka_topic_result_name(res[i]));
				continue;
			}
			add_error(err, errlen,
			    rd_kafka_topic_result_name(res[i]), s != NULL ? s :
			    rd_kafka_err2str(e));
			rc = -1;
		}
	}
	if (ev != NULL)
		rd_kafka_event_destroy(ev);
	return rc;
}

const rd_kafka_metadata_t *
bf_kafka_all_topics(rd_kafka_t *rk, bool *has_controller, char *err,
    size_t errlen)
{
	const rd_kafka_metadata_t *md;
	rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 1, NULL, &md,
	    BF_KAFKA_METADATA_TIMEOUT_MS);
	int32_t controller = rd_kafka_controllerid(rk, 0);

	if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
		snprintf(err, errlen, "%s", rd_kafka_err2str(e));
		return NULL;
	}
	*has_controller = false;
	for (int b = 0; b < md->broker_cnt; b++)
		*has_controller |= md->brokers[b].id == controller;
	return md;
}

const rd_kafka_metadata_topic_t *
bf_kafka_md_topic(const rd_kafka_metadata_t *md, const char *topic)
{
	for (int i = 0; i < md->topic_cnt; i++)
		if (md->topics[i].err == RD_KAFKA_RESP_ERR_NO_ERROR &&
		    strcmp(md->topics[i].topic, topic) == 0)
			return &md->topics[i];
	return NULL;
}

int
bf_kafka_topic_exists(rd_kafka_t *rk, const char *topic, char *err,
    size_t errlen)
{
	bool has_controller;
	char why[256];
	const rd_kafka_metadata_t *md = bf_kafka_all_topics(rk,
	    &has_controller, why, sizeof(why));
	int found;

	if (md == NULL) {
		snprintf(err, errlen, "cannot list the topics: %s", why);
		return -1;
	}
	found = bf_kafka_md_topic(md, topic) != NULL;
	rd_kafka_metadata_destroy(md);
	return found;
}
