/* SPDX-License-Identifier: Apache-2.0 */
/*
 * alert_sink.c: the webhook and e-mail sinks (libcurl), the rate limit,
 * and the dispatch to the sink of each kind.
 */
#include "alert_sink.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/json_write.h"
#include "alert_syslog.h"

/* The response body is not needed: a status is what tells. */
static size_t
discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

static int
webhook_open(struct alert_sink *k, char *err, size_t errlen)
{
	const struct alert_settings *s = k->s;

	k->list = curl_slist_append(NULL, "Content-Type: application/json");
	for (size_t i = 0; i < s->n_webhook_headers && k->list != NULL; i++)
		k->list = curl_slist_append(k->list, s->webhook_headers[i]);
	if (k->list == NULL) {
		snprintf(err, errlen, "webhook: out of memory");
		return -1;
	}
	curl_easy_setopt(k->curl, CURLOPT_URL, s->webhook_url);
	curl_easy_setopt(k->curl, CURLOPT_HTTPHEADER, k->list);
	curl_easy_setopt(k->curl, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(k->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	return 0;
}

static int
smtp_open(struct alert_sink *k, char *err, size_t errlen)
{
	const struct alert_settings *s = k->s;
	char addr[260];

	for (size_t i = 0; i < s->n_mail_to; i++) {
		snprintf(addr, sizeof(addr), "<%s>", s->mail_to[i]);
		if ((k->list = curl_slist_append(k->list, addr)) == NULL) {
			snprintf(err, errlen, "smtp: out of memory");
			return -1;
		}
	}
	snprintf(addr, sizeof(addr), "<%s>", s->mail_from);
	curl_easy_setopt(k->curl, CURLOPT_URL, s->smtp_url);
	curl_easy_setopt(k->curl, CURLOPT_MAIL_FROM, addr);
	curl_easy_setopt(k->curl, CURLOPT_MAIL_RCPT, k->list);
	curl_easy_setopt(k->curl, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(k->curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	if (s->smtp_user[0] != '\0') {
		curl_easy_setopt(k->curl, CURLOPT_USERNAME, s->smtp_user);
		curl_easy_setopt(k->curl, CURLOPT_PASSWORD, s->smtp_password);
		/* Never send a password in clear where TLS is offered. */
		curl_easy_setopt(k->curl, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
	}
	return 0;
}

int
sink_open(struct alert_sink *k, enum alert_sink_kind kind,
    const struct alert_settings *s, char *err, size_t errlen)
{
	memset(k, 0, sizeof(*k));
	k->kind = kind;
	k->s = s;
	k->fd = -1;
	k->tokens = s->rate[kind].burst;
	k->refilled_ms = sink_now_ms();
	atomic_store(&k->up, 1);
	if (kind == SINK_SYSLOG)
		return syslog_open(k, err, errlen);
	if ((k->curl = curl_easy_init()) == NULL) {
		snprintf(err, errlen, "%s: libcurl: out of memory",
		    alert_sink_names[kind]);
		return -1;
	}
	curl_easy_setopt(k->curl, CURLOPT_TIMEOUT, (long)s->timeout_s);
	curl_easy_setopt(k->curl, CURLOPT_NOSIGNAL, 1L);
	return kind == SINK_WEBHOOK ? webhook_open(k, err, errlen) :
	    smtp_open(k, err, errlen);
}

void
sink_close(struct alert_sink *k)
{
	if (k->curl != NULL)
		curl_easy_cleanup(k->curl);
	curl_slist_free_all(k->list);
	if (k->fd >= 0)
		close(k->fd);
	k->curl = NULL;
	k->list = NULL;
	k->fd = -1;
}

/* The body of a webhook POST in the format asked for; malloc'd. */
static char *
webhook_body(const struct alert_sink *k, const struct alert *a,
    const char *text, const char *subject, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (f == NULL)
		return NULL;
	switch (k->s->webhook_format) {
	case WH_GENERIC:
		alert_write_json(a, f);
		break;
	case WH_SLACK:
	case WH_MATTERMOST:
		fputs("{\"text\":", f);
		bf_json_escape(f, text, strlen(text));
		fputc('}', f);
		break;
	case WH_TEAMS:
		/* Office 365 connector MessageCard: red open, green resolved. */
		fprintf(f, "{\"@type\":\"MessageCard\",\"@context\":"
		    "\"https://schema.org/extensions\",\"themeColor\":\"%s\","
		    "\"summary\":", a->state == STATE_RESOLVED ? "2EB886" :
		    "D00000");
		bf_json_escape(f, subject, strlen(subject));
		fputs(",\"title\":", f);
		bf_json_escape(f, subject, strlen(subject));
		fputs(",\"text\":", f);
		bf_json_escape(f, text, strlen(text));
		fputc('}', f);
		break;
	}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* HTTP statuses worth another try: timeouts, throttling, server errors. */
static bool
http_transient(long status)
{
	return status == 408 || status == 429 || status >= 500;
}

/* The mail being uploaded, read by libcurl. */
struct upload {
	const char	*p;
	size_t		 left;
};

static size_t
upload_read(char *out, size_t size, size_t n, void *arg)
{
	struct upload *u = arg;
	size_t len = size * n < u->left ? size * n : u->left;

	memcpy(out, u->p, len);
	u->p += len;
	u->left -= len;
	return len;
}

/*
 * An RFC 5322 message: the rendered text, then every field of the alert
 * as "name: text"; malloc'd.
 */
static char *
mail_message(const struct alert_sink *k, const struct alert *a,
    const char *text, const char *subject, size_t *len)
{
	const struct alert_settings *s = k->s;
	char *buf = NULL, date[64];
	time_t now = time(NULL);
	struct tm tm;
	FILE *f = open_memstream(&buf, len);

	if (f == NULL)
		return NULL;
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000",
	    gmtime_r(&now, &tm));
	fprintf(f, "Date: %s\r\nFrom: <%s>\r\nTo: ", date, s->mail_from);
	for (size_t i = 0; i < s->n_mail_to; i++)
		fprintf(f, "%s<%s>", i ? ", " : "", s->mail_to[i]);
	fprintf(f, "\r\nSubject: %s\r\nMessage-ID: <%s.%s.%s@bmpflow>\r\n"
	    "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n\r\n%s\r\n\r\n", subject,
	    alert_field(a, "alert_id"), alert_field(a, "state"),
	    alert_field(a, "time_us"), text);
	for (size_t i = 0; i < a->n; i++)
		fprintf(f, "%s: %s\r\n", a->name[i], a->text[i]);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/*
 * POST body (webhook) or send it as a mail (smtp) through k's handle, then
 * free it; none (out of memory) is a failure tried again later.
 */
static enum sink_result
curl_deliver(struct alert_sink *k, char *body, size_t len, char *why,
    size_t whylen)
{
	struct upload u = { body, len };
	long status = 0;
	CURLcode rc;

	if (body == NULL) {
		snprintf(why, whylen, "out of memory");
		return SINK_RETRY;
	}
	if (k->kind == SINK_WEBHOOK) {
		curl_easy_setopt(k->curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(k->curl, CURLOPT_POSTFIELDSIZE, (long)len);
	} else {
		curl_easy_setopt(k->curl, CURLOPT_READFUNCTION, upload_read);
		curl_easy_setopt(k->curl, CURLOPT_READDATA, &u);
		curl_easy_setopt(k->curl, CURLOPT_INFILESIZE, (long)len);
	}
	rc = curl_easy_perform(k->curl);
	free(body);
	curl_easy_getinfo(k->curl, CURLINFO_RESPONSE_CODE, &status);
	if (k->kind != SINK_WEBHOOK) {
		if (rc == CURLE_OK)
			return SINK_TAKEN;
		snprintf(why, whylen, "%s (SMTP reply %ld)",
		    curl_easy_strerror(rc), status);
		/* RFC 5321 §4.2.1: 5yz is a permanent failure, 4yz a transient one. */
		return status >= 500 ? SINK_REFUSED : SINK_RETRY;
	}
	if (rc != CURLE_OK) {
		snprintf(why, whylen, "%s", curl_easy_strerror(rc));
		return SINK_RETRY;
	}
	if (status >= 200 && status < 300)
		return SINK_TAKEN;
	snprintf(why, whylen, "HTTP status %ld", status);
	return http_transient(status) ? SINK_RETRY : SINK_REFUSED;
}

enum sink_result
sink_deliver(struct alert_sink *k, const struct alert *a, const char *text,
    const char *subject, char *why, size_t whylen)
{
	size_t len = 0;
	char *body;

	switch (k->kind) {
	case SINK_WEBHOOK:
		body = webhook_body(k, a, text, subject, &len);
		break;
	case SINK_SYSLOG:
		return syslog_send(k, a, text, why, whylen);
	case SINK_SMTP:
	case N_SINKS:
	default:
		body = mail_message(k, a, text, subject, &len);
		break;
	}
	return curl_deliver(k, body, len, why, whylen);
}

int64_t
sink_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
sink_rate_wait_ms(struct alert_sink *k, int64_t now_ms)
{
	const struct alert_rate *r = &k->s->rate[k->kind];

	if (r->per_s <= 0)
		return 0;
	k->tokens += (double)(now_ms - k->refilled_ms) / 1000 * r->per_s;
	if (k->tokens > r->burst)
		k->tokens = r->burst;
	k->refilled_ms = now_ms;
	return k->tokens >= 1 ? 0 : (int64_t)((1 - k->tokens) / r->per_s *
	    1000) + 1;
}

void
sink_rate_take(struct alert_sink *k)
{
	if (k->s->rate[k->kind].per_s > 0)
		k->tokens -= 1;
}
