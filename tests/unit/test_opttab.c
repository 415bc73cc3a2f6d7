/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The option table engine: flags in every spelling, config files, the
 * rules between them (a flag replaces a file's repeatable key), values
 * checked when set, secrets masked, --help text from the table.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/opttab.h"
#include "test_util.h"

static const char *const levels[] = { "error", "info", NULL };
static const char *const ns[] = { "kafka.", NULL };

static int
even_check(const char *v)
{
	return atoi(v) % 2 == 0 ? 0 : -1;
}

static const struct bf_optdef defs[] = {
	{ "config", 0, BF_OT_PATH, NULL, 0, 0, NULL, BF_OF_CLI, "FILE",
	  "config file", NULL, NULL, NULL },
	{ "listen", 0, BF_OT_LISTEN, "0.0.0.0:5000 [::]:5000", 0, 0, NULL,
	  BF_OF_REPEAT, "ADDR:PORT", "listener", NULL, NULL, NULL },
	{ "brokers", 'b', BF_OT_HOSTS, NULL, 0, 0, NULL, 0, "LIST", "brokers",
	  NULL, NULL, NULL },
	{ "old-brokers", 0, BF_OT_HOSTS, NULL, 0, 0, NULL, 0, "LIST", NULL,
	  "brokers", NULL, NULL },
	{ "max", 'n', BF_OT_INT, "10", 1, 100, NULL, 0, "N", "how many", NULL,
	  NULL, NULL },
	{ "wait", 0, BF_OT_MS, "500", 10, 1000, NULL, 0, "MS", "wait", NULL,
	  NULL, NULL },
	{ "level", 0, BF_OT_ENUM, "info", 0, 0, levels, 0, "L", "level", NULL,
	  NULL, NULL },
	{ "raw", 0, BF_OT_BOOL, "false", 0, 0, NULL, 0, "BOOL", "raw", NULL,
	  NULL, NULL },
	{ "follow", 'f', BF_OT_SWITCH, NULL, 0, 0, NULL, 0, NULL, "follow",
	  NULL, NULL, NULL },
	{ "name", 0, BF_OT_STR, "x", 0, 8, NULL, 0, "S", "a name", NULL, NULL,
	  NULL },
	{ "password", 0, BF_OT_STR, NULL, 0, 0, NULL, BF_OF_SECRET, "P",
	  "a secret", NULL, NULL, NULL },
	{ "even", 0, BF_OT_INT, "2", 0, 100, NULL, 0, "N", "an even number",
	  NULL, even_check, "an even number" },
};

static const struct bf_opttab tab = {
	.prog = "t", .synopsis = "[options]", .about = "About.\n",
	BF_OPTTAB_DEFS(defs),
	.namespaces = ns, .operands = "FILE...", .version = "t 1",
};

static char tmp_conf[64];

/* A config file holding text; its path in tmp_conf. */
static const char *
conf_file(const char *text)
{
	int fd;

	snprintf(tmp_conf, sizeof(tmp_conf), "/tmp/test_opttab.XXXXXX");
	fd = mkstemp(tmp_conf);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (int)strlen(text));
	close(fd);
	return tmp_conf;
}

/* Parse argv (NULL-terminated, without the program name). */
static int
parse(struct bf_opts *o, char *err, size_t errlen, const char *const *args)
{
	char *argv[32] = { "t" };
	int argc = 1;

	for (; args[argc - 1] != NULL; argc++)
		argv[argc] = (char *)(uintptr_t)args[argc - 1];
	return bf_opts_parse(o, &tab, argc, argv, err, errlen);
}

/* The value every spelling of a flag sets. */
static const struct {
	const char	*args[4];
	const char	*name;
	const char	*value;
} spellings[] = {
	{ { "--max", "7" }, "max", "7" },
	{ { "--max=7" }, "max", "7" },
	{ { "-n", "7" }, "max", "7" },
	{ { "-n7" }, "max", "7" },
	{ { "--follow" }, "follow", "true" },
	{ { "-f" }, "follow", "true" },
	{ { "--brokers=a:1,[::1]:2" }, "brokers", "a:1,[::1]:2" },
	{ { "--old-brokers", "k:9092" }, "brokers", "k:9092" },
	{ { "--level=error" }, "level", "error" },
	{ { "--kafka.linger.ms", "5" }, NULL, "5" },
	{ { "--kafka.linger.ms=5" }, NULL, "5" },
	{ { "--wait", "10" }, "wait", "10" },
};

START_TEST(test_spellings)
{
	struct bf_opts o;
	char err[256];
	const char *k, *v;

	ck_assert_msg(parse(&o, err, sizeof(err), spellings[_i].args) == 0,
	    "%s: %s", spellings[_i].args[0], err);
	if (spellings[_i].name != NULL) {
		ck_assert_str_eq(bf_opts_str(&o, spellings[_i].name),
		    spellings[_i].value);
	} else {
		ck_assert_int_eq(bf_opts_ns(&o, "kafka.", 0, &k, &v), 0);
		ck_assert_str_eq(k, "linger.ms");
		ck_assert_str_eq(v, spellings[_i].value);
	}
	bf_opts_free(&o);
}
END_TEST

