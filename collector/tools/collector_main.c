/*
 * bmpflow-collector: BMP from routers → Avro records → Kafka.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "../common/config.h"
#include "core/log.h"
#include "../listen/collector.h"
#include "../produce/embedded.h"
#include "core/kafka_io.h"

static void
usage(FILE *f)
{
	fprintf(f,
"usage: bmpflow-collector [--config FILE] [options]\n"
"\n"
"Accepts BMP (RFC 7854, 8671, 9069) sessions from routers, decodes every\n"
"message and publishes one Avro record per route change, peer event,\n"
"statistics report and router event to Kafka topics (bmp.route, bmp.peer,\n"
"bmp.stats, bmp.router; bmp.raw with --raw true).  With no brokers it runs\n"
"an embedded Kafka (librdkafka's mock cluster) on loopback.\n"
"\n"
"Every option is also a config file key (key = value); flags override the\n"
"file.  Defaults in brackets.\n"
"  --config FILE              read settings from FILE\n"
"  --listen ADDR:PORT         BMP listener, repeatable [0.0.0.0:5000, [::]:5000]\n"
"  --kafka-brokers LIST       Kafka bootstrap servers [embedded]\n"
"  --kafka.PROPERTY VALUE     any librdkafka property (SASL, TLS, ...)\n"
"  --kafka-bootstrap-file F   write the Kafka bootstrap address to F\n"
"  --topic-prefix P           topic name prefix [bmp.]\n"
"  --allow PREFIX             accept routers from PREFIX only, repeatable [any]\n"
"  --max-sessions N           concurrent router sessions [2000]\n"
"  --max-message-size BYTES   largest BMP message accepted [1048576]\n"
"  --max-peers N              BGP peers per router session [4096]\n"
"  --metrics ADDR:PORT        Prometheus /metrics endpoint [off]\n"
"  --log-level LEVEL          error, warn, info, debug [info]\n"
"  --raw BOOL                 also publish every BMP message to bmp.raw [false]\n"
"  --drain-timeout SECONDS    on SIGTERM, wait this long for Kafka [30]\n"
"  --queue-mbytes N           stop reading routers above N MiB unsent [64]\n"
"  --embedded-brokers N       embedded Kafka brokers [1]\n"
"  --embedded-partitions N    partitions per embedded topic [8]\n"
"  --schema-dir DIR           Avro schemas [%s]\n"
"  --print-config             print the resulting settings and exit\n"
"  --help, --version\n", BMPFLOW_SCHEMA_DIR);
}

static uv_signal_t sig_term, sig_int;
static struct bf_collector col;

static void
on_signal(uv_signal_t *h, int signum)
{
	(void)h;
	bf_log(BF_LOG_INFO, "%s: stopping (no new sessions, draining)",
	    signum == SIGTERM ? "SIGTERM" : "SIGINT");
	uv_close((uv_handle_t *)&sig_term, NULL);
	uv_close((uv_handle_t *)&sig_int, NULL);
	bf_collector_stop(&col);
}

int
main(int argc, char **argv)
{
	static struct bf_config cfg;
	struct bf_embedded emb = { 0 };
	char err[1024];
	const char *config_path = NULL;
	const char *brokers;
	bool print_config = false;
	uint64_t left;
	int i;

	bf_config_defaults(&cfg);
	/* The config file first, wherever --config is, so flags win. */
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(argv[i], "--version")) {
			printf("bmpflow-collector %s\n", BMPFLOW_VERSION);
			return 0;
		}
		if (!strcmp(argv[i], "--config") && i + 1 < argc)
			config_path = argv[++i];
	}
	if (config_path != NULL &&
	    bf_config_load(&cfg, config_path, err, sizeof(err)) < 0) {
		fprintf(stderr, "bmpflow-collector: %s\n", err);
		return 2;
	}
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--config")) {
			i++;
			continue;
		}
		if (!strcmp(a, "--print-config")) {
			print_config = true;
			continue;
		}
		if (strncmp(a, "--", 2) != 0 || i + 1 >= argc) {
			fprintf(stderr, "bmpflow-collector: %s: %s\n", a,
			    strncmp(a, "--", 2) ? "unexpected argument" :
			    "missing value");
			usage(stderr);
			return 2;
		}
		if (bf_config_set(&cfg, a + 2, argv[i + 1], err,
		    sizeof(err)) < 0) {
			fprintf(stderr, "bmpflow-collector: %s\n", err);
			return 2;
		}
		i++;
	}
	if (print_config) {
		bf_config_print(&cfg, stdout);
		return 0;
	}
	bf_log_set_level(cfg.log_level);
	signal(SIGPIPE, SIG_IGN);

	brokers = cfg.kafka_brokers;
	if (brokers[0] == '\0') {
		char names[BF_TOPIC_COUNT][96];
		const char *topics[BF_TOPIC_COUNT];

		for (int t = 0; t < BF_TOPIC_COUNT; t++) {
			snprintf(names[t], sizeof(names[t]), "%s%s",
			    cfg.topic_prefix, bf_topic_name((enum bf_topic)t));
			topics[t] = names[t];
		}
		if (bf_embedded_start(&emb, (int)cfg.embedded_brokers,
		    (int)cfg.embedded_partitions, topics, BF_TOPIC_COUNT, err,
		    sizeof(err)) < 0) {
			bf_log(BF_LOG_ERROR, "%s", err);
			return 1;
		}
		brokers = emb.bootstraps;
		bf_log(BF_LOG_INFO, "embedded kafka at %s", brokers);
	}
	if (cfg.bootstrap_file[0] != '\0' &&
	    bf_bootstrap_write(cfg.bootstrap_file, brokers) < 0) {
		bf_log(BF_LOG_ERROR, "kafka-bootstrap-file %s: %s",
		    cfg.bootstrap_file, strerror(errno));
		bf_embedded_stop(&emb);
		return 1;
	}
	if (bf_collector_start(&col, uv_default_loop(), &cfg, brokers, err,
	    sizeof(err)) < 0) {
		bf_log(BF_LOG_ERROR, "%s", err);
		bf_embedded_stop(&emb);
		return 1;
	}
	uv_signal_init(uv_default_loop(), &sig_term);
	uv_signal_init(uv_default_loop(), &sig_int);
	uv_signal_start(&sig_term, on_signal, SIGTERM);
	uv_signal_start(&sig_int, on_signal, SIGINT);
	bf_log(BF_LOG_INFO, "bmpflow-collector %s ready", BMPFLOW_VERSION);

	uv_run(uv_default_loop(), UV_RUN_DEFAULT);

	left = bf_collector_drain(&col, (int)cfg.drain_timeout_s * 1000);
	if (left > 0)
		bf_log(BF_LOG_ERROR, "drain timeout: %" PRIu64 " records not "
		    "delivered to Kafka", left);
	else
		bf_log(BF_LOG_INFO, "all records delivered to Kafka");
	bf_collector_free(&col);
	uv_loop_close(uv_default_loop());
	bf_embedded_stop(&emb);
	return left > 0 ? 1 : 0;
}
