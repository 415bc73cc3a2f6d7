/* SPDX-License-Identifier: Apache-2.0 */
/*
 * leak_detect.c: the leak and hijack detection processor plugin.
 *
 * From the route stream of the operator's own routers it raises alerts
 * (schemas/alert.avsc, topic bmp.alert, key "type|prefix"):
 *
 *   route_leak        valley-free violation on the AS path (prepends
 *                     collapsed): an AS sends a route it learned from a
 *                     provider or peer to a provider or peer, RFC 7908
 *                     type 1-4; the neighbour judged by its session role;
 *   otc_leak          RFC 9234 §5 ingress rules on the session role: OTC
 *                     from a customer or RS client, or from a peer with
 *                     another AS than the peer's;
 *   peer_lock         the AS that got a route from a transit-free AS
 *                     passes it to a non-customer (its peer or provider,
 *                     or a transit-free AS);
 *   origin_hijack     a monitored prefix from an unexpected origin;
 *   subprefix_hijack  a more-specific of one from an unexpected origin;
 *   rpki_invalid      RFC 6811 invalid origin or length;
 *   new_upstream      the AS next to the origin of a monitored prefix is
 *                     neither expected nor seen before;
 *   moas              a monitored prefix with more than one origin.
 *
 * The leak rules judge where each AS sends a route, not which ASes a
 * path holds: a route from a provider may carry any valley-free path,
 * peer-learned ones included.  An unknown relationship or session role
 * raises nothing.  README.md gives every rule a must-alert and a
 * must-not-alert path; rule_examples in tests/unit/test_leak_detect.c
 * runs each of them under the same name.
 *
 * Inputs are files named in the options (ld_options[], the first F_N),
 * loaded at init (a parse error fails init with "file:line: what") and
 * reloaded, on a thread of their own, when a new version stays the same
 * across two checks from on_tick or when the host calls the descriptor's
 * reload, on its SIGHUP (ld_file.c).
 *
 * Alert lifecycle.  An alert is one (type, prefix, culprit AS).  Every
 * (session, view, prefix[, path id]) route that offends is a member of
 * the alerts it offends, kept in a table of offending routes only, so a
 * clean route costs no memory.  Peers are BGP sessions (the host's
 * session ids): every view the host delivers is checked, and a session
 * holding an offending route in several views counts once.  An alert
 * opens (state "open", emitted at once from on_route: detection latency
 * matters) when min_peers distinct sessions hold a member route; further
 * sightings mark it for one "update" at the next tick; it resolves
 * ("resolved", emitted at once) when no route is a member any more
 * (withdrawal, a clean replacement, the session's Peer Down or the end of
 * the router's BMP session, the end of a view).  A
 * resolved alert is kept alert_window_s: a repeat inside the window
 * reopens the same alert (same alert_id, state "update"); after it, a
 * repeat is a new alert.  alert_id is the FNV-1a 64 hash of
 * "type|prefix|culprit|first_seen", so it is stable across updates and
 * the same when a partition is replayed.
 *
 * Paths with AS_SETs or confederation segments (as_path_count !=
 * as_path_len: AS_SEQUENCE prepends count in the BGP length, a set counts
 * 1, confederation segments 0) are not checked for leaks, peer-lock or
 * upstreams, and the leaker search of OTC falls back to the neighbour: the
 * flat path does not tell where the set is.  Reserved and private ASNs
 * (asn_special) are never a culprit and never judged as a link.
 *
 * This file holds the options and the host's callbacks; the parts they
 * call, each owning its share of struct ld_state, are listed in
 * ld_state.h.
 */
#ifndef _GNU_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ld_state.h"
#include "leak_detect.h"
#include "textfile.h"

#define US_PER_S	1000000LL

/* Options, in the order of ld_options[], after the files. */
enum {
	O_PEER_ROLES = F_N, O_MIN_PEERS, O_WINDOW, O_LEARN, O_RPKI_MON_ONLY,
	O_RELOAD_CHECK, O_RTR, O_RTR_REFRESH, O_RTR_EXPIRE, O_RTR_RETRY,
	O_RTR_SSH_KEY, O_RTR_SSH_HOST_KEY, O_N
};

