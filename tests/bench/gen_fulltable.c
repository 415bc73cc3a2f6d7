/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bmpflow-gen-fulltable: write a deterministic synthetic BMP stream (RFC 7854)
 * of full-table feeds, for the decoder benchmark and the smoke test.
 *
 *   bmpflow-gen-fulltable -o /tmp/fulltable.bmp  (the default feed)
 *   bmpflow-gen-fulltable --peers 3 --ipv4 20000 --ipv6 5000 \
 *       --withdraw-pct 10 --seed 7 -o small.bmp
 *   bmpflow-decode -q small.bmp     its summary matches our "generated:" line
 *   bench_decode /tmp/fulltable.bmp
 *
 * The stream: Initiation; a Peer Up per peer (both OPENs with IPv4 and IPv6
 * unicast multiprotocol and 4-octet AS capabilities); the peers' tables
 * interleaved in bursts of Route Monitoring UPDATEs (IPv4 in the NLRI field,
 * IPv6 in MP_REACH_NLRI), each table closed by End-of-RIB per family; then
 * the optional withdrawals (withdrawn routes field, MP_UNREACH_NLRI); a Peer
 * Down per peer and a Termination.  Every BMP message stays within 4096
 * bytes, so its UPDATE does too.
 *
 * Same options, same bytes: everything is drawn from splitmix64 streams
 * seeded by --seed.  Prefixes are unique per peer by construction: prefix i
 * of a family is a keyed bijection of i within its prefix length's address
 * space, and each peer walks the indexes through its own bijection.
 *
 * With --valley-free ASREL_FILE every AS path is valley-free under the
 * relationships written to ASREL_FILE and each session's BGP Role, stated
 * in its Peer Up (see vf_hier, vf_sessions): a clean feed for leak_detect.
 * Without it the bytes are those of the plain generator.
 *
 * The last line on standard error counts what bmpflow-decode -q reports:
 *   generated: messages=M updates=U announced=A withdrawn=W eor=E bytes=B
 * Standalone on purpose (no bmpflow_core): it shares only wire constants with
 * the decoder, so a decoder bug cannot hide itself in the test data; its
 * bytes are laid out by the tests' builder (support/bmp_build.h).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bmp_build.h"
#include "vf_world.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

#define OUT_BUF_SIZE	(8u << 20)	/* flushed with one fwrite */
#define MAX_BMP_MSG	BGP_MAX_MSG_LEN	/* whole BMP message, header included */
#define MAX_UPDATE_LEN	(MAX_BMP_MSG - BMP_PEER_MSG_MIN)
#define MSG_ROOM	(2 * MAX_BMP_MSG)	/* free space before each message */
#define MAX_PEERS	65535
#define MAX_PATH_LEN	10
#define MAX_CLASSES	24
#define TS_BASE		1704067200u	/* 2024-01-01T00:00:00Z */
#define ROUTER_AS	64496		/* the monitored router, RFC 5398 */
#define ROUTER_ID	0xc0000201u	/* 192.0.2.1 */
#define ORIGIN_AS4_BASE	131072		/* 4-octet origins: base, count */
#define ORIGIN_AS4_N	270000
#define ORIGIN_AS_END	(ORIGIN_AS4_BASE + ORIGIN_AS4_N)	/* above all */
#define PEER_AS_BASE	200000		/* peers beyond peer_as_list or
					 * vf_sessions: + index */
#define IPV6_NH_LEN	16

/* splitmix64: small, fast, and good enough for test data. */
struct rng {
	uint64_t	s;
};

static uint64_t
rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform enough in [0, n) for n < 2^32. */
static uint32_t
rng_below(struct rng *r, uint32_t n)
{
	return (uint32_t)(((rng_next(r) >> 32) * n) >> 32);
}

/* Index drawn from weights w[0..n) summing to 100. */
static unsigned
pick(struct rng *r, const uint8_t *w, unsigned n)
{
	uint32_t x = rng_below(r, 100);
	unsigned i;

	for (i = 0; i + 1 < n && x >= w[i]; i++)
		x -= w[i];
	return i;
}

static uint64_t
derive_key(uint64_t seed, uint64_t salt)
{
	struct rng r = { seed ^ (salt * 0xd6e8feb86659fd93ULL) };

	return rng_next(&r);
}

/*
 * A keyed bijection of [0, 2^bits): adding a key, multiplying by an odd
 * number and xor-shifting right are each invertible modulo 2^bits.
 */
static uint64_t
mix_bits(uint64_t x, unsigned bits, uint64_t key)
{
	uint64_t mask = bits >= 64 ? ~0ULL : (1ULL << bits) - 1;
	unsigned sh = bits / 2 + 1;

	for (int round = 0; round < 3; round++) {
		x = (x + key) & mask;
		x = (x * 0x9e3779b97f4a7c15ULL) & mask;
		x ^= x >> sh;
		key = key * 0x5851f42d4c957f2dULL + 0x14057b7ef767814fULL;
	}
	return x;
}

/* A keyed bijection of [0, n), n <= 2^bits, by cycle walking. */
static uint64_t
permute(uint64_t x, uint64_t n, unsigned bits, uint64_t key)
{
	do
		x = mix_bits(x, bits, key);
	while (x >= n);
	return x;
}

static unsigned
ceil_log2(uint64_t n)
{
	unsigned b = 0;

	while (b < 64 && (1ULL << b) < n)
		b++;
	return b;
}

/*
 * Prefix lengths of a family, weights per 10000, most frequent first (the
 * class lookup scans in this order).  Shapes follow public full tables:
 * IPv4 about 60% /24; IPv6 about half /48, then /32, /44, /40.
 */
struct len_weight {
	uint8_t		len;
	uint16_t	weight;
};

static const struct len_weight v4_lens[] = {
	{ 24, 5900 }, { 22, 1050 }, { 23, 1000 }, { 21, 520 }, { 20, 480 },
	{ 19, 330 }, { 16, 250 }, { 18, 190 }, { 17, 120 }, { 15, 40 },
	{ 14, 40 }, { 13, 30 }, { 12, 20 }, { 11, 12 }, { 10, 8 }, { 9, 4 },
	{ 8, 6 },
};

static const struct len_weight v6_lens[] = {
	{ 48, 4700 }, { 32, 1250 }, { 44, 1000 }, { 40, 900 }, { 36, 450 },
	{ 46, 400 }, { 47, 350 }, { 29, 300 }, { 45, 200 }, { 42, 150 },
	{ 33, 100 }, { 34, 80 }, { 28, 60 }, { 38, 60 },
};

struct len_class {
	uint8_t		len;
	unsigned	bits;		/* of the address space's bijection */
	uint64_t	space;		/* distinct prefixes of this length */
	uint64_t	start, count;	/* prefix indexes [start, start+count) */
	uint64_t	key;
};

/* One address family's prefix set: index in [0, n) -> unique prefix. */
struct family {
	bool		v6;
	uint64_t	n;
	unsigned	n_bits;		/* ceil(log2(n)), for the order bijection */
	unsigned	n_cls;
	struct len_class cls[MAX_CLASSES];
};

