/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bmpflow-processor: runs one plugin on the collector's topics; the Kafka
 * side and how offsets are committed are in consume.c.
 */
#include <dlfcn.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "core/metrics_http.h"
#include "options.h"
#include "out_topic.h"
#include "proc.h"

static const struct bf_plugin *
load_plugin(const char *spec, char *err, size_t errlen)
{
	char path[1024];
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
	if (pl->size < sizeof(*pl)) {
		snprintf(err, errlen, "plugin %s: descriptor of %" PRIu32
		    " bytes, ABI %d has %zu: rebuild it", path, pl->size,
		    BMPFLOW_PLUGIN_ABI, sizeof(*pl));
		return NULL;
	}
	if (pl->name == NULL || pl->output_schema == NULL || !pl->init ||
	    !pl->on_route || !pl->on_session || !pl->on_tick ||
	    !pl->drop_partition || !pl->fini) {
		snprintf(err, errlen, "plugin %s: incomplete descriptor", path);
		return NULL;
	}
	return pl;
}

/*
 * The registry that avro-confluent inputs are looked up in, and the
 * output's format: for avro-confluent its schema registered first.  0,
 * or -1 with err.
 */
static int
formats(struct proc *p, const struct proc_opts *o, char *err, size_t errlen)
{
	uint32_t id = 0;

	if (o->registry.url[0] != '\0') {
		if ((p->registry = bf_registry_new(&o->registry)) == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		p->pipe.in.reader.registry = p->registry;
	}
	if (o->out_format == BF_FORMAT_CONFLUENT &&
	    bf_record_registry_id(p->registry, p->out_topic, &p->host.sch,
	    &id, err, errlen) < 0)
		return -1;
	if (bf_record_writer_init(&p->host.writer, &p->host.sch, o->out_format,
	    id) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/* The plugin, its topics, the pipeline and host that run it.  0, or an
 * exit status (said on stderr). */
static int
start(struct proc *p, struct proc_opts *o)
{
	char err[2048];

	if ((p->plugin = load_plugin(o->plugin, err, sizeof(err))) == NULL) {
		fprintf(stderr, "bmpflow-processor: %s\n", err);
		return 2;
	}
	bf_log_set_tag(p->plugin->name);
	if (o->group[0] == '\0')
		snprintf(o->group, sizeof(o->group), "bmpflow-%s",
		    p->plugin->name);
	if (o->out_topic[0] != '\0')
		snprintf(p->out_topic, sizeof(p->out_topic), "%s",
		    o->out_topic);
	else
		snprintf(p->out_topic, sizeof(p->out_topic), "%s%s", o->prefix,
		    p->plugin->output_schema);
	snprintf(p->route_topic, sizeof(p->route_topic), "%sroute", o->prefix);
	bf_plugin_metrics_init(&p->metrics, p->plugin->name);
	if (bf_pipeline_init(&p->pipe, p->plugin, o->schema_dir, o->views,
	    err, sizeof(err)) < 0 || bf_host_init(&p->host, o->schema_dir,
	    p->plugin->output_schema, proc_sink, p, err, sizeof(err)) < 0) {
		fprintf(stderr, "bmpflow-processor: %s\n", err);
		return 1;
	}
	p->host.metrics = &p->metrics;
	p->pipe.peer_up_wait_us = (int64_t)o->peer_up_wait_ms * 1000;
	if (formats(p, o, err, sizeof(err)) < 0) {
		fprintf(stderr, "bmpflow-processor: %s\n", err);
		return 1;
	}
	/* Settings are checked before anything connects anywhere. */
	p->state = bf_plugin_start(p->plugin, &p->host, o->settings, o->n_set,
	    err, sizeof(err));
	p->pipe.state = p->state;
	if (p->state == NULL) {
		fprintf(stderr, "bmpflow-processor: plugin %s: %s\n",
		    p->plugin->name, err);
		return 2;
	}
	return proc_out_topic_ensure(p) < 0 || proc_kafka_start(p) < 0 ? 1 : 0;
}

/* --help: with --plugin, the plugin's settings follow the host's. */
static int
plugin_help(const struct proc_opts *o)
{
	const struct bf_plugin *pl;
	char err[2048];

	if (o->plugin[0] == '\0') {
		printf("\nWith --plugin, --help lists the plugin's settings "
		    "too.\n");
		return 0;
	}
	if ((pl = load_plugin(o->plugin, err, sizeof(err))) == NULL) {
		fprintf(stderr, "bmpflow-processor: %s\n", err);
		return 2;
	}
	bf_options_usage(pl, stdout);
	return 0;
}

int
main(int argc, char **argv)
{
	static struct proc_opts o;
	static struct proc p = { .opts = &o };
	struct bf_metrics_http http;
	uv_loop_t loop;
	int rc = proc_opts_parse(&o, argc, argv);

	if (rc != 0)
		return rc < 0 ? 2 : o.help ? plugin_help(&o) : 0;
	if (o.plugin[0] == '\0' || o.brokers[0] == '\0') {
		fprintf(stderr, "bmpflow-processor: need --plugin and --brokers "
		    "or --kafka-bootstrap-file\n");
		return 2;
	}
	if ((rc = start(&p, &o)) != 0)
		return rc;
	uv_loop_init(&loop);
	if (o.metrics[0] != '\0' && (rc = bf_metrics_http_start(&http, &loop,
	    o.metrics, proc_metrics_render, &p)) != 0) {
		fprintf(stderr, "bmpflow-processor: metrics %s: %s\n",
		    o.metrics, uv_strerror(rc));
		return 2;
	}
	if (o.metrics[0] != '\0')
		p.http = &http;
	signal(SIGINT, proc_on_signal);
	signal(SIGTERM, proc_on_signal);
	signal(SIGHUP, proc_on_signal);
	bf_log(BF_LOG_INFO, "plugin %s on %s, group %s, output %s",
	    p.plugin->name, o.brokers, o.group, p.out_topic);
	proc_consume(&p, &loop);
	proc_kafka_stop(&p);
	if (o.metrics[0] != '\0') {
		bf_metrics_http_stop(&http);
		uv_run(&loop, UV_RUN_DEFAULT);
	}
	uv_loop_close(&loop);
	bf_host_free(&p.host);
	bf_plugin_metrics_free(&p.metrics);
	bf_pipeline_free(&p.pipe);
	bf_registry_free(p.registry);
	return p.out_failed ? 1 : 0;
}
