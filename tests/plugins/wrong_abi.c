/* SPDX-License-Identifier: Apache-2.0 */
/*
 * wrong_abi.c: a plugin built against another plugin ABI, which
 * bmpflow-processor must refuse with a clear message.
 */
#include "bmpflow/plugin.h"

static void *
init(struct bf_host *h, const struct bf_setting *s, size_t n, char *err,
    size_t errlen)
{
	(void)h;
	(void)s;
	(void)n;
	(void)err;
	(void)errlen;
	return NULL;
}

static void on_route(void *st, const struct bf_route *r) { (void)st; (void)r; }
static void on_session(void *st, const struct bf_session_event *e)
{
	(void)st;
	(void)e;
}
static void on_tick(void *st, int64_t now) { (void)st; (void)now; }
static void fini(void *st) { (void)st; }

static const struct bf_plugin wrong = {
	.abi = BMPFLOW_PLUGIN_ABI - 1,	/* as a plugin of the ABI before */
	.size = sizeof(struct bf_plugin),
	.name = "wrong_abi",
	.output_schema = "prefix_health",
	.init = init,
	.on_route = on_route,
	.on_session = on_session,
	.on_tick = on_tick,
	.fini = fini,
};

BMPFLOW_PLUGIN(wrong)
