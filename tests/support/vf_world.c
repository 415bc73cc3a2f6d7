/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vf_world.c: the synthetic AS graph of vf_world.h, its relationship file
 * and valley-free walks over it.
 */
#include "vf_world.h"

#include <stdlib.h>

static void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (p == NULL) {
		fprintf(stderr, "vf_world: out of memory\n");
		exit(1);
	}
	return p;
}

uint32_t
vf_world_rnd(struct vf_world *w, uint32_t n)
{
	w->rng ^= w->rng << 13;
	w->rng ^= w->rng >> 7;
	w->rng ^= w->rng << 17;
	return (uint32_t)(w->rng % n);
}

static bool
has(const unsigned *v, unsigned n, unsigned x)
{
	for (unsigned i = 0; i < n; i++)
		if (v[i] == x)
			return true;
	return false;
}

static bool
linked(const struct vf_as *a, unsigned b)
{
	return has(a->prov, a->np, b) || has(a->cust, a->nc, b) ||
	    has(a->peer, a->npe, b);
}

static void
add_link(struct vf_world *w, unsigned a, unsigned b, bool peers)
{
	w->links[w->n_links++] = (struct vf_link){ w->as[a].asn, w->as[b].asn,
	    peers };
}

void
vf_world_provider(struct vf_world *w, unsigned p, unsigned c)
{
	struct vf_as *ap = &w->as[p], *ac = &w->as[c];

	if (p == c || linked(ac, p) || ac->np == VF_MAX_LINKS ||
	    ap->nc == VF_MAX_LINKS)
		return;
	ac->prov[ac->np++] = p;
	ap->cust[ap->nc++] = c;
	add_link(w, p, c, false);
}

void
vf_world_peering(struct vf_world *w, unsigned a, unsigned b)
{
	struct vf_as *aa = &w->as[a], *ab = &w->as[b];

	if (a == b || linked(aa, b) || aa->npe == VF_MAX_LINKS ||
	    ab->npe == VF_MAX_LINKS)
		return;
	aa->peer[aa->npe++] = b;
	ab->peer[ab->npe++] = a;
	add_link(w, a, b, true);
}

enum vf_rel
vf_world_rel(const struct vf_world *w, unsigned a, unsigned b)
{
	const struct vf_as *x = &w->as[a];

	return has(x->prov, x->np, b) ? VF_REL_PROVIDER :
	    has(x->cust, x->nc, b) ? VF_REL_CUSTOMER :
	    has(x->peer, x->npe, b) ? VF_REL_PEER : VF_REL_NONE;
}

void
vf_world_empty(struct vf_world *w, unsigned n, uint64_t seed)
{
	*w = (struct vf_world){ .as = xcalloc(n, sizeof(*w->as)), .n_max = n,
	    .links = xcalloc((size_t)n * 3 * VF_MAX_LINKS, sizeof(*w->links)),
	    .rng = seed };
}

unsigned
vf_world_add(struct vf_world *w, uint32_t asn)
{
	if (w->n == w->n_max) {
		fprintf(stderr, "vf_world: more than %u ASes\n", w->n_max);
		exit(1);
	}
	w->as[w->n].asn = asn;
	return w->n++;
}

