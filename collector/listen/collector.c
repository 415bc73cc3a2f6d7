/* SPDX-License-Identifier: Apache-2.0 */
/*
 * collector.c: router sessions on libuv.  Each read is framed and decoded
 * at once; every record goes to the producer before the next read, and
 * reading stops while the producer holds more than queue-mbytes.  No
 * session holds resources for nothing: a once-a-second sweep closes those
 * that send no first message or stop inside one, and buffers are capped
 * per session (max-message-size) and over all (max-buffer-mbytes).
 */
#include "collector.h"

#include <inttypes.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/cursor.h"
#include "core/log.h"
#include "core/metrics_http.h"
#include "admit.h"
#include "session.h"
#include "../parse/bmp_frame.h"
#include "../parse/bmp_wire.h"
#include "../produce/topics.h"

#define SESSION_BUF_MIN		(32 * 1024)
#define POLL_MS			5
#define SWEEP_MS		1000
#define KEEPALIVE_S		60	/* TCP keepalive idle time, sessions */

static void
send_record(struct bf_collector *c, const struct bf_record *r)
{
	if (r == NULL) {
		c->m.errors[BF_ERRK_ENCODE]++;
		return;
	}
	bf_producer_send(&c->prod, r);
}

/* "peer 192.0.2.1 AS 65001" for log lines. */
static const char *
peer_desc(const struct bmp_msg *m, char *buf, size_t n)
{
	char a[BF_ADDR_STRLEN], rd[BF_RD_STRLEN];

	if (!m->has_peer) {
		buf[0] = '\0';
		return buf;
	}
	bf_addr_fmt(&m->peer.addr, a, sizeof(a));
	if (a[0] == '\0' || m->peer.type == BMP_PEER_LOC_RIB)
		snprintf(a, sizeof(a), "loc-rib");
	if (bf_rd_is_zero(m->peer.rd))
		snprintf(buf, n, " peer %s AS %" PRIu32, a, m->peer.as);
	else
		snprintf(buf, n, " peer %s RD %s AS %" PRIu32, a,
		    bf_rd_fmt(m->peer.rd, rd, sizeof(rd)), m->peer.as);
	return buf;
}

/* sysName of an Initiation; a router that sends none keeps its old one. */
static void
learn_sysname(struct bf_router *r, struct bf_cur tlvs)
{
	char name[sizeof(r->name)];

	bf_info_tlv_text(tlvs, BMP_INFO_SYSNAME, name, sizeof(name));
	if (name[0] != '\0')
		memcpy(r->name, name, sizeof(name));
}

/*
 * bf_enc_message's sink: each record of a message of ss to Kafka; a route
 * counted for bmpflow_peer_routes as the route state took it (held or
 * not), or without the route state as announced or withdrawn.
 */
static void
record_sink(const struct bf_record *r, void *arg)
{
	struct bf_session *ss = arg;
	struct bf_collector *c = ss->col;
	struct peer_entry *pe = ss->stream.peer;
	int delta;

	send_record(c, r);
	if (r == NULL || r->route == NULL)
		return;
	if (c->cfg->route_state) {
		uint32_t held = pe->routes.epoch == pe->epoch ?
		    pe->routes.n : 0;

		bf_state_route(&c->state, r);
		delta = (int)(pe->routes.n - held);
	} else
		delta = r->route->action == BGP_ANNOUNCE ? 1 : -1;
	peer_table_count(pe, bf_state_view_of(&ss->stream.msg.peer), delta);
}

/*
 * Text of the message just encoded that was not UTF-8: the metric counts
 * every such TLV; one log line per session names the first message and
 * its TLV, since a router repeats its sysName in every Initiation.
 */
static void
note_invalid_utf8(struct bf_session *ss, uint64_t before)
{
	const struct bf_encoder *e = &ss->col->enc;
	char pd[128];

	if (e->invalid_utf8 == before || ss->invalid_utf8_logged)
		return;
	ss->invalid_utf8_logged = true;
	bf_log(BF_LOG_WARN, "router %s%s: %s information TLV %s is not valid "
	    "UTF-8: published with U+FFFD for the invalid bytes (logged once "
	    "per session, bmpflow_invalid_utf8_total counts all)",
	    ss->router.addr, peer_desc(&ss->stream.msg, pd, sizeof(pd)),
	    bmp_type_name(ss->stream.msg.type), e->invalid_utf8_tlv);
}

