/*
 * ld_file.c: leak_detect's input files (asrel_file, prefixes_file,
 * roas_file, transit_free_file): loaded at init, reloaded when their
 * mtime or size changes (checked from on_tick every reload_check_s) and
 * on the host's SIGHUP.  A file that fails to load keeps the data of the
 * last good one.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "ld_state.h"
#include "leak_detect.h"

/* Well-known transit-free ASes, used without transit_free_file. */
static const uint32_t default_transit_free[] = { 174, 701, 1239, 1299,
    2914, 3257, 3320, 3356, 3491, 5511, 6453, 6461, 6762, 6830, 7018,
    12956 };

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
	struct ld_file *f = &st->files[which];
	struct stat sb;
	int rc = -1;

	if (f->path == NULL)
		return load_defaults(st, which, err, errlen);
	if (stat(f->path, &sb) < 0) {
		snprintf(err, errlen, "%s: %s", f->path, strerror(errno));
		return -1;
	}
	/* Each loader replaces its table only once the whole file is read. */
	switch (which) {
	case F_ASREL:
		rc = astab_load(&st->rel, ASTAB_LINKS, f->path, err, errlen);
		break;
	case F_PREFIXES:
		rc = monitor_load(&st->mon, f->path, err, errlen);
		break;
	case F_ROAS:
		rc = rpki_load(&st->rpki, f->path, err, errlen);
		break;
	case F_TRANSIT_FREE:
		rc = astab_load(&st->tf, ASTAB_ASNS, f->path, err, errlen);
		break;
	}
	/* On failure keep the old stamp: a fixed file is tried again. */
	if (rc == 0) {
		f->mtime = sb.st_mtim;
		f->size = sb.st_size;
	}
	return rc;
}

static bool
file_changed(const struct ld_file *f)
{
	struct stat sb;

	if (f->path == NULL || stat(f->path, &sb) < 0)
		return false;
	return sb.st_mtim.tv_sec != f->mtime.tv_sec ||
	    sb.st_mtim.tv_nsec != f->mtime.tv_nsec || sb.st_size != f->size;
}

void
ld_file_metric_entries(struct ld_state *st)
{
	static const char *const l[F_N] = { "file=\"asrel\"",
	    "file=\"prefixes\"", "file=\"roas\"", "file=\"transit_free\"" };

	bf_metric_set(st->host, st->m_entries, l[F_ASREL], (double)st->rel.n);
	bf_metric_set(st->host, st->m_entries, l[F_PREFIXES],
	    (double)st->mon.n);
	bf_metric_set(st->host, st->m_entries, l[F_ROAS], (double)st->rpki.n);
	bf_metric_set(st->host, st->m_entries, l[F_TRANSIT_FREE],
	    (double)st->tf.n);
}

int
ld_file_reload(struct ld_state *st, bool force)
{
	static const char *const l[F_N][2] = {
		{ "file=\"asrel\",result=\"ok\"",
		  "file=\"asrel\",result=\"error\"" },
		{ "file=\"prefixes\",result=\"ok\"",
		  "file=\"prefixes\",result=\"error\"" },
		{ "file=\"roas\",result=\"ok\"",
		  "file=\"roas\",result=\"error\"" },
		{ "file=\"transit_free\",result=\"ok\"",
		  "file=\"transit_free\",result=\"error\"" },
	};
	char err[512];
	int failed = 0;

	for (int i = 0; i < F_N; i++) {
		struct ld_file *f = &st->files[i];
		if (f->path == NULL || (!force && !file_changed(f)))
			continue;
		int bad = ld_file_load(st, i, err, sizeof(err)) < 0;
		if (bad) {
			struct stat sb;
			bf_plugin_log(st->host, 0, "leak_detect: reload of %s "
			    "failed, keeping the previous data: %s",
			    ld_options[i].name, err);
			failed++;
			/* Do not retry an unchanged broken file every tick. */
			if (stat(f->path, &sb) == 0) {
				f->mtime = sb.st_mtim;
				f->size = sb.st_size;
			}
		} else
			bf_plugin_log(st->host, 2, "leak_detect: reloaded %s "
			    "(%s)", ld_options[i].name, f->path);
		bf_metric_add(st->host, st->m_reloads, l[i][bad], 1);
	}
	ld_file_metric_entries(st);
	return failed;
}

int
ld_reload(void *state)
{
	return ld_file_reload(state, true);
}