/*
 * Split n prefixes over the length classes: by weight, capped by each
 * length's space (IPv4 1.0.0.0-223.255.255.255, IPv6 2000::/3), the excess
 * going to the classes with room.  Returns 0, or -1 when n does not fit.
 */
static int
family_init(struct family *f, bool v6, uint64_t n, uint64_t seed)
{
	const struct len_weight *lw = v6 ? v6_lens : v4_lens;
	unsigned nl = v6 ? NELEM(v6_lens) : NELEM(v4_lens);
	uint64_t given = 0, excess, start = 0;

	memset(f, 0, sizeof(*f));
	f->v6 = v6;
	f->n = n;
	f->n_bits = ceil_log2(n);
	f->n_cls = nl;
	for (unsigned i = 0; i < nl; i++) {
		struct len_class *c = &f->cls[i];

		c->len = lw[i].len;
		c->space = v6 ? 1ULL << (c->len - 3) :
		    (uint64_t)223 << (c->len - 8);
		c->bits = ceil_log2(c->space);
		c->key = derive_key(seed, (v6 ? 0x600 : 0x400) + c->len);
		c->count = n / 10000 * lw[i].weight +
		    n % 10000 * lw[i].weight / 10000;
		given += c->count;
	}
	excess = n - given;
	for (unsigned i = 0; i < nl; i++) {
		struct len_class *c = &f->cls[i];

		if (c->count > c->space) {
			excess += c->count - c->space;
			c->count = c->space;
		}
	}
	for (unsigned i = 0; i < nl && excess > 0; i++) {
		struct len_class *c = &f->cls[i];
		uint64_t room = c->space - c->count;
		uint64_t take = room < excess ? room : excess;

		c->count += take;
		excess -= take;
	}
	if (excess > 0)
		return -1;
	for (unsigned i = 0; i < nl; i++) {
		f->cls[i].start = start;
		start += f->cls[i].count;
	}
	return 0;
}

/* Write prefix i as NLRI (length byte, prefix bytes); returns bytes. */
static size_t
put_prefix(const struct family *f, uint64_t i, uint8_t *b)
{
	const struct len_class *c = f->cls;
	uint64_t v, top;
	unsigned nbytes;

	while (i >= c->start + c->count)
		c++;
	v = permute(i - c->start, c->space, c->bits, c->key);
	if (f->v6)
		top = (v | 1ULL << (c->len - 3)) << (64 - c->len);
	else
		top = (v + (1ULL << (c->len - 8))) << (64 - c->len);
	nbytes = (c->len + 7u) / 8;
	b[0] = c->len;
	for (unsigned k = 0; k < nbytes; k++)
		b[1 + k] = (uint8_t)(top >> (56 - 8 * k));
	return 1 + nbytes;
}

/* Largest NLRI of a family: length byte and a full address. */
#define MAX_NLRI_LEN	17

struct opts {
	uint32_t	peers;
	uint64_t	ipv4, ipv6;
	uint64_t	seed;
	double		withdraw_pct;
	uint32_t	per_update;	/* 0: drawn per UPDATE */
	const char	*out;
	const char	*asrel;		/* --valley-free ASREL_FILE */
};

enum phase {
	PH_V4,
	PH_EOR4,
	PH_V6,
	PH_EOR6,
	PH_TABLE_DONE,
	PH_WD4 = PH_TABLE_DONE,
	PH_WD6,
	PH_DONE,
};

struct peer {
	uint32_t	idx;
	uint32_t	addr, local_addr, bgp_id, as;
	uint16_t	com_as;		/* 16-bit ASN used in its communities */
	uint8_t		nh6[IPV6_NH_LEN];
	struct rng	rng;
	uint64_t	order4, order6, wkey4, wkey6;	/* bijection keys */
	uint64_t	pos4, pos6;	/* next table position announced */
	uint64_t	wpos4, wpos6, wd4, wd6;	/* withdrawn so far, to withdraw */
	enum phase	phase;
	unsigned	vf_rank;	/* --valley-free: index in vf_hier, or
					 * NELEM(vf_hier): none */
	int		role;		/* BGP_ROLE_* in its OPEN, -1: none */
};

struct stats {
	uint64_t	msgs, updates, announced, withdrawn, eor, bytes;
};

struct gen {
	struct opts	 o;
	FILE		*out;
	uint8_t		*buf;
	size_t		 used;
	struct rng	 rng;		/* interleaving of peers */
	uint64_t	 ts_us;
	struct family	 v4, v6;
	struct peer	*peers;
	struct stats	 st;
	struct vf	*vf;		/* --valley-free, else NULL */
};

static const uint32_t peer_as_list[] = {
	3356, 1299, 174, 2914, 6939, 3257, 6453, 199524, 3491, 1273,
	6461, 9002, 4637, 5511, 12956, 7018, 701, 6830, 2497, 6762,
};

static const uint32_t transit_as[] = {
	174, 209, 701, 1239, 1273, 1299, 2828, 2914, 3257, 3320, 3356, 3491,
	4134, 4637, 4826, 5511, 6453, 6461, 6762, 6830, 6939, 7018, 7473, 7922,
	9002, 12956, 20485, 24482, 31133, 37100, 58453, 132203, 262589, 199524,
};

#define N_TRANSIT16	31	/* the leading 2-octet ASNs of transit_as */

static const uint16_t community_values[] = {
	1, 2, 3, 22, 80, 86, 100, 110, 120, 200, 300, 400, 500, 666, 1000,
	2000, 3000, 9999,
};

/* Prefixes per UPDATE 1..12: most pack several sharing their attributes. */
static const uint8_t pack_w[12] = { 22, 14, 11, 9, 8, 7, 6, 5, 5, 5, 4, 4 };
/* AS_PATH length 1..10. */
static const uint8_t path_len_w[MAX_PATH_LEN] = {
	2, 12, 26, 25, 16, 9, 5, 3, 1, 1,
};
/* COMMUNITIES count 0..6. */
static const uint8_t comm_w[7] = { 30, 15, 15, 13, 11, 9, 7 };

static void
flush_out(struct gen *g)
{
	if (g->used > 0 && fwrite(g->buf, 1, g->used, g->out) != g->used) {
		fprintf(stderr, "bmpflow-gen-fulltable: %s: write error: %s\n",
		    g->o.out ? g->o.out : "stdout", strerror(errno));
		exit(1);
	}
	g->used = 0;
}

/* Start a BMP message: returns where its 6-byte common header goes. */
static uint8_t *
msg_begin(struct gen *g)
{
	if (OUT_BUF_SIZE - g->used < MSG_ROOM)
		flush_out(g);
	return g->buf + g->used + BMP_COMMON_HDR_LEN;
}

/* Finish the message whose body ends at end: fill the common header. */
static void
msg_end(struct gen *g, uint8_t type, const uint8_t *end)
{
	uint8_t *start = g->buf + g->used;
	size_t len = (size_t)(end - start);

	if (len > MAX_BMP_MSG && type == BMP_ROUTE_MONITORING) {
		fprintf(stderr, "bmpflow-gen-fulltable: internal error: UPDATE "
		    "message of %zu bytes\n", len);
		abort();
	}
	(void)bb_put_bmp_hdr(start, type, (uint32_t)len);
	g->used += len;
	g->st.msgs++;
	g->st.bytes += len;
}