/* RFC 7606: log every attribute problem with router, peer and offset. */
static void
log_attr_issues(struct bf_session *ss, uint64_t msg_off)
{
	const struct bgp_update *u = ss->stream.update;
	char pd[128], name[16];

	if (u->outcome == BGP_ATTR_DISCARD)
		ss->col->m.errors[BF_ERRK_ATTR_DISCARD]++;
	else if (u->outcome == BGP_TREAT_AS_WITHDRAW)
		ss->col->m.errors[BF_ERRK_TREAT_AS_WITHDRAW]++;
	if (!bf_log_enabled(BF_LOG_WARN))
		return;
	for (uint8_t i = 0; i < u->attrs.n_issues; i++) {
		const struct bgp_attr_issue *is = &u->attrs.issues[i];

		/* Report-only notes (data kept) are frequent and harmless. */
		bf_log_limited(is->action == BGP_OK ? BF_LOG_DEBUG :
		    BF_LOG_WARN, "attribute issue", ss->router.addr,
		    "router %s%s: offset %" PRIu64
		    " (BGP UPDATE byte %zu): %s %s: %s", ss->router.addr,
		    peer_desc(&ss->stream.msg, pd, sizeof(pd)), msg_off,
		    is->offset, bgp_attr_name(is->code, name, sizeof(name)),
		    is->action == BGP_TREAT_AS_WITHDRAW ? "treat-as-withdraw" :
		    is->action == BGP_ATTR_DISCARD ? "attribute-discard" :
		    "noted", is->msg);
	}
}

static void
on_msg(struct bmp_stream *s, size_t off, enum bmp_msg_result res,
    const struct bf_err *err, void *arg)
{
	struct bf_session *ss = arg;
	struct bf_collector *c = ss->col;
	const struct bmp_msg *m = &s->msg;
	uint64_t msg_off = ss->consumed + off;
	uint64_t invalid_utf8 = c->enc.invalid_utf8;
	int64_t t = ss->read_us;
	char pd[128];

	ss->router.msgs++;
	if (m->type < BMP_TYPE_MAX)
		c->m.msgs_by_type[m->type]++;
	else
		c->m.msgs_unknown_type++;
	if (c->cfg->raw)
		send_record(c, bf_enc_raw(&c->enc, &ss->router, ss->buf + off,
		    m->length, t));
	if (res == BMP_MSG_ERROR) {
		ss->router.errors++;
		c->m.errors[BF_ERRK_MESSAGE]++;
		bf_log_limited(BF_LOG_WARN, "message skipped", ss->router.addr,
		    "router %s%s: %s message at offset %" PRIu64 " skipped: "
		    "byte %zu: %s", ss->router.addr,
		    peer_desc(m, pd, sizeof(pd)), bmp_type_name(m->type),
		    msg_off, err->offset, err->msg);
		return;
	}
	if (res != BMP_MSG_OK)
		return;
	/* What the operator's log says of the message; then its records. */
	switch (m->type) {
	case BMP_ROUTE_MONITORING:
		if (s->has_update && (s->update->outcome != BGP_OK ||
		    s->update->attrs.n_issues))
			log_attr_issues(ss, msg_off);
		break;
	case BMP_PEER_UP:
	case BMP_PEER_DOWN:
		bf_log(BF_LOG_INFO, "router %s%s %s%s%s", ss->router.addr,
		    peer_desc(m, pd, sizeof(pd)), m->type == BMP_PEER_UP ?
		    "up" : "down", m->type == BMP_PEER_UP ? "" : ": ",
		    m->type == BMP_PEER_UP ? "" :
		    bmp_peer_down_reason_name(m->u.peer_down.reason));
		break;
	case BMP_INITIATION:
		learn_sysname(&ss->router, m->u.info_tlvs);
		bf_log(BF_LOG_INFO, "router %s: initiation, sysName '%s'",
		    ss->router.addr, ss->router.name);
		break;
	case BMP_TERMINATION:
		bf_log(BF_LOG_INFO, "router %s: termination", ss->router.addr);
		break;
	default:
		break;
	}
	if (c->cfg->route_state && s->peer != NULL) {
		if (s->has_update)
			bf_state_update_begin(&c->state, ss->router.addr,
			    s->peer, &m->peer);
		else
			bf_state_sync(&c->state, ss->router.addr, s->peer);
	}
	bf_enc_message(&c->enc, &ss->router, s, t, record_sink, ss);
	note_invalid_utf8(ss, invalid_utf8);
}

