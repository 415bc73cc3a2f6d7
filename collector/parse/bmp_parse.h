/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bmp_parse.h: decode one framed BMP message into host-order structs.
 *
 * Nothing is copied: TLV values, BGP PDUs and stats bodies are cursors into
 * the message buffer, valid as long as it is.  Every region is validated by
 * bmp_parse(), so the iterators below cannot fail afterwards.
 */
#ifndef BF_BMP_PARSE_H
#define BF_BMP_PARSE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/cursor.h"
#include "core/err.h"
#include "bgp_open.h"

struct bmp_peer_hdr {
	uint8_t		type;		/* BMP_PEER_* */
	uint8_t		flags;
	uint8_t		rd[8];
	struct bf_addr	addr;
	uint32_t	as;
	uint32_t	bgp_id;
	uint32_t	ts_sec;
	uint32_t	ts_usec;
};

/* Which RIB a per-peer message describes (RFC 7854, RFC 8671, RFC 9069). */
enum bmp_rib {
	BMP_RIB_ADJ_IN,
	BMP_RIB_ADJ_OUT,
	BMP_RIB_LOC,
};

struct bmp_tlv {
	uint16_t	type;
	struct bf_cur	value;
};

struct bmp_peer_up {
	struct bf_addr	local_addr;
	uint16_t	local_port;
	uint16_t	remote_port;
	struct bf_cur	sent_open_raw;	/* whole BGP OPEN messages */
	struct bf_cur	recv_open_raw;
	struct bgp_open	sent_open;	/* OPEN the monitored router sent */
	struct bgp_open	recv_open;	/* OPEN it received from the peer */
	struct bf_cur	tlvs;		/* information TLVs */
};

struct bmp_peer_down {
	uint8_t		reason;		/* BMP_PD_* */
	bool		has_notification;
	uint8_t		notify_code;
	uint8_t		notify_subcode;
	struct bf_cur	notify_data;
	uint16_t	fsm_event;	/* reason 2 */
	struct bf_cur	data;		/* everything after the reason */
	struct bf_cur	tlvs;		/* reason 6 (RFC 9069) */
};

struct bmp_route_mon {
	struct bf_cur	bgp;		/* the BGP UPDATE, header included */
	struct bf_cur	trailing;	/* bytes after the PDU (Huawei TLVs) */
};

struct bmp_stats {
	uint32_t	count;
	struct bf_cur	body;		/* count stat TLVs */
};

struct bmp_mirror {
	struct bf_cur	tlvs;
};

struct bmp_msg {
	uint8_t		version;
	uint32_t	length;
	uint8_t		type;
	bool		has_peer;
	struct bmp_peer_hdr peer;
	struct bf_cur	body;		/* after the common (and per-peer) header */
	union {
		struct bf_cur		info_tlvs;	/* Initiation, Termination */
		struct bmp_peer_up	peer_up;
		struct bmp_peer_down	peer_down;
		struct bmp_route_mon	rm;
		struct bmp_stats	stats;
		struct bmp_mirror	mirror;
	} u;
};

/*
 * Decode one whole BMP message of len bytes (as framed by bmp_frame()).
 * Returns 0, or -1 with err naming the problem and its byte offset.
 * Message types this decoder does not know are returned with 0 and
 * only the common header filled: callers skip them by length.
 */
int	bmp_parse(const uint8_t *buf, size_t len, struct bmp_msg *m,
	    struct bf_err *err);

enum bmp_rib	bmp_peer_rib(const struct bmp_peer_hdr *p);
bool		bmp_peer_post_policy(const struct bmp_peer_hdr *p);

/* Walk TLVs (2-byte type, 2-byte length) of a validated region: 1 / 0 at end. */
int	bmp_tlv_next(struct bf_cur *tlvs, struct bmp_tlv *t);

enum bmp_stat_kind {
	BMP_STAT_COUNTER32,
	BMP_STAT_GAUGE64,
	BMP_STAT_AFI_GAUGE64,	/* AFI (2), SAFI (1), 64-bit gauge */
	BMP_STAT_OPAQUE,	/* unknown type, or a length not matching it */
};

struct bmp_stat {
	uint16_t		type;
	uint16_t		len;
	enum bmp_stat_kind	kind;
	uint16_t		afi;
	uint8_t			safi;
	uint64_t		value;
	struct bf_cur		raw;
};

/* Walk the stat TLVs of a validated Statistics Report: 1 / 0 at end. */
int	bmp_stat_next(struct bf_cur *body, struct bmp_stat *s);

/* Names for logs and JSON, never NULL. */
const char	*bmp_type_name(uint8_t type);
const char	*bmp_peer_type_name(uint8_t type);
const char	*bmp_rib_name(enum bmp_rib rib);
const char	*bmp_stat_name(uint16_t type);
const char	*bmp_peer_down_reason_name(uint8_t reason);
/* Name of an information TLV type of message msg_type (sysName, ...). */
const char	*bmp_info_tlv_name(uint8_t msg_type, uint16_t type);

#endif /* BF_BMP_PARSE_H */