static uint8_t *
put_peer_hdr(struct gen *g, uint8_t *b, const struct peer *p)
{
	uint8_t addr[16] = { 0 };	/* IPv4 in the last 4 */
	uint64_t us;

	g->ts_us += 17 + (g->st.msgs & 31);
	us = g->ts_us;
	(void)bb_put32(addr + 12, p->addr);
	/* IPv4 peer, pre-policy Adj-RIB-In */
	return bb_put_peer_hdr(b, BMP_PEER_GLOBAL, 0, NULL, addr, p->as,
	    p->bgp_id, TS_BASE + (uint32_t)(us / 1000000),
	    (uint32_t)(us % 1000000));
}

/* BGP header with a length to be patched by bgp_end(). */
static uint8_t *
bgp_begin(uint8_t *b, uint8_t type)
{
	return bb_put_bgp_hdr(b, type, 0);
}

static void
bgp_end(uint8_t *start, const uint8_t *end)
{
	(void)bb_put16(start + BGP_MARKER_LEN, (uint16_t)(end - start));
}

static void
emit_initiation(struct gen *g)
{
	char descr[160];
	const char *name = "gen-fulltable.example.net";
	uint8_t *b = msg_begin(g);
	int n;

	n = snprintf(descr, sizeof(descr), "bmpflow-gen-fulltable synthetic "
	    "full table: %" PRIu32 " peers, %" PRIu64 " IPv4 + %" PRIu64
	    " IPv6 prefixes each, seed %" PRIu64, g->o.peers, g->o.ipv4,
	    g->o.ipv6, g->o.seed);
	if (n < 0 || (size_t)n >= sizeof(descr))
		n = (int)strlen(descr);
	b = bb_put_tlv(b, BMP_INFO_SYSDESCR, descr, (uint16_t)n);
	b = bb_put_tlv(b, BMP_INFO_SYSNAME, name, (uint16_t)strlen(name));
	msg_end(g, BMP_INITIATION, b);
}

static void
emit_termination(struct gen *g)
{
	const char *why = "bmpflow-gen-fulltable: end of synthetic feed";
	uint8_t reason[2] = { 0, 0 };	/* administratively closed */
	uint8_t *b = msg_begin(g);

	b = bb_put_tlv(b, BMP_INFO_STRING, why, (uint16_t)strlen(why));
	b = bb_put_tlv(b, BMP_TERM_REASON, reason, (uint16_t)sizeof(reason));
	msg_end(g, BMP_TERMINATION, b);
}

/*
 * BGP OPEN with one Capabilities parameter: multiprotocol IPv4 and IPv6
 * unicast (RFC 4760), route refresh (RFC 2918), optionally enhanced route
 * refresh (RFC 7313), 4-octet AS (RFC 6793), the sender's BGP Role (RFC
 * 9234) unless role is -1.
 */
static uint8_t *
put_open(uint8_t *b, uint32_t as, uint16_t hold, uint32_t id, bool err_cap,
    int role)
{
	uint8_t *start = b, *plen, *caps;

	b = bgp_begin(b, BGP_MSG_OPEN);
	*b++ = 4;
	b = bb_put16(b, as > 0xffff ? BGP_AS_TRANS : (uint16_t)as);
	b = bb_put16(b, hold);
	b = bb_put32(b, id);
	plen = b++;
	*b++ = BGP_OPT_PARAM_CAPABILITIES;
	caps = b++;
	*b++ = BGP_CAP_MP;
	*b++ = 4;
	b = bb_put16(b, BGP_AFI_IPV4);
	*b++ = 0;
	*b++ = BGP_SAFI_UNICAST;
	*b++ = BGP_CAP_MP;
	*b++ = 4;
	b = bb_put16(b, BGP_AFI_IPV6);
	*b++ = 0;
	*b++ = BGP_SAFI_UNICAST;
	*b++ = BGP_CAP_ROUTE_REFRESH;
	*b++ = 0;
	if (err_cap) {
		*b++ = BGP_CAP_ENHANCED_RR;
		*b++ = 0;
	}
	*b++ = BGP_CAP_AS4;
	*b++ = 4;
	b = bb_put32(b, as);
	if (role >= 0) {
		*b++ = BGP_CAP_ROLE;
		*b++ = 1;
		*b++ = (uint8_t)role;
	}
	*caps = (uint8_t)(b - caps - 1);
	*plen = (uint8_t)(b - plen - 1);
	bgp_end(start, b);
	return b;
}

static void
emit_peer_up(struct gen *g, const struct peer *p)
{
	uint8_t *b = msg_begin(g);
	bool passive = p->idx % 2 == 0;

	b = put_peer_hdr(g, b, p);
	memset(b, 0, 12);
	b = bb_put32(b + 12, p->local_addr);
	b = bb_put16(b, passive ? 179 : (uint16_t)(32768 + p->idx % 28000));
	b = bb_put16(b, passive ? (uint16_t)(49152 + p->idx % 16000) : 179);
	/* Sessions with a role are to our providers and peers (vf_sessions). */
	b = put_open(b, ROUTER_AS, 180, ROUTER_ID, false, p->role < 0 ? -1 :
	    p->role == BGP_ROLE_PROVIDER ? BGP_ROLE_CUSTOMER : BGP_ROLE_PEER);
	b = put_open(b, p->as, 90, p->bgp_id, true, p->role);	/* received */
	msg_end(g, BMP_PEER_UP, b);
}

static void
emit_peer_down(struct gen *g, struct peer *p)
{
	uint8_t *b = msg_begin(g);

	b = put_peer_hdr(g, b, p);
	if (rng_below(&p->rng, 2) == 0) {
		*b++ = BMP_PD_LOCAL_NO_NOTIFY;
		b = bb_put16(b, 2);	/* FSM event 2, ManualStop */
	} else
		*b++ = BMP_PD_REMOTE_NO_NOTIFY;
	msg_end(g, BMP_PEER_DOWN, b);
}

static uint32_t
draw_origin_as(struct rng *r)
{
	uint32_t as;

	if (rng_below(r, 100) < 22)
		return ORIGIN_AS4_BASE + rng_below(r, ORIGIN_AS4_N);
	as = 1 + rng_below(r, 64495);
	return as == BGP_AS_TRANS ? as + 1 : as;
}

/*
 * The default AS path of n ASes into path: the peer, transit ASes drawn
 * from transit_as (no relationships behind them: leaks and all), the
 * origin; sometimes the origin prepended over the transit ASes before it.
 */
