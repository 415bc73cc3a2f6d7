/* SPDX-License-Identifier: Apache-2.0 */
/*
 * collector_metrics.c: the collector's /metrics page.
 */
#include "collector.h"

#include "core/clock.h"
#include "core/metrics_http.h"
#include "../parse/bmp_wire.h"
#include "session.h"

static const char *const errk_names[BF_ERRK_COUNT] = {
	"message", "framing", "truncated", "attribute_discard",
	"treat_as_withdraw", "peer_limit", "encode",
};

static const char *const close_reasons[BF_CLOSE_COUNT] = {
	"router", "invalid_stream", "initiation_timeout", "message_timeout",
	"buffer_limit", "shutdown",
};

/*
 * Per router session: up, seconds since its last bytes, messages, peers
 * with an open epoch.  A closed session's series go away with it.
 */
static void
router_metrics(FILE *f, const struct bf_collector *c)
{
	static const char *const fam[][3] = {
		{ "bmpflow_router_up", "gauge",
		    "1 per open router session, by its source address." },
		{ "bmpflow_router_idle_seconds", "gauge",
		    "Seconds since the router last sent bytes (or connected)." },
		{ "bmpflow_router_messages_total", "counter",
		    "BMP messages the router's session sent." },
		{ "bmpflow_router_peers_up", "gauge",
		    "Peers of the router with an open epoch." },
	};
	int64_t now = bf_now_us();

	for (size_t i = 0; i < sizeof(fam) / sizeof(fam[0]); i++) {
		bf_metric_family(f, fam[i][0], fam[i][1], fam[i][2]);
		for (const struct bf_session *ss = c->sessions; ss;
		    ss = ss->next) {
			const struct peer_table *pt = &ss->stream.peers;
			char label[BF_ADDR_STRLEN + 16];
			uint64_t v = 1;

			if (ss->closing)
				continue;
			if (i == 1)
				v = (uint64_t)(now - ss->read_us) / 1000000;
			else if (i == 2)
				v = ss->router.msgs;
			else if (i == 3) {
				v = 0;
				for (uint32_t p = 0; ss->stream_ok &&
				    p < pt->count; p++)
					v += pt->v[p].up;
			}
			snprintf(label, sizeof(label), "router=\"%s\"",
			    ss->router.addr);
			bf_metric_u64(f, fam[i][0], label, v);
		}
	}
}

/* The series of one peer's views that had routes in its open epoch. */
static void
peer_series(FILE *f, const char *router, const struct peer_entry *pe,
    const struct peer_routes *h)
{
	char a[BF_ADDR_STRLEN], rd[BF_RD_STRLEN];
	char label[BF_ADDR_STRLEN * 2 + BF_RD_STRLEN + 64];

	bf_addr_fmt(&pe->addr, a, sizeof(a));
	for (int v = 0; v < PEER_VIEWS; v++) {
		if (!(h->seen & (1u << v)))
			continue;
		snprintf(label, sizeof(label), "router=\"%s\",peer=\"%s\","
		    "rd=\"%s\",view=\"%s\"", router, a[0] == '\0' ||
		    pe->type == BMP_PEER_LOC_RIB ? "loc-rib" : a,
		    bf_rd_fmt(pe->rd, rd, sizeof(rd)),
		    bf_state_view_name((enum bf_state_view)v));
		bf_metric_u64(f, "bmpflow_peer_routes", label, h->n[v]);
	}
}

/*
 * Routes each peer holds, by view: series for metrics-peer-limit peers
 * at most (of all routers, in order of sessions then peers), so that
 * routers with thousands of peers cannot swell the page.
 */
static void
peer_route_metrics(FILE *f, const struct bf_collector *c)
{
	uint32_t shown = 0, left_out = 0;

	bf_metric_family(f, "bmpflow_peer_routes", "gauge",
	    "Routes a peer holds in its open epoch, by view: exact with "
	    "route-state on; with it off, announcements less withdrawals.");
	for (const struct bf_session *ss = c->sessions; ss; ss = ss->next) {
		const struct peer_table *pt = &ss->stream.peers;

		for (uint32_t p = 0; !ss->closing && ss->stream_ok &&
		    p < pt->count; p++) {
			const struct peer_routes *h =
			    peer_table_routes(&pt->v[p]);

			if (h == NULL)
				continue;
			if (shown == c->cfg->metrics_peer_limit) {
				left_out++;
				continue;
			}
			shown++;
			peer_series(f, ss->router.addr, &pt->v[p], h);
		}
	}
	bf_metric(f, "bmpflow_peer_routes_peers_left_out", "gauge",
	    "Peers with routes given no bmpflow_peer_routes series "
	    "(metrics-peer-limit).", (double)left_out);
}

