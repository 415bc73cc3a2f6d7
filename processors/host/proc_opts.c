/* SPDX-License-Identifier: Apache-2.0 */
/*
 * proc_opts.c: bmpflow-processor's option table and its settings.
 */
#include "proc_opts.h"

#include <stdio.h>
#include <string.h>

#include "core/opttab.h"
#include "core/kafka_io.h"
#include "core/record_format.h"
#include "pipeline.h"
#include "sessions.h"

#define TEXT(x)		#x
#define NUMBER_TEXT(x)	TEXT(x)

/* A --set value: KEY=VALUE. */
static int
setting_check(const char *v)
{
	const char *eq = strchr(v, '=');

	return eq == NULL || eq == v || eq - v >= 256 ? -1 : 0;
}

static const char *const proc_ns[] = { "kafka.", "plugin.", NULL };

static const struct bf_optdef proc_opts_table[] = {
	{ "plugin", 0, BF_OT_STR, NULL, 0, 511, NULL, 0, "NAME|PATH.so",
	  "plugin: a name from " BMPFLOW_PLUGIN_DIR ", or a path", NULL,
	  NULL, NULL },
	{ "config", 0, BF_OT_PATH, NULL, 0, 0, NULL, BF_OF_CLI, "FILE",
	  "'key = value' lines: the keys below without '--', and "
	  "'plugin.KEY = VALUE' settings for the plugin; flags replace the "
	  "file's", NULL, NULL, NULL },
	{ "brokers", 'b', BF_OT_HOSTS, NULL, 0, 1023, NULL, 0, "LIST",
	  "Kafka bootstrap servers", NULL, NULL, NULL },
	{ "kafka-bootstrap-file", 'B', BF_OT_PATH, NULL, 0, 1023, NULL, 0,
	  "FILE", "read them from FILE (as the collector writes it)", NULL,
	  NULL, NULL },
	{ "group", 0, BF_OT_STR, NULL, 0, 255, NULL, 0, "ID",
	  "consumer group [bmpflow-<plugin>]", NULL, NULL, NULL },
	{ "topic-prefix", 0, BF_OT_STR, "bmp.", 0, 63, NULL, 0, "P",
	  "topics read and written", NULL, NULL, NULL },
	{ "output-topic", 0, BF_OT_STR, NULL, 0, 127, NULL, 0, "T",
	  "where the plugin's records go [<topic-prefix><output schema>]",
	  NULL, NULL, NULL },
	{ "create-topics", 0, BF_OT_BOOL, "true", 0, 0, NULL, 0, "BOOL",
	  "create the output topic at start when it is missing", NULL, NULL,
	  NULL },
	{ "output-partitions", 0, BF_OT_INT, "0", 0, 100000, NULL, 0, "N",
	  "partitions of the output topic when created; 0: as many as "
	  "<topic-prefix>route (outputs are keyed by prefix too)", NULL, NULL,
	  NULL },
	{ "output-replication-factor", 0, BF_OT_INT, "-1", -1, 32767, NULL, 0,
	  "N", "replicas of the output topic when created; -1: the broker's "
	  "default.replication.factor", NULL, NULL, NULL },
	{ "output-format", 0, BF_OT_ENUM, "avro", 0, 0, bf_format_names, 0,
	  "FORMAT", "the output topic's records: avro (single-object), "
	  "avro-confluent (Schema Registry ids) or json; inputs are read in "
	  "any of them", NULL, NULL, NULL },
	BF_REGISTRY_OPTDEFS
	{ "tick-ms", 0, BF_OT_MS, "1000", 10, 3600000, NULL, 0, "MS",
	  "plugin tick interval", NULL, NULL, NULL },
	{ "peer-up-wait-ms", 0, BF_OT_MS, NUMBER_TEXT(BF_PEER_UP_WAIT_MS), 0,
	  3600000, NULL, 0, "MS", "hold a session's records this long for "
	  "its Peer Up, read apart on bmp.peer", NULL, NULL, NULL },
	{ "schema-dir", 's', BF_OT_PATH, BMPFLOW_SCHEMA_DIR, 0, 511, NULL, 0,
	  "DIR", "Avro schemas", NULL, NULL, NULL },
	{ "metrics", 0, BF_OT_LISTEN, "", 0, 127, NULL, 0, "ADDR:PORT",
	  "Prometheus /metrics endpoint [off]", NULL, NULL, NULL },
	{ "set", 0, BF_OT_STR, NULL, 0, 0, NULL, BF_OF_REPEAT, "KEY=VALUE",
	  "a plugin setting, repeatable (plugin.KEY = VALUE in the file)",
	  NULL, setting_check, "KEY=VALUE" },
	{ "print-config", 0, BF_OT_SWITCH, NULL, 0, 0, NULL, BF_OF_CLI, NULL,
	  "print the resulting settings (secrets as ***) and exit", NULL,
	  NULL, NULL },
};

