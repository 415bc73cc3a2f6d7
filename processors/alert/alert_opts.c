/* SPDX-License-Identifier: Apache-2.0 */
/*
 * alert_opts.c: bmpflow-alert's option table and its settings.
 */
#include "alert_opts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "core/opttab.h"

const char *const alert_sink_names[N_SINKS] = { "webhook", "syslog", "smtp" };
const char *const alert_state_names[N_STATES] = { "open", "update",
	"resolved" };

static const char *const webhook_formats[] = { "generic", "slack", "teams",
	"mattermost", NULL };
/* RFC 5424 §6.2.1 facility codes, in order, local0..7 at 16..23. */
static const char *const facilities[] = { "kern", "user", "mail", "daemon",
	"auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv", "ftp",
	"ntp", "audit", "alert", "clock", "local0", "local1", "local2",
	"local3", "local4", "local5", "local6", "local7", NULL };

#define DEFAULT_OPEN \
	"{severity} {type} opened on {prefix}: {detail} (alert {alert_id})"
#define DEFAULT_UPDATE \
	"{severity} {type} updated on {prefix}, {peers_holding} sessions " \
	"hold it: {detail} (alert {alert_id})"
#define DEFAULT_RESOLVED \
	"{type} resolved on {prefix}: no session holds it any more " \
	"(alert {alert_id})"
#define DEFAULT_SUBJECT	"[bmpflow] {type} {state}: {prefix}"

/* "N/s", "N/min", "N/h" → per second; -1 when not one of them. */
static double
rate_parse(const char *v)
{
	char *end;
	double n = strtod(v, &end);

	if (end == v || n <= 0 || n > 1e6)
		return -1;
	if (strcmp(end, "/s") == 0)
		return n;
	if (strcmp(end, "/min") == 0)
		return n / 60;
	if (strcmp(end, "/h") == 0)
		return n / 3600;
	return -1;
}

static int
rate_check(const char *v)
{
	return v[0] == '\0' || rate_parse(v) > 0 ? 0 : -1;
}

/* A comma-separated list of words each in names[0..n); bits, or -1. */
static long
word_bits(const char *v, const char *const *names, size_t n)
{
	char buf[256], *save = NULL;
	long bits = 0;

	if (strlen(v) >= sizeof(buf))
		return -1;
	snprintf(buf, sizeof(buf), "%s", v);
	for (char *w = strtok_r(buf, ", ", &save); w != NULL;
	    w = strtok_r(NULL, ", ", &save)) {
		size_t i;

		for (i = 0; i < n && strcmp(w, names[i]) != 0; i++)
			;
		if (i == n)
			return strcmp(w, "none") == 0 ? bits : -1;
		bits |= 1L << i;
	}
	return bits;
}

/* An enum option's value (checked by the table): its index in names. */
static int
word_index(const char *v, const char *const *names)
{
	int i;

	for (i = 0; names[i] != NULL && strcmp(v, names[i]) != 0; i++)
		;
	return names[i] != NULL ? i : 0;
}

static int
states_check(const char *v)
{
	return word_bits(v, alert_state_names, N_STATES) > 0 ? 0 : -1;
}

static int
syslog_check(const char *v)
{
	return strncmp(v, "udp://", 6) == 0 || strncmp(v, "tcp://", 6) == 0 ||
	    (strncmp(v, "unix:", 5) == 0 && v[5] == '/') ? 0 : -1;
}

static int
header_check(const char *v)
{
	const char *colon = strchr(v, ':');

	return colon == NULL || colon == v || strpbrk(v, "\r\n") != NULL ?
	    -1 : 0;
}

static const char *const log_levels[] = { "error", "warn", "info", "debug",
	NULL };

static const char *const alert_ns[] = { "kafka.", "route.", NULL };

