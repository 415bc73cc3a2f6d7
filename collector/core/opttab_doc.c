/* SPDX-License-Identifier: Apache-2.0 */
/*
 * opttab_doc.c: what an option table tells: --help, --print-config
 * (secrets masked) and the man page.
 */
#include "opttab.h"

#include <stdio.h>
#include <string.h>

/* "--name, -x ARG" as --help and the man page show it. */
static void
flag_text(const struct bf_optdef *d, char *buf, size_t len)
{
	if (d->letter != 0)
		snprintf(buf, len, "-%c, --%s%s%s", d->letter, d->name,
		    d->arg ? " " : "", d->arg ? d->arg : "");
	else
		snprintf(buf, len, "    --%s%s%s", d->name, d->arg ? " " : "",
		    d->arg ? d->arg : "");
}

static bool
hidden(const struct bf_optdef *d)
{
	return d->alias_of != NULL || d->help == NULL || d->help[0] == '\0';
}

/* text in lines of at most 79 columns, the first after col, the next
 * ones indented to it. */
static void
wrap(FILE *f, const char *text, int col)
{
	int at = col;

	while (*text != '\0') {
		int n = (int)strcspn(text, " ");

		if (at > col && at + 1 + n > 79) {
			fprintf(f, "\n%*s", col, "");
			at = col;
		} else if (at > col) {
			fputc(' ', f);
			at++;
		}
		fprintf(f, "%.*s", n, text);
		at += n;
		text += n;
		text += strspn(text, " ");
	}
	fputc('\n', f);
}

void
bf_opts_usage(const struct bf_opttab *t, FILE *f)
{
	char flag[128], line[1024];
	size_t n_line;
	int n;

	fprintf(f, "usage: %s %s\n\n%s\n", t->prog, t->synopsis, t->about);
	for (size_t i = 0; bf_opttab_def(t, i) != NULL; i++) {
		const struct bf_optdef *d = bf_opttab_def(t, i);

		if (hidden(d))
			continue;
		flag_text(d, flag, sizeof(flag));
		n = fprintf(f, "  %-32s ", flag);
		n_line = (size_t)snprintf(line, sizeof(line), "%s", d->help);
		/* A repeatable default's words, as a list; others whole. */
		for (const char *p = d->def; p != NULL && *p != '\0' &&
		    n_line < sizeof(line);) {
			int word = (d->flags & BF_OF_REPEAT) ?
			    (int)strcspn(p, " ") : (int)strlen(p);

			n_line += (size_t)snprintf(line + n_line,
			    sizeof(line) - n_line, "%s%.*s", p == d->def ? " [" :
			    ", ", word, p);
			p += word;
			p += strspn(p, " ");
		}
		if (d->def != NULL && d->def[0] != '\0' && n_line < sizeof(line))
			snprintf(line + n_line, sizeof(line) - n_line, "]");
		wrap(f, line, n > 35 ? n : 35);
	}
	if (t->footer != NULL)
		fprintf(f, "\n%s", t->footer);
}

/*
 * Secrets: options marked so (d), and namespaced keys (d NULL) such as
 * kafka.sasl.password.
 */
static bool
secret(const struct bf_optdef *d, const char *key)
{
	return d != NULL ? (d->flags & BF_OF_SECRET) != 0 :
	    strstr(key, "password") != NULL || strstr(key, "secret") != NULL;
}

/* A value the file reader would change (a '#', edge blanks) is quoted. */
static void
print_line(FILE *f, const char *key, const char *v, bool mask)
{
	bool quote = strchr(v, '#') != NULL || (v[0] != '\0' &&
	    (v[0] == ' ' || v[strlen(v) - 1] == ' ' || v[0] == '"' ||
	    v[0] == '\''));

	if (mask)
		v = "***";
	fprintf(f, "%s = %s%s%s\n", key, quote && !mask ? "\"" : "", v,
	    quote && !mask ? "\"" : "");
}

