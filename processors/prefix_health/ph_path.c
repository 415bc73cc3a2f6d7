/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ph_path.c: the attributes of the routes prefix_health holds.  AS paths
 * (with origin, BGP length and target hops) are interned into a
 * refcounted table that route slots refer to by id; the other attributes
 * are kept as a 32-bit hash, enough to tell an attribute-only change.
 */
#include <string.h>

#include "ph_state.h"

static size_t
path_size(uint32_t count)
{
	return sizeof(struct ph_path) + count * sizeof(uint32_t);
}

void
ph_path_unref(struct ph_state *st, uint32_t id)
{
	struct ph_path *p;

	if (id == 0 || --(p = st->paths[id])->refs > 0)
		return;
	bf_hix_remove(&st->path_ix, id);
	ph_free(st, p, path_size(p->count));
	st->paths[id] = NULL;
	st->path_free[st->n_free++] = id;
	st->n_paths--;
}

/*
 * AS hops from the last occurrence of target to the origin, -1 if absent:
 * each AS of an AS_SEQUENCE counts one (prepends once), an AS_SET one,
 * confederation segments none (RFC 4271 9.1.2.2, RFC 5065).  A route
 * without segments has one AS_SEQUENCE.
 */
static int64_t
target_hops(const struct bf_route *r, uint32_t target)
{
	struct bf_as_segment whole = { BF_SEG_SEQUENCE, 0, r->as_path_count };
	const struct bf_as_segment *seg = r->n_segments ? r->segments : &whole;
	uint32_t n = r->n_segments ? r->n_segments : 1, prev = 0;
	int64_t hops = 0;
	bool found = false;

	if (target == 0 || r->as_path == NULL)
		return -1;
	for (uint32_t k = 0; k < n; k++) {
		const uint32_t *a = r->as_path + seg[k].start;
		bool in = false;

		if (seg[k].type == BF_SEG_SEQUENCE) {
			for (uint32_t i = 0; i < seg[k].count; i++) {
				if (a[i] == target) {
					found = true;
					hops = 0;
				} else if (found && (a[i] != prev))
					hops++;
				prev = a[i];
			}
		} else if (seg[k].type == BF_SEG_SET) {
			for (uint32_t i = 0; i < seg[k].count; i++)
				in |= a[i] == target;
			if (in) {
				found = true;
				hops = 0;
			} else if (found)
				hops++;
			prev = 0;
		}
	}
	return found ? hops : -1;
}

/* The segment structure (types and sizes) of r, hashed. */
static uint32_t
segs_hash(const struct bf_route *r)
{
	uint32_t h = BF_FNV32_INIT;

	for (uint32_t k = 0; k < r->n_segments; k++) {
		h = bf_fnv32(h, &r->segments[k].type, 1);
		h = bf_fnv32(h, &r->segments[k].count, sizeof(uint32_t));
	}
	return h;
}

uint32_t
ph_path_intern(struct ph_state *st, const struct bf_route *r)
{
	uint32_t count = r->as_path ? r->as_path_count : 0;
	uint32_t origin = r->has_origin_as ? r->origin_as : 0;
	uint32_t segs = segs_hash(r);
	uint32_t h = bf_fnv32(BF_FNV32_INIT, &origin, sizeof(origin));
	struct ph_path *p;
	uint32_t id;
	int64_t th;

	h = bf_fnv32(h, &r->as_path_len, sizeof(r->as_path_len));
	h = bf_fnv32(h, &segs, sizeof(segs));
	if (count > 0)
		h = bf_fnv32(h, r->as_path, count * sizeof(uint32_t));
	for (id = bf_hix_first(&st->path_ix, h); id != 0;
	    id = bf_hix_next(&st->path_ix, id)) {
		p = st->paths[id];
		if (p->origin == origin && p->has_origin == r->has_origin_as &&
		    p->segs == segs && p->len == r->as_path_len &&
		    p->count == count && (count == 0 || memcmp(p->asn,
		    r->as_path, count * sizeof(uint32_t)) == 0)) {
			p->refs++;
			return id;
		}
	}
	if (st->n_free == 0) {
		uint32_t oc = st->paths_cap, nc = oc ? oc * 2 : 64;
		struct ph_path **np = ph_realloc(st, st->paths,
		    oc * sizeof(*np), nc * sizeof(*np));
		if (np == NULL)
			return 0;
		st->paths = np;
		uint32_t *nf = ph_realloc(st, st->path_free,
		    oc * sizeof(*nf), nc * sizeof(*nf));
		if (nf == NULL)
			return 0;
		st->path_free = nf;
		st->paths_cap = nc;
		for (uint32_t i = nc - 1; i >= (oc ? oc : 1); i--) {
			np[i] = NULL;
			nf[st->n_free++] = i;
		}
		if (oc == 0)
			np[0] = NULL;
	}
	id = st->path_free[st->n_free - 1];
	if ((p = ph_realloc(st, NULL, 0, path_size(count))) == NULL)
		return 0;
	if (bf_hix_insert(&st->path_ix, id, h) < 0) {
		ph_free(st, p, path_size(count));
		return 0;
	}
	st->n_free--;
	p->refs = 1;
	p->origin = origin;
	p->has_origin = r->has_origin_as;
	p->segs = segs;
	th = target_hops(r, st->cfg.target_asn);
	p->target_hops = (int16_t)(th > INT16_MAX ? INT16_MAX : th);
	p->len = r->as_path_len;
	p->count = count;
	if (count > 0)
		memcpy(p->asn, r->as_path, count * sizeof(uint32_t));
	st->paths[id] = p;
	st->n_paths++;
	return id;
}

uint32_t
ph_path_attrs_hash(const struct bf_route *r)
{
	uint32_t h = bf_fnv32_str(BF_FNV32_INIT, r->next_hop);
	uint32_t f = (r->has_med ? 1u : 0) | (r->has_local_pref ? 2u : 0) |
	    (r->has_otc ? 4u : 0);

	h = bf_fnv32(h, &f, sizeof(f));
	if (r->has_med)
		h = bf_fnv32(h, &r->med, sizeof(r->med));
	if (r->has_local_pref)
		h = bf_fnv32(h, &r->local_pref, sizeof(r->local_pref));
	if (r->has_otc)
		h = bf_fnv32(h, &r->otc, sizeof(r->otc));
	if (r->communities && r->n_communities)
		h = bf_fnv32(h, r->communities,
		    r->n_communities * sizeof(uint32_t));
	h = bf_fnv32(h, &r->n_communities, sizeof(r->n_communities));
	if (r->large_communities && r->n_large_communities)
		h = bf_fnv32(h, r->large_communities, r->n_large_communities *
		    sizeof(struct bf_large_community));
	return h;
}

void
ph_path_free_all(struct ph_state *st)
{
	for (uint32_t i = 1; i < st->paths_cap; i++)
		if (st->paths[i] != NULL)
			ph_free(st, st->paths[i], path_size(
			    st->paths[i]->count));
	ph_free(st, st->paths, st->paths_cap * sizeof(*st->paths));
	ph_free(st, st->path_free, st->paths_cap * sizeof(*st->path_free));
	bf_hix_free(&st->path_ix);
}
