/* SPDX-License-Identifier: Apache-2.0 */
/*
 * schema_registry.c: the Schema Registry client (libcurl, jansson).
 */
#include "core/schema_registry.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "core/avro_schema.h"

#define CONTENT_TYPE	"application/vnd.schemaregistry.v1+json"
#define BODY_MAX	(16u << 20)	/* a reply larger than this is refused */
#define IDS_MAX		256		/* schema ids a reader keeps */

/* An id looked up: its fingerprint, or one the registry does not know. */
struct id_fp {
	uint32_t	id;
	bool		known;
	uint64_t	fp;
};

struct bf_registry {
	struct bf_registry_conf	 conf;
	pthread_mutex_t		 lock;	/* ids, and the one curl handle */
	CURL			*curl;
	struct id_fp		 ids[IDS_MAX];
	size_t			 n_ids;
	size_t			 next_id;	/* slot taken next when full */
};

/* A reply body, capped at BODY_MAX. */
struct body {
	char	*p;
	size_t	 len;
	bool	 too_big;
};

static size_t
body_append(char *data, size_t size, size_t n, void *arg)
{
	struct body *b = arg;
	size_t add = size * n;
	char *np;

	if (b->len + add > BODY_MAX) {
		b->too_big = true;
		return 0;
	}
	if ((np = realloc(b->p, b->len + add + 1)) == NULL)
		return 0;
	memcpy(np + b->len, data, add);
	b->p = np;
	b->len += add;
	b->p[b->len] = '\0';
	return add;
}

void
bf_registry_conf_from_opts(struct bf_registry_conf *c,
    const struct bf_opts *o)
{
	memset(c, 0, sizeof(*c));
	bf_opts_copy(o, "schema-registry-url", c->url, sizeof(c->url));
	/* "http://h:8081/" and "http://h:8081" name the same API root. */
	for (size_t n = strlen(c->url); n > 0 && c->url[n - 1] == '/'; n--)
		c->url[n - 1] = '\0';
	bf_opts_copy(o, "schema-registry-user", c->user, sizeof(c->user));
	bf_opts_copy(o, "schema-registry-password", c->password,
	    sizeof(c->password));
	bf_opts_copy(o, "schema-registry-ca-file", c->ca_file,
	    sizeof(c->ca_file));
	bf_opts_copy(o, "schema-registry-cert-file", c->cert_file,
	    sizeof(c->cert_file));
	bf_opts_copy(o, "schema-registry-key-file", c->key_file,
	    sizeof(c->key_file));
	c->timeout_ms = (long)bf_opts_int(o, "schema-registry-timeout");
}

static void
curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_ALL);
}

struct bf_registry *
bf_registry_new(const struct bf_registry_conf *c)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	struct bf_registry *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	/* Not thread-safe itself; every other curl call is after it. */
	(void)pthread_once(&once, curl_init_once);
	r->conf = *c;
	if ((r->curl = curl_easy_init()) == NULL) {
		free(r);
		return NULL;
	}
	pthread_mutex_init(&r->lock, NULL);
	return r;
}