const struct bf_option ld_options[O_N] = {
	[F_ASREL] = { "asrel_file", BF_OPT_TEXT, "", 0, 0, "AS relationships "
	    "(CAIDA as-rel: AS1|AS2|-1 or 0): route leaks, peer-lock" },
	[F_PREFIXES] = { "prefixes_file", BF_OPT_TEXT, "", 0, 0,
	    "monitored prefixes and their expected origins: hijacks, MOAS, "
	    "new upstreams" },
	[F_ROAS] = { "roas_file", BF_OPT_TEXT, "", 0, 0, "VRPs as JSON "
	    "(rpki-client, Routinator): rpki_invalid" },
	[F_TRANSIT_FREE] = { "transit_free_file", BF_OPT_TEXT, "", 0, 0,
	    "transit-free ASes for peer-lock (none: 16 well-known)" },
	[O_PEER_ROLES] = { "peer_roles", BF_OPT_TEXT, "", 0, 0,
	    "PEER_ADDRESS=ROLE,...: the neighbour's BGP Role (provider, "
	    "customer, peer, rs, rs-client) where the Peer Up has none" },
	[O_MIN_PEERS] = { "min_peers", BF_OPT_NUMBER, "1", 1, 100000,
	    "distinct sessions holding an offending route before an alert "
	    "opens" },
	[O_WINDOW] = { "alert_window_s", BF_OPT_NUMBER, "300", 0, 1e7,
	    "a repeat within this time of resolution reopens the same "
	    "alert" },
	[O_LEARN] = { "upstream_learn_s", BF_OPT_NUMBER, "300", 0, 1e7,
	    "upstreams of a monitored prefix without upstreams= are learned "
	    "for this long after its first route" },
	[O_RPKI_MON_ONLY] = { "rpki_monitored_only", BF_OPT_NUMBER, "0", 0, 1,
	    "1: rpki_invalid only for monitored prefixes and their "
	    "more-specifics" },
	[O_RELOAD_CHECK] = { "reload_check_s", BF_OPT_NUMBER, "5", 0, 86400,
	    "how often input files are checked for changes (0 = never)" },
	[O_RTR] = { "rtr", BF_OPT_TEXT, "", 0, 0, "RTR (RFC 8210) servers "
	    "for VRPs, in order of preference (fail-over): HOST:PORT or "
	    "ssh://USER@HOST:PORT, separated by spaces or commas; with roas_file: "
	    "both" },
	[O_RTR_REFRESH] = { "rtr_refresh_s", BF_OPT_NUMBER, "3600", 1, 86400,
	    "RTR: seconds between serial queries (a Serial Notify asks at "
	    "once)" },
	[O_RTR_EXPIRE] = { "rtr_expire_s", BF_OPT_NUMBER, "7200", 600, 172800,
	    "RTR: VRPs are dropped this long after the last sync" },
	[O_RTR_RETRY] = { "rtr_retry_s", BF_OPT_NUMBER, "600", 1, 7200,
	    "RTR: seconds before retrying a failed server" },
	[O_RTR_SSH_KEY] = { "rtr_ssh_key", BF_OPT_TEXT, "", 0, 0,
	    "RTR over SSH: the client's private key file" },
	[O_RTR_SSH_HOST_KEY] = { "rtr_ssh_host_key", BF_OPT_TEXT, "", 0, 0,
	    "RTR over SSH: the server's host key, a known_hosts file" },
};

static const struct ld_scope ld_all = { BF_VIEWS, -1, 0 };

/* Whether name names role, "_" for "-": the collector writes rs_client. */
static bool
role_is(const char *name, uint8_t role)
{
	const char *want = ld_role_names[role];

	for (; *name && *want; name++, want++)
		if (*name != *want && !(*name == '_' && *want == '-'))
			return false;
	return *name == '\0' && *want == '\0';
}

/* The role named name (a BGP Role or a peer_roles value), or ROLE_NONE. */
static uint8_t
role_parse(const char *name)
{
	for (uint8_t k = ROLE_PROVIDER; k <= ROLE_PEER; k++)
		if (role_is(name, k))
			return k;
	return ROLE_NONE;
}

