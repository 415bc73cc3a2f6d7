/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ph_table.c: the prefixes prefix_health holds and their route slots.
 *
 * Prefixes are in one open-addressing table keyed by their text (with the
 * RD of a VPN route), deleted only by ph_table_drop_partition.  A route
 * is a 20-byte slot in its prefix's array sorted by (source, path id),
 * the source being the host's session id and the view; its AS path is an
 * id (ph_path.c).  A prefix, its key and its slots are one allocation.  See
 * ph_bytes_per_route(), and README "Sizing" for what the process holds.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ph_state.h"

static const char *
route_key(const struct bf_route *r, char *buf, size_t len)
{
	if (r->rd == NULL)
		return r->prefix;
	snprintf(buf, len, "%s %s", r->rd, r->prefix);
	return buf;
}

/*
 * The slot of key (hash h): its prefix's, or the empty one it would take.
 * A 16-bit tag per slot keeps the probe from reading other prefixes.
 */
static size_t
pfx_slot(const struct ph_state *st, const char *key, uint32_t h)
{
	size_t i = h & (st->pfx_cap - 1);
	uint16_t tag = (uint16_t)(h >> 16);

	while (st->pfx[i] != NULL && (st->pfx_tag[i] != tag ||
	    strcmp(st->pfx[i]->key, key) != 0))
		i = (i + 1) & (st->pfx_cap - 1);
	return i;
}

/* Place p, whose key hashes to h, in its slot. */
static void
pfx_put(struct ph_state *st, struct ph_prefix *p, uint32_t h)
{
	size_t i = pfx_slot(st, p->key, h);

	st->pfx[i] = p;
	st->pfx_tag[i] = (uint16_t)(h >> 16);
}

static size_t
pfx_table_bytes(size_t cap)
{
	return cap * (sizeof(struct ph_prefix *) + sizeof(uint16_t));
}

/*
 * Swap in an empty table of cap slots (pointers, then tags, in one block);
 * the old one is returned for the caller to re-place and free.  -1: ENOMEM.
 */
static int
pfx_table_swap(struct ph_state *st, size_t cap, struct ph_prefix ***old,
    size_t *old_cap)
{
	struct ph_prefix **n = ph_realloc(st, NULL, 0, pfx_table_bytes(cap));

	if (n == NULL)
		return -1;
	memset(n, 0, pfx_table_bytes(cap));
	*old = st->pfx;
	*old_cap = st->pfx_cap;
	st->pfx = n;
	st->pfx_tag = (uint16_t *)(n + cap);
	st->pfx_cap = cap;
	return 0;
}

struct ph_prefix *
ph_table_prefix(struct ph_state *st, const char *key, int family,
    bool create)
{
	uint32_t h = bf_fnv32_str(BF_FNV32_INIT, key);
	struct ph_prefix *p;

	if (st->pfx_cap > 0 && (p = st->pfx[pfx_slot(st, key, h)]) != NULL)
		return p;
	if (!create)
		return NULL;
	if ((st->n_pfx + 1) * 4 > st->pfx_cap * 3) {
		struct ph_prefix **old;
		size_t oc;

		if (pfx_table_swap(st, st->pfx_cap ? st->pfx_cap * 2 : 64, &old,
		    &oc) < 0)
			return NULL;
		for (size_t j = 0; j < oc; j++)
			if (old[j] != NULL)
				pfx_put(st, old[j], bf_fnv32_str(
				    BF_FNV32_INIT, old[j]->key));
		ph_free(st, old, pfx_table_bytes(oc));
	}
	size_t klen = strlen(key) + 1, off = pfx_routes_off(klen);
	if (off > UINT16_MAX ||
	    (p = ph_realloc(st, NULL, 0, pfx_bytes(off, 0, 0))) == NULL)
		return NULL;
	memset(p, 0, sizeof(*p));
	memcpy(p->key, key, klen);
	p->routes_off = (uint16_t)off;
	p->family = (uint8_t)family;
	p->best_min_len = UNSET8;
	p->best_target_hops = UNSET8;
	p->partition = -1;
	pfx_put(st, p, h);
	st->n_pfx++;
	st->n_state[ST_NONE]++;
	return p;
}

/*
 * p's record resized for n_expected origins (never fewer than it has) and
 * cap route slots (at least n_routes; the slots move up with added
 * origins); NULL when out of memory, p untouched.  The caller re-points
 * whatever pointed at p: ph_table_resize when that is its table slot.
 */
static struct ph_prefix *
pfx_resize(struct ph_state *st, struct ph_prefix *p, uint32_t n_expected,
    uint32_t cap)
{
	struct ph_prefix *n = ph_realloc(st, p, pfx_size(p),
	    pfx_bytes(p->routes_off, n_expected, cap));

	if (n == NULL)
		return NULL;
	if (n_expected > n->n_expected)
		memmove(pfx_expected(n) + n_expected, pfx_routes(n),
		    n->n_routes * sizeof(struct ph_route));
	n->n_expected = (uint8_t)n_expected;
	n->cap = cap;
	return n;
}

