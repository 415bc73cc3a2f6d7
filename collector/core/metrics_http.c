/* SPDX-License-Identifier: Apache-2.0 */
/*
 * metrics_http.c: /metrics over HTTP/1.0 on libuv.
 */
#include "metrics_http.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/opttab.h"

#define REQ_MAX		4096
#define SWEEP_MS	1000

struct http_conn {
	uv_tcp_t		 tcp;
	struct bf_metrics_http	*srv;
	struct http_conn	*prev, *next;
	uint64_t		 opened_ms;	/* loop time of the accept */
	bool			 answering;	/* request read, response queued */
	char			 req[REQ_MAX];
	size_t			 used;
	uv_write_t		 wr;
	char			*resp;
	size_t			 resp_len;
};

void
bf_metric_family(FILE *f, const char *name, const char *type,
    const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
sample_name(FILE *f, const char *name, const char *labels)
{
	if (labels != NULL)
		fprintf(f, "%s{%s} ", name, labels);
	else
		fprintf(f, "%s ", name);
}

void
bf_metric_u64(FILE *f, const char *name, const char *labels, uint64_t v)
{
	sample_name(f, name, labels);
	fprintf(f, "%" PRIu64 "\n", v);
}

/* %.17g: a double read back is the same double (a count stays exact). */
void
bf_metric_f64(FILE *f, const char *name, const char *labels, double v)
{
	sample_name(f, name, labels);
	fprintf(f, "%.17g\n", v);
}

void
bf_metric(FILE *f, const char *name, const char *type, const char *help,
    double v)
{
	bf_metric_family(f, name, type, help);
	bf_metric_f64(f, name, NULL, v);
}

void
bf_metric_rows(FILE *f, const struct bf_metric_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		bf_metric(f, rows[i].name, rows[i].type, rows[i].help,
		    rows[i].v);
}

void
bf_metric_by(FILE *f, const char *name, const char *type, const char *help,
    const char *key, const char *const *values, const uint64_t *counts,
    size_t n)
{
	bf_metric_family(f, name, type, help);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s{%s=\"%s\"} %" PRIu64 "\n", name, key, values[i],
		    counts[i]);
}

int
bf_parse_listen(const char *s, struct sockaddr_storage *out)
{
	char host[256];
	unsigned port;

	if (bf_hostport_split(s, host, sizeof(host), &port) < 0)
		return UV_EINVAL;
	if (host[0] == '\0')
		snprintf(host, sizeof(host), "0.0.0.0");
	memset(out, 0, sizeof(*out));
	if (uv_ip4_addr(host, (int)port, (struct sockaddr_in *)out) == 0)
		return 0;
	if (uv_ip6_addr(host, (int)port, (struct sockaddr_in6 *)out) == 0)
		return 0;
	return UV_EINVAL;
}

static void
conn_closed(uv_handle_t *h)
{
	struct http_conn *c = h->data;

	free(c->resp);
	free(c);
}

/*
 * Off the open list and closed; its descriptor is released now, the
 * memory in conn_closed.  A queued write ends with UV_ECANCELED.
 */
static void
conn_close(struct http_conn *c)
{
	struct bf_metrics_http *m = c->srv;

	if (uv_is_closing((uv_handle_t *)&c->tcp))
		return;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		m->head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	else
		m->tail = c->prev;
	m->open_conns--;
	uv_close((uv_handle_t *)&c->tcp, conn_closed);
}

static void
written(uv_write_t *w, int status)
{
	(void)status;
	conn_close(w->data);
}

static void
respond(struct http_conn *c, const char *status, const char *body,
    size_t body_len)
{
	char hdr[256];
	int h = snprintf(hdr, sizeof(hdr), "HTTP/1.0 %s\r\nContent-Type: "
	    "text/plain; version=0.0.4\r\nContent-Length: %zu\r\n"
	    "Connection: close\r\n\r\n", status, body_len);
	uv_buf_t b;

	c->answering = true;
	uv_read_stop((uv_stream_t *)&c->tcp);
	c->resp = malloc((size_t)h + body_len);
	if (c->resp == NULL) {
		conn_close(c);
		return;
	}
	memcpy(c->resp, hdr, (size_t)h);
	memcpy(c->resp + h, body, body_len);
	c->resp_len = (size_t)h + body_len;
	b = uv_buf_init(c->resp, (unsigned)c->resp_len);
	c->wr.data = c;
	if (uv_write(&c->wr, (uv_stream_t *)&c->tcp, &b, 1, written) != 0)
		conn_close(c);
}

/* Whether request line req is "GET path" (then a space or the line end). */
static bool
is_path(const char *req, const char *path)
{
	size_t n = strlen(path);

	return strncmp(req, "GET ", 4) == 0 && strncmp(req + 4, path, n) ==
	    0 && (req[4 + n] == ' ' || req[4 + n] == '\r' ||
	    req[4 + n] == '\n');
}

static void
serve(struct http_conn *c)
{
	char *body = NULL;
	size_t len = 0;
	FILE *f;

	/* Liveness: this answer comes from the program's own event loop. */
	if (is_path(c->req, "/healthz")) {
		static const char ok[] = "ok\n";

		respond(c, "200 OK", ok, sizeof(ok) - 1);
		return;
	}
	if (!is_path(c->req, "/metrics")) {
		static const char nf[] = "not found: try /metrics or "
		    "/healthz\n";

		respond(c, "404 Not Found", nf, sizeof(nf) - 1);
		return;
	}
	f = open_memstream(&body, &len);
	if (f == NULL) {
		conn_close(c);
		return;
	}
	c->srv->render(f, c->srv->arg);
	fclose(f);
	respond(c, "200 OK", body, len);
	free(body);
}

enum req_state { REQ_PARTIAL, REQ_COMPLETE, REQ_BAD };

/*
 * What the bytes read so far are: a request begins with an upper-case
 * method and a space, holds printable text, tabs and line ends only, and
 * ends with an empty line.  NUL bytes or a binary protocol are refused at
 * once instead of waiting for an end that never comes.
 */
static enum req_state
req_state(const struct http_conn *c)
{
	size_t i;

	for (i = 0; i < c->used && c->req[i] != ' '; i++)
		if (c->req[i] < 'A' || c->req[i] > 'Z')
			return REQ_BAD;
	if (i == 0 && c->used > 0)
		return REQ_BAD;
	for (i = 0; i < c->used; i++) {
		unsigned char ch = (unsigned char)c->req[i];

		if ((ch < 0x20 && ch != '\r' && ch != '\n' && ch != '\t') ||
		    ch == 0x7f)
			return REQ_BAD;
	}
	if (strstr(c->req, "\r\n\r\n") != NULL || strstr(c->req, "\n\n"))
		return REQ_COMPLETE;
	return c->used >= REQ_MAX - 1 ? REQ_BAD : REQ_PARTIAL;
}

static void
alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct http_conn *c = h->data;

	(void)hint;
	*b = uv_buf_init(c->req + c->used, (unsigned)(REQ_MAX - 1 - c->used));
}

