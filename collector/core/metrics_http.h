/* SPDX-License-Identifier: Apache-2.0 */
/*
 * metrics_http.h: Prometheus metrics for every bmpflow program: the text
 * exposition format (one writer: HELP and TYPE once per family, samples
 * with optional labels, counters printed exactly) and a minimal HTTP/1.0
 * server for scrapes.  GET /metrics answers with the text the render
 * callback writes, GET /healthz "ok" (the event loop is serving); any
 * other path gets 404, bytes that are not an HTTP request 400.  One
 * request per connection.
 *
 * Limits (idle clients must not hold file descriptors the routers need):
 * at most BF_METRICS_MAX_CONNS connections, a new one closing the oldest
 * still waiting for its request; every connection closed once open for
 * BF_METRICS_TIMEOUT_MS, answered or not.
 */
#ifndef BF_METRICS_HTTP_H
#define BF_METRICS_HTTP_H

#include <stdint.h>
#include <stdio.h>

#include <uv.h>

/* A family's "# HELP" and "# TYPE" lines (type: counter, gauge, ...). */
void	bf_metric_family(FILE *f, const char *name, const char *type,
	    const char *help);
/* One sample; labels NULL or 'key="value",...' without braces. */
void	bf_metric_u64(FILE *f, const char *name, const char *labels,
	    uint64_t v);
void	bf_metric_f64(FILE *f, const char *name, const char *labels,
	    double v);
/*
 * A family of one sample per value of one label:
 * name{key="values[i]"} counts[i], for i < n.
 */
void	bf_metric_by(FILE *f, const char *name, const char *type,
	    const char *help, const char *key, const char *const *values,
	    const uint64_t *counts, size_t n);
/* A family of one unlabelled sample. */
void	bf_metric(FILE *f, const char *name, const char *type,
	    const char *help, double v);

/* Families of one unlabelled sample each, as a table of rows. */
struct bf_metric_row {
	const char	*name, *type, *help;
	double		 v;
};
void	bf_metric_rows(FILE *f, const struct bf_metric_row *rows, size_t n);

typedef void (*bf_metrics_render)(FILE *out, void *arg);

#define BF_METRICS_MAX_CONNS	16
#define BF_METRICS_TIMEOUT_MS	10000

struct http_conn;

struct bf_metrics_http {
	uv_tcp_t		 tcp;
	uv_timer_t		 sweep;		/* closes timed-out clients */
	bf_metrics_render	 render;
	void			*arg;
	struct http_conn	*head, *tail;	/* open, oldest first */
	int			 open_conns;
	uint64_t		 evicted;	/* closed for a newer client */
	uint64_t		 timed_out;
	uint64_t		 bad_requests;	/* answered 400 */
	uint64_t		 accept_errors;
};

/* Listen on "ADDR:PORT" ("[v6]:PORT").  Returns 0 or a libuv error code. */
int	bf_metrics_http_start(struct bf_metrics_http *m, uv_loop_t *loop,
	    const char *listen, bf_metrics_render render, void *arg);
/* Close the listener, the timer and every open client. */
void	bf_metrics_http_stop(struct bf_metrics_http *m);
/*
 * The endpoint's own counters and bmpflow_build_info{program,version},
 * for the program's /metrics page.
 */
void	bf_metrics_http_render(FILE *f, const struct bf_metrics_http *m,
	    const char *program);

/* Parse "ADDR:PORT" / "[ADDR]:PORT" into a sockaddr; 0 or a UV_E* code. */
int	bf_parse_listen(const char *s, struct sockaddr_storage *out);

#endif /* BF_METRICS_HTTP_H */
