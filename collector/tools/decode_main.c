/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bmpflow-decode: read raw BMP byte streams (what a router sends on its
 * TCP connection) and print what they hold.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/opttab.h"
#include "../parse/bmp_frame.h"
#include "decode_print.h"

#define READ_CHUNK	(256 * 1024)

struct decode_opts {
	bool	json;
	bool	quiet;
	size_t	max_msg;
};

struct file_ctx {
	const char		*name;
	const struct decode_opts *o;
	size_t			 base;		/* file offset of buffer start */
	unsigned long		 errors;
};

static const struct bf_optdef decode_opts_table[] = {
	{ "json", 'j', BF_OT_SWITCH, NULL, 0, 0, NULL, 0, NULL,
	  "one JSON object per BMP message", NULL, NULL, NULL },
	{ "quiet", 'q', BF_OT_SWITCH, NULL, 0, 0, NULL, 0, NULL,
	  "print only the summary and errors", NULL, NULL, NULL },
	{ "max-message-size", 'm', BF_OT_INT, "1048576", 6, 1 << 30, NULL, 0,
	  "BYTES", "largest BMP message accepted", NULL, NULL, NULL },
};

static const struct bf_opttab decode_opttab = {
	.prog = "bmpflow-decode",
	.synopsis = "[options] FILE...",
	.about =
"Decode raw BMP streams (RFC 7854: the bytes a router sends on its BMP TCP\n"
"session, e.g. ../shared/data/bmp/*.bmp) and print one line per message.\n"
"FILE may be - for standard input.\n",
	.footer =
"A summary (messages per type, prefixes, errors) goes to standard error.\n"
"Exit status: 0 when every message decoded, 1 when any did not (each is\n"
"named with its file, byte offset and reason), 2 on usage or I/O errors.\n",
	BF_OPTTAB_DEFS(decode_opts_table),
	.operands = "FILE...",
	.version = "bmpflow-decode " BMPFLOW_VERSION,
};

static const char *
outcome_label(enum bgp_outcome o)
{
	switch (o) {
	case BGP_ATTR_DISCARD:
		return "RFC 7606 attribute-discard";
	case BGP_TREAT_AS_WITHDRAW:
		return "RFC 7606 treat-as-withdraw";
	case BGP_SESSION_RESET:
		return "unusable UPDATE";
	default:
		return "warning, data kept";
	}
}

static void
on_message(struct bmp_stream *s, size_t off, enum bmp_msg_result res,
    const struct bf_err *err, void *arg)
{
	struct file_ctx *fc = arg;
	size_t at = fc->base + off;
	char peer[BF_ADDR_STRLEN];

	if (res == BMP_MSG_ERROR) {
		fc->errors++;
		fprintf(stderr, "%s: offset %zu: %s message: %s (at message "
		    "byte %zu)\n", fc->name, at, bmp_type_name(s->msg.type),
		    err->msg, err->offset);
		return;
	}
	if (s->has_update) {
		const struct bgp_attrs *a = &s->update->attrs;

		for (uint8_t i = 0; i < a->n_issues; i++)
			fprintf(stderr, "%s: offset %zu: peer %s AS%u: %s: %s "
			    "(at message byte %zu)\n", fc->name, at,
			    s->msg.peer.type == BMP_PEER_LOC_RIB ? "loc-rib" :
			    bf_addr_fmt(&s->msg.peer.addr, peer, sizeof(peer)),
			    s->msg.peer.as, outcome_label(a->issues[i].action),
			    a->issues[i].msg,
			    a->issues[i].offset + BMP_PEER_MSG_MIN);
	}
	if (fc->o->quiet)
		return;
	if (fc->o->json)
		decode_print_json(stdout, s, at);
	else
		decode_print_text(stdout, s, at);
}

