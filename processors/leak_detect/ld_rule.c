/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ld_rule.c: leak_detect's rules: the offences of one announcement
 * (README.md states each rule with a must-alert and a must-not-alert
 * path).  The rules read the inputs and the session's role; only the
 * upstream rule writes, learning upstreams of a monitored prefix.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ld_state.h"

const char *const ld_role_names[] = { "", "provider", "rs", "rs-client",
    "customer", "peer" };

/*
 * Start offence o of type: cleared here, on a hit, rather than every
 * slot for every route (most routes offend nothing).
 */
static void
offence(struct off *o, int type, int sev, uint32_t culprit)
{
	memset(o, 0, sizeof(*o));
	o->type = (uint8_t)type;
	o->sev = (uint8_t)sev;
	o->culprit = culprit;
}

static const char *
rel_name(enum asrel_kind k)
{
	return k == ASREL_CUSTOMER ? "customer" : k == ASREL_PROVIDER ?
	    "provider" : k == ASREL_PEER ? "peer" : "unknown";
}

/* RFC 7908 §3 type of learning from `from` and sending to `to`, or 0. */
static int
leak_type(enum asrel_kind from, enum asrel_kind to)
{
	if (from == ASREL_PROVIDER && to == ASREL_PROVIDER)
		return 1;	/* hairpin turn */
	if (from == ASREL_PEER && to == ASREL_PEER)
		return 2;	/* lateral */
	if (from == ASREL_PROVIDER && to == ASREL_PEER)
		return 3;
	if (from == ASREL_PEER && to == ASREL_PROVIDER)
		return 4;
	return 0;
}

/* What this network is to a neighbour of the given role. */
static enum asrel_kind
role_to_us(uint8_t role)
{
	switch (role) {
	case ROLE_CUSTOMER:
		return ASREL_PROVIDER;
	case ROLE_PROVIDER:
		return ASREL_CUSTOMER;
	case ROLE_PEER:
	case ROLE_RS_CLIENT:
		return ASREL_PEER;
	default:
		return ASREL_UNKNOWN;
	}
}

/*
 * What c[i] is to the AS it sends the route to: c[i-1] by relationships,
 * or, for the neighbour (i == 0, the peer's own AS), this network by its
 * session role.  ASREL_UNKNOWN when neither tells.
 */
static enum asrel_kind
receiver_rel(const struct ld_state *st, const uint32_t *c, long i,
    const struct peer *pe)
{
	if (i > 0)
		return asn_special(c[i - 1]) ? ASREL_UNKNOWN :
		    asrel_rel(&st->rel, c[i], c[i - 1]);
	return c[0] == pe->as ? role_to_us(pe->role) : ASREL_UNKNOWN;
}

/*
 * Valley-free check of the collapsed path c[0] (the neighbour) .. c[m-1]
 * (the origin): at X = c[i], learned from c[i+1] and sent to a provider
 * or peer (receiver_rel), the route must come from a customer.  Both
 * relationships must be known.  The leak nearest the origin is reported.
 */
static bool
check_leak(const struct ld_state *st, const uint32_t *c, uint32_t m,
    const struct peer *pe, struct off *o)
{
	for (long i = (long)m - 2; i >= 0; i--) {
		uint32_t x = c[i], from = c[i + 1];
		enum asrel_kind rf, rt;
		int t;

		if (asn_special(x) || asn_special(from))
			continue;
		rt = receiver_rel(st, c, i, pe);
		if (rt != ASREL_PROVIDER && rt != ASREL_PEER)
			continue;
		rf = asrel_rel(&st->rel, x, from);
		if ((t = leak_type(rf, rt)) == 0)
			continue;
		offence(o, T_ROUTE_LEAK, SEV_HIGH, x);
		o->rfc7908 = (uint8_t)t;
		if (i > 0) {
			o->nseg = 3;
			o->seg[0] = c[i - 1];
			o->seg[1] = x;
			o->seg[2] = from;
			snprintf(o->detail, sizeof(o->detail), "AS%u learned "
			    "the route from its %s AS%u and sent it to its %s "
			    "AS%u (RFC 7908 type %d)", x, rel_name(rf), from,
			    rel_name(rt), c[i - 1], t);
		} else {
			o->nseg = 2;
			o->seg[0] = x;
			o->seg[1] = from;
			snprintf(o->detail, sizeof(o->detail), "AS%u learned "
			    "the route from its %s AS%u and sent it to this "
			    "network, its %s by session role (RFC 7908 type "
			    "%d)", x, rel_name(rf), from, rel_name(rt), t);
		}
		return true;
	}
	return false;
}

