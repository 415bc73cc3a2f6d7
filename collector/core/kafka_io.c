/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kafka_io.c: shared Kafka plumbing.
 */
#include "kafka_io.h"

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "opttab.h"

int
bf_kafka_props_from_opts(struct bf_kafka_props *kp, const struct bf_opts *o,
    char *err, size_t errlen)
{
	const char *k, *v;

	for (kp->n = 0; bf_opts_ns(o, "kafka.", kp->n, &k, &v) == 0;
	    kp->n++) {
		if (kp->n == BF_KAFKA_MAX_PROPS) {
			snprintf(err, errlen, "more than %d kafka.* "
			    "properties", BF_KAFKA_MAX_PROPS);
			return -1;
		}
		if (strlen(k) >= BF_KAFKA_PROP_LEN ||
		    strlen(v) >= BF_KAFKA_PROP_LEN) {
			snprintf(err, errlen, "kafka.%s: name or value longer "
			    "than %d bytes", k, BF_KAFKA_PROP_LEN - 1);
			return -1;
		}
		memcpy(kp->name[kp->n], k, strlen(k) + 1);
		memcpy(kp->value[kp->n], v, strlen(v) + 1);
	}
	return 0;
}

int
bf_kafka_brokers_from_opts(const struct bf_opts *o, char *out, size_t n)
{
	const char *file = bf_opts_str(o, "kafka-bootstrap-file");

	snprintf(out, n, "%s", bf_opts_str(o, "brokers"));
	if (out[0] != '\0' || file[0] == '\0' ||
	    bf_bootstrap_read(file, out, n) == 0)
		return 0;
	fprintf(stderr, "%s: %s: no bootstrap address in it (is the collector "
	    "running?)\n", o->tab->prog, file);
	return -1;
}

int
bf_kafka_conf_set(rd_kafka_conf_t *conf, const char *name, const char *value,
    char *err, size_t errlen)
{
	char why[512];

	if (rd_kafka_conf_set(conf, name, value, why, sizeof(why)) ==
	    RD_KAFKA_CONF_OK)
		return 0;
	snprintf(err, errlen, "kafka.%s=%s: %s", name, value, why);
	return -1;
}

int
bf_kafka_conf_set_all(rd_kafka_conf_t *conf, const char *const (*props)[2],
    size_t n, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++)
		if (bf_kafka_conf_set(conf, props[i][0], props[i][1], err,
		    errlen) < 0)
			return -1;
	return 0;
}

/* librdkafka's own lines in the program's log format (syslog levels). */
static void
on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	(void)rk;
	bf_log(level <= 3 ? BF_LOG_ERROR : level <= 5 ? BF_LOG_WARN :
	    BF_LOG_DEBUG, "kafka: %s: %s", fac, buf);
}

