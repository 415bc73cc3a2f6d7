/* SPDX-License-Identifier: Apache-2.0 */
/*
 * BGP UPDATE, RFC 4271 §4.3:
 *
 *   header (19) | Withdrawn Routes Length (2) | Withdrawn Routes
 *   | Total Path Attribute Length (2) | Path Attributes | NLRI
 *
 * Carve the three regions first, then walk each.
 */
#include <string.h>

#include "bgp_update.h"
#include "bgp_wire.h"

int
bgp_msg_header(struct bf_cur msg, uint16_t *len, uint8_t *type,
    struct bf_err *err)
{
	static const uint8_t marker[BGP_MARKER_LEN] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	};
	const uint8_t *m;
	struct bf_cur c = msg;

	if (cur_get_ptr(&c, BGP_MARKER_LEN, &m) < 0 ||
	    cur_get_u16(&c, len) < 0 || cur_get_u8(&c, type) < 0) {
		bf_err_set(err, BGP_SESSION_RESET, 0, "BGP message of %zu bytes "
		    "is shorter than the 19-byte header", cur_len(&msg));
		return -1;
	}
	if (memcmp(m, marker, sizeof(marker)) != 0) {
		bf_err_set(err, BGP_SESSION_RESET, 0, "BGP marker is not all "
		    "ones");
		return -1;
	}
	if (*len < BGP_HDR_LEN || *len > cur_len(&msg)) {
		bf_err_set(err, BGP_SESSION_RESET, 16, "BGP length %u outside "
		    "19..%zu", *len, cur_len(&msg));
		return -1;
	}
	return 0;
}

static bool
addpath_for(const struct bgp_decode_opts *o, const struct bgp_af *af)
{
	return af != NULL && ((o->addpath >> af->index) & 1);
}

enum {
	SEC_WITHDRAWN,
	SEC_MP_UNREACH,
	SEC_NLRI,
	SEC_MP_REACH,
	SEC_END,
};

/*
 * Validate one NLRI field and count it; -1 with err on the first bad one.
 * Routers do not always encode path IDs as their Peer Up capabilities say
 * (Huawei Loc-RIB adds them to families it never negotiated ADD-PATH for):
 * a field that fails as negotiated but parses whole the other way is taken
 * that way and reported.
 */
static int
count_section(struct bgp_update *u, int sec, struct bf_cur nlri,
    const struct bgp_af *af, size_t off, uint32_t *n, struct bf_err *err)
{
	bool withdraw = sec == SEC_WITHDRAWN || sec == SEC_MP_UNREACH;
	bool addpath = addpath_for(&u->opts, af);
	long r;

	u->sec_addpath[sec] = addpath;
	if (af == NULL || cur_len(&nlri) == 0)
		return 0;
	/*
	 * No error text on the hot path (zeroing a 112-byte struct bf_err per
	 * field showed in profiles, most fields hold one to a few prefixes):
	 * a field that fails both ways is walked once more, as negotiated, to
	 * say why, with the same message and offset as before.
	 */
	r = bgp_nlri_count(nlri, af, addpath, withdraw, off, NULL);
	if (r < 0) {
		r = bgp_nlri_count(nlri, af, !addpath, withdraw, off, NULL);
		if (r < 0) {
			struct bf_err first = { 0 };

			(void)bgp_nlri_count(nlri, af, addpath, withdraw, off,
			    &first);
			bf_err_set(err, BGP_SESSION_RESET, first.offset, "%s",
			    first.msg);
			return -1;
		}
		u->sec_addpath[sec] = !addpath;
		u->addpath_guessed = true;
		bgp_attrs_note(&u->attrs, 0, off, "%s NLRI carry %s path IDs, "
		    "unlike the Peer Up capabilities", af->name,
		    addpath ? "no" : "ADD-PATH");
	}
	*n += (uint32_t)r;
	return 0;
}

/*
 * RFC 7606 §3(d) asks a BGP speaker to treat an UPDATE missing a well-known
 * mandatory attribute as a withdrawal.  A monitored router that reports such
 * a route still holds it (FRR 8.0 omits NEXT_HOP in post-policy and Loc-RIB
 * messages), so withdrawing it here would fake a loss of visibility: it is
 * reported and kept, with the attribute absent.
 */
