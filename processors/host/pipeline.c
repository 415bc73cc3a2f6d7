/*
 * pipeline.c: decode → session and epoch rule → plugin, timing the plugin.
 */
#include "pipeline.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int
bf_pipeline_init(struct bf_pipeline *pl, const struct bf_plugin *plugin,
    const char *schema_dir, const char *views, char *err, size_t errlen)
{
	memset(pl, 0, sizeof(*pl));
	pl->plugin = plugin;
	if (bf_sessions_init(&pl->sessions, views, err, errlen) < 0)
		return -1;
	if (bf_records_in_init(&pl->in, schema_dir, err, errlen) < 0) {
		bf_sessions_free(&pl->sessions);
		return -1;
	}
	return 0;
}

void
bf_pipeline_free(struct bf_pipeline *pl)
{
	bf_records_in_free(&pl->in);
	bf_sessions_free(&pl->sessions);
}

/* A new epoch of s, opened by a record read before its Peer Up. */
static void
open_from_record(struct bf_pipeline *pl, const struct bf_sess *s,
    uint64_t epoch, int64_t bmp_us, int64_t rx_us)
{
	struct bf_session_event up = {
		.session = &s->pub, .kind = BF_SESSION_UP, .epoch = epoch,
		.reset = true, .bmp_time_us = bmp_us, .collector_time_us = rx_us,
	};

	pl->plugin->on_session(pl->state, &up);
}

/* View v of router of s is no longer delivered: end it where it was. */
static void
end_view(struct bf_pipeline *pl, const struct bf_sess *s, enum bf_view v,
    int64_t rx_us)
{
	struct bf_sessions *t = &pl->sessions;

	for (uint32_t i = 0; i < t->n; i++) {
		struct bf_sess *o = t->v[i];
		struct bf_session_event e = {
			.session = &o->pub, .kind = BF_SESSION_VIEW_END,
			.epoch = o->epoch, .view = v,
			.collector_time_us = rx_us,
		};

		if (o->router == s->router && bf_sessions_take_view(o, v))
			pl->plugin->on_session(pl->state, &e);
	}
}

/* Whether End-of-RIB of view v concerns the plugin: a view delivered. */
static bool
eor_wanted(const struct bf_sessions *t, const struct bf_sess *s,
    enum bf_view v)
{
	int8_t chosen = t->routers[s->router].chosen;

	if (t->n_prefs == 0)
		return true;
	if (chosen >= 0)
		return chosen == (int8_t)v;
	/* Before any route of the router: a view it may choose. */
	return memchr(t->prefs, v, t->n_prefs) != NULL;
}

static void
session_record(struct bf_pipeline *pl, struct bf_sess *s)
{
	struct bf_session_event *e = &pl->in.peer;
	enum bf_sess_verdict v;

	e->session = &s->pub;
	switch (e->kind) {
	case BF_SESSION_UP:
		v = bf_sessions_up(&pl->sessions, s, e->epoch);
		e->reset = v == BF_SESS_OPEN;
		break;
	case BF_SESSION_DOWN:
		v = bf_sessions_down(&pl->sessions, s, e->epoch);
		break;
	default:		/* End-of-RIB */
		v = bf_sessions_record(&pl->sessions, s, e->epoch);
		if (v == BF_SESS_OPEN)
			open_from_record(pl, s, e->epoch, e->bmp_time_us,
			    e->collector_time_us);
		if (v != BF_SESS_STALE && !eor_wanted(&pl->sessions, s,
		    e->view))
			v = BF_SESS_REPEAT;
		break;
	}
	if (v == BF_SESS_OPEN || v == BF_SESS_DELIVER)
		pl->plugin->on_session(pl->state, e);
}

static void
route_record(struct bf_pipeline *pl, struct bf_sess *s, int32_t partition)
{
	struct bf_route *r = &pl->in.route;
	int ended;

	r->session = &s->pub;
	r->partition = partition;
	switch (bf_sessions_record(&pl->sessions, s, r->epoch)) {
	case BF_SESS_STALE:
	case BF_SESS_REPEAT:
		return;
	case BF_SESS_OPEN:
		open_from_record(pl, s, r->epoch, r->bmp_time_us,
		    r->collector_time_us);
		break;
	case BF_SESS_DELIVER:
		break;
	}
	if (!bf_sessions_view(&pl->sessions, s, r->view, &ended))
		return;
	if (ended >= 0)
		end_view(pl, s, (enum bf_view)ended, r->collector_time_us);
	pl->plugin->on_route(pl->state, r);
}

int
bf_pipeline_record(struct bf_pipeline *pl, const uint8_t *value, size_t len,
    int32_t partition, char *err, size_t errlen)
{
	struct bf_records_in *in = &pl->in;
	int kind = bf_records_in_decode(in, value, len, err, errlen);
	struct bf_sess *s;
	uint64_t t0;

	pl->records++;
	if (kind < 0) {
		pl->bad++;
		return -1;
	}
	t0 = mono_ns();
	s = bf_sessions_get(&pl->sessions, in->sess.router, in->sess.peer_type,
	    in->sess.peer, in->sess.peer_rd, in->sess.peer_as);
	if (s == NULL) {
		snprintf(err, errlen, "out of memory for a session");
		pl->bad++;
		return -1;
	}
	if (kind == BF_IN_PEER)
		session_record(pl, s);
	else
		route_record(pl, s, partition);
	pl->plugin_ns += mono_ns() - t0;
	pl->plugin_calls++;
	return kind;
}