static void
read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct http_conn *c = s->data;

	(void)b;
	if (n < 0) {
		conn_close(c);
		return;
	}
	c->used += (size_t)n;
	c->req[c->used] = '\0';
	switch (req_state(c)) {
	case REQ_COMPLETE:
		serve(c);
		break;
	case REQ_BAD:
		c->srv->bad_requests++;
		bf_log(BF_LOG_DEBUG, "metrics: not an HTTP request (%zu "
		    "bytes), answered 400", c->used);
		respond(c, "400 Bad Request", "", 0);
		break;
	case REQ_PARTIAL:
		break;
	}
}

/* At the cap: close the oldest client still sending its request. */
static bool
make_room(struct bf_metrics_http *m)
{
	for (struct http_conn *c = m->head; c != NULL; c = c->next)
		if (!c->answering) {
			m->evicted++;
			bf_log(BF_LOG_DEBUG, "metrics: %d clients open, "
			    "closing the oldest waiting one", m->open_conns);
			conn_close(c);
			return true;
		}
	bf_log(BF_LOG_DEBUG, "metrics: %d clients open, all being answered: "
	    "new client closed", m->open_conns);
	m->evicted++;
	return false;
}

static void
on_conn(uv_stream_t *srv, int status)
{
	struct bf_metrics_http *m = srv->data;
	struct http_conn *c;

	if (status < 0) {
		m->accept_errors++;
		bf_log_limited(BF_LOG_WARN, "metrics accept failed", NULL,
		    "metrics: accept: %s", uv_strerror(status));
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return;
	c->srv = m;
	uv_tcp_init(srv->loop, &c->tcp);
	c->tcp.data = c;
	if (uv_accept(srv, (uv_stream_t *)&c->tcp) != 0 ||
	    (m->open_conns >= BF_METRICS_MAX_CONNS && !make_room(m))) {
		/* Not on the open list yet. */
		uv_close((uv_handle_t *)&c->tcp, conn_closed);
		return;
	}
	c->opened_ms = uv_now(srv->loop);
	c->prev = m->tail;
	if (m->tail != NULL)
		m->tail->next = c;
	else
		m->head = c;
	m->tail = c;
	m->open_conns++;
	if (uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb) != 0)
		conn_close(c);
}

