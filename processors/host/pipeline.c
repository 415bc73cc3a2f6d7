/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pipeline.c: decode → session and epoch rule → plugin, timing the plugin.
 *
 * A router sends its RIB dump right behind the Peer Up, and bmp.route and
 * bmp.peer are read apart: a session's first routes are often read before
 * its Peer Up, whose OPENs (BGP Roles) decide how a plugin judges them.
 * So the records of an epoch whose Peer Up has not been read are held, up
 * to peer_up_wait_us (the collector sends a Peer Up for every epoch, its
 * own when the router sent none) and pending_max_bytes in all, and given
 * to the plugin right behind the UP when it comes; after the wait, the
 * plugin gets an UP without OPENs and the records, and the Peer Up when
 * it comes.
 */
#include "pipeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"

/* One record in this many is timed for plugin_ns (pipeline.h). */
#define PLUGIN_TIME_EVERY	16

/* A record held for its session's Peer Up: its Kafka value, verbatim. */
struct bf_pending {
	struct bf_pending	*next;
	int32_t			 partition;
	size_t			 len;
	uint8_t			 value[];
};

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
	pl->peer_up_wait_us = BF_PEER_UP_WAIT_MS * 1000;
	pl->pending_max_bytes = BF_PENDING_MAX_BYTES;
	if (bf_sessions_init(&pl->sessions, views, err, errlen) < 0)
		return -1;
	if (bf_records_in_init(&pl->in, schema_dir, err, errlen) < 0) {
		bf_sessions_free(&pl->sessions);
		return -1;
	}
	return 0;
}

/* The records s holds, taken off it (NULL: none), oldest first. */
static struct bf_pending *
pending_take(struct bf_pipeline *pl, struct bf_sess *s)
{
	struct bf_pending *r = s->pending;

	if (r != NULL)
		pl->pending_sessions--;
	s->pending = s->pending_last = NULL;
	return r;
}

/* One held record is gone (given to the plugin or forgotten). */
static void
pending_done(struct bf_pipeline *pl, struct bf_pending *r)
{
	pl->pending_records--;
	pl->pending_bytes -= r->len;
	free(r);
}

/* Forget the records s holds; each counted stale when stale is set. */
static void
pending_free(struct bf_pipeline *pl, struct bf_sess *s, bool stale)
{
	struct bf_pending *r, *next;

	for (r = pending_take(pl, s); r != NULL; r = next) {
		next = r->next;
		pl->sessions.stale += stale;
		pending_done(pl, r);
	}
}

void
bf_pipeline_free(struct bf_pipeline *pl)
{
	for (uint32_t i = 0; i < pl->sessions.n; i++)
		pending_free(pl, pl->sessions.v[i], false);
	bf_records_in_free(&pl->in);
	bf_sessions_free(&pl->sessions);
}

/* The plugin learns epoch of s is open, from a Peer Up or without one. */
static void
tell_up(struct bf_pipeline *pl, struct bf_sess *s,
    struct bf_session_event *up)
{
	up->session = &s->pub;
	up->kind = BF_SESSION_UP;
	up->epoch = s->epoch;
	up->reset = !s->told;
	s->told = true;
	pl->plugin->on_session(pl->state, up);
}

/* View v of s in partition part (-1: all) is no longer delivered. */
static void
end_view(struct bf_pipeline *pl, struct bf_sess *s, enum bf_view v,
    int32_t part, int route_class, int64_t rx_us)
{
	struct bf_session_event e = {
		.session = &s->pub, .kind = BF_SESSION_VIEW_END,
		.epoch = s->epoch, .view = v, .partition = part,
		.route_class = (int8_t)route_class, .collector_time_us = rx_us,
	};

	/* A class of the Loc-RIB ends; the view goes on for the others. */
	if (route_class >= 0 ? s->told : bf_sessions_take_view(s, v, part))
		pl->plugin->on_session(pl->state, &e);
}

