/* SPDX-License-Identifier: Apache-2.0 */
/*
 * monitor.h: the monitored prefixes of leak_detect and what is expected
 * of them.
 *
 * File format, one prefix a line, '#' starts a comment:
 *
 *     PREFIX ORIGINS [upstreams=ASN,ASN...]
 *
 *     205.251.192.0/23   16509
 *     2001:db8::/32      64500,AS64501   upstreams=3356,174
 *     198.51.100.0/24    none            # never announced: squatting
 *
 * ORIGINS is a comma-separated list of the ASes allowed to originate the
 * prefix and its more-specifics ("3356" or "AS3356"), or "none" for
 * address space that should not be announced at all.  upstreams= lists
 * the ASes expected next to the origin; without it they are learned (see
 * upstream_learn_s, ld_rule.c).  A prefix may be listed once.
 */
#ifndef BMPFLOW_LD_MONITOR_H
#define BMPFLOW_LD_MONITOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ptab.h"

struct mon_ent {
	struct ld_pfx	p;
	uint32_t	orig, n_orig;	/* pool[orig .. orig + n_orig) */
	uint32_t	ups, n_ups;	/* pool[ups .. ups + n_ups) */
	bool		has_ups;
	bool		none;		/* "none": squatting if announced */
	long		line;
};

struct monitor {
	struct ptab	 t;
	struct mon_ent	*e;
	size_t		 n;
	uint32_t	*pool;
	size_t		 n_pool;
};

/*
 * Load path into m, replacing what m held once the whole file is read
 * (textfile.h: complete files only): 0 with the lines holding only a
 * comment in *comments, or -1 with "path:line: what is wrong" in err (m
 * is then unchanged).
 */
int	monitor_load(struct monitor *m, const char *path, long *comments,
	    char *err, size_t errlen);
void	monitor_free(struct monitor *m);
size_t	monitor_bytes(const struct monitor *m);

/* The most specific monitored prefix covering q (or q itself), or NULL. */
const struct mon_ent *monitor_match(const struct monitor *m,
	    const struct ld_pfx *q);
bool	monitor_origin_ok(const struct monitor *m, const struct mon_ent *e,
	    uint32_t asn);
bool	monitor_upstream_ok(const struct monitor *m, const struct mon_ent *e,
	    uint32_t asn);

#endif /* BMPFLOW_LD_MONITOR_H */
