/*
 * records.h: decoded BMP messages → Avro records (single-object encoding),
 * one per topic of DESIGN.md, with their Kafka keys.
 *
 * One encoder per thread; it owns one Avro value per schema and one output
 * buffer, reused for every record, so encoding allocates nothing per prefix
 * once warm.  The returned record is valid until the next encode call.
 */
#ifndef BF_RECORDS_H
#define BF_RECORDS_H

#include <stdbool.h>
#include <stdint.h>

#include "../normalize/bmp_stream.h"
#include "core/avro_schema.h"

enum bf_topic {
	BF_TOPIC_ROUTER,
	BF_TOPIC_PEER,
	BF_TOPIC_ROUTE,
	BF_TOPIC_STATS,
	BF_TOPIC_RAW,
	BF_TOPIC_COUNT,
};

/*
 * The first information TLV of a type in tlvs, as valid UTF-8 text (hex
 * when it holds control bytes, U+FFFD for bytes that are not UTF-8); ""
 * when there is none.
 */
void	bf_info_tlv_text(struct bf_cur tlvs, uint16_t type, char *out,
	    size_t n);

/* Schema file name (and topic suffix): "router", "peer", ... */
const char	*bf_topic_name(enum bf_topic t);

enum bf_field {
	F_ROUTER_ADDRESS, F_ROUTER_NAME, F_COLLECTOR_TIME_US,
	F_PEER_ADDRESS, F_PEER_AS, F_PEER_BGP_ID, F_PEER_RD, F_PEER_TYPE,
	F_RIB, F_POST_POLICY, F_LOC_RIB_FILTERED, F_PEER_EPOCH, F_BMP_TIME_US,
	/* route */
	F_ACTION, F_FAMILY, F_AFI, F_SAFI, F_PREFIX, F_PREFIX_LEN, F_RD,
	F_PATH_ID, F_LABELS, F_ORIGIN, F_AS_PATH, F_AS_PATH_SEGMENTS,
	F_AS_PATH_LEN, F_ORIGIN_AS, F_NEXT_HOP, F_NEXT_HOP_LINK_LOCAL, F_MED,
	F_LOCAL_PREF, F_ATOMIC_AGGREGATE, F_AGGREGATOR_AS,
	F_AGGREGATOR_ADDRESS, F_COMMUNITIES, F_LARGE_COMMUNITIES,
	F_EXT_COMMUNITIES, F_IPV6_EXT_COMMUNITIES, F_ORIGINATOR_ID,
	F_CLUSTER_LIST, F_OTC, F_AIGP, F_UNKNOWN_ATTRIBUTES, F_ERROR_HANDLING,
	/* router */
	F_EVENT, F_SYS_DESCR, F_INFO, F_REASON, F_MESSAGES, F_DECODE_ERRORS,
	/* peer */
	F_LOCAL_ADDRESS, F_LOCAL_PORT, F_REMOTE_PORT, F_SENT_OPEN,
	F_RECEIVED_OPEN, F_DOWN_REASON_CODE, F_DOWN_REASON,
	F_NOTIFICATION_CODE, F_NOTIFICATION_SUBCODE, F_FSM_EVENT,
	/* stats, raw */
	F_STATS, F_BMP_TYPE, F_MESSAGE,
	F_COUNT,
};

/* What the collector knows about one router session. */
struct bf_router {
	char		addr[BF_ADDR_STRLEN];	/* source address of the session */
	char		name[256];		/* sysName, "" until Initiation */
	uint64_t	msgs;
	uint64_t	errors;
};

enum bf_router_event {
	BF_ROUTER_CONNECTED,
	BF_ROUTER_INITIATION,
	BF_ROUTER_TERMINATION,
	BF_ROUTER_DISCONNECTED,
};

struct bf_record {
	enum bf_topic	 topic;
	const char	*schema;	/* schema name, for the Kafka header */
	const uint8_t	*value;
	size_t		 value_len;
	char		 key[BF_ADDR_STRLEN * 2 + BF_RD_STRLEN + 4];
	size_t		 key_len;
};