static const struct bf_optdef alert_opts_table[] = {
	{ "config", 0, BF_OT_PATH, NULL, 0, 0, NULL, BF_OF_CLI, "FILE",
	  "'key = value' lines: the keys below without '--', and "
	  "'route.TYPE = SINKS'; flags replace the file's", NULL, NULL, NULL },
	{ "brokers", 'b', BF_OT_HOSTS, NULL, 0, 1023, NULL, 0, "LIST",
	  "Kafka bootstrap servers", NULL, NULL, NULL },
	{ "kafka-bootstrap-file", 'B', BF_OT_PATH, NULL, 0, 1023, NULL, 0,
	  "FILE", "read them from FILE (as the collector writes it)", NULL,
	  NULL, NULL },
	{ "topic", 't', BF_OT_STR, "bmp.alert", 0, 255, NULL, 0, "NAME",
	  "the alert topic", NULL, NULL, NULL },
	{ "group", 0, BF_OT_STR, "bmpflow-alert", 0, 255, NULL, 0, "ID",
	  "consumer group (offsets committed after delivery)", NULL, NULL,
	  NULL },
	{ "schema-dir", 's', BF_OT_PATH, BMPFLOW_SCHEMA_DIR, 0, 1023, NULL, 0,
	  "DIR", "Avro schemas (alert.avsc)", NULL, NULL, NULL },
	BF_REGISTRY_OPTDEFS
	{ "metrics", 0, BF_OT_LISTEN, "", 0, 127, NULL, 0, "ADDR:PORT",
	  "Prometheus /metrics endpoint [off]", NULL, NULL, NULL },
	{ "states", 0, BF_OT_STR, "open,resolved", 0, 255, NULL, 0, "LIST",
	  "alert states delivered, of open, update, resolved", NULL,
	  states_check, "states of open, update, resolved" },
	{ "template-open", 0, BF_OT_STR, DEFAULT_OPEN, 0, ALERT_TEXT_MAX - 1,
	  NULL, 0, "TEXT", "message of an opened alert; {FIELD} is the "
	  "alert's field (schemas/alert.avsc)", NULL, NULL, NULL },
	{ "template-update", 0, BF_OT_STR, DEFAULT_UPDATE, 0,
	  ALERT_TEXT_MAX - 1, NULL, 0, "TEXT", "message of an update", NULL,
	  NULL, NULL },
	{ "template-resolved", 0, BF_OT_STR, DEFAULT_RESOLVED, 0,
	  ALERT_TEXT_MAX - 1, NULL, 0, "TEXT", "message of a resolved alert",
	  NULL, NULL, NULL },
	{ "retry-max-s", 0, BF_OT_SEC, "60", 1, 3600, NULL, 0, "S",
	  "a failed delivery is retried after 1 s, doubling up to S", NULL,
	  NULL, NULL },
	{ "timeout-s", 0, BF_OT_SEC, "10", 1, 600, NULL, 0, "S",
	  "one delivery attempt's time limit", NULL, NULL, NULL },
	{ "webhook", 0, BF_OT_STR, NULL, 0, 1023, NULL, 0, "URL",
	  "POST each alert as JSON to URL (http:// or https://)", NULL, NULL,
	  NULL },
	{ "webhook-format", 0, BF_OT_ENUM, "generic", 0, 0, webhook_formats,
	  0, "FMT", "generic (the alert's fields), slack, teams, mattermost",
	  NULL, NULL, NULL },
	{ "webhook-header", 0, BF_OT_STR, NULL, 0, 511, NULL, BF_OF_REPEAT |
	  BF_OF_SECRET, "'NAME: VALUE'", "an HTTP header for the webhook (a "
	  "token), repeatable", NULL, header_check, "NAME: VALUE" },
	{ "webhook-rate-limit", 0, BF_OT_STR, "", 0, 63, NULL, 0, "N/s",
	  "at most N per s, min or h (N/min, N/h); more wait [none]", NULL,
	  rate_check, "N/s, N/min or N/h" },
	{ "syslog", 0, BF_OT_STR, NULL, 0, 511, NULL, 0, "TARGET",
	  "RFC 5424 lines to udp://HOST:PORT, tcp://HOST:PORT (RFC 6587 "
	  "octet counting) or unix:/dev/log", NULL, syslog_check,
	  "udp://HOST:PORT, tcp://HOST:PORT or unix:PATH" },
	{ "syslog-facility", 0, BF_OT_ENUM, "daemon", 0, 0, facilities, 0,
	  "NAME", "syslog facility", NULL, NULL, NULL },
	{ "syslog-rate-limit", 0, BF_OT_STR, "", 0, 63, NULL, 0, "N/s",
	  "as webhook-rate-limit", NULL, rate_check, "N/s, N/min or N/h" },
	{ "smtp", 0, BF_OT_STR, NULL, 0, 511, NULL, 0, "URL",
	  "e-mail each alert through smtp://HOST:PORT (smtps:// for TLS)",
	  NULL, NULL, NULL },
	{ "smtp-user", 0, BF_OT_STR, NULL, 0, 255, NULL, 0, "NAME",
	  "SMTP AUTH user", NULL, NULL, NULL },
	{ "smtp-password", 0, BF_OT_STR, NULL, 0, 255, NULL, BF_OF_SECRET,
	  "TEXT", "SMTP AUTH password", NULL, NULL, NULL },
	{ "mail-from", 0, BF_OT_STR, NULL, 0, 255, NULL, 0, "ADDR",
	  "envelope and From: address", NULL, NULL, NULL },
	{ "mail-to", 0, BF_OT_STR, NULL, 0, 255, NULL, BF_OF_REPEAT, "ADDR",
	  "a recipient, repeatable", NULL, NULL, NULL },
	{ "mail-subject", 0, BF_OT_STR, DEFAULT_SUBJECT, 0, ALERT_TEXT_MAX - 1,
	  NULL, 0, "TEXT", "Subject: template", NULL, NULL, NULL },
	{ "smtp-rate-limit", 0, BF_OT_STR, "", 0, 63, NULL, 0, "N/s",
	  "as webhook-rate-limit", NULL, rate_check, "N/s, N/min or N/h" },
	{ "log-level", 0, BF_OT_ENUM, "info", 0, 0, log_levels, 0, "LEVEL",
	  "error, warn, info or debug (with kafka.debug: librdkafka's)",
	  NULL, NULL, NULL },
	{ "print-config", 0, BF_OT_SWITCH, NULL, 0, 0, NULL, BF_OF_CLI, NULL,
	  "print the resulting settings (secrets as ***) and exit", NULL,
	  NULL, NULL },
};

