/* SPDX-License-Identifier: Apache-2.0 */
/*
 * route_state.c: bmp.route.state (see route_state.h).
 */
#include "route_state.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "../encode/text_buf.h"
#include "../parse/bmp_wire.h"
#include "producer.h"

void
bf_state_key_peer(char *out, size_t n, const char *router, uint8_t type,
    const struct bf_addr *addr, const uint8_t rd[8])
{
	char a[BF_ADDR_STRLEN], rds[BF_RD_STRLEN];
	struct bf_text_buf k;

	bf_tb_init(&k, out, n);
	bf_tb_str(&k, router);
	bf_tb_chr(&k, ' ');
	bf_tb_u32(&k, type);
	bf_tb_chr(&k, ' ');
	bf_addr_fmt(addr, a, sizeof(a));
	bf_tb_str(&k, a[0] ? a : "-");
	bf_tb_chr(&k, ' ');
	bf_tb_str(&k, bf_rd_fmt(rd, rds, sizeof(rds)));
}

size_t
bf_state_key(char *out, size_t n, const char *route_key, size_t route_key_len,
    const char *peer, size_t peer_len, const struct bf_route_id *id)
{
	struct bf_text_buf k;

	bf_tb_init(&k, out, n);
	bf_tb_mem(&k, route_key, route_key_len);
	bf_tb_chr(&k, ' ');
	bf_tb_mem(&k, peer, peer_len);
	bf_tb_chr(&k, ' ');
	bf_tb_u32(&k, id->view);
	bf_tb_chr(&k, ' ');
	bf_tb_u32(&k, id->afi);
	bf_tb_chr(&k, '/');
	bf_tb_u32(&k, id->safi);
	bf_tb_chr(&k, ' ');
	if (id->has_path_id)
		bf_tb_u32(&k, id->path_id);
	else
		bf_tb_chr(&k, '-');
	return k.len;
}

void
bf_state_update_begin(struct bf_route_state *st, const char *router,
    struct peer_entry *pe, const struct bmp_peer_hdr *hdr)
{
	st->view = (uint8_t)bf_state_view_of(hdr);
	/*
	 * Built once per peer and epoch, not per UPDATE (1,400 instructions
	 * each): every session's epochs come from the collector's one
	 * clock, so an epoch names one peer entry of one router.
	 */
	if (pe == st->peer && pe->epoch == st->peer_epoch && st->peer_len > 0)
		return;
	st->peer = pe;
	st->peer_epoch = pe->epoch;
	bf_state_key_peer(st->peer_part, sizeof(st->peer_part), router,
	    pe->type, &pe->addr, pe->rd);
	st->peer_len = strlen(st->peer_part);
}

static void
tombstone(struct bf_route_state *st, const char *peer,
    const struct bf_route_id *id)
{
	char rk[BF_RD_STRLEN + BF_PREFIX_STRLEN], key[BF_STATE_KEY_MAX];
	size_t rkl = bf_route_key(&id->prefix, id->has_rd ? id->rd : NULL, rk,
	    sizeof(rk));
	size_t kl = bf_state_key(key, sizeof(key), rk, rkl, peer, strlen(peer),
	    id);

	bf_producer_send_kv(st->prod, BF_TOPIC_ROUTE_STATE, NULL, key, kl,
	    NULL, 0);
	st->tombstones++;
}

/*
 * The routes pe holds (peer: its peer_part) to the drain, their
 * tombstones to go out there; pe holds none after.
 */
static void
tombstones(struct bf_route_state *st, const char *peer, struct peer_entry *pe)
{
	struct bf_route_set *s = &pe->routes;
	struct bf_state_drain *d;
	const struct bf_route_id *id;
	uint32_t i = 0;

	st->routes -= s->n;
	if (s->n > 0 && (d = calloc(1, sizeof(*d))) != NULL) {
		d->set = *s;
		snprintf(d->peer, sizeof(d->peer), "%s", peer);
		if (st->drain_tail == NULL)
			st->drain_tail = &st->drain;
		*st->drain_tail = d;
		st->drain_tail = &d->next;
		st->pending += s->n;
		memset(s, 0, sizeof(*s));
		return;
	}
	/* None held, or no memory for the drain: any now. */
	while ((id = bf_route_set_at(s, &i)) != NULL)
		tombstone(st, peer, id);
	st->bytes -= bf_route_set_bytes(s);
	bf_route_set_clear(s);
}

/*
 * A record for id of peer supersedes its pending tombstone (one the
 * drain's walk has passed is out already).
 */
