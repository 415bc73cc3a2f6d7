/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Path attributes, RFC 4271 §4.3:
 *
 *   +--------------+--------------+--------------------+---------------+
 *   | flags (1)    | type (1)     | length (1, or 2 if | value         |
 *   | O T P E      |              |  the E flag is set)|               |
 *   +--------------+--------------+--------------------+---------------+
 *
 * One descriptor per attribute says its flags, allowed lengths, decoder and
 * the RFC 7606 action for a malformed value.  The dispatcher consumes the
 * whole attribute header and value before decoding, so a discarded
 * attribute never loses sync.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "bgp_aspath.h"
#include "bgp_attr.h"
#include "bgp_wire.h"

#define F_WELLKNOWN	BGP_ATTR_F_TRANSITIVE
#define F_OPT_TRANS	(BGP_ATTR_F_OPTIONAL | BGP_ATTR_F_TRANSITIVE)
#define F_OPT_NONTRANS	BGP_ATTR_F_OPTIONAL
#define F_CHECKED	(BGP_ATTR_F_OPTIONAL | BGP_ATTR_F_TRANSITIVE)

struct attr_ctx {
	const struct bgp_decode_opts	*opts;
	struct bgp_attrs		*out;
	size_t				 off;	/* value offset in message */
	size_t				 hdr_off;	/* its flags byte */
	struct bf_err			*err;
	char				 why[96];
};

typedef int (*attr_decode_fn)(struct bf_cur v, struct attr_ctx *ctx);

struct attr_desc {
	const char		*name;
	uint8_t			 flags;		/* expected O and T bits */
	uint16_t		 min_len, max_len;
	uint16_t		 multiple;	/* value length must be a multiple */
	enum bgp_outcome	 on_error;	/* RFC 7606 action */
	attr_decode_fn		 decode;
};

#define WHY(ctx, ...) (snprintf((ctx)->why, sizeof((ctx)->why), __VA_ARGS__), -1)

static int
dec_origin(struct bf_cur v, struct attr_ctx *ctx)
{
	(void)cur_get_u8(&v, &ctx->out->origin);
	if (ctx->out->origin > BGP_ORIGIN_INCOMPLETE)
		return WHY(ctx, "undefined ORIGIN value %u", ctx->out->origin);
	return 0;
}

/*
 * FRR 8.0 sends 2-octet AS_PATHs in post-policy and Loc-RIB messages of
 * sessions whose OPENs negotiated 4-octet ASNs.  A path that is malformed
 * at the negotiated width but well-formed at the other is taken at the
 * other and reported.
 */
static int
dec_as_path(struct bf_cur v, struct attr_ctx *ctx)
{
	struct bf_err e = { 0 };
	unsigned size = ctx->opts->as4 ? 4 : 2, other = 6 - size;

	if (bgp_aspath_verify(v, size, ctx->off, &e) < 0) {
		if (bgp_aspath_verify(v, other, ctx->off, NULL) < 0)
			return WHY(ctx, "%s", e.msg);
		size = other;
		ctx->out->as_path_width_guessed = true;
		bgp_attrs_note(ctx->out, BGP_ATTR_AS_PATH, ctx->off, "AS_PATH "
		    "has %u-octet ASNs, unlike the Peer Up capabilities", size);
	}
	ctx->out->as_path_asn_size = (uint8_t)size;
	ctx->out->as_path_raw = v;
	ctx->out->as_path_off = ctx->off;
	return 0;
}

static int
dec_as4_path(struct bf_cur v, struct attr_ctx *ctx)
{
	struct bf_err e = { 0 };

	if (bgp_aspath_verify(v, 4, ctx->off, &e) < 0)
		return WHY(ctx, "%s", e.msg);
	ctx->out->as4_path_raw = v;
	ctx->out->as4_path_off = ctx->off;
	return 0;
}

static int
dec_next_hop(struct bf_cur v, struct attr_ctx *ctx)
{
	uint32_t nh = 0;

	(void)cur_get_u32(&v, &nh);
	bf_addr_v4(&ctx->out->next_hop, nh);
	return 0;
}

