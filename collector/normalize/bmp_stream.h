/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bmp_stream.h: decoding state of one BMP session (one TCP connection or
 * one capture file): framing, per-message decoding, the peer table and
 * counters.  The collector, bmpflow-decode, tests and the benchmark all
 * decode through this.
 */
#ifndef BF_BMP_STREAM_H
#define BF_BMP_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "../parse/bgp_update.h"
#include "../parse/bmp_parse.h"
#include "../parse/bmp_wire.h"
#include "peer_table.h"

#define BMP_STREAM_MAX_PEERS	65536

struct bmp_stream_stats {
	uint64_t	bytes;
	uint64_t	msgs;
	uint64_t	by_type[BMP_TYPE_MAX];
	uint64_t	unknown_type;		/* skipped by length (Huawei 100, ...) */
	uint64_t	updates;
	uint64_t	announced;		/* prefixes */
	uint64_t	withdrawn;
	uint64_t	eor;
	uint64_t	undecoded_family;	/* UPDATEs with NLRI of unknown AFI/SAFI */
	uint64_t	trailing_data;		/* RM with bytes after the PDU */
	uint64_t	no_peer_up;		/* RM in an epoch without Peer Up */
	uint64_t	attr_discard;		/* RFC 7606 attribute-discard */
	uint64_t	treat_as_withdraw;	/* RFC 7606 treat-as-withdraw */
	uint64_t	msg_errors;		/* messages that could not be decoded */
	uint64_t	peer_limit;		/* Peer Ups and RMs of peers refused
						 * beyond the limit */
};

enum bmp_msg_result {
	BMP_MSG_OK,		/* decoded; see s->msg (and s->update for RM) */
	BMP_MSG_SKIPPED,	/* unknown type, skipped by its length */
	BMP_MSG_ERROR,		/* this message only is bad; err says why */
};

struct bmp_stream {
	size_t			 max_msg;
	struct peer_table	 peers;
	struct bmp_msg		 msg;		/* last message decoded */
	struct peer_entry	*peer;		/* its peer, NULL if none */
	struct bgp_update	*update;	/* its UPDATE when RM and OK */
	bool			 has_update;
	bool			 opened;	/* its RM opened the peer's epoch */
	struct bmp_stream_stats	 st;
};

/* Returns 0, or -1 when out of memory. */
int	bmp_stream_init(struct bmp_stream *s, size_t max_msg,
	    uint32_t max_peers);
void	bmp_stream_free(struct bmp_stream *s);

/* Decode one framed message of len bytes (see bmp_frame()). */
enum bmp_msg_result bmp_stream_decode(struct bmp_stream *s,
	    const uint8_t *buf, size_t len, struct bf_err *err);

/*
 * Called for each message: off is its offset in the buffer given to
 * bmp_stream_walk(), err is set when res is BMP_MSG_ERROR.
 */
typedef void (*bmp_stream_cb)(struct bmp_stream *s, size_t off,
	    enum bmp_msg_result res, const struct bf_err *err, void *arg);

/*
 * Frame and decode every whole message in buf.  Returns the bytes consumed
 * (the rest is an incomplete message), or -1 on a fatal framing error with
 * err set and *err_off its offset: the session cannot go on after that.
 */
long	bmp_stream_walk(struct bmp_stream *s, const uint8_t *buf, size_t len,
	    bmp_stream_cb cb, void *arg, struct bf_err *err, size_t *err_off);

#endif /* BF_BMP_STREAM_H */