static void
session_closed(uv_handle_t *h)
{
	struct bf_session *ss = h->data;
	struct bf_collector *c = ss->col;

	if (ss->prev != NULL)
		ss->prev->next = ss->next;
	else
		c->sessions = ss->next;
	if (ss->next != NULL)
		ss->next->prev = ss->prev;
	c->n_sessions--;
	c->m.sessions_closed++;
	c->buffered -= ss->cap;
	if (ss->stream_ok)
		bmp_stream_free(&ss->stream);
	free(ss->buf);
	free(ss);
}

/* Close a router session with a router record saying why. */
static void
session_close(struct bf_session *ss, enum bf_close_reason kind,
    const char *reason)
{
	struct bf_collector *c = ss->col;

	if (ss->closing)
		return;
	ss->closing = true;
	c->m.closed_by[kind]++;
	bf_log(BF_LOG_INFO, "router %s disconnected: %s (%" PRIu64
	    " messages, %" PRIu64 " errors)", ss->router.addr, reason,
	    ss->router.msgs, ss->router.errors);
	/* Its peers' epochs end with it: consumers must not keep their routes. */
	if (ss->stream_ok) {
		struct peer_table *pt = &ss->stream.peers;
		int64_t t = bf_now_us();

		for (uint32_t i = 0; i < pt->count; i++) {
			if (pt->v[i].up)
				send_record(c, bf_enc_peer_closed(&c->enc,
				    &ss->router, &pt->v[i], t));
			bf_state_end(&c->state, ss->router.addr, &pt->v[i]);
		}
	}
	send_record(c, bf_enc_router(&c->enc, &ss->router,
	    BF_ROUTER_DISCONNECTED, NULL, reason, bf_now_us()));
	uv_close((uv_handle_t *)&ss->tcp, session_closed);
}

static void read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *b);

/* ss->buf's new size; buffered bytes follow it. */
static void
session_resize(struct bf_session *ss, size_t cap)
{
	uint8_t *nb = realloc(ss->buf, cap);

	if (nb == NULL)
		return;
	ss->col->buffered = ss->col->buffered - ss->cap + cap;
	ss->buf = nb;
	ss->cap = cap;
}

/*
 * Keep room for a whole read; a big message grows the buffer up to
 * max-message-size, while all sessions' buffers stay within
 * max-buffer-mbytes.  Growth refused: an empty buffer, so read_cb gets
 * UV_ENOBUFS and closes the session.
 */
static void
alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct bf_session *ss = h->data;
	struct bf_collector *c = ss->col;
	size_t limit = c->cfg->max_message + SESSION_BUF_MIN;

	(void)hint;
	if (ss->cap - ss->used < SESSION_BUF_MIN / 2 && ss->cap < limit) {
		size_t cap = ss->cap * 2 < limit ? ss->cap * 2 : limit;

		if (c->buffered + (cap - ss->cap) > c->cfg->max_buffer_bytes) {
			ss->over_budget = true;
			*b = uv_buf_init((char *)ss->buf, 0);
			return;
		}
		session_resize(ss, cap);
	}
	*b = uv_buf_init((char *)ss->buf + ss->used,
	    (unsigned)(ss->cap - ss->used));
}

/* Length the buffered message announces (0 before its header is in). */
static uint32_t
pending_length(const struct bf_session *ss)
{
	struct bf_cur cur = cur_make(ss->buf, ss->used);
	uint32_t len;

	if (cur_skip(&cur, 1) < 0 || cur_get_u32(&cur, &len) < 0)
		return 0;
	return len;
}