static int
dec_u32(struct bf_cur v, uint32_t *out)
{
	(void)cur_get_u32(&v, out);
	return 0;
}

static int
dec_med(struct bf_cur v, struct attr_ctx *ctx)
{
	return dec_u32(v, &ctx->out->med);
}

static int
dec_local_pref(struct bf_cur v, struct attr_ctx *ctx)
{
	return dec_u32(v, &ctx->out->local_pref);
}

static int
dec_originator_id(struct bf_cur v, struct attr_ctx *ctx)
{
	return dec_u32(v, &ctx->out->originator_id);
}

static int
dec_otc(struct bf_cur v, struct attr_ctx *ctx)
{
	return dec_u32(v, &ctx->out->otc);
}

static int
dec_atomic_aggregate(struct bf_cur v, struct attr_ctx *ctx)
{
	(void)v;
	ctx->out->atomic_aggregate = true;
	return 0;
}

/*
 * AGGREGATOR: 6 bytes with 2-octet ASNs, 8 with 4-octet (RFC 6793 §3).
 * Its length tells which, whatever was negotiated (see dec_as_path).
 */
static int
dec_aggregator(struct bf_cur v, struct attr_ctx *ctx)
{
	uint32_t asn = 0, addr = 0;
	uint16_t a16;

	if (cur_len(&v) != 6 && cur_len(&v) != 8)
		return WHY(ctx, "length %zu, expected 6 or 8", cur_len(&v));
	if (cur_len(&v) == 8)
		(void)cur_get_u32(&v, &asn);
	else if (cur_get_u16(&v, &a16) == 0)
		asn = a16;
	(void)cur_get_u32(&v, &addr);
	ctx->out->aggregator_as = asn;
	bf_addr_v4(&ctx->out->aggregator_addr, addr);
	return 0;
}

static int
dec_as4_aggregator(struct bf_cur v, struct attr_ctx *ctx)
{
	uint32_t addr = 0;

	(void)cur_get_u32(&v, &ctx->out->as4_aggregator_as);
	(void)cur_get_u32(&v, &addr);
	bf_addr_v4(&ctx->out->as4_aggregator_addr, addr);
	return 0;
}

static int
dec_communities(struct bf_cur v, struct attr_ctx *ctx)
{
	ctx->out->communities = v;
	return 0;
}

static int
dec_cluster_list(struct bf_cur v, struct attr_ctx *ctx)
{
	ctx->out->cluster_list = v;
	return 0;
}

static int
dec_ext_communities(struct bf_cur v, struct attr_ctx *ctx)
{
	ctx->out->ext_communities = v;
	return 0;
}

static int
dec_ipv6_ext_communities(struct bf_cur v, struct attr_ctx *ctx)
{
	ctx->out->ipv6_ext_communities = v;
	return 0;
}

static int
dec_large_communities(struct bf_cur v, struct attr_ctx *ctx)
{
	ctx->out->large_communities = v;
	return 0;
}

/* AIGP, RFC 7311 §3: TLVs; type 1 carries the 8-byte metric. */
static int
dec_aigp(struct bf_cur v, struct attr_ctx *ctx)
{
	while (cur_len(&v) > 0) {
		uint8_t type;
		uint16_t len;
		struct bf_cur tv;

		if (cur_get_u8(&v, &type) < 0 || cur_get_u16(&v, &len) < 0 ||
		    len < 3 || cur_sub(&v, len - 3u, &tv) < 0)
			return WHY(ctx, "AIGP TLV overruns the attribute");
		if (type == 1) {
			if (cur_len(&tv) != 8)
				return WHY(ctx, "AIGP metric TLV length %u", len);
			(void)cur_get_u64(&tv, &ctx->out->aigp);
		}
	}
	return 0;
}

/*
 * MP next hop layouts, by length: RFC 4760 §3, RFC 2545 (IPv6 global +
 * link-local), RFC 4364/4659 (RD-prefixed, RD is zero) and RFC 8950 (IPv6
 * next hop for IPv4 NLRI; Juniper sends it for VPNv4 without an RD).
 */