static void
check_mandatory(struct bgp_update *u)
{
	struct bgp_attrs *a = &u->attrs;
	bool reach = cur_len(&u->nlri) > 0 ||
	    (bgp_attr_has(a, BGP_ATTR_MP_REACH_NLRI) &&
	    cur_len(&a->mp_reach.nlri) > 0);

	if (!reach)
		return;
	if (!bgp_attr_has(a, BGP_ATTR_ORIGIN))
		bgp_attrs_note(a, BGP_ATTR_ORIGIN, u->nlri_off, "%s",
		    "well-known mandatory ORIGIN missing");
	if (!bgp_attr_has(a, BGP_ATTR_AS_PATH))
		bgp_attrs_note(a, BGP_ATTR_AS_PATH, u->nlri_off, "%s",
		    "well-known mandatory AS_PATH missing");
	if (cur_len(&u->nlri) > 0 && !bgp_attr_has(a, BGP_ATTR_NEXT_HOP))
		bgp_attrs_note(a, BGP_ATTR_NEXT_HOP, u->nlri_off, "%s",
		    "well-known mandatory NEXT_HOP missing for IPv4 NLRI");
}

enum bgp_outcome
bgp_update_parse(struct bf_cur msg, const struct bgp_decode_opts *opts,
    struct bgp_update *u, struct bf_err *err)
{
	struct bf_cur c = msg, attrs;
	uint16_t len, wlen, alen;
	uint8_t type;
	size_t attrs_off;
	enum bgp_outcome o;
	struct bgp_attrs *a = &u->attrs;

	memset(u, 0, offsetof(struct bgp_update, attrs));
	u->msg = msg;
	u->opts = *opts;
	if (bgp_msg_header(msg, &len, &type, err) < 0)
		return u->outcome = BGP_SESSION_RESET;
	if (type != BGP_MSG_UPDATE || len < BGP_UPDATE_MIN_LEN) {
		bf_err_set(err, BGP_SESSION_RESET, 18, "not a BGP UPDATE (type "
		    "%u, length %u)", type, len);
		return u->outcome = BGP_SESSION_RESET;
	}
	c.len = len;
	(void)cur_skip(&c, BGP_HDR_LEN);
	(void)cur_get_u16(&c, &wlen);
	u->withdrawn_off = BGP_HDR_LEN + 2;
	if (cur_sub(&c, wlen, &u->withdrawn) < 0 || cur_get_u16(&c, &alen) < 0) {
		bf_err_set(err, BGP_SESSION_RESET, BGP_HDR_LEN, "withdrawn "
		    "routes length %u overruns the UPDATE", wlen);
		return u->outcome = BGP_SESSION_RESET;
	}
	attrs_off = u->withdrawn_off + wlen + 2;
	if (cur_sub(&c, alen, &attrs) < 0) {
		bf_err_set(err, BGP_SESSION_RESET, attrs_off - 2, "total path "
		    "attribute length %u overruns the UPDATE", alen);
		return u->outcome = BGP_SESSION_RESET;
	}
	u->nlri = c;
	u->nlri_off = attrs_off + alen;

	o = bgp_attrs_parse(attrs, attrs_off, opts, a, err);
	if (o == BGP_SESSION_RESET)
		return u->outcome = o;
	check_mandatory(u);
	u->outcome = o;

