/*
 * bmpflow-processor: runs one plugin on the collector's topics.
 *
 * bmp.route is read in a consumer group (instances share its partitions;
 * routes are keyed by prefix, so a prefix's whole view lands in one);
 * every partition of bmp.peer is read by every instance.  Records pass the
 * peer-epoch rule, then reach the plugin; what it emits goes to
 * <prefix><output schema>.  Offsets are committed only after the outputs
 * they led to were acknowledged: at-least-once.
 */
#include <dlfcn.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>
#include <uv.h>

#include "common/clock.h"
#include "common/log.h"
#include "listen/metrics_http.h"
#include "produce/kafka_io.h"
#include "emit.h"
#include "epochs.h"
#include "records_in.h"

#define MAX_SETTINGS	128
#define COMMIT_MS	1000

static volatile sig_atomic_t stop;

struct proc {
	const struct bf_plugin	*plugin;
	void			*state;
	struct bf_host		 host;
	struct bf_records_in	 in;
	struct bf_epochs	 epochs;
	rd_kafka_t		*routes;	/* consumer group member */
	rd_kafka_t		*peers;		/* every partition */
	rd_kafka_t		*out;		/* producer */
	char			 out_topic[128];
	rd_kafka_topic_t	*out_rkt;
	uint64_t		 in_records, out_records, bad_records;
	uint64_t		 out_failed;
	uint64_t		 plugin_ns;	/* time spent in the plugin */
	uint64_t		 plugin_calls;
};

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Records of bmp.route not read yet, over this instance's partitions. */
static int64_t
route_lag(struct proc *p)
{
	rd_kafka_topic_partition_list_t *a = NULL;
	int64_t lag = 0;

	if (rd_kafka_assignment(p->routes, &a) != RD_KAFKA_RESP_ERR_NO_ERROR)
		return -1;
	rd_kafka_position(p->routes, a);
	for (int i = 0; i < a->cnt; i++) {
		int64_t lo, hi;

		if (rd_kafka_get_watermark_offsets(p->routes, a->elems[i].topic,
		    a->elems[i].partition, &lo, &hi) == 0 && hi >= 0)
			lag += hi - (a->elems[i].offset >= 0 ?
			    a->elems[i].offset : lo);
	}
	rd_kafka_topic_partition_list_destroy(a);
	return lag;
}

static void
metric(FILE *f, const char *name, const char *type, const char *help,
    double v)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n%s %.9g\n", name, help, name,
	    type, name, v);
}

static void
render_metrics(FILE *f, void *arg)
{
	struct proc *p = arg;

	metric(f, "bmpflow_processor_records_in_total", "counter",
	    "Records read (bmp.route and bmp.peer).", (double)p->in_records);
	metric(f, "bmpflow_processor_records_out_total", "counter",
	    "Records the plugin emitted.", (double)p->out_records);
	metric(f, "bmpflow_processor_records_stale_total", "counter",
	    "Records of closed peer epochs, not given to the plugin.",
	    (double)p->epochs.dropped);
	metric(f, "bmpflow_processor_records_bad_total", "counter",
	    "Undecodable records.", (double)p->bad_records);
	metric(f, "bmpflow_processor_output_failures_total", "counter",
	    "Outputs Kafka did not accept.", (double)p->out_failed);
	metric(f, "bmpflow_processor_lag_records", "gauge",
	    "bmp.route records not read yet.", (double)route_lag(p));
	metric(f, "bmpflow_processor_plugin_seconds_per_call", "gauge",
	    "Mean plugin time per call.", p->plugin_calls ?
	    (double)p->plugin_ns / 1e9 / (double)p->plugin_calls : 0.0);
}

static void
usage(FILE *f)
{
	fprintf(f,
"usage: bmpflow-processor --plugin NAME|PATH.so [options]\n"
"\n"
"Runs a bmpflow plugin on bmp.route (consumer group) and bmp.peer (all\n"
"partitions) and publishes what it emits to <topic-prefix><output schema>.\n"
"  --plugin NAME|PATH.so      plugin: a name from %s, or a path\n"
"  --config FILE              'key = value' lines; keys below, and\n"
"                             'plugin.KEY = VALUE' settings for the plugin\n"
"  --brokers LIST             Kafka bootstrap servers\n"
"  --kafka-bootstrap-file F   read them from F (as the collector writes it)\n"
"  --group ID                 consumer group [bmpflow-<plugin>]\n"
"  --topic-prefix P           [bmp.]\n"
"  --from-beginning           start at the oldest records when the group\n"
"                             has no committed offsets [true]\n"
"  --tick-ms N                plugin tick interval [1000]\n"
"  --schema-dir DIR           [%s]\n"
"  --metrics ADDR:PORT        Prometheus /metrics endpoint [off]\n"
"  --set KEY=VALUE            a plugin setting, repeatable\n"
"  --help, --version\n", BMPFLOW_PLUGIN_DIR, BMPFLOW_SCHEMA_DIR);
}

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void
on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *arg)
{
	struct proc *p = arg;

	(void)rk;
	if (m->err) {
		p->out_failed++;
		bf_log(BF_LOG_ERROR, "output to %s failed: %s", p->out_topic,
		    rd_kafka_err2str(m->err));
	}
}

