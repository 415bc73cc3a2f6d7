/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config.h: collector settings.  Its option table (config.c) declares
 * every key once; a config file and command-line flags set them through
 * core/opttab.h, and flags win.
 */
#ifndef BF_CONFIG_H
#define BF_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/kafka_io.h"
#include "core/log.h"
#include "core/opttab.h"
#include "core/record_format.h"
#include "core/schema_registry.h"

#define BF_MAX_LISTEN		16
#define BF_MAX_ALLOW		256
#define BF_CONF_STR		256
#define BF_PATH_MAX		1024
#define BF_MAX_TOPICS		8

/* How one of the collector's topics is made and checked (config.c). */
struct bf_topic_conf {
	char		suffix[24];	/* "route": after topic-prefix */
	char		name[96];	/* "bmp.route" */
	char		like[96];	/* partitioned like this topic, or "" */
	int32_t		partitions;
	int32_t		replication;	/* -1: the broker's default */
	int64_t		retention_ms;	/* -1: forever */
	char		cleanup[16];	/* cleanup.policy */
	int32_t		min_insync;	/* 0: the broker's default */
	enum bf_format	format;		/* of its records */
};

struct bf_config {
	char			listen[BF_MAX_LISTEN][BF_CONF_STR];
	int			n_listen;
	char			kafka_brokers[BF_PATH_MAX];	/* "" = embedded */
	struct bf_kafka_props	kafka;		/* kafka.* properties */
	char			bootstrap_file[BF_PATH_MAX];
	char			topic_prefix[64];
	struct bf_prefix	allow[BF_MAX_ALLOW];
	int			n_allow;	/* 0: any source may connect */
	uint32_t		max_sessions;
	uint32_t		max_message;	/* bytes per BMP message */
	uint32_t		max_peers;	/* per router session */
	uint64_t		max_buffer_bytes;	/* all sessions */
	uint64_t		initiation_timeout_ms;	/* to a first message */
	uint64_t		message_timeout_ms;	/* stalled message */
	char			metrics[BF_CONF_STR];	/* "" = off */
	uint32_t		metrics_peer_limit;	/* peers with series */
	enum bf_log_level	log_level;
	bool			raw;		/* produce bmp.raw */
	bool			route_state;	/* produce bmp.route.state */
	uint32_t		drain_timeout_s;
	char			schema_dir[BF_PATH_MAX];
	uint32_t		embedded_brokers;
	uint32_t		embedded_partitions;
	uint64_t		queue_bytes;	/* back-pressure above this */
	bool			create_topics;	/* false: only check them */
	struct bf_registry_conf	registry;	/* for avro-confluent */
	struct bf_topic_conf	topics[BF_MAX_TOPICS];	/* raw: only if on */
	int			n_topics;
};

/* The collector's options: flags, config file keys, --help. */
extern const struct bf_opttab bf_collector_opttab;

/*
 * The settings o holds (checked when they were set) → c.  Returns 0, or
 * -1 with why in err (more listen or allow values than c holds).
 */
int	bf_config_from_opts(struct bf_config *c, const struct bf_opts *o,
	    char *err, size_t errlen);

/*
 * An allow-list entry: "192.0.2.0/24", "2001:db8::/32", or an address (a
 * host prefix).  0, or -1 with *why.
 */
int	bf_allow_parse(const char *s, struct bf_prefix *out, const char **why);

#endif /* BF_CONFIG_H */
