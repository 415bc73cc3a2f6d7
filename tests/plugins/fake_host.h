/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fake_host.h: the host side of bmpflow/plugin.h for the tests and
 * benchmarks that drive a plugin through its descriptor.  It keeps every
 * emitted record as (field, text value) pairs and every metric series;
 * log lines of level 0-1 go to stderr and the last line of any level is
 * kept, the last of level 0-1 apart.  It has no schema: bf_field hands
 * out an id to any name, the next one on the name's first request.
 *
 * Values as text: longs in decimal, doubles with %.6g, booleans
 * true/false, null as "null", arrays as "[a,b]".  Misuse the plugin could
 * get away with on the real host (a field set twice, outside a record, a
 * NULL string, an id bf_field did not give) counts in bad; a test asserts
 * bad == 0.
 */
#ifndef BF_FAKE_HOST_H
#define BF_FAKE_HOST_H

#include "bmpflow/plugin.h"

#define FAKE_MAX_RECS		2048
#define FAKE_MAX_FIELDS		48
#define FAKE_MAX_TYPES		16
#define FAKE_MAX_METRICS	32
#define FAKE_MAX_SERIES		64	/* label sets per metric, as the host */

struct fake_field {
	char	name[32];
	char	value[256];
};

struct fake_rec {
	char			key[96];
	int32_t			partition;
	int			n;
	struct fake_field	f[FAKE_MAX_FIELDS];
};

/* A metric: gauge and counter values, histogram sums and counts. */
struct fake_metric {
	char			name[64];
	enum bf_metric_type	type;
	int			n;
	char			labels[FAKE_MAX_SERIES][96];
	double			value[FAKE_MAX_SERIES];
	long			count[FAKE_MAX_SERIES];
};

/* fake_host_reset makes a fresh host. */
struct bf_host {
	const struct bf_host_api *api;
	/* bf_field: the names given ids, by id */
	char			field_names[FAKE_MAX_FIELDS][32];
	int			n_field_names;
	struct fake_rec		recs[FAKE_MAX_RECS];
	int			n;
	bool			open;
	bool			discard;	/* count, don't keep (bulk runs) */
	long			emitted;
	int			bad;
	/* Emitted records by their "type" field ("" for none). */
	char			cur_type[32];
	char			types[FAKE_MAX_TYPES][32];
	long			type_count[FAKE_MAX_TYPES];
	struct fake_metric	metrics[FAKE_MAX_METRICS];
	int			n_metrics;
	char			last_log[1024];
	char			last_warn[1024];	/* level 0-1 */
	bool			deferred;	/* bf_outputs_deferred since a
						 * test last cleared it */
};

/* The plugin under test, linked into the test (BMPFLOW_PLUGIN). */
const struct bf_plugin *bmpflow_plugin_descriptor(void);

/* Every record, metric and log line forgotten; the API table set. */
void	fake_host_reset(struct bf_host *h);

/* ---- the plugin driver ---- */

#define FAKE_MAX_SETTINGS	16

/*
 * Start the plugin under test on h, reset first, through the host's
 * option resolver; settings as n strings "key", "value", ... (at most
 * FAKE_MAX_SETTINGS pairs).  Returns its state, or NULL with err filled.
 */
void	*fake_plugin_start(struct bf_host *h, const char *const *kv, size_t n,
	    char *err, size_t errlen);

/*
 * Session s comes up (a reset, with its OPENs; peer_role as the received
 * OPEN states it, or NULL) or goes down (remote closed) in epoch, at time
 * t (µs), for the plugin state st.
 */
void	fake_session_event(void *st, const struct bf_session *s, bool up,
	    uint64_t epoch, int64_t t, const char *peer_role);

/* A record's field value; fails the test when the record has none. */
const char	*fake_val(const struct fake_rec *r, const char *field);

/*
 * A gauge's or counter's value, or a histogram's observation count, by
 * metric name and label text ("" for none); -1 when that series was never
 * set.  Fails the test for a metric never declared.
 */
double	fake_metric_value(const struct bf_host *h, const char *name,
	    const char *labels);

#endif /* BF_FAKE_HOST_H */