void
bf_registry_free(struct bf_registry *r)
{
	if (r == NULL)
		return;
	curl_easy_cleanup(r->curl);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

/*
 * One request to the registry (r->lock held): method on path, body (JSON
 * text) or NULL.  Returns the HTTP status with the reply in *out, or -1
 * with why in err (unreachable, TLS, timeout).
 */
static long
request(struct bf_registry *r, const char *method, const char *path,
    const char *body, struct body *out, char *err, size_t errlen)
{
	const struct bf_registry_conf *c = &r->conf;
	char url[BF_REGISTRY_STR + 256], curl_err[CURL_ERROR_SIZE] = "";
	struct curl_slist *hdrs = NULL;
	CURL *h = r->curl;
	CURLcode rc;
	long status = -1;

	memset(out, 0, sizeof(*out));
	snprintf(url, sizeof(url), "%s%s", c->url, path);
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->timeout_ms);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->timeout_ms);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_err);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, body_append);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
	hdrs = curl_slist_append(hdrs, "Accept: " CONTENT_TYPE
	    ", application/json");
	if (body != NULL) {
		hdrs = curl_slist_append(hdrs, "Content-Type: " CONTENT_TYPE);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	if (c->user[0] != '\0') {
		curl_easy_setopt(h, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
		curl_easy_setopt(h, CURLOPT_USERNAME, c->user);
		curl_easy_setopt(h, CURLOPT_PASSWORD, c->password);
	}
	if (c->ca_file[0] != '\0')
		curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
	if (c->cert_file[0] != '\0')
		curl_easy_setopt(h, CURLOPT_SSLCERT, c->cert_file);
	if (c->key_file[0] != '\0')
		curl_easy_setopt(h, CURLOPT_SSLKEY, c->key_file);
	rc = curl_easy_perform(h);
	if (rc != CURLE_OK)
		snprintf(err, errlen, "schema registry %s: %s %s: %s", c->url,
		    method, path, curl_err[0] ? curl_err :
		    curl_easy_strerror(rc));
	else
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (rc == CURLE_WRITE_ERROR && out->too_big)
		snprintf(err, errlen, "schema registry %s: %s %s: reply "
		    "larger than %u bytes", c->url, method, path, BODY_MAX);
	curl_slist_free_all(hdrs);
	return status;
}

/* An error reply's own words: its "message", else its start. */
static void
reply_error(const struct bf_registry *r, const char *what, long status,
    const struct body *b, char *err, size_t errlen)
{
	json_t *j = b->p ? json_loads(b->p, 0, NULL) : NULL;
	const char *msg = json_string_value(json_object_get(j, "message"));
	const char *hint = status == 401 || status == 403 ?
	    " (check schema-registry-user and -password)" : status == 409 ?
	    " (incompatible with the versions the registry holds under its "
	    "compatibility level)" : "";

	snprintf(err, errlen, "schema registry %s: %s: HTTP %ld%s: %.300s",
	    r->conf.url, what, status, hint, msg ? msg : b->p ? b->p : "");
	json_decref(j);
}

int
bf_registry_register(struct bf_registry *r, const char *subject,
    const char *schema_json, uint32_t *id, char *err, size_t errlen)
{
	json_t *req = json_pack("{s:s}", "schema", schema_json), *reply;
	char path[512], what[600], *text;
	struct body b;
	json_int_t v;
	long status;
	char *esc;

	if (req == NULL || (text = json_dumps(req, JSON_COMPACT)) == NULL) {
		json_decref(req);
		snprintf(err, errlen, "schema registry: out of memory");
		return -1;
	}
	json_decref(req);
	snprintf(what, sizeof(what), "registering subject %s", subject);
	pthread_mutex_lock(&r->lock);
	esc = curl_easy_escape(r->curl, subject, 0);
	snprintf(path, sizeof(path), "/subjects/%s/versions", esc ? esc : "");
	curl_free(esc);
	status = request(r, "POST", path, text, &b, err, errlen);
	pthread_mutex_unlock(&r->lock);
	free(text);
	if (status < 0) {
		free(b.p);
		return -1;
	}
	if (status != 200) {
		reply_error(r, what, status, &b, err, errlen);
		free(b.p);
		return -1;
	}
	reply = json_loads(b.p ? b.p : "", 0, NULL);
	free(b.p);
	v = json_integer_value(json_object_get(reply, "id"));
	json_decref(reply);
	if (v <= 0 || v > UINT32_MAX) {
		snprintf(err, errlen, "schema registry %s: %s: reply has no "
		    "schema id", r->conf.url, what);
		return -1;
	}
	*id = (uint32_t)v;
	return 0;
}

int
bf_registry_register_topic(struct bf_registry *r, const char *topic,
    const char *schema_json, uint32_t *id, char *err, size_t errlen)
{
	char subject[300];

	snprintf(subject, sizeof(subject), "%s-value", topic);
	return bf_registry_register(r, subject, schema_json, id, err, errlen);
}

/* The fingerprint of schema text, as the schema directory's are made. */
static int
text_fingerprint(const char *text, uint64_t *fp)
{
	struct bf_schema s;
	char *copy = strdup(text), why[256];

	if (copy == NULL || bf_schema_from_text(&s, "registry", copy,
	    strlen(copy), "registry", why, sizeof(why)) < 0)
		return -1;
	*fp = s.fingerprint;
	bf_schema_free(&s);
	return 0;
}

int
bf_registry_fingerprint(struct bf_registry *r, uint32_t id, uint64_t *fp,
    char *err, size_t errlen)
{
	char path[64], what[64];
	const char *text;
	struct body b;
	json_t *reply;
	long status;
	int rc = -1;

	pthread_mutex_lock(&r->lock);
	for (size_t i = 0; i < r->n_ids; i++)
		if (r->ids[i].id == id) {
			*fp = r->ids[i].fp;
			rc = r->ids[i].known ? 0 : -1;
			pthread_mutex_unlock(&r->lock);
			if (rc < 0)
				snprintf(err, errlen, "schema id %u: not in the "
				    "schema registry %s, or not Avro", id,
				    r->conf.url);
			return rc;
		}
	snprintf(path, sizeof(path), "/schemas/ids/%u", id);
	snprintf(what, sizeof(what), "schema id %u", id);
	status = request(r, "GET", path, NULL, &b, err, errlen);
	if (status >= 0 && status != 200)
		reply_error(r, what, status, &b, err, errlen);
	if (status == 200) {
		reply = json_loads(b.p ? b.p : "", 0, NULL);
		text = json_string_value(json_object_get(reply, "schema"));
		if (text == NULL || text_fingerprint(text, fp) < 0)
			snprintf(err, errlen, "schema registry %s: %s: not an "
			    "Avro schema", r->conf.url, what);
		else
			rc = 0;
		json_decref(reply);
	}
	free(b.p);
	/*
	 * Kept, known or not: records of an id the registry has no Avro
	 * schema for (404, or another type) cost no further request.  An
	 * unreachable registry or a refusal is asked again next time.
	 */
	if (rc == 0 || status == 200 || status == 404) {
		size_t slot = r->n_ids < IDS_MAX ? r->n_ids++ :
		    r->next_id++ % IDS_MAX;

		r->ids[slot] = (struct id_fp){ id, rc == 0, rc == 0 ? *fp : 0 };
	}
	pthread_mutex_unlock(&r->lock);
	return rc;
}
