/* SPDX-License-Identifier: Apache-2.0 */
/*
 * avro_schema.c: schema loading, Parsing Canonical Form, fingerprints.
 */
#include "avro_schema.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CRC64_AVRO_EMPTY	0xc15d213aa4d7a795ULL

uint64_t
bf_crc64_avro(const void *p, size_t n)
{
	static uint64_t table[256];
	static bool ready;
	const uint8_t *b = p;
	uint64_t fp = CRC64_AVRO_EMPTY;

	if (!ready) {
		for (unsigned i = 0; i < 256; i++) {
			uint64_t f = i;

			for (int j = 0; j < 8; j++)
				f = (f >> 1) ^ (CRC64_AVRO_EMPTY & -(f & 1));
			table[i] = f;
		}
		ready = true;
	}
	for (size_t i = 0; i < n; i++)
		fp = (fp >> 8) ^ table[(fp ^ b[i]) & 0xff];
	return fp;
}

/* Growable text for the canonical form. */
struct pcf {
	char	*buf;
	size_t	 len, cap;
	bool	 oom;
	char	*seen[64];	/* full names already defined */
	int	 n_seen;
};

static void
pcf_put(struct pcf *w, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (w->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		/* The first call has no buffer yet: measure only. */
		n = vsnprintf(w->buf != NULL ? w->buf + w->len : NULL,
		    w->cap - w->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			w->oom = true;
			return;
		}
		if ((size_t)n < w->cap - w->len)
			break;
		size_t cap = (w->cap + (size_t)n + 1) * 2;
		char *nb = realloc(w->buf, cap);

		if (nb == NULL) {
			w->oom = true;
			return;
		}
		w->buf = nb;
		w->cap = cap;
	}
	w->len += (size_t)n;
}

static void
full_name(avro_schema_t s, char *out, size_t n)
{
	const char *ns = avro_schema_namespace(s);

	if (ns != NULL && ns[0] != '\0')
		snprintf(out, n, "%s.%s", ns, avro_schema_name(s));
	else
		snprintf(out, n, "%s", avro_schema_name(s));
}

/* Writes the name; returns true when it was defined before (name only). */
static bool
pcf_name(struct pcf *w, avro_schema_t s)
{
	char name[256];

	full_name(s, name, sizeof(name));
	for (int i = 0; i < w->n_seen; i++) {
		if (strcmp(w->seen[i], name) == 0) {
			pcf_put(w, "\"%s\"", name);
			return true;
		}
	}
	if (w->n_seen < (int)(sizeof(w->seen) / sizeof(w->seen[0]))) {
		w->seen[w->n_seen] = strdup(name);
		if (w->seen[w->n_seen] == NULL)
			w->oom = true;
		else
			w->n_seen++;
	}
	pcf_put(w, "{\"name\":\"%s\"", name);
	return false;
}

static void
pcf_schema(struct pcf *w, avro_schema_t s)
{
	switch (avro_typeof(s)) {
	case AVRO_STRING:	pcf_put(w, "\"string\""); break;
	case AVRO_BYTES:	pcf_put(w, "\"bytes\""); break;
	case AVRO_INT32:	pcf_put(w, "\"int\""); break;
	case AVRO_INT64:	pcf_put(w, "\"long\""); break;
	case AVRO_FLOAT:	pcf_put(w, "\"float\""); break;
	case AVRO_DOUBLE:	pcf_put(w, "\"double\""); break;
	case AVRO_BOOLEAN:	pcf_put(w, "\"boolean\""); break;
	case AVRO_NULL:		pcf_put(w, "\"null\""); break;
	case AVRO_RECORD:
		if (pcf_name(w, s))
			break;
		pcf_put(w, ",\"type\":\"record\",\"fields\":[");
		for (size_t i = 0; i < avro_schema_record_size(s); i++) {
			pcf_put(w, "%s{\"name\":\"%s\",\"type\":", i ? "," : "",
			    avro_schema_record_field_name(s, (int)i));
			pcf_schema(w, avro_schema_record_field_get_by_index(s,
			    (int)i));
			pcf_put(w, "}");
		}
		pcf_put(w, "]}");
		break;
	case AVRO_ENUM:
		if (pcf_name(w, s))
			break;
		pcf_put(w, ",\"type\":\"enum\",\"symbols\":[");
		for (int i = 0; i < avro_schema_enum_number_of_symbols(s); i++)
			pcf_put(w, "%s\"%s\"", i ? "," : "",
			    avro_schema_enum_get(s, i));
		pcf_put(w, "]}");
		break;
	case AVRO_FIXED:
		if (pcf_name(w, s))
			break;
		pcf_put(w, ",\"type\":\"fixed\",\"size\":%lld}",
		    (long long)avro_schema_fixed_size(s));
		break;
	case AVRO_ARRAY:
		pcf_put(w, "{\"type\":\"array\",\"items\":");
		pcf_schema(w, avro_schema_array_items(s));
		pcf_put(w, "}");
		break;
	case AVRO_MAP:
		pcf_put(w, "{\"type\":\"map\",\"values\":");
		pcf_schema(w, avro_schema_map_values(s));
		pcf_put(w, "}");
		break;
	case AVRO_UNION:
		pcf_put(w, "[");
		for (size_t i = 0; i < avro_schema_union_size(s); i++) {
			if (i)
				pcf_put(w, ",");
			pcf_schema(w, avro_schema_union_branch(s, (int)i));
		}
		pcf_put(w, "]");
		break;
	case AVRO_LINK:
		pcf_schema(w, avro_schema_link_target(s));
		break;
	}
}