void
bf_opts_print(const struct bf_opts *o, FILE *f)
{
	const struct bf_opttab *t = o->tab;
	char buf[256];

	for (size_t i = 0; i < t->n_defs; i++) {
		const struct bf_optdef *d = &t->defs[i];

		if ((d->flags & BF_OF_CLI) || d->alias_of != NULL)
			continue;
		if (d->flags & BF_OF_REPEAT) {
			size_t n = bf_opts_count(o, d->name);

			for (size_t k = 0; k < n; k++)
				print_line(f, d->name, bf_opts_nth(o, d->name,
				    k, buf, sizeof(buf)), secret(d, d->name));
		} else {
			print_line(f, d->name, bf_opts_str(o, d->name),
			    secret(d, d->name) && bf_opts_given(o, d->name));
		}
	}
	for (size_t i = 0; i < o->n; i++)
		if (o->e[i].def == NULL)
			print_line(f, o->e[i].key, o->e[i].value,
			    secret(NULL, o->e[i].key));
}

/*
 * Text as roff: '-' and '\\' escaped, and a line that would start with a
 * control character ('.' or '\'') guarded, so help text prints as written.
 */
static void
roff_text(FILE *f, const char *s)
{
	bool line_start = true;

	for (; *s; s++) {
		if (line_start && (*s == '.' || *s == '\''))
			fputs("\\&", f);
		if (*s == '-' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
		line_start = *s == '\n';
	}
}

void
bf_opts_man(const struct bf_opttab *t, FILE *f)
{
	char want[256];

	/* A whole page: man(7) header, NAME, SYNOPSIS, DESCRIPTION. */
	fputs(".TH ", f);
	for (const char *c = t->prog; *c; c++)
		fputc(*c >= 'a' && *c <= 'z' ? *c - 'a' + 'A' : *c, f);
	fprintf(f, " %d \"\" \"", t->man_section != 0 ? t->man_section : 1);
	roff_text(f, t->version);
	fputs("\" \"bmpflow\"\n.SH NAME\n", f);
	roff_text(f, t->prog);
	fputs("\n.SH SYNOPSIS\n.B ", f);
	roff_text(f, t->prog);
	fputc('\n', f);
	roff_text(f, t->synopsis);
	fputs("\n.SH DESCRIPTION\n", f);
	roff_text(f, t->about);
	fputs("\n.SH OPTIONS\n", f);
	for (size_t i = 0; bf_opttab_def(t, i) != NULL; i++) {
		const struct bf_optdef *d = bf_opttab_def(t, i);

		if (hidden(d))
			continue;
		fputs(".TP\n", f);
		if (d->letter != 0)
			fprintf(f, "\\fB\\-%c\\fR, ", d->letter);
		fputs("\\fB\\-\\-", f);
		roff_text(f, d->name);
		fputs("\\fR", f);
		if (d->arg != NULL) {
			fputs(" \\fI", f);
			roff_text(f, d->arg);
			fputs("\\fR", f);
		}
		fputc('\n', f);
		roff_text(f, d->help);
		if (d->type != BF_OT_STR && d->type != BF_OT_PATH &&
		    d->type != BF_OT_SWITCH) {
			bf_optdef_expectation(d, want, sizeof(want));
			fputs(" (", f);
			roff_text(f, want);
			fputc(')', f);
		}
		if (d->def != NULL && d->def[0] != '\0') {
			fputs(" Default: \\fB", f);
			roff_text(f, d->def);
			fputs("\\fR.", f);
		}
		if (!(d->flags & BF_OF_CLI)) {
			fputs(" Config file key: \\fB", f);
			roff_text(f, d->name);
			fputs("\\fR.", f);
		}
		fputc('\n', f);
	}
	if (t->footer != NULL) {
		fputs(".SH NOTES\n", f);
		roff_text(f, t->footer);
		fputc('\n', f);
	}
}
