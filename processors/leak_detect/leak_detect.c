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
 * Inputs are files named in the options (options[], the first F_N),
 * loaded at init (a parse error fails init with "file:line: what") and
 * reloaded when their mtime or size changes (checked from on_tick) or
 * when the host calls the descriptor's reload, on its SIGHUP.
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
 */
#ifndef _GNU_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "bmpflow/plugin.h"
#include "asrel.h"
#include "leak_detect.h"
#include "monitor.h"
#include "ptab.h"
#include "rpki.h"

#define US_PER_S	1000000LL
#define MAX_SEG		8
#define MAX_PATH	255	/* example path kept in an alert */
#define MAX_NAMES	32	/* routers / peers listed in an alert */

enum ld_type {
	T_ROUTE_LEAK,
	T_OTC_LEAK,
	T_PEER_LOCK,
	T_ORIGIN_HIJACK,
	T_SUBPREFIX_HIJACK,
	T_RPKI_INVALID,
	T_NEW_UPSTREAM,
	T_MOAS,
	T_N
};

static const char *const type_names[T_N] = {
	"route_leak", "otc_leak", "peer_lock", "origin_hijack",
	"subprefix_hijack", "rpki_invalid", "new_upstream", "moas",
};

enum { PC_NONE, PC_EXACT, PC_SUB, PC_SQUAT };
static const char *const pclass_names[] = { NULL, "exact", "sub-prefix",
    "squatting" };
enum { HC_NONE, HC_ORIGIN, HC_FIRST_HOP };
static const char *const hclass_names[] = { NULL, "origin", "first_hop" };
enum { SEV_LOW, SEV_MEDIUM, SEV_HIGH, SEV_CRITICAL };
static const char *const sev_names[] = { "low", "medium", "high",
    "critical" };

/* A neighbour's BGP Role (RFC 9234 §4.1), as it would announce it. */
enum role { ROLE_NONE, ROLE_PROVIDER, ROLE_RS, ROLE_RS_CLIENT,
    ROLE_CUSTOMER, ROLE_PEER };
static const char *const role_names[] = { "", "provider", "rs",
    "rs-client", "customer", "peer" };

enum { ST_PENDING, ST_OPEN, ST_RESOLVED };

/* Input files: the first options (options[f] for file f). */
enum { F_ASREL, F_PREFIXES, F_ROAS, F_TRANSIT_FREE, F_N };

/* Options, in the order of options[]. */
enum {
	O_PEER_ROLES = F_N, O_MIN_PEERS, O_WINDOW, O_LEARN, O_RPKI_MON_ONLY,
	O_RELOAD_CHECK, O_N
};

static const struct bf_option options[O_N] = {
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
};

/* Well-known transit-free ASes, used without transit_free_file. */
static const uint32_t default_transit_free[] = { 174, 701, 1239, 1299,
    2914, 3257, 3320, 3356, 3491, 5511, 6453, 6461, 6762, 6830, 7018,
    12956 };

/* One offence of a route, before it is matched to an alert. */
struct off {
	uint8_t		type, rfc7908, pclass, hclass, sev, nseg;
	uint32_t	culprit;	/* 0 = none (MOAS) */
	uint32_t	seg[MAX_SEG];
	char		detail[160];
};

struct holder {
	uint32_t	peer;
	uint32_t	n;		/* member routes of this peer now */
};

struct alert {
	struct ld_pfx	 p;
	uint8_t		 type, rfc7908, pclass, hclass, sev, nseg;
	uint8_t		 state, dirty, touched, has_origin;
	int32_t		 partition;
	uint32_t	 culprit, origin;
	uint32_t	 seg[MAX_SEG];
	uint32_t	 path_n;
	uint32_t	*path;
	int64_t		 first_seen, last_seen, trig_us, resolved_at;
	uint64_t	 count;
	uint32_t	 holding;	/* member routes */
	struct holder	*h;		/* every peer that saw it */
	uint32_t	 nh, caph;
	char		 prefix[48];
	char		 id[17];
	char		 detail[160];
};

/*
 * Routes are kept per source, bf_src(peer, view) with the peer id
 * (session id + 1: 0 is none); alerts count peers.
 */
/* A route member of at least one alert. */
struct oroute {
	uint64_t	hi, lo;
	uint32_t	peer, path_id;	/* peer: a source */
	uint8_t		family, len, n;
	int32_t		partition;
	uint32_t	alert[T_N];
};

struct mroute {
	uint32_t	peer, path_id, origin;	/* peer: a source */
};

/* Runtime state of a monitored prefix: MOAS routes, learned upstreams. */
struct pstate {
	struct ld_pfx	 p;
	int32_t		 partition;	/* of its exact-prefix routes */
	int64_t		 created;
	struct mroute	*r;
	uint32_t	 nr, capr;
	uint32_t	*ups;
	uint32_t	 nups, capups;
};

/* A BGP session, by the host's session id + 1. */
struct peer {
	const char	*router, *addr;	/* the host's */
	char		*name;		/* "router|addr" */
	uint32_t	 as;
	uint8_t		 up, role;
	uint64_t	 epoch;
	uint32_t	 n_off;		/* oroutes of this peer */
	uint32_t	 n_mon;		/* mroutes of this peer */
};

/* Hash index over ids 1..: chains by id, ids owned by the caller. */
struct ix {
	uint32_t	*b, nb;
	uint32_t	*next, *hv;
	uint32_t	 cap, n;
};

struct role_cfg {
	char		*addr;
	uint8_t		 role;
};

struct ld_file {
	char		*path;
	struct timespec	 mtime;
	off_t		 size;
};

/* Field ids of alert.avsc (bf_field), declared in init. */
struct ld_out {
	int	alert_id, type, rfc7908_type, prefix_class, path_class,
		severity, prefix, origin_as, culprit_as, culprit_segment,
		as_path, routers, peers, peers_seen, peers_holding, first_seen,
		last_seen, count, state, detection_latency_ms, time_us, detail;
};

struct ld_state {
	struct bf_host	*host;
	struct ld_out	 out;
	/* settings */
	uint32_t	 min_peers;
	int64_t		 window_us, learn_us, reload_check_us;
	bool		 rpki_monitored_only;
	struct role_cfg	*roles;
	size_t		 n_roles;
	struct ld_file	 files[F_N];
	int64_t		 last_reload_check;
	/* inputs */
	struct asrel	 rel;
	struct asset	 tf;
	struct rpki	 rpki;
	struct monitor	 mon;
	/* peers: sessions, by the host's session id + 1 */
	struct peer	*peers;
	uint32_t	 n_peers;	/* ids 1..n_peers in peers[] */
	/* alerts */
	struct alert	**al;		/* by id, 1.., NULL = free */
	uint32_t	 al_cap, n_al;
	uint32_t	*al_free;	/* free ids below al_cap */
	uint32_t	 n_al_free;
	struct ix	 al_ix;
	/* offending routes */
	struct oroute	*or;		/* by id, 1.. */
	uint32_t	*or_free;
	uint32_t	 or_cap, n_or, n_or_free;
	struct ix	 or_ix;
	/* monitored prefix runtime state */
	struct pstate	**ps;
	uint32_t	 ps_cap, n_ps;
	struct ix	 ps_ix;
	/* clock: largest collector or tick time seen */
	int64_t		 clock;
	uint32_t	*scratch;
	uint32_t	 scratch_cap;
	uint64_t	 routes_since_tick;
	/* metrics */
	int		 m_alerts, m_open, m_routes, m_latency, m_entries,
			 m_reloads;
	uint32_t	 open_by_type[T_N];
};

/* ---- small helpers --------------------------------------------------------- */

static uint32_t
pfx_hash(const struct ld_pfx *p, uint64_t salt)
{
	return (uint32_t)bf_mix64(p->hi ^ bf_mix64(p->lo ^ salt) ^
	    ((uint64_t)p->family << 8 | p->len));
}

