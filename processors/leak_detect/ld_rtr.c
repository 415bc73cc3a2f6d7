/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ld_rtr.c: VRPs over RTR (RFC 8210) through RTRlib.
 *
 * RTRlib, not an RTR client of our own: it is the RTR client of BIRD,
 * FRR's bgpd and pmacct, packaged in Debian (librtr0), and does what an
 * RTR client must get right (serial and reset queries, session ids, the
 * refresh, retry and expire timers, cache fail-over by preference, SSH);
 * its pfx_table tells each VRP added and removed.
 *
 * Each server of the rtr setting is a fail-over group of its own, in
 * order of preference: RTRlib syncs with the first that answers and falls
 * back to the next when it fails.  RTRlib's threads call on_pfx for every
 * VRP added or removed; it only queues the prefix under a mutex.  on_tick
 * (the host's thread) takes the queue, rebuilds the RTR VRP table from
 * RTRlib's pfx_table and has ld_rov.c re-validate the routes held under
 * the changed prefixes: validation stays rpki_validate's (rpki.c), over
 * the file's and the caches' VRPs together.  When every server is down,
 * RTRlib keeps the last VRPs until rtr_expire_s passes without a sync,
 * then removes them (routes re-validated: not found), as RFC 8210 §6 says.
 */
#ifndef _GNU_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rtrlib/rtrlib.h>

#include "ld_state.h"
#include "textfile.h"

/* One server of the rtr setting: a group of one socket. */
struct rtr_server {
	struct rtr_socket	 rs;	/* a pfx_record's socket: its server */
	struct rtr_socket	*rsp;	/* the group's list of sockets */
	struct tr_socket	 tr;
	struct ld_rtr		*owner;
	char			*host, *port, *user;
	char			*key, *known;	/* SSH: the key files */
	char			 name[80];	/* "host:port", log and label */
	bool			 tr_ready;	/* tr to free (before mgr) */
	bool			 up;		/* at the last tick */
	uint32_t		 serial;	/* at the last tick */
};

struct ld_rtr {
	struct bf_host		*host;	/* its clock only, on RTRlib's threads */
	struct rtr_mgr_config	*mgr;
	struct rtr_mgr_group	*groups;
	struct rtr_server	*srv;
	size_t			 n, n_alloc;
	int			 active;	/* the server synced, -1 none */
	pthread_mutex_t		 lock;
	/* under lock: from RTRlib's threads */
	struct ld_pfx		*changed;
	size_t			 n_changed, cap_changed;
	bool			 lost;		/* out of memory: all changed */
	int64_t			 first_change_us;
	/* the tick's */
	struct ld_pfx		*taken;
	size_t			 cap_taken;
	int			 m_up, m_serial, m_vrps, m_connected;
};

static struct rtr_server *
server_of(const struct rtr_socket *rs)
{
	return (struct rtr_server *)(void *)((char *)(uintptr_t)rs -
	    offsetof(struct rtr_server, rs));
}

static void
pfx_of(const struct pfx_record *rec, struct ld_pfx *p)
{
	memset(p, 0, sizeof(*p));
	if (rec->prefix.ver == LRTR_IPV4) {
		p->family = 4;
		p->hi = (uint64_t)rec->prefix.u.addr4.addr << 32;
	} else {
		const uint32_t *a = rec->prefix.u.addr6.addr;
		p->family = 6;
		p->hi = (uint64_t)a[0] << 32 | a[1];
		p->lo = (uint64_t)a[2] << 32 | a[3];
	}
	p->len = rec->min_len;
}

/* RTRlib's thread: queue the prefix of a VRP added or removed. */
static void
on_pfx(struct pfx_table *t, const struct pfx_record rec, const bool added)
{
	struct ld_rtr *r = server_of(rec.socket)->owner;
	struct ld_pfx p;

	(void)t;
	(void)added;
	pfx_of(&rec, &p);
	pthread_mutex_lock(&r->lock);
	if (r->n_changed == 0 && !r->lost)
		r->first_change_us = bf_host_now_us(r->host);
	if (r->n_changed == r->cap_changed) {
		size_t nc = r->cap_changed ? r->cap_changed * 2 : 256;
		struct ld_pfx *n = realloc(r->changed, nc * sizeof(*n));
		if (n == NULL)
			r->lost = true;
		else {
			r->changed = n;
			r->cap_changed = nc;
		}
	}
	if (r->n_changed < r->cap_changed)
		r->changed[r->n_changed++] = p;
	pthread_mutex_unlock(&r->lock);
}

/* ---- the tick --------------------------------------------------------------- */

struct vrp_gather {
	struct rpki_builder	b;
	bool			oom;
};

static void
gather_one(const struct pfx_record *rec, void *data)
{
	struct vrp_gather *g = data;
	struct ld_pfx p;

	pfx_of(rec, &p);
	if (rpki_builder_add(&g->b, &p, rec->asn, rec->max_len) < 0)
		g->oom = true;
}

/* st->rtr_rpki from RTRlib's pfx_table: -1 when out of memory (kept). */
static int
rebuild(struct ld_state *st)
{
	struct vrp_gather g = { 0 };
	int rc = -1;

	rtr_mgr_for_each_ipv4_record(st->rtr->mgr, gather_one, &g);
	rtr_mgr_for_each_ipv6_record(st->rtr->mgr, gather_one, &g);
	if (!g.oom && rpki_builder_finish(&g.b, &st->rtr_rpki) == 0)
		rc = 0;
	rpki_builder_free(&g.b);
	return rc;
}

/* Log and count what changed of the servers since the last tick. */
static void
connection_tick(struct ld_state *st)
{
	struct ld_rtr *r = st->rtr;
	int active = -1;
	char labels[112];

	for (size_t i = 0; i < r->n; i++) {
		struct rtr_server *s = &r->srv[i];
		/* RTRlib's threads write these: a word read, for the log. */
		enum rtr_socket_state state = __atomic_load_n(&s->rs.state,
		    __ATOMIC_RELAXED);
		uint32_t serial = __atomic_load_n(&s->rs.serial_number,
		    __ATOMIC_RELAXED);
		bool up = state == RTR_ESTABLISHED || state == RTR_SYNC;

		if (up && !s->up)
			bf_plugin_log(st->host, 2, "leak_detect: RTR server %s "
			    "(preference %zu): connected, serial %u", s->name,
			    i + 1, serial);
		else if (!up && s->up)
			bf_plugin_log(st->host, 1, "leak_detect: RTR server %s "
			    "(preference %zu): connection lost (%s)", s->name,
			    i + 1, rtr_state_to_str(state));
		s->up = up;
		s->serial = serial;
		if (up && active < 0)
			active = (int)i;
		snprintf(labels, sizeof(labels), "server=\"%s\"", s->name);
		bf_metric_set(st->host, r->m_up, labels, up);
		bf_metric_set(st->host, r->m_serial, labels, serial);
	}
	if (active != r->active) {
		if (active >= 0)
			bf_plugin_log(st->host, 2, "leak_detect: VRPs from RTR "
			    "server %s (preference %d)", r->srv[active].name,
			    active + 1);
		else
			bf_plugin_log(st->host, 1, "leak_detect: no RTR server "
			    "connected: the last %zu VRP records stay in use "
			    "until rtr_expire_s passes without a sync",
			    st->rtr_rpki.n);
		r->active = active;
	}
	bf_metric_set(st->host, r->m_connected, NULL, active >= 0);
	bf_metric_set(st->host, r->m_vrps, NULL, (double)st->rtr_rpki.n);
}

void
ld_rtr_tick(struct ld_state *st)
{
	struct ld_rtr *r = st->rtr;
	struct ld_pfx *swap;
	size_t n, cap;
	bool lost;
	int64_t since;

	pthread_mutex_lock(&r->lock);
	swap = r->changed;
	cap = r->cap_changed;
	n = r->n_changed;
	lost = r->lost;
	since = r->first_change_us;
	r->changed = r->taken;
	r->cap_changed = r->cap_taken;
	r->n_changed = 0;
	r->lost = false;
	pthread_mutex_unlock(&r->lock);
	r->taken = swap;
	r->cap_taken = cap;
	if (n > 0 || lost) {
		if (rebuild(st) < 0) {
			bf_plugin_log(st->host, 0, "leak_detect: out of memory "
			    "taking RTR VRPs: the previous ones stay in use");
			lost = true;
		}
		st->rov_all |= lost;
		ld_rov_revalidate(st, r->taken, n, since);
	}
	connection_tick(st);
}

/* ---- settings, start, stop ---------------------------------------------- */

/*
 * One server of the setting into s: "HOST:PORT", "[V6]:PORT" or
 * "ssh://USER@HOST:PORT".  0, or -1 with why in err.
 */
static int
parse_server(const char *tok, struct rtr_server *s, char *err, size_t errlen)
{
	const char *at = tok, *colon, *host_end;
	char *end;
	long port;

	if (strncmp(tok, "ssh://", 6) == 0) {
		const char *user_end = strchr(tok + 6, '@');
		if (user_end == NULL || user_end == tok + 6)
			goto bad;
		if ((s->user = strndup(tok + 6, (size_t)(user_end - tok - 6)))
		    == NULL)
			goto oom;
		at = user_end + 1;
	}
	if (*at == '[') {
		host_end = strchr(at, ']');
		if (host_end == NULL || host_end[1] != ':')
			goto bad;
		colon = host_end + 1;
		at++;
	} else {
		colon = strrchr(at, ':');
		host_end = colon;
	}
	if (colon == NULL || host_end == at)
		goto bad;
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || end == colon + 1 || port < 1 || port > 65535)
		goto bad;
	if ((s->host = strndup(at, (size_t)(host_end - at))) == NULL ||
	    (s->port = strdup(colon + 1)) == NULL)
		goto oom;
	snprintf(s->name, sizeof(s->name), "%s%s%s:%s", s->user ? s->user : "",
	    s->user ? "@" : "", s->host, s->port);
	return 0;
bad:
	textfile_err(err, errlen, "rtr: bad server \"%s\" (want HOST:PORT, "
	    "[IPV6]:PORT or ssh://USER@HOST:PORT)", tok);
	return -1;
oom:
	snprintf(err, errlen, "out of memory");
	return -1;
}