/* Routes of route_class of the Loc-RIB of the instance of s end. */
static void
end_loc_rib(struct bf_pipeline *pl, const struct bf_sess *s,
    int route_class, int64_t rx_us)
{
	struct bf_sessions *t = &pl->sessions;

	for (uint32_t i = 0; i < t->n; i++)
		if (t->v[i]->inst == s->inst && t->v[i]->pub.peer_type ==
		    BF_PEER_TYPE_LOC_RIB)
			end_view(pl, t->v[i], BF_VIEW_LOC_RIB, -1,
			    route_class, rx_us);
}

/* Hold a record of s until its Peer Up; false when out of memory. */
static bool
hold(struct bf_pipeline *pl, struct bf_sess *s, const uint8_t *value,
    size_t len, int32_t partition)
{
	struct bf_pending *r = malloc(sizeof(*r) + len);

	if (r == NULL)
		return false;
	r->next = NULL;
	r->partition = partition;
	r->len = len;
	memcpy(r->value, value, len);
	if (s->pending == NULL) {
		s->pending = r;
		s->pending_since = bf_now_us();
		pl->pending_sessions++;
	} else
		s->pending_last->next = r;
	s->pending_last = r;
	pl->pending_records++;
	pl->pending_bytes += len;
	pl->held_total++;
	return true;
}

static void	deliver(struct bf_pipeline *pl, struct bf_sess *s,
		    int32_t partition);

/* The records s holds, to the plugin (which has the session's UP). */
static void
release(struct bf_pipeline *pl, struct bf_sess *s)
{
	struct bf_pending *r, *next;
	char err[256];

	for (r = pending_take(pl, s); r != NULL; r = next) {
		next = r->next;
		if (bf_records_in_decode(&pl->in, r->value, r->len, err,
		    sizeof(err)) >= 0)
			deliver(pl, s, r->partition);
		pending_done(pl, r);
	}
}

/*
 * The plugin gets s without its Peer Up (the wait is over, or a Peer
 * Down or nothing to hold with comes first): UP without OPENs, then the
 * records held.
 */
static void
give_up_waiting(struct bf_pipeline *pl, struct bf_sess *s)
{
	struct bf_session_event up = { .bmp_time_us = 0 };

	tell_up(pl, s, &up);
	release(pl, s);
}

/* A route or End-of-RIB of the open epoch of s, decoded in pl->in. */
static void
deliver(struct bf_pipeline *pl, struct bf_sess *s, int32_t partition)
{
	struct bf_route *r = &pl->in.route;
	struct bf_session_event *e = &pl->in.peer;
	bool loc_rib_ended;
	int ended, cls;

	if (pl->in.kind == BF_IN_PEER) {
		e->session = &s->pub;
		if (bf_sessions_view_wanted(&pl->sessions, e->view))
			pl->plugin->on_session(pl->state, e);
		return;
	}
	r->session = &s->pub;
	r->partition = partition;
	cls = bf_route_class(r->family, r->rd != NULL);
	if (!bf_sessions_view(&pl->sessions, s, r->view, partition, cls,
	    &ended, &loc_rib_ended))
		return;
	if (ended >= 0)
		end_view(pl, s, (enum bf_view)ended, partition, -1,
		    r->collector_time_us);
	if (loc_rib_ended)
		end_loc_rib(pl, s, cls, r->collector_time_us);
	pl->plugin->on_route(pl->state, r);
}

/*
 * Decode value again into pl->in: releasing held records reused it.  The
 * record decoded before, so it does again.
 */
static void
redecode(struct bf_pipeline *pl, const uint8_t *value, size_t len)
{
	char err[256];

	(void)bf_records_in_decode(&pl->in, value, len, err, sizeof(err));
}

/* A route or End-of-RIB record: the epoch rule, held or delivered. */
static void
epoch_record(struct bf_pipeline *pl, struct bf_sess *s, uint64_t epoch,
    const uint8_t *value, size_t len, int32_t partition)
{
	switch (bf_sessions_record(&pl->sessions, s, epoch)) {
	case BF_SESS_STALE:
	case BF_SESS_REPEAT:
		return;
	case BF_SESS_OPEN:
		/* Held records of the epoch before are of a closed one. */
		pending_free(pl, s, true);
		break;
	case BF_SESS_DELIVER:
		break;
	}
	/* No Peer Up comes for epoch 0. */
	if (!s->told && epoch > 0 && pl->peer_up_wait_us > 0 &&
	    hold(pl, s, value, len, partition))
		return;
	if (!s->told) {
		give_up_waiting(pl, s);
		redecode(pl, value, len);
	}
	deliver(pl, s, partition);
}

