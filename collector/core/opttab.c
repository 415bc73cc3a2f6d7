/* SPDX-License-Identifier: Apache-2.0 */
/*
 * opttab.c: options from one table: flags and config files read and
 * checked, values looked up (opttab_doc.c writes what the table tells).
 */
#include "opttab.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/kvfile.h"

static const char *const true_words[] = { "true", "yes", "on", "1", NULL };
static const char *const false_words[] = { "false", "no", "off", "0", NULL };

static bool
word_in(const char *v, const char *const *words)
{
	for (; *words != NULL; words++)
		if (strcmp(v, *words) == 0)
			return true;
	return false;
}

int
bf_hostport_split(const char *s, char *host, size_t hostlen, unsigned *port)
{
	const char *end_host, *port_s;
	char *end;
	long p;
	size_t n;

	if (s[0] == '[') {
		end_host = strchr(s, ']');
		if (end_host == NULL || end_host[1] != ':')
			return -1;
		s++;
		port_s = end_host + 2;
	} else {
		if ((end_host = strrchr(s, ':')) == NULL)
			return -1;
		port_s = end_host + 1;
	}
	n = (size_t)(end_host - s);
	if (n >= hostlen)
		return -1;
	errno = 0;
	p = strtol(port_s, &end, 10);
	if (*port_s == '\0' || *end != '\0' || errno != 0 || p < 0 ||
	    p > 65535)
		return -1;
	memcpy(host, s, n);
	host[n] = '\0';
	*port = (unsigned)p;
	return 0;
}

static bool
is_ip(const char *host)
{
	unsigned char a[16];

	return inet_pton(AF_INET, host, a) == 1 ||
	    inet_pton(AF_INET6, host, a) == 1;
}

/* One "HOST:PORT" of a broker list; an optional "proto://" before it. */
static bool
broker_ok(const char *s)
{
	const char *scheme = strstr(s, "://");
	char host[256];
	unsigned port;

	if (scheme != NULL)
		s = scheme + 3;
	return bf_hostport_split(s, host, sizeof(host), &port) == 0 &&
	    host[0] != '\0' && strchr(host, ' ') == NULL && port > 0;
}

static bool
hosts_ok(const char *v)
{
	char buf[1024], *save = NULL, *tok;

	if ((size_t)snprintf(buf, sizeof(buf), "%s", v) >= sizeof(buf) ||
	    v[0] == '\0')
		return false;
	for (tok = strtok_r(buf, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save))
		if (!broker_ok(tok))
			return false;
	return true;
}

static bool
listen_ok(const char *v)
{
	char host[64];
	unsigned port;

	return bf_hostport_split(v, host, sizeof(host), &port) == 0 &&
	    (host[0] == '\0' || is_ip(host));
}

static bool
int_ok(const char *v, long long lo, long long hi)
{
	char *end;
	long long x;

	errno = 0;
	x = strtoll(v, &end, 10);
	return *v != '\0' && *end == '\0' && errno == 0 && x >= lo && x <= hi;
}

static const char *
unit_of(const struct bf_optdef *d)
{
	if (d->type == BF_OT_MS)
		return " ms";
	if (d->type == BF_OT_SEC)
		return " seconds";
	return "";
}

void
bf_optdef_expectation(const struct bf_optdef *d, char *buf, size_t len)
{
	size_t at = 0;

	if (d->expect != NULL) {
		snprintf(buf, len, "%s", d->expect);
		return;
	}
	switch (d->type) {
	case BF_OT_INT:
	case BF_OT_MS:
	case BF_OT_SEC:
		snprintf(buf, len, "%lld..%lld%s", d->lo, d->hi, unit_of(d));
		break;
	case BF_OT_BOOL:
	case BF_OT_SWITCH:
		snprintf(buf, len, "true or false");
		break;
	case BF_OT_ENUM:
		for (size_t i = 0; d->choices[i] != NULL && at < len; i++)
			at += (size_t)snprintf(buf + at, len - at, "%s%s",
			    i == 0 ? "" : d->choices[i + 1] == NULL ? " or " :
			    ", ", d->choices[i]);
		break;
	case BF_OT_HOSTS:
		snprintf(buf, len, "HOST:PORT[,HOST:PORT...] with ports "
		    "1..65535");
		break;
	case BF_OT_LISTEN:
		snprintf(buf, len, "ADDRESS:PORT (IPv6 in brackets) with port "
		    "0..65535");
		break;
	default:
		snprintf(buf, len, "at most %lld characters", d->hi);
		break;
	}
}