/*
 * Peer-lock: a transit-free AS T = c[i] gives its routes only to peers
 * and customers, so the AS Y = c[i-1] that got one from T may pass it
 * only down, to its own customers (a provider hands any valley-free path
 * to its customers, peer-learned ones included).  Y passing it to a
 * non-customer is the violation: to its peer or provider by
 * relationships, to this network when the session role makes us Y's peer
 * or provider, or, with the relationship unknown, to a transit-free AS,
 * which is nobody's customer.  A transit-free Y is T's peer in the
 * clique.  An unknown receiver raises nothing: without asrel_file and
 * peer_roles only a transit-free AS on both sides of Y alerts.  The
 * violation nearest the origin is reported.
 */
static bool
check_peer_lock(const struct ld_state *st, const uint32_t *c, uint32_t m,
    const struct peer *pe, struct off *o)
{
	for (long i = (long)m - 1; i >= 1; i--) {
		uint32_t t = c[i], y = c[i - 1];
		enum asrel_kind rt;
		char to[64];

		if (!asset_has(&st->tf, t) || asn_special(y) ||
		    asset_has(&st->tf, y))
			continue;
		rt = receiver_rel(st, c, i - 1, pe);
		if (rt == ASREL_UNKNOWN && i >= 2 &&
		    asset_has(&st->tf, c[i - 2]))
			snprintf(to, sizeof(to), "transit-free AS%u, nobody's "
			    "customer", c[i - 2]);
		else if (rt != ASREL_PEER && rt != ASREL_PROVIDER)
			continue;
		else if (i >= 2)
			snprintf(to, sizeof(to), "its %s AS%u", rel_name(rt),
			    c[i - 2]);
		else
			snprintf(to, sizeof(to), "this network, its %s by "
			    "session role", rel_name(rt));
		offence(o, T_PEER_LOCK, SEV_HIGH, y);
		if (i >= 2)
			o->seg[o->nseg++] = c[i - 2];
		o->seg[o->nseg++] = y;
		o->seg[o->nseg++] = t;
		snprintf(o->detail, sizeof(o->detail), "AS%u passed the route "
		    "of transit-free AS%u to %s", y, t, to);
		return true;
	}
	return false;
}

/*
 * RFC 9234 §5 ingress rules on the neighbour's session role.  The leaker
 * is the first AS after the OTC value (towards this network) that sends
 * the route to a provider or peer, when relationships tell; otherwise the
 * neighbour.
 */
static bool
check_otc(const struct ld_state *st, const struct bf_route *r,
    const struct peer *pe, const uint32_t *c, uint32_t m, bool clean,
    struct off *o)
{
	uint32_t culprit = pe->as;
	long j = -1;

	if (!r->has_otc)
		return false;
	if (pe->role != ROLE_CUSTOMER && pe->role != ROLE_RS_CLIENT &&
	    !(pe->role == ROLE_PEER && r->otc != pe->as))
		return false;
	offence(o, T_OTC_LEAK, SEV_HIGH, culprit);
	o->nseg = 1;
	o->seg[0] = pe->as;
	if (clean && st->rel.n > 0) {
		for (long i = 0; i < (long)m; i++)
			if (c[i] == r->otc)
				j = i;
		for (long i = j - 1; i >= 1; i--) {
			enum asrel_kind rt = asrel_rel(&st->rel, c[i],
			    c[i - 1]);
			if (asn_special(c[i]) ||
			    (rt != ASREL_PROVIDER && rt != ASREL_PEER))
				continue;
			culprit = c[i];
			o->nseg = 3;
			o->seg[0] = c[i - 1];
			o->seg[1] = c[i];
			o->seg[2] = c[i + 1];
			break;
		}
	}
	o->culprit = culprit;
	snprintf(o->detail, sizeof(o->detail), "route with OTC AS%u from a "
	    "%s session of AS%u; leaked by AS%u", r->otc,
	    ld_role_names[pe->role], pe->as, culprit);
	return true;
}


static void
hijack(struct off *o, int type, int pclass, int hclass, uint32_t culprit)
{
	offence(o, type, type == T_NEW_UPSTREAM ? SEV_MEDIUM : SEV_CRITICAL,
	    culprit);
	o->pclass = (uint8_t)pclass;
	o->hclass = (uint8_t)hclass;
}

/*
 * The hijack and upstream offences of j under its monitored prefix mon,
 * c[0 .. m) its collapsed path, clean when it has no set or confederation
 * segment; returns how many into o.
 */
