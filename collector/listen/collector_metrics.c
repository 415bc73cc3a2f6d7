/* SPDX-License-Identifier: Apache-2.0 */
/*
 * collector_metrics.c: the collector's /metrics page.
 */
#include "collector.h"

#include "core/metrics_http.h"
#include "../parse/bmp_wire.h"

static const char *const errk_names[BF_ERRK_COUNT] = {
	"message", "framing", "truncated", "attribute_discard",
	"treat_as_withdraw", "peer_limit", "encode",
};

static const char *const close_reasons[BF_CLOSE_COUNT] = {
	"router", "invalid_stream", "initiation_timeout", "message_timeout",
	"buffer_limit", "shutdown",
};

void
bf_collector_metrics(FILE *f, void *arg)
{
	struct bf_collector *c = arg;
	const struct bf_metrics *m = &c->m;
	static const char *const outcomes[] = { "accepted",
	    "refused_allowlist", "refused_limit", "refused_fds", "closed" };
	const uint64_t by_outcome[] = { m->sessions_accepted,
	    m->sessions_refused_allowlist, m->sessions_refused_limit,
	    m->sessions_refused_fds, m->sessions_closed };
	static const char *const states[] = { "produced", "delivered",
	    "failed" };
	uint64_t failed = 0;
	char labels[160];

	bf_metric(f, "bmpflow_sessions", "gauge",
	    "Router BMP sessions open.", (double)c->n_sessions);
	bf_metric_by(f, "bmpflow_sessions_total", "counter",
	    "Router sessions by outcome.", "outcome", outcomes, by_outcome, 5);
	bf_metric_by(f, "bmpflow_sessions_closed_total", "counter",
	    "Router sessions closed, by reason.", "reason", close_reasons,
	    m->closed_by, BF_CLOSE_COUNT);
	bf_metric(f, "bmpflow_accept_errors_total", "counter",
	    "Accepts of a BMP listener that failed (logged).",
	    (double)m->accept_errors);
	bf_metric(f, "bmpflow_session_buffer_bytes", "gauge",
	    "Bytes of session buffers, all sessions (max-buffer-mbytes).",
	    (double)c->buffered);
	bf_metric(f, "bmpflow_bytes_total", "counter",
	    "BMP bytes read.", (double)m->bytes);
	bf_metric_family(f, "bmpflow_bmp_messages_total", "counter",
	    "BMP messages by type.");
	for (int t = 0; t <= BMP_TYPE_MAX; t++) {
		snprintf(labels, sizeof(labels), "type=\"%s\"",
		    t < BMP_TYPE_MAX ? bmp_type_name((uint8_t)t) : "unknown");
		bf_metric_u64(f, "bmpflow_bmp_messages_total", labels,
		    t < BMP_TYPE_MAX ? m->msgs_by_type[t] :
		    m->msgs_unknown_type);
	}
	bf_metric_by(f, "bmpflow_decode_errors_total", "counter",
	    "Decode problems by kind.", "kind", errk_names, m->errors,
	    BF_ERRK_COUNT);
	bf_metric(f, "bmpflow_invalid_utf8_total", "counter",
	    "Information TLVs (sysName, sysDescr, VRF names, free text) "
	    "whose bytes were not valid UTF-8: published with U+FFFD for the "
	    "invalid bytes.", (double)c->enc.invalid_utf8);
	bf_metric_family(f, "bmpflow_records_total", "counter",
	    "Records by topic and state.");
	for (int t = 0; t < BF_PRODUCER_TOPICS; t++) {
		const uint64_t by_state[] = { c->prod.produced[t],
		    c->prod.delivered[t], c->prod.failed[t] };

		if (c->prod.topics[t] == NULL)
			continue;

		for (size_t i = 0; i < 3; i++) {
			snprintf(labels, sizeof(labels),
			    "topic=\"%s\",state=\"%s\"",
			    c->prod.topic_names[t], states[i]);
			bf_metric_u64(f, "bmpflow_records_total", labels,
			    by_state[i]);
		}
		failed += c->prod.failed[t];
	}
	bf_metric(f, "bmpflow_route_state_routes", "gauge",
	    "Routes of open epochs held for bmp.route.state's tombstones.",
	    (double)c->state.routes);
	bf_metric(f, "bmpflow_route_state_bytes", "gauge",
	    "Memory of the sets of routes held for bmp.route.state.",
	    (double)c->state.bytes);
	bf_metric(f, "bmpflow_route_state_pending_tombstones", "gauge",
	    "Tombstones of ended epochs waiting for the producer's room.",
	    (double)c->state.pending);
	bf_metric(f, "bmpflow_route_state_tombstones_total", "counter",
	    "Tombstones published to bmp.route.state (withdrawals, ended "
	    "epochs).", (double)c->state.tombstones);
	bf_metric(f, "bmpflow_route_state_untracked_total", "counter",
	    "Routes not held for lack of memory: their keys outlive their "
	    "epoch.", (double)c->state.untracked);
	bf_metric(f, "bmpflow_producer_queue_messages", "gauge",
	    "Records waiting for Kafka, held ones included.",
	    (double)(c->prod.inflight_msgs + c->prod.held_msgs));
	bf_metric(f, "bmpflow_producer_held_records", "gauge",
	    "Records librdkafka's full queue refused, held in order until "
	    "it takes them (router reads pause meanwhile).",
	    (double)c->prod.held_msgs);
	bf_metric(f, "bmpflow_producer_queue_full_total", "counter",
	    "Records librdkafka refused for a full queue (then held).",
	    (double)c->prod.queue_full);
	bf_metric(f, "bmpflow_producer_queue_bytes", "gauge",
	    "Bytes waiting for Kafka.", (double)c->prod.inflight_bytes);
	bf_metric(f, "bmpflow_delivery_failures_total", "counter",
	    "Records Kafka did not accept.", (double)failed);
	bf_metric(f, "bmpflow_backpressure_pauses_total", "counter",
	    "Times router reads stopped for a full producer queue.",
	    (double)m->backpressure_pauses);
	bf_metric(f, "bmpflow_backpressure_seconds_total", "counter",
	    "Time spent paused, the pause going on included.",
	    (double)(m->backpressure_ms + (c->paused ? uv_now(c->loop) -
	    c->paused_since : 0)) / 1000.0);
	bf_metric(f, "bmpflow_backpressure_paused", "gauge",
	    "1 while router reads are stopped for a full producer queue.",
	    c->paused ? 1.0 : 0.0);
	bf_collector_router_metrics(f, c);
	if (c->http_on)
		bf_metrics_http_render(f, &c->http, "bmpflow-collector");
}