/* The value's form for its type. */
static bool
form_ok(const struct bf_optdef *d, const char *v)
{
	switch (d->type) {
	case BF_OT_INT:
	case BF_OT_MS:
	case BF_OT_SEC:
		return int_ok(v, d->lo, d->hi);
	case BF_OT_BOOL:
	case BF_OT_SWITCH:
		return word_in(v, true_words) || word_in(v, false_words);
	case BF_OT_ENUM:
		return word_in(v, d->choices);
	case BF_OT_HOSTS:
		return hosts_ok(v);
	case BF_OT_LISTEN:
		return listen_ok(v) && (d->hi == 0 || strlen(v) <= (size_t)d->hi);
	default:
		return d->hi == 0 || strlen(v) <= (size_t)d->hi;
	}
}

static bool
value_ok(const struct bf_optdef *d, const char *v)
{
	return form_ok(d, v) && (d->check == NULL || d->check(v) == 0);
}

/* Every program's, after its own table. */
static const struct bf_optdef builtins[] = {
	{ "help-man", 0, BF_OT_SWITCH, NULL, 0, 0, NULL, BF_OF_CLI, NULL,
	  "print the man page's OPTIONS section (roff) and exit", NULL, NULL,
	  NULL },
	{ "help", 'h', BF_OT_SWITCH, NULL, 0, 0, NULL, BF_OF_CLI, NULL,
	  "this help", NULL, NULL, NULL },
	{ "version", 'V', BF_OT_SWITCH, NULL, 0, 0, NULL, BF_OF_CLI, NULL,
	  "print the version", NULL, NULL, NULL },
};
#define N_BUILTINS	(sizeof(builtins) / sizeof(builtins[0]))

const struct bf_optdef *
bf_opttab_def(const struct bf_opttab *t, size_t i)
{
	if (i < t->n_defs)
		return &t->defs[i];
	if (i - t->n_defs < N_BUILTINS)
		return &builtins[i - t->n_defs];
	return NULL;
}

static const struct bf_optdef *
find_def(const struct bf_opttab *t, const char *name)
{
	const struct bf_optdef *d;

	for (size_t i = 0; (d = bf_opttab_def(t, i)) != NULL; i++)
		if (strcmp(d->name, name) == 0)
			return d;
	return NULL;
}

static const struct bf_optdef *
find_letter(const struct bf_opttab *t, char c)
{
	const struct bf_optdef *d;

	for (size_t i = 0; (d = bf_opttab_def(t, i)) != NULL; i++)
		if (d->letter == c)
			return d;
	return NULL;
}

static const char *
namespace_of(const struct bf_opttab *t, const char *key)
{
	for (const char *const *ns = t->namespaces; ns != NULL && *ns; ns++)
		if (strncmp(key, *ns, strlen(*ns)) == 0 &&
		    key[strlen(*ns)] != '\0')
			return *ns;
	return NULL;
}

static void
entry_remove(struct bf_opts *o, size_t i)
{
	free(o->e[i].key);
	free(o->e[i].value);
	memmove(&o->e[i], &o->e[i + 1], (o->n - i - 1) * sizeof(o->e[0]));
	o->n--;
}

static int
entry_add(struct bf_opts *o, const struct bf_optdef *d, const char *key,
    const char *value, bool from_flag)
{
	struct bf_opt_entry *e;

	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 16;

		if ((e = realloc(o->e, cap * sizeof(*e))) == NULL)
			return -1;
		o->e = e;
		o->cap = cap;
	}
	e = &o->e[o->n];
	e->def = d;
	e->from_flag = from_flag;
	e->key = strdup(key);
	e->value = strdup(value);
	if (e->key == NULL || e->value == NULL) {
		free(e->key);
		free(e->value);
		return -1;
	}
	o->n++;
	return 0;
}