static void
on_session(void *state, const struct bf_session_event *e)
{
	struct ld_state *st = state;
	uint32_t pid = ld_peer_get(st, e->session);
	struct peer *pe;
	uint8_t role;

	if (pid == 0) {
		bf_plugin_log(st->host, 0, "leak_detect: out of memory "
		    "adding a session");
		return;
	}
	if (e->collector_time_us > st->clock)
		st->clock = e->collector_time_us;
	pe = &st->peers[pid];
	switch (e->kind) {
	case BF_SESSION_UP:
		if (e->reset) {
			ld_peer_reset(st, pid, true, e->epoch, ld_all,
			    e->collector_time_us);
			pe->role = ld_peer_config_role(st, pe->addr);
		}
		/*
		 * A negotiated BGP Role wins over peer_roles from the config,
		 * also when the Peer Up is read after the session's routes:
		 * they are checked on their next change.
		 */
		role = e->has_open && e->peer_role ?
		    role_parse(e->peer_role) : ROLE_NONE;
		if (role != ROLE_NONE)
			pe->role = role;
		break;
	case BF_SESSION_DOWN:
		ld_peer_reset(st, pid, false, e->epoch, ld_all,
		    e->collector_time_us);
		break;
	case BF_SESSION_VIEW_END:
		/* VPN routes are not checked: nothing of theirs is kept. */
		if (e->route_class < 0 || !(e->route_class & 2))
			ld_peer_reset(st, pid, true, e->epoch, (struct ld_scope){
			    (int)e->view, e->partition, e->route_class < 0 ?
			    0 : (e->route_class & 1) ? 6 : 4 },
			    e->collector_time_us);
		break;
	case BF_SESSION_END_OF_RIB:
		break;
	}
}

static void
on_route(void *state, const struct bf_route *r)
{
	struct ld_state *st = state;
	struct ld_judged j;
	struct peer *pe;
	uint32_t pid;

	st->routes_since_tick++;
	if (r->rd != NULL || (r->family != 4 && r->family != 6) ||
	    r->prefix_len > (r->family == 4 ? 32 : 128))
		return;
	if ((pid = ld_peer_get(st, r->session)) == 0) {
		bf_plugin_log(st->host, 0, "leak_detect: out of memory "
		    "adding a session");
		return;
	}
	pe = &st->peers[pid];
	if (r->collector_time_us > st->clock)
		st->clock = r->collector_time_us;
	/* The host resets a session before its epoch's first route. */
	if (!pe->up || r->epoch != pe->epoch)
		ld_peer_reset(st, pid, true, r->epoch, ld_all,
		    r->collector_time_us);
	j.r = r;
	j.pe = pe;
	j.src = bf_src(pid, r->view);
	j.path_id = r->has_path_id ? r->path_id : 0;
	ptab_from_bytes(&j.q, r->family, r->prefix_len, r->addr);
	j.mon = NULL;
	j.ps = NULL;
	j.has_origin = false;
	j.origin = 0;
	j.n = 0;
	if (st->mon.n > 0 && (j.mon = monitor_match(&st->mon, &j.q)) != NULL)
		j.ps = ld_prefix_get(st, &j.mon->p, !r->withdraw);
	j.partition = r->partition;
	j.time_us = r->collector_time_us;
	j.rpki = RPKI_NOT_FOUND;
	if (!r->withdraw)
		ld_rule_judge(st, &j);
	ld_route_judge(st, &j);
	ld_rov_route(st, &j, r->withdraw);
	if (j.ps != NULL && j.mon->p.len == j.q.len) {
		j.ps->partition = r->partition;
		if (ld_prefix_route(st, j.ps, j.src, j.path_id, !r->withdraw,
		    j.has_origin ? j.origin : 0))
			ld_prefix_moas(st, j.ps, r, r->collector_time_us);
	}
}

static void
drop_partition(void *state, int32_t partition)
{
	struct ld_state *st = state;

	ld_route_drop_partition(st, partition);
	ld_rov_drop_partition(st, partition);
	ld_alert_drop_partition(st, partition);
	ld_prefix_drop_partition(st, partition);
}

static void
on_tick(void *state, int64_t now_us)
{
	struct ld_state *st = state;

	if (now_us > st->clock)
		st->clock = now_us;
	ld_alert_tick(st);
	bf_metric_add(st->host, st->m_routes, NULL,
	    (double)st->routes_since_tick);
	st->routes_since_tick = 0;
	ld_file_tick(st);
	if (st->rtr != NULL)
		ld_rtr_tick(st);
	ld_rov_revalidate(st, NULL, 0, now_us);	/* after a roas_file reload */
	ld_rov_metric(st);
}

/* ---- settings, init, fini --------------------------------------------------------------- */

