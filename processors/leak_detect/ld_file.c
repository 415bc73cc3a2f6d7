/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ld_file.c: leak_detect's input files (asrel_file, prefixes_file,
 * roas_file, transit_free_file).
 *
 * At init each file is loaded on the calling thread; a file that does not
 * load fails init.  Afterwards a file is reloaded when a new version of it
 * (inode, mtime or size) has stayed the same across two checks
 * reload_check_s apart, so that a file still being written in place is
 * not read, or on the host's SIGHUP.  Loads run in a job on a thread of
 * their own (struct ld_job): a 2M-link relationship file takes most of a
 * second to parse, which stopped route processing.  on_tick puts their
 * tables in use once the job is done.
 *
 * A reload never leaves a check with less than the file gave before: a
 * version that does not parse, is cut short (textfile.h), has no entries
 * or changed while it was read keeps the data in use, and is logged.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "ld_state.h"
#include "leak_detect.h"
#include "textfile.h"

enum {
	LD_LOAD_OK,
	LD_LOAD_FAILED,		/* err says why */
	LD_LOAD_MOVED,		/* the file changed while it was read */
};

/* Well-known transit-free ASes, used without transit_free_file. */
static const uint32_t default_transit_free[] = { 174, 701, 1239, 1299,
    2914, 3257, 3320, 3356, 3491, 5511, 6453, 6461, 6762, 6830, 7018,
    12956 };

/* What each file feeds, for the log line that turns it off. */
static const char *const feeds[F_N] = {
	[F_ASREL] = "route_leak, and peer_lock by relationships",
	[F_PREFIXES] = "origin_hijack, subprefix_hijack, new_upstream and "
	    "moas",
	[F_ROAS] = "rpki_invalid",
	[F_TRANSIT_FREE] = "peer_lock",
};

static const char *const entries_label[F_N] = { "file=\"asrel\"",
    "file=\"prefixes\"", "file=\"roas\"", "file=\"transit_free\"" };

static const char *const reloads_label[F_N][2] = {
	{ "file=\"asrel\",result=\"ok\"", "file=\"asrel\",result=\"error\"" },
	{ "file=\"prefixes\",result=\"ok\"",
	  "file=\"prefixes\",result=\"error\"" },
	{ "file=\"roas\",result=\"ok\"", "file=\"roas\",result=\"error\"" },
	{ "file=\"transit_free\",result=\"ok\"",
	  "file=\"transit_free\",result=\"error\"" },
};

static int
stamp_of(const char *path, struct ld_stamp *s)
{
	struct stat sb;

	if (stat(path, &sb) < 0)
		return -1;
	s->dev = sb.st_dev;
	s->ino = sb.st_ino;
	s->mtime = sb.st_mtim;
	s->size = sb.st_size;
	return 0;
}

static bool
stamp_eq(const struct ld_stamp *a, const struct ld_stamp *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	    a->mtime.tv_sec == b->mtime.tv_sec &&
	    a->mtime.tv_nsec == b->mtime.tv_nsec;
}

/*
 * Read path, file `which`, into l's table.  Touches l only: runs on the
 * job's thread.
 */
static void
load_one(const char *path, int which, struct ld_load *l)
{
	struct ld_stamp after;
	int rc = -1;

	l->comments = 0;
	if (stamp_of(path, &l->stamp) < 0) {
		textfile_err(l->err, sizeof(l->err), "%s: %s", path,
		    strerror(errno));
		l->result = LD_LOAD_FAILED;
		return;
	}
	switch (which) {
	case F_ASREL:
	case F_TRANSIT_FREE:
		rc = astab_load(&l->tab, which == F_ASREL ? ASTAB_LINKS :
		    ASTAB_ASNS, path, &l->comments, l->err, sizeof(l->err));
		break;
	case F_PREFIXES:
		rc = monitor_load(&l->mon, path, &l->comments, l->err,
		    sizeof(l->err));
		break;
	case F_ROAS:
		rc = rpki_load(&l->rpki, path, l->err, sizeof(l->err));
		break;
	}
	if (stamp_of(path, &after) < 0 || !stamp_eq(&after, &l->stamp)) {
		textfile_err(l->err, sizeof(l->err), "%s: changed while it was "
		    "read (replace it by renaming a complete file over it)",
		    path);
		l->result = LD_LOAD_MOVED;
		l->stamp = after;
	} else
		l->result = rc == 0 ? LD_LOAD_OK : LD_LOAD_FAILED;
}

