/*
 * config.c: collector settings from a file and from flags.
 */
#include "config.h"
#include "core/kvfile.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


void
bf_config_defaults(struct bf_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->listen[0], BF_CONF_STR, "0.0.0.0:5000");
	snprintf(c->listen[1], BF_CONF_STR, "[::]:5000");
	c->n_listen = 2;
	snprintf(c->topic_prefix, sizeof(c->topic_prefix), "bmp.");
	c->max_sessions = 2000;
	c->max_message = 1 << 20;	/* BMP length is 32-bit; 1 MiB is ample */
	c->max_peers = 4096;
	c->log_level = BF_LOG_INFO;
	c->drain_timeout_s = 30;
	snprintf(c->schema_dir, sizeof(c->schema_dir), "%s",
	    BMPFLOW_SCHEMA_DIR);
	c->embedded_brokers = 1;
	c->embedded_partitions = 8;
	c->queue_bytes = 64ULL << 20;
}

int
bf_addr_parse(const char *s, struct bf_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, s, out->a) == 1) {
		out->family = BF_AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out->a) == 1) {
		out->family = BF_AF_INET6;
		return 0;
	}
	return -1;
}

int
bf_cidr_parse(const char *s, struct bf_cidr *out)
{
	char addr[BF_ADDR_STRLEN + 1];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	unsigned max;

	if (n >= sizeof(addr))
		return -1;
	memcpy(addr, s, n);
	addr[n] = '\0';
	if (bf_addr_parse(addr, &out->addr) < 0)
		return -1;
	max = out->addr.family == BF_AF_INET ? 32 : 128;
	if (slash == NULL) {
		out->len = (uint8_t)max;
		return 0;
	}
	char *end;
	unsigned long len = strtoul(slash + 1, &end, 10);

	if (slash[1] == '\0' || *end != '\0' || len > max)
		return -1;
	out->len = (uint8_t)len;
	return 0;
}

bool
bf_cidr_match(const struct bf_cidr *c, const struct bf_addr *a)
{
	unsigned full = c->len / 8, rest = c->len % 8;

	if (a->family != c->addr.family)
		return false;
	if (memcmp(a->a, c->addr.a, full) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));

	return (a->a[full] & mask) == (c->addr.a[full] & mask);
}

static int
parse_u32(const char *v, uint32_t min, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long long x;

	errno = 0;
	x = strtoull(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || x < min || x > max)
		return -1;
	*out = (uint32_t)x;
	return 0;
}

static int
parse_bool(const char *v, bool *out)
{
	if (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "on") ||
	    !strcmp(v, "1"))
		*out = true;
	else if (!strcmp(v, "false") || !strcmp(v, "no") ||
	    !strcmp(v, "off") || !strcmp(v, "0"))
		*out = false;
	else
		return -1;
	return 0;
}