char *
bf_schema_canonical(avro_schema_t schema)
{
	struct pcf w = { 0 };

	pcf_schema(&w, schema);
	for (int i = 0; i < w.n_seen; i++)
		free(w.seen[i]);
	if (w.oom) {
		free(w.buf);
		return NULL;
	}
	return w.buf;
}

/* Read a whole file; malloc'd and NUL-terminated, NULL with errno. */
static char *
read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (f == NULL)
		return NULL;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			char *nb = realloc(buf, cap = (cap + 4096) * 2);

			if (nb == NULL) {
				free(buf);
				fclose(f);
				errno = ENOMEM;
				return NULL;
			}
			buf = nb;
		}
		size_t r = fread(buf + n, 1, 4096, f);

		n += r;
		if (r < 4096)
			break;
	}
	if (ferror(f)) {
		free(buf);
		fclose(f);
		errno = EIO;
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

int
bf_schema_from_text(struct bf_schema *s, const char *name, char *text,
    size_t len, const char *where, char *errbuf, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->text = text;
	if (avro_schema_from_json_length(text, len, &s->schema) != 0) {
		snprintf(errbuf, errlen, "%s: invalid Avro schema: %s", where,
		    avro_strerror());
		bf_schema_free(s);
		return -1;
	}
	s->canonical = bf_schema_canonical(s->schema);
	s->iface = avro_generic_class_from_schema(s->schema);
	if (s->canonical == NULL || s->iface == NULL) {
		snprintf(errbuf, errlen, "%s: out of memory", where);
		bf_schema_free(s);
		return -1;
	}
	s->fingerprint = bf_crc64_avro(s->canonical, strlen(s->canonical));
	return 0;
}

int
bf_schema_load(struct bf_schema *s, const char *dir, const char *name,
    char *errbuf, size_t errlen)
{
	char path[4096];
	size_t len;
	char *json;

	memset(s, 0, sizeof(*s));
	snprintf(path, sizeof(path), "%s/%s.avsc", dir, name);
	json = read_file(path, &len);
	if (json == NULL) {
		snprintf(errbuf, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return bf_schema_from_text(s, name, json, len, path, errbuf, errlen);
}

void
bf_schema_free(struct bf_schema *s)
{
	if (s->iface != NULL)
		avro_value_iface_decref(s->iface);
	if (s->schema != NULL)
		avro_schema_decref(s->schema);
	free(s->canonical);
	free(s->text);
	memset(s, 0, sizeof(*s));
}

void
bf_schema_header(const struct bf_schema *s, uint8_t *out)
{
	out[0] = 0xc3;
	out[1] = 0x01;
	for (int i = 0; i < 8; i++)
		out[2 + i] = (uint8_t)(s->fingerprint >> (8 * i));
}

int
bf_single_object_fingerprint(const uint8_t *p, size_t n, uint64_t *fp)
{
	*fp = 0;
	if (n < BF_SINGLE_OBJECT_HDR || p[0] != 0xc3 || p[1] != 0x01)
		return -1;
	for (int i = 0; i < 8; i++)
		*fp |= (uint64_t)p[2 + i] << (8 * i);
	return 0;
}
