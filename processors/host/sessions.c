/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sessions.c: sessions interned by key (core's hash index), their
 * epochs, and the view chosen per router.
 */
#ifndef _GNU_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include "sessions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
bf_sessions_init(struct bf_sessions *t, const char *views, char *err,
    size_t errlen)
{
	const char *p = views;

	memset(t, 0, sizeof(*t));
	if (strcmp(views, "all") == 0)
		return 0;
	while (*p != '\0') {
		size_t n = strcspn(p, ",");
		int v;

		while (n > 0 && (*p == ' ' || *p == '\t'))
			p++, n--;
		for (v = 0; v < BF_VIEWS; v++)
			if (strlen(bf_view_name(v)) <= n &&
			    strncmp(p, bf_view_name(v), strlen(bf_view_name(v)))
			    == 0 && strspn(p + strlen(bf_view_name(v)), " \t") ==
			    n - strlen(bf_view_name(v)))
				break;
		if (v == BF_VIEWS || memchr(t->prefs, v, t->n_prefs)) {
			snprintf(err, errlen, "views: \"%.*s\" is not a view, "
			    "or listed twice (all, or a list of adj-in-pre, "
			    "adj-in-post, adj-out-pre, adj-out-post, loc-rib)",
			    (int)n, p);
			return -1;
		}
		t->prefs[t->n_prefs++] = (uint8_t)v;
		p += n;
		if (*p == ',')
			p++;
	}
	if (t->n_prefs == 0) {
		snprintf(err, errlen, "views: empty (all, or a list of views)");
		return -1;
	}
	return 0;
}

void
bf_sessions_free(struct bf_sessions *t)
{
	for (uint32_t i = 0; i < t->n; i++) {
		free(t->v[i]->peer);
		free(t->v[i]->peer_rd);
		free(t->v[i]->parts);
		free(t->v[i]);
	}
	for (uint32_t i = 0; i < t->n_routers; i++)
		free(t->routers[i].addr);
	for (uint32_t i = 0; i < t->n_insts; i++)
		free(t->insts[i].rd);
	free(t->routers);
	free(t->insts);
	free(t->v);
	bf_hix_free(&t->index);
	memset(t, 0, sizeof(*t));
}

static uint32_t
key_hash(const char *router, uint8_t peer_type, const char *peer,
    const char *peer_rd)
{
	uint32_t h = bf_fnv32_str(BF_FNV32_INIT, router);

	h = bf_fnv32(h, &peer_type, 1);
	h = bf_fnv32_str(h, peer);
	/* The index takes its buckets from the low bits. */
	return (uint32_t)bf_mix64(bf_fnv32_str(h, peer_rd));
}

static bool
str_eq(const char *a, const char *b)
{
	return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

static bool
key_eq(const struct bf_sess *s, const char *router, uint8_t peer_type,
    const char *peer, const char *peer_rd)
{
	return s->pub.peer_type == peer_type &&
	    strcmp(s->pub.peer, peer) == 0 && str_eq(s->pub.peer_rd, peer_rd) &&
	    strcmp(s->pub.router, router) == 0;
}

/* The id + 1 of the session of this key (hash h), or 0. */
static uint32_t
find(const struct bf_sessions *t, uint32_t h, const char *router,
    uint8_t peer_type, const char *peer, const char *peer_rd)
{
	for (uint32_t id = bf_hix_first(&t->index, h); id != 0;
	    id = bf_hix_next(&t->index, id))
		if (key_eq(t->v[id - 1], router, peer_type, peer, peer_rd))
			return id;
	return 0;
}

/* The index of router addr in routers[], added on first sight; -1: OOM. */
static long
router_get(struct bf_sessions *t, const char *addr)
{
	struct bf_sess_router *r;

	for (uint32_t i = 0; i < t->n_routers; i++)
		if (strcmp(t->routers[i].addr, addr) == 0)
			return i;
	r = realloc(t->routers, (t->n_routers + 1) * sizeof(*r));
	if (r == NULL)
		return -1;
	t->routers = r;
	r = &t->routers[t->n_routers];
	if ((r->addr = strdup(addr)) == NULL)
		return -1;
	return t->n_routers++;
}

/* The index of (router, rd) in insts[], added on first sight; -1: OOM. */
static long
inst_get(struct bf_sessions *t, uint32_t router, const char *rd)
{
	struct bf_sess_inst *n;

	for (uint32_t i = 0; i < t->n_insts; i++)
		if (t->insts[i].router == router && str_eq(t->insts[i].rd, rd))
			return i;
	n = realloc(t->insts, (t->n_insts + 1) * sizeof(*n));
	if (n == NULL)
		return -1;
	t->insts = n;
	n = &t->insts[t->n_insts];
	n->router = router;
	memset(n->best, BF_VIEWS, sizeof(n->best));
	if ((n->rd = rd != NULL ? strdup(rd) : NULL) == NULL && rd != NULL)
		return -1;
	return t->n_insts++;
}

struct bf_sess *
bf_sessions_get(struct bf_sessions *t, const char *router, uint8_t peer_type,
    const char *peer, const char *peer_rd, uint32_t peer_as)
{
	uint32_t h, id;
	struct bf_sess *s;
	long r, in;

	/* Records come in runs from one session. */
	if (t->last < t->n && key_eq(t->v[t->last], router, peer_type, peer,
	    peer_rd)) {
		s = t->v[t->last];
		goto found;
	}
	h = key_hash(router, peer_type, peer, peer_rd);
	if ((id = find(t, h, router, peer_type, peer, peer_rd)) != 0) {
		t->last = id - 1;
		s = t->v[t->last];
		goto found;
	}
	if (t->n == t->cap) {
		uint32_t cap = t->cap ? t->cap * 2 : 16;
		struct bf_sess **v = realloc(t->v, cap * sizeof(*v));

		if (v == NULL)
			return NULL;
		t->v = v;
		t->cap = cap;
	}
	if ((r = router_get(t, router)) < 0 ||
	    (in = inst_get(t, (uint32_t)r, peer_rd)) < 0 ||
	    (s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->pub.peer = s->peer = strdup(peer);
	s->pub.peer_rd = s->peer_rd = peer_rd != NULL ? strdup(peer_rd) :
	    NULL;
	if (s->peer == NULL || (peer_rd != NULL && s->peer_rd == NULL) ||
	    bf_hix_insert(&t->index, t->n + 1, h) < 0) {
		free(s->peer);
		free(s->peer_rd);
		free(s);
		return NULL;
	}
	/* Epoch 0 (the collector's records before it kept epochs) is open. */
	s->open = true;
	s->pub.id = t->n;
	s->pub.peer_type = peer_type;
	s->pub.router = t->routers[r].addr;
	s->inst = (uint32_t)in;
	t->v[t->n] = s;
	t->last = t->n++;
found:
	/* A router may renumber nothing, but a Loc-RIB's AS can change. */
	if (peer_as != 0)
		s->pub.peer_as = peer_as;
	return s;
}

/* Opens epoch e of s, every view of it undelivered yet. */
static enum bf_sess_verdict
open_epoch(struct bf_sess *s, uint64_t e, bool up)
{
	s->epoch = e;
	s->open = true;
	s->up_seen = up;
	s->told = false;
	for (uint32_t i = 0; i < s->n_parts; i++)
		s->parts[i].views = 0;
	return BF_SESS_OPEN;
}

enum bf_sess_verdict
bf_sessions_up(struct bf_sessions *t, struct bf_sess *s, uint64_t epoch)
{
	if (epoch > s->epoch)
		return open_epoch(s, epoch, true);
	if (epoch == s->epoch && s->open) {
		if (s->up_seen)
			return BF_SESS_REPEAT;
		s->up_seen = true;
		return BF_SESS_DELIVER;
	}
	t->stale++;
	return BF_SESS_STALE;
}

enum bf_sess_verdict
bf_sessions_down(struct bf_sessions *t, struct bf_sess *s, uint64_t epoch)
{
	bool was_open = s->open;

	if (epoch < s->epoch || (epoch == s->epoch && !s->open)) {
		t->stale++;
		return BF_SESS_STALE;
	}
	/* This epoch's, or a newer one's: it closes all before it too. */
	s->epoch = epoch;
	s->open = false;
	for (uint32_t i = 0; i < s->n_parts; i++)
		s->parts[i].views = 0;
	return was_open ? BF_SESS_DELIVER : BF_SESS_REPEAT;
}

enum bf_sess_verdict
bf_sessions_record(struct bf_sessions *t, struct bf_sess *s, uint64_t epoch)
{
	if (epoch == s->epoch && s->open)
		return BF_SESS_DELIVER;
	if (epoch > s->epoch)
		return open_epoch(s, epoch, false);
	t->stale++;
	return BF_SESS_STALE;
}

/* Rank of v in the preference list, BF_VIEWS when not listed. */
static int
rank(const struct bf_sessions *t, int v)
{
	for (int i = 0; i < t->n_prefs; i++)
		if (t->prefs[i] == v)
			return i;
	return BF_VIEWS;
}

/* The part of s in partition part (< 0: 0), grown; NULL: out of memory. */
static struct bf_sess_part *
part_of(struct bf_sess *s, int32_t part)
{
	uint32_t i = part < 0 ? 0 : (uint32_t)part;

	if (i >= s->n_parts) {
		struct bf_sess_part *n = realloc(s->parts, (i + 1) * sizeof(*n));

		if (n == NULL)
			return NULL;
		for (uint32_t k = s->n_parts; k <= i; k++)
			n[k] = (struct bf_sess_part){ .chosen = -1 };
		s->parts = n;
		s->n_parts = i + 1;
	}
	return &s->parts[i];
}

bool
bf_sessions_view(struct bf_sessions *t, struct bf_sess *s, enum bf_view v,
    int32_t part, int route_class, int *ended, bool *loc_rib_ended)
{
	struct bf_sess_part *sp = part_of(s, part);
	uint8_t *best = &t->insts[s->inst].best[route_class & 3];
	int k = rank(t, v), loc = rank(t, BF_VIEW_LOC_RIB);

	*ended = -1;
	*loc_rib_ended = false;
	if (sp == NULL)
		return false;
	if (t->n_prefs == 0) {
		sp->views |= (uint8_t)(1u << v);
		return true;
	}
	if (k == BF_VIEWS)
		goto skip;
	if (v != BF_VIEW_LOC_RIB && k < *best) {
		*loc_rib_ended = *best >= loc && k < loc;
		*best = (uint8_t)k;
	}
	if (sp->chosen < 0 || k < rank(t, sp->chosen)) {
		*ended = sp->chosen;
		sp->chosen = (int8_t)v;
	}
	if (sp->chosen != (int8_t)v || (v == BF_VIEW_LOC_RIB && *best < loc))
		goto skip;
	sp->views |= (uint8_t)(1u << v);
	return true;
skip:
	t->view_skipped++;
	return false;
}

bool
bf_sessions_view_wanted(const struct bf_sessions *t, enum bf_view v)
{
	return t->n_prefs == 0 || rank(t, v) < BF_VIEWS;
}

bool
bf_sessions_take_view(struct bf_sess *s, enum bf_view v, int32_t part)
{
	bool had = false;

	for (uint32_t i = 0; i < s->n_parts; i++) {
		if (part >= 0 && i != (uint32_t)part)
			continue;
		had |= (s->parts[i].views >> v) & 1;
		s->parts[i].views &= (uint8_t)~(1u << v);
	}
	return had;
}

void
bf_sessions_drop_partition(struct bf_sessions *t, int32_t part)
{
	uint32_t i = part < 0 ? 0 : (uint32_t)part;

	for (uint32_t k = 0; k < t->n; k++)
		if (i < t->v[k]->n_parts)
			t->v[k]->parts[i] = (struct bf_sess_part){ .chosen = -1 };
}

enum bf_view
bf_view_of(int64_t rib, bool post_policy)
{
	switch (rib) {
	case 1:
		return post_policy ? BF_VIEW_ADJ_OUT_POST : BF_VIEW_ADJ_OUT_PRE;
	case 2:
		return BF_VIEW_LOC_RIB;
	default:
		return post_policy ? BF_VIEW_ADJ_IN_POST : BF_VIEW_ADJ_IN_PRE;
	}
}
