/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plugin_metrics.c: counters, gauges and histograms a plugin declares,
 * addressed by id and label text; rendered in Prometheus text format.
 */
#include "plugin_metrics.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/metrics_http.h"
#include "emit.h"

void
bf_plugin_metrics_init(struct bf_plugin_metrics *pm, const char *plugin_name)
{
	memset(pm, 0, sizeof(*pm));
	snprintf(pm->prefix, sizeof(pm->prefix), "bmpflow_%s_", plugin_name);
}

void
bf_plugin_metrics_free(struct bf_plugin_metrics *pm)
{
	for (size_t i = 0; i < pm->n; i++)
		free(pm->m[i].series);
	memset(pm, 0, sizeof(*pm));
}

static bool
valid_name(const char *s)
{
	if (s == NULL || *s == '\0')
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		    *s == '_'))
			return false;
	return true;
}

int
bf_pm_declare(struct bf_host *h, const char *name,
    enum bf_metric_type type, const char *help, const double *buckets,
    size_t n_buckets)
{
	struct bf_plugin_metrics *pm = h->metrics;
	struct bf_pm_metric *m;

	if (pm == NULL)
		return -1;
	if (!valid_name(name) || pm->n == BF_PM_MAX_METRICS ||
	    strlen(pm->prefix) + strlen(name) >= sizeof(m->name) ||
	    (type == BF_METRIC_HISTOGRAM && (n_buckets == 0 ||
	    n_buckets > BF_PM_MAX_BUCKETS)) || type > BF_METRIC_HISTOGRAM) {
		bf_plugin_log(h, 0, "metric \"%s\": bad name, type or buckets, "
		    "or more than %d metrics", name ? name : "(null)",
		    BF_PM_MAX_METRICS);
		return -1;
	}
	for (size_t i = 1; i < n_buckets; i++)
		if (!(buckets[i] > buckets[i - 1])) {
			bf_plugin_log(h, 0, "metric %s: buckets not ascending",
			    name);
			return -1;
		}
	m = &pm->m[pm->n];
	memset(m, 0, sizeof(*m));
	if ((m->series = calloc(BF_PM_MAX_SERIES, sizeof(*m->series))) == NULL)
		return -1;
	memcpy(m->name, pm->prefix, strlen(pm->prefix));
	memcpy(m->name + strlen(pm->prefix), name, strlen(name) + 1);
	snprintf(m->help, sizeof(m->help), "%s", help ? help : name);
	m->type = type;
	if (type == BF_METRIC_HISTOGRAM) {
		memcpy(m->bounds, buckets, n_buckets * sizeof(*buckets));
		m->n_bounds = n_buckets;
	}
	return (int)pm->n++;
}

/* The series of metric id with these labels, created on first use. */
static struct bf_pm_series *
series(struct bf_host *h, int id, const char *labels, enum bf_metric_type t)
{
	struct bf_plugin_metrics *pm = h->metrics;
	struct bf_pm_metric *m;

	if (pm == NULL || id < 0 || (size_t)id >= pm->n ||
	    pm->m[id].type != t)
		return NULL;
	m = &pm->m[id];
	if (labels == NULL)
		labels = "";
	for (size_t i = 0; i < m->n_series; i++)
		if (strcmp(m->series[i].labels, labels) == 0)
			return &m->series[i];
	if (m->n_series == BF_PM_MAX_SERIES || strlen(labels) >=
	    sizeof(m->series[0].labels)) {
		if (m->refused++ == 0)
			bf_plugin_log(h, 1, "metric %s: label set {%s} refused "
			    "(over %d sets or too long)", m->name, labels,
			    BF_PM_MAX_SERIES);
		return NULL;
	}
	snprintf(m->series[m->n_series].labels, sizeof(m->series[0].labels),
	    "%s", labels);
	return &m->series[m->n_series++];
}

void
bf_pm_set(struct bf_host *h, int id, const char *labels, double v)
{
	struct bf_pm_series *s = series(h, id, labels, BF_METRIC_GAUGE);

	if (s != NULL)
		s->value = v;
}

void
bf_pm_add(struct bf_host *h, int id, const char *labels, double v)
{
	struct bf_pm_series *s;

	/* Counters only go up; gauges may be moved either way. */
	if ((s = series(h, id, labels, BF_METRIC_COUNTER)) != NULL) {
		if (v > 0)
			s->value += v;
	} else if ((s = series(h, id, labels, BF_METRIC_GAUGE)) != NULL) {
		s->value += v;
	}
}

void
bf_pm_observe(struct bf_host *h, int id, const char *labels, double v)
{
	struct bf_pm_series *s = series(h, id, labels, BF_METRIC_HISTOGRAM);
	const struct bf_pm_metric *m;
	size_t b = 0;

	if (s == NULL)
		return;
	m = &h->metrics->m[id];
	while (b < m->n_bounds && v > m->bounds[b])
		b++;
	if (b < m->n_bounds)
		s->buckets[b]++;
	s->count++;
	s->value += v;
}

/* name{labels[,extra]} with the braces only when there is a label. */
static void
series_name(FILE *f, const char *name, const char *suffix,
    const char *labels, const char *extra)
{
	bool any = labels[0] != '\0' || extra != NULL;

	fprintf(f, "%s%s%s%s%s%s%s", name, suffix, any ? "{" : "", labels,
	    labels[0] != '\0' && extra != NULL ? "," : "",
	    extra != NULL ? extra : "", any ? "}" : "");
}

void
bf_plugin_metrics_render(const struct bf_plugin_metrics *pm, FILE *f)
{
	static const char *const types[] = { "counter", "gauge", "histogram" };

	for (size_t i = 0; i < pm->n; i++) {
		const struct bf_pm_metric *m = &pm->m[i];

		bf_metric_family(f, m->name, types[m->type], m->help);
		for (size_t j = 0; j < m->n_series; j++) {
			const struct bf_pm_series *s = &m->series[j];
			uint64_t cum = 0;
			char le[48];

			if (m->type != BF_METRIC_HISTOGRAM) {
				series_name(f, m->name, "", s->labels, NULL);
				fprintf(f, " %.9g\n", s->value);
				continue;
			}
			for (size_t b = 0; b < m->n_bounds; b++) {
				cum += s->buckets[b];
				snprintf(le, sizeof(le), "le=\"%.9g\"",
				    m->bounds[b]);
				series_name(f, m->name, "_bucket", s->labels, le);
				fprintf(f, " %" PRIu64 "\n", cum);
			}
			series_name(f, m->name, "_bucket", s->labels,
			    "le=\"+Inf\"");
			fprintf(f, " %" PRIu64 "\n", s->count);
			series_name(f, m->name, "_sum", s->labels, NULL);
			fprintf(f, " %.9g\n", s->value);
			series_name(f, m->name, "_count", s->labels, NULL);
			fprintf(f, " %" PRIu64 "\n", s->count);
		}
	}
}
