/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ph_act.c: a prefix's recent activity (struct ph_act): churn in 1-minute
 * and 15-minute sliding windows, RFC 2439 flap damping per route, and the
 * timing of its last change.
 *
 * Flap damping (RFC 2439 §4) is per route, (session, view, path id): a
 * withdrawal followed by a re-announcement, or a return to the path before
 * the last change, adds flap_penalty to that route's figure of merit,
 * which decays with flap_half_life_s; the route is suppressed above
 * flap_suppress until it decays below flap_reuse.  A prefix is flapping
 * while any of its routes is suppressed, so one outage and recovery, one
 * flap per route, never is.
 */
#include <math.h>
#include <string.h>

#include "ph_state.h"

/* Slide a window to bucket now_b; true when counts left it. */
static bool
win_advance(uint32_t *head, uint16_t (*c)[CH_KINDS], uint32_t nb,
    uint32_t now_b)
{
	bool dropped = false;
	uint32_t b, from;

	if (now_b <= *head)
		return false;
	from = now_b - *head >= nb ? now_b - nb + 1 : *head + 1;
	for (b = from; b <= now_b; b++) {
		uint16_t *k = c[b % nb];
		dropped |= (k[0] | k[1] | k[2]) != 0;
		memset(k, 0, sizeof(c[0]));
	}
	*head = now_b;
	return dropped;
}

bool
ph_act_roll(const struct ph_state *st, struct ph_prefix *p)
{
	struct ph_act *a = p->act;
	bool d1, d15;

	if (a == NULL)
		return false;
	d1 = win_advance(&a->w1_head, a->w1, W1_BUCKETS,
	    (uint32_t)(st->clock / W1_BUCKET_US));
	d15 = win_advance(&a->w15_head, a->w15, W15_BUCKETS,
	    (uint32_t)(st->clock / W15_BUCKET_US));
	return d1 || d15;
}

/* p's activity record, allocated on first use; NULL when out of memory. */
static struct ph_act *
act_get(struct ph_state *st, struct ph_prefix *p)
{
	if (p->act == NULL &&
	    (p->act = ph_realloc(st, NULL, 0, sizeof(*p->act))) != NULL)
		memset(p->act, 0, sizeof(*p->act));
	return p->act;
}

void
ph_act_release_if_quiet(struct ph_state *st, struct ph_prefix *p)
{
	const struct ph_act *a = p->act;

	if (a == NULL || a->n_damp > 0)
		return;
	for (int b = 0; b < W15_BUCKETS; b++)
		for (int k = 0; k < CH_KINDS; k++)
			if (a->w15[b][k] != 0 || (b < W1_BUCKETS &&
			    a->w1[b][k] != 0))
				return;
	ph_act_free(st, p);
}

void
ph_act_free(struct ph_state *st, struct ph_prefix *p)
{
	if (p->act != NULL)
		ph_free(st, p->act->damp, p->act->cap_damp *
		    sizeof(*p->act->damp));
	ph_free(st, p->act, sizeof(*p->act));
	p->act = NULL;
}

void
ph_act_churn(struct ph_state *st, struct ph_prefix *p,
    const struct ph_peer *pe, enum churn_kind k)
{
	struct ph_act *a;

	/* A RIB dump is not churn (and costs no activity record). */
	if (pe->warming || (a = act_get(st, p)) == NULL)
		return;
	ph_act_roll(st, p);
	if (a->w1[a->w1_head % W1_BUCKETS][k] < UINT16_MAX)
		a->w1[a->w1_head % W1_BUCKETS][k]++;
	if (a->w15[a->w15_head % W15_BUCKETS][k] < UINT16_MAX)
		a->w15[a->w15_head % W15_BUCKETS][k]++;
}

/*
 * RFC 2439 §4.3: each figure of merit decays exponentially with time; one
 * below 1 is forgotten.  The prefix is flapping while a route is
 * suppressed: above flap_suppress, until below flap_reuse.
 */
void
ph_act_decay(struct ph_state *st, struct ph_prefix *p)
{
	struct ph_act *a = p->act;
	uint32_t kept = 0;

	p->flapping = 0;
	if (a == NULL)
		return;
	for (uint32_t i = 0; i < a->n_damp; i++) {
		struct ph_damp *d = &a->damp[i];

		if (st->clock > d->t) {
			d->penalty *= (float)pow(0.5, (double)(st->clock -
			    d->t) / (double)st->cfg.half_life_us);
			d->t = st->clock;
		}
		if (d->suppressed && d->penalty < st->cfg.flap_reuse)
			d->suppressed = 0;
		if (d->penalty < 1.0f)
			continue;
		p->flapping |= d->suppressed;
		a->damp[kept++] = *d;
	}
	a->n_damp = kept;
	if (kept == 0) {
		ph_free(st, a->damp, a->cap_damp * sizeof(*a->damp));
		a->damp = NULL;
		a->cap_damp = 0;
	}
}

double
ph_act_penalty(const struct ph_prefix *p)
{
	double m = 0;

	for (uint32_t i = 0; p->act != NULL && i < p->act->n_damp; i++)
		if (p->act->damp[i].penalty > m)
			m = p->act->damp[i].penalty;
	return m;
}

void
ph_act_flap(struct ph_state *st, struct ph_prefix *p, uint32_t src,
    uint32_t path_id)
{
	struct ph_act *a = act_get(st, p);
	struct ph_damp *d;
	uint32_t i;

	if (a == NULL)
		return;
	ph_act_decay(st, p);
	for (i = 0; i < a->n_damp; i++)
		if (a->damp[i].src == src && a->damp[i].path_id == path_id)
			break;
	if (i == a->n_damp) {
		if (a->n_damp == a->cap_damp) {
			uint32_t cap = a->cap_damp ? a->cap_damp * 2 : 1;

			d = ph_realloc(st, a->damp, a->cap_damp * sizeof(*d),
			    cap * sizeof(*d));
			if (d == NULL)
				return;
			a->damp = d;
			a->cap_damp = cap;
		}
		d = &a->damp[a->n_damp++];
		memset(d, 0, sizeof(*d));
		d->src = src;
		d->path_id = path_id;
		d->t = st->clock;
	}
	d = &a->damp[i];
	d->penalty += (float)st->cfg.flap_penalty;
	if (d->penalty > st->cfg.flap_max)
		d->penalty = (float)st->cfg.flap_max;
	if (d->penalty > st->cfg.flap_suppress)
		d->suppressed = 1;
	p->flapping |= d->suppressed;
}

void
ph_act_change(struct ph_state *st, struct ph_prefix *p,
    const struct bf_route *r)
{
	int64_t b = r->bmp_time_us;
	int64_t d = r->collector_time_us - r->bmp_time_us;

	if (p->last_change == 0 || b < p->wave_first ||
	    b - p->wave_first > st->cfg.wave_us) {
		p->wave_first = b;
		p->wave_span = 0;
		p->delay_max = d;
	} else {
		if (b - p->wave_first > p->wave_span)
			p->wave_span = b - p->wave_first;
		if (d > p->delay_max)
			p->delay_max = d;
	}
	p->delay_last = d;
	p->last_change = st->clock;
	bf_metric_observe(st->host, st->m.delivery, NULL, (double)d / 1e6);
}
