/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config.c: the collector's option table and its settings struct.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


int
bf_allow_parse(const char *s, struct bf_prefix *out, const char **why)
{
	if (strchr(s, '/') != NULL)
		return bf_prefix_parse(s, out, why);
	if (bf_addr_parse(s, &out->addr) < 0) {
		*why = "not an IPv4 or IPv6 address";
		return -1;
	}
	out->len = out->addr.family == BF_AF_INET ? 32 : 128;
	return 0;
}

/* An --allow value. */
static int
allow_check(const char *v)
{
	struct bf_prefix p;
	const char *why;

	return bf_allow_parse(v, &p, &why);
}

static const char *const log_levels[] = { "error", "warn", "info", "debug",
    NULL };
static const char *const cleanup_policies[] = { "delete", "compact", NULL };

/*
 * The collector's topics, one row each: suffix (after topic-prefix),
 * default partitions, retention.ms (-1: forever) and cleanup.policy, the
 * topic it must be partitioned like (or NULL) and the boolean option
 * without which it is not made (or NULL).  Sizes: README "Topics".
 */
#define COLLECTOR_TOPICS(X) \
	X("router", "1", "-1", "compact", NULL, NULL, OWN) \
	X("peer", "1", "-1", "compact", NULL, NULL, OWN) \
	X("route", "24", "604800000", "delete", NULL, NULL, OWN) \
	X("route.state", "24", "-1", "compact", "route", "route-state", \
	    ROUTES) \
	X("stats", "6", "604800000", "delete", NULL, NULL, OWN) \
	X("raw", "12", "86400000", "delete", NULL, "raw", OWN)

/*
 * A topic's format key: its own (OWN), or none where the topic carries
 * bmp.route's records as they are (ROUTES: the state topic).
 */
#define FORMAT_OPT_OWN(sfx) \
	{ "topic." sfx ".format", 0, BF_OT_ENUM, NULL, 0, 0, \
	  bf_format_names, 0, "FORMAT", "format of " sfx "'s records " \
	  "[format]", NULL, NULL, NULL },
#define FORMAT_OPT_ROUTES(sfx)

/* A topic's five keys: topic.SUFFIX.partitions and so on. */
#define TOPIC_OPTS(sfx, parts, retention, policy, like, enabled_by, fmt) \
	{ "topic." sfx ".partitions", 0, BF_OT_INT, parts, 1, 100000, NULL, \
	  0, "N", "partitions of topic " sfx " when created (never " \
	  "changed)", \
	  NULL, NULL, NULL }, \
	{ "topic." sfx ".replication-factor", 0, BF_OT_INT, "-1", -1, 32767, \
	  NULL, 0, "N", "replicas of " sfx " when created; -1: the " \
	  "broker's default.replication.factor", NULL, NULL, NULL }, \
	{ "topic." sfx ".retention-ms", 0, BF_OT_INT, retention, -1, \
	  INT64_MAX, NULL, 0, "MS", "retention.ms of " sfx "; -1: forever", \
	  NULL, NULL, NULL }, \
	{ "topic." sfx ".cleanup-policy", 0, BF_OT_ENUM, policy, 0, 0, \
	  cleanup_policies, 0, "POLICY", "cleanup.policy of " sfx ": " \
	  "delete or compact", NULL, NULL, NULL }, \
	{ "topic." sfx ".min-insync-replicas", 0, BF_OT_INT, "0", 0, 32767, \
	  NULL, 0, "N", "min.insync.replicas of " sfx "; 0: the broker's", \
	  NULL, NULL, NULL }, \
	FORMAT_OPT_##fmt(sfx)

#define TOPIC_ROW(sfx, parts, retention, policy, like, enabled_by, fmt) \
	{ sfx, like, enabled_by },

static const struct {
	const char	*suffix;
	const char	*partitioned_like;
	const char	*enabled_by;
} collector_topics[] = { COLLECTOR_TOPICS(TOPIC_ROW) };
_Static_assert(sizeof(collector_topics) / sizeof(collector_topics[0]) <=
    BF_MAX_TOPICS, "bf_config.topics holds every row of COLLECTOR_TOPICS");
static const char *const kafka_ns[] = { "kafka.", NULL };