struct ph_prefix *
ph_table_resize(struct ph_state *st, struct ph_prefix *p,
    uint32_t n_expected, uint32_t cap)
{
	size_t i = pfx_slot(st, p->key, bf_fnv32_str(BF_FNV32_INIT, p->key));
	struct ph_prefix *n = pfx_resize(st, p, n_expected, cap);

	if (n != NULL)
		st->pfx[i] = n;
	return n;
}

/* Index of (src, path_id) in p's slots, or -(insertion point) - 1. */
static long
route_find(const struct ph_prefix *p, uint32_t src, uint32_t path_id)
{
	const struct ph_route *routes = pfx_routes(p);
	uint64_t k = (uint64_t)src << 32 | path_id;
	long lo = 0, hi = (long)p->n_routes - 1;

	while (lo <= hi) {
		long mid = (lo + hi) / 2;
		uint64_t m = (uint64_t)routes[mid].src << 32 |
		    routes[mid].path_id;
		if (m == k)
			return mid;
		if (m < k)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -lo - 1;
}

/*
 * A new slot (src, path_id) at index at of *pp's, which may move to make
 * room (*pp follows); NULL when out of memory.
 */
static struct ph_route *
route_insert(struct ph_state *st, struct ph_prefix **pp, long at,
    uint32_t src, uint32_t path_id)
{
	struct ph_prefix *p = *pp;
	struct ph_route *routes;

	if (p->n_routes == p->cap) {
		uint32_t nc = p->cap < 2 ? 2 : p->cap + p->cap / 2;

		if ((p = ph_table_resize(st, p, p->n_expected, nc)) == NULL)
			return NULL;
		*pp = p;
	}
	routes = pfx_routes(p);
	memmove(&routes[at + 1], &routes[at],
	    (p->n_routes - (size_t)at) * sizeof(*routes));
	p->n_routes++;
	memset(&routes[at], 0, sizeof(routes[at]));
	routes[at].src = src;
	routes[at].path_id = path_id;
	st->peers[bf_src_session(src)].routes++;
	st->peers[bf_src_session(src)].class_routes[prefix_class(p)]++;
	return &routes[at];
}

static void
route_release(struct ph_state *st, struct ph_prefix *p, struct ph_route *rt)
{
	if (rt->path != 0) {
		p->live--;
		st->routes_live--;
	}
	ph_path_unref(st, rt->path);
	ph_path_unref(st, rt->prev_path);
	st->peers[bf_src_session(rt->src)].routes--;
	st->peers[bf_src_session(rt->src)].class_routes[prefix_class(p)]--;
}

void
ph_table_drop_session(struct ph_state *st, uint32_t id, struct ph_scope sc)
{
	int view = sc.view;

	if (st->peers[id].routes > 0) {
		for (size_t i = 0; i < st->pfx_cap; i++) {
			struct ph_prefix *p = st->pfx[i];
			struct ph_route *routes;
			long at, end, to;

			if (p == NULL || p->n_routes == 0 ||
			    (sc.part >= 0 && p->partition != sc.part) ||
			    (sc.route_class >= 0 && bf_route_class(p->family,
			    p->vpn) != sc.route_class))
				continue;
			routes = pfx_routes(p);
			at = route_find(p, bf_src(id, 0), 0);
			if (at < 0)
				at = -at - 1;
			for (end = to = at; (size_t)end < p->n_routes &&
			    bf_src_session(routes[end].src) == id; end++) {
				if (bf_src_of(routes[end].src, id, view))
					route_release(st, p, &routes[end]);
				else
					routes[to++] = routes[end];
			}
			if (end == to)
				continue;
			memmove(&routes[to], &routes[end],
			    (p->n_routes - (size_t)end) * sizeof(*routes));
			p->n_routes -= (uint32_t)(end - to);
			p->needs_eval = p->dirty = 1;
			p->last_change = st->clock;
		}
	}
	st->eval_all = true;
}

void
ph_table_route(struct ph_state *st, struct ph_peer *pe,
    const struct bf_route *r)
{
	char kbuf[256];
	uint32_t src = bf_src(r->session->id, r->view), path;
	struct ph_prefix *p;
	struct ph_route *rt;
	long at;

	/* A withdrawal of a prefix never announced creates nothing. */
	p = ph_table_prefix(st, route_key(r, kbuf, sizeof(kbuf)), r->family,
	    !st->monitored_only && !r->withdraw);
	if (p == NULL)
		return;
	p->partition = r->partition;
	p->vpn = r->rd != NULL;
	at = route_find(p, src, r->has_path_id ? r->path_id : 0);
	if (r->withdraw) {
		ph_act_churn(st, p, pe, CH_WD);
		if (at < 0 || pfx_routes(p)[at].path == 0)
			return;
		rt = &pfx_routes(p)[at];
		ph_path_unref(st, rt->prev_path);
		rt->prev_path = rt->path;	/* a re-announce is a flap */
		rt->path = 0;
		p->live--;
		st->routes_live--;
		ph_act_change(st, p, r);
		p->needs_eval = p->dirty = p->withdrawn = 1;
		return;
	}
	if ((path = ph_path_intern(st, r)) == 0) {
		bf_plugin_log(st->host, 0, "out of memory interning a path");
		return;
	}
	if (at < 0 && (rt = route_insert(st, &p, -at - 1, src,
	    r->has_path_id ? r->path_id : 0)) == NULL) {
		ph_path_unref(st, path);
		bf_plugin_log(st->host, 0, "out of memory adding a route");
		return;
	}
	if (at >= 0)
		rt = &pfx_routes(p)[at];
	uint32_t attrs = ph_path_attrs_hash(r);
	if (rt->path == path) {
		ph_path_unref(st, path);
		ph_act_churn(st, p, pe, rt->attrs == attrs ? CH_ANN :
		    CH_ATTR);
		if (rt->attrs == attrs)
			return;		/* duplicate: nothing changed */
	} else {
		ph_act_churn(st, p, pe, CH_ANN);
		/*
		 * A flap: re-announced after a withdrawal in this epoch,
		 * or back to the path it had before the last change.
		 */
		if (route_ever(rt) && (rt->path == 0 ||
		    path == rt->prev_path))
			ph_act_flap(st, p, rt->src, rt->path_id);
		if (rt->path == 0) {
			p->live++;
			st->routes_live++;
			/* prev_path already holds the withdrawn path */
		} else {
			ph_path_unref(st, rt->prev_path);
			rt->prev_path = rt->path;
		}
		rt->path = path;
	}
	rt->attrs = attrs;
	ph_act_change(st, p, r);
	p->needs_eval = p->dirty = 1;
}

/*
 * Forget everything p learned from routes; its key and config stay.
 * Returns p, moved when its slots were given back (the caller places it).
 */
static struct ph_prefix *
prefix_reset(struct ph_state *st, struct ph_prefix *p)
{
	struct ph_prefix *n;

	for (uint32_t i = 0; i < p->n_routes; i++)
		route_release(st, p, &pfx_routes(p)[i]);
	p->n_routes = 0;
	if ((n = pfx_resize(st, p, p->n_expected, 0)) != NULL)
		p = n;
	ph_act_free(st, p);
	st->n_state[p->state]--;
	st->n_state[ST_NONE]++;
	p->live = 0;
	p->state = ST_NONE;
	p->best_min_len = p->best_target_hops = UNSET8;
	p->needs_eval = p->dirty = p->flapping = 0;
	p->last_change = p->wave_first = 0;
	p->wave_span = p->delay_last = p->delay_max = 0;
	p->partition = -1;
	return p;
}

void
ph_table_drop_partition(struct ph_state *st, int32_t partition)
{
	struct ph_prefix **old;
	size_t cap, dropped = 0;

	if (st->pfx_cap == 0)
		return;
	/* Open addressing without tombstones: rebuild the probe chains. */
	if (pfx_table_swap(st, st->pfx_cap, &old, &cap) < 0) {
		bf_plugin_log(st->host, 0, "out of memory dropping partition "
		    "%" PRId32 ": its prefixes are kept", partition);
		return;
	}
	for (size_t i = 0; i < cap; i++) {
		struct ph_prefix *p = old[i];

		if (p == NULL)
			continue;
		if (p->partition == partition) {
			p = prefix_reset(st, p);
			if (!p->monitored) {
				st->n_state[ST_NONE]--;
				ph_free(st, p, pfx_size(p));
				st->n_pfx--;
				dropped++;
				continue;
			}
		}
		pfx_put(st, p, bf_fnv32_str(BF_FNV32_INIT, p->key));
	}
	ph_free(st, old, pfx_table_bytes(cap));
	bf_plugin_log(st->host, 2, "partition %" PRId32 ": %zu prefixes "
	    "dropped", partition, dropped);
}


void
ph_table_free(struct ph_state *st)
{
	for (size_t i = 0; i < st->pfx_cap; i++) {
		struct ph_prefix *p = st->pfx[i];
		if (p == NULL)
			continue;
		ph_act_free(st, p);
		ph_free(st, p, pfx_size(p));
	}
	ph_free(st, st->pfx, pfx_table_bytes(st->pfx_cap));
}
