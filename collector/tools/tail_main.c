/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bmpflow-tail: print the records of a bmpflow topic as JSON lines, or
 * (--bmp) write the BMP messages of a raw topic as they came from the
 * routers.
 */
#include <dirent.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "core/addr.h"
#include "common/config.h"
#include "core/avro_scan.h"
#include "core/avro_json.h"
#include "core/avro_schema.h"
#include "core/json_write.h"
#include "core/kafka_admin.h"
#include "core/kafka_io.h"
#include "core/opttab.h"
#include "core/record_format.h"

#define MAX_SCHEMAS	64

static struct bf_schema schemas[MAX_SCHEMAS];
static struct bf_scan_node *scans[MAX_SCHEMAS];	/* schemas[]' readers */
static int n_schemas;
/* Records of every format, read with schemas[]. */
static const struct bf_schema *schema_ptrs[MAX_SCHEMAS];
static struct bf_record_reader reader = { .schemas = schema_ptrs,
    .scans = (const struct bf_scan_node *const *)scans };
static volatile sig_atomic_t stop;

static int
addr_check(const char *v)
{
	struct bf_addr a;

	return bf_addr_parse(v, &a);
}

static const char *const kafka_ns[] = { "kafka.", NULL };

static const struct bf_optdef tail_opts[] = {
	{ "topic", 't', BF_OT_STR, "bmp.route", 0, 200, NULL, 0, "NAME",
	  "topic; 'route' means bmp.route", NULL, NULL, NULL },
	{ "brokers", 'b', BF_OT_HOSTS, NULL, 0, 1023, NULL, 0, "LIST",
	  "Kafka bootstrap servers", NULL, NULL, NULL },
	{ "kafka-bootstrap-file", 'B', BF_OT_PATH, NULL, 0, 1023, NULL, 0,
	  "FILE", "read the bootstrap servers from FILE (as written by "
	  "bmpflow-collector)", NULL, NULL, NULL },
	{ "follow", 'f', BF_OT_SWITCH, NULL, 0, 0, NULL, 0, NULL,
	  "keep waiting for records, as tail -f does [stop at the end]",
	  NULL, NULL, NULL },
	{ "from-beginning", 0, BF_OT_SWITCH, NULL, 0, 0, NULL, 0, NULL,
	  "start at the oldest record [newest]", NULL, NULL, NULL },
	{ "max", 'n', BF_OT_INT, NULL, 0, 1LL << 62, NULL, 0, "N",
	  "stop after N records", NULL, NULL, NULL },
	{ "meta", 'm', BF_OT_SWITCH, NULL, 0, 0, NULL, 0, NULL,
	  "wrap each record with topic, partition, offset, key and schema",
	  NULL, NULL, NULL },
	{ "router", 'r', BF_OT_STR, NULL, 0, 0, NULL, 0, "ADDR",
	  "only the records whose router_address is ADDR (the router's "
	  "session address)", NULL, addr_check,
	  "an IPv4 or IPv6 address" },
	{ "bmp", 0, BF_OT_SWITCH, NULL, 0, 0, NULL, 0, NULL,
	  "raw topic only: write each record's BMP message itself, binary, "
	  "to stdout (not a terminal), in offset order per partition; with "
	  "--router that is the router's byte stream, for bmpflow-decode or "
	  "a replay", NULL, NULL, NULL },
	{ "schema-dir", 's', BF_OT_PATH, BMPFLOW_SCHEMA_DIR, 0, 0, NULL, 0,
	  "DIR", "schemas", NULL, NULL, NULL },
	BF_REGISTRY_OPTDEFS
};