/* Refused at parse time, and what the message says. */
static const struct {
	const char	*args[4];
	const char	*msg;
} refused[] = {
	{ { "--bogus" }, "unknown option --bogus" },
	{ { "--bogus", "1" }, "unknown option --bogus" },
	{ { "-z" }, "unknown option -z" },
	{ { "--listen", "0.0.0.0:99999" }, "--listen '0.0.0.0:99999': "
	    "expected ADDRESS:PORT" },
	{ { "--listen=1.2.3:5" }, "--listen '1.2.3:5': expected" },
	{ { "--listen", "5000" }, "--listen '5000': expected" },
	{ { "-n", "abc" }, "--max 'abc': expected 1..100" },
	{ { "-n", "101" }, "--max '101': expected 1..100" },
	{ { "--max", "" }, "--max '': expected 1..100" },
	{ { "--wait", "5" }, "--wait '5': expected 10..1000 ms" },
	{ { "--brokers", "k" }, "--brokers 'k': expected HOST:PORT" },
	{ { "--brokers", "k:0" }, "--brokers 'k:0': expected" },
	{ { "--level", "loud" }, "--level 'loud': expected error or info" },
	{ { "--raw", "maybe" }, "--raw 'maybe': expected true or false" },
	{ { "--name", "123456789" }, "--name '123456789': expected at most 8" },
	{ { "--even", "3" }, "--even '3': expected an even number" },
	{ { "--max" }, "--max: missing value" },
	{ { "-fn" }, "-f takes no value" },
};

START_TEST(test_refused)
{
	struct bf_opts o;
	char err[256] = "";

	ck_assert_int_eq(parse(&o, err, sizeof(err), refused[_i].args), -1);
	ck_assert_msg(strstr(err, refused[_i].msg) != NULL, "'%s' lacks '%s'",
	    err, refused[_i].msg);
	bf_opts_free(&o);
}
END_TEST

START_TEST(test_file_and_flags)
{
	struct bf_opts o;
	char err[256], buf[64];
	const char *path = conf_file("# c\nlisten = 127.0.0.1:1\n"
	    "listen = 127.0.0.1:2\nmax = \"42\"   # quoted\n"
	    "name = 'a # b'\nkafka.sasl.password = \"s#1\"\n");
	const char *args[] = { "--config", path, "--listen", "[::1]:3",
	    "--listen=[::1]:4", "file1", "-n", "43", "file2", NULL };

	ck_assert_msg(parse(&o, err, sizeof(err), args) == 0, "%s", err);
	/* The flags replace the file's listeners, and add to each other. */
	ck_assert_uint_eq(bf_opts_count(&o, "listen"), 2);
	ck_assert_str_eq(bf_opts_nth(&o, "listen", 0, buf, sizeof(buf)),
	    "[::1]:3");
	ck_assert_str_eq(bf_opts_nth(&o, "listen", 1, buf, sizeof(buf)),
	    "[::1]:4");
	ck_assert_int_eq(bf_opts_int(&o, "max"), 43);
	/* Quotes stripped; a '#' inside them is no comment. */
	ck_assert_str_eq(bf_opts_str(&o, "name"), "a # b");
	ck_assert_int_eq(o.n_operands, 2);
	ck_assert_str_eq(o.operands[0], "file1");
	ck_assert_str_eq(o.operands[1], "file2");
	bf_opts_free(&o);
	unlink(path);
}
END_TEST

START_TEST(test_defaults)
{
	struct bf_opts o;
	char err[256], buf[64];
	const char *args[] = { NULL };

	ck_assert_int_eq(parse(&o, err, sizeof(err), args), 0);
	ck_assert_uint_eq(bf_opts_count(&o, "listen"), 2);
	ck_assert_str_eq(bf_opts_nth(&o, "listen", 1, buf, sizeof(buf)),
	    "[::]:5000");
	ck_assert_int_eq(bf_opts_int(&o, "max"), 10);
	ck_assert(!bf_opts_bool(&o, "raw"));
	ck_assert(!bf_opts_bool(&o, "follow"));
	ck_assert(!bf_opts_given(&o, "max"));
	ck_assert_str_eq(bf_opts_str(&o, "brokers"), "");
	bf_opts_free(&o);
}
END_TEST

