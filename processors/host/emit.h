/* SPDX-License-Identifier: Apache-2.0 */
/*
 * emit.h: the plugin's output records (bf_field, bf_emit_* of
 * bmpflow/plugin.h), written straight in Avro binary encoding with the
 * plugin's output schema, a flat record whose fields are strings, numbers,
 * booleans, arrays of strings or numbers, or ["null", one of those].  A
 * field's id is its index in the schema's record, and in fields[].
 */
#ifndef BF_EMIT_H
#define BF_EMIT_H

#include <stdbool.h>
#include <stddef.h>

#include "bmpflow/plugin.h"
#include "core/avro_schema.h"
#include "core/record_format.h"
#include "core/avro_write.h"

/*
 * Called with each finished record: key, the bmp.route partition it is
 * about (-1: none) and the single-object value.
 */
typedef void (*bf_emit_sink)(void *arg, const char *key, int32_t partition,
	    const uint8_t *value, size_t len);

struct bf_plugin_metrics;

/* What a field holds (for a union: its non-null branch). */
enum bf_out_kind {
	BF_OUT_STRING, BF_OUT_LONG, BF_OUT_DOUBLE, BF_OUT_FLOAT, BF_OUT_BOOL,
	BF_OUT_LONG_ARRAY, BF_OUT_STRING_ARRAY,
};

struct bf_out_field {
	char			*name;
	enum bf_out_kind	 kind;
	bool			 nullable;	/* ["null", T] */
	int64_t			 null_branch, value_branch;
	/* This record's value: set or not, and where its bytes are. */
	bool			 set;
	bool			 null;
	size_t			 off, len;	/* encoded value in vals */
};

struct bf_host {
	const struct bf_host_api *api;		/* first: see bmpflow/plugin.h */
	struct bf_schema	 sch;
	struct bf_record_writer	 writer;	/* output format: avro unless
						 * set */
	struct bf_out_field	*fields;	/* by id: schema order */
	size_t			 n_fields;
	struct bf_avro_buf	 vals;		/* this record's field values */
	struct bf_avro_buf	 buf;		/* the whole record */
	char			 key[512];
	int32_t			 partition;
	bool			 open;		/* between begin and end */
	bool			 bad;		/* a field failed: drop it */
	bool			 deferred;	/* bf_outputs_deferred this tick */
	bf_emit_sink		 sink;
	void			*sink_arg;
	unsigned long		 emitted, dropped;
	int			 log_level;
	struct bf_plugin_metrics *metrics;	/* NULL: bf_metric_* refused */
};

/* Load DIR/SCHEMA.avsc.  0, or -1 with errbuf. */
int	bf_host_init(struct bf_host *h, const char *dir, const char *schema,
	    bf_emit_sink sink, void *arg, char *errbuf, size_t errlen);
void	bf_host_free(struct bf_host *h);

#endif /* BF_EMIT_H */