	/* RFC 7606 §5.3: NLRI that cannot be parsed leave nothing usable. */
	if (count_section(u, SEC_WITHDRAWN, u->withdrawn, bgp_af_ipv4_unicast(),
	    u->withdrawn_off, &u->n_withdrawn, err) < 0 ||
	    count_section(u, SEC_NLRI, u->nlri, bgp_af_ipv4_unicast(),
	    u->nlri_off, &u->n_announced, err) < 0)
		return u->outcome = BGP_SESSION_RESET;
	if (bgp_attr_has(a, BGP_ATTR_MP_UNREACH_NLRI)) {
		struct bgp_mp_unreach *mu = &a->mp_unreach;

		if (count_section(u, SEC_MP_UNREACH, mu->nlri, mu->af,
		    mu->nlri_off, &u->n_withdrawn, err) < 0)
			return u->outcome = BGP_SESSION_RESET;
		u->undecoded_unreach = mu->af == NULL && cur_len(&mu->nlri) > 0;
	}
	if (bgp_attr_has(a, BGP_ATTR_MP_REACH_NLRI)) {
		struct bgp_mp_reach *mr = &a->mp_reach;

		if (count_section(u, SEC_MP_REACH, mr->nlri, mr->af,
		    mr->nlri_off, &u->n_announced, err) < 0)
			return u->outcome = BGP_SESSION_RESET;
		u->undecoded_reach = mr->af == NULL && cur_len(&mr->nlri) > 0;
	}
	/* RFC 4724 §2: empty UPDATE, or MP_UNREACH alone with no NLRI. */
	if (cur_len(&u->withdrawn) == 0 && cur_len(&u->nlri) == 0) {
		if (alen == 0) {
			u->eor = true;
			u->eor_afi = BGP_AFI_IPV4;
			u->eor_safi = BGP_SAFI_UNICAST;
		} else if (bgp_attr_has(a, BGP_ATTR_MP_UNREACH_NLRI) &&
		    cur_len(&a->mp_unreach.nlri) == 0 &&
		    !bgp_attr_has(a, BGP_ATTR_MP_REACH_NLRI)) {
			u->eor = true;
			u->eor_afi = a->mp_unreach.afi;
			u->eor_safi = a->mp_unreach.safi;
		}
	}
	if (o == BGP_TREAT_AS_WITHDRAW) {
		u->n_withdrawn += u->n_announced;
		u->n_announced = 0;
	}
	return o;
}

/* Point the NLRI iterator at section s; false when s has nothing to walk. */
static bool
enter_section(struct bgp_route_iter *ri, int s)
{
	const struct bgp_update *u = ri->u;
	const struct bgp_attrs *a = &u->attrs;
	const struct bgp_af *af = bgp_af_ipv4_unicast();
	struct bf_cur nlri;
	size_t off;
	bool withdraw = false;

	switch (s) {
	case SEC_WITHDRAWN:
		nlri = u->withdrawn, off = u->withdrawn_off, withdraw = true;
		break;
	case SEC_MP_UNREACH:
		if (!bgp_attr_has(a, BGP_ATTR_MP_UNREACH_NLRI))
			return false;
		af = a->mp_unreach.af, nlri = a->mp_unreach.nlri;
		off = a->mp_unreach.nlri_off, withdraw = true;
		break;
	case SEC_NLRI:
		nlri = u->nlri, off = u->nlri_off;
		break;
	case SEC_MP_REACH:
		if (!bgp_attr_has(a, BGP_ATTR_MP_REACH_NLRI))
			return false;
		af = a->mp_reach.af, nlri = a->mp_reach.nlri;
		off = a->mp_reach.nlri_off;
		break;
	default:
		return false;
	}
	if (af == NULL || cur_len(&nlri) == 0)
		return false;
	bgp_nlri_iter_init(&ri->it, nlri, af, u->sec_addpath[s], withdraw, off);
	return true;
}

void
bgp_route_iter_init(struct bgp_route_iter *ri, const struct bgp_update *u)
{
	ri->u = u;
	ri->section = SEC_END;
	if (u->outcome == BGP_SESSION_RESET)
		return;
	for (ri->section = SEC_WITHDRAWN; ri->section < SEC_END; ri->section++)
		if (enter_section(ri, ri->section))
			break;
}

int
bgp_route_next(struct bgp_route_iter *ri, struct bgp_route *r)
{
	while (ri->section < SEC_END) {
		if (bgp_nlri_next(&ri->it, &r->nlri, NULL) == 1) {
			r->af = ri->it.af;
			r->action = (ri->section == SEC_WITHDRAWN ||
			    ri->section == SEC_MP_UNREACH ||
			    ri->u->outcome == BGP_TREAT_AS_WITHDRAW) ?
			    BGP_WITHDRAW : BGP_ANNOUNCE;
			return 1;
		}
		while (++ri->section < SEC_END)
			if (enter_section(ri, ri->section))
				break;
	}
	return 0;
}
