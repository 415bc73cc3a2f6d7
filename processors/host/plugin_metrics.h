/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plugin_metrics.h: the metrics a plugin declares (bf_metric_* of
 * bmpflow/plugin.h), kept by the host and rendered on its /metrics.
 */
#ifndef BF_PLUGIN_METRICS_H
#define BF_PLUGIN_METRICS_H

#include <stdio.h>

#include "bmpflow/plugin.h"

#define BF_PM_MAX_METRICS	32
#define BF_PM_MAX_SERIES	64
#define BF_PM_MAX_BUCKETS	24

struct bf_pm_series {
	char		 labels[128];
	double		 value;		/* counter, gauge; histogram sum */
	uint64_t	 count;		/* histogram observations */
	uint64_t	 buckets[BF_PM_MAX_BUCKETS];	/* not cumulative */
};

struct bf_pm_metric {
	char			 name[96];	/* full name */
	char			 help[192];
	enum bf_metric_type	 type;
	double			 bounds[BF_PM_MAX_BUCKETS];
	size_t			 n_bounds;
	struct bf_pm_series	*series;	/* BF_PM_MAX_SERIES */
	size_t			 n_series;
	unsigned long		 refused;	/* label sets over the cap */
};

struct bf_plugin_metrics {
	char			 prefix[64];	/* "bmpflow_<plugin>_" */
	struct bf_pm_metric	 m[BF_PM_MAX_METRICS];
	size_t			 n;
};

void	bf_plugin_metrics_init(struct bf_plugin_metrics *pm,
	    const char *plugin_name);
void	bf_plugin_metrics_free(struct bf_plugin_metrics *pm);
/* The metric calls of struct bf_host_api. */
int	bf_pm_declare(struct bf_host *h, const char *name,
	    enum bf_metric_type type, const char *help, const double *buckets,
	    size_t n_buckets);
void	bf_pm_set(struct bf_host *h, int id, const char *labels, double v);
void	bf_pm_add(struct bf_host *h, int id, const char *labels, double v);
void	bf_pm_observe(struct bf_host *h, int id, const char *labels, double v);

/* Prometheus text exposition of every declared metric. */
void	bf_plugin_metrics_render(const struct bf_plugin_metrics *pm, FILE *f);

#endif /* BF_PLUGIN_METRICS_H */