struct nh_layout {
	uint8_t	len;
	uint8_t	rd;		/* bytes of RD before the global address */
	uint8_t	family;		/* of the global address */
	uint8_t	ll_off;		/* offset of a link-local address, 0 if none */
};

static const struct nh_layout nh_layouts[] = {
	{ 4, 0, BF_AF_INET, 0 },
	{ 12, 8, BF_AF_INET, 0 },
	{ 16, 0, BF_AF_INET6, 0 },
	{ 24, 8, BF_AF_INET6, 0 },
	{ 32, 0, BF_AF_INET6, 16 },
	{ 48, 8, BF_AF_INET6, 32 },
};

static int
parse_next_hop(struct bf_cur nh, struct bgp_mp_reach *mp, struct attr_ctx *ctx)
{
	size_t n = cur_len(&nh);

	memset(&mp->next_hop, 0, sizeof(mp->next_hop));
	memset(&mp->next_hop_ll, 0, sizeof(mp->next_hop_ll));
	memset(mp->next_hop_rd, 0, sizeof(mp->next_hop_rd));
	if (n == 0)
		return 0;	/* some speakers send none with MP EoR */
	for (size_t i = 0; i < sizeof(nh_layouts) / sizeof(nh_layouts[0]); i++) {
		const struct nh_layout *l = &nh_layouts[i];
		struct bf_cur c = nh;

		if (l->len != n)
			continue;
		(void)cur_get_bytes(&c, mp->next_hop_rd, l->rd);
		mp->next_hop.family = l->family;
		(void)cur_get_bytes(&c, mp->next_hop.a,
		    l->family == BF_AF_INET ? 4 : 16);
		if (l->ll_off) {
			c = nh;
			(void)cur_skip(&c, l->ll_off);
			mp->next_hop_ll.family = BF_AF_INET6;
			(void)cur_get_bytes(&c, mp->next_hop_ll.a, 16);
		}
		return 0;
	}
	if (mp->af == NULL)
		return 0;	/* undecoded family: next hop kept opaque */
	return WHY(ctx, "next hop length %zu invalid for %s", n, mp->af->name);
}

/*
 *   AFI (2) | SAFI (1) | NH len (1) | next hop | reserved (1) | NLRI
 */
static int
dec_mp_reach(struct bf_cur v, struct attr_ctx *ctx)
{
	struct bgp_mp_reach *mp = &ctx->out->mp_reach;
	struct bf_cur start = v, nh;
	uint8_t nhlen;

	if (cur_get_u16(&v, &mp->afi) < 0 || cur_get_u8(&v, &mp->safi) < 0 ||
	    cur_get_u8(&v, &nhlen) < 0)
		return WHY(ctx, "MP_REACH_NLRI header cut short");
	if (cur_sub(&v, nhlen, &nh) < 0 || cur_skip(&v, 1) < 0)
		return WHY(ctx, "MP_REACH_NLRI next hop length %u overruns", nhlen);
	mp->af = bgp_af_lookup(mp->afi, mp->safi);
	if (parse_next_hop(nh, mp, ctx) < 0)
		return -1;
	mp->nlri = v;
	mp->nlri_off = ctx->off + cur_offset(&start, &v);
	return 0;
}

static int
dec_mp_unreach(struct bf_cur v, struct attr_ctx *ctx)
{
	struct bgp_mp_unreach *mp = &ctx->out->mp_unreach;
	struct bf_cur start = v;

	if (cur_get_u16(&v, &mp->afi) < 0 || cur_get_u8(&v, &mp->safi) < 0)
		return WHY(ctx, "MP_UNREACH_NLRI header cut short");
	mp->af = bgp_af_lookup(mp->afi, mp->safi);
	mp->nlri = v;
	mp->nlri_off = ctx->off + cur_offset(&start, &v);
	return 0;
}