/* Close a session for a limit, saying which and the message it was in. */
static void
session_cut(struct bf_session *ss, enum bf_close_reason kind,
    const char *what)
{
	char why[256];

	snprintf(why, sizeof(why), "%s, inside a %" PRIu32 "-byte message at "
	    "offset %" PRIu64 " with %zu bytes of it read", what,
	    pending_length(ss), ss->consumed, ss->used);
	if (ss->used == 0)
		snprintf(why, sizeof(why), "%s", what);
	session_close(ss, kind, why);
}

static void
collector_pause(struct bf_collector *c)
{
	if (c->paused)
		return;
	c->paused = true;
	c->paused_since = uv_now(c->loop);
	c->m.backpressure_pauses++;
	bf_log(BF_LOG_DEBUG, "back-pressure: %" PRIu64 " bytes in flight, "
	    "pausing router reads", c->prod.inflight_bytes);
	for (struct bf_session *ss = c->sessions; ss; ss = ss->next)
		if (ss->reading && !ss->closing) {
			uv_read_stop((uv_stream_t *)&ss->tcp);
			ss->reading = false;
		}
}

static void
collector_resume(struct bf_collector *c)
{
	c->paused = false;
	c->m.backpressure_ms += uv_now(c->loop) - c->paused_since;
	for (struct bf_session *ss = c->sessions; ss; ss = ss->next)
		if (!ss->reading && !ss->closing) {
			/* Our pause is not theirs: their clocks restart. */
			ss->opened_ms = ss->last_read_ms = uv_now(c->loop);
			uv_read_start((uv_stream_t *)&ss->tcp, alloc_cb,
			    read_cb);
			ss->reading = true;
		}
}

static void
read_cb(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
	struct bf_session *ss = st->data;
	struct bf_collector *c = ss->col;
	struct bf_err err;
	size_t err_off = 0;
	long used;

	(void)b;
	if (n == 0)
		return;
	if (n == UV_ENOBUFS && ss->over_budget) {
		char what[160];

		snprintf(what, sizeof(what), "buffer limit: sessions hold %"
		    PRIu64 " KiB, max-buffer-mbytes is %" PRIu64,
		    c->buffered >> 10, c->cfg->max_buffer_bytes >> 20);
		session_cut(ss, BF_CLOSE_BUFFER_LIMIT, what);
		return;
	}
	if (n < 0) {
		char why[128];

		if (ss->used > 0) {
			c->m.errors[BF_ERRK_TRUNCATED]++;
			snprintf(why, sizeof(why), "connection closed inside a "
			    "message at offset %" PRIu64 " (%zu bytes unread)",
			    ss->consumed, ss->used);
			bf_log_limited(BF_LOG_WARN, "truncated message",
			    ss->router.addr, "router %s: %s", ss->router.addr,
			    why);
		} else {
			snprintf(why, sizeof(why), "%s", n == UV_EOF ?
			    "connection closed by router" : uv_strerror((int)n));
		}
		session_close(ss, BF_CLOSE_ROUTER, why);
		return;
	}
	ss->used += (size_t)n;
	ss->read_us = bf_now_us();
	ss->last_read_ms = uv_now(c->loop);
	c->m.bytes += (uint64_t)n;
	bf_err_clear(&err);
	used = bmp_stream_walk(&ss->stream, ss->buf, ss->used, on_msg, ss,
	    &err, &err_off);
	if (used < 0) {
		char why[192];

		c->m.errors[BF_ERRK_FRAMING]++;
		snprintf(why, sizeof(why), "offset %" PRIu64 ": %s",
		    ss->consumed + err_off, err.msg);
		bf_log_limited(BF_LOG_ERROR, "invalid BMP stream",
		    ss->router.addr, "router %s: invalid BMP stream, closing "
		    "session: %s", ss->router.addr, why);
		session_close(ss, BF_CLOSE_INVALID_STREAM, why);
		return;
	}
	/* Summed over sessions: each adds what it refused since last time. */
	c->m.errors[BF_ERRK_PEER_LIMIT] += ss->stream.st.peer_limit -
	    ss->peer_limit_counted;
	ss->peer_limit_counted = ss->stream.st.peer_limit;
	memmove(ss->buf, ss->buf + used, ss->used - (size_t)used);
	ss->used -= (size_t)used;
	ss->consumed += (uint64_t)used;
	/* A big message passed: give the memory back. */
	if (ss->used == 0 && ss->cap > 4 * SESSION_BUF_MIN)
		session_resize(ss, SESSION_BUF_MIN);
	/* Delivery reports free their messages while still in cache. */
	bf_producer_poll(&c->prod);
	if (bf_producer_congested(&c->prod))
		collector_pause(c);
}

