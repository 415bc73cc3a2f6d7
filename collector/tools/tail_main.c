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
#include "core/avro_schema.h"
#include "core/json_write.h"
#include "core/kafka_io.h"
#include "core/opttab.h"

#define MAX_SCHEMAS	64

static struct bf_schema schemas[MAX_SCHEMAS];
static int n_schemas;
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
};

static const struct bf_opttab tail_opttab = {
	.prog = "bmpflow-tail",
	.synopsis = "[options]",
	.about =
"Reads a bmpflow topic and prints each record as one JSON line (Avro\n"
"single-object encoding decoded with the schemas of --schema-dir), or\n"
"with --bmp the BMP messages a raw topic holds.  --key=value works too.\n",
	.footer =
"      --kafka.PROPERTY VALUE       any librdkafka consumer property\n"
"\n"
"Without --follow it stops once every partition has been read to its end;\n"
"--max counts the records written (those of --router only).  -f is\n"
"--follow, as in tail(1) (it used to mean --from-beginning).\n",
	.defs = tail_opts,
	.n_defs = sizeof(tail_opts) / sizeof(tail_opts[0]),
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
		n_schemas++;
	}
	closedir(d);
	return n_schemas > 0 ? 0 : -1;
}

static void
free_schemas(void)
{
	for (int i = 0; i < n_schemas; i++)
		bf_schema_free(&schemas[i]);
	n_schemas = 0;
}

/* Plain JSON: unions print their value, bytes print as hex text. */
static void
json_value(FILE *f, avro_value_t *v)
{
	avro_value_t child;
	const char *name, *s;
	const void *p;
	size_t n, sz;
	int32_t i32;
	int64_t i64;
	int b, disc;
	double d;
	float fl;

	switch (avro_value_get_type(v)) {
	case AVRO_STRING:
		avro_value_get_string(v, &s, &sz);
		bf_json_escape(f, s, sz ? sz - 1 : 0);
		break;
	case AVRO_BYTES:
	case AVRO_FIXED:
		if (avro_value_get_type(v) == AVRO_BYTES)
			avro_value_get_bytes(v, &p, &sz);
		else
			avro_value_get_fixed(v, &p, &sz);
		fputc('"', f);
		for (size_t i = 0; i < sz; i++)
			fprintf(f, "%02x", ((const uint8_t *)p)[i]);
		fputc('"', f);
		break;
	case AVRO_INT32:
		avro_value_get_int(v, &i32);
		fprintf(f, "%" PRId32, i32);
		break;
	case AVRO_INT64:
		avro_value_get_long(v, &i64);
		fprintf(f, "%" PRId64, i64);
		break;
	case AVRO_FLOAT:
		avro_value_get_float(v, &fl);
		fprintf(f, "%.9g", fl);
		break;
	case AVRO_DOUBLE:
		avro_value_get_double(v, &d);
		fprintf(f, "%.17g", d);
		break;
	case AVRO_BOOLEAN:
		avro_value_get_boolean(v, &b);
		fputs(b ? "true" : "false", f);
		break;
	case AVRO_NULL:
		fputs("null", f);
		break;
	case AVRO_ENUM: {
		avro_schema_t sc = avro_value_get_schema(v);

		avro_value_get_enum(v, &disc);
		name = avro_schema_enum_get(sc, disc);
		bf_json_escape(f, name, strlen(name));
		break;
	}
	case AVRO_RECORD:
	case AVRO_MAP:
		avro_value_get_size(v, &n);
		fputc('{', f);
		for (size_t i = 0; i < n; i++) {
			avro_value_get_by_index(v, i, &child, &name);
			if (i)
				fputc(',', f);
			bf_json_escape(f, name, strlen(name));
			fputc(':', f);
			json_value(f, &child);
		}
		fputc('}', f);
		break;
	case AVRO_ARRAY:
		avro_value_get_size(v, &n);
		fputc('[', f);
		for (size_t i = 0; i < n; i++) {
			avro_value_get_by_index(v, i, &child, NULL);
			if (i)
				fputc(',', f);
			json_value(f, &child);
		}
		fputc(']', f);
		break;
	case AVRO_UNION:
		avro_value_get_current_branch(v, &child);
		json_value(f, &child);
		break;
	default:
		fputs("null", f);
		break;
	}
}

/*
 * Decode one message into *v (a new value of *sp's schema, which the
 * caller decrefs).  Returns 0, or -1 when it is not a known record (said
 * on stderr).
 */
static int
decode_message(const rd_kafka_message_t *m, struct bf_schema **sp,
    avro_value_t *v)
{
	const uint8_t *p = m->payload;
	uint64_t fp;
	struct bf_schema *s = NULL;
	avro_reader_t r;
	int rc = 0;

	if (bf_single_object_fingerprint(p, m->len, &fp) < 0) {
		fprintf(stderr, "bmpflow-tail: %s [%" PRId32 "] offset %" PRId64
		    ": not an Avro single-object record\n",
		    rd_kafka_topic_name(m->rkt), m->partition, m->offset);
		return -1;
	}
	for (int i = 0; i < n_schemas; i++)
		if (schemas[i].fingerprint == fp)
			s = &schemas[i];
	if (s == NULL) {
		fprintf(stderr, "bmpflow-tail: %s [%" PRId32 "] offset %" PRId64
		    ": unknown schema fingerprint %016" PRIx64 "\n",
		    rd_kafka_topic_name(m->rkt), m->partition, m->offset, fp);
		return -1;
	}
	if (avro_generic_value_new(s->iface, v) != 0)
		return -1;
	r = avro_reader_memory((const char *)p + BF_SINGLE_OBJECT_HDR,
	    (int64_t)(m->len - BF_SINGLE_OBJECT_HDR));
	if (avro_value_read(r, v) != 0) {
		fprintf(stderr, "bmpflow-tail: %s [%" PRId32 "] offset %" PRId64
		    ": bad %s record: %s\n", rd_kafka_topic_name(m->rkt),
		    m->partition, m->offset, s->name, avro_strerror());
		avro_value_decref(v);
		rc = -1;
	}
	avro_reader_free(r);
	*sp = s;
	return rc;
}