static bool
pfx_eq(const struct ld_pfx *a, uint64_t hi, uint64_t lo, uint8_t family,
    uint8_t len)
{
	return a->hi == hi && a->lo == lo && a->family == family &&
	    a->len == len;
}

/* ---- hash index ---------------------------------------------------------------- */

static int
ix_reserve(struct ix *x, uint32_t id)
{
	if (id < x->cap)
		return 0;
	uint32_t nc = x->cap ? x->cap : 16;
	while (nc <= id)
		nc *= 2;
	uint32_t *nx = realloc(x->next, nc * sizeof(*nx));
	if (nx == NULL)
		return -1;
	x->next = nx;
	uint32_t *hv = realloc(x->hv, nc * sizeof(*hv));
	if (hv == NULL)
		return -1;
	x->hv = hv;
	x->cap = nc;
	return 0;
}

static int
ix_rehash(struct ix *x, uint32_t nb)
{
	uint32_t *b = calloc(nb, sizeof(*b));

	if (b == NULL)
		return -1;
	for (uint32_t i = 0; i < x->nb; i++)
		for (uint32_t id = x->b[i], nx; id != 0; id = nx) {
			nx = x->next[id];
			x->next[id] = b[x->hv[id] & (nb - 1)];
			b[x->hv[id] & (nb - 1)] = id;
		}
	free(x->b);
	x->b = b;
	x->nb = nb;
	return 0;
}

static int
ix_insert(struct ix *x, uint32_t id, uint32_t h)
{
	if (ix_reserve(x, id) < 0)
		return -1;
	if (x->n + 1 > x->nb && ix_rehash(x, x->nb ? x->nb * 2 : 64) < 0)
		return -1;
	x->hv[id] = h;
	x->next[id] = x->b[h & (x->nb - 1)];
	x->b[h & (x->nb - 1)] = id;
	x->n++;
	return 0;
}

static void
ix_remove(struct ix *x, uint32_t id)
{
	uint32_t *link = &x->b[x->hv[id] & (x->nb - 1)];

	while (*link != id)
		link = &x->next[*link];
	*link = x->next[id];
	x->n--;
}

static uint32_t
ix_first(const struct ix *x, uint32_t h)
{
	uint32_t id = x->nb ? x->b[h & (x->nb - 1)] : 0;

	while (id != 0 && x->hv[id] != h)
		id = x->next[id];
	return id;
}

static uint32_t
ix_next(const struct ix *x, uint32_t id)
{
	uint32_t h = x->hv[id];

	for (id = x->next[id]; id != 0 && x->hv[id] != h; id = x->next[id])
		;
	return id;
}

static void
ix_free(struct ix *x)
{
	free(x->b);
	free(x->next);
	free(x->hv);
	memset(x, 0, sizeof(*x));
}

static size_t
ix_bytes(const struct ix *x)
{
	return x->nb * sizeof(uint32_t) + x->cap * 2 * sizeof(uint32_t);
}

/* ---- metrics ------------------------------------------------------------------ */

static void
metric_alert(struct ld_state *st, const struct alert *a, const char *state)
{
	char labels[80];

	snprintf(labels, sizeof(labels), "type=\"%s\",state=\"%s\"",
	    type_names[a->type], state);
	bf_metric_add(st->host, st->m_alerts, labels, 1);
}

static void
metric_open(struct ld_state *st, int type)
{
	char labels[48];

	snprintf(labels, sizeof(labels), "type=\"%s\"", type_names[type]);
	bf_metric_set(st->host, st->m_open, labels, st->open_by_type[type]);
}

static void
metric_entries(struct ld_state *st)
{
	static const char *const l[F_N] = { "file=\"asrel\"",
	    "file=\"prefixes\"", "file=\"roas\"", "file=\"transit_free\"" };

	bf_metric_set(st->host, st->m_entries, l[F_ASREL], (double)st->rel.n);
	bf_metric_set(st->host, st->m_entries, l[F_PREFIXES],
	    (double)st->mon.n);
	bf_metric_set(st->host, st->m_entries, l[F_ROAS], (double)st->rpki.n);
	bf_metric_set(st->host, st->m_entries, l[F_TRANSIT_FREE],
	    (double)st->tf.n);
}

/* ---- peers ---------------------------------------------------------------------- */

/* The neighbour's role from peer_roles, ROLE_NONE when not listed. */
static uint8_t
config_role(const struct ld_state *st, const char *addr)
{
	for (size_t i = 0; i < st->n_roles; i++)
		if (strcmp(st->roles[i].addr, addr) == 0)
			return st->roles[i].role;
	return ROLE_NONE;
}

/* The peer of session ss (its id + 1), added on first sight; 0: OOM. */
static uint32_t
peer_get(struct ld_state *st, const struct bf_session *ss)
{
	uint32_t pid = ss->id + 1;
	struct peer *p;

	if (pid > st->n_peers) {
		uint32_t n = pid < 16 ? 16 : pid + pid / 2;
		struct peer *np = realloc(st->peers, (n + 1) * sizeof(*np));

		if (np == NULL)
			return 0;
		memset(np + st->n_peers + 1, 0, (n - st->n_peers) *
		    sizeof(*np));
		st->peers = np;
		st->n_peers = n;
	}
	p = &st->peers[pid];
	if (p->name == NULL) {
		size_t n = strlen(ss->router) + strlen(ss->peer) + 2;

		if ((p->name = malloc(n)) == NULL)
			return 0;
		snprintf(p->name, n, "%s|%s", ss->router, ss->peer);
		p->router = ss->router;
		p->addr = ss->peer;
		p->role = config_role(st, p->addr);
	}
	p->as = ss->peer_as;
	return pid;
}

/* ---- alerts --------------------------------------------------------------------- */

static uint32_t
alert_hash(int type, const struct ld_pfx *p, uint32_t culprit)
{
	return pfx_hash(p, (uint64_t)type << 32 | culprit);
}

static uint32_t
alert_find(const struct ld_state *st, int type, const struct ld_pfx *p,
    uint32_t culprit)
{
	uint32_t h = alert_hash(type, p, culprit);

	for (uint32_t id = ix_first(&st->al_ix, h); id != 0;
	    id = ix_next(&st->al_ix, id)) {
		const struct alert *a = st->al[id];
		if (a->type == type && a->culprit == culprit &&
		    pfx_eq(&a->p, p->hi, p->lo, p->family, p->len))
			return id;
	}
	return 0;
}

static void
alert_free(struct ld_state *st, uint32_t id)
{
	struct alert *a = st->al[id];

	if (a->state == ST_OPEN) {
		st->open_by_type[a->type]--;
		metric_open(st, a->type);
	}
	ix_remove(&st->al_ix, id);
	free(a->path);
	free(a->h);
	free(a);
	st->al[id] = NULL;
	st->al_free[st->n_al_free++] = id;
	st->n_al--;
}

