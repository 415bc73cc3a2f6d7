/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_kafka_floor: what librdkafka alone allows the collector on this
 * machine.  A benchmark, not a test: it prints figures.
 *
 *   bench_kafka_floor FEED MESSAGES_PER_PREFIX [COLLECTOR OPTIONS...]
 *
 * FEED is a BMP file (bmpflow-gen-fulltable's).  Before the clock starts,
 * every record the collector would publish for it is built once, by the
 * collector's own decoder and encoder (bf_enc_message), and kept in
 * memory: the real records, keys and sizes, so lz4 sees the real data.
 * Then they are produced through the collector's producer (bf_producer:
 * bf_kafka_producer_defaults, its queue limits and partitioners, its
 * delivery reports counting acks) to the embedded mock cluster the
 * collector starts by default (bf_embedded_start, the same topics and
 * partition counts), with the collector's back-pressure rule (stop above
 * queue-mbytes in flight, resume at half).  MESSAGES_PER_PREFIX 1 is
 * bmp.route alone (route-state false); 3 adds each route's bmp.route.state
 * message (its record under the state key, no header) and, once every
 * route is out, its tombstone (as at the session's end).  The state keys
 * are built before the clock, by the collector's bf_state_key.
 * COLLECTOR OPTIONS are the collector's (bmpflow-collector --help):
 * --schema-dir, queue-mbytes, embedded-partitions, kafka.*.
 *
 * Printed, from the first produce to the last acknowledgement: messages
 * and prefixes per second, CPU seconds of all threads (the mock broker's
 * included, as in the collector's process), peak RSS and the part of it
 * the pre-built records take.  No collector built on librdkafka with one
 * Kafka message per record (DESIGN.md) can beat these figures here.
 */
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock_s.h"
#include "common/config.h"
#include "core/addr.h"
#include "core/clock.h"
#include "encode/records.h"
#include "normalize/route_set.h"
#include "produce/embedded.h"
#include "produce/producer.h"
#include "produce/route_state.h"
#include "read_file.h"

/* Delivery reports every this many prefixes, as after a socket read. */
#define POLL_EVERY	256
/* The collector's poll timer while paused. */
#define PAUSED_POLL_MS	5

/* One pre-built record; its bytes (key, state key, value) in the arena. */
struct prebuilt {
	size_t		 off;
	uint32_t	 key_len, state_key_len, value_len;
	uint8_t		 topic;
	const char	*schema;	/* the encoder's schema name */
};

struct feed {
	struct prebuilt	*recs;
	size_t		 n, cap;
	uint8_t		*arena;
	size_t		 used, size;
	uint64_t	 prefixes;
	bool		 state;		/* build state keys */
	bool		 failed;
};

static void *
grow(void *p, size_t *cap, size_t need, size_t elem)
{
	size_t c = *cap ? *cap : 4096;

	while (c < need)
		c *= 2;
	if (c == *cap)
		return p;
	if ((p = realloc(p, c * elem)) == NULL) {
		fprintf(stderr, "bench_kafka_floor: out of memory\n");
		exit(1);
	}
	*cap = c;
	return p;
}

/* The feed's router, as the collector names a router connecting from it. */
static struct bf_router router = { .addr = "127.0.0.1" };

/* The state key of route record r of the message in s, into out. */
static size_t
state_key(const struct bmp_stream *s, const struct bf_record *r, char *out,
    size_t n)
{
	const struct bmp_peer_hdr *h = &s->msg.peer;
	const struct bgp_nlri *nl = &r->route->nlri;
	char peer[BF_STATE_PEER_MAX];
	struct bf_route_id id;

	bf_state_key_peer(peer, sizeof(peer), router.addr, h->type, &h->addr,
	    h->rd);
	bf_route_id_set(&id, bf_state_view_of(h), r->route->af->afi,
	    r->route->af->safi, &nl->prefix, nl->has_rd ? nl->rd : NULL,
	    nl->has_path_id ? &nl->path_id : NULL);
	return bf_state_key(out, n, r->key, r->key_len, peer, strlen(peer),
	    &id);
}

struct build_ctx {
	struct feed		*f;
	const struct bmp_stream	*s;
};

/* bf_enc_message's sink: keep a copy of every record. */
static void
keep(const struct bf_record *r, void *arg)
{
	struct build_ctx *bc = arg;
	struct feed *f = bc->f;
	struct prebuilt *p;
	char sk[BF_STATE_KEY_MAX];
	size_t skl = 0;

	if (r == NULL) {
		f->failed = true;
		return;
	}
	if (f->state && r->route != NULL)
		skl = state_key(bc->s, r, sk, sizeof(sk));
	f->recs = grow(f->recs, &f->cap, f->n + 1, sizeof(*f->recs));
	f->arena = grow(f->arena, &f->size, f->used + r->key_len +
	    skl + r->value_len, 1);
	p = &f->recs[f->n++];
	p->off = f->used;
	p->key_len = (uint32_t)r->key_len;
	p->state_key_len = (uint32_t)skl;
	p->value_len = (uint32_t)r->value_len;
	p->topic = (uint8_t)r->topic;
	p->schema = r->schema;
	memcpy(f->arena + f->used, r->key, r->key_len);
	memcpy(f->arena + f->used + r->key_len, sk, skl);
	memcpy(f->arena + f->used + r->key_len + skl, r->value, r->value_len);
	f->used += r->key_len + skl + r->value_len;
	if (r->route != NULL)
		f->prefixes++;
}

static struct bf_encoder enc;

static void
on_message(struct bmp_stream *s, size_t off, enum bmp_msg_result res,
    const struct bf_err *err, void *arg)
{
	struct build_ctx bc = { arg, s };

	(void)off;
	(void)err;
	if (res != BMP_MSG_ERROR)
		bf_enc_message(&enc, &router, s, bf_now_us(), keep, &bc);
}

/* Every record of the feed, encoded as the collector encodes it. */
static void
build(struct feed *f, const char *path)
{
	struct bmp_stream s;
	struct bf_err err = { 0 };
	size_t len, err_off = 0;
	uint8_t *buf = test_read_file(path, &len);

	if (buf == NULL)
		exit(1);
	if (bmp_stream_init(&s, BMP_DEFAULT_MAX_MSG, BMP_STREAM_MAX_PEERS) < 0 ||
	    bmp_stream_walk(&s, buf, len, on_message, f, &err, &err_off) < 0 ||
	    f->failed) {
		fprintf(stderr, "bench_kafka_floor: %s: offset %zu: %s\n", path,
		    err_off, f->failed ? "a record failed to encode" : err.msg);
		exit(1);
	}
	bmp_stream_free(&s);
	free(buf);
}

static long
status_kib(const char *field)
{
	FILE *fp = fopen("/proc/self/status", "r");
	char line[256];
	long kib = 0;

	while (fp != NULL && fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, field, strlen(field)) == 0)
			kib = strtol(line + strlen(field), NULL, 10);
	if (fp != NULL)
		fclose(fp);
	return kib;
}

/* CPU seconds per thread, by thread id, as bench_collector.py reads them. */
#define MAX_THREADS	64

struct thread_cpu {
	long	tid[MAX_THREADS];
	char	name[MAX_THREADS][32];
	double	secs[MAX_THREADS];
	int	n;
};

static void
threads_cpu(struct thread_cpu *tc)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;

	tc->n = 0;
	while (d != NULL && (de = readdir(d)) != NULL && tc->n < MAX_THREADS) {
		char path[300], st[512], *rp;
		unsigned long ut, stime;
		FILE *fp;
		size_t len;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/stat",
		    de->d_name);
		if ((fp = fopen(path, "r")) == NULL)
			continue;
		len = fread(st, 1, sizeof(st) - 1, fp);
		fclose(fp);
		st[len] = '\0';
		/* "tid (comm) state ..." : utime, stime are fields 14, 15. */
		if ((rp = strrchr(st, ')')) == NULL || sscanf(rp + 2,
		    "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut,
		    &stime) != 2)
			continue;
		tc->tid[tc->n] = strtol(de->d_name, NULL, 10);
		snprintf(tc->name[tc->n], sizeof(tc->name[0]), "%.*s",
		    (int)(rp - strchr(st, '(') - 1), strchr(st, '(') + 1);
		tc->secs[tc->n++] = (double)(ut + stime) /
		    (double)sysconf(_SC_CLK_TCK);
	}
	if (d != NULL)
		closedir(d);
}

