/* SPDX-License-Identifier: Apache-2.0 */
/*
 * noop_plugin.c: a plugin that does nothing with what the host hands it,
 * for bench_processor.py: the host's own cost per record (consuming,
 * decoding, the epoch rule, the state rebuild) without a plugin's work.
 * It counts routes only so that the call is not an empty one.
 *
 * Built again as wrong_abi.so with NOOP_PLUGIN_ABI one below the host's:
 * a plugin of the ABI before, which bmpflow-processor must refuse with a
 * clear message.
 */
#include "bmpflow/plugin.h"

#ifndef NOOP_PLUGIN_ABI
#define NOOP_PLUGIN_ABI		BMPFLOW_PLUGIN_ABI
#define NOOP_PLUGIN_NAME	"noop"
#endif

struct noop {
	uint64_t	routes;
};

static struct noop the_noop;

static void *
noop_init(struct bf_host *h, const struct bf_setting *settings,
    size_t n_settings, char *err, size_t errlen)
{
	(void)h, (void)settings, (void)n_settings, (void)err, (void)errlen;
	return &the_noop;
}

static void
noop_route(void *state, const struct bf_route *r)
{
	struct noop *n = state;

	(void)r;
	n->routes++;
}

static void
noop_session(void *state, const struct bf_session_event *e)
{
	(void)state, (void)e;
}

static void
noop_tick(void *state, int64_t now_us)
{
	(void)state, (void)now_us;
}

static void
noop_drop(void *state, int32_t partition)
{
	(void)state, (void)partition;
}

static void
noop_fini(void *state)
{
	(void)state;
}

/* Its output schema is prefix_health's, never written. */
static const struct bf_plugin noop = {
	.abi = NOOP_PLUGIN_ABI,
	.size = sizeof(struct bf_plugin),
	.name = NOOP_PLUGIN_NAME,
	.output_schema = "prefix_health",
	.init = noop_init,
	.on_route = noop_route,
	.on_session = noop_session,
	.on_tick = noop_tick,
	.drop_partition = noop_drop,
	.fini = noop_fini,
};

BMPFLOW_PLUGIN(noop)
