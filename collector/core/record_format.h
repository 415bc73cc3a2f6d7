/* SPDX-License-Identifier: Apache-2.0 */
/*
 * record_format.h: the three forms a record takes on a topic, written by
 * the collector and the processor host and read by the host, bmpflow-tail
 * and bmpflow-alert:
 *
 *   avro            Avro single-object encoding: C3 01, the schema's
 *                   CRC-64-AVRO fingerprint (8 bytes, little-endian), the
 *                   Avro binary body.  Needs no registry.
 *   avro-confluent  Confluent's wire format: 00, the schema's Schema
 *                   Registry id (4 bytes, big-endian), the same body; what
 *                   Kafka Connect's AvroConverter, ClickHouse's
 *                   AvroConfluent and kcat -s avro read.
 *   json            one JSON object: the schema's field names, unions as
 *                   their value (null or the value itself), enums as their
 *                   symbol, bytes and fixed as lower-case hex text, longs
 *                   as JSON numbers.
 *
 * A reader tells them apart by the first byte, so a topic may change
 * format with old records still on it.
 */
#ifndef BF_RECORD_FORMAT_H
#define BF_RECORD_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/avro_scan.h"
#include "core/avro_schema.h"
#include "core/avro_write.h"
#include "core/cursor.h"
#include "core/schema_registry.h"

enum bf_format {
	BF_FORMAT_AVRO,
	BF_FORMAT_CONFLUENT,
	BF_FORMAT_JSON,
};

/* "avro", "avro-confluent", "json", NULL: an option table's choices. */
extern const char *const bf_format_names[];
/* The format of a name of bf_format_names (checked by the option table). */
enum bf_format	bf_format_of(const char *name);

#define BF_CONFLUENT_HDR	5

/*
 * Avro bodies as JSON text (format json), into a buffer reused for every
 * record: nothing is allocated per record once it has grown.
 */
struct bf_json_text {
	FILE			*f;	/* writes into buf */
	struct bf_avro_buf	 buf;
};

/*
 * How a writer of one schema's records (a collector topic, a processor's
 * output) finishes each: header or JSON.
 */
struct bf_record_writer {
	enum bf_format		 format;
	uint32_t		 registry_id;	/* avro-confluent */
	struct bf_scan_node	*json_scan;	/* json */
	struct bf_json_text	 json;
};

/*
 * Records of schema s in format f (registry_id: s's id in the Schema
 * Registry, for avro-confluent).  0, or -1 out of memory.  A zeroed
 * writer writes avro.
 */
int	bf_record_writer_init(struct bf_record_writer *w,
	    const struct bf_schema *s, enum bf_format f, uint32_t registry_id);
void	bf_record_writer_free(struct bf_record_writer *w);

/*
 * The registry_id of bf_record_writer_init for topic's records of schema
 * s: s registered in reg under TOPIC-value, and the id logged.  0, or -1
 * with why, naming topic and schema, in err.
 */
int	bf_record_registry_id(struct bf_registry *reg, const char *topic,
	    const struct bf_schema *s, uint32_t *id, char *err, size_t errlen);

/*
 * The record whose Avro body b holds after the BF_SINGLE_OBJECT_HDR bytes
 * reserved at its start, in w's format: into b (a header written there)
 * or, for json, into w's text (valid until the next call).  0, or -1 when
 * the body is malformed or memory ran out.
 */
int	bf_record_writer_finish(struct bf_record_writer *w,
	    const struct bf_schema *s, struct bf_avro_buf *b,
	    const uint8_t **value, size_t *len);

/*
 * JSON text (format json) → the Avro binary body of node n in out (reset
 * first).  A field left out takes null when its type allows it.  0, or -1
 * with what is wrong and where ("field 'prefix': expected a string") in
 * err.
 */
int	bf_json_to_avro(const uint8_t *text, size_t len,
	    const struct bf_scan_node *n, struct bf_avro_buf *out, char *err,
	    size_t errlen);

/*
 * A reader of records in any of the three formats, for a set of schemas
 * it knows (its caller's: the host reads route and peer records, tail
 * every schema of the schema directory).  One per thread.
 */
struct bf_record_reader {
	const struct bf_schema		*const *schemas;
	const struct bf_scan_node	*const *scans;
	size_t				 n;
	struct bf_registry		*registry;	/* NULL: none */
	struct bf_avro_buf		 json_body;	/* a JSON record's */
	uint32_t			 last_id;	/* the last id seen */
	int				 last_id_schema;	/* its schema + 1,
							 * 0: none yet */
};

/* json_schema of bf_record_read: the first schema the record converts to. */
#define BF_RECORD_ANY_SCHEMA	(-2)

/*
 * Which of r's schemas record p[0..n) is and its Avro body in *body
 * (into p, or into r for JSON).  A JSON record names no schema: it is
 * read as json_schema's (the topic's; BF_RECORD_ANY_SCHEMA: the first of
 * r's it converts to), or -1 when that is not known.
 * Returns the schema's index, or -1 with why in err (unknown fingerprint
 * or id, no registry for an avro-confluent record, bad JSON).  The body
 * is not checked against the schema beyond a JSON record's conversion.
 */
int	bf_record_read(struct bf_record_reader *r, const uint8_t *p, size_t n,
	    int json_schema, struct bf_cur *body, char *err, size_t errlen);
void	bf_record_reader_free(struct bf_record_reader *r);

/*
 * The schema of r a topic's JSON records are read with: the one named by
 * the topic's last word ("bmp.route" → route), a ".state" topic's word
 * before it (bmp.route.state carries route records), else -1.
 */
int	bf_record_topic_schema(const struct bf_record_reader *r,
	    const char *topic);

#endif /* BF_RECORD_FORMAT_H */
