/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bmpflow-collector: BMP from routers → Avro records → Kafka.
 */
#include <errno.h>
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
#include "../produce/topics.h"
#include "core/kafka_io.h"

static uv_signal_t sig_term, sig_int, sig_hup;
static struct bf_collector col;

static void
on_signal(uv_signal_t *h, int signum)
{
	(void)h;
	bf_log(BF_LOG_INFO, "%s: stopping (no new sessions, draining)",
	    signum == SIGTERM ? "SIGTERM" : "SIGINT");
	uv_close((uv_handle_t *)&sig_term, NULL);
	uv_close((uv_handle_t *)&sig_int, NULL);
	uv_close((uv_handle_t *)&sig_hup, NULL);
	bf_collector_stop(&col);
}

/*
 * SIGHUP (a closed terminal, a log rotation script) must not end the
 * collector and lose what it has queued: it is logged and ignored.
 */
static void
on_hangup(uv_signal_t *h, int signum)
{
	(void)h;
	(void)signum;
	bf_log(BF_LOG_WARN, "SIGHUP ignored: bmpflow-collector does not "
	    "re-read its configuration; restart it to apply changes");
}

int
main(int argc, char **argv)
{
	static struct bf_config cfg;
	struct bf_embedded emb = { 0 };
	char err[1024];
	struct bf_opts opts;
	const char *brokers;
	int rc;
	uint64_t left;

	rc = bf_opts_start(&opts, &bf_collector_opttab, argc, argv);
	if (rc == 0 && bf_config_from_opts(&cfg, &opts, err, sizeof(err)) < 0) {
		fprintf(stderr, "bmpflow-collector: %s\n", err);
		rc = -1;
	}
	rc = bf_opts_print_config(&opts, rc);
	bf_opts_free(&opts);
	if (rc != 0)
		return rc < 0 ? 2 : 0;
	bf_log_set_level(cfg.log_level);
	signal(SIGPIPE, SIG_IGN);

	brokers = cfg.kafka_brokers;
	if (brokers[0] == '\0') {
		char names[BF_PRODUCER_TOPICS][96];
		const char *topics[BF_PRODUCER_TOPICS];

		for (int t = 0; t < BF_PRODUCER_TOPICS; t++) {
			bf_producer_topic_name(&cfg, t, names[t],
			    sizeof(names[t]));
			topics[t] = names[t];
		}
		if (bf_embedded_start(&emb, (int)cfg.embedded_brokers,
		    (int)cfg.embedded_partitions, topics, cfg.route_state ?
		    BF_PRODUCER_TOPICS : BF_TOPIC_COUNT, err,
		    sizeof(err)) < 0) {
			bf_log(BF_LOG_ERROR, "%s", err);
			return 1;
		}
		brokers = emb.bootstraps;
		bf_log(BF_LOG_INFO, "embedded kafka at %s", brokers);
	} else if (bf_topics_ensure(&cfg, brokers, err, sizeof(err)) < 0) {
		bf_log(BF_LOG_ERROR, "%s", err);
		return 1;
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
	uv_signal_init(uv_default_loop(), &sig_hup);
	uv_signal_start(&sig_hup, on_hangup, SIGHUP);
	bf_log(BF_LOG_INFO, "bmpflow-collector %s ready", BMPFLOW_VERSION);

	uv_run(uv_default_loop(), UV_RUN_DEFAULT);

	left = bf_collector_drain(&col, (int)cfg.drain_timeout_s * 1000);
	if (left > 0)
		bf_log(BF_LOG_ERROR, "drain timeout: %" PRIu64 " records not "
		    "delivered to Kafka", left);
	else
		bf_log(BF_LOG_INFO, "all records delivered to Kafka");
	bf_log_flush_suppressed(1);
	bf_collector_free(&col);
	uv_loop_close(uv_default_loop());
	bf_embedded_stop(&emb);
	return left > 0 ? 1 : 0;
}
