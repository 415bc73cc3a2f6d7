/*
 * emit.h: the plugin's output records (bf_emit_* of bmpflow/plugin.h),
 * encoded with the plugin's output schema through avro-c.
 */
#ifndef BF_EMIT_H
#define BF_EMIT_H

#include <stdbool.h>
#include <stddef.h>

#include "bmpflow/plugin.h"
#include "encode/avro_schema.h"

/*
 * Called with each finished record: key, the bmp.route partition it is
 * about (-1: none) and the single-object value.
 */
typedef void (*bf_emit_sink)(void *arg, const char *key, int32_t partition,
	    const uint8_t *value, size_t len);

struct bf_plugin_metrics;

struct bf_host {
	struct bf_schema	 sch;
	avro_value_t		 v;
	avro_writer_t		 w;
	uint8_t			*buf;
	size_t			 cap;
	char			 key[512];
	int32_t			 partition;
	bool			 open;		/* between begin and end */
	bool			 bad;		/* a field failed: drop it */
	bf_emit_sink		 sink;
	void			*sink_arg;
	unsigned long		 emitted, dropped;
	struct bf_plugin_metrics *metrics;	/* NULL: bf_metric_* refused */
	int			 log_level;
};

/* Load DIR/SCHEMA.avsc.  0, or -1 with errbuf. */
int	bf_host_init(struct bf_host *h, const char *dir, const char *schema,
	    bf_emit_sink sink, void *arg, char *errbuf, size_t errlen);
void	bf_host_free(struct bf_host *h);

#endif /* BF_EMIT_H */