/* RFC 7606 §7 gives each attribute's action; §3(c) the flag-conflict rule. */
static const struct attr_desc attr_table[BGP_ATTR_MAX] = {
	[BGP_ATTR_ORIGIN] = { "ORIGIN", F_WELLKNOWN, 1, 1, 0,
	    BGP_TREAT_AS_WITHDRAW, dec_origin },
	[BGP_ATTR_AS_PATH] = { "AS_PATH", F_WELLKNOWN, 0, 65535, 0,
	    BGP_TREAT_AS_WITHDRAW, dec_as_path },
	[BGP_ATTR_NEXT_HOP] = { "NEXT_HOP", F_WELLKNOWN, 4, 4, 0,
	    BGP_TREAT_AS_WITHDRAW, dec_next_hop },
	[BGP_ATTR_MED] = { "MULTI_EXIT_DISC", F_OPT_NONTRANS, 4, 4, 0,
	    BGP_TREAT_AS_WITHDRAW, dec_med },
	[BGP_ATTR_LOCAL_PREF] = { "LOCAL_PREF", F_WELLKNOWN, 4, 4, 0,
	    BGP_TREAT_AS_WITHDRAW, dec_local_pref },
	[BGP_ATTR_ATOMIC_AGGREGATE] = { "ATOMIC_AGGREGATE", F_WELLKNOWN, 0, 0,
	    0, BGP_ATTR_DISCARD, dec_atomic_aggregate },
	[BGP_ATTR_AGGREGATOR] = { "AGGREGATOR", F_OPT_TRANS, 6, 8, 0,
	    BGP_ATTR_DISCARD, dec_aggregator },
	[BGP_ATTR_COMMUNITIES] = { "COMMUNITIES", F_OPT_TRANS, 4, 65535, 4,
	    BGP_TREAT_AS_WITHDRAW, dec_communities },
	[BGP_ATTR_ORIGINATOR_ID] = { "ORIGINATOR_ID", F_OPT_NONTRANS, 4, 4, 0,
	    BGP_TREAT_AS_WITHDRAW, dec_originator_id },
	[BGP_ATTR_CLUSTER_LIST] = { "CLUSTER_LIST", F_OPT_NONTRANS, 4, 65535,
	    4, BGP_TREAT_AS_WITHDRAW, dec_cluster_list },
	[BGP_ATTR_MP_REACH_NLRI] = { "MP_REACH_NLRI", F_OPT_NONTRANS, 5, 65535,
	    0, BGP_SESSION_RESET, dec_mp_reach },
	[BGP_ATTR_MP_UNREACH_NLRI] = { "MP_UNREACH_NLRI", F_OPT_NONTRANS, 3,
	    65535, 0, BGP_SESSION_RESET, dec_mp_unreach },
	[BGP_ATTR_EXT_COMMUNITIES] = { "EXTENDED_COMMUNITIES", F_OPT_TRANS, 8,
	    65535, 8, BGP_TREAT_AS_WITHDRAW, dec_ext_communities },
	[BGP_ATTR_AS4_PATH] = { "AS4_PATH", F_OPT_TRANS, 0, 65535, 0,
	    BGP_ATTR_DISCARD, dec_as4_path },
	[BGP_ATTR_AS4_AGGREGATOR] = { "AS4_AGGREGATOR", F_OPT_TRANS, 8, 8, 0,
	    BGP_ATTR_DISCARD, dec_as4_aggregator },
	[BGP_ATTR_IPV6_EXT_COMMUNITIES] = { "IPV6_EXT_COMMUNITIES", F_OPT_TRANS,
	    20, 65535, 20, BGP_TREAT_AS_WITHDRAW, dec_ipv6_ext_communities },
	[BGP_ATTR_AIGP] = { "AIGP", F_OPT_NONTRANS, 3, 65535, 0,
	    BGP_ATTR_DISCARD, dec_aigp },
	[BGP_ATTR_LARGE_COMMUNITIES] = { "LARGE_COMMUNITY", F_OPT_TRANS, 12,
	    65535, 12, BGP_TREAT_AS_WITHDRAW, dec_large_communities },
	[BGP_ATTR_OTC] = { "OTC", F_OPT_TRANS, 4, 4, 0,
	    BGP_TREAT_AS_WITHDRAW, dec_otc },
};

