/* SPDX-License-Identifier: Apache-2.0 */
/*
 * topics.c: the collector's topics created and checked through the Admin
 * API (CreateTopics, DescribeConfigs) and the cluster's metadata.
 */
#include "topics.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/kafka_admin.h"
#include "core/kafka_io.h"
#include "core/log.h"

/* What the cluster has of one topic. */
struct found {
	bool	exists;
	int	partitions;
	int	replicas;	/* of its first partition */
};

static const struct bf_topic_conf *
topic_named(const struct bf_config *c, const char *name, int *index)
{
	for (int i = 0; i < c->n_topics; i++)
		if (strcmp(c->topics[i].name, name) == 0) {
			*index = i;
			return &c->topics[i];
		}
	return NULL;
}

/* What the cluster has of c's topics; see bf_kafka_all_topics(). */
static int
read_metadata(rd_kafka_t *rk, const struct bf_config *c, const char *brokers,
    struct found *f, bool *has_controller, char *err, size_t errlen)
{
	char why[256];
	const rd_kafka_metadata_t *md = bf_kafka_all_topics(rk,
	    has_controller, why, sizeof(why));

	if (md == NULL) {
		snprintf(err, errlen, "kafka: cannot read the topics of %s: %s",
		    brokers, why);
		return -1;
	}
	for (int i = 0; i < c->n_topics; i++) {
		const rd_kafka_metadata_topic_t *mt = bf_kafka_md_topic(md,
		    c->topics[i].name);

		if (mt == NULL)
			continue;
		f[i].exists = true;
		f[i].partitions = mt->partition_cnt;
		f[i].replicas = mt->partition_cnt > 0 ?
		    mt->partitions[0].replica_cnt : 0;
	}
	rd_kafka_metadata_destroy(md);
	return 0;
}

/*
 * A topic partitioned like another that exists takes its partitions
 * (whatever was configured); both existing with different counts is
 * refused: a key's records would be in partitions of different numbers.
 */
static int
follow_partitioning(const struct bf_config *c, const struct found *f,
    int *want, char *err, size_t errlen)
{
	for (int i = 0; i < c->n_topics; i++) {
		const struct bf_topic_conf *t = &c->topics[i];
		int l;

		want[i] = t->partitions;
		if (t->like[0] == '\0' || topic_named(c, t->like, &l) == NULL ||
		    !f[l].exists)
			continue;
		if (f[i].exists && f[i].partitions != f[l].partitions) {
			snprintf(err, errlen, "topics %s (%d partitions) and %s "
			    "(%d partitions) must have the same partitions: a "
			    "key's records of both are found in partitions of "
			    "one number; delete %s and start again", t->name,
			    f[i].partitions, t->like, f[l].partitions,
			    t->name);
			return -1;
		}
		if (!f[i].exists && f[l].partitions != t->partitions)
			bf_log(BF_LOG_INFO, "topic %s: %d partitions like %s "
			    "(topic.%s.partitions says %d)", t->name,
			    f[l].partitions, t->like, t->suffix,
			    (int)t->partitions);
		want[i] = f[l].partitions;
	}
	return 0;
}

/*
 * CreateTopics for the missing ones, as bf_kafka_create_topics() (with
 * their partitions in want).
 */
static int
create_missing(rd_kafka_t *rk, const struct bf_config *c,
    const struct found *f, const int *want, bool validate_only, char *err,
    size_t errlen)
{
	struct bf_topic_spec spec[BF_MAX_TOPICS];
	char retention[BF_MAX_TOPICS][24], min_isr[BF_MAX_TOPICS][16];
	size_t n = 0;

	for (int i = 0; i < c->n_topics; i++) {
		const struct bf_topic_conf *t = &c->topics[i];

		if (f[i].exists)
			continue;
		snprintf(retention[n], sizeof(retention[n]), "%" PRId64,
		    t->retention_ms);
		snprintf(min_isr[n], sizeof(min_isr[n]), "%d",
		    (int)t->min_insync);
		spec[n] = (struct bf_topic_spec){ t->name, want[i],
		    t->replication, { { "retention.ms", retention[n] },
		    { "cleanup.policy", t->cleanup },
		    { t->min_insync > 0 ? "min.insync.replicas" : NULL,
		    min_isr[n] } } };
		n++;
	}
	return bf_kafka_create_topics(rk, spec, n, validate_only, err,
	    errlen);
}

