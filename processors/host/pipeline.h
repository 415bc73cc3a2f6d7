/*
 * pipeline.h: what happens to one bmp.route or bmp.peer record value in a
 * processor: decode, the peer-epoch rule, the plugin call.  The daemon
 * (host_main.c) feeds it from Kafka; benchmarks feed it from memory.
 */
#ifndef BF_PIPELINE_H
#define BF_PIPELINE_H

#include <stdint.h>

#include "bmpflow/plugin.h"
#include "records_in.h"
#include "sessions.h"

struct bf_pipeline {
	const struct bf_plugin	*plugin;
	void			*state;		/* the plugin's, set after init */
	struct bf_records_in	 in;
	struct bf_sessions	 sessions;
	uint64_t		 records, bad;
	uint64_t		 plugin_ns, plugin_calls;
};

/* views: see bmpflow/plugin.h.  0, or -1 with why in err. */
int	bf_pipeline_init(struct bf_pipeline *pl, const struct bf_plugin *plugin,
	    const char *schema_dir, const char *views, char *err,
	    size_t errlen);
void	bf_pipeline_free(struct bf_pipeline *pl);

/*
 * One record value of bmp.route (with its partition) or bmp.peer.
 * Returns BF_IN_ROUTE or BF_IN_PEER, or -1 with why in err.
 */
int	bf_pipeline_record(struct bf_pipeline *pl, const uint8_t *value,
	    size_t len, int32_t partition, char *err, size_t errlen);

#endif /* BF_PIPELINE_H */
