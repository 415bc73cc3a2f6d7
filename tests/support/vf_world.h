/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vf_world: a synthetic AS graph for leak_detect's tests and benchmark, its
 * relationship file (CAIDA serial-1) and valley-free AS paths over it.
 *
 * vf_world_init draws three tiers: a settlement-free clique on top (tier
 * 1), transit ASes buying from tier 1 or from earlier transit, some peering
 * with each other or with a tier-1; stubs buying from transit, some
 * peering.  Everything is drawn from one xorshift stream seeded by the
 * caller: same shape and seed, same world.  bmpflow-vf-world
 * (vf_world_main.c) writes one for the Python tests.  A caller with a
 * layout of its own (bmpflow-gen-fulltable's fixed hierarchy) starts from
 * vf_world_empty and links the ASes itself.
 */
#ifndef BF_VF_WORLD_H
#define BF_VF_WORLD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define VF_MAX_LINKS	48	/* providers, customers, peers per AS */
/* Longest walk: the AS, up, one peer, down (vf_world_walk's maxima). */
#define VF_MAX_WALK	(1 + VF_WALK_UP_MAX + 1 + VF_WALK_DOWN_MAX)
#define VF_WALK_UP_MAX	4
#define VF_WALK_DOWN_MAX 3
/* Longest AS path of a walk: each AS at most three times. */
#define VF_MAX_PATH	(3 * VF_MAX_WALK)

struct vf_shape {
	unsigned	 n_t1, n_t2, n_stub;	/* ASes per tier */
	const uint32_t	*t1_asns;	/* n_t1 ASNs, or NULL: t1_base + i */
	uint32_t	 t1_base, t2_base, stub_base;	/* ASN of index 0 */
	unsigned	 t2_under_t1;	/* transit ASes buying from tier 1 */
	unsigned	 t2_t1_peers;	/* transit-tier 1 peerings tried */
	unsigned	 t2_peers;	/* transit-transit peerings tried */
	unsigned	 stub_peers;	/* stub-stub peerings tried */
};

struct vf_as {
	uint32_t	asn;
	unsigned	np, nc, npe;
	unsigned	prov[VF_MAX_LINKS], cust[VF_MAX_LINKS], peer[VF_MAX_LINKS];
};

struct vf_link {
	uint32_t	a, b;	/* provider|customer, or peer|peer */
	bool		peers;
};

/*
 * ASes 0..n_t1 are tier 1, then transit, then stubs (first_stub on).
 */
struct vf_world {
	struct vf_as	*as;
	unsigned	 n, n_max, n_t1, first_stub;
	struct vf_link	*links;		/* in the order made */
	size_t		 n_links;
	uint64_t	 rng;
};

enum vf_rel { VF_REL_NONE, VF_REL_PROVIDER, VF_REL_CUSTOMER, VF_REL_PEER };

/* Build the world of shape s from seed (not 0); exits on no memory. */
void		vf_world_init(struct vf_world *w, const struct vf_shape *s,
		    uint64_t seed);
/* A world of no AS, room for n; exits on no memory. */
void		vf_world_empty(struct vf_world *w, unsigned n, uint64_t seed);
/* Add AS asn: its index; exits when there is no room. */
unsigned	vf_world_add(struct vf_world *w, uint32_t asn);
/*
 * Make p a provider of c, or a and b peers, unless they are linked already
 * or a list is full (VF_MAX_LINKS): links beyond are not made.
 */
void		vf_world_provider(struct vf_world *w, unsigned p, unsigned c);
void		vf_world_peering(struct vf_world *w, unsigned a, unsigned b);
/* What b is to a: its provider, customer, peer, or none. */
enum vf_rel	vf_world_rel(const struct vf_world *w, unsigned a, unsigned b);
void		vf_world_free(struct vf_world *w);
/* A number below n from the world's stream (n > 0). */
uint32_t	vf_world_rnd(struct vf_world *w, uint32_t n);
/* The AS index of asn, or -1. */
long		vf_world_find(const struct vf_world *w, uint32_t asn);
/* Write the links, one "a|b|-1" or "a|b|0" line each; 0 or -1 (errno). */
int		vf_world_write_asrel(const struct vf_world *w, FILE *f);
/*
 * A valley-free walk from AS start into walk: up to up_max hops to a
 * provider (at most VF_WALK_UP_MAX), one time in two a peer, up to
 * down_max hops to a customer (at most VF_WALK_DOWN_MAX), never an AS
 * twice.  walk[0] = start; returns the walk's length.  Read either way it
 * is valley-free: from the origin up, or from a neighbour that learned
 * the route from a provider, then a peer, then customers down.
 */
unsigned	vf_world_walk(struct vf_world *w, unsigned start,
		    unsigned up_max, unsigned down_max, unsigned *walk);
/*
 * The AS path of walk[0..n) into path (room for 3 * n): from_end: the
 * walk's last AS first (a walk from the origin, as the AS at its end
 * sends it), else its first; one AS in ten prepended once or twice more.
 * Returns the path's length.
 */
unsigned	vf_world_as_path(struct vf_world *w, const unsigned *walk,
		    unsigned n, bool from_end, uint32_t *path);
/*
 * A hairpin through AS c: its second provider, c, its first (a route one
 * provider's route passed to the other, RFC 7908 type 1).  Returns false
 * when c has fewer than two providers.
 */
bool		vf_world_hairpin(const struct vf_world *w, unsigned c,
		    uint32_t path[3]);

#endif /* BF_VF_WORLD_H */