static void
mismatch(const char *topic, const char *setting, const char *wanted,
    const char *found, const char *why)
{
	bf_log(BF_LOG_WARN, "topic %s: %s is %s, configured %s (%s)", topic,
	    setting, found, wanted, why);
}

/* Partitions and replicas of the existing topics, from the metadata. */
static void
check_shape(const struct bf_config *c, const struct found *f,
    const int *want)
{
	char w[16], h[16];

	for (int i = 0; i < c->n_topics; i++) {
		const struct bf_topic_conf *t = &c->topics[i];

		if (!f[i].exists)
			continue;
		snprintf(w, sizeof(w), "%d", want[i]);
		snprintf(h, sizeof(h), "%d", f[i].partitions);
		if (f[i].partitions != want[i])
			mismatch(t->name, "partitions", w, h, "kept: changing "
			    "it would move keys to other partitions");
		snprintf(w, sizeof(w), "%d", (int)t->replication);
		snprintf(h, sizeof(h), "%d", f[i].replicas);
		if (t->replication > 0 && f[i].replicas != t->replication)
			mismatch(t->name, "replication factor", w, h, "kept");
	}
}

/* One existing topic's configs against t's. */
static void
check_configs_of(const rd_kafka_ConfigResource_t *r,
    const struct bf_topic_conf *t)
{
	char retention[24], min_isr[16];
	const char *const wanted[][2] = {
		{ "retention.ms", retention },
		{ "cleanup.policy", t->cleanup },
		{ "min.insync.replicas", t->min_insync > 0 ? min_isr : NULL },
	};
	const rd_kafka_ConfigEntry_t **ce;
	size_t n;

	snprintf(retention, sizeof(retention), "%" PRId64, t->retention_ms);
	snprintf(min_isr, sizeof(min_isr), "%d", (int)t->min_insync);
	ce = rd_kafka_ConfigResource_configs(r, &n);
	for (size_t w = 0; w < sizeof(wanted) / sizeof(wanted[0]); w++) {
		if (wanted[w][1] == NULL)
			continue;
		for (size_t i = 0; i < n; i++) {
			const char *v = rd_kafka_ConfigEntry_value(ce[i]);

			if (strcmp(rd_kafka_ConfigEntry_name(ce[i]),
			    wanted[w][0]) == 0 && strcmp(v != NULL ? v : "",
			    wanted[w][1]) != 0)
				mismatch(t->name, wanted[w][0], wanted[w][1],
				    v != NULL ? v : "(none)", "kept; "
				    "kafka-configs --alter changes it");
		}
	}
}

/* DescribeConfigs of the existing topics; a failure is only logged. */
static void
check_configs(rd_kafka_t *rk, const struct bf_config *c,
    const struct found *f)
{
	rd_kafka_ConfigResource_t *cr[BF_MAX_TOPICS];
	const rd_kafka_ConfigResource_t **res;
	rd_kafka_event_t *ev;
	size_t n = 0, n_res;
	int i;

	for (int t = 0; t < c->n_topics; t++)
		if (f[t].exists)
			cr[n++] = rd_kafka_ConfigResource_new(
			    RD_KAFKA_RESOURCE_TOPIC, c->topics[t].name);
	if (n == 0)
		return;
	ev = bf_kafka_admin_request(rk, NULL, cr, n, false);
	if (ev == NULL || rd_kafka_event_error(ev)) {
		bf_log(BF_LOG_WARN, "kafka: cannot read the configs of the "
		    "topics, not checked: %s", ev == NULL ? "no answer" :
		    rd_kafka_event_error_string(ev));
	} else {
		res = rd_kafka_DescribeConfigs_result_resources(
		    rd_kafka_event_DescribeConfigs_result(ev), &n_res);
		for (size_t r = 0; r < n_res; r++)
			if (topic_named(c, rd_kafka_ConfigResource_name(res[r]),
			    &i) != NULL)
				check_configs_of(res[r], &c->topics[i]);
	}
	if (ev != NULL)
		rd_kafka_event_destroy(ev);
}