void
vf_world_init(struct vf_world *w, const struct vf_shape *s, uint64_t seed)
{
	unsigned t2 = s->n_t1, stub = s->n_t1 + s->n_t2;
	unsigned n = stub + s->n_stub;

	vf_world_empty(w, n, seed);
	w->n_t1 = s->n_t1;
	w->first_stub = stub;
	for (unsigned i = 0; i < n; i++)
		vf_world_add(w, i < t2 ? (s->t1_asns != NULL ? s->t1_asns[i] :
		    s->t1_base + i) : i < stub ? s->t2_base + (i - t2) :
		    s->stub_base + (i - stub));
	for (unsigned a = 0; a < t2; a++)
		for (unsigned b = a + 1; b < t2; b++)
			vf_world_peering(w, a, b);
	for (unsigned i = t2; i < stub; i++)
		for (unsigned k = 1 + vf_world_rnd(w, 3); k > 0; k--)
			vf_world_provider(w, i - t2 < s->t2_under_t1 ||
			    i == t2 ? vf_world_rnd(w, s->n_t1) :
			    t2 + vf_world_rnd(w, i - t2), i);
	for (unsigned k = 0; k < s->t2_t1_peers; k++)
		vf_world_peering(w, vf_world_rnd(w, s->n_t1),
		    t2 + vf_world_rnd(w, s->n_t2));
	for (unsigned k = 0; k < s->t2_peers; k++)
		vf_world_peering(w, t2 + vf_world_rnd(w, s->n_t2),
		    t2 + vf_world_rnd(w, s->n_t2));
	for (unsigned i = stub; i < n; i++)
		for (unsigned k = 1 + vf_world_rnd(w, 2); k > 0; k--)
			vf_world_provider(w, t2 + vf_world_rnd(w, s->n_t2), i);
	for (unsigned k = 0; k < s->stub_peers; k++)
		vf_world_peering(w, stub + vf_world_rnd(w, s->n_stub),
		    stub + vf_world_rnd(w, s->n_stub));
}

void
vf_world_free(struct vf_world *w)
{
	free(w->as);
	free(w->links);
	*w = (struct vf_world){ 0 };
}

long
vf_world_find(const struct vf_world *w, uint32_t asn)
{
	for (unsigned i = 0; i < w->n; i++)
		if (w->as[i].asn == asn)
			return i;
	return -1;
}

int
vf_world_write_asrel(const struct vf_world *w, FILE *f)
{
	for (size_t i = 0; i < w->n_links; i++)
		if (fprintf(f, "%u|%u|%s\n", w->links[i].a, w->links[i].b,
		    w->links[i].peers ? "0" : "-1") < 0)
			return -1;
	return 0;
}

/* One hop to an AS of next[0..n) not on walk[0..*len); false if it is. */
static bool
hop(struct vf_world *w, const unsigned *next, unsigned n, unsigned *walk,
    unsigned *len)
{
	unsigned nx;

	if (n == 0)
		return false;
	nx = next[vf_world_rnd(w, n)];
	if (has(walk, *len, nx))
		return false;
	walk[(*len)++] = nx;
	return true;
}

unsigned
vf_world_walk(struct vf_world *w, unsigned start, unsigned up_max,
    unsigned down_max, unsigned *walk)
{
	unsigned len = 0;
	const struct vf_as *cur;

	walk[len++] = start;
	up_max = up_max < VF_WALK_UP_MAX ? up_max : VF_WALK_UP_MAX;
	down_max = down_max < VF_WALK_DOWN_MAX ? down_max : VF_WALK_DOWN_MAX;
	for (unsigned k = vf_world_rnd(w, up_max + 1); k > 0; k--) {
		cur = &w->as[walk[len - 1]];
		if (!hop(w, cur->prov, cur->np, walk, &len))
			break;
	}
	cur = &w->as[walk[len - 1]];
	if (vf_world_rnd(w, 2))
		hop(w, cur->peer, cur->npe, walk, &len);
	for (unsigned k = vf_world_rnd(w, down_max + 1); k > 0; k--) {
		cur = &w->as[walk[len - 1]];
		if (!hop(w, cur->cust, cur->nc, walk, &len))
			break;
	}
	return len;
}

unsigned
vf_world_as_path(struct vf_world *w, const unsigned *walk, unsigned n,
    bool from_end, uint32_t *path)
{
	unsigned m = 0;

	for (unsigned i = 0; i < n; i++) {
		uint32_t asn = w->as[walk[from_end ? n - 1 - i : i]].asn;

		path[m++] = asn;
		if (vf_world_rnd(w, 10) == 0)
			for (unsigned r = 1 + vf_world_rnd(w, 2); r > 0; r--)
				path[m++] = asn;
	}
	return m;
}

bool
vf_world_hairpin(const struct vf_world *w, unsigned c, uint32_t path[3])
{
	const struct vf_as *a = &w->as[c];

	if (a->np < 2)
		return false;
	path[0] = w->as[a->prov[1]].asn;
	path[1] = a->asn;
	path[2] = w->as[a->prov[0]].asn;
	return true;
}