rd_kafka_t *
bf_kafka_new(rd_kafka_type_t type, rd_kafka_conf_t *conf, const char *brokers,
    const struct bf_kafka_props *user, char *err, size_t errlen)
{
	char why[512];
	rd_kafka_t *rk;

	rd_kafka_conf_set_log_cb(conf, on_log);
	if (bf_kafka_conf_set(conf, "bootstrap.servers", brokers, err,
	    errlen) < 0) {
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	for (size_t i = 0; user != NULL && i < user->n; i++)
		if (bf_kafka_conf_set(conf, user->name[i], user->value[i], err,
		    errlen) < 0) {
			rd_kafka_conf_destroy(conf);
			return NULL;
		}
	if ((rk = rd_kafka_new(type, conf, why, sizeof(why))) == NULL) {
		snprintf(err, errlen, "kafka: %s", why);
		rd_kafka_conf_destroy(conf);
	}
	return rk;
}

int
bf_kafka_producer_defaults(rd_kafka_conf_t *conf, char *err, size_t errlen)
{
	static const char *const defaults[][2] = {
		{ "enable.idempotence", "true" },
		{ "compression.codec", "lz4" },
		/* Java clients' partitioner: same key, same partition. */
		{ "partitioner", "murmur2_random" },
		/*
		 * Detection latency wants little, throughput some batching.
		 * (The mock cluster re-appends batches re-sent after an
		 * outage whatever this is: it checks producer sequences for
		 * transactional producers only.)
		 */
		{ "linger.ms", "10" },
		{ "batch.size", "1000000" },
		{ "message.timeout.ms", "0" },
		{ "queue.buffering.max.messages", "2000000" },
		{ "queue.buffering.max.kbytes", "1048576" },
	};

	return bf_kafka_conf_set_all(conf, defaults,
	    sizeof(defaults) / sizeof(defaults[0]), err, errlen);
}

rd_kafka_resp_err_t
bf_kafka_produce(rd_kafka_t *rk, rd_kafka_topic_t *rkt, const char *schema,
    const void *key, size_t key_len, const void *value, size_t len,
    void *opaque)
{
	rd_kafka_headers_t *h = NULL;
	rd_kafka_resp_err_t err;
	/* The macros cast to void *; F_COPY means nothing is written. */
	void *k = (void *)(uintptr_t)key, *v = (void *)(uintptr_t)value;

	if (schema != NULL) {
		h = rd_kafka_headers_new(1);
		rd_kafka_header_add(h, "schema", -1, schema, -1);
	}
	err = rd_kafka_producev(rk, RD_KAFKA_V_RKT(rkt),
	    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
	    RD_KAFKA_V_VALUE(v, len),
	    RD_KAFKA_V_KEY(k, key_len),
	    RD_KAFKA_V_HEADERS(h),
	    RD_KAFKA_V_OPAQUE(opaque),
	    RD_KAFKA_V_END);
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR && h != NULL)
		rd_kafka_headers_destroy(h);	/* not taken over */
	return err;
}

int
bf_kafka_assign_all(rd_kafka_t *rk, const char *topic, int64_t offset,
    char *err, size_t errlen)
{
	const rd_kafka_metadata_t *md = NULL;
	rd_kafka_topic_t *t = rd_kafka_topic_new(rk, topic, NULL);
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_resp_err_t e;
	int n;

	e = rd_kafka_metadata(rk, 0, t, &md, 10000);
	rd_kafka_topic_destroy(t);
	if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
		e = md->topic_cnt != 1 ? RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC :
		    md->topics[0].err;
	if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
		snprintf(err, errlen, "topic %s: %s", topic,
		    rd_kafka_err2str(e));
		if (md != NULL)
			rd_kafka_metadata_destroy(md);
		return -1;
	}
	n = md->topics[0].partition_cnt;
	l = rd_kafka_topic_partition_list_new(n);
	for (int i = 0; i < n; i++)
		rd_kafka_topic_partition_list_add(l, topic,
		    md->topics[0].partitions[i].id)->offset = offset;
	rd_kafka_metadata_destroy(md);
	e = rd_kafka_assign(rk, l);
	rd_kafka_topic_partition_list_destroy(l);
	if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
		snprintf(err, errlen, "topic %s: %s", topic,
		    rd_kafka_err2str(e));
		return -1;
	}
	return n;
}

int
bf_bootstrap_write(const char *path, const char *servers)
{
	char tmp[4096];
	FILE *f;

	/* Write then rename: readers never see a half-written file. */
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((f = fopen(tmp, "w")) == NULL)
		return -1;
	fprintf(f, "%s\n", servers);
	if (fclose(f) != 0 || rename(tmp, path) != 0)
		return -1;
	return 0;
}

int
bf_bootstrap_read(const char *path, char *out, size_t n)
{
	FILE *f = fopen(path, "r");

	if (f == NULL || fgets(out, (int)n, f) == NULL) {
		if (f != NULL)
			fclose(f);
		return -1;
	}
	fclose(f);
	out[strcspn(out, "\r\n")] = '\0';
	return out[0] != '\0' ? 0 : -1;
}
