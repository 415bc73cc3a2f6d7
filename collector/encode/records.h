/* SPDX-License-Identifier: Apache-2.0 */
/*
 * records.h: decoded BMP messages → Avro records (single-object encoding),
 * one per topic (a schema each in schemas/), with their Kafka keys.
 *
 * One encoder per thread; it writes each record's fields in its schema's
 * order with the Avro writer (core/avro_write.h) into buffers reused for
 * every record, so encoding allocates nothing per prefix once warm.  The
 * returned record is valid until the next encode call.
 */
#ifndef BF_RECORDS_H
#define BF_RECORDS_H

#include <stdbool.h>
#include <stdint.h>

#include "../normalize/bmp_stream.h"
#include "core/avro_schema.h"
#include "core/avro_write.h"
#include "core/record_format.h"

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
	char		 key[BF_ADDR_STRLEN * 2 + BF_RD_STRLEN + 48];
	size_t		 key_len;
	const struct bgp_route *route;	/* a bmp.route record's, else NULL */
};

struct bf_encoder {
	struct bf_schema	 sch[BF_TOPIC_COUNT];
	/* Each topic's record format: avro unless set. */
	struct bf_record_writer	 writer[BF_TOPIC_COUNT];
	/* The record being written: single-object header, then its body. */
	struct bf_avro_buf	 buf;
	struct bf_record	 out;
	/*
	 * Route records of the UPDATE being encoded (bf_enc_update_begin()):
	 * their fields fall in three runs, router and peer (head, the same for
	 * the whole UPDATE), the prefix's own (action .. labels, written per
	 * prefix) and the attributes (tail, the same for a run of prefixes of
	 * one family and action), so each prefix copies head and tail.
	 */
	const struct bgp_update	*update;
	struct bf_avro_buf	 head, tail;
	int			 tail_action;	/* action tail is for, -1 */
	const struct bgp_af	*tail_af;	/* family tail is for */
	/*
	 * Information TLV values that were not valid UTF-8 and went out with
	 * U+FFFD in place (utf8.h), since init, and the TLV name of the
	 * latest: the caller's metric and log line.
	 */
	uint64_t		 invalid_utf8;
	const char		*invalid_utf8_tlv;
};

/*
 * Load every schema from schema_dir; each must be the one the encoder
 * writes (its fingerprint).  Returns 0, or -1 with errbuf set.
 */
int	bf_encoder_init(struct bf_encoder *e, const char *schema_dir,
	    char *errbuf, size_t errlen);
void	bf_encoder_free(struct bf_encoder *e);
/*
 * Write topic t's records in format f (registry_id: its schema's id in
 * the Schema Registry, for avro-confluent).  0, or -1 out of memory.
 */
int	bf_encoder_set_format(struct bf_encoder *e, enum bf_topic t,
	    enum bf_format f, uint32_t registry_id);

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
 * The Peer Up of an epoch the stream opened at a route of a peer without
 * one (s->opened): event up, its OPENs, ports and TLVs null.
 */
const struct bf_record *bf_enc_peer_opened(struct bf_encoder *e,
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
/*
 * bmp.route's key of a prefix (with its RD, or NULL): "RD|prefix" or
 * "prefix".  Returns its length.
 */
size_t	bf_route_key(const struct bf_prefix *p, const uint8_t *rd, char *out,
	    size_t n);
/* One route record for a prefix of that UPDATE. */
const struct bf_record *bf_enc_route(struct bf_encoder *e,
	    const struct bgp_route *rt);

/* Where the records of a message go, in order; NULL: one failed. */
typedef void (*bf_record_sink)(const struct bf_record *r, void *arg);
/*
 * Every record the message s->msg gives, one per topic's rules:
 * a route record per prefix of its UPDATE and then the End-of-RIB marker
 * it carries, or its peer, stats or router record; nothing for a type no
 * topic holds (Route Mirroring).  The collector's one normalization step.
 */
void	bf_enc_message(struct bf_encoder *e, const struct bf_router *r,
	    const struct bmp_stream *s, int64_t now_us, bf_record_sink sink,
	    void *arg);

#endif /* BF_RECORDS_H */
