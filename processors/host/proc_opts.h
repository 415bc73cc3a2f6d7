/* SPDX-License-Identifier: Apache-2.0 */
/*
 * proc_opts.h: bmpflow-processor's options, declared once in the table
 * of proc_opts.c: flags, config file keys, --help, --print-config.  The
 * plugin's own settings (--set KEY=VALUE, plugin.KEY = VALUE) are only
 * collected here; options.h checks them against the plugin's table.
 */
#ifndef BF_PROC_OPTS_H
#define BF_PROC_OPTS_H

#include <stdbool.h>
#include <stddef.h>

#include "bmpflow/plugin.h"
#include "core/kafka_io.h"
#include "core/record_format.h"
#include "core/schema_registry.h"

#define PROC_MAX_SETTINGS	128

struct proc_opts {
	char			 plugin[512];
	char			 brokers[1024];
	char			 group[256];
	char			 prefix[64];
	char			 out_topic[128];
	char			 schema_dir[512];
	char			 metrics[128];
	bool			 create_topics;
	int			 out_partitions;	/* 0: like bmp.route */
	int			 out_replication;	/* -1: the broker's */
	enum bf_format		 out_format;
	struct bf_registry_conf	 registry;	/* url "": none */
	int			 tick_ms;
	int			 peer_up_wait_ms;
	bool			 help;
	/* The plugin's settings, 'views' (the host's) taken out. */
	struct bf_setting	 settings[PROC_MAX_SETTINGS];
	char			 setbuf[PROC_MAX_SETTINGS][2][256];
	size_t			 n_set;
	char			 views[256];
	/* kafka.PROPERTY settings for every client. */
	struct bf_kafka_props	 kafka;
};

/*
 * argv (and the --config file) → o.  Returns 0 to run, 1 when --help
 * (o->help: the plugin's settings are the caller's to add), --version
 * or --print-config printed what they ask for, -1 when refused (said on
 * stderr).
 */
int	proc_opts_parse(struct proc_opts *o, int argc, char **argv);

#endif /* BF_PROC_OPTS_H */