static int
copy_str(char *dst, size_t n, const char *v)
{
	if (strlen(v) >= n)
		return -1;
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

int
bf_config_set(struct bf_config *c, const char *key, const char *v,
    char *err, size_t errlen)
{
	const char *why = NULL;
	uint32_t u;

	if (strncmp(key, "kafka.", 6) == 0 && strcmp(key, "kafka.brokers")) {
		struct bf_kafka_prop *p;

		if (c->n_kafka_props == BF_MAX_KAFKA_PROPS)
			why = "too many kafka.* properties";
		else if (strlen(key + 6) >= BF_CONF_STR ||
		    strlen(v) >= BF_CONF_STR)
			why = "kafka property name or value too long";
		else {
			p = &c->kafka_props[c->n_kafka_props++];
			copy_str(p->name, sizeof(p->name), key + 6);
			copy_str(p->value, sizeof(p->value), v);
		}
	} else if (!strcmp(key, "listen")) {
		if (!c->listen_set) {
			c->n_listen = 0;
			c->listen_set = true;
		}
		if (c->n_listen == BF_MAX_LISTEN)
			why = "too many listen addresses";
		else if (copy_str(c->listen[c->n_listen], BF_CONF_STR, v) < 0)
			why = "address too long";
		else
			c->n_listen++;
	} else if (!strcmp(key, "kafka-brokers") ||
	    !strcmp(key, "kafka.brokers")) {
		if (copy_str(c->kafka_brokers, sizeof(c->kafka_brokers), v) < 0)
			why = "broker list too long";
	} else if (!strcmp(key, "kafka-bootstrap-file")) {
		if (copy_str(c->bootstrap_file, sizeof(c->bootstrap_file), v) < 0)
			why = "path too long";
	} else if (!strcmp(key, "topic-prefix")) {
		if (copy_str(c->topic_prefix, sizeof(c->topic_prefix), v) < 0)
			why = "prefix too long";
	} else if (!strcmp(key, "allow")) {
		if (c->n_allow == BF_MAX_ALLOW)
			why = "too many allow prefixes";
		else if (bf_cidr_parse(v, &c->allow[c->n_allow]) < 0)
			why = "not an address or prefix (e.g. 192.0.2.0/24)";
		else
			c->n_allow++;
	} else if (!strcmp(key, "max-sessions")) {
		if (parse_u32(v, 1, 1000000, &c->max_sessions) < 0)
			why = "expected 1..1000000";
	} else if (!strcmp(key, "max-message-size")) {
		if (parse_u32(v, 4096, 1u << 30, &c->max_message) < 0)
			why = "expected 4096..1073741824 bytes";
	} else if (!strcmp(key, "max-peers")) {
		if (parse_u32(v, 1, 1u << 20, &c->max_peers) < 0)
			why = "expected 1..1048576";
	} else if (!strcmp(key, "metrics")) {
		if (copy_str(c->metrics, sizeof(c->metrics), v) < 0)
			why = "address too long";
	} else if (!strcmp(key, "log-level")) {
		if (bf_log_parse_level(v, &c->log_level) < 0)
			why = "expected error, warn, info or debug";
	} else if (!strcmp(key, "raw")) {
		if (parse_bool(v, &c->raw) < 0)
			why = "expected true or false";
	} else if (!strcmp(key, "drain-timeout")) {
		if (parse_u32(v, 0, 86400, &c->drain_timeout_s) < 0)
			why = "expected 0..86400 seconds";
	} else if (!strcmp(key, "schema-dir")) {
		if (copy_str(c->schema_dir, sizeof(c->schema_dir), v) < 0)
			why = "path too long";
	} else if (!strcmp(key, "embedded-brokers")) {
		if (parse_u32(v, 1, 16, &c->embedded_brokers) < 0)
			why = "expected 1..16";
	} else if (!strcmp(key, "embedded-partitions")) {
		if (parse_u32(v, 1, 1024, &c->embedded_partitions) < 0)
			why = "expected 1..1024";
	} else if (!strcmp(key, "queue-mbytes")) {
		if (parse_u32(v, 1, 65536, &u) < 0)
			why = "expected 1..65536 MiB";
		else
			c->queue_bytes = (uint64_t)u << 20;
	} else {
		snprintf(err, errlen, "unknown setting '%s'", key);
		return -1;
	}
	if (why != NULL) {
		snprintf(err, errlen, "%s '%s': %s", key, v, why);
		return -1;
	}
	return 0;
}

static int
config_set(void *arg, const char *key, const char *value, char *err,
    size_t errlen)
{
	return bf_config_set(arg, key, value, err, errlen);
}

int
bf_config_load(struct bf_config *c, const char *path, char *err,
    size_t errlen)
{
	return bf_kvfile_load(path, config_set, c, err, errlen);
}

void
bf_config_print(const struct bf_config *c, FILE *out)
{
	static const char *const levels[] = { "error", "warn", "info",
	    "debug" };
	char a[BF_ADDR_STRLEN];

	for (int i = 0; i < c->n_listen; i++)
		fprintf(out, "listen = %s\n", c->listen[i]);
	fprintf(out, "kafka-brokers = %s\n", c->kafka_brokers);
	for (int i = 0; i < c->n_kafka_props; i++)
		fprintf(out, "kafka.%s = %s\n", c->kafka_props[i].name,
		    c->kafka_props[i].value);
	fprintf(out, "kafka-bootstrap-file = %s\n", c->bootstrap_file);
	fprintf(out, "topic-prefix = %s\n", c->topic_prefix);
	for (int i = 0; i < c->n_allow; i++)
		fprintf(out, "allow = %s/%u\n", bf_addr_fmt(&c->allow[i].addr,
		    a, sizeof(a)), c->allow[i].len);
	fprintf(out, "max-sessions = %" PRIu32 "\n", c->max_sessions);
	fprintf(out, "max-message-size = %" PRIu32 "\n", c->max_message);
	fprintf(out, "max-peers = %" PRIu32 "\n", c->max_peers);
	fprintf(out, "metrics = %s\n", c->metrics);
	fprintf(out, "log-level = %s\n", levels[c->log_level]);
	fprintf(out, "raw = %s\n", c->raw ? "true" : "false");
	fprintf(out, "drain-timeout = %" PRIu32 "\n", c->drain_timeout_s);
	fprintf(out, "schema-dir = %s\n", c->schema_dir);
	fprintf(out, "embedded-brokers = %" PRIu32 "\n", c->embedded_brokers);
	fprintf(out, "embedded-partitions = %" PRIu32 "\n",
	    c->embedded_partitions);
	fprintf(out, "queue-mbytes = %" PRIu64 "\n", c->queue_bytes >> 20);
}