static void
load_free(struct ld_load *l)
{
	astab_free(&l->tab);
	monitor_free(&l->mon);
	rpki_free(&l->rpki);
}

static size_t
load_entries(const struct ld_load *l, int which)
{
	return which == F_PREFIXES ? l->mon.n : which == F_ROAS ? l->rpki.n :
	    l->tab.n;
}

static size_t
entries_in_use(const struct ld_state *st, int which)
{
	switch (which) {
	case F_ASREL:
		return st->rel.n;
	case F_PREFIXES:
		return st->mon.n;
	case F_ROAS:
		return st->rpki.n;
	default:
		return st->tf.n;
	}
}

/* l's table in use for file `which`; the one it replaces freed. */
static void
put_in_use(struct ld_state *st, int which, struct ld_load *l)
{
	if (which == F_PREFIXES) {
		monitor_free(&st->mon);
		st->mon = l->mon;
	} else if (which == F_ROAS) {
		rpki_free(&st->rpki);
		st->rpki = l->rpki;
		st->rov_all = true;	/* the routes held, at the next tick */
	} else {
		struct astab *t = which == F_ASREL ? &st->rel : &st->tf;
		astab_free(t);
		*t = l->tab;
	}
	memset(&l->tab, 0, sizeof(l->tab));
	memset(&l->mon, 0, sizeof(l->mon));
	memset(&l->rpki, 0, sizeof(l->rpki));
	st->files[which].loaded = st->files[which].seen = l->stamp;
}

/*
 * Whether l, loaded, may replace what file `which` gave: no when it has
 * no entries, except for a file of comments only (the operator's "off")
 * while the check is off already, as at init: a reload never turns a
 * check off.  Refused: false with why in l->err.
 */
static bool
acceptable(const struct ld_state *st, int which, struct ld_load *l)
{
	const char *path = st->files[which].path;

	if (load_entries(l, which) > 0)
		return true;
	if (l->comments == 0)
		textfile_err(l->err, sizeof(l->err), "%s: no entries%s: %s "
		    "would be off (to turn it off, leave %s unset%s)", path,
		    which == F_ROAS ? " in \"roas\"" : " (an empty file)",
		    feeds[which], ld_options[which].name, which == F_ROAS ?
		    "" : " or write a file holding only # comments");
	else if (entries_in_use(st, which) > 0)
		textfile_err(l->err, sizeof(l->err), "%s: only comments, no "
		    "entries: a reload never turns %s off (a restart does)",
		    path, feeds[which]);
	else
		return true;
	return false;
}

static int
load_defaults(struct ld_state *st, int which, char *err, size_t errlen)
{
	if (which != F_TRANSIT_FREE || st->tf.n > 0)
		return 0;
	for (size_t i = 0; i < sizeof(default_transit_free) /
	    sizeof(default_transit_free[0]); i++)
		if (asset_add(&st->tf, default_transit_free[i]) < 0) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	return 0;
}

int
ld_file_load(struct ld_state *st, int which, char *err, size_t errlen)
{
	struct ld_load l = { 0 };
	int rc = -1;

	if (st->files[which].path == NULL)
		return load_defaults(st, which, err, errlen);
	load_one(st->files[which].path, which, &l);
	if (l.result == LD_LOAD_OK && acceptable(st, which, &l)) {
		if (load_entries(&l, which) == 0)
			bf_plugin_log(st->host, 1, "leak_detect: %s (%s) holds "
			    "only comments: %s off", ld_options[which].name,
			    st->files[which].path, feeds[which]);
		put_in_use(st, which, &l);
		rc = 0;
	} else
		snprintf(err, errlen, "%s", l.err);
	load_free(&l);
	return rc;
}

/* ---- reloads: the job ------------------------------------------------------ */

static void *
job_run(void *arg)
{
	struct ld_state *st = arg;

	for (int i = 0; i < F_N; i++)
		if (st->job.load[i].wanted)
			load_one(st->files[i].path, i, &st->job.load[i]);
	atomic_store_explicit(&st->job.done, true, memory_order_release);
	return NULL;
}

