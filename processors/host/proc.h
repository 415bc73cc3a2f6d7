/* SPDX-License-Identifier: Apache-2.0 */
/*
 * proc.h: the state of a running bmpflow-processor, shared by its files:
 * host_main.c (start, stop), consume.c (Kafka clients, the consume loop,
 * partitions, ticks and commits), bootstrap.c (new partitions rebuilt
 * from bmp.route.state), proc_metrics.c (/metrics, memory) and
 * proc_opts.c (its options).
 */
#ifndef BF_PROC_H
#define BF_PROC_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <librdkafka/rdkafka.h>
#include <uv.h>

#include "core/metrics_http.h"
#include "emit.h"
#include "pipeline.h"
#include "plugin_metrics.h"
#include "proc_opts.h"

/* One partition of bmp.route, indexed by partition number. */
struct route_part {
	bool		 assigned;
	bool		 held;		/* the plugin has state for it */
	bool		 replaying;	/* below live_from: outputs suppressed */
	int64_t		 live_from;	/* the group's committed offset */
	int64_t		 next;		/* offset after the last processed */
	int64_t		 safe;		/* next at the last tick whose
					 * outputs were all produced */
	int64_t		 committed;	/* the group's, as last reported */
};

struct proc {
	const struct bf_plugin	*plugin;
	void			*state;
	struct bf_host		 host;
	struct bf_pipeline	 pipe;
	rd_kafka_t		*routes;	/* consumer group member */
	rd_kafka_t		*peers;		/* every partition */
	rd_kafka_t		*out;		/* producer */
	rd_kafka_t		*state_rk;	/* bmp.route.state, no group */
	char			 state_topic[128];
	bool			 state_warned;	/* fallback logged */
	uint64_t		 bootstrap_records, bootstrap_routes;
	uint64_t		 bootstrap_us;
	int64_t			*wm;		/* by partition: bmp.route's low,
						 * high, the state's low, high */
	int32_t			 wm_n;
	char			 out_topic[128];
	char			 route_topic[128];
	rd_kafka_topic_t	*out_rkt;
	struct bf_registry	*registry;	/* schema-registry-url, or NULL */
	struct bf_plugin_metrics metrics;
	const struct bf_metrics_http *http;	/* its own counters, or NULL */
	const struct proc_opts	*opts;
	struct route_part	*parts;
	int32_t			 n_parts;
	uint64_t		 out_records;
	uint64_t		 out_failed, out_suppressed, replayed;
	uint64_t		 out_queue_full;	/* waits for room */
	uv_loop_t		*loop;		/* serves /metrics */
	/* Outputs not acknowledged yet, by generation parity. */
	uint64_t		 gen, inflight[2];
	/* Offsets waiting for generation cut to be acknowledged. */
	bool			 pending;
	uint64_t		 cut;
	int64_t			*pending_next;	/* by partition, 0: none */
	int32_t			 pending_n;
	uint64_t		 rebalances, dropped_parts;
	uint64_t		 ticks;		/* plugin on_tick calls */
	uint64_t		 trimmed_at;	/* records in + out at the last
						 * proc_trim_after_burst */
	uint64_t		 moved_at_tick;	/* records in + out at the
						 * last tick */
};

/* consume.c */
/* One bmp.route, bmp.route.state or bmp.peer record through the pipeline. */
void	proc_handle(struct proc *p, const rd_kafka_message_t *m);
/* The plugin's output sink (bf_host_init): produce, or suppress. */
void	proc_sink(void *arg, const char *key, int32_t partition,
	    const uint8_t *value, size_t len);
/*
 * The producer and both consumers, bmp.peer assigned and bmp.route
 * subscribed.  0, or -1 (logged).
 */
int	proc_kafka_start(struct proc *p);
/* SIGINT/SIGTERM end proc_consume; SIGHUP reloads the plugin's inputs. */
void	proc_on_signal(int sig);
/* Read, process, tick and commit until a signal stops it. */
void	proc_consume(struct proc *p, uv_loop_t *loop);
/* Close the consumers (committing), the plugin, then the clients. */
void	proc_kafka_stop(struct proc *p);

/* bootstrap.c */
/*
 * Once per assignment with new partitions: true when bmp.route.state
 * exists with bmp.route's partition count (else false, logged the first
 * time); then both topics' watermarks are noted and bmp.peer read to its
 * end.
 */
bool	proc_bootstrap_prepare(struct proc *p);
/*
 * Feed the state partitions of the partitions of parts new here
 * (fresh[i] for parts->elems[i]) to the plugin, read together.  In: the
 * ->offset of each new one is the group's committed offset (0: none);
 * out: the bmp.route offset to read on from, or
 * RD_KAFKA_OFFSET_BEGINNING when bmp.route must be read from its start.
 * False when out of memory (offsets untouched).
 */
bool	proc_bootstrap(struct proc *p, rd_kafka_topic_partition_list_t *parts,
	    const bool *fresh);
/* proc_metrics.c */
/* bmp.route records not processed yet, over the partitions held. */
int64_t	proc_route_lag(struct proc *p);
/* The /metrics page (bf_metrics_http_start's render). */
void	proc_metrics_render(FILE *f, void *arg);
/* After a burst of records, freed memory back to the system. */
void	proc_trim_after_burst(struct proc *p);

#endif /* BF_PROC_H */