const char *
bgp_attr_name(unsigned code, char *buf, size_t size)
{
	if (code < BGP_ATTR_MAX && attr_table[code].name != NULL)
		snprintf(buf, size, "%s", attr_table[code].name);
	else
		snprintf(buf, size, "attr-%u", code);
	return buf;
}

static enum bgp_outcome
worse(enum bgp_outcome a, enum bgp_outcome b)
{
	return a > b ? a : b;
}

static void
add_issue_v(struct bgp_attrs *out, uint8_t code, enum bgp_outcome action,
    size_t off, const char *fmt, va_list ap)
{
	struct bgp_attr_issue *is;

	if (out->n_issues == BGP_MAX_ATTR_ISSUES)
		return;
	is = &out->issues[out->n_issues++];
	is->code = code;
	is->action = action;
	is->offset = off;
	vsnprintf(is->msg, sizeof(is->msg), fmt, ap);
}

static void __attribute__((format(printf, 5, 6)))
add_issue(struct bgp_attrs *out, uint8_t code, enum bgp_outcome action,
    size_t off, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_issue_v(out, code, action, off, fmt, ap);
	va_end(ap);
}

void
bgp_attrs_note(struct bgp_attrs *a, uint8_t code, size_t off,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_issue_v(a, code, BGP_OK, off, fmt, ap);
	va_end(ap);
}

static void
set_present(struct bgp_attrs *a, unsigned code)
{
	a->present[code / 8] |= (uint8_t)(1u << (code % 8));
}

static void
clear_present(struct bgp_attrs *a, unsigned code)
{
	a->present[code / 8] &= (uint8_t)~(1u << (code % 8));
}

/* Check flags and length against the descriptor, then decode. */
static enum bgp_outcome
dispatch(uint8_t flags, uint8_t code, struct bf_cur v, struct attr_ctx *ctx)
{
	const struct attr_desc *d = &attr_table[code];
	struct bgp_attrs *out = ctx->out;
	size_t len = cur_len(&v);
	char name[24];

	if (d->decode == NULL) {
		out->n_unknown_total++;
		if (out->n_unknown < BGP_MAX_UNKNOWN_ATTRS) {
			struct bgp_unknown_attr *u = &out->unknown[out->n_unknown++];

			u->code = code;
			u->flags = flags;
			u->value = v;
		}
		set_present(out, code);
		return BGP_OK;
	}
	if ((flags & F_CHECKED) != d->flags) {
		bgp_attr_name(code, name, sizeof(name));
		add_issue(out, code, d->on_error, ctx->hdr_off, "%s flags 0x%02x "
		    "conflict with its type (RFC 7606 §3(c))", name, flags);
		if (d->on_error == BGP_SESSION_RESET)
			bf_err_set(ctx->err, BGP_SESSION_RESET, ctx->hdr_off,
			    "%s flags 0x%02x conflict with its type", name,
			    flags);
		return d->on_error;
	}
	ctx->why[0] = '\0';
	if (len < d->min_len || len > d->max_len ||
	    (d->multiple && len % d->multiple != 0))
		snprintf(ctx->why, sizeof(ctx->why), "length %zu invalid", len);
	else if (d->decode(v, ctx) == 0) {
		set_present(out, code);
		return BGP_OK;
	}
	bgp_attr_name(code, name, sizeof(name));
	add_issue(out, code, d->on_error, ctx->off, "%s %s", name, ctx->why);
	if (d->on_error == BGP_SESSION_RESET)
		bf_err_set(ctx->err, BGP_SESSION_RESET, ctx->off, "%s %s", name,
		    ctx->why);
	return d->on_error;
}