static void
sink(void *arg, const char *key, const uint8_t *value, size_t len)
{
	struct proc *p = arg;
	rd_kafka_resp_err_t err = bf_kafka_produce(p->out, p->out_rkt,
	    p->plugin->output_schema, key, strlen(key), value, len, NULL, NULL);

	if (err) {
		p->out_failed++;
		bf_log(BF_LOG_ERROR, "output to %s: %s", p->out_topic,
		    rd_kafka_err2str(err));
		return;
	}
	p->out_records++;
}

/* Deliver one bmp.route or bmp.peer record through the epoch rule. */
static void
handle(struct proc *p, const rd_kafka_message_t *m)
{
	char err[256];
	int kind = bf_records_in_decode(&p->in, m->payload, m->len, err,
	    sizeof(err));

	p->in_records++;
	if (kind < 0) {
		p->bad_records++;
		bf_log(BF_LOG_WARN, "%s [%" PRId32 "] offset %" PRId64 ": %s",
		    rd_kafka_topic_name(m->rkt), m->partition, m->offset, err);
		return;
	}
	if (kind == BF_IN_PEER) {
		if (bf_epochs_peer(&p->epochs, p->in.peer_key, p->in.peer.epoch,
		    p->in.peer.up) != BF_EPOCH_DROP) {
			uint64_t t0 = mono_ns();

			p->plugin->on_peer(p->state, &p->in.peer);
			p->plugin_ns += mono_ns() - t0;
			p->plugin_calls++;
		}
		return;
	}
	switch (bf_epochs_route(&p->epochs, p->in.peer_key, p->in.route.epoch)) {
	case BF_EPOCH_DROP:
		return;
	case BF_EPOCH_OPEN_DELIVER: {
		/* The route's Peer Up is late: open its epoch for the plugin. */
		struct bf_peer_event up = {
			.peer = p->in.route.peer, .epoch = p->in.route.epoch,
			.up = true, .bmp_time_us = p->in.route.bmp_time_us,
			.collector_time_us = p->in.route.collector_time_us,
		};

		p->plugin->on_peer(p->state, &up);
		break;
	}
	case BF_EPOCH_DELIVER:
		break;
	}
	{
		uint64_t t0 = mono_ns();

		p->plugin->on_route(p->state, &p->in.route);
		p->plugin_ns += mono_ns() - t0;
		p->plugin_calls++;
	}
}

static const struct bf_plugin *
load_plugin(const char *spec, char *err, size_t errlen)
{
	char path[512];
	const struct bf_plugin *(*get)(void);
	const struct bf_plugin *pl;
	void *so;

	if (strchr(spec, '/') != NULL)
		snprintf(path, sizeof(path), "%s", spec);
	else
		snprintf(path, sizeof(path), "%s/%s.so", BMPFLOW_PLUGIN_DIR,
		    spec);
	if ((so = dlopen(path, RTLD_NOW | RTLD_GLOBAL)) == NULL) {
		snprintf(err, errlen, "plugin %s: %s", path, dlerror());
		return NULL;
	}
	*(void **)&get = dlsym(so, BMPFLOW_PLUGIN_SYMBOL);
	if (get == NULL || (pl = get()) == NULL) {
		snprintf(err, errlen, "plugin %s: no %s() in it", path,
		    BMPFLOW_PLUGIN_SYMBOL);
		return NULL;
	}
	if (pl->abi != BMPFLOW_PLUGIN_ABI) {
		snprintf(err, errlen, "plugin %s was built for plugin ABI %" PRIu32
		    ", this bmpflow-processor has ABI %d: rebuild it", path,
		    pl->abi, BMPFLOW_PLUGIN_ABI);
		return NULL;
	}
	if (pl->name == NULL || pl->output_schema == NULL || !pl->init ||
	    !pl->on_route || !pl->on_peer || !pl->on_tick || !pl->fini) {
		snprintf(err, errlen, "plugin %s: incomplete descriptor", path);
		return NULL;
	}
	return pl;
}

static rd_kafka_t *
kafka(rd_kafka_type_t type, const char *brokers, const char *group,
    struct proc *p)
{
	rd_kafka_conf_t *c = rd_kafka_conf_new();
	char why[512];
	rd_kafka_t *rk;