static const struct bf_optdef collector_opts[] = {
	{ "config", 0, BF_OT_PATH, NULL, 0, BF_PATH_MAX - 1, NULL, BF_OF_CLI,
	  "FILE", "read settings from FILE (key = value lines)", NULL, NULL,
	  NULL },
	{ "listen", 0, BF_OT_LISTEN, "0.0.0.0:5000 [::]:5000", 0,
	  BF_CONF_STR - 1, NULL, BF_OF_REPEAT, "ADDR:PORT",
	  "BMP listener, repeatable", NULL, NULL, NULL },
	{ "brokers", 'b', BF_OT_HOSTS, NULL, 0, BF_PATH_MAX - 1, NULL, 0,
	  "LIST", "Kafka bootstrap servers [embedded Kafka]", NULL, NULL,
	  NULL },
	{ "kafka-brokers", 0, BF_OT_HOSTS, NULL, 0, 0, NULL, 0, "LIST", NULL,
	  "brokers", NULL, NULL },
	{ "kafka.brokers", 0, BF_OT_HOSTS, NULL, 0, 0, NULL, 0, "LIST", NULL,
	  "brokers", NULL, NULL },
	{ "kafka-bootstrap-file", 'B', BF_OT_PATH, NULL, 0, BF_PATH_MAX - 1,
	  NULL, 0, "FILE", "write the Kafka bootstrap address to FILE", NULL,
	  NULL, NULL },
	{ "topic-prefix", 0, BF_OT_STR, "bmp.", 0, 63, NULL, 0, "P",
	  "topic name prefix", NULL, NULL, NULL },
	{ "allow", 0, BF_OT_STR, NULL, 0, 0, NULL, BF_OF_REPEAT, "PREFIX",
	  "accept routers from PREFIX only, repeatable [any]", NULL,
	  allow_check, "an address or prefix (e.g. 192.0.2.0/24)" },
	{ "max-sessions", 0, BF_OT_INT, "2000", 1, 1000000, NULL, 0, "N",
	  "concurrent router sessions", NULL, NULL, NULL },
	{ "max-message-size", 0, BF_OT_INT, "1048576", 4096, 1 << 30, NULL, 0,
	  "BYTES", "largest BMP message accepted", NULL, NULL, NULL },
	{ "max-peers", 0, BF_OT_INT, "4096", 1, 1 << 20, NULL, 0, "N",
	  "BGP peers per router session", NULL, NULL, NULL },
	{ "max-buffer-mbytes", 0, BF_OT_INT, "256", 1, 65536, NULL, 0, "MIB",
	  "bytes buffered by all sessions together; a session whose message "
	  "would pass it is closed", NULL, NULL, NULL },
	{ "initiation-timeout", 0, BF_OT_SEC, "30", 1, 86400, NULL, 0,
	  "SECONDS", "close a session with no complete BMP message this long "
	  "after connecting", NULL, NULL, NULL },
	{ "message-timeout", 0, BF_OT_SEC, "60", 1, 86400, NULL, 0, "SECONDS",
	  "close a session whose message in progress gets no byte this long",
	  NULL, NULL, NULL },
	{ "metrics", 0, BF_OT_LISTEN, "", 0, BF_CONF_STR - 1, NULL, 0,
	  "ADDR:PORT", "Prometheus /metrics endpoint [off]", NULL, NULL,
	  NULL },
	{ "metrics-peer-limit", 0, BF_OT_INT, "1000", 0, 1000000, NULL, 0, "N",
	  "peers, of all routers, given bmpflow_peer_routes series; the rest "
	  "are counted in bmpflow_peer_routes_peers_left_out", NULL, NULL,
	  NULL },
	{ "log-level", 0, BF_OT_ENUM, "info", 0, 0, log_levels, 0, "LEVEL",
	  "error, warn, info or debug", NULL, NULL, NULL },
	{ "raw", 0, BF_OT_BOOL, "false", 0, 0, NULL, 0, "BOOL",
	  "also publish every BMP message to bmp.raw", NULL, NULL, NULL },
	{ "route-state", 0, BF_OT_BOOL, "true", 0, 0, NULL, 0, "BOOL",
	  "keep current routes in the compacted bmp.route.state, which "
	  "processors rebuild from beyond bmp.route's retention", NULL, NULL,
	  NULL },
	{ "drain-timeout", 0, BF_OT_SEC, "30", 0, 86400, NULL, 0, "SECONDS",
	  "on SIGTERM, wait this long for Kafka", NULL, NULL, NULL },
	{ "queue-mbytes", 0, BF_OT_INT, "64", 1, 65536, NULL, 0, "MIB",
	  "stop reading routers above this much unsent", NULL, NULL, NULL },
	{ "create-topics", 0, BF_OT_BOOL, "true", 0, 0, NULL, 0, "BOOL",
	  "create missing topics at start (false: only check them)", NULL,
	  NULL, NULL },
	{ "format", 0, BF_OT_ENUM, "avro", 0, 0, bf_format_names, 0, "FORMAT",
	  "records as avro (single-object), avro-confluent (Schema Registry "
	  "ids) or json; bmp.route.state follows bmp.route", NULL, NULL, NULL },
	BF_REGISTRY_OPTDEFS
	COLLECTOR_TOPICS(TOPIC_OPTS)
	{ "embedded-brokers", 0, BF_OT_INT, "1", 1, 16, NULL, 0, "N",
	  "embedded Kafka brokers", NULL, NULL, NULL },
	{ "embedded-partitions", 0, BF_OT_INT, "8", 1, 1024, NULL, 0, "N",
	  "partitions per embedded topic", NULL, NULL, NULL },
	{ "schema-dir", 's', BF_OT_PATH, BMPFLOW_SCHEMA_DIR, 0,
	  BF_PATH_MAX - 1, NULL, 0, "DIR", "Avro schemas", NULL, NULL, NULL },
	{ "print-config", 0, BF_OT_SWITCH, NULL, 0, 0, NULL, BF_OF_CLI, NULL,
	  "print the resulting settings (secrets as ***) and exit", NULL,
	  NULL, NULL },
};