/* A new pending alert for o on q; 0 when out of memory. */
static uint32_t
alert_create(struct ld_state *st, const struct off *o, const struct ld_pfx *q,
    const struct bf_route *r, bool has_origin, uint32_t origin)
{
	struct alert *a;
	uint32_t id;
	uint64_t h;
	char txt[128];

	if (st->n_al_free == 0) {
		uint32_t oc = st->al_cap, nc = oc ? oc * 2 : 16;
		struct alert **n = realloc(st->al, nc * sizeof(*n));
		if (n == NULL)
			return 0;
		st->al = n;
		uint32_t *f = realloc(st->al_free, nc * sizeof(*f));
		if (f == NULL)
			return 0;
		st->al_free = f;
		memset(n + oc, 0, (nc - oc) * sizeof(*n));
		for (uint32_t i = nc - 1; i >= (oc ? oc : 1); i--)
			f[st->n_al_free++] = i;
		st->al_cap = nc;
	}
	id = st->al_free[st->n_al_free - 1];
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return 0;
	a->p = *q;
	a->type = o->type;
	a->rfc7908 = o->rfc7908;
	a->pclass = o->pclass;
	a->hclass = o->hclass;
	a->sev = o->sev;
	a->nseg = o->nseg;
	memcpy(a->seg, o->seg, sizeof(a->seg));
	memcpy(a->detail, o->detail, sizeof(a->detail));
	a->culprit = o->culprit;
	a->has_origin = has_origin;
	a->origin = origin;
	a->partition = r ? r->partition : -1;
	a->first_seen = r ? r->collector_time_us : st->clock;
	if (r && r->as_path && r->as_path_count > 0) {
		a->path_n = r->as_path_count < MAX_PATH ? r->as_path_count :
		    MAX_PATH;
		if ((a->path = malloc(a->path_n * sizeof(uint32_t))) == NULL)
			a->path_n = 0;
		else
			memcpy(a->path, r->as_path, a->path_n *
			    sizeof(uint32_t));
	}
	ptab_format(q, a->prefix, sizeof(a->prefix));
	snprintf(txt, sizeof(txt), "%s|%s|%" PRIu32 "|%" PRId64,
	    type_names[a->type], a->prefix, a->culprit, a->first_seen);
	h = bf_fnv64(BF_FNV64_INIT, txt, strlen(txt));
	snprintf(a->id, sizeof(a->id), "%016" PRIx64, h);
	if (ix_insert(&st->al_ix, id, alert_hash(a->type, q, a->culprit)) < 0) {
		free(a->path);
		free(a);
		return 0;
	}
	st->n_al_free--;
	st->al[id] = a;
	st->n_al++;
	return id;
}

static uint32_t
peers_holding(const struct alert *a)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < a->nh; i++)
		n += a->h[i].n > 0;
	return n;
}

static void
alert_emit(struct ld_state *st, struct alert *a, const char *state,
    int64_t trig_us)
{
	struct bf_host *h = st->host;
	const struct ld_out *o = &st->out;
	int64_t v[MAX_PATH];
	const char *peers[MAX_NAMES], *routers[MAX_NAMES];
	size_t np = 0, nr = 0;
	char key[96], labels[64];
	double lat = (double)(bf_host_now_us(h) - trig_us) / 1000.0;

	snprintf(key, sizeof(key), "%s|%s", type_names[a->type], a->prefix);
	bf_emit_begin(h, key, a->partition);
	bf_emit_str(h, o->alert_id, a->id);
	bf_emit_str(h, o->type, type_names[a->type]);
	if (a->rfc7908)
		bf_emit_long(h, o->rfc7908_type, a->rfc7908);
	else
		bf_emit_null(h, o->rfc7908_type);
	if (a->pclass)
		bf_emit_str(h, o->prefix_class, pclass_names[a->pclass]);
	else
		bf_emit_null(h, o->prefix_class);
	if (a->hclass)
		bf_emit_str(h, o->path_class, hclass_names[a->hclass]);
	else
		bf_emit_null(h, o->path_class);
	bf_emit_str(h, o->severity, sev_names[a->sev]);
	bf_emit_str(h, o->prefix, a->prefix);
	if (a->has_origin)
		bf_emit_long(h, o->origin_as, a->origin);
	else
		bf_emit_null(h, o->origin_as);
	if (a->culprit)
		bf_emit_long(h, o->culprit_as, a->culprit);
	else
		bf_emit_null(h, o->culprit_as);
	for (uint32_t i = 0; i < a->nseg; i++)
		v[i] = a->seg[i];
	bf_emit_long_array(h, o->culprit_segment, v, a->nseg);
	for (uint32_t i = 0; i < a->path_n; i++)
		v[i] = a->path[i];
	bf_emit_long_array(h, o->as_path, v, a->path_n);
	for (uint32_t i = 0; i < a->nh && np < MAX_NAMES; i++) {
		const struct peer *pe = &st->peers[a->h[i].peer];
		size_t k;
		peers[np++] = pe->name;
		for (k = 0; k < nr; k++)
			if (strcmp(routers[k], pe->router) == 0)
				break;
		if (k == nr)
			routers[nr++] = pe->router;
	}
	bf_emit_str_array(h, o->routers, routers, nr);
	bf_emit_str_array(h, o->peers, peers, np);
	bf_emit_long(h, o->peers_seen, a->nh);
	bf_emit_long(h, o->peers_holding, peers_holding(a));
	bf_emit_long(h, o->first_seen, a->first_seen);
	bf_emit_long(h, o->last_seen, a->last_seen);
	bf_emit_long(h, o->count, (int64_t)a->count);
	bf_emit_str(h, o->state, state);
	bf_emit_double(h, o->detection_latency_ms, lat);
	bf_emit_long(h, o->time_us, st->clock);
	bf_emit_str(h, o->detail, a->detail);
	bf_emit_end(h);
	metric_alert(st, a, state);
	snprintf(labels, sizeof(labels), "type=\"%s\"", type_names[a->type]);
	bf_metric_observe(st->host, st->m_latency, labels, lat);
}

static int
holder_add(struct alert *a, uint32_t peer)
{
	uint32_t i;

	for (i = 0; i < a->nh; i++)
		if (a->h[i].peer == peer)
			break;
	if (i == a->nh) {
		if (a->nh == a->caph) {
			uint32_t nc = a->caph ? a->caph * 2 : 4;
			struct holder *n = realloc(a->h, nc * sizeof(*n));
			if (n == NULL)
				return -1;
			a->h = n;
			a->caph = nc;
		}
		a->h[a->nh].peer = peer;
		a->h[a->nh++].n = 0;
	}
	if (a->h[i].n++ == 0)
		a->dirty = 1;
	a->holding++;
	return 0;
}

static void
holder_del(struct alert *a, uint32_t peer)
{
	for (uint32_t i = 0; i < a->nh; i++)
		if (a->h[i].peer == peer && a->h[i].n > 0) {
			if (--a->h[i].n == 0)
				a->dirty = 1;
			a->holding--;
			return;
		}
}

/*
 * Apply the lifecycle after a change of a's members: open once min_peers
 * peers hold it, resolve when none does, reopen within the window.  trig_us
 * is the collector time of the record that caused the change.
 */
static void
alert_refresh(struct ld_state *st, uint32_t id, int64_t trig_us)
{
	struct alert *a = st->al[id];

	a->trig_us = trig_us;
	switch (a->state) {
	case ST_PENDING:
		if (a->holding == 0) {
			alert_free(st, id);
		} else if (peers_holding(a) >= st->min_peers) {
			a->state = ST_OPEN;
			a->dirty = 0;
			st->open_by_type[a->type]++;
			metric_open(st, a->type);
			alert_emit(st, a, "open", trig_us);
		}
		break;
	case ST_OPEN:
		if (a->holding == 0) {
			a->state = ST_RESOLVED;
			a->resolved_at = st->clock;
			a->dirty = 0;
			st->open_by_type[a->type]--;
			metric_open(st, a->type);
			alert_emit(st, a, "resolved", trig_us);
		}
		break;
	case ST_RESOLVED:
		if (a->holding > 0 && peers_holding(a) >= st->min_peers) {
			a->state = ST_OPEN;
			a->dirty = 0;
			st->open_by_type[a->type]++;
			metric_open(st, a->type);
			alert_emit(st, a, "update", trig_us);
		}
		break;
	}
}

/*
 * The alert for o on q, found or created; a resolved one older than the
 * window is replaced by a new one.  0 when out of memory.
 */
static uint32_t
alert_get(struct ld_state *st, const struct off *o, const struct ld_pfx *q,
    const struct bf_route *r, bool has_origin, uint32_t origin)
{
	uint32_t id = alert_find(st, o->type, q, o->culprit);

	if (id != 0 && st->al[id]->state == ST_RESOLVED &&
	    st->clock - st->al[id]->resolved_at > st->window_us &&
	    st->al[id]->holding == 0) {
		alert_free(st, id);
		id = 0;
	}
	if (id == 0)
		id = alert_create(st, o, q, r, has_origin, origin);
	return id;
}