static void
print_summary(const char *name, const struct bmp_stream_stats *st,
    unsigned long errors)
{
	fprintf(stderr, "%s: %" PRIu64 " messages (", name, st->msgs);
	for (int t = 0; t < BMP_TYPE_MAX; t++)
		fprintf(stderr, "%s%s %" PRIu64, t ? ", " : "",
		    bmp_type_name((uint8_t)t), st->by_type[t]);
	fprintf(stderr, ", unknown %" PRIu64 "), %" PRIu64 " updates, %" PRIu64
	    " prefixes announced, %" PRIu64 " withdrawn, %" PRIu64
	    " end-of-rib, %" PRIu64 " treat-as-withdraw, %" PRIu64
	    " attribute-discard, %lu errors\n", st->unknown_type, st->updates,
	    st->announced, st->withdrawn, st->eor, st->treat_as_withdraw,
	    st->attr_discard, errors);
}

/* Decode one file; returns 0 when clean, 1 on decode errors, 2 on I/O errors. */
static int
decode_file(const char *path, const struct decode_opts *o)
{
	struct file_ctx fc = { .name = path, .o = o };
	struct bmp_stream s;
	FILE *f;
	uint8_t *buf;
	size_t cap = o->max_msg + READ_CHUNK, have = 0;
	int rc = 0;

	f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (f == NULL) {
		fprintf(stderr, "%s: cannot open: %s\n", path, strerror(errno));
		return 2;
	}
	if ((buf = malloc(cap)) == NULL ||
	    bmp_stream_init(&s, o->max_msg, BMP_STREAM_MAX_PEERS) < 0) {
		fprintf(stderr, "%s: out of memory\n", path);
		exit(2);
	}
	for (;;) {
		size_t n = fread(buf + have, 1, cap - have, f);
		struct bf_err err = { 0 };
		size_t err_off = 0;
		long used;

		have += n;
		used = bmp_stream_walk(&s, buf, have, on_message, &fc, &err,
		    &err_off);
		if (used < 0) {
			fprintf(stderr, "%s: offset %zu: %s; the rest of the "
			    "stream (%zu bytes) cannot be framed\n", path,
			    fc.base + err_off, err.msg, have - err_off);
			rc = 1;
			break;
		}
		memmove(buf, buf + used, have - (size_t)used);
		have -= (size_t)used;
		fc.base += (size_t)used;
		if (n == 0) {
			if (ferror(f)) {
				fprintf(stderr, "%s: read error: %s\n", path,
				    strerror(errno));
				rc = 2;
			} else if (have > 0) {
				uint32_t want = have >= 5 ?
				    (uint32_t)buf[1] << 24 | (uint32_t)buf[2] << 16 |
				    (uint32_t)buf[3] << 8 | buf[4] : 0;

				fprintf(stderr, "%s: offset %zu: stream ends "
				    "inside a message: %zu of %u bytes present\n",
				    path, fc.base, have, want);
				rc = 1;
			}
			break;
		}
	}
	if (fc.errors > 0 && rc == 0)
		rc = 1;
	print_summary(path, &s.st, fc.errors + (rc == 1 && fc.errors == 0));
	bmp_stream_free(&s);
	free(buf);
	if (f != stdin)
		fclose(f);
	return rc;
}

int
main(int argc, char **argv)
{
	struct bf_opts opts;
	struct decode_opts o;
	int rc = bf_opts_start(&opts, &decode_opttab, argc, argv);

	if (rc == 0 && opts.n_operands == 0) {
		fprintf(stderr, "bmpflow-decode: no input file (use - for "
		    "standard input)\n");
		rc = -1;
	}
	if (rc != 0) {
		bf_opts_free(&opts);
		return rc < 0 ? 2 : 0;
	}
	o.json = bf_opts_bool(&opts, "json");
	o.quiet = bf_opts_bool(&opts, "quiet");
	o.max_msg = (size_t)bf_opts_int(&opts, "max-message-size");
	for (int i = 0; i < opts.n_operands; i++) {
		int r = decode_file(opts.operands[i], &o);

		if (r > rc)
			rc = r;
	}
	bf_opts_free(&opts);
	return rc;
}