/* 1 when record v names router (NULL: any) in its router_address. */
static int
router_matches(avro_value_t *v, const char *router)
{
	avro_value_t f;
	const char *s;
	size_t n;

	if (router == NULL)
		return 1;
	if (avro_value_get_by_name(v, "router_address", &f, NULL) != 0 ||
	    avro_value_get_type(&f) != AVRO_STRING ||
	    avro_value_get_string(&f, &s, &n) != 0)
		return 0;
	return strcmp(s, router) == 0;
}

static void
print_json(const rd_kafka_message_t *m, const struct bf_schema *s,
    avro_value_t *v, bool meta)
{
	if (meta) {
		printf("{\"topic\":");
		bf_json_escape(stdout, rd_kafka_topic_name(m->rkt),
		    strlen(rd_kafka_topic_name(m->rkt)));
		printf(",\"partition\":%" PRId32 ",\"offset\":%" PRId64
		    ",\"key\":", m->partition, m->offset);
		bf_json_escape(stdout, m->key ? m->key : "", m->key_len);
		printf(",\"schema\":\"%s\",\"value\":", s->name);
	}
	json_value(stdout, v);
	fputs(meta ? "}\n" : "\n", stdout);
}

/*
 * Write the BMP message a raw record carries to stdout.  Returns its
 * length, or -1 (not a raw record, said on stderr; or a write error).
 */
static long long
write_bmp(const rd_kafka_message_t *m, const struct bf_schema *s,
    avro_value_t *v)
{
	avro_value_t f;
	const void *p;
	size_t n;

	if (strcmp(s->name, "raw") != 0 ||
	    avro_value_get_by_name(v, "message", &f, NULL) != 0 ||
	    avro_value_get_bytes(&f, &p, &n) != 0) {
		fprintf(stderr, "bmpflow-tail: %s [%" PRId32 "] offset %" PRId64
		    ": a %s record, not a raw one: no BMP message in it\n",
		    rd_kafka_topic_name(m->rkt), m->partition, m->offset,
		    s->name);
		return -1;
	}
	if (fwrite(p, 1, n, stdout) != n)
		return -1;
	return (long long)n;
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
	struct bf_schema *s;
	avro_value_t v;
	long long n;

	if (decode_message(m, &s, &v) < 0) {
		o->bad++;
		return;
	}
	if (router_matches(&v, o->router)) {
		if (!o->bmp) {
			print_json(m, s, &v, o->meta);
			o->records++;
		} else if ((n = write_bmp(m, s, &v)) >= 0) {
			o->bytes += n;
			o->records++;
		} else if (ferror(stdout)) {
			o->write_failed = true;
		} else {
			o->bad++;
		}
	}
	avro_value_decref(&v);
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
	snprintf(ts->brokers, sizeof(ts->brokers), "%s",
	    bf_opts_str(&o, "brokers"));
	name = bf_opts_str(&o, "kafka-bootstrap-file");
	if (ts->brokers[0] == '\0' && name[0] != '\0' &&
	    bf_bootstrap_read(name, ts->brokers, sizeof(ts->brokers))) {
		fprintf(stderr, "bmpflow-tail: %s: no bootstrap address in it "
		    "(is the collector running?)\n", name);
		bf_opts_free(&o);
		return -1;
	}
	ts->follow = bf_opts_bool(&o, "follow");
	ts->from_beginning = bf_opts_bool(&o, "from-beginning");
	ts->max = bf_opts_given(&o, "max") ? bf_opts_int(&o, "max") : -1;
	ts->meta = bf_opts_bool(&o, "meta");
	ts->bmp = bf_opts_bool(&o, "bmp");
	snprintf(ts->schema_dir, sizeof(ts->schema_dir), "%s",
	    bf_opts_str(&o, "schema-dir"));
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
	snprintf(why, sizeof(why), "bmpflow-tail-%d", (int)getpid());
	conf = rd_kafka_conf_new();
	rd_kafka_conf_set(conf, "group.id", why, NULL, 0);
	rd_kafka_conf_set(conf, "enable.auto.commit", "false", NULL, 0);
	rd_kafka_conf_set(conf, "enable.partition.eof", "true", NULL, 0);
	rk = bf_kafka_new(RD_KAFKA_CONSUMER, conf, brokers, &ts.kafka, why,
	    sizeof(why));
	if (rk == NULL) {
		fprintf(stderr, "bmpflow-tail: %s\n", why);
		free_schemas();
		return 1;
	}
	n_parts = bf_kafka_assign_all(rk, topic, ts.from_beginning ?
	    RD_KAFKA_OFFSET_BEGINNING : RD_KAFKA_OFFSET_END, why, sizeof(why));
	if (n_parts < 0) {
		fprintf(stderr, "bmpflow-tail: %s at %s\n", why, brokers);
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
