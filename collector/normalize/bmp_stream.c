/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "../parse/bgp_wire.h"
#include "../parse/bmp_frame.h"
#include "bmp_stream.h"

int
bmp_stream_init(struct bmp_stream *s, size_t max_msg, uint32_t max_peers)
{
	memset(s, 0, sizeof(*s));
	s->max_msg = max_msg;
	/* One UPDATE scratch per session: no allocation per message. */
	if ((s->update = malloc(sizeof(*s->update))) == NULL)
		return -1;
	if (peer_table_init(&s->peers, max_peers) < 0) {
		free(s->update);
		return -1;
	}
	return 0;
}

void
bmp_stream_free(struct bmp_stream *s)
{
	peer_table_free(&s->peers);
	free(s->update);
	s->update = NULL;
}

static enum bmp_msg_result
decode_route_mon(struct bmp_stream *s, struct bf_err *err)
{
	struct bmp_msg *m = &s->msg;
	struct bgp_decode_opts opts;
	struct bgp_update *u = s->update;
	size_t pdu_off = BMP_PEER_MSG_MIN;
	bool open = s->peer != NULL && s->peer->up;
	enum bgp_outcome o;

	if (cur_len(&m->u.rm.trailing) > 0)
		s->st.trailing_data++;
	peer_table_decode_opts(open ? s->peer : NULL, &m->peer, &opts);
	o = bgp_update_parse(m->u.rm.bgp, &opts, u, err);
	if (o == BGP_SESSION_RESET) {
		/* Offsets from the UPDATE parser are PDU-relative. */
		if (err != NULL)
			err->offset += pdu_off;
		s->st.msg_errors++;
		return BMP_MSG_ERROR;
	}
	if (!open) {
		/* Its records need an epoch that will end: open one. */
		if ((s->peer = peer_table_get(&s->peers, &m->peer)) == NULL) {
			s->st.peer_limit++;
			bf_err_set(err, -1, BMP_COMMON_HDR_LEN, "more than %u "
			    "peers on this session: routes of a new peer not "
			    "published", s->peers.max);
			return BMP_MSG_ERROR;
		}
		peer_table_open(&s->peers, s->peer, &m->peer);
		s->opened = true;
	}
	if (!s->peer->has_open)
		s->st.no_peer_up++;
	s->has_update = true;
	s->st.updates++;
	s->st.announced += u->n_announced;
	s->st.withdrawn += u->n_withdrawn;
	s->st.eor += u->eor;
	s->st.undecoded_family += u->undecoded_reach || u->undecoded_unreach;
	if (o == BGP_TREAT_AS_WITHDRAW)
		s->st.treat_as_withdraw++;
	else if (o == BGP_ATTR_DISCARD)
		s->st.attr_discard++;
	return BMP_MSG_OK;
}

enum bmp_msg_result
bmp_stream_decode(struct bmp_stream *s, const uint8_t *buf, size_t len,
    struct bf_err *err)
{
	struct bmp_msg *m = &s->msg;

	s->peer = NULL;
	s->has_update = false;
	s->opened = false;
	s->st.msgs++;
	s->st.bytes += len;
	if (bmp_parse(buf, len, m, err) < 0) {
		s->st.msg_errors++;
		return BMP_MSG_ERROR;
	}
	if (m->type >= BMP_TYPE_MAX) {
		s->st.unknown_type++;
		return BMP_MSG_SKIPPED;
	}
	s->st.by_type[m->type]++;
	if (m->has_peer) {
		s->peer = m->type == BMP_PEER_UP ?
		    peer_table_get(&s->peers, &m->peer) :
		    peer_table_find(&s->peers, &m->peer);
		if (s->peer == NULL && m->type == BMP_PEER_UP) {
			s->st.peer_limit++;
			bf_err_set(err, -1, BMP_COMMON_HDR_LEN, "more than %u "
			    "peers on this session: Peer Up refused",
			    s->peers.max);
			return BMP_MSG_ERROR;
		}
	}
	switch (m->type) {
	case BMP_PEER_UP:
		peer_table_up(&s->peers, s->peer, &m->u.peer_up);
		s->peer->hdr = m->peer;
		return BMP_MSG_OK;
	case BMP_PEER_DOWN:
		if (s->peer != NULL)
			s->peer->up = false;
		return BMP_MSG_OK;
	case BMP_ROUTE_MONITORING:
		return decode_route_mon(s, err);
	default:
		return BMP_MSG_OK;
	}
}

long
bmp_stream_walk(struct bmp_stream *s, const uint8_t *buf, size_t len,
    bmp_stream_cb cb, void *arg, struct bf_err *err, size_t *err_off)
{
	struct bf_cur all = cur_make(buf, len), c = all, m;

	while (cur_len(&c) > 0) {
		struct bf_err merr = { 0 };
		enum bmp_msg_result r;
		size_t off = cur_offset(&all, &c);
		long n = bmp_frame(c.p, cur_len(&c), s->max_msg, err);

		if (n < 0) {
			*err_off = off;
			return -1;
		}
		if (n == 0 || cur_sub(&c, (size_t)n, &m) < 0)
			break;
		r = bmp_stream_decode(s, m.p, cur_len(&m), &merr);
		if (cb != NULL)
			cb(s, off, r, &merr, arg);
	}
	return (long)cur_offset(&all, &c);
}