static const struct bf_opttab alert_opttab = {
	.prog = "bmpflow-alert",
	.synopsis = "[options]",
	.about =
"Reads leak_detect's alerts (bmp.alert, consumer group) and delivers each\n"
"to a webhook (Slack, Teams, Mattermost or generic JSON), syslog and\n"
"e-mail.  --key=value works too.  Defaults in brackets.\n",
	.footer =
"      --kafka.PROPERTY VALUE       a librdkafka consumer property\n"
"      --route.TYPE SINKS           alert type TYPE (route_leak,\n"
"                                   rpki_invalid, ...) goes to SINKS only\n"
"                                   (webhook,syslog,smtp or none) [all]\n"
"\n"
"At least once: an alert's offset is committed only once every sink it\n"
"goes to has taken it; a restart delivers again what was not confirmed.\n"
"A sink that fails (HTTP 5xx, 408 or 429, SMTP 4xx, no connection, time\n"
"out) is retried with back-off and reading stops meanwhile, so alerts\n"
"wait in Kafka, in order; an alert a sink refuses for good (HTTP 3xx or\n"
"other 4xx, SMTP 5xx) is logged, counted and skipped for that sink.\n"
"Alerts over a rate limit wait too: none is dropped.\n"
"Templates: {FIELD} is the alert's field as text (arrays space-separated,\n"
"null empty).  Syslog severity: warning, err for hijack types; notice\n"
"when resolved.  SIGTERM/SIGINT: stop, committing what was delivered.\n",
	BF_OPTTAB_DEFS(alert_opts_table),
	.namespaces = alert_ns,
	.version = "bmpflow-alert " BMPFLOW_VERSION,
	.man_section = 8,
};

/* A repeatable option's values into list[max][len]: their count. */
static size_t
copy_list(const struct bf_opts *o, const char *name, char *list,
    size_t max, size_t len)
{
	size_t n = bf_opts_count(o, name), i;

	for (i = 0; i < n && i < max; i++) {
		char *out = list + i * len;
		const char *v = bf_opts_nth(o, name, i, out, len);

		/* A given value comes back as it is, not in out. */
		if (v != NULL && v != out)
			snprintf(out, len, "%s", v);
	}
	return i;
}

static int
routes(const struct bf_opts *o, struct alert_settings *s)
{
	const char *key, *value;
	long bits;

	for (size_t i = 0; bf_opts_ns(o, "route.", i, &key, &value) == 0;
	    i++) {
		bits = word_bits(value, alert_sink_names, N_SINKS);
		if (bits < 0 || s->n_routes == ALERT_MAX_ROUTES ||
		    strlen(key) >= sizeof(s->routes[0].type)) {
			fprintf(stderr, "bmpflow-alert: route.%s '%s': expected "
			    "sinks of webhook, syslog, smtp, or none (at most "
			    "%d routes)\n", key, value, ALERT_MAX_ROUTES);
			return -1;
		}
		snprintf(s->routes[s->n_routes].type,
		    sizeof(s->routes[0].type), "%s", key);
		s->routes[s->n_routes++].sinks = (unsigned)bits;
	}
	return 0;
}