/* "name secs ..." of each thread's CPU since before, summed by name. */
static void
print_threads_cpu(const struct thread_cpu *before)
{
	struct thread_cpu now;

	threads_cpu(&now);
	for (int i = 0; i < now.n; i++) {
		double s = now.secs[i];
		bool seen = false;

		for (int j = 0; j < i; j++)
			seen |= strcmp(now.name[j], now.name[i]) == 0;
		if (seen)
			continue;
		for (int j = i + 1; j < now.n; j++)
			if (strcmp(now.name[j], now.name[i]) == 0)
				s += now.secs[j];
		for (int j = 0; j < before->n; j++)
			if (strcmp(before->name[j], now.name[i]) == 0)
				s -= before->secs[j];
		if (s > 0)
			printf(" %s %.2f", now.tid[i] == getpid() ? "main" :
			    now.name[i], s);
	}
	printf("\n");
}

/* The collector's rule: above queue-mbytes in flight, wait for half. */
static void
back_pressure(struct bf_producer *p, uint64_t *pauses)
{
	bf_producer_poll(p);
	if (!bf_producer_congested(p))
		return;
	(*pauses)++;
	while (!bf_producer_drained(p)) {
		rd_kafka_poll(p->rk, PAUSED_POLL_MS);
		bf_producer_poll(p);
	}
}

static void
send_key(struct bf_producer *p, unsigned topic, const char *schema,
    const uint8_t *key, size_t key_len, const uint8_t *value, size_t len)
{
	if (bf_producer_send_kv(p, topic, schema, key, key_len, value, len) < 0)
		exit(1);	/* refused: said in the log */
}

