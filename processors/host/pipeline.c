/*
 * pipeline.c: decode → peer-epoch rule → plugin, timing the plugin.
 */
#include "pipeline.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int
bf_pipeline_init(struct bf_pipeline *pl, const struct bf_plugin *plugin,
    const char *schema_dir, char *err, size_t errlen)
{
	memset(pl, 0, sizeof(*pl));
	pl->plugin = plugin;
	if (bf_records_in_init(&pl->in, schema_dir, err, errlen) < 0)
		return -1;
	if (bf_epochs_init(&pl->epochs) < 0) {
		bf_records_in_free(&pl->in);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

void
bf_pipeline_free(struct bf_pipeline *pl)
{
	bf_records_in_free(&pl->in);
	bf_epochs_free(&pl->epochs);
}

int
bf_pipeline_record(struct bf_pipeline *pl, const uint8_t *value, size_t len,
    int32_t partition, char *err, size_t errlen)
{
	struct bf_records_in *in = &pl->in;
	int kind = bf_records_in_decode(in, value, len, err, errlen);
	uint64_t t0;

	pl->records++;
	if (kind < 0) {
		pl->bad++;
		return -1;
	}
	t0 = mono_ns();
	if (kind == BF_IN_PEER) {
		if (bf_epochs_peer(&pl->epochs, in->peer_key, in->peer.epoch,
		    in->peer.up) == BF_EPOCH_DROP)
			return kind;
		pl->plugin->on_peer(pl->state, &in->peer);
	} else {
		in->route.partition = partition;
		switch (bf_epochs_route(&pl->epochs, in->peer_key,
		    in->route.epoch)) {
		case BF_EPOCH_DROP:
			return kind;
		case BF_EPOCH_OPEN_DELIVER: {
			/* The route's Peer Up is late: open its epoch first. */
			struct bf_peer_event up = {
				.peer = in->route.peer,
				.epoch = in->route.epoch, .up = true,
				.bmp_time_us = in->route.bmp_time_us,
				.collector_time_us = in->route.collector_time_us,
			};

			pl->plugin->on_peer(pl->state, &up);
			break;
		}
		case BF_EPOCH_DELIVER:
			break;
		}
		pl->plugin->on_route(pl->state, &in->route);
	}
	pl->plugin_ns += mono_ns() - t0;
	pl->plugin_calls++;
	return kind;
}