static int
settings(const struct bf_opts *o, struct alert_settings *s)
{
	static const char *const rate_keys[N_SINKS] = { "webhook-rate-limit",
		"syslog-rate-limit", "smtp-rate-limit" };
	char why[512];

	if (bf_kafka_brokers_from_opts(o, s->brokers, sizeof(s->brokers)) < 0)
		return -1;
	if (s->brokers[0] == '\0') {
		fprintf(stderr, "bmpflow-alert: give --brokers or "
		    "--kafka-bootstrap-file\n");
		return -1;
	}
	bf_opts_copy(o, "topic", s->topic, sizeof(s->topic));
	bf_opts_copy(o, "group", s->group, sizeof(s->group));
	bf_opts_copy(o, "schema-dir", s->schema_dir, sizeof(s->schema_dir));
	bf_opts_copy(o, "metrics", s->metrics, sizeof(s->metrics));
	bf_registry_conf_from_opts(&s->registry, o);
	if (bf_kafka_props_from_opts(&s->kafka, o, why, sizeof(why)) < 0) {
		fprintf(stderr, "bmpflow-alert: %s\n", why);
		return -1;
	}
	s->states = (unsigned)word_bits(bf_opts_str(o, "states"),
	    alert_state_names, N_STATES);
	for (int i = 0; i < N_STATES; i++) {
		char key[32];

		snprintf(key, sizeof(key), "template-%s", alert_state_names[i]);
		snprintf(s->templates[i], ALERT_TEXT_MAX, "%s",
		    bf_opts_str(o, key));
	}
	bf_opts_copy(o, "mail-subject", s->subject, sizeof(s->subject));
	for (int i = 0; i < N_SINKS; i++) {
		double per_s = rate_parse(bf_opts_str(o, rate_keys[i]));

		s->rate[i].per_s = per_s > 0 ? per_s : 0;
		/* A minute's or an hour's allowance may go at once. */
		s->rate[i].burst = per_s > 0 ? strtod(bf_opts_str(o,
		    rate_keys[i]), NULL) : 0;
		if (per_s > 0 && s->rate[i].burst < 1)
			s->rate[i].burst = 1;
		if (bf_opts_given(o, alert_sink_names[i]))
			s->sinks_on |= 1u << i;
	}
	bf_log_parse_level(bf_opts_str(o, "log-level"), &s->log_level);
	s->retry_max_s = (int)bf_opts_int(o, "retry-max-s");
	s->timeout_s = (int)bf_opts_int(o, "timeout-s");
	bf_opts_copy(o, "webhook", s->webhook_url, sizeof(s->webhook_url));
	s->webhook_format = (enum webhook_format)word_index(
	    bf_opts_str(o, "webhook-format"), webhook_formats);
	s->n_webhook_headers = copy_list(o, "webhook-header",
	    &s->webhook_headers[0][0], ALERT_MAX_LIST,
	    sizeof(s->webhook_headers[0]));
	bf_opts_copy(o, "syslog", s->syslog_target, sizeof(s->syslog_target));
	s->syslog_facility = word_index(bf_opts_str(o, "syslog-facility"),
	    facilities);
	bf_opts_copy(o, "smtp", s->smtp_url, sizeof(s->smtp_url));
	bf_opts_copy(o, "smtp-user", s->smtp_user, sizeof(s->smtp_user));
	bf_opts_copy(o, "smtp-password", s->smtp_password,
	    sizeof(s->smtp_password));
	bf_opts_copy(o, "mail-from", s->mail_from, sizeof(s->mail_from));
	s->n_mail_to = copy_list(o, "mail-to", &s->mail_to[0][0],
	    ALERT_MAX_LIST, sizeof(s->mail_to[0]));
	if ((s->sinks_on & (1u << SINK_SMTP)) && (s->mail_from[0] == '\0' ||
	    s->n_mail_to == 0)) {
		fprintf(stderr, "bmpflow-alert: smtp needs mail-from and at "
		    "least one mail-to\n");
		return -1;
	}
	if (s->sinks_on == 0) {
		fprintf(stderr, "bmpflow-alert: no sink: give webhook, syslog "
		    "or smtp\n");
		return -1;
	}
	return routes(o, s);
}

int
alert_opts_parse(int argc, char **argv, struct alert_settings *s)
{
	struct bf_opts o;
	int rc = bf_opts_print_config(&o, bf_opts_start(&o, &alert_opttab,
	    argc, argv));

	if (rc == 0 && settings(&o, s) < 0)
		rc = -1;
	bf_opts_free(&o);
	return rc;
}

unsigned
alert_route_sinks(const struct alert_settings *s, const char *type)
{
	for (size_t i = 0; i < s->n_routes; i++)
		if (strcmp(s->routes[i].type, type) == 0)
			return s->routes[i].sinks & s->sinks_on;
	return s->sinks_on;
}