/* s's transport: TCP, or SSH with the key files of the settings. */
static int
transport(struct rtr_server *s, const char *key, const char *known,
    char *err, size_t errlen)
{
	if (s->user == NULL) {
		struct tr_tcp_config tcp = { .host = s->host, .port = s->port };
		if (tr_tcp_init(&tcp, &s->tr) != TR_SUCCESS)
			goto fail;
		s->tr_ready = true;
		return 0;
	}
	if (*key == '\0' || *known == '\0') {
		snprintf(err, errlen, "rtr: %s is SSH: set rtr_ssh_key (the "
		    "client's private key) and rtr_ssh_host_key (the "
		    "server's public host key)", s->name);
		return -1;
	}
	if ((s->key = strdup(key)) == NULL || (s->known = strdup(known)) ==
	    NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	struct tr_ssh_config ssh = { .host = s->host,
	    .port = (unsigned)atoi(s->port), .username = s->user,
	    .server_hostkey_path = s->known, .client_privkey_path = s->key };
	if (tr_ssh_init(&ssh, &s->tr) != TR_SUCCESS)
		goto fail;
	s->tr_ready = true;
	return 0;
fail:
	snprintf(err, errlen, "rtr: cannot set up the transport to %s",
	    s->name);
	return -1;
}

int
ld_rtr_start(struct ld_state *st, const char *spec, const char *key,
    const char *known, const unsigned intervals[3], char *err, size_t errlen)
{
	char *copy, *save = NULL;
	struct ld_rtr *r;
	sigset_t all, old;
	size_t n = 0;
	int e;

	if (*spec == '\0')
		return 0;
	if ((r = calloc(1, sizeof(*r))) == NULL || (copy = strdup(spec)) ==
	    NULL) {
		free(r);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	st->rtr = r;
	r->host = st->host;
	r->active = -1;
	pthread_mutex_init(&r->lock, NULL);
	for (char *tok = strtok_r(copy, ", \t\n", &save); tok;
	    tok = strtok_r(NULL, ", \t\n", &save))
		n++;
	if ((r->srv = calloc(n, sizeof(*r->srv))) == NULL ||
	    (r->groups = calloc(n, sizeof(*r->groups))) == NULL) {
		free(copy);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	r->n_alloc = n;
	strcpy(copy, spec);
	for (char *tok = strtok_r(copy, ", \t\n", &save); tok;
	    tok = strtok_r(NULL, ", \t\n", &save)) {
		struct rtr_server *s = &r->srv[r->n];

		s->owner = r;
		if (parse_server(tok, s, err, errlen) < 0 ||
		    transport(s, key, known, err, errlen) < 0) {
			free(copy);
			return -1;
		}
		s->rs.tr_socket = &s->tr;
		s->rsp = &s->rs;
		r->groups[r->n].sockets = &s->rsp;
		r->groups[r->n].sockets_len = 1;
		r->groups[r->n].preference = (uint8_t)(r->n + 1);
		r->n++;
	}
	free(copy);
	if (intervals[1] <= intervals[0] || intervals[1] <= intervals[2]) {
		snprintf(err, errlen, "rtr_expire_s (%u) must be more than "
		    "rtr_refresh_s (%u) and rtr_retry_s (%u) (RFC 8210 §6)",
		    intervals[1], intervals[0], intervals[2]);
		return -1;
	}
	if (rtr_mgr_init(&r->mgr, r->groups, (unsigned)r->n, intervals[0],
	    intervals[1], intervals[2], on_pfx, NULL, NULL, NULL) != RTR_SUCCESS) {
		r->mgr = NULL;
		snprintf(err, errlen, "rtr: RTRlib refused the configuration "
		    "(%zu servers)", r->n);
		return -1;
	}
	r->m_up = bf_metric_declare(st->host, "rtr_up", BF_METRIC_GAUGE,
	    "1 while an RTR server is synced, by server", NULL, 0);
	r->m_serial = bf_metric_declare(st->host, "rtr_serial",
	    BF_METRIC_GAUGE, "Serial of the last VRPs from each RTR server",
	    NULL, 0);
	r->m_vrps = bf_metric_declare(st->host, "rtr_vrps", BF_METRIC_GAUGE,
	    "VRP records from RTR in use, one per cache that sent it", NULL,
	    0);
	r->m_connected = bf_metric_declare(st->host, "rtr_connected",
	    BF_METRIC_GAUGE, "1 while one RTR server is synced", NULL, 0);
	/* Its threads block every signal: the host's must reach its own. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	e = rtr_mgr_start(r->mgr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e != RTR_SUCCESS) {
		snprintf(err, errlen, "rtr: RTRlib cannot start");
		return -1;
	}
	bf_plugin_log(st->host, 2, "leak_detect: RTR: %zu servers in order of "
	    "preference, first %s; refresh %us, expire %us, retry %us", r->n,
	    r->srv[0].name, intervals[0], intervals[1], intervals[2]);
	connection_tick(st);
	return 0;
}

/*
 * RTRlib 0.8 (Debian 12's) can deadlock in rtr_mgr_stop() with several
 * groups, one thread joining another that waits for a lock it holds
 * (rtrlib issue #269, fixed after 0.8).  The stop runs on a thread of its
 * own and gets STOP_WAIT_S; past that, RTRlib and its state are left to
 * the ending process (kept reachable in abandoned) rather than hang the
 * processor's shutdown.
 */
#define STOP_WAIT_S	5

struct mgr_stop {
	struct rtr_mgr_config	*mgr;
	pthread_mutex_t		 lock;
	pthread_cond_t		 cond;
	bool			 done;
	struct ld_rtr		*r;
	struct mgr_stop		*next;
};

static struct mgr_stop *abandoned;

static void *
mgr_stop_run(void *arg)
{
	struct mgr_stop *ms = arg;

	rtr_mgr_stop(ms->mgr);
	rtr_mgr_free(ms->mgr);	/* and the transports */
	pthread_mutex_lock(&ms->lock);
	ms->done = true;
	pthread_cond_signal(&ms->cond);
	pthread_mutex_unlock(&ms->lock);
	return NULL;
}

/* rtr_mgr_stop() and _free() of r's manager within STOP_WAIT_S: 0, or
 * -1 when RTRlib did not stop (r must then stay as it is). */
static int
mgr_stop(struct ld_state *st, struct ld_rtr *r)
{
	struct mgr_stop *ms = calloc(1, sizeof(*ms));
	struct timespec until;
	pthread_t t;
	int rc = 0;

	if (ms == NULL) {
		mgr_stop_run(&(struct mgr_stop){ .mgr = r->mgr,
		    .lock = PTHREAD_MUTEX_INITIALIZER,
		    .cond = PTHREAD_COND_INITIALIZER });
		return 0;
	}
	ms->mgr = r->mgr;
	ms->r = r;
	pthread_mutex_init(&ms->lock, NULL);
	pthread_cond_init(&ms->cond, NULL);
	if (pthread_create(&t, NULL, mgr_stop_run, ms) != 0) {
		mgr_stop_run(ms);
		t = pthread_self();
	}
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += STOP_WAIT_S;
	pthread_mutex_lock(&ms->lock);
	while (!ms->done && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&ms->cond, &ms->lock, &until);
	rc = ms->done ? 0 : -1;
	pthread_mutex_unlock(&ms->lock);
	if (rc < 0) {
		bf_plugin_log(st->host, 1, "leak_detect: RTR: RTRlib did not "
		    "stop within %d s (a known RTRlib 0.8 deadlock with several "
		    "servers): left to the ending process", STOP_WAIT_S);
		pthread_detach(t);
		ms->next = abandoned;
		abandoned = ms;
		return -1;
	}
	if (!pthread_equal(t, pthread_self()))
		pthread_join(t, NULL);
	pthread_mutex_destroy(&ms->lock);
	pthread_cond_destroy(&ms->cond);
	free(ms);
	return 0;
}

void
ld_rtr_stop(struct ld_state *st)
{
	struct ld_rtr *r = st->rtr;

	if (r == NULL)
		return;
	st->rtr = NULL;
	if (r->mgr != NULL && mgr_stop(st, r) < 0)
		return;
	for (size_t i = 0; r->srv != NULL && i < r->n_alloc; i++) {
		if (r->mgr == NULL && r->srv[i].tr_ready)
			r->srv[i].tr.free_fp(&r->srv[i].tr);
		free(r->srv[i].host);
		free(r->srv[i].port);
		free(r->srv[i].user);
		free(r->srv[i].key);
		free(r->srv[i].known);
	}
	free(r->srv);
	free(r->groups);
	free(r->changed);
	free(r->taken);
	pthread_mutex_destroy(&r->lock);
	free(r);
}