/* "198.51.100.1=customer, 2001:db8::1=peer" */
static int
parse_roles(struct ld_state *st, const char *spec, char *err, size_t errlen)
{
	char *copy = strdup(spec), *save = NULL;

	if (copy == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (char *tok = strtok_r(copy, ", \t\n", &save); tok;
	    tok = strtok_r(NULL, ", \t\n", &save)) {
		char *eq = strrchr(tok, '=');
		uint8_t role = ROLE_NONE;

		if (eq != NULL) {
			*eq++ = '\0';
			role = role_parse(eq);
		}
		if (eq == NULL || *tok == '\0' || role == ROLE_NONE) {
			textfile_err(err, errlen, "peer_roles: bad entry \"%s%s%s\" "
			    "(want PEER_ADDRESS=provider|customer|peer|rs|"
			    "rs-client, the neighbour's role)", tok,
			    eq ? "=" : "", eq ? eq : "");
			free(copy);
			return -1;
		}
		struct role_cfg *n = realloc(st->roles, (st->n_roles + 1) *
		    sizeof(*n));
		if (n == NULL || (n[st->n_roles].addr = strdup(tok)) == NULL) {
			if (n)
				st->roles = n;
			snprintf(err, errlen, "out of memory");
			free(copy);
			return -1;
		}
		n[st->n_roles++].role = role;
		st->roles = n;
	}
	free(copy);
	return 0;
}

static void fini(void *state);

#define OUT(f)	{ #f, offsetof(struct ld_out, f) }
static const struct bf_field_decl out_fields[] = {
	OUT(alert_id), OUT(type), OUT(rfc7908_type), OUT(prefix_class),
	OUT(path_class), OUT(severity), OUT(prefix), OUT(origin_as),
	OUT(culprit_as), OUT(culprit_segment), OUT(as_path), OUT(routers),
	OUT(peers), OUT(peers_seen), OUT(peers_holding), OUT(first_seen),
	OUT(last_seen), OUT(count), OUT(state), OUT(detection_latency_ms),
	OUT(time_us), OUT(detail), OUT(rpki_state),
};
#undef OUT
/* Every id of struct ld_out is in the table: none is left 0, a valid id. */
_Static_assert(sizeof(out_fields) / sizeof(out_fields[0]) ==
    sizeof(struct ld_out) / sizeof(int), "a field of struct ld_out is not "
    "in out_fields");

static void *
init(struct bf_host *h, const struct bf_setting *settings, size_t n,
    char *err, size_t errlen)
{
	static const double lat_buckets[] = { 1, 2, 5, 10, 20, 50, 100, 200,
	    500, 1000, 5000 };
	struct ld_state *st;

	if (n != O_N) {
		snprintf(err, errlen, "%zu settings for %d options", n, O_N);
		return NULL;
	}
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	st->host = h;
	ld_rtab_init(&st->offending, sizeof(struct oroute));
	ld_rtab_init(&st->held, sizeof(struct rov_route));
	for (int f = 0; f < F_N; f++)
		if (*settings[f].value != '\0' && (st->files[f].path =
		    strdup(settings[f].value)) == NULL) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
	if (parse_roles(st, settings[O_PEER_ROLES].value, err, errlen) < 0)
		goto fail;
	st->min_peers = (uint32_t)strtod(settings[O_MIN_PEERS].value, NULL);
	st->window_us = (int64_t)(strtod(settings[O_WINDOW].value, NULL) *
	    US_PER_S);
	st->learn_us = (int64_t)(strtod(settings[O_LEARN].value, NULL) *
	    US_PER_S);
	st->rpki_monitored_only = strtod(settings[O_RPKI_MON_ONLY].value,
	    NULL) != 0;
	st->reload_check_us = (int64_t)(strtod(settings[O_RELOAD_CHECK].value,
	    NULL) * US_PER_S);
	st->m_alerts = bf_metric_declare(h, "alerts_total", BF_METRIC_COUNTER,
	    "Alert records emitted, by type and state", NULL, 0);
	st->m_open = bf_metric_declare(h, "alerts_open", BF_METRIC_GAUGE,
	    "Alerts open now, by type", NULL, 0);
	st->m_routes = bf_metric_declare(h, "routes_total", BF_METRIC_COUNTER,
	    "Route records checked", NULL, 0);
	st->m_latency = bf_metric_declare(h, "detection_latency_ms",
	    BF_METRIC_HISTOGRAM, "From the collector receiving the triggering "
	    "BMP message to the alert record, by type", lat_buckets,
	    sizeof(lat_buckets) / sizeof(lat_buckets[0]));
	st->m_entries = bf_metric_declare(h, "input_entries", BF_METRIC_GAUGE,
	    "Entries loaded from each input file", NULL, 0);
	st->m_reloads = bf_metric_declare(h, "reloads_total",
	    BF_METRIC_COUNTER, "Input file reloads, by file and result",
	    NULL, 0);
	st->m_rpki_routes = bf_metric_declare(h, "rpki_routes",
	    BF_METRIC_GAUGE, "Routes held by RFC 6811 state (valid, invalid, "
	    "not_found), while VRPs are in use", NULL, 0);
	if (bf_declare_fields(h, &st->out, out_fields, sizeof(out_fields) /
	    sizeof(out_fields[0]), err, errlen) < 0)
		goto fail;
	for (int f = 0; f < F_N; f++)
		if (ld_file_load(st, f, err, errlen) < 0)
			goto fail;
	unsigned intervals[3] = {
		(unsigned)strtod(settings[O_RTR_REFRESH].value, NULL),
		(unsigned)strtod(settings[O_RTR_EXPIRE].value, NULL),
		(unsigned)strtod(settings[O_RTR_RETRY].value, NULL) };
	if (ld_rtr_start(st, settings[O_RTR].value,
	    settings[O_RTR_SSH_KEY].value, settings[O_RTR_SSH_HOST_KEY].value,
	    intervals, err, errlen) < 0)
		goto fail;
	for (int t = 0; t < T_N; t++)
		ld_alert_metric_open(st, t);
	ld_file_metric_entries(st);
	bf_plugin_log(h, 2, "leak_detect: %zu AS links, %zu monitored "
	    "prefixes, %zu VRPs, %zu transit-free ASes, %zu peer roles, "
	    "min_peers %u", st->rel.n, st->mon.n, st->rpki.n, st->tf.n,
	    st->n_roles, st->min_peers);
	return st;
fail:
	fini(st);
	return NULL;
}

static void
fini(void *state)
{
	struct ld_state *st = state;

	if (st == NULL)
		return;
	ld_rtr_stop(st);
	ld_file_stop(st);
	astab_free(&st->rel);
	astab_free(&st->tf);
	rpki_free(&st->rpki);
	rpki_free(&st->rtr_rpki);
	monitor_free(&st->mon);
	for (int f = 0; f < F_N; f++)
		free(st->files[f].path);
	for (size_t i = 0; i < st->n_roles; i++)
		free(st->roles[i].addr);
	free(st->roles);
	ld_route_free_all(st);
	ld_alert_free_all(st);
	ld_prefix_free_all(st);
	ld_rtab_free(&st->held);
	free(st->scratch);
	free(st);
}

/* ---- measurement ------------------------------------------------------------------------ */

size_t
ld_mem_bytes(const void *state)
{
	const struct ld_state *st = state;

	return sizeof(*st) + astab_bytes(&st->rel) + astab_bytes(&st->tf) +
	    rpki_bytes(&st->rpki) + rpki_bytes(&st->rtr_rpki) +
	    monitor_bytes(&st->mon) + ld_rtab_bytes(&st->held) +
	    ld_route_bytes(st) + ld_alert_bytes(st) + ld_prefix_bytes(st) +
	    st->scratch_cap * sizeof(uint32_t);
}
size_t
ld_alerts_held(const void *state)
{
	return ((const struct ld_state *)state)->n_al;
}

size_t
ld_offending_routes(const void *state)
{
	return ((const struct ld_state *)state)->offending.n;
}

/* SIGHUP through the host: re-read every input file, off this thread. */
static void
reload(void *state)
{
	ld_file_request_all(state);
}

static const struct bf_plugin leak_detect = {
	.abi = BMPFLOW_PLUGIN_ABI,
	.size = sizeof(struct bf_plugin),
	.name = "leak_detect",
	.options = ld_options,
	.n_options = O_N,
	.output_schema = "alert",
	.init = init,
	.on_route = on_route,
	.on_session = on_session,
	.on_tick = on_tick,
	.drop_partition = drop_partition,
	.fini = fini,
	.reload = reload,
};

BMPFLOW_PLUGIN(leak_detect)