static const struct bf_opttab tail_opttab = {
	.prog = "bmpflow-tail",
	.synopsis = "[options]",
	.about =
"Reads a bmpflow topic and prints each record as one JSON line, or with\n"
"--bmp the BMP messages a raw topic holds.  Records may be in any of the\n"
"formats avro (single-object), avro-confluent (schema ids looked up in\n"
"--schema-registry-url) and json, read with the schemas of --schema-dir.\n"
"--key=value works too.\n",
	.footer =
"      --kafka.PROPERTY VALUE       any librdkafka consumer property\n"
"\n"
"Without --follow it stops once every partition has been read to its end;\n"
"--max counts the records written (those of --router only).  -f is\n"
"--follow, as in tail(1) (it used to mean --from-beginning).  SIGINT,\n"
"SIGTERM and SIGHUP (a closed terminal) stop it cleanly: what was read is\n"
"written out and the consumer closed.\n",
	BF_OPTTAB_DEFS(tail_opts),
	.namespaces = kafka_ns,
	.version = "bmpflow-tail " BMPFLOW_VERSION,
};

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int
load_schemas(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char err[512];

	if (d == NULL) {
		perror(dir);
		return -1;
	}
	while ((e = readdir(d)) != NULL && n_schemas < MAX_SCHEMAS) {
		size_t n = strlen(e->d_name);
		char name[BF_SCHEMA_NAME_MAX];

		if (n < 6 || strcmp(e->d_name + n - 5, ".avsc") != 0 ||
		    n - 5 >= sizeof(name))
			continue;
		memcpy(name, e->d_name, n - 5);
		name[n - 5] = '\0';
		if (bf_schema_load(&schemas[n_schemas], dir, name, err,
		    sizeof(err)) < 0) {
			fprintf(stderr, "bmpflow-tail: %s\n", err);
			continue;
		}
		if ((scans[n_schemas] = bf_scan_compile(
		    schemas[n_schemas].schema)) == NULL) {
			fprintf(stderr, "bmpflow-tail: %s: schema too deep, or "
			    "out of memory\n", name);
			bf_schema_free(&schemas[n_schemas]);
			continue;
		}
		schema_ptrs[n_schemas] = &schemas[n_schemas];
		reader.n = (size_t)++n_schemas;
	}
	closedir(d);
	return n_schemas > 0 ? 0 : -1;
}

static void
free_schemas(void)
{
	for (int i = 0; i < n_schemas; i++) {
		bf_scan_free(scans[i]);
		bf_schema_free(&schemas[i]);
	}
	n_schemas = 0;
	bf_record_reader_free(&reader);
	bf_registry_free(reader.registry);
}

/* A field's name in record node n. */
static const char *
field_name(const struct bf_scan_node *n, size_t i)
{
	return avro_schema_record_field_name(n->schema, (int)i);
}

/* A record read from a message: its schema, reader and body. */
struct record {
	const struct bf_schema		*schema;
	const struct bf_scan_node	*scan;
	struct bf_cur			 body;
};

/*
 * The record m carries, checked whole against its schema (every byte
 * read, none left over).  0, or -1 when it is not a known, well-formed
 * record (said on stderr).
 */
static int
decode_message(const rd_kafka_message_t *m, struct record *r)
{
	const uint8_t *p = m->payload;
	struct bf_cur walk;
	char err[1024];
	int k;

	k = bf_record_read(&reader, p, m->len, bf_record_topic_schema(&reader,
	    rd_kafka_topic_name(m->rkt)), &r->body, err, sizeof(err));
	if (k < 0) {
		fprintf(stderr, "bmpflow-tail: %s [%" PRId32 "] offset %" PRId64
		    ": %s\n", rd_kafka_topic_name(m->rkt), m->partition,
		    m->offset, err);
		return -1;
	}
	r->schema = &schemas[k];
	r->scan = scans[k];
	walk = r->body;
	if (bf_scan_skip(r->scan, &walk) < 0 || cur_len(&walk) != 0) {
		fprintf(stderr, "bmpflow-tail: %s [%" PRId32 "] offset %" PRId64
		    ": bad %s record: %s at body byte %zu\n",
		    rd_kafka_topic_name(m->rkt), m->partition, m->offset,
		    r->schema->name, cur_len(&walk) ? "bytes left over" :
		    "cut short or malformed", cur_offset(&r->body, &walk));
		return -1;
	}
	return 0;
}