START_TEST(test_file_errors)
{
	struct bf_opts o;
	char err[512];
	const char *path = conf_file("max = 5\nlisten = 0.0.0.0:99999\n");
	const char *args[] = { "--config", path, NULL };
	char want[128];

	ck_assert_int_eq(parse(&o, err, sizeof(err), args), -1);
	snprintf(want, sizeof(want), "%s:2: listen '0.0.0.0:99999': expected "
	    "ADDRESS:PORT", path);
	ck_assert_msg(strstr(err, want) != NULL, "%s", err);
	bf_opts_free(&o);
	unlink(path);
	path = conf_file("bogus = 1\n");
	args[1] = path;
	ck_assert_int_eq(parse(&o, err, sizeof(err), args), -1);
	ck_assert_msg(strstr(err, ":1: unknown setting 'bogus'") != NULL, "%s",
	    err);
	bf_opts_free(&o);
	unlink(path);
	path = conf_file("config = x\n");
	args[1] = path;
	ck_assert_int_eq(parse(&o, err, sizeof(err), args), -1);
	ck_assert_msg(strstr(err, ":1: config: a command-line flag") != NULL,
	    "%s", err);
	bf_opts_free(&o);
	unlink(path);
}
END_TEST

/* Text printed by fn into a string. */
static char *
printed(void (*fn)(const struct bf_opts *, FILE *), const struct bf_opts *o)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	fn(o, f);
	fclose(f);
	return text;
}

START_TEST(test_print_masks_secrets)
{
	struct bf_opts o;
	char err[256];
	char *out;
	const char *args[] = { "--password", "hunter2", "--kafka.sasl.password",
	    "pw", "--kafka.ssl.key.password=kp", "--kafka.linger.ms", "5",
	    "--name", "a#b", NULL };

	ck_assert_int_eq(parse(&o, err, sizeof(err), args), 0);
	out = printed(bf_opts_print, &o);
	ck_assert_msg(strstr(out, "hunter2") == NULL, "%s", out);
	ck_assert_msg(strstr(out, "pw\n") == NULL, "%s", out);
	ck_assert_msg(strstr(out, "kp") == NULL, "%s", out);
	ck_assert_msg(strstr(out, "password = ***\n") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "kafka.sasl.password = ***\n") != NULL, "%s",
	    out);
	ck_assert_msg(strstr(out, "kafka.linger.ms = 5\n") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "listen = 0.0.0.0:5000\nlisten = [::]:5000\n")
	    != NULL, "%s", out);
	/* Read back, the quoted value is the same. */
	ck_assert_msg(strstr(out, "name = \"a#b\"\n") != NULL, "%s", out);
	/* Flag-only options are no file keys. */
	ck_assert_msg(strstr(out, "config") == NULL, "%s", out);
	free(out);
	bf_opts_free(&o);
}
END_TEST

static void
usage_of(const struct bf_opts *o, FILE *f)
{
	bf_opts_usage(o->tab, f);
}

static void
man_of(const struct bf_opts *o, FILE *f)
{
	bf_opts_man(o->tab, f);
}

START_TEST(test_help_and_man)
{
	struct bf_opts o = { .tab = &tab };
	char *out = printed(usage_of, &o);

	ck_assert_msg(strstr(out, "  -n, --max N") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "how many [10]") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "old-brokers") == NULL, "alias shown: %s",
	    out);
	free(out);
	out = printed(man_of, &o);
	ck_assert_msg(strstr(out, ".SH OPTIONS\n") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "\\fB\\-n\\fR, \\fB\\-\\-max\\fR \\fIN\\fR")
	    != NULL, "%s", out);
	ck_assert_msg(strstr(out, "(1..100)") != NULL, "%s", out);
	free(out);
}
END_TEST

START_TEST(test_hostport_split)
{
	char host[64];
	unsigned port;

	ck_assert_int_eq(bf_hostport_split("[2001:db8::1]:179", host,
	    sizeof(host), &port), 0);
	ck_assert_str_eq(host, "2001:db8::1");
	ck_assert_uint_eq(port, 179);
	ck_assert_int_eq(bf_hostport_split(":5000", host, sizeof(host),
	    &port), 0);
	ck_assert_str_eq(host, "");
	ck_assert_int_eq(bf_hostport_split("h:65536", host, sizeof(host),
	    &port), -1);
	ck_assert_int_eq(bf_hostport_split("[::1]5", host, sizeof(host),
	    &port), -1);
	ck_assert_int_eq(bf_hostport_split("h:", host, sizeof(host), &port),
	    -1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("opttab");
	TCase *tc = tcase_create("opttab");

	tcase_add_loop_test(tc, test_spellings, 0,
	    sizeof(spellings) / sizeof(spellings[0]));
	tcase_add_loop_test(tc, test_refused, 0,
	    sizeof(refused) / sizeof(refused[0]));
	tcase_add_test(tc, test_file_and_flags);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_file_errors);
	tcase_add_test(tc, test_print_masks_secrets);
	tcase_add_test(tc, test_help_and_man);
	tcase_add_test(tc, test_hostport_split);
	suite_add_tcase(s, tc);
	return bf_run_suite(s);
}