/* One more sighting of a by r. */
static void
alert_seen(struct alert *a, const struct bf_route *r, const struct off *o)
{
	a->count++;
	a->last_seen = r->collector_time_us;
	a->dirty = 1;
	if (o != NULL && a->type == T_MOAS) {
		a->nseg = o->nseg;
		memcpy(a->seg, o->seg, sizeof(a->seg));
		memcpy(a->detail, o->detail, sizeof(a->detail));
	}
}

/* ---- offending routes ------------------------------------------------------------ */

static uint32_t
or_hash(uint32_t peer, uint32_t path_id, const struct ld_pfx *q)
{
	return pfx_hash(q, (uint64_t)peer << 32 | path_id);
}

static uint32_t
or_find(const struct ld_state *st, uint32_t peer, uint32_t path_id,
    const struct ld_pfx *q, uint32_t h)
{
	for (uint32_t id = ix_first(&st->or_ix, h); id != 0;
	    id = ix_next(&st->or_ix, id)) {
		const struct oroute *o = &st->or[id];
		if (o->peer == peer && o->path_id == path_id &&
		    o->hi == q->hi && o->lo == q->lo &&
		    o->family == q->family && o->len == q->len)
			return id;
	}
	return 0;
}

static uint32_t
or_add(struct ld_state *st, uint32_t peer, uint32_t path_id,
    const struct ld_pfx *q, uint32_t h, int32_t partition)
{
	uint32_t id;

	if (st->n_or_free > 0) {
		id = st->or_free[--st->n_or_free];
	} else {
		if (st->n_or + 1 >= st->or_cap) {
			uint32_t nc = st->or_cap ? st->or_cap * 2 : 64;
			struct oroute *n = realloc(st->or, nc * sizeof(*n));
			if (n == NULL)
				return 0;
			st->or = n;
			uint32_t *f = realloc(st->or_free, nc * sizeof(*f));
			if (f == NULL)
				return 0;
			st->or_free = f;
			st->or_cap = nc;
		}
		id = st->n_or + 1;	/* ids 1..n_or all used */
	}
	if (ix_insert(&st->or_ix, id, h) < 0) {
		if (id != st->n_or + 1)
			st->or_free[st->n_or_free++] = id;
		return 0;
	}
	struct oroute *o = &st->or[id];
	memset(o, 0, sizeof(*o));
	o->hi = q->hi;
	o->lo = q->lo;
	o->family = q->family;
	o->len = q->len;
	o->peer = peer;
	o->path_id = path_id;
	o->partition = partition;
	st->n_or++;
	st->peers[bf_src_session(peer)].n_off++;
	return id;
}

static void
or_del(struct ld_state *st, uint32_t id)
{
	ix_remove(&st->or_ix, id);
	st->peers[bf_src_session(st->or[id].peer)].n_off--;
	st->or[id].n = 0;
	st->or[id].peer = 0;
	st->or_free[st->n_or_free++] = id;
	st->n_or--;
}

/* ---- monitored prefix state -------------------------------------------------------- */