/* Apply RFC 6793 §4.2.3: merge AS4_PATH / AS4_AGGREGATOR on 2-octet sessions. */
static void
finish_as_path(struct bgp_attrs *a)
{
	struct bf_cur none = { NULL, 0 };
	bool as4_session = a->as_path_asn_size == 4;
	struct bf_cur as4 = as4_session ? none : a->as4_path_raw;

	/*
	 * RFC 6793 §4.2.3: an AGGREGATOR with an AS other than AS_TRANS means
	 * a 2-octet speaker aggregated: AS4_AGGREGATOR and AS4_PATH are ignored.
	 */
	if (!as4_session && bgp_attr_has(a, BGP_ATTR_AS4_AGGREGATOR)) {
		if (bgp_attr_has(a, BGP_ATTR_AGGREGATOR) &&
		    a->aggregator_as != BGP_AS_TRANS)
			as4 = none;
		else {
			a->aggregator_as = a->as4_aggregator_as;
			a->aggregator_addr = a->as4_aggregator_addr;
		}
	}
	a->as4_merged = bgp_aspath_build(&a->aspath, a->as_path_raw,
	    a->as_path_asn_size, as4);
	a->has_origin_as = bgp_aspath_origin(&a->aspath, &a->origin_as);
}

enum bgp_outcome
bgp_attrs_parse(struct bf_cur attrs, size_t base_off,
    const struct bgp_decode_opts *opts, struct bgp_attrs *out,
    struct bf_err *err)
{
	struct attr_ctx ctx = { .opts = opts, .out = out, .err = err };
	struct bf_cur c = attrs;
	enum bgp_outcome result = BGP_OK;
	/* Every attribute type met, kept or not: RFC 7606 §3(g) duplicates. */
	uint8_t seen[BGP_ATTR_MAX / 8] = { 0 };

	/* The arrays at the end are reset by their counters only. */
	memset(out, 0, offsetof(struct bgp_attrs, unknown));
	out->as_path_asn_size = opts->as4 ? 4 : 2;
	out->aspath.n_segs = 0;
	out->aspath.n_asns = 0;
	while (cur_len(&c) > 0) {
		size_t hdr_off = base_off + cur_offset(&attrs, &c);
		uint8_t flags, code;
		uint16_t len;
		struct bf_cur v;
		enum bgp_outcome r;

		if (cur_get_u8(&c, &flags) < 0 || cur_get_u8(&c, &code) < 0)
			goto overrun;
		if (flags & BGP_ATTR_F_EXTLEN) {
			if (cur_get_u16(&c, &len) < 0)
				goto overrun;
		} else {
			uint8_t l8;

			if (cur_get_u8(&c, &l8) < 0)
				goto overrun;
			len = l8;
		}
		if (cur_sub(&c, len, &v) < 0) {
			/* RFC 7606 §4: length overrun. */
			add_issue(out, code, BGP_TREAT_AS_WITHDRAW, hdr_off,
			    "%s", "attribute length overruns the path "
			    "attributes");
			result = worse(result, BGP_TREAT_AS_WITHDRAW);
			break;
		}
		ctx.off = base_off + cur_offset(&attrs, &v);
		ctx.hdr_off = hdr_off;
		if ((seen[code / 8] >> (code % 8)) & 1) {
			/* RFC 7606 §3(g): repeated MP_* is fatal, others dropped. */
			if (code == BGP_ATTR_MP_REACH_NLRI ||
			    code == BGP_ATTR_MP_UNREACH_NLRI) {
				add_issue(out, code, BGP_SESSION_RESET, hdr_off,
				    "%s", "repeated MP_(UN)REACH_NLRI");
				bf_err_set(err, BGP_SESSION_RESET, hdr_off,
				    "repeated MP_(UN)REACH_NLRI attribute");
				result = BGP_SESSION_RESET;
			} else
				add_issue(out, code, BGP_ATTR_DISCARD, hdr_off,
				    "%s", "repeated attribute discarded");
			result = worse(result, BGP_ATTR_DISCARD);
			continue;
		}
		seen[code / 8] |= (uint8_t)(1u << (code % 8));
		r = dispatch(flags, code, v, &ctx);
		if (r == BGP_ATTR_DISCARD)
			clear_present(out, code);
		result = worse(result, r);
	}
	finish_as_path(out);
	return result;
overrun:
	add_issue(out, 0, BGP_TREAT_AS_WITHDRAW, base_off + cur_offset(&attrs, &c),
	    "%s", "attribute header cut short");
	finish_as_path(out);
	return worse(result, BGP_TREAT_AS_WITHDRAW);
}