const struct bf_opttab bf_collector_opttab = {
	.prog = "bmpflow-collector",
	.synopsis = "[--config FILE] [options]",
	.about =
"Accepts BMP (RFC 7854, 8671, 9069) sessions from routers, decodes every\n"
"message and publishes one Avro record per route change, peer event,\n"
"statistics report and router event to Kafka topics (bmp.route, bmp.peer,\n"
"bmp.stats, bmp.router; bmp.raw with --raw true).  With no brokers it runs\n"
"an embedded Kafka (librdkafka's mock cluster) on loopback.\n"
"\n"
"Every setting below is also a config file key (key = value); a flag\n"
"replaces the file's value, also of a repeatable key.  --key=value works\n"
"too.  Defaults in brackets.\n",
	.footer =
"      --kafka.PROPERTY VALUE       any librdkafka property (SASL, TLS, ...);\n"
"                                   kafka.PROPERTY = VALUE in the file\n"
"\n"
"Signals: SIGTERM and SIGINT stop accepting routers and deliver what is\n"
"queued (up to drain-timeout); SIGHUP is logged and ignored (restart to\n"
"apply a changed configuration).\n",
	BF_OPTTAB_DEFS(collector_opts),
	.namespaces = kafka_ns,
	.version = "bmpflow-collector " BMPFLOW_VERSION,
	.man_section = 8,
};

