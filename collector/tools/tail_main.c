/*
 * bmpflow-tail: print the records of a bmpflow topic as JSON lines.
 */
#include <dirent.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#include "encode/avro_schema.h"
#include "produce/kafka_io.h"

#define MAX_SCHEMAS	64

static struct bf_schema schemas[MAX_SCHEMAS];
static int n_schemas;
static volatile sig_atomic_t stop;

static void
usage(FILE *f)
{
	fprintf(f,
"usage: bmpflow-tail [options]\n"
"\n"
"Reads a bmpflow topic and prints each record as one JSON line (Avro\n"
"single-object encoding decoded with the schemas of --schema-dir).\n"
"  -t, --topic NAME            topic [bmp.route]; 'route' means bmp.route\n"
"  -b, --brokers LIST          Kafka bootstrap servers\n"
"  -B, --kafka-bootstrap-file F  read the bootstrap servers from F (as\n"
"                              written by bmpflow-collector)\n"
"  -f, --from-beginning        start at the oldest record [newest]\n"
"  -F, --follow                keep waiting for records [stop at the end]\n"
"  -n, --max N                 stop after N records\n"
"  -m, --meta                  wrap each record with topic, partition,\n"
"                              offset, key and schema\n"
"  -s, --schema-dir DIR        schemas [%s]\n"
"  -X PROPERTY=VALUE           any librdkafka consumer property\n"
"  -h, --help, -V, --version\n", BMPFLOW_SCHEMA_DIR);
}

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
json_str(FILE *f, const char *s, size_t n)
{
	fputc('"', f);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
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
		json_str(f, s, sz ? sz - 1 : 0);
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
		json_str(f, name, strlen(name));
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
			json_str(f, name, strlen(name));
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

/* Print one message; returns 0, or -1 when it is not a known record. */
static int
print_message(const rd_kafka_message_t *m, bool meta)
{
	const uint8_t *p = m->payload;
	uint64_t fp;
	struct bf_schema *s = NULL;
	avro_reader_t r;
	avro_value_t v;
	int rc = -1;

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
	if (avro_generic_value_new(s->iface, &v) != 0)
		return -1;
	r = avro_reader_memory((const char *)p + BF_SINGLE_OBJECT_HDR,
	    (int64_t)(m->len - BF_SINGLE_OBJECT_HDR));
	if (avro_value_read(r, &v) != 0) {
		fprintf(stderr, "bmpflow-tail: %s [%" PRId32 "] offset %" PRId64
		    ": bad %s record: %s\n", rd_kafka_topic_name(m->rkt),
		    m->partition, m->offset, s->name, avro_strerror());
	} else {
		if (meta) {
			printf("{\"topic\":");
			json_str(stdout, rd_kafka_topic_name(m->rkt),
			    strlen(rd_kafka_topic_name(m->rkt)));
			printf(",\"partition\":%" PRId32 ",\"offset\":%" PRId64
			    ",\"key\":", m->partition, m->offset);
			json_str(stdout, m->key ? m->key : "", m->key_len);
			printf(",\"schema\":\"%s\",\"value\":", s->name);
		}
		json_value(stdout, &v);
		fputs(meta ? "}\n" : "\n", stdout);
		rc = 0;
	}
	avro_reader_free(r);
	avro_value_decref(&v);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "topic", required_argument, NULL, 't' },
		{ "brokers", required_argument, NULL, 'b' },
		{ "kafka-bootstrap-file", required_argument, NULL, 'B' },
		{ "from-beginning", no_argument, NULL, 'f' },
		{ "follow", no_argument, NULL, 'F' },
		{ "max", required_argument, NULL, 'n' },
		{ "meta", no_argument, NULL, 'm' },
		{ "schema-dir", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *schema_dir = BMPFLOW_SCHEMA_DIR;
	char topic[256] = "bmp.route", brokers[1024] = "", why[512];
	bool from_beginning = false, follow = false, meta = false;
	long long max = -1, printed = 0;
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_t *rk;
	int c, n_parts = 0, n_eof = 0, bad = 0;
	bool *at_eof;

	while ((c = getopt_long(argc, argv, "t:b:B:fFn:ms:X:hV", opts,
	    NULL)) != -1) {
		switch (c) {
		case 't':
			snprintf(topic, sizeof(topic), "%s%s",
			    strchr(optarg, '.') ? "" : "bmp.", optarg);
			break;
		case 'b':
			snprintf(brokers, sizeof(brokers), "%s", optarg);
			break;
		case 'B':
			if (bf_bootstrap_read(optarg, brokers, sizeof(brokers))) {
				fprintf(stderr, "bmpflow-tail: %s: no bootstrap "
				    "address in it (is the collector "
				    "running?)\n", optarg);
				return 2;
			}
			break;
		case 'f':
			from_beginning = true;
			break;
		case 'F':
			follow = true;
			break;
		case 'n':
			max = atoll(optarg);
			break;
		case 'm':
			meta = true;
			break;
		case 's':
			schema_dir = optarg;
			break;
		case 'X': {
			char *eq = strchr(optarg, '=');

			if (eq == NULL) {
				fprintf(stderr, "bmpflow-tail: -X %s: expected "
				    "PROPERTY=VALUE\n", optarg);
				return 2;
			}
			*eq = '\0';
			if (rd_kafka_conf_set(conf, optarg, eq + 1, why,
			    sizeof(why)) != RD_KAFKA_CONF_OK) {
				fprintf(stderr, "bmpflow-tail: %s\n", why);
				return 2;
			}
			break;
		}
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("bmpflow-tail %s\n", BMPFLOW_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (brokers[0] == '\0') {
		fprintf(stderr, "bmpflow-tail: give --brokers or "
		    "--kafka-bootstrap-file\n");
		return 2;
	}
	if (load_schemas(schema_dir) < 0) {
		fprintf(stderr, "bmpflow-tail: no schemas in %s\n", schema_dir);
		return 2;
	}
	snprintf(why, sizeof(why), "bmpflow-tail-%d", (int)getpid());
	rd_kafka_conf_set(conf, "group.id", why, NULL, 0);
	rd_kafka_conf_set(conf, "bootstrap.servers", brokers, NULL, 0);
	rd_kafka_conf_set(conf, "enable.auto.commit", "false", NULL, 0);
	rd_kafka_conf_set(conf, "enable.partition.eof", "true", NULL, 0);
	rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, why, sizeof(why));
	if (rk == NULL) {
		fprintf(stderr, "bmpflow-tail: %s\n", why);
		return 1;
	}
	n_parts = bf_kafka_assign_all(rk, topic, from_beginning ?
	    RD_KAFKA_OFFSET_BEGINNING : RD_KAFKA_OFFSET_END, why, sizeof(why));
	if (n_parts < 0) {
		fprintf(stderr, "bmpflow-tail: %s at %s\n", why, brokers);
		rd_kafka_destroy(rk);
		return 1;
	}
	at_eof = calloc((size_t)n_parts + 1, sizeof(*at_eof));
	if (at_eof == NULL) {
		rd_kafka_destroy(rk);
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	while (!stop && (max < 0 || printed < max)) {
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
			if (!follow && n_eof >= n_parts)
				stop = 1;
		} else if (m->err) {
			fprintf(stderr, "bmpflow-tail: %s\n",
			    rd_kafka_message_errstr(m));
		} else if (print_message(m, meta) == 0) {
			printed++;
			if (m->partition >= 0 && m->partition < n_parts &&
			    at_eof[m->partition]) {
				at_eof[m->partition] = false;
				n_eof--;
			}
		} else {
			bad++;
		}
		rd_kafka_message_destroy(m);
	}
	fflush(stdout);
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	for (int i = 0; i < n_schemas; i++)
		bf_schema_free(&schemas[i]);
	free(at_eof);
	return bad ? 1 : 0;
}