static void
cancel_pending(struct bf_route_state *st, const char *peer,
    const struct bf_route_id *id)
{
	for (struct bf_state_drain *d = st->drain; d != NULL; d = d->next)
		if (strcmp(d->peer, peer) == 0 &&
		    bf_route_set_find(&d->set, id) > d->walk &&
		    bf_route_set_del(&d->set, id))
			st->pending--;
}

void
bf_state_drain(struct bf_route_state *st, bool force)
{
	struct bf_state_drain *d;

	while ((d = st->drain) != NULL) {
		const struct bf_route_id *at;

		if (!force && bf_producer_congested(st->prod))
			return;
		if ((at = bf_route_set_at(&d->set, &d->walk)) != NULL) {
			tombstone(st, d->peer, at);
			st->pending--;
			continue;
		}
		if ((st->drain = d->next) == NULL)
			st->drain_tail = &st->drain;
		st->bytes -= bf_route_set_bytes(&d->set);
		bf_route_set_clear(&d->set);
		free(d);
	}
}

void
bf_state_free(struct bf_route_state *st)
{
	struct bf_state_drain *d;

	while ((d = st->drain) != NULL) {
		st->drain = d->next;
		bf_route_set_clear(&d->set);
		free(d);
	}
	st->drain_tail = &st->drain;
}

void
bf_state_end(struct bf_route_state *st, const char *router,
    struct peer_entry *pe)
{
	char peer[sizeof(st->peer_part)];

	if (pe->routes.n == 0) {
		st->bytes -= bf_route_set_bytes(&pe->routes);
		bf_route_set_clear(&pe->routes);
		return;
	}
	bf_state_key_peer(peer, sizeof(peer), router, pe->type, &pe->addr,
	    pe->rd);
	tombstones(st, peer, pe);
}

void
bf_state_sync(struct bf_route_state *st, const char *router,
    struct peer_entry *pe)
{
	if (pe->routes.n > 0 && (!pe->up || pe->routes.epoch != pe->epoch))
		bf_state_end(st, router, pe);
}

void
bf_state_route(struct bf_route_state *st, const struct bf_record *r)
{
	const struct bgp_route *rt = r->route;
	const struct bgp_nlri *n = &rt->nlri;
	struct peer_entry *pe = st->peer;
	struct bf_route_id id;
	char key[BF_STATE_KEY_MAX];
	size_t kl, bytes;

	if (pe->routes.epoch != pe->epoch) {
		/* The routes of an ended epoch: bf_state_sync's case. */
		tombstones(st, st->peer_part, pe);
		pe->routes.epoch = pe->epoch;
	}
	bf_route_id_set(&id, (enum bf_state_view)st->view, rt->af->afi,
	    rt->af->safi, &n->prefix, n->has_rd ? n->rd : NULL,
	    n->has_path_id ? &n->path_id : NULL);
	kl = bf_state_key(key, sizeof(key), r->key, r->key_len, st->peer_part,
	    st->peer_len, &id);
	if (st->drain != NULL)
		cancel_pending(st, st->peer_part, &id);
	if (rt->action != BGP_ANNOUNCE) {
		/*
		 * The withdrawal itself, then the tombstone (even for a route
		 * not held: it clears a key of the collector's past).  Until
		 * the log cleaner has run, a processor reads the announcement
		 * before them: the withdrawal undoes it; tombstones it skips.
		 */
		st->routes -= bf_route_set_del(&pe->routes, &id);
		bf_producer_send_kv(st->prod, BF_TOPIC_ROUTE_STATE, NULL, key,
		    kl, r->value, r->value_len);
		bf_producer_send_kv(st->prod, BF_TOPIC_ROUTE_STATE, NULL, key,
		    kl, NULL, 0);
		st->tombstones++;
		return;
	}
	bytes = bf_route_set_bytes(&pe->routes);
	switch (bf_route_set_add(&pe->routes, &id)) {
	case 1:
		st->routes++;
		break;
	case -1:
		st->untracked++;
		bf_log_limited(BF_LOG_ERROR, "route state", "memory",
		    "route state: out of memory: a route's key will not be "
		    "tombstoned when its epoch ends");
		break;
	default:
		break;
	}
	st->bytes += bf_route_set_bytes(&pe->routes) - bytes;
	bf_producer_send_kv(st->prod, BF_TOPIC_ROUTE_STATE, NULL, key, kl,
	    r->value, r->value_len);
}
