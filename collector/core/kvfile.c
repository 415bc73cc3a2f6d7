/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kvfile.c: the "key = value" config file reader.
 */
#include "kvfile.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* '_' to '-' up to the first '.', which starts another's namespace. */
static void
dash_key(char *k)
{
	for (; *k && *k != '.'; k++)
		if (*k == '_')
			*k = '-';
}

/* The comment of a line: a '#' outside quotes. */
static char *
comment_start(char *s)
{
	char quote = 0;

	for (; *s; s++) {
		if (quote != 0 && *s == quote)
			quote = 0;
		else if (quote == 0 && (*s == '"' || *s == '\''))
			quote = *s;
		else if (quote == 0 && *s == '#')
			return s;
	}
	return NULL;
}

/* "value" or 'value': the quotes are not part of it. */
static char *
unquote(char *v)
{
	size_t n = strlen(v);

	if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
		v[n - 1] = '\0';
		return v + 1;
	}
	return v;
}

int
bf_kvfile_load(const char *path, bf_kv_set set, void *arg, char *err,
    size_t errlen)
{
	FILE *f = fopen(path, "r");
	char line[2048], why[512];
	int lineno = 0, rc = 0;

	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
		char *hash, *eq, *k;

		lineno++;
		if ((hash = comment_start(line)) != NULL)
			*hash = '\0';
		k = trim(line);
		if (*k == '\0')
			continue;
		if ((eq = strchr(k, '=')) == NULL) {
			snprintf(err, errlen, "%s:%d: expected 'key = value'",
			    path, lineno);
			rc = -1;
			break;
		}
		*eq = '\0';
		k = trim(k);
		dash_key(k);
		if (set(arg, k, unquote(trim(eq + 1)), why, sizeof(why)) < 0) {
			snprintf(err, errlen, "%s:%d: %s", path, lineno, why);
			rc = -1;
		}
	}
	fclose(f);
	return rc;
}