/* The missing topics, said once, when they will not be created here. */
static void
warn_missing(const struct bf_config *c, const struct found *f,
    const char *why)
{
	for (int i = 0; i < c->n_topics; i++)
		if (!f[i].exists)
			bf_log(BF_LOG_WARN, "topic %s does not exist (%s): "
			    "records to it fail until it is created",
			    c->topics[i].name, why);
}

int
bf_topics_ensure(const struct bf_config *c, const char *brokers, char *err,
    size_t errlen)
{
	struct found f[BF_MAX_TOPICS] = { { 0 } };
	int want[BF_MAX_TOPICS];
	rd_kafka_t *rk;
	bool has_controller;
	int rc = -1;

	rk = bf_kafka_new(RD_KAFKA_PRODUCER, rd_kafka_conf_new(), brokers,
	    &c->kafka, err, errlen);
	if (rk == NULL)
		return -1;
	if (read_metadata(rk, c, brokers, f, &has_controller, err,
	    errlen) < 0) {
		if (c->create_topics)
			goto out;
		bf_log(BF_LOG_WARN, "%s (create-topics = false: not checked)",
		    err);
		rc = 0;
		goto out;
	}
	if (follow_partitioning(c, f, want, err, errlen) < 0)
		goto out;
	check_shape(c, f, want);
	/* CreateTopics would wait for a controller in vain. */
	if (!has_controller)
		warn_missing(c, f, "the brokers have no controller to create "
		    "it");
	else if (!c->create_topics)
		warn_missing(c, f, "create-topics = false");
	else if (create_missing(rk, c, f, want, true, err, errlen) < 0 ||
	    create_missing(rk, c, f, want, false, err, errlen) < 0) {
		char why[1024];

		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, errlen, "kafka: cannot create topic %s", why);
		goto out;
	}
	if (has_controller)
		check_configs(rk, c, f);
	rc = 0;
out:
	rd_kafka_destroy(rk);
	return rc;
}

int
bf_topics_formats(struct bf_encoder *e, const struct bf_config *c, char *err,
    size_t errlen)
{
	struct bf_registry *reg = NULL;
	uint32_t id;
	int rc = 0;

	for (int i = 0; i < c->n_topics && rc == 0; i++) {
		const struct bf_topic_conf *tc = &c->topics[i];
		enum bf_topic t;

		for (t = 0; t < BF_TOPIC_COUNT; t++)
			if (strcmp(tc->suffix, bf_topic_name(t)) == 0)
				break;
		/* The state topic carries bmp.route's records. */
		if (t == BF_TOPIC_COUNT)
			continue;
		id = 0;
		if (tc->format == BF_FORMAT_CONFLUENT) {
			if (reg == NULL && (reg = bf_registry_new(&c->registry))
			    == NULL) {
				snprintf(err, errlen, "out of memory");
				return -1;
			}
			if (bf_record_registry_id(reg, tc->name, &e->sch[t],
			    &id, err, errlen) < 0) {
				rc = -1;
				break;
			}
		}
		if (bf_encoder_set_format(e, t, tc->format, id) < 0) {
			snprintf(err, errlen, "out of memory");
			rc = -1;
		}
	}
	bf_registry_free(reg);
	return rc;
}
