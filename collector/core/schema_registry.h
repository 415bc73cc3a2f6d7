/* SPDX-License-Identifier: Apache-2.0 */
/*
 * schema_registry.h: a client of a Confluent-compatible Schema Registry's
 * REST API (Confluent Schema Registry, Karapace, Apicurio's ccompat API),
 * for the avro-confluent record format (record_format.h).
 *
 * Writers register each schema under the subject TOPIC-value (Confluent's
 * TopicNameStrategy, what Kafka Connect and ClickHouse look up) at start
 * and get its id; readers turn an id back into a schema fingerprint once
 * and keep it.  HTTP(S) through libcurl (TLS with a CA file and client
 * certificates, basic authentication); JSON through jansson.  Calls block
 * for at most the configured timeout and are meant for start-up and for
 * the first record of a schema id, not for the hot path.
 */
#ifndef BF_SCHEMA_REGISTRY_H
#define BF_SCHEMA_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/opttab.h"

#define BF_REGISTRY_STR	1024

struct bf_registry_conf {
	char		url[BF_REGISTRY_STR];	/* "" = no registry */
	char		user[256];		/* basic auth, "" = none */
	char		password[256];
	char		ca_file[BF_REGISTRY_STR];	/* "" = system CAs */
	char		cert_file[BF_REGISTRY_STR];	/* client certificate */
	char		key_file[BF_REGISTRY_STR];
	long		timeout_ms;
};

/*
 * The option table rows of the registry settings, the same in every
 * program that writes or reads avro-confluent records.
 */
#define BF_REGISTRY_OPTDEFS \
	{ "schema-registry-url", 0, BF_OT_STR, "", 0, BF_REGISTRY_STR - 1, \
	  NULL, 0, "URL", "Schema Registry for format avro-confluent, e.g. " \
	  "http://127.0.0.1:8081 (https:// for TLS)", NULL, NULL, NULL }, \
	{ "schema-registry-user", 0, BF_OT_STR, "", 0, 255, NULL, 0, "USER", \
	  "Schema Registry basic-auth user", NULL, NULL, NULL }, \
	{ "schema-registry-password", 0, BF_OT_STR, "", 0, 255, NULL, \
	  BF_OF_SECRET, "PASSWORD", "Schema Registry basic-auth password", \
	  NULL, NULL, NULL }, \
	{ "schema-registry-ca-file", 0, BF_OT_PATH, "", 0, \
	  BF_REGISTRY_STR - 1, NULL, 0, "FILE", "CA certificates (PEM) the " \
	  "registry's TLS certificate is checked against [system CAs]", \
	  NULL, NULL, NULL }, \
	{ "schema-registry-cert-file", 0, BF_OT_PATH, "", 0, \
	  BF_REGISTRY_STR - 1, NULL, 0, "FILE", "client certificate (PEM) " \
	  "for the registry's TLS", NULL, NULL, NULL }, \
	{ "schema-registry-key-file", 0, BF_OT_PATH, "", 0, \
	  BF_REGISTRY_STR - 1, NULL, 0, "FILE", "its private key (PEM)", \
	  NULL, NULL, NULL }, \
	{ "schema-registry-timeout", 0, BF_OT_MS, "10000", 100, 600000, \
	  NULL, 0, "MS", "time limit of one registry request", NULL, NULL, \
	  NULL },

/* The settings of BF_REGISTRY_OPTDEFS from o. */
void	bf_registry_conf_from_opts(struct bf_registry_conf *c,
	    const struct bf_opts *o);

struct bf_registry;

/* A client of c's registry; NULL when out of memory. */
struct bf_registry *bf_registry_new(const struct bf_registry_conf *c);
void	bf_registry_free(struct bf_registry *r);

/*
 * Register the schema of topic's record values under the subject
 * TOPIC-value (Confluent's TopicNameStrategy), as bf_registry_register.
 */
int	bf_registry_register_topic(struct bf_registry *r, const char *topic,
	    const char *schema_json, uint32_t *id, char *err, size_t errlen);

/*
 * Register schema_json (the schema's full text, defaults included, for
 * the registry's compatibility check) under subject; its id in *id.  An
 * existing identical schema gets its id back.  0, or -1 with why in err:
 * unreachable, HTTP 401/403, 409 (incompatible with the subject's
 * versions: the registry's own message quoted), 422 (invalid).
 */
int	bf_registry_register(struct bf_registry *r, const char *subject,
	    const char *schema_json, uint32_t *id, char *err, size_t errlen);

/*
 * The CRC-64-AVRO fingerprint of the Parsing Canonical Form of schema id,
 * fetched once (GET /schemas/ids/ID) and kept.  Thread-safe.  0, or -1
 * with why in err.
 */
int	bf_registry_fingerprint(struct bf_registry *r, uint32_t id,
	    uint64_t *fp, char *err, size_t errlen);

#endif /* BF_SCHEMA_REGISTRY_H */