int
bf_opts_set(struct bf_opts *o, const char *key, const char *value,
    bool from_flag, char *err, size_t errlen)
{
	const struct bf_opttab *t = o->tab;
	const struct bf_optdef *d = find_def(t, key);
	char want[256];

	if (d != NULL && d->alias_of != NULL) {
		fprintf(stderr, "%s: warning: '%s' is deprecated, use '%s'\n",
		    t->prog, key, d->alias_of);
		d = find_def(t, d->alias_of);
		key = d->name;
	}
	if (d == NULL && namespace_of(t, key) == NULL) {
		snprintf(err, errlen, "unknown %s '%s'", from_flag ? "option" :
		    "setting", key);
		return -1;
	}
	if (d != NULL && (d->flags & BF_OF_CLI) && !from_flag) {
		snprintf(err, errlen, "%s: a command-line flag, not a config "
		    "file key", key);
		return -1;
	}
	if (d != NULL && !value_ok(d, value)) {
		bf_optdef_expectation(d, want, sizeof(want));
		snprintf(err, errlen, "%s '%s': expected %s", key, value, want);
		return -1;
	}
	/*
	 * A single value replaces the earlier one.  A flag replaces what the
	 * file gave a repeatable key, and adds to earlier flags.
	 */
	for (size_t i = o->n; i-- > 0;) {
		struct bf_opt_entry *e = &o->e[i];

		if (strcmp(e->key, key) != 0)
			continue;
		if (d == NULL || !(d->flags & BF_OF_REPEAT) ||
		    (from_flag && !e->from_flag))
			entry_remove(o, i);
	}
	if (entry_add(o, d, key, value, from_flag) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

static int
file_set(void *arg, const char *key, const char *value, char *err,
    size_t errlen)
{
	return bf_opts_set(arg, key, value, false, err, errlen);
}

void
bf_opts_free(struct bf_opts *o)
{
	while (o->n > 0)
		entry_remove(o, o->n - 1);
	free(o->e);
	free(o->operands);
	memset(o, 0, sizeof(*o));
}

/*
 * The option and value of argv[*i]: "--name value", "--name=value",
 * "-x value", "-xvalue".  0 with *d and *value (NULL: a switch), -1 with
 * err.  *i moves past what was used.
 */
static int
flag_at(const struct bf_opttab *t, int argc, char **argv, int *i,
    const struct bf_optdef **d, const char **key, const char **value,
    char *name, size_t namelen, char *err, size_t errlen)
{
	const char *a = argv[*i], *eq = NULL;

	*value = NULL;
	if (a[1] == '-') {
		eq = strchr(a + 2, '=');
		snprintf(name, namelen, "%.*s", (int)(eq ? eq - a - 2 :
		    (long)strlen(a + 2)), a + 2);
		*d = find_def(t, name);
		if (*d == NULL && namespace_of(t, name) == NULL) {
			snprintf(err, errlen, "unknown option --%s", name);
			return -1;
		}
	} else {
		*d = find_letter(t, a[1]);
		if (*d == NULL) {
			snprintf(err, errlen, "unknown option -%c", a[1]);
			return -1;
		}
		snprintf(name, namelen, "%s", (*d)->name);
		if (a[2] != '\0')
			eq = a + 1;	/* "-n5": the value follows */
	}
	*key = name;
	if (*d != NULL && (*d)->type == BF_OT_SWITCH) {
		if (eq != NULL && a[1] != '-') {
			snprintf(err, errlen, "-%c takes no value", a[1]);
			return -1;
		}
		*value = eq != NULL ? eq + 1 : "true";
		return 0;
	}
	if (eq != NULL) {
		*value = eq + 1;
		return 0;
	}
	if (*i + 1 >= argc) {
		snprintf(err, errlen, "%s: missing value", a);
		return -1;
	}
	*value = argv[++*i];
	return 0;
}

int
bf_opts_parse(struct bf_opts *o, const struct bf_opttab *t, int argc,
    char **argv, char *err, size_t errlen)
{
	const struct bf_optdef *conf = find_def(t, "config");
	char name[256], why[512];
	bool rest;	/* past "--": operands only */

	memset(o, 0, sizeof(*o));
	o->tab = t;
	if ((o->operands = calloc((size_t)argc + 1, sizeof(char *))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/*
	 * Pass 0 finds and reads the config file; pass 1 sets the flags.
	 * Operands may come between flags, as getopt_long allows.
	 */
	for (int pass = 0; pass < 2; pass++) {
		rest = false;
		for (int i = 1; i < argc; i++) {
			const struct bf_optdef *d;
			const char *key, *value;

			if (!rest && strcmp(argv[i], "--") == 0) {
				rest = true;
				continue;
			}
			if (rest || argv[i][0] != '-' || argv[i][1] == '\0') {
				if (pass == 0)
					continue;
				if (t->operands == NULL) {
					snprintf(err, errlen, "unexpected "
					    "argument '%s'", argv[i]);
					return -1;
				}
				o->operands[o->n_operands++] = argv[i];
				continue;
			}
			if (flag_at(t, argc, argv, &i, &d, &key, &value, name,
			    sizeof(name), err, errlen) < 0)
				return -1;
			if (pass == 0 && d != NULL && d == conf &&
			    bf_kvfile_load(value, file_set, o, err,
			    errlen) < 0)
				return -1;
			if (pass == 1 && bf_opts_set(o, key, value, true, why,
			    sizeof(why)) < 0) {
				snprintf(err, errlen, "--%s", why);
				return -1;
			}
		}
	}
	return 0;
}

int
bf_opts_start(struct bf_opts *o, const struct bf_opttab *t, int argc,
    char **argv)
{
	char err[1024];

	if (bf_opts_parse(o, t, argc, argv, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: %s (--help lists the options)\n", t->prog,
		    err);
		return -1;
	}
	if (bf_opts_bool(o, "help"))
		bf_opts_usage(t, stdout);
	else if (bf_opts_bool(o, "help-man"))
		bf_opts_man(t, stdout);
	else if (bf_opts_bool(o, "version"))
		printf("%s\n", t->version);
	else
		return 0;
	return 1;
}

void
bf_opts_copy(const struct bf_opts *o, const char *name, char *out, size_t n)
{
	snprintf(out, n, "%s", bf_opts_str(o, name));
}

int
bf_opts_print_config(const struct bf_opts *o, int rc)
{
	if (rc != 0 || !bf_opts_bool(o, "print-config"))
		return rc;
	bf_opts_print(o, stdout);
	return 1;
}

static const struct bf_optdef *
def_of(const struct bf_opts *o, const char *name)
{
	const struct bf_optdef *d = find_def(o->tab, name);

	if (d == NULL) {
		fprintf(stderr, "%s: option table has no '%s'\n", o->tab->prog,
		    name);
		abort();
	}
	return d;
}

bool
bf_opts_given(const struct bf_opts *o, const char *name)
{
	for (size_t i = 0; i < o->n; i++)
		if (strcmp(o->e[i].key, name) == 0)
			return true;
	return false;
}

const char *
bf_opts_str(const struct bf_opts *o, const char *name)
{
	const struct bf_optdef *d = def_of(o, name);

	for (size_t i = o->n; i-- > 0;)
		if (o->e[i].def == d)
			return o->e[i].value;
	return d->def != NULL ? d->def : "";
}

long long
bf_opts_int(const struct bf_opts *o, const char *name)
{
	return strtoll(bf_opts_str(o, name), NULL, 10);
}

bool
bf_opts_bool(const struct bf_opts *o, const char *name)
{
	return word_in(bf_opts_str(o, name), true_words);
}

size_t
bf_opts_count(const struct bf_opts *o, const char *name)
{
	const struct bf_optdef *d = def_of(o, name);
	const char *p = d->def != NULL ? d->def : "";
	size_t n = 0;

	for (size_t i = 0; i < o->n; i++)
		n += o->e[i].def == d;
	if (n > 0)
		return n;
	while (*(p += strspn(p, " ")) != '\0') {
		n++;
		p += strcspn(p, " ");
	}
	return n;
}

const char *
bf_opts_nth(const struct bf_opts *o, const char *name, size_t i,
    char *buf, size_t buflen)
{
	const struct bf_optdef *d = def_of(o, name);
	const char *p = d->def != NULL ? d->def : "";
	size_t n = 0, len;

	for (size_t k = 0; k < o->n; k++)
		if (o->e[k].def == d && n++ == i)
			return o->e[k].value;
	if (n > 0)
		return NULL;
	while (*(p += strspn(p, " ")) != '\0') {
		len = strcspn(p, " ");
		if (n++ == i) {
			snprintf(buf, buflen, "%.*s", (int)len, p);
			return buf;
		}
		p += len;
	}
	return NULL;
}

int
bf_opts_ns(const struct bf_opts *o, const char *ns, size_t i,
    const char **key, const char **value)
{
	size_t len = strlen(ns);

	for (size_t k = 0; k < o->n; k++) {
		if (o->e[k].def != NULL || strncmp(o->e[k].key, ns, len) != 0)
			continue;
		if (i-- == 0) {
			*key = o->e[k].key + len;
			*value = o->e[k].value;
			return 0;
		}
	}
	return -1;
}