/* A job for the files wanted, if any and none is running. */
static void
job_start(struct ld_state *st)
{
	struct ld_job *job = &st->job;
	sigset_t all, old;
	bool any = false;
	int e;

	if (job->running)
		return;
	for (int i = 0; i < F_N; i++) {
		job->load[i].wanted = st->files[i].want;
		any |= st->files[i].want;
	}
	if (!any)
		return;
	atomic_store_explicit(&job->done, false, memory_order_relaxed);
	/*
	 * The thread blocks every signal (it inherits the mask): the host's
	 * SIGTERM and SIGHUP must reach its own thread and wake its wait.
	 */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	e = pthread_create(&job->thread, NULL, job_run, st);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e != 0) {
		/* The files stay wanted: tried again at the next tick. */
		bf_plugin_log(st->host, 0, "leak_detect: cannot start a thread "
		    "to reload input files: %s", strerror(e));
		return;
	}
	for (int i = 0; i < F_N; i++)
		st->files[i].want = false;
	job->running = true;
}

/* Wait for the running job: its loads put in use, or refused and logged. */
static int
job_collect(struct ld_state *st)
{
	int failed = 0;

	pthread_join(st->job.thread, NULL);
	st->job.running = false;
	for (int i = 0; i < F_N; i++) {
		struct ld_load *l = &st->job.load[i];
		struct ld_file *f = &st->files[i];

		if (!l->wanted)
			continue;
		if (l->result == LD_LOAD_MOVED) {
			/* Looked at again once it stays the same. */
			bf_plugin_log(st->host, 1, "leak_detect: reload of %s "
			    "postponed: %s", ld_options[i].name, l->err);
			f->seen = l->stamp;
		} else if (l->result == LD_LOAD_OK &&
		    acceptable(st, i, l)) {
			put_in_use(st, i, l);
			bf_plugin_log(st->host, 2, "leak_detect: reloaded %s "
			    "(%s): %zu entries", ld_options[i].name, f->path,
			    entries_in_use(st, i));
			bf_metric_add(st->host, st->m_reloads,
			    reloads_label[i][0], 1);
		} else {
			bf_plugin_log(st->host, 0, "leak_detect: reload of %s "
			    "refused, keeping the previous data: %s",
			    ld_options[i].name, l->err);
			/* Not tried again until it changes. */
			f->loaded = f->seen = l->stamp;
			bf_metric_add(st->host, st->m_reloads,
			    reloads_label[i][1], 1);
			failed++;
		}
		load_free(l);
	}
	ld_file_metric_entries(st);
	return failed;
}

/* ---- reloads: when ------------------------------------------------------------ */

/* Want f when a new version of it has not changed since the last look. */
static void
check_one(struct ld_file *f)
{
	struct ld_stamp now;

	if (stamp_of(f->path, &now) < 0 || stamp_eq(&now, &f->loaded))
		f->seen = f->loaded;
	else if (stamp_eq(&now, &f->seen))
		f->want = true;
	else
		f->seen = now;
}

void
ld_file_tick(struct ld_state *st)
{
	if (st->job.running && atomic_load_explicit(&st->job.done,
	    memory_order_acquire))
		job_collect(st);
	/* Not while a job runs: it would want the file it is loading. */
	if (!st->job.running && st->reload_check_us > 0 &&
	    st->clock - st->last_reload_check >= st->reload_check_us) {
		st->last_reload_check = st->clock;
		for (int i = 0; i < F_N; i++)
			if (st->files[i].path != NULL)
				check_one(&st->files[i]);
	}
	job_start(st);
}

void
ld_file_request_all(struct ld_state *st)
{
	for (int i = 0; i < F_N; i++)
		st->files[i].want = st->files[i].path != NULL;
	job_start(st);
}

void
ld_file_stop(struct ld_state *st)
{
	if (!st->job.running)
		return;
	pthread_join(st->job.thread, NULL);
	st->job.running = false;
	for (int i = 0; i < F_N; i++)
		load_free(&st->job.load[i]);
}

void
ld_file_metric_entries(struct ld_state *st)
{
	for (int i = 0; i < F_N; i++)
		bf_metric_set(st->host, st->m_entries, entries_label[i],
		    (double)entries_in_use(st, i));
}

int
ld_reload(void *state)
{
	struct ld_state *st = state;

	if (st->job.running)
		job_collect(st);
	ld_file_request_all(st);
	return st->job.running ? job_collect(st) : 0;
}

bool
ld_reload_pending(const void *state)
{
	return ((const struct ld_state *)state)->job.running;
}