static void
draw_path(struct peer *p, unsigned n, uint32_t *path)
{
	struct rng *r = &p->rng;

	path[0] = p->as;
	for (unsigned i = 1; i < n; i++) {
		uint32_t j = rng_below(r, NELEM(transit_as));

		/* no repeated neighbour: the list holds each ASN once */
		if (transit_as[j] == path[i - 1])
			j = (j + 1) % (uint32_t)NELEM(transit_as);
		path[i] = transit_as[j];
	}
	if (n >= 2) {
		uint32_t origin_as = path[n - 1] = draw_origin_as(r);

		if (n >= 4 && rng_below(r, 100) < 7)	/* prepending */
			for (unsigned j = 1 + rng_below(r, 2); j > 0; j--)
				path[n - 1 - j] = origin_as;
	}
}

static unsigned
draw_pack(const struct gen *g, struct rng *r)
{
	if (g->o.per_update > 0)
		return g->o.per_update;
	return 1 + pick(r, pack_w, NELEM(pack_w));
}

/* Attribute header; extended length when the value needs it. */
static uint8_t *
put_attr_hdr(uint8_t *b, uint8_t flags, uint8_t code, size_t len)
{
	return bb_put_attr_hdr(b, len > 255 ? flags | BGP_ATTR_F_EXTLEN : flags,
	    code, (uint16_t)len);
}

/* ---- --valley-free ------------------------------------------------------ */

/*
 * The AS hierarchy of --valley-free: a fixed rank per ASN, its index here.
 * Tier 1 is leak_detect's built-in transit-free list (its peer-lock rule):
 * settlement-free peers of each other, the clique.  Then transit ASes,
 * each a peer of half the tier 1 (vf_peers) and so a provider that passes
 * transit-free peers' routes down; then the upstreams of the origins.  Of
 * any other two ranks the higher is a provider of the lower.  Sessions
 * beyond vf_sessions rank just above the origin upstreams: providers of
 * them only.  The ranks are a vf_world (support/vf_world.h), AS index =
 * rank: the path drawing and the relationship file both ask it.
 */
static const uint32_t vf_hier[] = {
	/* tier 1 */
	174, 701, 1239, 1299, 2914, 3257, 3320, 3356, 3491, 5511, 6453,
	6461, 6762, 6830, 7018, 12956,
	/* transit peering with part of the tier 1 */
	6939, 199524, 1273, 9002, 4637, 2497,
	/* origin upstreams */
	209, 2828, 4134, 4826, 7473, 7922, 20485, 24482, 31133, 37100, 58453,
	132203, 262589,
};

#define VF_TIER1	16		/* vf_hier[0..16) */
#define VF_UP0		22		/* vf_hier[22..) origin upstreams */
#define VF_N_UP		(NELEM(vf_hier) - VF_UP0)
#define VF_NONE		NELEM(vf_hier)	/* a session's rank when not in it */
#define VF_CLIMB_MAX	2	/* a provider session: providers above it */
#define VF_PEER_LINK_PCT 30	/* a provider session: then a peer link */

/*
 * The sessions of --valley-free, peer index order: the neighbour's AS and
 * BGP Role, stated in its Peer Up.  A provider sends us any valley-free
 * path (from its customers, peers and providers), a peer its customers'
 * routes only.  With two sessions: a transit provider peering with
 * transit-free ASes, and a tier-1 peer.  Further sessions: providers.
 */
static const struct {
	uint32_t	as;
	int		role;
} vf_sessions[] = {
	{ 199524, BGP_ROLE_PROVIDER }, { 1299, BGP_ROLE_PEER },
	{ 3356, BGP_ROLE_PROVIDER }, { 6939, BGP_ROLE_PEER },
	{ 1273, BGP_ROLE_PROVIDER }, { 2914, BGP_ROLE_PEER },
	{ 174, BGP_ROLE_PROVIDER }, { 9002, BGP_ROLE_PEER },
};

struct vf {
	struct vf_world	 hier;		/* vf_hier, index = rank */
	uint8_t		*taken;		/* never an origin: bitmap by ASN */
	uint8_t		*linked;	/* "upstream|origin" to write */
	uint64_t	*direct;	/* (peer index + 1) << 32 | origin, */
	size_t		 n_direct, cap_direct;	/* 0 = empty slot */
};

static void *
vf_calloc(size_t n, size_t size)
{
	void *v = calloc(n, size);

	if (v == NULL) {
		fprintf(stderr, "bmpflow-gen-fulltable: out of memory\n");
		exit(1);
	}
	return v;
}

static bool
bit_get(const uint8_t *m, uint32_t i)
{
	return m[i / 8] >> (i % 8) & 1;
}

static void
bit_set(uint8_t *m, uint32_t i)
{
	m[i / 8] |= (uint8_t)(1u << (i % 8));
}

/*
 * Whether ranks a < b are peers, else a is a provider of b.  Transit rank
 * t peers with the tier-1 ranks of its parity.
 */
static bool
vf_peers(unsigned a, unsigned b)
{
	return b < VF_TIER1 || (a < VF_TIER1 && b < VF_UP0 && (a + b) % 2 == 0);
}

/* The upstream of origin o: one origin upstream, fixed by the ASN. */
static unsigned
vf_upstream(uint32_t o)
{
	struct rng r = { o };

	return VF_UP0 + rng_below(&r, VF_N_UP);
}

/* The AS and the BGP Role of session i under --valley-free. */
static void
vf_session(uint32_t i, struct peer *p)
{
	p->as = i < NELEM(vf_sessions) ? vf_sessions[i].as : PEER_AS_BASE + i;
	p->role = i < NELEM(vf_sessions) ? vf_sessions[i].role :
	    BGP_ROLE_PROVIDER;
}

static void
vf_init(struct gen *g)
{
	struct vf *v = vf_calloc(1, sizeof(*v));

	v->taken = vf_calloc(ORIGIN_AS_END / 8 + 1, 1);
	v->linked = vf_calloc(ORIGIN_AS_END / 8 + 1, 1);
	vf_world_empty(&v->hier, NELEM(vf_hier), 1);
	for (unsigned i = 0; i < NELEM(vf_hier); i++)
		vf_world_add(&v->hier, vf_hier[i]);
	for (unsigned i = 0; i < NELEM(vf_hier); i++)
		for (unsigned j = i + 1; j < NELEM(vf_hier); j++) {
			if (vf_peers(i, j))
				vf_world_peering(&v->hier, i, j);
			else
				vf_world_provider(&v->hier, i, j);
		}
	for (size_t i = 0; i < NELEM(vf_hier); i++)
		if (vf_hier[i] < ORIGIN_AS_END)
			bit_set(v->taken, vf_hier[i]);
	for (uint32_t i = 0; i < g->o.peers; i++) {
		struct peer *p = &g->peers[i];

		if (p->as < ORIGIN_AS_END)
			bit_set(v->taken, p->as);
		p->vf_rank = VF_NONE;
		for (unsigned k = 0; k < NELEM(vf_hier); k++)
			if (vf_hier[k] == p->as)
				p->vf_rank = k;
	}
	g->vf = v;
}