/*
 * The value of top-level field name of r (a union resolved): its node,
 * with *at on its bytes.  NULL when the record has no such field.
 */
static const struct bf_scan_node *
field_at(const struct record *r, const char *name, struct bf_cur *at)
{
	*at = r->body;
	for (size_t i = 0; i < r->scan->n; i++) {
		if (strcmp(field_name(r->scan, i), name) == 0)
			return bf_scan_branch(r->scan->child[i], at);
		if (bf_scan_skip(r->scan->child[i], at) < 0)
			return NULL;
	}
	return NULL;
}

/* 1 when record r names router (NULL: any) in its router_address. */
static int
router_matches(const struct record *r, const char *router)
{
	const struct bf_scan_node *n;
	struct bf_cur at;
	const uint8_t *p;
	size_t len;

	if (router == NULL)
		return 1;
	if ((n = field_at(r, "router_address", &at)) == NULL ||
	    n->kind != BF_SCAN_BYTES || bf_scan_bytes(&at, &p, &len) < 0)
		return 0;
	return len == strlen(router) && memcmp(p, router, len) == 0;
}

static void
print_json(const rd_kafka_message_t *m, const struct record *r, bool meta)
{
	struct bf_cur c = r->body;

	if (meta) {
		printf("{\"topic\":");
		bf_json_escape(stdout, rd_kafka_topic_name(m->rkt),
		    strlen(rd_kafka_topic_name(m->rkt)));
		printf(",\"partition\":%" PRId32 ",\"offset\":%" PRId64
		    ",\"key\":", m->partition, m->offset);
		bf_json_escape(stdout, m->key ? m->key : "", m->key_len);
		printf(",\"schema\":\"%s\",\"value\":", r->schema->name);
	}
	/* Checked whole by decode_message: it reads through. */
	(void)bf_avro_json_value(stdout, r->scan, &c);
	fputs(meta ? "}\n" : "\n", stdout);
}

/*
 * Write the BMP message a raw record carries to stdout.  Returns its
 * length, or -1 (not a raw record, said on stderr; or a write error).
 */
static long long
write_bmp(const rd_kafka_message_t *m, const struct record *r)
{
	const struct bf_scan_node *n = NULL;
	struct bf_cur at;
	const uint8_t *p;
	size_t len;

	if (strcmp(r->schema->name, "raw") != 0 ||
	    (n = field_at(r, "message", &at)) == NULL ||
	    n->kind != BF_SCAN_BYTES || bf_scan_bytes(&at, &p, &len) < 0) {
		fprintf(stderr, "bmpflow-tail: %s [%" PRId32 "] offset %" PRId64
		    ": a %s record, not a raw one: no BMP message in it\n",
		    rd_kafka_topic_name(m->rkt), m->partition, m->offset,
		    r->schema->name);
		return -1;
	}
	if (fwrite(p, 1, len, stdout) != len)
		return -1;
	return (long long)len;
}

/* What the options ask for. */
struct tail_settings {
	char		 topic[256];
	char		 brokers[1024];
	char		 router[BF_ADDR_STRLEN];	/* "" any */
	char		 schema_dir[1024];
	bool		 follow, from_beginning, meta, bmp;
	long long	 max;			/* -1: no limit */
	struct bf_kafka_props kafka;		/* --kafka.PROP VALUE */
	struct bf_registry_conf registry;	/* url "": none */
};

/* What is written, and how much. */
struct output {
	const char	*router;	/* --router, or NULL */
	bool		 bmp, meta;
	long long	 records, bytes;
	int		 bad;		/* undecodable, or not raw with --bmp */
	bool		 write_failed;
};

