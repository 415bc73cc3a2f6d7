/*
 * epochs.c: per-peer current epoch, in an open-addressing hash table.
 */
#include "epochs.h"

#include <stdlib.h>
#include <string.h>

#define INITIAL_CAP	64

static uint64_t
hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a */

	while (*s)
		h = (h ^ (uint8_t)*s++) * 1099511628211ULL;
	return h;
}

int
bf_epochs_init(struct bf_epochs *t)
{
	memset(t, 0, sizeof(*t));
	t->cap = INITIAL_CAP;
	t->slots = calloc(t->cap, sizeof(*t->slots));
	return t->slots == NULL ? -1 : 0;
}

void
bf_epochs_free(struct bf_epochs *t)
{
	for (size_t i = 0; i < t->cap; i++)
		free(t->slots[i].key);
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

static struct bf_epoch_entry *
slot_of(struct bf_epoch_entry *slots, size_t cap, const char *key)
{
	size_t i = (size_t)hash(key) & (cap - 1);

	while (slots[i].key != NULL && strcmp(slots[i].key, key) != 0)
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

static int
grow(struct bf_epochs *t)
{
	size_t cap = t->cap * 2;
	struct bf_epoch_entry *n = calloc(cap, sizeof(*n));

	if (n == NULL)
		return -1;
	for (size_t i = 0; i < t->cap; i++)
		if (t->slots[i].key != NULL)
			*slot_of(n, cap, t->slots[i].key) = t->slots[i];
	free(t->slots);
	t->slots = n;
	t->cap = cap;
	return 0;
}

/* The peer's entry; a new one starts at epoch 0, open (no Peer Up yet). */
static struct bf_epoch_entry *
lookup(struct bf_epochs *t, const char *key)
{
	struct bf_epoch_entry *e;

	if ((t->count + 1) * 4 > t->cap * 3 && grow(t) < 0)
		return NULL;
	e = slot_of(t->slots, t->cap, key);
	if (e->key == NULL) {
		if ((e->key = strdup(key)) == NULL)
			return NULL;
		e->current = 0;
		e->open = true;
		t->count++;
	}
	return e;
}

enum bf_epoch_action
bf_epochs_peer(struct bf_epochs *t, const char *key, uint64_t epoch, bool up)
{
	struct bf_epoch_entry *e = lookup(t, key);

	if (e == NULL)
		return BF_EPOCH_DELIVER;
	if (epoch > e->current) {
		e->current = epoch;
		e->open = up;
		return BF_EPOCH_DELIVER;
	}
	if (epoch == e->current && !up && e->open) {
		e->open = false;
		return BF_EPOCH_DELIVER;
	}
	/* Older, or a repeat (Loc-RIB Peer Ups share an epoch; redelivery). */
	t->dropped++;
	return BF_EPOCH_DROP;
}

enum bf_epoch_action
bf_epochs_route(struct bf_epochs *t, const char *key, uint64_t epoch)
{
	struct bf_epoch_entry *e = lookup(t, key);

	if (e == NULL)
		return BF_EPOCH_DELIVER;
	if (epoch == e->current && e->open)
		return BF_EPOCH_DELIVER;
	if (epoch > e->current) {
		e->current = epoch;
		e->open = true;
		return BF_EPOCH_OPEN_DELIVER;
	}
	t->dropped++;
	return BF_EPOCH_DROP;
}