/* Note "peer p is a provider of origin o" for the relationship file. */
static void
vf_direct(struct gen *g, const struct peer *p, uint32_t o)
{
	struct vf *v = g->vf;
	uint64_t key = (uint64_t)(p->idx + 1) << 32 | o;
	size_t j;

	if ((v->n_direct + 1) * 2 > v->cap_direct) {
		size_t nc = v->cap_direct ? v->cap_direct * 2 : 4096;
		uint64_t *t = vf_calloc(nc, sizeof(*t));

		for (size_t i = 0; i < v->cap_direct; i++) {
			if (v->direct[i] == 0)
				continue;
			for (j = derive_key(v->direct[i], 1) & (nc - 1); t[j];
			    j = (j + 1) & (nc - 1))
				;
			t[j] = v->direct[i];
		}
		free(v->direct);
		v->direct = t;
		v->cap_direct = nc;
	}
	for (j = derive_key(key, 1) & (v->cap_direct - 1);
	    v->direct[j] != 0 && v->direct[j] != key;
	    j = (j + 1) & (v->cap_direct - 1))
		;
	if (v->direct[j] == 0) {
		v->direct[j] = key;
		v->n_direct++;
	}
}

static bool
in_path(const uint32_t *path, unsigned m, uint32_t as)
{
	for (unsigned i = 0; i < m; i++)
		if (path[i] == as)
			return true;
	return false;
}

/*
 * A rank of next[0..n) whose AS is not on the path yet, drawn uniformly;
 * VF_NONE when there is none.
 */
static unsigned
vf_draw(struct rng *r, const unsigned *next, unsigned n, const uint32_t *path,
    unsigned m)
{
	unsigned cand[NELEM(vf_hier)], k = 0;

	for (unsigned i = 0; i < n; i++)
		if (!in_path(path, m, vf_hier[next[i]]))
			cand[k++] = next[i];
	return k ? cand[rng_below(r, k)] : VF_NONE;
}

/*
 * A valley-free AS path of about n ASes into path; returns its length.
 * Read from the session: a provider session climbs to up to VF_CLIMB_MAX
 * of its providers and sometimes crosses one peer link (the tier-1
 * clique, or a transit AS and a tier-1); then every session goes down,
 * each AS a customer of the one before, through ranks drawn in order to
 * the origin's upstream and the origin.  Two ASes: the origin is the
 * session's own customer.  The origin is drawn as without the option, but
 * never an AS of vf_hier or a session's AS, and prepended as often.
 */