static const struct bf_opttab proc_opttab = {
	.prog = "bmpflow-processor",
	.synopsis = "--plugin NAME|PATH.so [options]",
	.about =
"Runs a bmpflow plugin on bmp.route (consumer group) and bmp.peer (all\n"
"partitions) and publishes what it emits to <topic-prefix><output schema>.\n"
"--key=value works too.  Defaults in brackets.\n",
	.footer =
"      --kafka.PROPERTY VALUE       a librdkafka property for every client\n"
"      --plugin.KEY VALUE           a plugin setting, as --set KEY=VALUE\n"
"\n"
"A bmp.route partition this instance newly holds (at start, or after a\n"
"rebalance) is read from its start to rebuild the plugin's state; outputs\n"
"are published again only past the group's committed offset.\n"
"The plugin setting 'views' is the host's: which views of each BGP\n"
"session reach the plugin.  'all', or views in order of preference, of\n"
"adj-in-pre, adj-in-post, adj-out-pre, adj-out-post, loc-rib: per session,\n"
"the first listed view it sends; a router's Loc-RIB for what it sends\n"
"no Adj-RIB-In of [" BF_VIEWS_DEFAULT "].\n"
"SIGTERM/SIGINT: stop after the outputs are acknowledged and offsets\n"
"committed.  SIGHUP: the plugin re-reads its input files.\n",
	BF_OPTTAB_DEFS(proc_opts_table),
	.namespaces = proc_ns,
	.version = "bmpflow-processor " BMPFLOW_VERSION " (plugin ABI "
	    NUMBER_TEXT(BMPFLOW_PLUGIN_ABI) ")",
	.man_section = 8,
};

/* (key, value) into pairs[i] of max.  0, or -1 said on stderr. */
static int
put_pair(char (*pairs)[2][256], size_t i, size_t max, const char *key,
    const char *value)
{
	if (i == max || strlen(key) >= 256 || strlen(value) >= 256) {
		fprintf(stderr, "bmpflow-processor: plugin setting %s: more "
		    "than %zu settings, or longer than 255\n", key, max);
		return -1;
	}
	snprintf(pairs[i][0], 256, "%s", key);
	snprintf(pairs[i][1], 256, "%s", value);
	return 0;
}

/* A plugin setting; a repeated key replaces the earlier value. */
static int
plugin_setting(struct proc_opts *o, const char *key, const char *value)
{
	size_t i;

	for (i = 0; i < o->n_set; i++)
		if (strcmp(o->setbuf[i][0], key) == 0)
			break;
	if (put_pair(o->setbuf, i, PROC_MAX_SETTINGS, key, value) < 0)
		return -1;
	o->settings[i].key = o->setbuf[i][0];
	o->settings[i].value = o->setbuf[i][1];
	if (i == o->n_set)
		o->n_set++;
	return 0;
}