/* Decode one message and write it when its router is the one asked for. */
static void
handle(const rd_kafka_message_t *m, struct output *o)
{
	struct record r;
	long long n;

	if (decode_message(m, &r) < 0) {
		o->bad++;
		return;
	}
	if (router_matches(&r, o->router)) {
		if (!o->bmp) {
			print_json(m, &r, o->meta);
			o->records++;
		} else if ((n = write_bmp(m, &r)) >= 0) {
			o->bytes += n;
			o->records++;
		} else if (ferror(stdout)) {
			o->write_failed = true;
		} else {
			o->bad++;
		}
	}
}

/* A raw topic: "bmp.raw", "replay.raw" (whatever the prefix). */
static bool
is_raw_topic(const char *topic)
{
	const char *dot = strrchr(topic, '.');

	return strcmp(dot != NULL ? dot + 1 : topic, "raw") == 0;
}

/*
 * The options → the settings.  0, or -1 said on stderr (*rc: 0 after
 * --help, 2 when refused).
 */
static int
settings(int argc, char **argv, struct tail_settings *ts, int *rc)
{
	struct bf_opts o;
	const char *name;
	char why[512];
	struct bf_addr ra;

	*rc = bf_opts_start(&o, &tail_opttab, argc, argv);
	if (*rc != 0) {
		bf_opts_free(&o);
		*rc = *rc < 0 ? 2 : 0;
		return -1;
	}
	*rc = 2;
	name = bf_opts_str(&o, "topic");
	snprintf(ts->topic, sizeof(ts->topic), "%s%s",
	    strchr(name, '.') ? "" : "bmp.", name);
	if (bf_kafka_brokers_from_opts(&o, ts->brokers,
	    sizeof(ts->brokers)) < 0) {
		bf_opts_free(&o);
		return -1;
	}
	ts->follow = bf_opts_bool(&o, "follow");
	ts->from_beginning = bf_opts_bool(&o, "from-beginning");
	ts->max = bf_opts_given(&o, "max") ? bf_opts_int(&o, "max") : -1;
	ts->meta = bf_opts_bool(&o, "meta");
	ts->bmp = bf_opts_bool(&o, "bmp");
	bf_opts_copy(&o, "schema-dir", ts->schema_dir, sizeof(ts->schema_dir));
	bf_registry_conf_from_opts(&ts->registry, &o);
	/* Text as the collector writes it (2001:db8::1). */
	if (bf_opts_given(&o, "router") &&
	    bf_addr_parse(bf_opts_str(&o, "router"), &ra) == 0)
		bf_addr_fmt(&ra, ts->router, sizeof(ts->router));
	if (bf_kafka_props_from_opts(&ts->kafka, &o, why, sizeof(why)) < 0) {
		fprintf(stderr, "bmpflow-tail: %s\n", why);
		bf_opts_free(&o);
		return -1;
	}
	bf_opts_free(&o);
	return 0;
}

/* A reader that assigns partitions itself and commits nothing. */
static rd_kafka_conf_t *
reader_conf(char *err, size_t errlen)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char group[64];
	const char *const props[][2] = {
		{ "group.id", group },
		{ "enable.auto.commit", "false" },
		{ "enable.partition.eof", "true" },
	};

	snprintf(group, sizeof(group), "bmpflow-tail-%d", (int)getpid());
	if (bf_kafka_conf_set_all(conf, props, sizeof(props) /
	    sizeof(props[0]), err, errlen) < 0) {
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	return conf;
}