struct bf_enc_rec {
	struct bf_schema	sch;
	avro_value_t		v;
	int			idx[F_COUNT];	/* field position, -1 if none */
};

/* Avro binary of a run of a record's fields, kept while they do not change. */
struct bf_enc_seg {
	uint8_t	*b;
	size_t	 n, cap;
};

struct bf_encoder {
	struct bf_enc_rec	 rec[BF_TOPIC_COUNT];
	avro_writer_t		 w;
	uint8_t			*buf;
	size_t			 cap;
	/* state of the UPDATE being encoded, see bf_enc_update_begin() */
	const struct bgp_update	*update;
	int			 attrs_action;	/* action attrs are set for, -1 */
	const struct bgp_af	*attrs_af;	/* family the value holds */
	bool			 had_labels;	/* labels field not empty */
	/*
	 * A route record's fields fall in three runs: router and peer (set
	 * per UPDATE), the prefix's own (action .. labels), attributes (per
	 * run of one family and action).  The outer two are encoded once and
	 * reused; prefix_first == 0 when the schema's order does not allow it.
	 */
	size_t			 prefix_first, prefix_end, n_route_fields;
	struct bf_enc_seg	 head, mid, tail;
	struct bf_record	 out;
	/*
	 * Information TLV values that were not valid UTF-8 and went out with
	 * U+FFFD in place (utf8.h), since init, and the TLV name of the
	 * latest: the caller's metric and log line.
	 */
	uint64_t		 invalid_utf8;
	const char		*invalid_utf8_tlv;
};

/* Load every schema from schema_dir.  Returns 0, or -1 with errbuf set. */
int	bf_encoder_init(struct bf_encoder *e, const char *schema_dir,
	    char *errbuf, size_t errlen);
void	bf_encoder_free(struct bf_encoder *e);

/*
 * Each returns the record, or NULL when it could not be encoded (out of
 * memory), which callers count as an encode error.
 */
const struct bf_record *bf_enc_router(struct bf_encoder *e,
	    const struct bf_router *r, enum bf_router_event ev,
	    const struct bmp_msg *m, const char *reason, int64_t now_us);
const struct bf_record *bf_enc_peer(struct bf_encoder *e,
	    const struct bf_router *r, const struct bmp_stream *s,
	    int64_t now_us);
/*
 * An End-of-RIB marker (RFC 4724 §2) in the UPDATE s->update: a bmp.peer
 * record with event end_of_rib, the marker's family, and the per-peer
 * header of its Route Monitoring message, which says whose initial table
 * (Adj-RIB-In pre/post-policy, Adj-RIB-Out, Loc-RIB) is complete.
 */
const struct bf_record *bf_enc_end_of_rib(struct bf_encoder *e,
	    const struct bf_router *r, const struct bmp_stream *s,
	    int64_t now_us);
/*
 * A Peer Down for peer p, which was up when its router's BMP session
 * closed: its epoch ends (down_reason "router_session_closed").
 */
const struct bf_record *bf_enc_peer_closed(struct bf_encoder *e,
	    const struct bf_router *r, const struct peer_entry *p,
	    int64_t now_us);
const struct bf_record *bf_enc_stats(struct bf_encoder *e,
	    const struct bf_router *r, const struct bmp_stream *s,
	    int64_t now_us);
const struct bf_record *bf_enc_raw(struct bf_encoder *e,
	    const struct bf_router *r, const uint8_t *msg, size_t len,
	    int64_t now_us);

/* Set the fields shared by every prefix of the UPDATE s->update. */
void	bf_enc_update_begin(struct bf_encoder *e, const struct bf_router *r,
	    const struct bmp_stream *s, int64_t now_us);
/* One route record for a prefix of that UPDATE. */
const struct bf_record *bf_enc_route(struct bf_encoder *e,
	    const struct bgp_route *rt);

#endif /* BF_RECORDS_H */
