/* SPDX-License-Identifier: Apache-2.0 */
/*
 * opttab.h: a program's options declared once, in one table, from which
 * come the parsing of flags ("--key value", "--key=value", "-k value")
 * and of config files ("key = value", '#' comments, quotes stripped),
 * --help, --print-config (secrets masked) and the man page section.
 *
 * Values are checked when they are set, so a bad port or number is
 * refused by the flag or the file line that gave it.  They are kept as
 * text; the getters read them back typed.  A flag replaces what the
 * config file said for the same key, repeatable keys included.  Every
 * program has --help (-h), --version (-V) and --help-man besides its
 * table's options.
 */
#ifndef BF_OPTTAB_H
#define BF_OPTTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum bf_opt_type {
	BF_OT_STR,	/* text */
	BF_OT_PATH,	/* a file or directory */
	BF_OT_INT,	/* integer in [lo, hi] */
	BF_OT_MS,	/* milliseconds in [lo, hi] */
	BF_OT_SEC,	/* seconds in [lo, hi] */
	BF_OT_BOOL,	/* true/false, yes/no, on/off, 1/0 */
	BF_OT_ENUM,	/* one of choices */
	BF_OT_HOSTS,	/* host:port[,host:port...], e.g. Kafka brokers */
	BF_OT_LISTEN,	/* [ADDR]:PORT to listen on, IPv6 in brackets */
	BF_OT_SWITCH,	/* a flag without value (--follow) */
};

/* bf_optdef.flags */
#define BF_OF_REPEAT	0x01	/* may be given many times */
#define BF_OF_SECRET	0x02	/* printed as *** */
#define BF_OF_CLI	0x04	/* a command-line flag only, no file key */

struct bf_optdef {
	const char	*name;		/* "max-sessions"; file key and --flag */
	char		 letter;	/* short flag, or 0 */
	enum bf_opt_type type;
	const char	*def;		/* default text; repeatable: words */
	long long	 lo, hi;	/* numbers: range; text: hi = max length */
	const char *const *choices;	/* BF_OT_ENUM, NULL-terminated */
	unsigned	 flags;		/* BF_OF_* */
	const char	*arg;		/* value's name in --help, "N" */
	const char	*help;		/* one line; "" hides the option */
	const char	*alias_of;	/* an old spelling of this option:
					 * accepted with a warning */
	/* An extra check of the value (an address, a prefix); 0 when good. */
	int		(*check)(const char *value);
	const char	*expect;	/* what check wants, for the error */
};

struct bf_opttab {
	const char		*prog;		/* "bmpflow-collector" */
	const char		*synopsis;	/* after "usage: prog " */
	const char		*about;		/* paragraph before the options */
	const char		*footer;	/* paragraph after them, or NULL */
	const struct bf_optdef	*defs;
	size_t			 n_defs;
	/*
	 * Key namespaces handed through as they are ("kafka." for librdkafka
	 * properties), NULL-terminated, or NULL.  A key in one is kept once,
	 * its last value; names with "password" or "secret" are masked.
	 */
	const char *const	*namespaces;
	const char		*operands;	/* "FILE..." when the program
						 * takes any, else NULL */
	const char		*version;	/* what --version prints */
	int			 man_section;	/* 8 for daemons; 0 means 1 */
};

/* A bf_opttab's defs and n_defs, from its array of bf_optdef. */
#define BF_OPTTAB_DEFS(table) \
	.defs = (table), .n_defs = sizeof(table) / sizeof((table)[0])

struct bf_opt_entry {
	const struct bf_optdef	*def;	/* NULL: a namespaced key */
	char			*key;
	char			*value;
	bool			 from_flag;
};

struct bf_opts {
	const struct bf_opttab	*tab;
	struct bf_opt_entry	*e;
	size_t			 n, cap;
	char			**operands;	/* argv's strings, in order */
	int			 n_operands;
};

/*
 * argv → o.  The file of the table's "config" option, when given, is read
 * first, wherever it is on the command line, so that flags replace its
 * keys.  Returns 0, or -1 with a message in err ("unknown option --x",
 * "FILE:LINE: key 'value': expected ...").  o is freed by bf_opts_free
 * in both cases.
 */
int	bf_opts_parse(struct bf_opts *o, const struct bf_opttab *t, int argc,
	    char **argv, char *err, size_t errlen);
/*
 * bf_opts_parse, then the flags every program has: --help, --help-man
 * and --version print what they ask for.  Returns 0 to run on, 1 when
 * one of those was printed (exit 0), -1 when refused, said on stderr
 * (exit 2).  The caller frees o in every case.
 */
int	bf_opts_start(struct bf_opts *o, const struct bf_opttab *t, int argc,
	    char **argv);
/*
 * After bf_opts_start's rc (and the caller's checks): with --print-config,
 * the settings printed and 1 (exit 0); else rc.
 */
int	bf_opts_print_config(const struct bf_opts *o, int rc);
/* One key from a file (from_flag false) or a flag.  0, or -1 and err. */
int	bf_opts_set(struct bf_opts *o, const char *key, const char *value,
	    bool from_flag, char *err, size_t errlen);
void	bf_opts_free(struct bf_opts *o);

/* The value of name: the last given, else its default, else "". */
const char *bf_opts_str(const struct bf_opts *o, const char *name);
/* bf_opts_str's value into out[n], cut to fit. */
void	bf_opts_copy(const struct bf_opts *o, const char *name, char *out,
	    size_t n);
long long bf_opts_int(const struct bf_opts *o, const char *name);
bool	bf_opts_bool(const struct bf_opts *o, const char *name);
/* Whether name was given at all (in the file or as a flag). */
bool	bf_opts_given(const struct bf_opts *o, const char *name);
/* Values of a repeatable name (given, else the default's words). */
size_t	bf_opts_count(const struct bf_opts *o, const char *name);
const char *bf_opts_nth(const struct bf_opts *o, const char *name, size_t i,
	    char *buf, size_t buflen);
/*
 * The i-th key under namespace ns ("kafka."), with the namespace cut off:
 * 0 with *key and *value set, -1 past the last.
 */
int	bf_opts_ns(const struct bf_opts *o, const char *ns, size_t i,
	    const char **key, const char **value);

/* Option i of t, then of the flags every program has; NULL past them. */
const struct bf_optdef *bf_opttab_def(const struct bf_opttab *t, size_t i);
/* What a value of d must be, the text after "expected " in errors. */
void	bf_optdef_expectation(const struct bf_optdef *d, char *buf,
	    size_t len);

/* --help text. */
void	bf_opts_usage(const struct bf_opttab *t, FILE *f);
/* Every file key with its value, as a config file; secrets as ***. */
void	bf_opts_print(const struct bf_opts *o, FILE *f);
/* The OPTIONS section of a man page, roff. */
void	bf_opts_man(const struct bf_opttab *t, FILE *f);

/*
 * "HOST:PORT" or "[V6]:PORT" → host (brackets removed) and port.  0, or
 * -1 when the port is not 0..65535 or the host does not fit.
 */
int	bf_hostport_split(const char *s, char *host, size_t hostlen,
	    unsigned *port);

#endif /* BF_OPTTAB_H */