/* The host's own plugin setting, views, taken out of the plugin's. */
static void
take_views(struct proc_opts *o)
{
	snprintf(o->views, sizeof(o->views), "%s", BF_VIEWS_DEFAULT);
	for (size_t i = 0; i < o->n_set; i++) {
		if (strcmp(o->settings[i].key, "views") != 0)
			continue;
		snprintf(o->views, sizeof(o->views), "%s",
		    o->settings[i].value);
		o->n_set--;
		memmove(&o->settings[i], &o->settings[i + 1],
		    (o->n_set - i) * sizeof(o->settings[0]));
		break;
	}
}

/* plugin.KEY settings, then --set KEY=VALUE ones: the latter win. */
static int
plugin_settings(struct proc_opts *o, const struct bf_opts *opts)
{
	const char *k, *v;
	char buf[512];

	for (size_t i = 0; bf_opts_ns(opts, "plugin.", i, &k, &v) == 0; i++)
		if (plugin_setting(o, k, v) < 0)
			return -1;
	for (size_t i = 0; i < bf_opts_count(opts, "set"); i++) {
		char *eq;

		snprintf(buf, sizeof(buf), "%s", bf_opts_nth(opts, "set", i,
		    NULL, 0));
		eq = strchr(buf, '=');
		*eq = '\0';
		if (plugin_setting(o, buf, eq + 1) < 0)
			return -1;
	}
	take_views(o);
	return 0;
}

/* The checked options → o.  0, or -1 said on stderr. */
static int
settings(struct proc_opts *o, const struct bf_opts *opts)
{
	char why[256];

	bf_opts_copy(opts, "plugin", o->plugin, sizeof(o->plugin));
	if (bf_kafka_brokers_from_opts(opts, o->brokers,
	    sizeof(o->brokers)) < 0)
		return -1;
	bf_opts_copy(opts, "group", o->group, sizeof(o->group));
	bf_opts_copy(opts, "topic-prefix", o->prefix, sizeof(o->prefix));
	bf_opts_copy(opts, "output-topic", o->out_topic, sizeof(o->out_topic));
	bf_opts_copy(opts, "schema-dir", o->schema_dir, sizeof(o->schema_dir));
	bf_opts_copy(opts, "metrics", o->metrics, sizeof(o->metrics));
	o->create_topics = bf_opts_bool(opts, "create-topics");
	o->out_partitions = (int)bf_opts_int(opts, "output-partitions");
	o->out_replication = (int)bf_opts_int(opts,
	    "output-replication-factor");
	o->out_format = bf_format_of(bf_opts_str(opts, "output-format"));
	bf_registry_conf_from_opts(&o->registry, opts);
	if (o->out_format == BF_FORMAT_CONFLUENT && o->registry.url[0] == '\0') {
		fprintf(stderr, "bmpflow-processor: output-format avro-confluent "
		    "needs schema-registry-url\n");
		return -1;
	}
	o->tick_ms = (int)bf_opts_int(opts, "tick-ms");
	o->peer_up_wait_ms = (int)bf_opts_int(opts, "peer-up-wait-ms");
	if (bf_kafka_props_from_opts(&o->kafka, opts, why, sizeof(why)) < 0) {
		fprintf(stderr, "bmpflow-processor: %s\n", why);
		return -1;
	}
	return plugin_settings(o, opts);
}

int
proc_opts_parse(struct proc_opts *o, int argc, char **argv)
{
	struct bf_opts opts;
	int rc = bf_opts_print_config(&opts, bf_opts_start(&opts, &proc_opttab,
	    argc, argv));

	memset(o, 0, sizeof(*o));
	/* --help needs the plugin alone: its settings are listed too. */
	o->help = rc == 1 && bf_opts_bool(&opts, "help");
	if (o->help)
		bf_opts_copy(&opts, "plugin", o->plugin, sizeof(o->plugin));
	if (rc == 0 && settings(o, &opts) < 0)
		rc = -1;
	bf_opts_free(&opts);
	return rc;
}