/* Clients open too long, answered or not: a scrape takes milliseconds. */
static void
on_sweep(uv_timer_t *t)
{
	struct bf_metrics_http *m = t->data;
	uint64_t now = uv_now(t->loop);
	struct http_conn *c, *next;

	for (c = m->head; c != NULL; c = next) {
		next = c->next;
		if (now - c->opened_ms < BF_METRICS_TIMEOUT_MS)
			break;		/* the list is oldest first */
		m->timed_out++;
		bf_log(BF_LOG_DEBUG, "metrics: client open %" PRIu64 " ms, "
		    "closed", now - c->opened_ms);
		conn_close(c);
	}
}

int
bf_metrics_http_start(struct bf_metrics_http *m, uv_loop_t *loop,
    const char *listen, bf_metrics_render render, void *arg)
{
	struct sockaddr_storage sa;
	int rc;

	memset(m, 0, sizeof(*m));
	m->render = render;
	m->arg = arg;
	if ((rc = bf_parse_listen(listen, &sa)) != 0)
		return rc;
	uv_tcp_init(loop, &m->tcp);
	m->tcp.data = m;
	if ((rc = uv_tcp_bind(&m->tcp, (struct sockaddr *)&sa, 0)) != 0 ||
	    (rc = uv_listen((uv_stream_t *)&m->tcp, 64, on_conn)) != 0) {
		uv_close((uv_handle_t *)&m->tcp, NULL);
		return rc;
	}
	uv_timer_init(loop, &m->sweep);
	m->sweep.data = m;
	uv_timer_start(&m->sweep, on_sweep, SWEEP_MS, SWEEP_MS);
	return 0;
}

void
bf_metrics_http_stop(struct bf_metrics_http *m)
{
	if (uv_is_closing((uv_handle_t *)&m->tcp))
		return;
	uv_close((uv_handle_t *)&m->tcp, NULL);
	uv_close((uv_handle_t *)&m->sweep, NULL);
	while (m->head != NULL)
		conn_close(m->head);
}

void
bf_metrics_http_render(FILE *f, const struct bf_metrics_http *m,
    const char *program)
{
	static const char *const reasons[] = { "evicted", "timeout",
	    "bad_request" };
	const uint64_t by_reason[] = { m->evicted, m->timed_out,
	    m->bad_requests };
	char labels[160];

	snprintf(labels, sizeof(labels), "program=\"%s\",version=\"%s\"",
	    program, BMPFLOW_VERSION);
	bf_metric_family(f, "bmpflow_build_info", "gauge",
	    "The program and version serving this page (always 1).");
	bf_metric_u64(f, "bmpflow_build_info", labels, 1);
	bf_metric(f, "bmpflow_metrics_clients", "gauge",
	    "Clients of this /metrics endpoint open.", (double)m->open_conns);
	bf_metric_by(f, "bmpflow_metrics_clients_closed_total", "counter",
	    "/metrics clients closed before a normal answer, by reason.",
	    "reason", reasons, by_reason, 3);
	bf_metric(f, "bmpflow_metrics_accept_errors_total", "counter",
	    "Accepts of the /metrics listener that failed.",
	    (double)m->accept_errors);
}