static void
refused_closed(uv_handle_t *h)
{
	free(h);
}

static void
on_connection(uv_stream_t *srv, int status)
{
	struct bf_collector *c = srv->data;
	struct sockaddr_storage sa;
	struct bf_addr addr;
	struct bf_session *ss;
	int len = sizeof(sa);

	if (status < 0) {
		c->m.accept_errors++;
		bf_log_limited(BF_LOG_WARN, "accept failed", NULL,
		    "BMP listener: accept: %s", uv_strerror(status));
		return;
	}
	ss = calloc(1, sizeof(*ss));
	if (ss == NULL) {
		uv_tcp_t *t = malloc(sizeof(*t));

		/* Accept and drop, or the listener would spin. */
		if (t != NULL) {
			uv_tcp_init(c->loop, t);
			uv_accept(srv, (uv_stream_t *)t);
			uv_close((uv_handle_t *)t, refused_closed);
		}
		return;
	}
	uv_tcp_init(c->loop, &ss->tcp);
	ss->tcp.data = ss;
	ss->col = c;
	if (uv_accept(srv, (uv_stream_t *)&ss->tcp) != 0) {
		uv_close((uv_handle_t *)&ss->tcp, refused_closed);
		return;
	}
	uv_tcp_getpeername(&ss->tcp, (struct sockaddr *)&sa, &len);
	bf_admit_addr(&sa, &addr);
	bf_addr_fmt(&addr, ss->router.addr, sizeof(ss->router.addr));
	if (!bf_admit_allowed(c->cfg, &addr) || c->stopping) {
		c->m.sessions_refused_allowlist += !c->stopping;
		bf_log_limited(BF_LOG_WARN, "refused connection (allow list)",
		    ss->router.addr, "router %s refused: source address not in "
		    "the allow list", ss->router.addr);
		uv_close((uv_handle_t *)&ss->tcp, refused_closed);
		return;
	}
	if (c->n_sessions >= c->cfg->max_sessions) {
		c->m.sessions_refused_limit++;
		bf_log_limited(BF_LOG_WARN, "refused connection (max-sessions)",
		    ss->router.addr, "router %s refused: %" PRIu32 " sessions "
		    "open, max-sessions is %" PRIu32, ss->router.addr,
		    c->n_sessions, c->cfg->max_sessions);
		uv_close((uv_handle_t *)&ss->tcp, refused_closed);
		return;
	}
	if (!bf_admit_fd_left(c->fd_limit, &ss->tcp)) {
		c->m.sessions_refused_fds++;
		bf_log_limited(BF_LOG_WARN, "refused connection (fds)",
		    ss->router.addr, "router %s refused: file descriptors run "
		    "short (limit %d, %d kept for Kafka and /metrics)",
		    ss->router.addr, c->fd_limit + BF_ADMIT_FD_RESERVE,
		    BF_ADMIT_FD_RESERVE);
		uv_close((uv_handle_t *)&ss->tcp, refused_closed);
		return;
	}
	uv_tcp_keepalive(&ss->tcp, 1, KEEPALIVE_S);
	ss->opened_ms = ss->last_read_ms = uv_now(c->loop);
	ss->cap = SESSION_BUF_MIN;
	ss->read_us = bf_now_us();
	ss->buf = malloc(ss->cap);
	if (ss->buf == NULL || bmp_stream_init(&ss->stream,
	    c->cfg->max_message, c->cfg->max_peers) < 0) {
		bf_log(BF_LOG_ERROR, "router %s refused: out of memory",
		    ss->router.addr);
		free(ss->buf);
		uv_close((uv_handle_t *)&ss->tcp, refused_closed);
		return;
	}
	ss->stream_ok = true;
	c->buffered += ss->cap;
	ss->stream.peers.clock = &c->epoch_clock;
	ss->next = c->sessions;
	if (c->sessions != NULL)
		c->sessions->prev = ss;
	c->sessions = ss;
	c->n_sessions++;
	c->m.sessions_accepted++;
	bf_log(BF_LOG_INFO, "router %s connected", ss->router.addr);
	send_record(c, bf_enc_router(&c->enc, &ss->router,
	    BF_ROUTER_CONNECTED, NULL, NULL, bf_now_us()));
	if (!c->paused) {
		uv_read_start((uv_stream_t *)&ss->tcp, alloc_cb, read_cb);
		ss->reading = true;
	}
}

