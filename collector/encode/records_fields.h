/* SPDX-License-Identifier: Apache-2.0 */
/*
 * records_fields.h: what the record writers of records.c and
 * records_route.c share: the fields every record or every per-peer record
 * starts with, the record's frame and its Kafka key.
 */
#ifndef BF_RECORDS_FIELDS_H
#define BF_RECORDS_FIELDS_H

#include "records.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* ["null", "string"]: null when s is NULL or "". */
void	bf_rec_opt_str(struct bf_avro_buf *b, const char *s);
/* ["null", "long"] (or "int"): null unless has. */
void	bf_rec_opt_long(struct bf_avro_buf *b, bool has, int64_t x);
/* Dotted quad of a host-order IPv4 address. */
void	bf_rec_ipv4_fmt(uint32_t v, char *buf, size_t n);

/* router_address, router_name, collector_time_us. */
void	bf_rec_router(struct bf_avro_buf *b, const struct bf_router *rt,
	    int64_t now_us);
/* peer_address .. bmp_time_us: the BMP per-peer header h. */
void	bf_rec_peer(struct bf_avro_buf *b, const struct bmp_peer_hdr *h,
	    uint64_t epoch);

/* Start a record of e->buf: room for the single-object header. */
struct bf_avro_buf *bf_rec_begin(struct bf_encoder *e);
/* The record written since bf_rec_begin(), or NULL (out of memory). */
const struct bf_record *bf_rec_end(struct bf_encoder *e, enum bf_topic t);

/* Key a|b|c (b, c may be NULL). */
void	bf_rec_key(struct bf_encoder *e, const char *a, const char *b,
	    const char *c);

#endif /* BF_RECORDS_FIELDS_H */