/* Everything in f through p; returns the messages produced. */
static uint64_t
produce_all(struct bf_producer *p, const struct feed *f, bool state,
    uint64_t *pauses)
{
	uint64_t msgs = 0;

	for (size_t i = 0; i < f->n; i++) {
		const struct prebuilt *r = &f->recs[i];
		const uint8_t *key = f->arena + r->off;
		const uint8_t *sk = key + r->key_len;

		send_key(p, r->topic, r->schema, key, r->key_len,
		    sk + r->state_key_len, r->value_len);
		msgs++;
		if (state && r->state_key_len > 0) {
			send_key(p, BF_TOPIC_ROUTE_STATE, NULL, sk,
			    r->state_key_len, sk + r->state_key_len,
			    r->value_len);
			msgs++;
		}
		if (i % POLL_EVERY == POLL_EVERY - 1)
			back_pressure(p, pauses);
	}
	/* The session's end: a tombstone per route, under back-pressure. */
	for (size_t i = 0; state && i < f->n; i++) {
		const struct prebuilt *r = &f->recs[i];

		if (r->state_key_len == 0)
			continue;
		send_key(p, BF_TOPIC_ROUTE_STATE, NULL, f->arena + r->off +
		    r->key_len, r->state_key_len, NULL, 0);
		msgs++;
		if (i % POLL_EVERY == POLL_EVERY - 1)
			back_pressure(p, pauses);
	}
	return msgs;
}

int
main(int argc, char **argv)
{
	static struct bf_config cfg;
	static struct feed f;
	struct bf_embedded emb;
	struct bf_producer p;
	struct bf_opts opts;
	struct thread_cpu th0;
	char err[1024], names[BF_PRODUCER_TOPICS][96];
	const char *topics[BF_PRODUCER_TOPICS];
	uint64_t msgs, pauses = 0, delivered = 0;
	long prebuilt_kib;
	double t0, cpu0, secs, cpu;
	int per_prefix;

	if (argc < 3 || ((per_prefix = atoi(argv[2])) != 1 &&
	    per_prefix != 3)) {
		fprintf(stderr, "usage: bench_kafka_floor FEED 1|3 "
		    "[COLLECTOR OPTIONS...]\n");
		return 2;
	}
	argv[2] = argv[0];
	if (bf_opts_parse(&opts, &bf_collector_opttab, argc - 2, argv + 2, err,
	    sizeof(err)) < 0 || bf_config_from_opts(&cfg, &opts, err,
	    sizeof(err)) < 0) {
		fprintf(stderr, "bench_kafka_floor: %s\n", err);
		bf_opts_free(&opts);
		return 2;
	}
	bf_opts_free(&opts);
	cfg.route_state = per_prefix == 3;
	if (bf_encoder_init(&enc, cfg.schema_dir, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench_kafka_floor: %s\n", err);
		return 1;
	}
	f.state = cfg.route_state;
	build(&f, argv[1]);
	prebuilt_kib = status_kib("VmRSS:");

	for (int t = 0; t < BF_PRODUCER_TOPICS; t++) {
		bf_producer_topic_name(&cfg, t, names[t], sizeof(names[t]));
		topics[t] = names[t];
	}
	if (bf_embedded_start(&emb, (int)cfg.embedded_brokers,
	    (int)cfg.embedded_partitions, topics, cfg.route_state ?
	    BF_PRODUCER_TOPICS : BF_TOPIC_COUNT, err, sizeof(err)) < 0 ||
	    bf_producer_init(&p, &cfg, emb.bootstraps, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench_kafka_floor: %s\n", err);
		return 1;
	}

	threads_cpu(&th0);
	t0 = clock_s(CLOCK_MONOTONIC);
	cpu0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	msgs = produce_all(&p, &f, cfg.route_state, &pauses);
	if (bf_producer_flush(&p, 600000) > 0) {
		fprintf(stderr, "bench_kafka_floor: not all delivered in 600 s\n");
		return 1;
	}
	secs = clock_s(CLOCK_MONOTONIC) - t0;
	cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
	for (int t = 0; t < BF_PRODUCER_TOPICS; t++)
		delivered += p.delivered[t];
	printf("floor messages_per_prefix=%d prefixes=%" PRIu64 " messages=%"
	    PRIu64 " delivered=%" PRIu64 " secs=%.3f messages_per_s=%.0f "
	    "prefixes_per_s=%.0f cpu=%.3f rss_mib=%.1f prebuilt_mib=%.1f "
	    "pauses=%" PRIu64 "\ncpu s by thread:", per_prefix, f.prefixes, msgs, delivered,
	    secs, (double)msgs / secs, (double)f.prefixes / secs, cpu,
	    (double)status_kib("VmHWM:") / 1024, (double)prebuilt_kib / 1024,
	    pauses);
	print_threads_cpu(&th0);
	bf_producer_free(&p);
	bf_embedded_stop(&emb);
	bf_encoder_free(&enc);	/* after: the records point at its names */
	free(f.recs);
	free(f.arena);
	return delivered == msgs ? 0 : 1;
}