/*
 * Once a second: close sessions that sent no complete message within
 * initiation-timeout of connecting (RFC 7854 §4.3: the Initiation comes
 * first; captures replayed from mid-session start with another message,
 * so any whole message will do), and those inside a message that got no
 * byte for message-timeout.  A session quiet between messages stays (TCP
 * keepalive watches it); one we stopped reading is not timed.
 */
static void
on_sweep(uv_timer_t *t)
{
	struct bf_collector *c = t->data;
	const struct bf_config *cfg = c->cfg;
	uint64_t now = uv_now(c->loop);
	struct bf_session *ss, *next;
	char what[128];

	for (ss = c->sessions; ss != NULL; ss = next) {
		next = ss->next;
		if (!ss->reading || ss->closing)
			continue;
		if (ss->router.msgs == 0 &&
		    now - ss->opened_ms >= cfg->initiation_timeout_ms) {
			snprintf(what, sizeof(what), "no complete BMP message "
			    "(Initiation) %" PRIu64 " s after connecting "
			    "(initiation-timeout)",
			    (now - ss->opened_ms) / 1000);
			session_cut(ss, BF_CLOSE_INITIATION_TIMEOUT, what);
		} else if (ss->used > 0 &&
		    now - ss->last_read_ms >= cfg->message_timeout_ms) {
			snprintf(what, sizeof(what), "message stalled: no byte "
			    "for %" PRIu64 " s (message-timeout)",
			    (now - ss->last_read_ms) / 1000);
			session_cut(ss, BF_CLOSE_MESSAGE_TIMEOUT, what);
		}
	}
}

static void
on_poll(uv_timer_t *t)
{
	struct bf_collector *c = t->data;

	bf_producer_poll(&c->prod);
	bf_log_flush_suppressed(0);
	if (c->paused && bf_producer_drained(&c->prod))
		collector_resume(c);
	bf_state_drain(&c->state, false);	/* behind resumed reads */
}

static int
bind_listener(struct bf_collector *c, const char *spec, char *errbuf,
    size_t errlen)
{
	struct sockaddr_storage sa;
	uv_tcp_t *l = &c->listeners[c->n_listeners];
	int rc;

	if ((rc = bf_parse_listen(spec, &sa)) != 0) {
		snprintf(errbuf, errlen, "listen '%s': expected ADDR:PORT or "
		    "[ADDR]:PORT", spec);
		return -1;
	}
	uv_tcp_init(c->loop, l);
	l->data = c;
	if ((rc = uv_tcp_bind(l, (struct sockaddr *)&sa,
	    sa.ss_family == AF_INET6 ? UV_TCP_IPV6ONLY : 0)) != 0 ||
	    (rc = uv_listen((uv_stream_t *)l, 1024, on_connection)) != 0) {
		uv_close((uv_handle_t *)l, NULL);
		/* No IPv6 on this host: the IPv4 listener is enough. */
		if (sa.ss_family == AF_INET6 && rc == UV_EADDRNOTAVAIL) {
			bf_log(BF_LOG_WARN, "listen %s: %s (skipped)", spec,
			    uv_strerror(rc));
			return 0;
		}
		snprintf(errbuf, errlen, "listen %s: %s", spec,
		    uv_strerror(rc));
		return -1;
	}
	c->n_listeners++;
	bf_log(BF_LOG_INFO, "listening for BMP on %s", spec);
	if (c->cfg->n_allow == 0 && bf_admit_wildcard(&sa))
		bf_log(BF_LOG_WARN, "listening for BMP on %s, every address, "
		    "with no allow list: any host that reaches this port can "
		    "open a session and publish routes; set 'allow' to your "
		    "routers' prefixes", spec);
	return 0;
}

