/* SPDX-License-Identifier: Apache-2.0 */
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

#define BF_PEER_UP_WAIT_MS	2000
#define BF_PENDING_MAX_BYTES	(64u << 20)

struct bf_pipeline {
	const struct bf_plugin	*plugin;
	void			*state;		/* the plugin's, set after init */
	struct bf_records_in	 in;
	struct bf_sessions	 sessions;
	int64_t			 peer_up_wait_us;	/* 0: hold nothing */
	size_t			 pending_max_bytes;
	/* records held for a Peer Up not read yet (see pipeline.c) */
	uint32_t		 pending_sessions;
	uint64_t		 pending_records, pending_bytes;
	uint64_t		 held_total, up_timeouts;
	uint64_t		 records, bad;
	uint64_t		 plugin_ns, plugin_calls;	/* of the calls
						 * timed: 1 record in 16 */
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

/*
 * Sessions whose Peer Up was waited for long enough (or while too much is
 * held) get their records without it.  Call often; cheap when none wait.
 */
void	bf_pipeline_poll(struct bf_pipeline *pl, int64_t now_us);

/* Records held of a bmp.route partition taken away are forgotten. */
void	bf_pipeline_drop_partition(struct bf_pipeline *pl, int32_t partition);

#endif /* BF_PIPELINE_H */
