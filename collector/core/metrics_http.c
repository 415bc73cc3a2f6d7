/*
 * metrics_http.c: /metrics over HTTP/1.0 on libuv.
 */
#include "metrics_http.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/opttab.h"

#define REQ_MAX	4096

struct http_conn {
	uv_tcp_t		 tcp;
	struct bf_metrics_http	*srv;
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

	c->srv->open_conns--;
	free(c->resp);
	free(c);
}

static void
written(uv_write_t *w, int status)
{
	struct http_conn *c = w->data;

	(void)status;
	uv_close((uv_handle_t *)&c->tcp, conn_closed);
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

	c->resp = malloc((size_t)h + body_len);
	if (c->resp == NULL) {
		uv_close((uv_handle_t *)&c->tcp, conn_closed);
		return;
	}
	memcpy(c->resp, hdr, (size_t)h);
	memcpy(c->resp + h, body, body_len);
	c->resp_len = (size_t)h + body_len;
	b = uv_buf_init(c->resp, (unsigned)c->resp_len);
	c->wr.data = c;
	uv_read_stop((uv_stream_t *)&c->tcp);
	if (uv_write(&c->wr, (uv_stream_t *)&c->tcp, &b, 1, written) != 0)
		uv_close((uv_handle_t *)&c->tcp, conn_closed);
}

static void
serve(struct http_conn *c)
{
	char *body = NULL;
	size_t len = 0;
	FILE *f;

	if (strncmp(c->req, "GET /metrics ", 13) != 0 &&
	    strncmp(c->req, "GET /metrics\r", 13) != 0) {
		static const char nf[] = "not found: try /metrics\n";

		respond(c, "404 Not Found", nf, sizeof(nf) - 1);
		return;
	}
	f = open_memstream(&body, &len);
	if (f == NULL) {
		uv_close((uv_handle_t *)&c->tcp, conn_closed);
		return;
	}
	c->srv->render(f, c->srv->arg);
	fclose(f);
	respond(c, "200 OK", body, len);
	free(body);
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
		uv_close((uv_handle_t *)&c->tcp, conn_closed);
		return;
	}
	c->used += (size_t)n;
	c->req[c->used] = '\0';
	if (strstr(c->req, "\r\n\r\n") != NULL || strstr(c->req, "\n\n"))
		serve(c);
	else if (c->used >= REQ_MAX - 1)
		respond(c, "400 Bad Request", "", 0);
}

static void
on_conn(uv_stream_t *srv, int status)
{
	struct bf_metrics_http *m = srv->data;
	struct http_conn *c;

	if (status < 0 || (c = calloc(1, sizeof(*c))) == NULL)
		return;
	c->srv = m;
	uv_tcp_init(srv->loop, &c->tcp);
	c->tcp.data = c;
	m->open_conns++;
	if (uv_accept(srv, (uv_stream_t *)&c->tcp) != 0 ||
	    uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb) != 0)
		uv_close((uv_handle_t *)&c->tcp, conn_closed);
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
	return 0;
}

void
bf_metrics_http_stop(struct bf_metrics_http *m)
{
	if (!uv_is_closing((uv_handle_t *)&m->tcp))
		uv_close((uv_handle_t *)&m->tcp, NULL);
}