	rd_kafka_conf_set(c, "bootstrap.servers", brokers, NULL, 0);
	if (type == RD_KAFKA_PRODUCER) {
		if (bf_kafka_producer_defaults(c, why, sizeof(why)) < 0) {
			bf_log(BF_LOG_ERROR, "%s", why);
			rd_kafka_conf_destroy(c);
			return NULL;
		}
		rd_kafka_conf_set_opaque(c, p);
		rd_kafka_conf_set_dr_msg_cb(c, on_delivery);
	} else {
		rd_kafka_conf_set(c, "group.id", group, NULL, 0);
		rd_kafka_conf_set(c, "enable.auto.commit", "false", NULL, 0);
		rd_kafka_conf_set(c, "auto.offset.reset", "earliest", NULL, 0);
	}
	rk = rd_kafka_new(type, c, why, sizeof(why));
	if (rk == NULL) {
		bf_log(BF_LOG_ERROR, "kafka: %s", why);
		rd_kafka_conf_destroy(c);
	}
	return rk;
}

/* Outputs acknowledged first, then the offsets that led to them. */
static void
commit(struct proc *p)
{
	rd_kafka_flush(p->out, 30000);
	if (rd_kafka_outq_len(p->out) == 0)
		rd_kafka_commit(p->routes, NULL, 0);
	else
		bf_log(BF_LOG_WARN, "outputs not acknowledged: offsets not "
		    "committed");
}

