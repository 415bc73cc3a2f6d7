/* SPDX-License-Identifier: Apache-2.0 */
/*
 * alert_opts.h: bmpflow-alert's option table and the settings it gives.
 */
#ifndef ALERT_OPTS_H
#define ALERT_OPTS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/kafka_io.h"
#include "core/schema_registry.h"
#include "core/log.h"

/* The sinks, one of each kind. */
enum alert_sink_kind { SINK_WEBHOOK, SINK_SYSLOG, SINK_SMTP, N_SINKS };

/* Alert states (schemas/alert.avsc "state"). */
enum alert_state { STATE_OPEN, STATE_UPDATE, STATE_RESOLVED, N_STATES };

enum webhook_format { WH_GENERIC, WH_SLACK, WH_TEAMS, WH_MATTERMOST };

#define ALERT_MAX_ROUTES	32
#define ALERT_MAX_LIST		16	/* headers, mail recipients */
#define ALERT_TEXT_MAX		1024

/* route.TYPE = sink[,sink]: the sinks an alert type goes to. */
struct alert_route {
	char		type[64];
	unsigned	sinks;		/* 1 << enum alert_sink_kind */
};

/* Token bucket rate "N/s", "N/min", "N/h": per_s 0 is no limit. */
struct alert_rate {
	double	per_s;
	double	burst;
};

struct alert_settings {
	char		brokers[1024];
	char		topic[256];
	char		group[256];
	char		schema_dir[1024];
	char		metrics[128];
	struct bf_kafka_props kafka;
	struct bf_registry_conf registry;	/* avro-confluent alerts */
	enum bf_log_level log_level;
	unsigned	states;		/* 1 << enum alert_state */
	char		templates[N_STATES][ALERT_TEXT_MAX];
	char		subject[ALERT_TEXT_MAX];
	struct alert_route routes[ALERT_MAX_ROUTES];
	size_t		n_routes;
	unsigned	sinks_on;	/* those given */
	struct alert_rate rate[N_SINKS];
	int		retry_max_s;
	int		timeout_s;
	/* webhook */
	char		webhook_url[1024];
	enum webhook_format webhook_format;
	char		webhook_headers[ALERT_MAX_LIST][512];
	size_t		n_webhook_headers;
	/* syslog */
	char		syslog_target[512];
	int		syslog_facility;
	/* smtp */
	char		smtp_url[512];
	char		smtp_user[256];
	char		smtp_password[256];
	char		mail_from[256];
	char		mail_to[ALERT_MAX_LIST][256];
	size_t		n_mail_to;
};

extern const char *const alert_sink_names[N_SINKS];
extern const char *const alert_state_names[N_STATES];

/*
 * argv → s.  Returns 0 to run, 1 when --help, --version or
 * --print-config printed what they ask for (exit 0), -1 when refused
 * (said on stderr, exit 2).
 */
int	alert_opts_parse(int argc, char **argv, struct alert_settings *s);
/* The sinks alert type goes to: its route, else every sink given. */
unsigned alert_route_sinks(const struct alert_settings *s, const char *type);

#endif /* ALERT_OPTS_H */
