/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ph_peer.c: the sessions prefix_health counts (struct ph_peer, by the
 * host's session id): their epochs, the route classes they carry, and
 * their warm-up.
 *
 * Warm-up.  A session's first routes of an epoch are its RIB dump; a
 * prefix it has not reached yet is not less visible.  A session counts in
 * peers_up only once it has sent a route of that class (address family,
 * and VPN or not: bf_route_class), and its warm-up
 * runs from its first route (routers send the tables of their peers one
 * after another, seconds apart, all behind Peer Ups sent together) until
 * it has been quiet for warmup_eor_quiet_s after an End-of-RIB, or for
 * warmup_quiet_s without one (or warmup_max_s after its first route).
 * Until then it is not counted in peers_up nor its routes in
 * peers_with_route, and a prefix only warming sessions hold keeps its
 * state.  So a dump does not produce degraded/recovered pairs, and its
 * routes are not counted as churn.  Warm-up runs on processing time (the
 * ticks' wall clock), not on the records' times: a processor catching up
 * on a backlog reads a dump that happened long ago just as fast, and must
 * still wait for its end.
 */
#include <string.h>

#include "ph_state.h"

static const struct ph_scope ph_all = { BF_VIEWS, -1, -1 };

struct ph_peer *
ph_peer_grow(struct ph_state *st, uint32_t id)
{
	uint32_t n = id < 8 ? 8 : id + id / 2 + 1;
	struct ph_peer *np = ph_realloc(st, st->peers,
	    st->n_peers * sizeof(*np), n * sizeof(*np));

	if (np == NULL) {
		bf_plugin_log(st->host, 0, "out of memory adding a session");
		return NULL;
	}
	memset(np + st->n_peers, 0, (n - st->n_peers) * sizeof(*np));
	st->peers = np;
	st->n_peers = n;
	return &st->peers[id];
}

/*
 * Session id starts afresh (up: a new epoch, or a view ended) or ends: its
 * routes in scope are dropped and, when it has none left, it counts
 * nowhere until its next route.
 */
static void
peer_reset(struct ph_state *st, uint32_t id, bool up, uint64_t epoch,
    struct ph_scope sc)
{
	struct ph_peer *pe = &st->peers[id];

	ph_table_drop_session(st, id, sc);
	/* It counts for a class while it has a route slot of it. */
	for (int c = 0; c < N_CLASSES; c++) {
		if (pe->class_routes[c] > 0)
			continue;
		if (pe->up && !pe->warming && pe->seen[c])
			st->peers_up[c]--;
		pe->seen[c] = 0;
	}
	/* A view ended where the session goes on with others. */
	if (sc.view != BF_VIEWS && pe->routes > 0)
		return;
	if (pe->warming)
		st->n_warming--;
	pe->up = up;
	pe->epoch = epoch;
	pe->warming = pe->eor = pe->routed = pe->active = 0;
	pe->first_route = pe->last_route = 0;
}

void
ph_peer_warm(struct ph_state *st)
{
	for (uint32_t id = 0; st->n_warming > 0 && id < st->n_peers; id++) {
		struct ph_peer *pe = &st->peers[id];
		int64_t quiet;

		if (!pe->warming)
			continue;
		/*
		 * Quiet is whole tick intervals without a route: a route
		 * marks its interval, and End-of-RIB (read apart, often before
		 * the table's last routes) ends nothing while they come.
		 */
		if (pe->first_route == 0)
			pe->first_route = st->wall;
		if (pe->active || pe->last_route == 0)
			pe->last_route = st->wall;
		pe->active = 0;
		quiet = pe->eor ? st->cfg.warmup_eor_quiet_us :
		    st->cfg.warmup_quiet_us;
		if (st->wall - pe->last_route < quiet &&
		    st->wall - pe->first_route < st->cfg.warmup_max_us)
			continue;
		pe->warming = 0;
		st->n_warming--;
		for (int c = 0; c < N_CLASSES; c++)
			st->peers_up[c] += pe->seen[c];
		st->eval_all = true;
	}
}

void
ph_peer_event(struct ph_state *st, const struct bf_session_event *e)
{
	uint32_t id = e->session->id;

	switch (e->kind) {
	case BF_SESSION_UP:
		if (e->reset)
			peer_reset(st, id, true, e->epoch, ph_all);
		break;
	case BF_SESSION_DOWN:
		peer_reset(st, id, false, e->epoch, ph_all);
		break;
	case BF_SESSION_VIEW_END:
		peer_reset(st, id, true, e->epoch, (struct ph_scope){
		    (int)e->view, e->partition, e->route_class });
		break;
	case BF_SESSION_END_OF_RIB:
		st->peers[id].eor = 1;
		break;
	}
}

void
ph_peer_route(struct ph_state *st, struct ph_peer *pe,
    const struct bf_route *r)
{
	uint32_t id = r->session->id;
	int cls;

	/* The host resets a session before its epoch's first route. */
	if (!pe->up || r->epoch != pe->epoch)
		peer_reset(st, id, true, r->epoch, ph_all);
	/* Its first route starts its warm-up: the RIB dump comes now. */
	if (!pe->routed) {
		pe->routed = 1;
		pe->warming = st->cfg.warmup_quiet_us > 0;
		st->n_warming += pe->warming;
		pe->first_route = st->wall;
	}
	pe->active = 1;
	cls = bf_route_class(r->family, r->rd != NULL);
	if (!pe->seen[cls]) {
		pe->seen[cls] = 1;
		if (!pe->warming) {
			st->peers_up[cls]++;
			st->eval_all = true;
		}
	}
}