static int
copy_str(char *dst, size_t n, const char *v)
{
	if (strlen(v) >= n)
		return -1;
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

/* A topic's key "topic.SUFFIX.setting" → its value. */
static long long
topic_int(const struct bf_opts *o, const char *suffix, const char *setting)
{
	char key[96];

	snprintf(key, sizeof(key), "topic.%s.%s", suffix, setting);
	return bf_opts_int(o, key);
}

/*
 * The topics of collector_topics this configuration makes.  A topic
 * partitioned like another takes that one's partitions unless given,
 * and may not be given others: its records are found by partition
 * number (retain: a prefix's state is in the partition of its changes).
 */
static int
topics_from_opts(struct bf_config *c, const struct bf_opts *o, char *err,
    size_t errlen)
{
	char key[96];

	c->n_topics = 0;
	for (size_t i = 0; i < sizeof(collector_topics) /
	    sizeof(collector_topics[0]); i++) {
		const char *sfx = collector_topics[i].suffix;
		const char *like = collector_topics[i].partitioned_like;
		struct bf_topic_conf *t = &c->topics[c->n_topics];

		if (collector_topics[i].enabled_by != NULL &&
		    !bf_opts_bool(o, collector_topics[i].enabled_by))
			continue;
		snprintf(t->suffix, sizeof(t->suffix), "%s", sfx);
		snprintf(t->name, sizeof(t->name), "%s%s", c->topic_prefix,
		    sfx);
		snprintf(t->like, sizeof(t->like), "%s%s",
		    like != NULL ? c->topic_prefix : "", like != NULL ? like :
		    "");
		t->partitions = (int32_t)topic_int(o, sfx, "partitions");
		snprintf(key, sizeof(key), "topic.%s.partitions", sfx);
		if (like != NULL && !bf_opts_given(o, key))
			t->partitions = (int32_t)topic_int(o, like,
			    "partitions");
		if (like != NULL && t->partitions != topic_int(o, like,
		    "partitions")) {
			snprintf(err, errlen, "%s = %d, but topic.%s.partitions "
			    "= %lld: %s must be partitioned like %s (a key's "
			    "records are looked up by partition number)", key,
			    (int)t->partitions, like, topic_int(o, like,
			    "partitions"), sfx, like);
			return -1;
		}
		t->replication = (int32_t)topic_int(o, sfx,
		    "replication-factor");
		t->retention_ms = topic_int(o, sfx, "retention-ms");
		t->min_insync = (int32_t)topic_int(o, sfx,
		    "min-insync-replicas");
		snprintf(key, sizeof(key), "topic.%s.cleanup-policy", sfx);
		snprintf(t->cleanup, sizeof(t->cleanup), "%s",
		    bf_opts_str(o, key));
		/* The state topic has no format key: it is bmp.route's. */
		snprintf(key, sizeof(key), "topic.%s.format", like ? like : sfx);
		t->format = bf_format_of(bf_opts_str(o, bf_opts_given(o, key) ?
		    key : "format"));
		if (t->format == BF_FORMAT_CONFLUENT &&
		    c->registry.url[0] == '\0') {
			snprintf(err, errlen, "%s's format avro-confluent needs "
			    "schema-registry-url", t->name);
			return -1;
		}
		c->n_topics++;
	}
	return 0;
}

int
bf_config_from_opts(struct bf_config *c, const struct bf_opts *o, char *err,
    size_t errlen)
{
	char buf[BF_CONF_STR];
	const char *why;
	size_t i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < bf_opts_count(o, "listen"); i++) {
		if (i == BF_MAX_LISTEN) {
			snprintf(err, errlen, "more than %d listen addresses",
			    BF_MAX_LISTEN);
			return -1;
		}
		copy_str(c->listen[i], BF_CONF_STR, bf_opts_nth(o, "listen",
		    i, buf, sizeof(buf)));
	}
	c->n_listen = (int)i;
	for (i = 0; i < bf_opts_count(o, "allow"); i++) {
		if (i == BF_MAX_ALLOW) {
			snprintf(err, errlen, "more than %d allow prefixes",
			    BF_MAX_ALLOW);
			return -1;
		}
		/* Checked when it was set (allow_check). */
		(void)bf_allow_parse(bf_opts_nth(o, "allow", i, buf,
		    sizeof(buf)), &c->allow[i], &why);
	}
	c->n_allow = (int)i;
	if (bf_kafka_props_from_opts(&c->kafka, o, err, errlen) < 0)
		return -1;
	/* Lengths were checked against the table's limits when set. */
	copy_str(c->kafka_brokers, sizeof(c->kafka_brokers),
	    bf_opts_str(o, "brokers"));
	copy_str(c->bootstrap_file, sizeof(c->bootstrap_file),
	    bf_opts_str(o, "kafka-bootstrap-file"));
	copy_str(c->topic_prefix, sizeof(c->topic_prefix),
	    bf_opts_str(o, "topic-prefix"));
	copy_str(c->metrics, sizeof(c->metrics), bf_opts_str(o, "metrics"));
	copy_str(c->schema_dir, sizeof(c->schema_dir),
	    bf_opts_str(o, "schema-dir"));
	c->max_sessions = (uint32_t)bf_opts_int(o, "max-sessions");
	c->max_message = (uint32_t)bf_opts_int(o, "max-message-size");
	c->max_peers = (uint32_t)bf_opts_int(o, "max-peers");
	c->metrics_peer_limit = (uint32_t)bf_opts_int(o, "metrics-peer-limit");
	c->max_buffer_bytes = (uint64_t)bf_opts_int(o,
	    "max-buffer-mbytes") << 20;
	c->initiation_timeout_ms = (uint64_t)bf_opts_int(o,
	    "initiation-timeout") * 1000;
	c->message_timeout_ms = (uint64_t)bf_opts_int(o, "message-timeout") *
	    1000;
	bf_log_parse_level(bf_opts_str(o, "log-level"), &c->log_level);
	c->raw = bf_opts_bool(o, "raw");
	c->route_state = bf_opts_bool(o, "route-state");
	c->drain_timeout_s = (uint32_t)bf_opts_int(o, "drain-timeout");
	c->embedded_brokers = (uint32_t)bf_opts_int(o, "embedded-brokers");
	c->embedded_partitions = (uint32_t)bf_opts_int(o,
	    "embedded-partitions");
	c->queue_bytes = (uint64_t)bf_opts_int(o, "queue-mbytes") << 20;
	c->create_topics = bf_opts_bool(o, "create-topics");
	bf_registry_conf_from_opts(&c->registry, o);
	return topics_from_opts(c, o, err, errlen);
}