static struct pstate *
ps_get(struct ld_state *st, const struct ld_pfx *m, bool create)
{
	uint32_t h = pfx_hash(m, 0x9e3779b97f4a7c15ULL), id;
	struct pstate *p;

	for (id = ix_first(&st->ps_ix, h); id != 0;
	    id = ix_next(&st->ps_ix, id))
		if (pfx_eq(&st->ps[id]->p, m->hi, m->lo, m->family, m->len))
			return st->ps[id];
	if (!create)
		return NULL;
	if (st->n_ps + 1 >= st->ps_cap) {
		uint32_t nc = st->ps_cap ? st->ps_cap * 2 : 16;
		struct pstate **n = realloc(st->ps, nc * sizeof(*n));
		if (n == NULL)
			return NULL;
		st->ps = n;
		st->ps_cap = nc;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	id = st->n_ps + 1;
	if (ix_insert(&st->ps_ix, id, h) < 0) {
		free(p);
		return NULL;
	}
	p->p = *m;
	p->p.len = m->len;
	p->partition = -1;
	p->created = st->clock;
	st->ps[id] = p;
	st->n_ps++;
	return p;
}

static bool
ps_upstream_known(const struct pstate *p, uint32_t asn)
{
	for (uint32_t i = 0; i < p->nups; i++)
		if (p->ups[i] == asn)
			return true;
	return false;
}

static void
ps_learn(struct pstate *p, uint32_t asn)
{
	if (ps_upstream_known(p, asn))
		return;
	if (p->nups == p->capups) {
		uint32_t nc = p->capups ? p->capups * 2 : 4;
		uint32_t *n = realloc(p->ups, nc * sizeof(*n));
		if (n == NULL)
			return;
		p->ups = n;
		p->capups = nc;
	}
	p->ups[p->nups++] = asn;
}

/* Set (origin_known) or clear the route (peer, path_id) of p. */
static bool
ps_route(struct ld_state *st, struct pstate *p, uint32_t peer,
    uint32_t path_id, bool present, uint32_t origin)
{
	uint32_t i;

	for (i = 0; i < p->nr; i++)
		if (p->r[i].peer == peer && p->r[i].path_id == path_id)
			break;
	if (!present) {
		if (i == p->nr)
			return false;
		p->r[i] = p->r[--p->nr];
		st->peers[bf_src_session(peer)].n_mon--;
		return true;
	}
	if (i == p->nr) {
		if (p->nr == p->capr) {
			uint32_t nc = p->capr ? p->capr * 2 : 4;
			struct mroute *n = realloc(p->r, nc * sizeof(*n));
			if (n == NULL)
				return false;
			p->r = n;
			p->capr = nc;
		}
		p->r[p->nr].peer = peer;
		p->r[p->nr++].path_id = path_id;
		st->peers[bf_src_session(peer)].n_mon++;
	} else if (p->r[i].origin == origin)
		return false;
	p->r[i].origin = origin;
	return true;
}

/*
 * MOAS of a monitored prefix: with two or more distinct origins among its
 * routes, every route is a member of the moas alert.  r is the route that
 * caused the change (NULL for a peer event).
 */
static void
moas_sync(struct ld_state *st, struct pstate *p, const struct bf_route *r,
    int64_t trig_us)
{
	struct off o;
	uint32_t orig[MAX_SEG], n = 0, id;
	bool unexpected = false;
	const struct mon_ent *me = monitor_match(&st->mon, &p->p);

	for (uint32_t i = 0; i < p->nr; i++) {
		uint32_t k;
		if (p->r[i].origin == 0)
			continue;
		for (k = 0; k < n; k++)
			if (orig[k] == p->r[i].origin)
				break;
		if (k == n && n < MAX_SEG)
			orig[n++] = p->r[i].origin;
	}
	id = alert_find(st, T_MOAS, &p->p, 0);
	if (n < 2 && id == 0)
		return;
	qsort(orig, n, sizeof(orig[0]), bf_cmp_u32);
	memset(&o, 0, sizeof(o));
	o.type = T_MOAS;
	o.nseg = (uint8_t)n;
	memcpy(o.seg, orig, n * sizeof(uint32_t));
	for (uint32_t k = 0; k < n; k++)
		if (me == NULL || !monitor_origin_ok(&st->mon, me, orig[k]))
			unexpected = true;
	o.sev = unexpected ? SEV_HIGH : SEV_LOW;
	o.pclass = PC_EXACT;
	snprintf(o.detail, sizeof(o.detail), "%u origins at once%s", n,
	    unexpected ? ", not all expected" : ", all expected");
	if (n >= 2) {
		if ((id = alert_get(st, &o, &p->p, r, false, 0)) == 0)
			return;
		struct alert *a = st->al[id];
		if (a->partition < 0)
			a->partition = p->partition;
		for (uint32_t i = 0; i < a->nh; i++)
			a->h[i].n = 0;
		a->holding = 0;
		for (uint32_t i = 0; i < p->nr; i++)
			holder_add(a, bf_src_session(p->r[i].peer));
		a->sev = o.sev;
		if (r != NULL)
			alert_seen(a, r, &o);
		else {
			a->nseg = o.nseg;
			memcpy(a->seg, o.seg, sizeof(a->seg));
			memcpy(a->detail, o.detail, sizeof(a->detail));
		}
	} else {
		struct alert *a = st->al[id];
		for (uint32_t i = 0; i < a->nh; i++)
			a->h[i].n = 0;
		a->holding = 0;
	}
	alert_refresh(st, id, trig_us);
}

/* ---- detections -------------------------------------------------------------------- */

static const char *
rel_name(enum asrel_kind k)
{
	return k == ASREL_CUSTOMER ? "customer" : k == ASREL_PROVIDER ?
	    "provider" : k == ASREL_PEER ? "peer" : "unknown";
}

/* RFC 7908 §3 type of learning from `from` and sending to `to`, or 0. */
static int
leak_type(enum asrel_kind from, enum asrel_kind to)
{
	if (from == ASREL_PROVIDER && to == ASREL_PROVIDER)
		return 1;	/* hairpin turn */
	if (from == ASREL_PEER && to == ASREL_PEER)
		return 2;	/* lateral */
	if (from == ASREL_PROVIDER && to == ASREL_PEER)
		return 3;
	if (from == ASREL_PEER && to == ASREL_PROVIDER)
		return 4;
	return 0;
}

/* What this network is to a neighbour of the given role. */
static enum asrel_kind
role_to_us(uint8_t role)
{
	switch (role) {
	case ROLE_CUSTOMER:
		return ASREL_PROVIDER;
	case ROLE_PROVIDER:
		return ASREL_CUSTOMER;
	case ROLE_PEER:
	case ROLE_RS_CLIENT:
		return ASREL_PEER;
	default:
		return ASREL_UNKNOWN;
	}
}

/*
 * What c[i] is to the AS it sends the route to: c[i-1] by relationships,
 * or, for the neighbour (i == 0, the peer's own AS), this network by its
 * session role.  ASREL_UNKNOWN when neither tells.
 */
static enum asrel_kind
receiver_rel(const struct ld_state *st, const uint32_t *c, long i,
    const struct peer *pe)
{
	if (i > 0)
		return asn_special(c[i - 1]) ? ASREL_UNKNOWN :
		    asrel_rel(&st->rel, c[i], c[i - 1]);
	return c[0] == pe->as ? role_to_us(pe->role) : ASREL_UNKNOWN;
}

/*
 * Valley-free check of the collapsed path c[0] (the neighbour) .. c[m-1]
 * (the origin): at X = c[i], learned from c[i+1] and sent to a provider
 * or peer (receiver_rel), the route must come from a customer.  Both
 * relationships must be known.  The leak nearest the origin is reported.
 */
static bool
check_leak(const struct ld_state *st, const uint32_t *c, uint32_t m,
    const struct peer *pe, struct off *o)
{
	for (long i = (long)m - 2; i >= 0; i--) {
		uint32_t x = c[i], from = c[i + 1];
		enum asrel_kind rf, rt;
		int t;

		if (asn_special(x) || asn_special(from))
			continue;
		rt = receiver_rel(st, c, i, pe);
		if (rt != ASREL_PROVIDER && rt != ASREL_PEER)
			continue;
		rf = asrel_rel(&st->rel, x, from);
		if ((t = leak_type(rf, rt)) == 0)
			continue;
		o->type = T_ROUTE_LEAK;
		o->rfc7908 = (uint8_t)t;
		o->sev = SEV_HIGH;
		o->culprit = x;
		if (i > 0) {
			o->nseg = 3;
			o->seg[0] = c[i - 1];
			o->seg[1] = x;
			o->seg[2] = from;
			snprintf(o->detail, sizeof(o->detail), "AS%u learned "
			    "the route from its %s AS%u and sent it to its %s "
			    "AS%u (RFC 7908 type %d)", x, rel_name(rf), from,
			    rel_name(rt), c[i - 1], t);
		} else {
			o->nseg = 2;
			o->seg[0] = x;
			o->seg[1] = from;
			snprintf(o->detail, sizeof(o->detail), "AS%u learned "
			    "the route from its %s AS%u and sent it to this "
			    "network, its %s by session role (RFC 7908 type "
			    "%d)", x, rel_name(rf), from, rel_name(rt), t);
		}
		return true;
	}
	return false;
}

/*
 * Peer-lock: a transit-free AS T = c[i] gives its routes only to peers
 * and customers, so the AS Y = c[i-1] that got one from T may pass it
 * only down, to its own customers (a provider hands any valley-free path
 * to its customers, peer-learned ones included).  Y passing it to a
 * non-customer is the violation: to its peer or provider by
 * relationships, to this network when the session role makes us Y's peer
 * or provider, or, with the relationship unknown, to a transit-free AS,
 * which is nobody's customer.  A transit-free Y is T's peer in the
 * clique.  An unknown receiver raises nothing: without asrel_file and
 * peer_roles only a transit-free AS on both sides of Y alerts.  The
 * violation nearest the origin is reported.
 */
static bool
check_peer_lock(const struct ld_state *st, const uint32_t *c, uint32_t m,
    const struct peer *pe, struct off *o)
{
	for (long i = (long)m - 1; i >= 1; i--) {
		uint32_t t = c[i], y = c[i - 1];
		enum asrel_kind rt;
		char to[64];

		if (!asset_has(&st->tf, t) || asn_special(y) ||
		    asset_has(&st->tf, y))
			continue;
		rt = receiver_rel(st, c, i - 1, pe);
		if (rt == ASREL_UNKNOWN && i >= 2 &&
		    asset_has(&st->tf, c[i - 2]))
			snprintf(to, sizeof(to), "transit-free AS%u, nobody's "
			    "customer", c[i - 2]);
		else if (rt != ASREL_PEER && rt != ASREL_PROVIDER)
			continue;
		else if (i >= 2)
			snprintf(to, sizeof(to), "its %s AS%u", rel_name(rt),
			    c[i - 2]);
		else
			snprintf(to, sizeof(to), "this network, its %s by "
			    "session role", rel_name(rt));
		o->type = T_PEER_LOCK;
		o->sev = SEV_HIGH;
		o->culprit = y;
		o->nseg = 0;
		if (i >= 2)
			o->seg[o->nseg++] = c[i - 2];
		o->seg[o->nseg++] = y;
		o->seg[o->nseg++] = t;
		snprintf(o->detail, sizeof(o->detail), "AS%u passed the route "
		    "of transit-free AS%u to %s", y, t, to);
		return true;
	}
	return false;
}

/*
 * RFC 9234 §5 ingress rules on the neighbour's session role.  The leaker
 * is the first AS after the OTC value (towards this network) that sends
 * the route to a provider or peer, when relationships tell; otherwise the
 * neighbour.
 */
static bool
check_otc(const struct ld_state *st, const struct bf_route *r,
    const struct peer *pe, const uint32_t *c, uint32_t m, bool clean,
    struct off *o)
{
	uint32_t culprit = pe->as;
	long j = -1;

	if (!r->has_otc)
		return false;
	if (pe->role != ROLE_CUSTOMER && pe->role != ROLE_RS_CLIENT &&
	    !(pe->role == ROLE_PEER && r->otc != pe->as))
		return false;
	o->nseg = 1;
	o->seg[0] = pe->as;
	if (clean && st->rel.n > 0) {
		for (long i = 0; i < (long)m; i++)
			if (c[i] == r->otc)
				j = i;
		for (long i = j - 1; i >= 1; i--) {
			enum asrel_kind rt = asrel_rel(&st->rel, c[i],
			    c[i - 1]);
			if (asn_special(c[i]) ||
			    (rt != ASREL_PROVIDER && rt != ASREL_PEER))
				continue;
			culprit = c[i];
			o->nseg = 3;
			o->seg[0] = c[i - 1];
			o->seg[1] = c[i];
			o->seg[2] = c[i + 1];
			break;
		}
	}
	o->type = T_OTC_LEAK;
	o->sev = SEV_HIGH;
	o->culprit = culprit;
	snprintf(o->detail, sizeof(o->detail), "route with OTC AS%u from a "
	    "%s session of AS%u; leaked by AS%u", r->otc,
	    role_names[pe->role], pe->as, culprit);
	return true;
}

static void
hijack(struct off *o, int type, int pclass, int hclass, uint32_t culprit)
{
	o->type = (uint8_t)type;
	o->pclass = (uint8_t)pclass;
	o->hclass = (uint8_t)hclass;
	o->culprit = culprit;
	o->sev = type == T_NEW_UPSTREAM ? SEV_MEDIUM : SEV_CRITICAL;
}

/*
 * Every offence of announcement r (prefix q, under monitored mon with
 * runtime state ps, both possibly NULL) into offs; returns how many.
 */
static size_t
detect(struct ld_state *st, const struct bf_route *r, const struct peer *pe,
    const struct ld_pfx *q, const struct mon_ent *mon, struct pstate *ps,
    struct off *offs, bool *origin_known, uint32_t *origin)
{
	uint32_t count = r->as_path ? r->as_path_count : 0, m = 0, *c;
	bool clean = count > 0 && count == r->as_path_len;
	size_t n = 0;

	if (count > st->scratch_cap) {
		uint32_t *s = realloc(st->scratch, count * sizeof(*s));
		if (s == NULL)
			return 0;
		st->scratch = s;
		st->scratch_cap = count;
	}
	c = st->scratch;
	for (uint32_t i = 0; i < count; i++)
		if (m == 0 || c[m - 1] != r->as_path[i])
			c[m++] = r->as_path[i];
	*origin_known = r->has_origin_as || clean;
	*origin = r->has_origin_as ? r->origin_as : clean ? c[m - 1] : 0;
	memset(offs, 0, T_N * sizeof(*offs));
	if (clean && m >= 2 && check_leak(st, c, m, pe, &offs[n]))
		n++;
	if (clean && st->tf.n > 0 && check_peer_lock(st, c, m, pe,
	    &offs[n]))
		n++;
	if (check_otc(st, r, pe, c, m, clean, &offs[n]))
		n++;
	if (mon != NULL && *origin_known) {
		int exact = mon->p.len == q->len;
		int ht = exact ? T_ORIGIN_HIJACK : T_SUBPREFIX_HIJACK;
		char mtxt[48];

		ptab_format(&mon->p, mtxt, sizeof(mtxt));
		if (mon->none) {
			hijack(&offs[n], ht, PC_SQUAT, HC_ORIGIN, *origin);
			snprintf(offs[n++].detail, sizeof(offs[0].detail),
			    "AS%u announces %s, which should not be "
			    "announced", *origin, mtxt);
		} else if (!monitor_origin_ok(&st->mon, mon, *origin)) {
			hijack(&offs[n], ht, exact ? PC_EXACT : PC_SUB,
			    HC_ORIGIN, *origin);
			snprintf(offs[n++].detail, sizeof(offs[0].detail),
			    "AS%u is not an expected origin of %s", *origin,
			    mtxt);
		} else if (clean && m >= 2 && ps != NULL &&
		    !asn_special(c[m - 2])) {
			uint32_t up = c[m - 2];
			if (monitor_upstream_ok(&st->mon, mon, up) ||
			    ps_upstream_known(ps, up)) {
				/* expected or seen before */
			} else if (!mon->has_ups &&
			    st->clock - ps->created < st->learn_us) {
				ps_learn(ps, up);
			} else {
				hijack(&offs[n], T_NEW_UPSTREAM, exact ?
				    PC_EXACT : PC_SUB, HC_FIRST_HOP, up);
				offs[n].nseg = 2;
				offs[n].seg[0] = up;
				offs[n].seg[1] = *origin;
				snprintf(offs[n++].detail,
				    sizeof(offs[0].detail), "AS%u next to "
				    "origin AS%u of %s was never seen there "
				    "and is not an expected upstream", up,
				    *origin, mtxt);
			}
		}
		if (n > 0 && offs[n - 1].nseg == 0) {
			offs[n - 1].nseg = 1;
			offs[n - 1].seg[0] = offs[n - 1].culprit;
		}
	}
	if (st->rpki.n > 0 && (mon != NULL || !st->rpki_monitored_only) &&
	    rpki_validate(&st->rpki, q, *origin, *origin_known) ==
	    RPKI_INVALID) {
		struct off *o = &offs[n++];
		o->type = T_RPKI_INVALID;
		o->sev = mon ? SEV_HIGH : SEV_MEDIUM;
		o->culprit = *origin_known ? *origin : 0;
		o->nseg = *origin_known;
		o->seg[0] = *origin;
		snprintf(o->detail, sizeof(o->detail), "RPKI invalid: no VRP "
		    "covering the prefix matches origin %s%u at length %u",
		    *origin_known ? "AS" : "NONE ", *origin_known ? *origin :
		    0, q->len);
	}
	return n;
}

/* ---- routes and peers --------------------------------------------------------------- */

/*
 * Make route (src, path_id, q) a member of exactly the alerts of offs
 * (none for a withdrawal), given its current oroute oid (0 for none).
 */
static void
apply(struct ld_state *st, uint32_t src, uint32_t path_id,
    const struct ld_pfx *q, uint32_t h, uint32_t oid, const struct off *offs,
    size_t n, const struct bf_route *r, bool has_origin, uint32_t origin)
{
	uint32_t nw[T_N], old[T_N], nn = 0, no = 0;

	if (oid != 0) {
		no = st->or[oid].n;
		memcpy(old, st->or[oid].alert, no * sizeof(uint32_t));
	}
	for (size_t i = 0; i < n; i++) {
		uint32_t id = alert_get(st, &offs[i], q, r, has_origin, origin);
		if (id != 0)
			nw[nn++] = id;
	}
	if (nn > 0 && oid == 0 &&
	    (oid = or_add(st, src, path_id, q, h, r->partition)) == 0) {
		bf_plugin_log(st->host, 0, "leak_detect: out of memory "
		    "keeping an offending route of %s", r->prefix);
		for (uint32_t i = 0; i < nn; i++)
			alert_refresh(st, nw[i], r->collector_time_us);
		return;
	}
	for (uint32_t i = 0; i < nn; i++) {
		struct alert *a = st->al[nw[i]];
		uint32_t k;
		for (k = 0; k < no && old[k] != nw[i]; k++)
			;
		if (k == no && holder_add(a, bf_src_session(src)) < 0) {
			nw[i--] = nw[--nn];	/* out of memory: not a member */
			continue;
		}
		alert_seen(a, r, NULL);
	}
	for (uint32_t k = 0; k < no; k++) {
		uint32_t i;
		for (i = 0; i < nn && nw[i] != old[k]; i++)
			;
		if (i == nn)
			holder_del(st->al[old[k]], bf_src_session(src));
	}
	if (nn == 0) {
		if (oid != 0)
			or_del(st, oid);
	} else {
		st->or[oid].n = (uint8_t)nn;
		memcpy(st->or[oid].alert, nw, nn * sizeof(uint32_t));
	}
	for (uint32_t i = 0; i < nn; i++)
		alert_refresh(st, nw[i], r->collector_time_us);
	for (uint32_t k = 0; k < no; k++) {
		uint32_t i;
		for (i = 0; i < nn && nw[i] != old[k]; i++)
			;
		if (i == nn && st->al[old[k]] != NULL)
			alert_refresh(st, old[k], r->collector_time_us);
	}
}

/* What a VIEW_END ends, or everything of a peer. */
struct ld_scope {
	int	view;		/* BF_VIEWS: all */
	int32_t	part;		/* -1: all */
	int	family;		/* 0: both */
};

static const struct ld_scope ld_all = { BF_VIEWS, -1, 0 };

/* Whether a route of family in partition part is in scope sc. */
static bool
in_scope(struct ld_scope sc, int32_t part, uint8_t family)
{
	return (sc.part < 0 || part == sc.part) &&
	    (sc.family == 0 || family == sc.family);
}

/*
 * The peer's epoch ends (or a new one starts): drop all its routes; or
 * one of its views ends (in a partition, for a family): drop those.
 */
static void
peer_reset(struct ld_state *st, uint32_t pid, bool up, uint64_t epoch,
    struct ld_scope sc, int64_t trig_us)
{
	struct peer *pe = &st->peers[pid];
	int view = sc.view;

	if (pe->n_off > 0) {
		uint32_t top = st->n_or + st->n_or_free;
		for (uint32_t id = 1; id <= top; id++) {
			struct oroute *o = &st->or[id];
			if (!bf_src_of(o->peer, pid, view) ||
			    !in_scope(sc, o->partition, o->family))
				continue;
			for (uint32_t k = 0; k < o->n; k++) {
				holder_del(st->al[o->alert[k]], pid);
				st->al[o->alert[k]]->touched = 1;
			}
			or_del(st, id);
		}
		for (uint32_t id = 1; id < st->al_cap; id++)
			if (st->al[id] != NULL && st->al[id]->touched) {
				st->al[id]->touched = 0;
				alert_refresh(st, id, trig_us);
			}
	}
	for (uint32_t id = 1; pe->n_mon > 0 && id <= st->n_ps; id++) {
		struct pstate *p = st->ps[id];
		bool changed = false;
		if (!in_scope(sc, p->partition, p->p.family))
			continue;
		for (uint32_t i = 0; i < p->nr; ) {
			if (bf_src_of(p->r[i].peer, pid, view)) {
				p->r[i] = p->r[--p->nr];
				pe->n_mon--;
				changed = true;
			} else
				i++;
		}
		if (changed)
			moas_sync(st, p, NULL, trig_us);
	}
	pe->up = up;
	pe->epoch = epoch;
}

/* The collector writes rs_client, peer_roles takes rs-client. */
static bool
role_is(const char *name, uint8_t role)
{
	const char *want = role_names[role];

	for (; *name && *want; name++, want++)
		if (*name != *want && !(*name == '_' && *want == '-'))
			return false;
	return *name == '\0' && *want == '\0';
}

static void
on_session(void *state, const struct bf_session_event *e)
{
	struct ld_state *st = state;
	uint32_t pid = peer_get(st, e->session);
	struct peer *pe;

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
			peer_reset(st, pid, true, e->epoch, ld_all,
			    e->collector_time_us);
			pe->role = config_role(st, pe->addr);
		}
		/*
		 * A negotiated BGP Role wins over peer_roles from the config,
		 * also when the Peer Up is read after the session's routes:
		 * they are checked on their next change.
		 */
		for (uint8_t k = ROLE_PROVIDER; e->has_open && e->peer_role &&
		    k <= ROLE_PEER; k++)
			if (role_is(e->peer_role, k))
				pe->role = k;
		break;
	case BF_SESSION_DOWN:
		peer_reset(st, pid, false, e->epoch, ld_all,
		    e->collector_time_us);
		break;
	case BF_SESSION_VIEW_END:
		/* VPN routes are not checked: nothing of theirs is kept. */
		if (e->route_class < 0 || !(e->route_class & 2))
			peer_reset(st, pid, true, e->epoch, (struct ld_scope){
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
	struct off offs[T_N];
	const struct mon_ent *mon = NULL;
	struct pstate *ps = NULL;
	struct peer *pe;
	struct ld_pfx q;
	uint32_t pid, src, path_id, origin = 0;
	bool has_origin = false;
	size_t n = 0;

	st->routes_since_tick++;
	if (r->rd != NULL || (r->family != 4 && r->family != 6) ||
	    r->prefix_len > (r->family == 4 ? 32 : 128))
		return;
	if ((pid = peer_get(st, r->session)) == 0) {
		bf_plugin_log(st->host, 0, "leak_detect: out of memory "
		    "adding a session");
		return;
	}
	pe = &st->peers[pid];
	src = bf_src(pid, r->view);
	if (r->collector_time_us > st->clock)
		st->clock = r->collector_time_us;
	/* The host resets a session before its epoch's first route. */
	if (!pe->up || r->epoch != pe->epoch)
		peer_reset(st, pid, true, r->epoch, ld_all,
		    r->collector_time_us);
	ptab_from_bytes(&q, r->family, r->prefix_len, r->addr);
	path_id = r->has_path_id ? r->path_id : 0;
	if (st->mon.n > 0 && (mon = monitor_match(&st->mon, &q)) != NULL)
		ps = ps_get(st, &mon->p, !r->withdraw);
	if (!r->withdraw)
		n = detect(st, r, pe, &q, mon, ps, offs, &has_origin, &origin);
	if (n > 0 || pe->n_off > 0) {
		uint32_t h = or_hash(src, path_id, &q);
		uint32_t oid = pe->n_off ? or_find(st, src, path_id, &q, h) :
		    0;
		if (n > 0 || oid != 0)
			apply(st, src, path_id, &q, h, oid, offs, n, r,
			    has_origin, origin);
	}
	if (ps != NULL && mon->p.len == q.len) {
		ps->partition = r->partition;
		if (ps_route(st, ps, src, path_id, !r->withdraw,
		    has_origin ? origin : 0))
			moas_sync(st, ps, r, r->collector_time_us);
	}
}

static void
drop_partition(void *state, int32_t partition)
{
	struct ld_state *st = state;
	uint32_t top = st->n_or + st->n_or_free;

	for (uint32_t id = 1; id <= top; id++)
		if (st->or[id].peer != 0 && st->or[id].partition == partition)
			or_del(st, id);
	for (uint32_t id = 1; id < st->al_cap; id++)
		if (st->al[id] != NULL && st->al[id]->partition == partition)
			alert_free(st, id);
	for (uint32_t id = 1; id <= st->n_ps; id++) {
		struct pstate *p = st->ps[id];
		if (p->partition != partition)
			continue;
		for (uint32_t i = 0; i < p->nr; i++)
			st->peers[bf_src_session(p->r[i].peer)].n_mon--;
		p->nr = 0;
		p->partition = -1;
	}
}

/* ---- input files and reload ---------------------------------------------------------- */

/* Load file `which` (a path set, or the default transit-free list). */
static int
load_file(struct ld_state *st, int which, char *err, size_t errlen)
{
	struct ld_file *f = &st->files[which];
	struct stat sb;
	int rc = 0;

	if (f->path == NULL) {
		if (which != F_TRANSIT_FREE || st->tf.n > 0)
			return 0;
		for (size_t i = 0; i < sizeof(default_transit_free) /
		    sizeof(default_transit_free[0]); i++)
			if (asset_add(&st->tf, default_transit_free[i]) < 0) {
				snprintf(err, errlen, "out of memory");
				return -1;
			}
		return 0;
	}
	if (stat(f->path, &sb) < 0) {
		snprintf(err, errlen, "%s: %s", f->path, strerror(errno));
		return -1;
	}
	switch (which) {
	case F_ASREL: {
		struct asrel t;
		if ((rc = asrel_load(&t, f->path, err, errlen)) == 0) {
			asrel_free(&st->rel);
			st->rel = t;
		}
		break;
	}
	case F_PREFIXES: {
		struct monitor t;
		if ((rc = monitor_load(&t, f->path, err, errlen)) == 0) {
			monitor_free(&st->mon);
			st->mon = t;
		}
		break;
	}
	case F_ROAS: {
		struct rpki t;
		if ((rc = rpki_load(&t, f->path, err, errlen)) == 0) {
			rpki_free(&st->rpki);
			st->rpki = t;
		}
		break;
	}
	case F_TRANSIT_FREE: {
		struct asset t;
		if ((rc = asset_load(&t, f->path, err, errlen)) == 0) {
			asset_free(&st->tf);
			st->tf = t;
		}
		break;
	}
	}
	/* On failure keep the old stamp: a fixed file is tried again. */
	if (rc == 0) {
		f->mtime = sb.st_mtim;
		f->size = sb.st_size;
	}
	return rc;
}

static bool
file_changed(const struct ld_file *f)
{
	struct stat sb;

	if (f->path == NULL || stat(f->path, &sb) < 0)
		return false;
	return sb.st_mtim.tv_sec != f->mtime.tv_sec ||
	    sb.st_mtim.tv_nsec != f->mtime.tv_nsec || sb.st_size != f->size;
}

/* Reload every file (force) or those changed; returns failures. */
static int
reload_files(struct ld_state *st, bool force)
{
	static const char *const l[F_N][2] = {
		{ "file=\"asrel\",result=\"ok\"",
		  "file=\"asrel\",result=\"error\"" },
		{ "file=\"prefixes\",result=\"ok\"",
		  "file=\"prefixes\",result=\"error\"" },
		{ "file=\"roas\",result=\"ok\"",
		  "file=\"roas\",result=\"error\"" },
		{ "file=\"transit_free\",result=\"ok\"",
		  "file=\"transit_free\",result=\"error\"" },
	};
	char err[512];
	int failed = 0;

	for (int i = 0; i < F_N; i++) {
		struct ld_file *f = &st->files[i];
		if (f->path == NULL || (!force && !file_changed(f)))
			continue;
		int bad = load_file(st, i, err, sizeof(err)) < 0;
		if (bad) {
			struct stat sb;
			bf_plugin_log(st->host, 0, "leak_detect: reload of %s "
			    "failed, keeping the previous data: %s",
			    options[i].name, err);
			failed++;
			/* Do not retry an unchanged broken file every tick. */
			if (stat(f->path, &sb) == 0) {
				f->mtime = sb.st_mtim;
				f->size = sb.st_size;
			}
		} else
			bf_plugin_log(st->host, 2, "leak_detect: reloaded %s "
			    "(%s)", options[i].name, f->path);
		bf_metric_add(st->host, st->m_reloads, l[i][bad], 1);
	}
	metric_entries(st);
	return failed;
}

int
ld_reload(void *state)
{
	return reload_files(state, true);
}

static void
on_tick(void *state, int64_t now_us)
{
	struct ld_state *st = state;

	if (now_us > st->clock)
		st->clock = now_us;
	for (uint32_t id = 1; id < st->al_cap; id++) {
		struct alert *a = st->al[id];
		if (a == NULL)
			continue;
		if (a->state == ST_OPEN && a->dirty) {
			a->dirty = 0;
			alert_emit(st, a, "update", a->trig_us);
		} else if (a->state == ST_RESOLVED && a->holding == 0 &&
		    st->clock - a->resolved_at > st->window_us)
			alert_free(st, id);
	}
	bf_metric_add(st->host, st->m_routes, NULL,
	    (double)st->routes_since_tick);
	st->routes_since_tick = 0;
	if (st->reload_check_us > 0 &&
	    st->clock - st->last_reload_check >= st->reload_check_us) {
		st->last_reload_check = st->clock;
		reload_files(st, false);
	}
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
			for (uint8_t k = ROLE_PROVIDER; k <= ROLE_PEER; k++)
				if (strcmp(eq, role_names[k]) == 0 ||
				    (k == ROLE_RS_CLIENT &&
				    strcmp(eq, "rs_client") == 0))
					role = k;
		}
		if (eq == NULL || *tok == '\0' || role == ROLE_NONE) {
			snprintf(err, errlen, "peer_roles: bad entry \"%s%s%s\" "
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
	OUT(time_us), OUT(detail),
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
	if (bf_declare_fields(h, &st->out, out_fields, sizeof(out_fields) /
	    sizeof(out_fields[0]), err, errlen) < 0)
		goto fail;
	for (int f = 0; f < F_N; f++)
		if (load_file(st, f, err, errlen) < 0)
			goto fail;
	for (int t = 0; t < T_N; t++)
		metric_open(st, t);
	metric_entries(st);
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
	asrel_free(&st->rel);
	asset_free(&st->tf);
	rpki_free(&st->rpki);
	monitor_free(&st->mon);
	for (int f = 0; f < F_N; f++)
		free(st->files[f].path);
	for (size_t i = 0; i < st->n_roles; i++)
		free(st->roles[i].addr);
	free(st->roles);
	for (uint32_t i = 1; i <= st->n_peers; i++)
		free(st->peers[i].name);
	free(st->peers);
	for (uint32_t i = 1; i < st->al_cap; i++)
		if (st->al[i] != NULL) {
			free(st->al[i]->path);
			free(st->al[i]->h);
			free(st->al[i]);
		}
	free(st->al);
	free(st->al_free);
	ix_free(&st->al_ix);
	free(st->or);
	free(st->or_free);
	ix_free(&st->or_ix);
	for (uint32_t i = 1; i <= st->n_ps; i++) {
		free(st->ps[i]->r);
		free(st->ps[i]->ups);
		free(st->ps[i]);
	}
	free(st->ps);
	ix_free(&st->ps_ix);
	free(st->scratch);
	free(st);
}

/* ---- measurement ------------------------------------------------------------------------ */

size_t
ld_mem_bytes(const void *state)
{
	const struct ld_state *st = state;
	size_t b = sizeof(*st);

	b += asrel_bytes(&st->rel) + st->tf.cap * sizeof(uint32_t) +
	    rpki_bytes(&st->rpki) + monitor_bytes(&st->mon);
	b += (st->n_peers + 1) * sizeof(struct peer);
	for (uint32_t i = 1; i <= st->n_peers; i++)
		b += st->peers[i].name ? strlen(st->peers[i].name) + 1 : 0;
	b += st->al_cap * (sizeof(struct alert *) + sizeof(uint32_t)) +
	    ix_bytes(&st->al_ix);
	for (uint32_t i = 1; i < st->al_cap; i++)
		if (st->al[i] != NULL)
			b += sizeof(struct alert) + st->al[i]->path_n *
			    sizeof(uint32_t) + st->al[i]->caph *
			    sizeof(struct holder);
	b += st->or_cap * (sizeof(struct oroute) + sizeof(uint32_t)) +
	    ix_bytes(&st->or_ix);
	b += st->ps_cap * sizeof(struct pstate *) + ix_bytes(&st->ps_ix);
	for (uint32_t i = 1; i <= st->n_ps; i++)
		b += sizeof(struct pstate) + st->ps[i]->capr *
		    sizeof(struct mroute) + st->ps[i]->capups *
		    sizeof(uint32_t);
	return b + st->scratch_cap * sizeof(uint32_t);
}

size_t
ld_alerts_held(const void *state)
{
	return ((const struct ld_state *)state)->n_al;
}

size_t
ld_offending_routes(const void *state)
{
	return ((const struct ld_state *)state)->n_or;
}

/* SIGHUP through the host: re-read every input file now. */
static void
reload(void *state)
{
	ld_reload(state);
}

static const struct bf_plugin leak_detect = {
	.abi = BMPFLOW_PLUGIN_ABI,
	.size = sizeof(struct bf_plugin),
	.name = "leak_detect",
	.options = options,
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