int
main(int argc, char **argv)
{
	static struct bf_setting settings[MAX_SETTINGS];
	static char setbuf[MAX_SETTINGS][2][256];
	static struct proc p;
	const char *plugin = NULL, *schema_dir = BMPFLOW_SCHEMA_DIR;
	const char *metrics = NULL;
	struct bf_metrics_http http;
	uv_loop_t loop;
	char brokers[1024] = "", group[256] = "", prefix[64] = "bmp.";
	char topic[320], err[2048];
	int n_set = 0, tick_ms = 1000;
	int64_t last_tick, last_commit;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(a, "--version")) {
			printf("bmpflow-processor %s (plugin ABI %d)\n",
			    BMPFLOW_VERSION, BMPFLOW_PLUGIN_ABI);
			return 0;
		}
		if (v == NULL) {
			fprintf(stderr, "bmpflow-processor: %s: missing value\n",
			    a);
			return 2;
		}
		i++;
		if (!strcmp(a, "--plugin")) {
			plugin = v;
		} else if (!strcmp(a, "--brokers")) {
			snprintf(brokers, sizeof(brokers), "%s", v);
		} else if (!strcmp(a, "--kafka-bootstrap-file")) {
			if (bf_bootstrap_read(v, brokers, sizeof(brokers)) < 0) {
				fprintf(stderr, "bmpflow-processor: %s: no "
				    "bootstrap address in it (is the collector "
				    "running?)\n", v);
				return 2;
			}
		} else if (!strcmp(a, "--group")) {
			snprintf(group, sizeof(group), "%s", v);
		} else if (!strcmp(a, "--topic-prefix")) {
			snprintf(prefix, sizeof(prefix), "%s", v);
		} else if (!strcmp(a, "--tick-ms")) {
			tick_ms = atoi(v);
		} else if (!strcmp(a, "--schema-dir")) {
			schema_dir = v;
		} else if (!strcmp(a, "--metrics")) {
			metrics = v;
		} else if (!strcmp(a, "--set")) {
			const char *eq = strchr(v, '=');

			if (eq == NULL || n_set == MAX_SETTINGS) {
				fprintf(stderr, "bmpflow-processor: --set %s: "
				    "expected KEY=VALUE\n", v);
				return 2;
			}
			snprintf(setbuf[n_set][0], 256, "%.*s", (int)(eq - v), v);
			snprintf(setbuf[n_set][1], 256, "%s", eq + 1);
			settings[n_set].key = setbuf[n_set][0];
			settings[n_set].value = setbuf[n_set][1];
			n_set++;
		} else {
			fprintf(stderr, "bmpflow-processor: unknown option %s\n",
			    a);
			usage(stderr);
			return 2;
		}
	}
	if (plugin == NULL || brokers[0] == '\0' || tick_ms <= 0) {
		fprintf(stderr, "bmpflow-processor: need --plugin and --brokers "
		    "or --kafka-bootstrap-file\n");
		return 2;
	}
	if ((p.plugin = load_plugin(plugin, err, sizeof(err))) == NULL) {
		fprintf(stderr, "bmpflow-processor: %s\n", err);
		return 2;
	}
	if (group[0] == '\0')
		snprintf(group, sizeof(group), "bmpflow-%s", p.plugin->name);
	snprintf(p.out_topic, sizeof(p.out_topic), "%s%s", prefix,
	    p.plugin->output_schema);
	if (bf_records_in_init(&p.in, schema_dir, err, sizeof(err)) < 0 ||
	    bf_host_init(&p.host, schema_dir, p.plugin->output_schema, sink, &p,
	    err, sizeof(err)) < 0 || bf_epochs_init(&p.epochs) < 0) {
		fprintf(stderr, "bmpflow-processor: %s\n", err);
		return 1;
	}
	/* Settings are checked before anything connects anywhere. */
	p.state = p.plugin->init(&p.host, settings, (size_t)n_set, err,
	    sizeof(err));
	if (p.state == NULL) {
		fprintf(stderr, "bmpflow-processor: plugin %s: %s\n",
		    p.plugin->name, err);
		return 2;
	}
	p.out = kafka(RD_KAFKA_PRODUCER, brokers, group, &p);
	p.routes = kafka(RD_KAFKA_CONSUMER, brokers, group, &p);
	snprintf(topic, sizeof(topic), "%speer-%d", group, (int)getpid());
	p.peers = kafka(RD_KAFKA_CONSUMER, brokers, topic, &p);
	if (p.out == NULL || p.routes == NULL || p.peers == NULL ||
	    (p.out_rkt = rd_kafka_topic_new(p.out, p.out_topic, NULL)) == NULL)
		return 1;
	snprintf(topic, sizeof(topic), "%speer", prefix);
	if (bf_kafka_assign_all(p.peers, topic, RD_KAFKA_OFFSET_BEGINNING, err,
	    sizeof(err)) < 0) {
		bf_log(BF_LOG_ERROR, "%s at %s", err, brokers);
		return 1;
	}
	{
		rd_kafka_topic_partition_list_t *sub =
		    rd_kafka_topic_partition_list_new(1);

		snprintf(topic, sizeof(topic), "%sroute", prefix);
		rd_kafka_topic_partition_list_add(sub, topic,
		    RD_KAFKA_PARTITION_UA);
		rd_kafka_subscribe(p.routes, sub);
		rd_kafka_topic_partition_list_destroy(sub);
	}
	uv_loop_init(&loop);
	if (metrics != NULL) {
		int rc = bf_metrics_http_start(&http, &loop, metrics,
		    render_metrics, &p);

		if (rc != 0) {
			fprintf(stderr, "bmpflow-processor: metrics %s: %s\n",
			    metrics, uv_strerror(rc));
			return 2;
		}
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	bf_log(BF_LOG_INFO, "plugin %s on %s, group %s, output %s",
	    p.plugin->name, brokers, group, p.out_topic);
	last_tick = last_commit = bf_now_us();
	while (!stop) {
		rd_kafka_message_t *m;
		int64_t t;

		/* Peer events first: they open and close epochs. */
		while ((m = rd_kafka_consumer_poll(p.peers, 0)) != NULL) {
			if (!m->err)
				handle(&p, m);
			rd_kafka_message_destroy(m);
		}
		for (int i = 0; i < 1000; i++) {
			m = rd_kafka_consumer_poll(p.routes, i == 0 ? 50 : 0);
			if (m == NULL)
				break;
			if (!m->err)
				handle(&p, m);
			else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
				bf_log(BF_LOG_WARN, "%s",
				    rd_kafka_message_errstr(m));
			rd_kafka_message_destroy(m);
		}
		rd_kafka_poll(p.out, 0);
		uv_run(&loop, UV_RUN_NOWAIT);	/* serve /metrics */
		t = bf_now_us();
		if (t - last_tick >= (int64_t)tick_ms * 1000) {
			p.plugin->on_tick(p.state, t);
			last_tick = t;
		}
		if (t - last_commit >= COMMIT_MS * 1000) {
			commit(&p);
			last_commit = t;
		}
	}
	bf_log(BF_LOG_INFO, "stopping: %" PRIu64 " records in, %" PRIu64
	    " out, %" PRIu64 " undecodable, %" PRIu64 " stale by epoch",
	    p.in_records, p.out_records, p.bad_records, p.epochs.dropped);
	commit(&p);
	p.plugin->fini(p.state);
	rd_kafka_consumer_close(p.routes);
	rd_kafka_consumer_close(p.peers);
	rd_kafka_destroy(p.routes);
	rd_kafka_destroy(p.peers);
	rd_kafka_topic_destroy(p.out_rkt);
	rd_kafka_destroy(p.out);
	if (metrics != NULL) {
		bf_metrics_http_stop(&http);
		uv_run(&loop, UV_RUN_DEFAULT);
	}
	uv_loop_close(&loop);
	bf_host_free(&p.host);
	bf_records_in_free(&p.in);
	bf_epochs_free(&p.epochs);
	return p.out_failed ? 1 : 0;
}