/* bmp.* records by topic and state; returns the failed ones, all topics. */
static uint64_t
record_metrics(FILE *f, const struct bf_producer *prod)
{
	static const char *const states[] = { "produced", "delivered",
	    "failed" };
	uint64_t failed = 0;
	char labels[160];

	bf_metric_family(f, "bmpflow_records_total", "counter",
	    "Records by topic and state.");
	for (int t = 0; t < BF_PRODUCER_TOPICS; t++) {
		const uint64_t by_state[] = { prod->produced[t],
		    prod->delivered[t], prod->failed[t] };

		if (prod->topics[t] == NULL)
			continue;

		for (size_t i = 0; i < 3; i++) {
			snprintf(labels, sizeof(labels),
			    "topic=\"%s\",state=\"%s\"",
			    prod->topic_names[t], states[i]);
			bf_metric_u64(f, "bmpflow_records_total", labels,
			    by_state[i]);
		}
		failed += prod->failed[t];
	}
	return failed;
}

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
	uint64_t failed = record_metrics(f, &c->prod);
	char labels[160];
	const struct bf_metric_row rows[] = {
		{ "bmpflow_sessions", "gauge", "Router BMP sessions open.",
		    (double)c->n_sessions },
		{ "bmpflow_accept_errors_total", "counter",
		    "Accepts of a BMP listener that failed (logged).",
		    (double)m->accept_errors },
		{ "bmpflow_session_buffer_bytes", "gauge",
		    "Bytes of session buffers, all sessions "
		    "(max-buffer-mbytes).", (double)c->buffered },
		{ "bmpflow_bytes_total", "counter", "BMP bytes read.",
		    (double)m->bytes },
		{ "bmpflow_invalid_utf8_total", "counter",
		    "Information TLVs (sysName, sysDescr, VRF names, free "
		    "text) whose bytes were not valid UTF-8: published with "
		    "U+FFFD for the invalid bytes.",
		    (double)c->enc.invalid_utf8 },
		{ "bmpflow_route_state_routes", "gauge",
		    "Routes of open epochs held for bmp.route.state's "
		    "tombstones.", (double)c->state.routes },
		{ "bmpflow_route_state_bytes", "gauge",
		    "Memory of the sets of routes held for bmp.route.state.",
		    (double)c->state.bytes },
		{ "bmpflow_route_state_pending_tombstones", "gauge",
		    "Tombstones of ended epochs waiting for the producer's "
		    "room.", (double)c->state.pending },
		{ "bmpflow_route_state_tombstones_total", "counter",
		    "Tombstones published to bmp.route.state (withdrawals, "
		    "ended epochs).", (double)c->state.tombstones },
		{ "bmpflow_route_state_untracked_total", "counter",
		    "Routes not held for lack of memory: their keys outlive "
		    "their epoch.", (double)c->state.untracked },
		{ "bmpflow_producer_queue_messages", "gauge",
		    "Records waiting for Kafka, held ones included.",
		    (double)(c->prod.inflight_msgs + c->prod.held_msgs) },
		{ "bmpflow_producer_held_records", "gauge",
		    "Records librdkafka's full queue refused, held in order "
		    "until it takes them (router reads pause meanwhile).",
		    (double)c->prod.held_msgs },
		{ "bmpflow_producer_queue_full_total", "counter",
		    "Records librdkafka refused for a full queue (then held).",
		    (double)c->prod.queue_full },
		{ "bmpflow_producer_queue_bytes", "gauge",
		    "Bytes waiting for Kafka.", (double)c->prod.inflight_bytes },
		{ "bmpflow_delivery_failures_total", "counter",
		    "Records Kafka did not accept.", (double)failed },
		{ "bmpflow_backpressure_pauses_total", "counter",
		    "Times router reads stopped for a full producer queue.",
		    (double)m->backpressure_pauses },
		{ "bmpflow_backpressure_seconds_total", "counter",
		    "Time spent paused, the pause going on included.",
		    (double)(m->backpressure_ms + (c->paused ?
		    uv_now(c->loop) - c->paused_since : 0)) / 1000.0 },
		{ "bmpflow_backpressure_paused", "gauge",
		    "1 while router reads are stopped for a full producer "
		    "queue.", c->paused ? 1.0 : 0.0 },
	};

	bf_metric_rows(f, rows, sizeof(rows) / sizeof(rows[0]));
	bf_metric_by(f, "bmpflow_sessions_total", "counter",
	    "Router sessions by outcome.", "outcome", outcomes, by_outcome, 5);
	bf_metric_by(f, "bmpflow_sessions_closed_total", "counter",
	    "Router sessions closed, by reason.", "reason", close_reasons,
	    m->closed_by, BF_CLOSE_COUNT);
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
	router_metrics(f, c);
	peer_route_metrics(f, c);
	if (c->http_on)
		bf_metrics_http_render(f, &c->http, "bmpflow-collector");
}