int
main(int argc, char **argv)
{
	static struct tail_settings ts;
	char why[512];
	struct output o = { 0 };
	rd_kafka_conf_t *conf;
	rd_kafka_t *rk;
	int n_parts = 0, n_eof = 0, rc = 2;
	bool *at_eof;
	const char *topic = ts.topic, *brokers = ts.brokers;

	if (settings(argc, argv, &ts, &rc) < 0)
		goto refused;
	if (brokers[0] == '\0') {
		fprintf(stderr, "bmpflow-tail: give --brokers or "
		    "--kafka-bootstrap-file\n");
		goto refused;
	}
	if (ts.bmp && !is_raw_topic(topic)) {
		fprintf(stderr, "bmpflow-tail: --bmp: %s holds Avro records, "
		    "not BMP messages; only a raw topic (-t raw: bmp.raw, "
		    "written by a collector with 'raw = true') does\n", topic);
		goto refused;
	}
	if (ts.bmp && ts.meta) {
		fprintf(stderr, "bmpflow-tail: --bmp writes the messages "
		    "alone: leave out --meta\n");
		goto refused;
	}
	if (ts.bmp && isatty(STDOUT_FILENO)) {
		fprintf(stderr, "bmpflow-tail: --bmp writes binary BMP; "
		    "redirect stdout to a file or a pipe\n");
		goto refused;
	}
	if (load_schemas(ts.schema_dir) < 0) {
		fprintf(stderr, "bmpflow-tail: no schemas in %s\n",
		    ts.schema_dir);
		goto refused;
	}
	if (ts.registry.url[0] != '\0' &&
	    (reader.registry = bf_registry_new(&ts.registry)) == NULL) {
		fprintf(stderr, "bmpflow-tail: out of memory\n");
		free_schemas();
		return 1;
	}
	if ((conf = reader_conf(why, sizeof(why))) == NULL) {
		fprintf(stderr, "bmpflow-tail: %s\n", why);
		free_schemas();
		return 1;
	}
	rk = bf_kafka_new(RD_KAFKA_CONSUMER, conf, brokers, &ts.kafka, why,
	    sizeof(why));
	if (rk == NULL) {
		fprintf(stderr, "bmpflow-tail: %s\n", why);
		free_schemas();
		return 1;
	}
	/* Said, not created (nor waited for) by reading it. */
	switch (bf_kafka_topic_exists(rk, topic, why, sizeof(why))) {
	case 0:
		snprintf(why, sizeof(why), "topic %s does not exist", topic);
		n_parts = -1;
		break;
	case 1:
		n_parts = bf_kafka_assign_all(rk, topic, ts.from_beginning ?
		    RD_KAFKA_OFFSET_BEGINNING : RD_KAFKA_OFFSET_END, why,
		    sizeof(why));
		break;
	default:
		n_parts = -1;
	}
	if (n_parts < 0) {
		fprintf(stderr, "bmpflow-tail: %s on %s\n", why, brokers);
		rd_kafka_destroy(rk);
		free_schemas();
		return 1;
	}
	at_eof = calloc((size_t)n_parts + 1, sizeof(*at_eof));
	if (at_eof == NULL) {
		rd_kafka_destroy(rk);
		free_schemas();
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);

	o.router = ts.router[0] != '\0' ? ts.router : NULL;
	o.bmp = ts.bmp;
	o.meta = ts.meta;
	while (!stop && !o.write_failed && (ts.max < 0 ||
	    o.records < ts.max)) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);

		if (m == NULL)
			continue;
		if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
			/* Stop once every partition has been read to its end. */
			if (m->partition >= 0 && m->partition < n_parts &&
			    !at_eof[m->partition]) {
				at_eof[m->partition] = true;
				n_eof++;
			}
			if (!ts.follow && n_eof >= n_parts)
				stop = 1;
		} else if (m->err) {
			fprintf(stderr, "bmpflow-tail: %s\n",
			    rd_kafka_message_errstr(m));
		} else {
			handle(m, &o);
			if (m->partition >= 0 && m->partition < n_parts &&
			    at_eof[m->partition]) {
				at_eof[m->partition] = false;
				n_eof--;
			}
		}
		rd_kafka_message_destroy(m);
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("bmpflow-tail: stdout");
		o.write_failed = true;
	}
	if (ts.bmp)
		fprintf(stderr, "bmpflow-tail: %lld BMP messages, %lld "
		    "bytes%s%s\n", o.records, o.bytes,
		    o.router ? " of router " : "", o.router ? o.router : "");
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	free_schemas();
	free(at_eof);
	return o.bad || o.write_failed ? 1 : 0;

refused:	/* an option refused, or --help: nothing else made yet */
	return rc;
}