static size_t
check_monitored(struct ld_state *st, struct ld_judged *j, const uint32_t *c,
    uint32_t m, bool clean, struct off *o)
{
	const struct mon_ent *mon = j->mon;
	struct pstate *ps = j->ps;
	uint32_t origin = j->origin;
	int exact = mon->p.len == j->q.len;
	int ht = exact ? T_ORIGIN_HIJACK : T_SUBPREFIX_HIJACK;
	char mtxt[48];
	size_t n = 0;

	ptab_format(&mon->p, mtxt, sizeof(mtxt));
	if (mon->none) {
		hijack(&o[n], ht, PC_SQUAT, HC_ORIGIN, origin);
		snprintf(o[n++].detail, sizeof(o[0].detail), "AS%u announces "
		    "%s, which should not be announced", origin, mtxt);
	} else if (!monitor_origin_ok(&st->mon, mon, origin)) {
		hijack(&o[n], ht, exact ? PC_EXACT : PC_SUB, HC_ORIGIN,
		    origin);
		snprintf(o[n++].detail, sizeof(o[0].detail), "AS%u is not an "
		    "expected origin of %s", origin, mtxt);
	} else if (clean && m >= 2 && ps != NULL && !asn_special(c[m - 2])) {
		uint32_t up = c[m - 2];
		if (monitor_upstream_ok(&st->mon, mon, up) ||
		    ld_prefix_upstream_known(ps, up)) {
			/* expected or seen before */
		} else if (!mon->has_ups &&
		    st->clock - ps->created < st->learn_us) {
			ld_prefix_learn(ps, up);
		} else {
			hijack(&o[n], T_NEW_UPSTREAM, exact ? PC_EXACT : PC_SUB,
			    HC_FIRST_HOP, up);
			o[n].nseg = 2;
			o[n].seg[0] = up;
			o[n].seg[1] = origin;
			snprintf(o[n++].detail, sizeof(o[0].detail), "AS%u next "
			    "to origin AS%u of %s was never seen there and is "
			    "not an expected upstream", up, origin, mtxt);
		}
	}
	return n;
}

void
ld_rule_judge(struct ld_state *st, struct ld_judged *j)
{
	const struct bf_route *r = j->r;
	const struct peer *pe = j->pe;
	uint32_t count = r->as_path ? r->as_path_count : 0, m = 0, *c;
	bool clean = count > 0 && count == r->as_path_len;
	struct off *offs = j->offs;
	size_t n = 0;

	j->n = 0;
	if (count > st->scratch_cap) {
		uint32_t *s = realloc(st->scratch, count * sizeof(*s));
		if (s == NULL)
			return;
		st->scratch = s;
		st->scratch_cap = count;
	}
	c = st->scratch;
	for (uint32_t i = 0; i < count; i++)
		if (m == 0 || c[m - 1] != r->as_path[i])
			c[m++] = r->as_path[i];
	j->has_origin = r->has_origin_as || clean;
	j->origin = r->has_origin_as ? r->origin_as : clean ? c[m - 1] : 0;
	if (clean && m >= 2 && check_leak(st, c, m, pe, &offs[n]))
		n++;
	if (clean && st->tf.n > 0 && check_peer_lock(st, c, m, pe,
	    &offs[n]))
		n++;
	if (check_otc(st, r, pe, c, m, clean, &offs[n]))
		n++;
	if (j->mon != NULL && j->has_origin) {
		n += check_monitored(st, j, c, m, clean, &offs[n]);
		if (n > 0 && offs[n - 1].nseg == 0) {
			offs[n - 1].nseg = 1;
			offs[n - 1].seg[0] = offs[n - 1].culprit;
		}
	}
	j->rpki = RPKI_NOT_FOUND;
	if (ld_rov_applies(st, j->mon)) {
		j->rpki = (uint8_t)ld_rov_validate(st, &j->q, j->origin,
		    j->has_origin);
		if (j->rpki == RPKI_INVALID)
			ld_rule_rpki_offence(j, &offs[n++]);
	}
	j->n = n;
}

void
ld_rule_rpki_offence(const struct ld_judged *j, struct off *o)
{
	offence(o, T_RPKI_INVALID, j->mon ? SEV_HIGH : SEV_MEDIUM,
	    j->has_origin ? j->origin : 0);
	o->nseg = j->has_origin;
	o->seg[0] = j->origin;
	snprintf(o->detail, sizeof(o->detail), "RPKI invalid: no VRP "
	    "covering the prefix matches origin %s%u at length %u",
	    j->has_origin ? "AS" : "NONE ", j->has_origin ? j->origin : 0,
	    j->q.len);
}