static unsigned
vf_path(struct gen *g, struct peer *p, unsigned n, uint32_t *path)
{
	struct rng *r = &p->rng;
	const struct vf_world *h = &g->vf->hier;
	unsigned m = 0, reps = 0, k, up, cur = p->vf_rank, next;
	uint32_t o;

	path[m++] = p->as;
	if (n == 1)
		return m;
	do
		o = draw_origin_as(r);
	while (bit_get(g->vf->taken, o));
	if (n >= 4 && rng_below(r, 100) < 7)
		reps = 1 + rng_below(r, 2);
	if (n - reps == 2)
		vf_direct(g, p, o);
	else {
		up = vf_upstream(o);
		k = n - reps - 3;	/* ASes between the session and up */
		if (p->role == BGP_ROLE_PROVIDER && cur != VF_NONE) {
			for (unsigned c = rng_below(r, VF_CLIMB_MAX + 1);
			    c > 0 && k > 0 && (next = vf_draw(r, h->as[cur].prov,
			    h->as[cur].np, path, m)) != VF_NONE; c--, k--)
				path[m++] = vf_hier[cur = next];
			if (k > 0 && rng_below(r, 100) < VF_PEER_LINK_PCT &&
			    (next = vf_draw(r, h->as[cur].peer, h->as[cur].npe,
			    path, m)) != VF_NONE) {
				path[m++] = vf_hier[cur = next];
				k--;
			}
		}
		/* down: up to k of the ranks (cur, up), selection sampling */
		for (unsigned i = cur == VF_NONE ? VF_UP0 : cur + 1;
		    i < up && k > 0; i++)
			if ((cur == VF_NONE ||
			    vf_world_rel(h, cur, i) == VF_REL_CUSTOMER) &&
			    !in_path(path, m, vf_hier[i]) &&
			    rng_below(r, up - i) < k) {
				path[m++] = vf_hier[cur = i];
				k--;
			}
		path[m++] = vf_hier[up];
		bit_set(g->vf->linked, o);
	}
	do
		path[m++] = o;
	while (reps-- > 0);
	return m;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Write the relationship file of the feed (CAIDA serial-1): the hierarchy,
 * the sessions beyond vf_sessions above the origin upstreams, each origin
 * under its upstream and under the peers it is a direct customer of.
 * Returns the number of links, or -1 (message printed) on a write error.
 */
static long
vf_write(struct gen *g)
{
	struct vf *v = g->vf;
	FILE *f = fopen(g->o.asrel, "w");
	long links = 0;
	size_t n = 0;

	if (f == NULL) {
		fprintf(stderr, "bmpflow-gen-fulltable: %s: cannot create: %s\n",
		    g->o.asrel, strerror(errno));
		return -1;
	}
	fprintf(f, "# bmpflow-gen-fulltable --valley-free, seed %" PRIu64
	    ", %" PRIu32 " peers: the AS relationships\n# of its feed, CAIDA "
	    "serial-1 (provider|customer|-1, peer|peer|0)\n", g->o.seed,
	    g->o.peers);
	fprintf(f, "# transit hierarchy\n");
	vf_world_write_asrel(&v->hier, f);	/* errors: ferror below */
	links += (long)v->hier.n_links;
	for (uint32_t i = 0; i < g->o.peers; i++) {
		const struct peer *p = &g->peers[i];

		if (p->vf_rank != VF_NONE)
			continue;
		for (unsigned j = VF_UP0; j < NELEM(vf_hier); j++, links++)
			fprintf(f, "%" PRIu32 "|%" PRIu32 "|-1\n", p->as,
			    vf_hier[j]);
	}
	fprintf(f, "# origins under their upstream\n");
	for (uint32_t o = 1; o < ORIGIN_AS_END; o++)
		if (bit_get(v->linked, o)) {
			fprintf(f, "%" PRIu32 "|%" PRIu32 "|-1\n",
			    vf_hier[vf_upstream(o)], o);
			links++;
		}
	fprintf(f, "# origins that are direct customers of a peer\n");
	for (size_t i = 0; i < v->cap_direct; i++)
		if (v->direct[i] != 0)
			v->direct[n++] = v->direct[i];
	if (n > 0)
		qsort(v->direct, n, sizeof(*v->direct), cmp_u64);
	for (size_t i = 0; i < n; i++, links++)
		fprintf(f, "%" PRIu32 "|%" PRIu32 "|-1\n",
		    g->peers[(v->direct[i] >> 32) - 1].as,
		    (uint32_t)v->direct[i]);
	if (fflush(f) != 0 || ferror(f) || fclose(f) != 0) {
		fprintf(stderr, "bmpflow-gen-fulltable: %s: write error: %s\n",
		    g->o.asrel, strerror(errno));
		return -1;
	}
	return links;
}

static void
vf_free(struct vf *v)
{
	if (v == NULL)
		return;
	free(v->taken);
	free(v->linked);
	free(v->direct);
	vf_world_free(&v->hier);
	free(v);
}

/*
 * Path attributes up to COMMUNITIES (ascending type codes, RFC 4271 §5):
 * ORIGIN, AS_PATH (one 4-octet AS_SEQUENCE from the peer to the origin),
 * NEXT_HOP for IPv4, sometimes MED, ATOMIC_AGGREGATE with AGGREGATOR,
 * COMMUNITIES.
 */
static uint8_t *
put_attrs_head(struct gen *g, struct peer *p, uint8_t *b, bool v6)
{
	static const uint8_t origin_w[3] = { 85, 3, 12 };
	struct rng *r = &p->rng;
	uint32_t path[MAX_PATH_LEN], origin_as;
	unsigned n = 1 + pick(r, path_len_w, MAX_PATH_LEN), nc;

	b = put_attr_hdr(b, BGP_ATTR_F_TRANSITIVE, BGP_ATTR_ORIGIN, 1);
	*b++ = (uint8_t)pick(r, origin_w, NELEM(origin_w));

	if (g->vf != NULL)
		n = vf_path(g, p, n, path);
	else
		draw_path(p, n, path);
	origin_as = path[n - 1];
	b = put_attr_hdr(b, BGP_ATTR_F_TRANSITIVE, BGP_ATTR_AS_PATH, 2 + 4 * n);
	*b++ = BGP_ASPATH_SEQUENCE;
	*b++ = (uint8_t)n;
	for (unsigned i = 0; i < n; i++)
		b = bb_put32(b, path[i]);

	if (!v6) {
		b = put_attr_hdr(b, BGP_ATTR_F_TRANSITIVE, BGP_ATTR_NEXT_HOP, 4);
		b = bb_put32(b, p->addr);
	}
	if (rng_below(r, 100) < 35) {
		static const uint32_t meds[] = { 0, 0, 10, 20, 50, 100, 200, 1000 };

		b = put_attr_hdr(b, BGP_ATTR_F_OPTIONAL, BGP_ATTR_MED, 4);
		b = bb_put32(b, meds[rng_below(r, NELEM(meds))] + rng_below(r, 3));
	}
	if (rng_below(r, 100) < 3) {
		b = put_attr_hdr(b, BGP_ATTR_F_TRANSITIVE,
		    BGP_ATTR_ATOMIC_AGGREGATE, 0);
		b = put_attr_hdr(b, BGP_ATTR_F_OPTIONAL | BGP_ATTR_F_TRANSITIVE,
		    BGP_ATTR_AGGREGATOR, 8);
		b = bb_put32(b, origin_as);
		b = bb_put32(b, 0x0a000000u | rng_below(r, 1u << 24));
	}
	nc = pick(r, comm_w, NELEM(comm_w));
	if (nc > 0) {
		b = put_attr_hdr(b, BGP_ATTR_F_OPTIONAL | BGP_ATTR_F_TRANSITIVE,
		    BGP_ATTR_COMMUNITIES, 4 * nc);
		for (unsigned i = 0; i < nc; i++) {
			uint16_t hi = rng_below(r, 100) < 75 ? p->com_as :
			    (uint16_t)transit_as[rng_below(r, N_TRANSIT16)];
			uint16_t lo = rng_below(r, 100) < 60 ?
			    community_values[rng_below(r,
			    NELEM(community_values))] :
			    (uint16_t)(1 + rng_below(r, 65534));

			b = bb_put16(b, hi);
			b = bb_put16(b, lo);
		}
	}
	return b;
}

/* LARGE_COMMUNITY entries to send (0..3): drawn before the NLRI budget. */
static unsigned
draw_large(struct peer *p)
{
	unsigned pct = p->as > 0xffff ? 50 : 15;

	if (rng_below(&p->rng, 100) >= pct)
		return 0;
	return 1 + rng_below(&p->rng, 3);
}

static size_t
large_len(unsigned n)
{
	return n ? 3 + 12 * n : 0;
}

static uint8_t *
put_large(struct peer *p, uint8_t *b, unsigned n)
{
	if (n == 0)
		return b;
	b = put_attr_hdr(b, BGP_ATTR_F_OPTIONAL | BGP_ATTR_F_TRANSITIVE,
	    BGP_ATTR_LARGE_COMMUNITIES, 12 * n);
	for (unsigned i = 0; i < n; i++) {
		b = bb_put32(b, p->as);
		b = bb_put32(b, 1 + rng_below(&p->rng, 10));
		b = bb_put32(b, rng_below(&p->rng, 1000000));
	}
	return b;
}

/*
 * Up to want NLRI of family f at positions *pos.. (mapped to prefix indexes
 * by the bijection key) into nl, within budget bytes.  Returns bytes
 * written; *count says how many prefixes.
 */
static size_t
fill_nlri(const struct family *f, uint64_t *pos, uint64_t end, uint64_t key,
    unsigned want, size_t budget, uint8_t *nl, unsigned *count)
{
	size_t used = 0;
	unsigned k = 0;

	while (k < want && *pos < end && used + MAX_NLRI_LEN <= budget) {
		uint64_t i = permute(*pos, f->n, f->n_bits, key);

		used += put_prefix(f, i, nl + used);
		(*pos)++;
		k++;
	}
	if (k == 0) {
		fprintf(stderr, "bmpflow-gen-fulltable: internal error: no "
		    "room for a prefix\n");
		abort();
	}
	*count = k;
	return used;
}

/* One Route Monitoring UPDATE announcing the peer's next prefixes of f. */
static void
emit_announce(struct gen *g, struct peer *p, bool v6)
{
	const struct family *f = v6 ? &g->v6 : &g->v4;
	uint8_t nl[MAX_UPDATE_LEN];
	uint8_t *b = msg_begin(g), *bgp, *alen, *attrs;
	unsigned want = draw_pack(g, &p->rng), n_large, count;
	size_t budget, nlen, mp_fixed = v6 ? 4 + 5 + IPV6_NH_LEN : 0;

	b = put_peer_hdr(g, b, p);
	bgp = b;
	b = bgp_begin(b, BGP_MSG_UPDATE);
	b = bb_put16(b, 0);		/* no withdrawn routes */
	alen = b;
	b += 2;
	attrs = b;
	b = put_attrs_head(g, p, b, v6);
	n_large = draw_large(p);
	budget = MAX_UPDATE_LEN - (size_t)(b - bgp) - large_len(n_large) -
	    mp_fixed;
	if (v6)
		nlen = fill_nlri(f, &p->pos6, f->n, p->order6, want, budget,
		    nl, &count);
	else
		nlen = fill_nlri(f, &p->pos4, f->n, p->order4, want, budget,
		    nl, &count);
	if (v6) {
		/* RFC 4760 §3: AFI, SAFI, next hop, reserved, NLRI. */
		b = put_attr_hdr(b, BGP_ATTR_F_OPTIONAL, BGP_ATTR_MP_REACH_NLRI,
		    5 + IPV6_NH_LEN + nlen);
		b = bb_put16(b, BGP_AFI_IPV6);
		*b++ = BGP_SAFI_UNICAST;
		*b++ = IPV6_NH_LEN;
		memcpy(b, p->nh6, IPV6_NH_LEN);
		b += IPV6_NH_LEN;
		*b++ = 0;
		memcpy(b, nl, nlen);
		b += nlen;
	}
	b = put_large(p, b, n_large);
	(void)bb_put16(alen, (uint16_t)(b - attrs));
	if (!v6) {
		memcpy(b, nl, nlen);
		b += nlen;
	}
	bgp_end(bgp, b);
	msg_end(g, BMP_ROUTE_MONITORING, b);
	g->st.updates++;
	g->st.announced += count;
}

/* One UPDATE withdrawing the peer's next chosen prefixes of f. */
static void
emit_withdraw(struct gen *g, struct peer *p, bool v6)
{
	const struct family *f = v6 ? &g->v6 : &g->v4;
	uint8_t nl[MAX_UPDATE_LEN];
	uint8_t *b = msg_begin(g), *bgp;
	unsigned want = draw_pack(g, &p->rng), count;
	size_t nlen, budget = MAX_UPDATE_LEN - BGP_UPDATE_MIN_LEN -
	    (v6 ? 4 + 3 : 0);

	b = put_peer_hdr(g, b, p);
	bgp = b;
	b = bgp_begin(b, BGP_MSG_UPDATE);
	if (v6) {
		nlen = fill_nlri(f, &p->wpos6, p->wd6, p->wkey6, want, budget,
		    nl, &count);
		b = bb_put16(b, 0);
		b = bb_put16(b, (uint16_t)(nlen + 3 + (3 + nlen > 255 ? 4 : 3)));
		b = put_attr_hdr(b, BGP_ATTR_F_OPTIONAL,
		    BGP_ATTR_MP_UNREACH_NLRI, 3 + nlen);
		b = bb_put16(b, BGP_AFI_IPV6);
		*b++ = BGP_SAFI_UNICAST;
	} else {
		nlen = fill_nlri(f, &p->wpos4, p->wd4, p->wkey4, want, budget,
		    nl, &count);
		b = bb_put16(b, (uint16_t)nlen);
	}
	memcpy(b, nl, nlen);
	b += nlen;
	if (!v6)
		b = bb_put16(b, 0);	/* no path attributes */
	bgp_end(bgp, b);
	msg_end(g, BMP_ROUTE_MONITORING, b);
	g->st.updates++;
	g->st.withdrawn += count;
}

/* End-of-RIB, RFC 4724 §2: empty UPDATE, or MP_UNREACH_NLRI with no NLRI. */
static void
emit_eor(struct gen *g, struct peer *p, bool v6)
{
	uint8_t *b = msg_begin(g), *bgp;

	b = put_peer_hdr(g, b, p);
	bgp = b;
	b = bgp_begin(b, BGP_MSG_UPDATE);
	b = bb_put16(b, 0);
	if (v6) {
		b = bb_put16(b, 6);
		b = put_attr_hdr(b, BGP_ATTR_F_OPTIONAL,
		    BGP_ATTR_MP_UNREACH_NLRI, 3);
		b = bb_put16(b, BGP_AFI_IPV6);
		*b++ = BGP_SAFI_UNICAST;
	} else
		b = bb_put16(b, 0);
	bgp_end(bgp, b);
	msg_end(g, BMP_ROUTE_MONITORING, b);
	g->st.updates++;
	g->st.eor++;
}

/*
 * Emit the peer's next message of its current phase, moving on through the
 * phases before limit.  Returns false when it has nothing left before limit.
 */
static bool
peer_step(struct gen *g, struct peer *p, enum phase limit)
{
	while (p->phase < limit) {
		switch (p->phase) {
		case PH_V4:
			if (p->pos4 < g->v4.n) {
				emit_announce(g, p, false);
				return true;
			}
			break;
		case PH_EOR4:
			emit_eor(g, p, false);
			p->phase++;
			return true;
		case PH_V6:
			if (p->pos6 < g->v6.n) {
				emit_announce(g, p, true);
				return true;
			}
			break;
		case PH_EOR6:
			emit_eor(g, p, true);
			p->phase++;
			return true;
		case PH_WD4:
			if (p->wpos4 < p->wd4) {
				emit_withdraw(g, p, false);
				return true;
			}
			break;
		case PH_WD6:
			if (p->wpos6 < p->wd6) {
				emit_withdraw(g, p, true);
				return true;
			}
			break;
		case PH_DONE:
			return false;
		}
		p->phase++;
	}
	return false;
}

/* Round robin over the peers in bursts of 1..32 UPDATEs, as routers write. */
static void
run_stage(struct gen *g, enum phase limit)
{
	bool any;

	do {
		any = false;
		for (uint32_t i = 0; i < g->o.peers; i++) {
			unsigned burst = 1 + rng_below(&g->rng, 32);

			while (burst-- > 0 && peer_step(g, &g->peers[i], limit))
				any = true;
		}
	} while (any);
}

static void
peer_init(struct gen *g, struct peer *p, uint32_t i)
{
	uint64_t s = g->o.seed;

	memset(p, 0, sizeof(*p));
	p->idx = i;
	p->local_addr = 0x0a000000u + 2 * i;	/* 10.0.0.0/31 per peer */
	p->addr = p->local_addr + 1;
	p->bgp_id = 0xac100001u + i;		/* 172.16.0.1 + i */
	if (g->o.asrel != NULL)
		vf_session(i, p);
	else {
		p->as = i < NELEM(peer_as_list) ? peer_as_list[i] :
		    PEER_AS_BASE + i;
		p->role = -1;
	}
	p->com_as = p->as > 0xffff ? (uint16_t)(64512 + i % 1000) :
	    (uint16_t)p->as;
	(void)bb_put32(p->nh6, 0x20010db8u);	/* 2001:db8:ffff::/48 + i */
	(void)bb_put32(p->nh6 + 4, 0xffff0000u);
	(void)bb_put32(p->nh6 + 12, i + 1);
	p->rng.s = derive_key(s, 0x10000 + i);
	p->order4 = derive_key(s, 0x20000 + i);
	p->order6 = derive_key(s, 0x30000 + i);
	p->wkey4 = derive_key(s, 0x40000 + i);
	p->wkey6 = derive_key(s, 0x50000 + i);
	p->wd4 = (uint64_t)((double)g->v4.n * g->o.withdraw_pct / 100.0);
	p->wd6 = (uint64_t)((double)g->v6.n * g->o.withdraw_pct / 100.0);
}

static void
usage(FILE *f)
{
	fprintf(f,
"usage: bmpflow-gen-fulltable [options]\n"
"\n"
"Write a deterministic synthetic BMP stream (RFC 7854) of full-table feeds:\n"
"Initiation, a Peer Up per peer, each peer's IPv4 and IPv6 unicast table in\n"
"Route Monitoring UPDATEs with End-of-RIB, optional withdrawals, a Peer Down\n"
"per peer and a Termination.  The same options give the same bytes.\n"
"\n"
"  --peers N          peers (default 10, at most %d)\n"
"  --ipv4 N           IPv4 prefixes per peer (default 1000000)\n"
"  --ipv6 N           IPv6 prefixes per peer (default 200000)\n"
"  --seed S           seed of every random draw (default 1)\n"
"  --withdraw-pct P   after the tables, withdraw P%% of each peer's prefixes\n"
"                     (default 0)\n"
"  --per-update K     pack K prefixes per UPDATE (fewer only at a table's end\n"
"                     or at the 4096-byte limit); default: drawn 1..12 per\n"
"                     UPDATE, most packing several\n"
"  --valley-free ASREL_FILE\n"
"                     draw every AS path valley-free under a fixed AS\n"
"                     hierarchy and write its relationships to ASREL_FILE\n"
"                     (CAIDA serial-1); the peers, ASes of their own, are\n"
"                     our providers and peers, as the BGP Roles in their\n"
"                     Peer Ups say: no leak_detect route_leak or\n"
"                     peer_lock alert; other draws differ from the default\n"
"  -o FILE            output file (default standard output)\n"
"  -h, --help         this help\n"
"\n"
"The last line on standard error counts what was written, as bmpflow-decode\n"
"-q counts it:\n"
"  generated: messages=M updates=U announced=A withdrawn=W eor=E bytes=B\n",
	    MAX_PEERS);
}

/* Parse an unsigned decimal within [min, max]; -1 with a message if not. */
static int
parse_u64(const char *opt, const char *s, uint64_t min, uint64_t max,
    uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end != '\0' || s[0] == '-' || v < min ||
	    v > max) {
		fprintf(stderr, "bmpflow-gen-fulltable: --%s wants a number "
		    "between %" PRIu64 " and %" PRIu64 ", not '%s'\n", opt,
		    min, max, s);
		return -1;
	}
	*out = v;
	return 0;
}