int
bf_collector_start(struct bf_collector *c, uv_loop_t *loop,
    const struct bf_config *cfg, const char *brokers, char *errbuf,
    size_t errlen)
{
	int rc;

	memset(c, 0, sizeof(*c));
	c->loop = loop;
	c->cfg = cfg;
	c->epoch_clock = (uint64_t)bf_now_us();
	/*
	 * Session buffers past 128 KiB in their own mappings, given back to
	 * the system when freed: glibc's moving threshold would put them on
	 * the heap once one was freed, and a burst of big messages left
	 * hundreds of MiB resident after its sessions closed.
	 */
	mallopt(M_MMAP_THRESHOLD, 4 * SESSION_BUF_MIN);
	c->fd_limit = bf_admit_fd_limit(cfg);
	if ((uint64_t)cfg->max_sessions * SESSION_BUF_MIN + cfg->max_message >
	    cfg->max_buffer_bytes)
		bf_log(BF_LOG_WARN, "max-buffer-mbytes %" PRIu64 " is less "
		    "than max-sessions' %" PRIu32 " KiB buffers and one "
		    "max-message-size message: sessions receiving big messages "
		    "may be closed", cfg->max_buffer_bytes >> 20,
		    cfg->max_sessions * (SESSION_BUF_MIN >> 10));
	if (bf_encoder_init(&c->enc, cfg->schema_dir, errbuf, errlen) < 0)
		return -1;
	if (bf_topics_formats(&c->enc, cfg, errbuf, errlen) < 0) {
		bf_encoder_free(&c->enc);
		return -1;
	}
	if (bf_producer_init(&c->prod, cfg, brokers, errbuf, errlen) < 0) {
		bf_encoder_free(&c->enc);
		return -1;
	}
	c->state.prod = &c->prod;
	for (int i = 0; i < cfg->n_listen; i++)
		if (bind_listener(c, cfg->listen[i], errbuf, errlen) < 0)
			goto fail;
	if (cfg->metrics[0] != '\0') {
		rc = bf_metrics_http_start(&c->http, loop, cfg->metrics,
		    bf_collector_metrics, c);
		if (rc != 0) {
			snprintf(errbuf, errlen, "metrics %s: %s", cfg->metrics,
			    uv_strerror(rc));
			goto fail;
		}
		c->http_on = true;
		bf_log(BF_LOG_INFO, "metrics on http://%s/metrics",
		    cfg->metrics);
	}
	uv_timer_init(loop, &c->poll_timer);
	c->poll_timer.data = c;
	uv_timer_start(&c->poll_timer, on_poll, POLL_MS, POLL_MS);
	uv_timer_init(loop, &c->sweep_timer);
	c->sweep_timer.data = c;
	uv_timer_start(&c->sweep_timer, on_sweep, SWEEP_MS, SWEEP_MS);
	return 0;
fail:
	bf_collector_stop(c);
	uv_run(loop, UV_RUN_DEFAULT);
	bf_collector_free(c);
	return -1;
}

void
bf_collector_stop(struct bf_collector *c)
{
	if (c->stopping)
		return;
	c->stopping = true;
	for (int i = 0; i < c->n_listeners; i++)
		uv_close((uv_handle_t *)&c->listeners[i], NULL);
	for (struct bf_session *ss = c->sessions; ss; ss = ss->next)
		session_close(ss, BF_CLOSE_SHUTDOWN, "collector shutting down");
	if (c->http_on)
		bf_metrics_http_stop(&c->http);
	if (uv_is_active((uv_handle_t *)&c->poll_timer) ||
	    c->poll_timer.data != NULL) {
		uv_timer_stop(&c->poll_timer);
		uv_close((uv_handle_t *)&c->poll_timer, NULL);
	}
	if (c->sweep_timer.data != NULL)
		uv_close((uv_handle_t *)&c->sweep_timer, NULL);
}

uint64_t
bf_collector_drain(struct bf_collector *c, int timeout_ms)
{
	bf_state_drain(&c->state, true);
	return bf_producer_flush(&c->prod, timeout_ms);
}

void
bf_collector_free(struct bf_collector *c)
{
	bf_state_free(&c->state);
	bf_producer_free(&c->prod);
	bf_encoder_free(&c->enc);
}