static void
session_record(struct bf_pipeline *pl, struct bf_sess *s,
    const uint8_t *value, size_t len)
{
	struct bf_session_event *e = &pl->in.peer;

	e->session = &s->pub;
	if (e->kind == BF_SESSION_UP) {
		switch (bf_sessions_up(&pl->sessions, s, e->epoch)) {
		case BF_SESS_OPEN:
			pending_free(pl, s, true);
			/* FALLTHROUGH */
		case BF_SESS_DELIVER:
			tell_up(pl, s, e);
			release(pl, s);
			break;
		default:
			break;
		}
		return;
	}
	/* A Peer Down: what the session holds goes first, as it came. */
	if (!s->told && s->pending != NULL && e->epoch >= s->epoch) {
		give_up_waiting(pl, s);
		redecode(pl, value, len);
		e->session = &s->pub;
	}
	if (bf_sessions_down(&pl->sessions, s, e->epoch) == BF_SESS_DELIVER)
		pl->plugin->on_session(pl->state, e);
}

void
bf_pipeline_poll(struct bf_pipeline *pl, int64_t now_us)
{
	struct bf_sessions *t = &pl->sessions;

	if (pl->pending_sessions == 0)
		return;
	for (uint32_t i = 0; i < t->n && pl->pending_sessions > 0; i++) {
		struct bf_sess *s = t->v[i];

		if (s->pending != NULL && (now_us - s->pending_since >=
		    pl->peer_up_wait_us ||
		    pl->pending_bytes > pl->pending_max_bytes)) {
			pl->up_timeouts++;
			give_up_waiting(pl, s);
		}
	}
}

void
bf_pipeline_drop_partition(struct bf_pipeline *pl, int32_t partition)
{
	struct bf_sessions *t = &pl->sessions;

	bf_sessions_drop_partition(t, partition);
	for (uint32_t i = 0; i < t->n && pl->pending_sessions > 0; i++) {
		struct bf_sess *s = t->v[i];
		struct bf_pending **link = &s->pending, *r;

		if (s->pending == NULL)
			continue;
		s->pending_last = NULL;
		while ((r = *link) != NULL) {
			if (r->partition != partition) {
				s->pending_last = r;
				link = &r->next;
				continue;
			}
			*link = r->next;
			pending_done(pl, r);
		}
		if (s->pending == NULL)
			pl->pending_sessions--;
	}
}

int
bf_pipeline_record(struct bf_pipeline *pl, const uint8_t *value, size_t len,
    int32_t partition, char *err, size_t errlen)
{
	struct bf_records_in *in = &pl->in;
	int kind = bf_records_in_decode(in, value, len, err, errlen);
	/* Two clock reads per record cost more than the plugin's mean tells. */
	bool timed = pl->records++ % PLUGIN_TIME_EVERY == 0;
	struct bf_sess *s;
	uint64_t t0 = 0;

	if (kind < 0) {
		pl->bad++;
		return -1;
	}
	if (timed)
		t0 = mono_ns();
	s = bf_sessions_get(&pl->sessions, in->sess.router, in->sess.peer_type,
	    in->sess.peer, in->sess.peer_rd, in->sess.peer_as);
	if (s == NULL) {
		snprintf(err, errlen, "out of memory for a session");
		pl->bad++;
		return -1;
	}
	if (kind == BF_IN_ROUTE)
		epoch_record(pl, s, in->route.epoch, value, len, partition);
	else if (in->peer.kind == BF_SESSION_END_OF_RIB)
		epoch_record(pl, s, in->peer.epoch, value, len, partition);
	else
		session_record(pl, s, value, len);
	if (timed) {
		pl->plugin_ns += mono_ns() - t0;
		pl->plugin_calls++;
	}
	return kind;
}
