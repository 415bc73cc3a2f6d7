/* SPDX-License-Identifier: Apache-2.0 */
/*
 * textfile.c: line-oriented input files and error messages (see
 * textfile.h).
 */
#ifndef _GNU_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "textfile.h"

#define QUOTE_MAX	64	/* bytes of a cut line quoted in its error */

void
textfile_err(char *err, size_t errlen, const char *fmt, ...)
{
	char raw[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	bf_log_escape(raw, err, errlen);
}

/* Whether line holds nothing but a '#' comment. */
static int
comment_only(const char *line)
{
	while (isspace((unsigned char)*line))
		line++;
	return *line == '#';
}

int
textfile_read(const char *path, textfile_line_fn each, void *arg,
    long *comments, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *line = NULL, why[256];
	size_t cap = 0;
	ssize_t len;
	long lineno = 0;
	int rc = 0;

	*comments = 0;
	if (f == NULL) {
		textfile_err(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (rc == 0 && (len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if (len == 0 || line[len - 1] != '\n') {
			textfile_err(err, errlen, "%s:%ld: last line \"%.*s%s\" "
			    "has no new line: the file is cut short or still "
			    "being written (replace it by renaming a complete "
			    "file over it)", path, lineno, QUOTE_MAX, line,
			    len > QUOTE_MAX ? "..." : "");
			rc = -1;
			break;
		}
		line[len - 1] = '\0';
		if (strlen(line) != (size_t)len - 1) {
			textfile_err(err, errlen, "%s:%ld: a NUL byte in the "
			    "line (not a text file?)", path, lineno);
			rc = -1;
			break;
		}
		*comments += comment_only(line);
		if ((rc = each(line, lineno, arg, why, sizeof(why))) < 0)
			textfile_err(err, errlen, "%s:%ld: %s", path, lineno,
			    why);
	}
	if (rc == 0 && ferror(f)) {
		textfile_err(err, errlen, "%s: read error: %s", path,
		    strerror(errno));
		rc = -1;
	}
	free(line);
	fclose(f);
	return rc;
}