static int
parse_args(int argc, char **argv, struct opts *o)
{
	enum { O_PEERS = 256, O_IPV4, O_IPV6, O_SEED, O_WITHDRAW, O_PER_UPDATE,
	    O_VALLEY_FREE };
	static const struct option longopts[] = {
		{ "peers", required_argument, NULL, O_PEERS },
		{ "ipv4", required_argument, NULL, O_IPV4 },
		{ "ipv6", required_argument, NULL, O_IPV6 },
		{ "seed", required_argument, NULL, O_SEED },
		{ "withdraw-pct", required_argument, NULL, O_WITHDRAW },
		{ "per-update", required_argument, NULL, O_PER_UPDATE },
		{ "valley-free", required_argument, NULL, O_VALLEY_FREE },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	char *end;
	int ch;

	while ((ch = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		switch (ch) {
		case O_PEERS:
			if (parse_u64("peers", optarg, 1, MAX_PEERS, &v) < 0)
				return -1;
			o->peers = (uint32_t)v;
			break;
		case O_IPV4:
			if (parse_u64("ipv4", optarg, 0, 1ULL << 32,
			    &o->ipv4) < 0)
				return -1;
			break;
		case O_IPV6:
			if (parse_u64("ipv6", optarg, 0, 1ULL << 32,
			    &o->ipv6) < 0)
				return -1;
			break;
		case O_SEED:
			if (parse_u64("seed", optarg, 0, UINT64_MAX,
			    &o->seed) < 0)
				return -1;
			break;
		case O_WITHDRAW:
			errno = 0;
			o->withdraw_pct = strtod(optarg, &end);
			if (errno || end == optarg || *end != '\0' ||
			    !(o->withdraw_pct >= 0 && o->withdraw_pct <= 100)) {
				fprintf(stderr, "bmpflow-gen-fulltable: "
				    "--withdraw-pct wants a percentage between "
				    "0 and 100, not '%s'\n", optarg);
				return -1;
			}
			break;
		case O_PER_UPDATE:
			if (parse_u64("per-update", optarg, 1, 4000, &v) < 0)
				return -1;
			o->per_update = (uint32_t)v;
			break;
		case O_VALLEY_FREE:
			o->asrel = optarg;
			break;
		case 'o':
			o->out = strcmp(optarg, "-") == 0 ? NULL : optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "bmpflow-gen-fulltable: unexpected argument "
		    "'%s'\n", argv[optind]);
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct gen g;

	memset(&g, 0, sizeof(g));
	g.o.peers = 10;
	g.o.ipv4 = 1000000;
	g.o.ipv6 = 200000;
	g.o.seed = 1;
	if (parse_args(argc, argv, &g.o) < 0)
		return 2;
	if (family_init(&g.v4, false, g.o.ipv4, g.o.seed) < 0 ||
	    family_init(&g.v6, true, g.o.ipv6, g.o.seed) < 0) {
		fprintf(stderr, "bmpflow-gen-fulltable: too many prefixes for "
		    "the unicast address space of the modelled lengths\n");
		return 2;
	}
	g.rng.s = derive_key(g.o.seed, 0x1);
	g.buf = malloc(OUT_BUF_SIZE);
	g.peers = calloc(g.o.peers, sizeof(*g.peers));
	if (g.buf == NULL || g.peers == NULL) {
		fprintf(stderr, "bmpflow-gen-fulltable: out of memory\n");
		return 1;
	}
	g.out = g.o.out == NULL ? stdout : fopen(g.o.out, "wb");
	if (g.out == NULL) {
		fprintf(stderr, "bmpflow-gen-fulltable: %s: cannot create: %s\n",
		    g.o.out, strerror(errno));
		return 1;
	}
	for (uint32_t i = 0; i < g.o.peers; i++)
		peer_init(&g, &g.peers[i], i);
	if (g.o.asrel != NULL)
		vf_init(&g);

	emit_initiation(&g);
	for (uint32_t i = 0; i < g.o.peers; i++)
		emit_peer_up(&g, &g.peers[i]);
	run_stage(&g, PH_TABLE_DONE);
	run_stage(&g, PH_DONE);
	for (uint32_t i = 0; i < g.o.peers; i++)
		emit_peer_down(&g, &g.peers[i]);
	emit_termination(&g);
	flush_out(&g);

	if (fflush(g.out) != 0 || (g.out != stdout && fclose(g.out) != 0)) {
		fprintf(stderr, "bmpflow-gen-fulltable: %s: write error: %s\n",
		    g.o.out ? g.o.out : "stdout", strerror(errno));
		return 1;
	}
	if (g.vf != NULL) {
		long links = vf_write(&g);

		if (links < 0)
			return 1;
		fprintf(stderr, "relationships: %ld links in %s\n", links,
		    g.o.asrel);
	}
	fprintf(stderr, "generated: messages=%" PRIu64 " updates=%" PRIu64
	    " announced=%" PRIu64 " withdrawn=%" PRIu64 " eor=%" PRIu64
	    " bytes=%" PRIu64 "\n", g.st.msgs, g.st.updates, g.st.announced,
	    g.st.withdrawn, g.st.eor, g.st.bytes);
	vf_free(g.vf);
	free(g.peers);
	free(g.buf);
	return 0;
}
