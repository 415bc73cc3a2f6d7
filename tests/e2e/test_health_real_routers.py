#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""prefix_health and leak_detect on what real routers send.

  3 ExaBGP speakers --BGP--> FRR bgpd -M bmp | gobgpd --BMP-->
  bmpflow-collector (embedded Kafka) --> bmpflow-processor --plugin
  prefix_health and --plugin leak_detect (both running from the start)
  --> bmp.prefix_health and bmp.alert, read back with kcat and
  python3-avro as they are produced.

The monitored router reports every session in several views: FRR 8.4
Adj-RIB-In pre-policy and post-policy for IPv4 and IPv6 unicast (and its
Loc-RIB when this bgpd accepts 'bmp monitor ... loc-rib'), GoBGP
pre-policy, post-policy and Loc-RIB (its Loc-RIB routes come without a
Loc-RIB Peer Up).  Three speakers of three ASes each announce 3,300
prefixes: 1,200 IPv4 and 300 IPv6 prefixes all three carry (SHARED) and
1,500 IPv4 and 300 IPv6 of their own, in a shuffled order; speaker P2
starts 2.5 s after P1 and P3 2.5 s after P2, and nobody waits for a Peer
Up: routes flow as the router sends them.

Round 1 (sessions), each step asserted on bmp.prefix_health /
bmp.alert once the collector, the processors and the plugin's warm-up
have settled:
  load     every SHARED prefix is healthy, visibility 100, peers_up 3
           and peers_with_route 3 (sessions, not views: pre + post +
           Loc-RIB must not make 6, 7 or 9), and during the load no
           record of a SHARED prefix was degraded, unreachable or
           recovered; each speaker's own prefixes: 1 of 3 sessions;
           leak_detect raised nothing;
  W1       P1 withdraws 120 SHARED prefixes: each degraded (visibility),
           2 of 3 sessions, 66.7 %, after a change from healthy;
  W2       all three withdraw 120 other SHARED prefixes: each
           unreachable (0 sessions with the route);
  W2 back  all three announce them again: each recovered, then healthy
           3 of 3, and never flapping (one outage and its recovery are
           not flapping; a degraded-for-visibility passage while the
           three announcements arrive is tolerated and counted);
  hijack   P3 announces 10.104.100.0/25 from AS64666, a more-specific
           of the monitored 10.104.100.0/24 (origin AS64500, leak_detect
           prefixes_file): a subprefix_hijack alert opens, listing no
           session twice;
  P3 down  P3's ExaBGP stops (its session closes): the alert resolves
           with peers_holding 0; P3's own prefixes become unreachable;
  all down P1 and P2 stop too: every prefix is unreachable.
Round 2 (a fresh collector, router and prefix_health): the load again
(same checks), then the router itself stops while every session is up:
every prefix unreachable, every session's epoch ended (the collector's
router_session_closed Peer Downs: FRR 8.4 and GoBGP send no Peer Down
when they stop).  FRR 8.4 also sends, when its BMP session starts, a
Peer Down (reason 2, BGP ID 0.0.0.0) for every configured neighbour not
yet established; the collector gives those epoch 0.

Failures name the prefix set, the state and the figures expected and
got, with examples; each step prints the count of prefixes per (state,
peers_with_route/peers_up) and the flip records seen.  Every process is
stopped by its PID, every wait is bounded, the temp dirs are removed.
Exit 77 when FRR, gobgpd or ExaBGP is missing.

  /usr/bin/python3 test_health_real_routers.py --collector BIN \\
      --decode BIN --schemas DIR --data DIR --processor BIN \\
      [--only frr|gobgp] [--round 1|2] [--keep]
"""

import collections
import ipaddress
import os
import random
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

GOBGPD, GOBGP = harness.GOBGPD, harness.GOBGP
ROUTER_ID = "127.0.0.1"

SPEAKERS = [
    {"name": "P1", "idx": 0, "addr": "127.0.0.2", "router": "127.0.0.1",
     "bgp_id": "127.0.0.2", "asn": 65001},
    {"name": "P2", "idx": 1, "addr": "::1", "router": "::1",
     "bgp_id": "127.0.0.3", "asn": 65002},
    {"name": "P3", "idx": 2, "addr": "127.0.0.4", "router": "127.0.0.1",
     "bgp_id": "127.0.0.4", "asn": 65003},
]
STAGGER = 2.5           # seconds between the speakers' starts

ORIGIN = 64500          # origin of every SHARED prefix
HIJACKER = 64666


def _n(p):
    return str(ipaddress.ip_network(p))


def _v4(base, i):
    return "10.%d.%d.0/24" % (base + i // 256, i % 256)


SHARED4 = [_v4(100, i) for i in range(1200)]
SHARED6 = [_n("2001:db8:100:%x::/64" % i) for i in range(300)]
SHARED = SHARED4 + SHARED6
OWN = [[_v4(20 + 8 * k, i) for i in range(1500)] +
       [_n("2001:db8:%x:%x::/64" % (0x200 + k, i)) for i in range(300)]
       for k in range(3)]
W1 = SHARED4[0:100] + SHARED6[0:20]          # P1 withdraws
W2 = SHARED4[100:200] + SHARED6[20:40]       # all withdraw, then announce
MONITORED = SHARED4[1124]                    # 10.104.100.0/24
HIJACK = "10.104.100.0/25"
assert MONITORED == "10.104.100.0/24"
UNTOUCHED = [p for p in SHARED if p not in set(W1) | set(W2) | {MONITORED}]

# prefix_health and leak_detect run with their defaults (the product as
# deployed: 1 s ticks, 3 s warm-up quiet time, flap penalty 1000 per
# flap, flapping above 2000, degraded below 80 % visibility), except
# prefix_health's summary period, 2 s instead of 60 s, so that a
# prefix's latest record carries its current figures (change records
# come only when the state changes).
WARMUP_QUIET = 3
TICK = 1.0
SUMMARY = 2
PH_SETTINGS = {"summary_interval_s": SUMMARY}

WAIT_BMP = harness.slow(30)
WAIT_LOAD = harness.slow(150)   # the three tables through router, collector
WAIT_STEP = harness.slow(60)    # one step's records through them
QUIET = 2.0             # collector counts standing still this long
DEADLINE = harness.slow(420)    # every wait of one run together

checks = harness.Checks(DEADLINE)
failures, fail, left = checks.failures, checks.fail, checks.left
note = harness.note


# ------------------------------------------------------------- speakers

def nexthop(sp, prefix):
    if ":" in prefix:
        return "2001:db8:ffff::%x" % (0x11 + sp["idx"])
    return "192.0.2.%d" % (11 + sp["idx"])


def announce(sp, prefix, path=None):
    if path is None:
        path = [sp["asn"], ORIGIN] if prefix in SHARED_SET else \
            [sp["asn"], 64600 + sp["idx"], 64510 + sp["idx"]]
    return "announce route %s next-hop %s origin igp as-path [ %s ]" % (
        prefix, nexthop(sp, prefix), " ".join(map(str, path)))


def withdraw(sp, prefix):
    return "withdraw route %s next-hop %s" % (prefix, nexthop(sp, prefix))


SHARED_SET = set(SHARED)


def table(sp):
    """A speaker's table, shared and own prefixes mixed as a router's
    dump would come: shuffled, differently per speaker."""
    pfx = SHARED + OWN[sp["idx"]]
    random.Random(1000 + sp["idx"]).shuffle(pfx)
    return [announce(sp, p) for p in pfx]


# -------------------------------------------------------------- routers

class Frr(harness.Frr):
    """harness.Frr with the speakers' three sessions; it sends them
    nothing (an outbound deny: the BMP views are Adj-RIB-In and Loc-RIB,
    which it does not touch), so the speakers do not spend the machine's
    two cores parsing each other's tables."""

    def __init__(self, tmp, procs, loc_rib=None):
        super().__init__(tmp, procs, SPEAKERS, router_id=ROUTER_ID,
                         families=("ipv4", "ipv6"),
                         policies=("pre-policy", "post-policy"),
                         loc_rib=loc_rib)

    def _conf(self, col_port, loc_rib):
        lines = super()._conf(col_port, loc_rib).split("\n")
        out = []
        for line in lines:
            out.append(line)
            if line.startswith("  neighbor ") and line.endswith(
                    " soft-reconfiguration inbound"):
                out.append(line.replace(" soft-reconfiguration inbound",
                                        " route-map SEND-NOTHING out"))
        i = out.index("!")
        out[i:i] = ["!", "route-map SEND-NOTHING deny 10"]
        return "\n".join(out)

    def rib_counts(self):
        return self.best_counts()

    def views_desc(self):
        return ", ".join(("Adj-RIB-In %s" % ("post-policy" if post else
                                             "pre-policy"))
                         if rib == "adj_rib_in" else "Loc-RIB"
                         for rib, post in self.views)


class Gobgp(harness.Gobgp):
    def __init__(self, tmp, procs, loc_rib=None):
        super().__init__(tmp, procs, SPEAKERS, ROUTER_ID)
        self.loc_rib = True

    def skipped(self):
        return []

    def cleanup(self):
        pass

    def views_desc(self):
        return "Adj-RIB-In pre-policy, Adj-RIB-In post-policy, Loc-RIB"

    def rib_counts(self):
        return self.best_counts()


# ----------------------------------------------------------- read-back

def brief(r):
    if r is None:
        return "no record"
    return "%s %s%s %d/%d %.1f%%%s%s" % (
        r["kind"], r["state"],
        " (prev %s)" % r["previous_state"] if r["previous_state"] else "",
        r["peers_with_route"], r["peers_up"], r["visibility_pct"],
        " %s" % ",".join(r["degraded_reasons"]) if r["degraded_reasons"]
        else "", " penalty %.0f%s" % (r["flap_penalty"], " FLAPPING" if
                                      r["flapping"] else "")
        if r["flap_penalty"] else "")


def shape(r):
    """A record's state and counts, without the figures that vary from
    prefix to prefix (penalty, kind): for grouping failures."""
    if r is None:
        return "no record"
    return "%s %d/%d %.1f%%%s%s" % (
        r["state"], r["peers_with_route"], r["peers_up"], r["visibility_pct"],
        " %s" % ",".join(r["degraded_reasons"]) if r["degraded_reasons"]
        else "", " flapping=true" if r["flapping"] else "")


def examples(items, n=4):
    items = list(items)
    return "; ".join(items[:n]) + (" ..." if len(items) > n else "")


class Health:
    """bmp.prefix_health as produced, each record tagged with the step
    it was read in."""

    def __init__(self, col, schemas):
        self.reader = harness.TopicReader(col.brokers, "bmp.prefix_health",
                                          schemas)
        self.by = collections.defaultdict(list)   # prefix -> [(step, rec)]
        self.step = "start"

    def read(self):
        for key, name, rec in self.reader.read():
            if name != "prefix_health" or key != rec["prefix"]:
                fail("bmp.prefix_health: a %s record keyed %r for %r" % (
                    name, key, rec.get("prefix")))
                continue
            self.by[rec["prefix"]].append((self.step, rec))
        return self.reader.count

    def last(self, p):
        recs = self.by.get(p)
        return recs[-1][1] if recs else None

    def in_step(self, p, *steps):
        return [r for s, r in self.by.get(p, []) if s in steps]

    def changes(self, step):
        """Change records read in step: {"previous -> state": count}."""
        c = collections.Counter()
        for recs in self.by.values():
            for s, r in recs:
                if s == step and r["kind"] == "change":
                    c["%s -> %s" % (r["previous_state"] or "none",
                                    r["state"])] += 1
        return dict(sorted(c.items()))

    def histogram(self, prefixes):
        c = collections.Counter()
        for p in prefixes:
            r = self.last(p)
            c["none" if r is None else "%s %d/%d" % (
                r["state"], r["peers_with_route"], r["peers_up"])] += 1
        return ", ".join("%s: %d" % kv for kv in sorted(c.items()))


class Alerts:
    def __init__(self, col, schemas):
        self.reader = harness.TopicReader(col.brokers, "bmp.alert", schemas)
        self.recs = []          # (step, rec)
        self.step = "start"

    def read(self):
        for key, name, rec in self.reader.read():
            if name != "alert" or key != "%s|%s" % (rec["type"],
                                                    rec["prefix"]):
                fail("bmp.alert: a %s record keyed %r" % (name, key))
                continue
            self.recs.append((self.step, rec))
        return self.reader.count


def abrief(r):
    return "%s %s %s culprit %s holding %d seen %d peers %s" % (
        r["state"], r["type"], r["prefix"], r["culprit_as"],
        r["peers_holding"], r["peers_seen"], r["peers"])


# ------------------------------------------------------------- the run

class Run:
    def __init__(self, args, schemas, router_cls, rnd, loc_rib):
        self.args, self.schemas = args, schemas
        self.router_cls, self.rnd, self.loc_rib = router_cls, rnd, loc_rib
        self.tag = "%s round %d" % (router_cls.name, rnd)
        self.ph = self.ld = self.col = self.router = None
        self.spk = {}

    # -- waiting

    def counts(self):
        m = self.col.metrics()
        return tuple(int(m.get('bmpflow_records_total{topic="bmp.%s",'
                               'state="delivered"}' % t, 0))
                     for t in ("route", "peer"))

    def settle(self, what, route_min=0, peer_min=0, timeout=WAIT_STEP):
        """Until the collector delivered at least route_min route and
        peer_min peer records more than at the last settle and its counts
        stood still for QUIET s, every processor read all of them,
        prefix_health has no peer in warm-up, a summary period and two
        ticks passed and every record the processors emitted is read
        back."""
        t0 = time.time()
        base = self.base
        state = {"c": None, "since": time.time()}

        def collector_quiet():
            c = self.counts()
            if c != state["c"]:
                state["c"], state["since"] = c, time.time()
                return False
            return c[0] >= base[0] + route_min and \
                c[1] >= base[1] + peer_min and \
                time.time() - state["since"] >= QUIET
        if not harness.wait_until(collector_quiet, left(timeout), 0.2):
            c = self.counts()
            fail("%s %s: the collector delivered %d route and %d peer "
                 "records in %ds, want at least %d and %d (router or "
                 "speakers did not send them)" % (
                     self.tag, what, c[0] - base[0], c[1] - base[1],
                     timeout, route_min, peer_min))
        c = self.counts()
        self.base = c
        # A warm-up ends WARMUP_QUIET s after a session's last route; the
        # plugin's gauge of peers in warm-up, where it has one, says so.
        t_quiet = state["since"]

        def read_all():
            for p in self.procs_running():
                m = p.metrics()
                if m.get("bmpflow_processor_records_in_total", -1) < \
                        c[0] + c[1]:
                    return False
            m = self.ph.metrics()
            return m.get("bmpflow_prefix_health_peers_warming", 0) == 0 \
                and time.time() - t_quiet >= WARMUP_QUIET + TICK
        if not harness.wait_until(read_all, left(harness.slow(WARMUP_QUIET + 130)), 0.2):
            fail("%s %s: processors did not read the %d records or "
                 "prefix_health stayed in warm-up: %s" % (
                     self.tag, what, sum(c), {
                         p.name: {k.split("_", 2)[-1]: v for k, v in
                                  p.metrics().items() if k in (
                                      "bmpflow_processor_records_in_total",
                                      "bmpflow_prefix_health_peers_warming")}
                         for p in self.procs_running()}))
        # The next tick evaluates, the next summary reports the figures:
        # ticks come TICK s apart at the least, so these span SUMMARY + 2
        # TICK s, and more on a busy machine.
        harness.wait_ticks(self.procs_running(), int(SUMMARY / TICK) + 3,
                           left(harness.slow(30)))

        def all_out():
            n_ph = self.health.read()
            n_ld = self.alerts.read() if self.ld else 0
            ok = n_ph >= self.ph.metrics().get(
                "bmpflow_processor_records_out_total", 1e18)
            if self.ld:
                ok = ok and n_ld >= self.ld.metrics().get(
                    "bmpflow_processor_records_out_total", 1e18)
            return ok
        if not harness.wait_until(all_out, left(harness.slow(30)), 0.5):
            fail("%s %s: fewer output records on Kafka than the processors "
                 "emitted" % (self.tag, what))
        note("%s: settled after %.1fs (%d route, %d peer records in all; "
             "%d prefix_health, %d alert records)" % (
                 what, time.time() - t0, c[0], c[1], self.health.reader.count,
                 self.alerts.reader.count if self.ld else 0))
        note("%s: prefix_health change records: %s" % (
            what.split(":")[0], self.health.changes(self.health.step) or
            "none"))

    def procs_running(self):
        return [p for p in (self.ph, self.ld) if p is not None]

    def set_step(self, step):
        self.health.step = step
        if self.ld:
            self.alerts.step = step

    # -- steps

    def start(self, tmp, procs):
        self.tmp, self.procs = tmp, procs
        self.router = self.router_cls(tmp, procs, loc_rib=self.loc_rib)
        print("== %s: %s, views %s" % (self.tag, self.router.version()
                                        if hasattr(self.router, "version")
                                        else "gobgpd",
                                        self.router.views_desc()),
              flush=True)
        for s in self.router.skipped():
            print("SKIP: " + s, flush=True)
        self.col = harness.Collector(self.args.collector, self.args.schemas)
        self.base = (0, 0)
        self.ph = harness.Processor(self.args.processor, self.col,
                                    self.args.schemas, "prefix_health",
                                    PH_SETTINGS, name="prefix_health")
        if self.rnd == 1:
            pfile = os.path.join(tmp, "monitored.txt")
            with open(pfile, "w") as f:
                f.write("# the SHARED prefix leak_detect watches\n"
                        "%s %d upstreams=%s\n" % (
                            MONITORED, ORIGIN,
                            ",".join(str(s["asn"]) for s in SPEAKERS)))
            self.ld = harness.Processor(self.args.processor, self.col,
                                        self.args.schemas, "leak_detect",
                                        {"prefixes_file": pfile},
                                        name="leak_detect")
        self.health = Health(self.col, self.schemas)
        self.alerts = Alerts(self.col, self.schemas)
        for p in self.procs_running():
            p.wait_assigned(left(harness.slow(30)))
        self.router.start(self.col.port)

        def bmp_up():
            if self.router.p.poll() is not None:
                return "exited"
            m = self.col.metrics()
            return m["bmpflow_sessions"] >= 1 and \
                m['bmpflow_bmp_messages_total{type="initiation"}'] >= 1
        r = harness.wait_until(bmp_up, left(WAIT_BMP))
        if r is not True:
            raise RuntimeError("no BMP session with an Initiation (%s): %s"
                               % (r or "timeout",
                                  harness.tail(self.router.p.log_path)))

    def load(self):
        self.set_step("load")
        t0 = time.time()
        for i, sp in enumerate(SPEAKERS):
            if i:
                time.sleep(STAGGER)
            self.spk[sp["name"]] = harness.start_speaker(
                self.procs, self.tmp, sp, self.router, table(sp))
        note("speakers started %.1f s apart, %d routes each (%d SHARED)" % (
            STAGGER, len(SHARED) + len(OWN[0]), len(SHARED)))
        routes = 3 * len(SHARED) + sum(len(o) for o in OWN)
        adj = sum(1 for v in self.router.views if v[0] != "loc_rib")
        want = routes * adj + (len(SHARED) + sum(len(o) for o in OWN)
                               if self.router.loc_rib else 0)
        self.settle("load", route_min=want, peer_min=3, timeout=WAIT_LOAD)
        rib = self.router.rib_counts()
        want_rib = {"ipv4-unicast": len(SHARED4) + 3 * 1500,
                    "ipv6-unicast": len(SHARED6) + 3 * 300}
        note("load took %.1fs; router's RIB: %s best paths" % (
            time.time() - t0, rib))
        if rib != want_rib:
            fail("%s load: the router's RIB holds %s best paths, want %s "
                 "(the speakers' tables did not all arrive)" % (
                     self.tag, rib, want_rib))
        self.check_load()

    def report(self, what, sets):
        for name, prefixes in sets:
            note("%s: %s (%d): %s" % (what, name, len(prefixes),
                                      self.health.histogram(prefixes)))

    def flips(self, prefixes, steps):
        """Records of prefixes in steps whose state is not healthy."""
        out = collections.Counter()
        ex = []
        for p in prefixes:
            for r in self.health.in_step(p, *steps):
                if r["state"] != "healthy":
                    out["%s %s" % (r["kind"], r["state"])] += 1
                    if len(ex) < 4:
                        ex.append("%s: %s" % (p, brief(r)))
        return out, ex

    def check_load(self):
        h = self.health
        self.report("after the load", [("SHARED", SHARED)] + [
            ("%s's own" % sp["name"], OWN[sp["idx"]]) for sp in SPEAKERS])
        bad = collections.defaultdict(list)
        for p in SHARED:
            r = h.last(p)
            if r is None:
                bad["no record"].append(p)
                continue
            got = (r["state"], r["peers_with_route"], r["peers_up"],
                   round(r["visibility_pct"], 1))
            if got != ("healthy", 3, 3, 100.0):
                bad[shape(r)].append(p)
        for k, ps in sorted(bad.items(), key=lambda kv: -len(kv[1])):
            fail("%s load: %d of %d SHARED prefixes (carried by all 3 "
                 "sessions) end %s, want healthy 3/3 100%% (peers_up "
                 "counts sessions, not views: %s), e.g. %s" % (
                     self.tag, len(ps), len(SHARED), k,
                     self.router.views_desc(),
                     examples("%s: %s" % (p, brief(h.last(p)))
                              for p in ps)))
        fl, ex = self.flips(SHARED, ("start", "load"))
        note("flip records of SHARED prefixes during the load: %s" % (
            dict(fl) or "none"))
        if fl:
            fail("%s load: %d records of SHARED prefixes were not healthy "
                 "while the three tables arrived (%s), want none: a "
                 "session's table arriving is no visibility loss; e.g. %s"
                 % (self.tag, sum(fl.values()), dict(fl), examples(ex)))
        for sp in SPEAKERS:
            wrong = [p for p in OWN[sp["idx"]] if h.last(p) is None or (
                h.last(p)["peers_with_route"], h.last(p)["peers_up"],
                h.last(p)["state"]) != (1, 3, "degraded")]
            if wrong:
                fail("%s load: %d of %d prefixes only %s carries are not "
                     "degraded with 1 of 3 sessions, e.g. %s" % (
                         self.tag, len(wrong), len(OWN[sp["idx"]]),
                         sp["name"], examples("%s: %s" % (
                             p, brief(h.last(p))) for p in wrong)))
        if self.ld:
            recs = [r for s, r in self.alerts.recs]
            note("leak_detect: %d alert records during the load" % len(recs))
            if recs:
                fail("%s load: leak_detect raised %d alert records on a "
                     "clean feed, e.g. %s" % (self.tag, len(recs), examples(
                         abrief(r) for r in recs)))

    def send(self, names, cmds_of):
        for sp in SPEAKERS:
            if sp["name"] in names:
                self.spk[sp["name"]].send(cmds_of(sp))

    def step_w1(self):
        self.set_step("W1")
        self.send(["P1"], lambda sp: [withdraw(sp, p) for p in W1])
        self.settle("W1: P1 withdraws %d SHARED" % len(W1),
                    route_min=2 * len(W1))
        self.report("after W1", [("W1", W1), ("untouched SHARED",
                                              UNTOUCHED)])
        h = self.health
        bad = collections.defaultdict(list)
        for p in W1:
            r = h.last(p)
            ch = [x for x in h.in_step(p, "W1") if x["kind"] == "change"]
            got = None if r is None else (
                r["state"], r["peers_with_route"], r["peers_up"],
                round(r["visibility_pct"], 1), tuple(r["degraded_reasons"]))
            if got != ("degraded", 2, 3, 66.7, ("visibility",)):
                bad["ends %s" % shape(r)].append(p)
            elif not any(x["state"] == "degraded" and
                         x["previous_state"] == "healthy" for x in ch):
                bad["no change record healthy -> degraded"].append(p)
        for k, ps in bad.items():
            fail("%s W1: %d of %d prefixes one of 3 sessions withdrew: %s, "
                 "want degraded (visibility) 2/3 66.7%% after a change from "
                 "healthy; e.g. %s" % (self.tag, len(ps), len(W1), k,
                                       examples("%s: %s" % (
                                           p, brief(h.last(p)))
                                           for p in ps)))
        self.check_untouched("W1")

    def check_untouched(self, step):
        fl, ex = self.flips(UNTOUCHED, (step,))
        if fl:
            fail("%s %s: %d records of SHARED prefixes nobody touched were "
                 "not healthy (%s), e.g. %s" % (self.tag, step,
                                                sum(fl.values()), dict(fl),
                                                examples(ex)))

    def step_w2(self):
        self.set_step("W2")
        self.send(["P1", "P2", "P3"],
                  lambda sp: [withdraw(sp, p) for p in W2])
        self.settle("W2: all withdraw %d SHARED" % len(W2),
                    route_min=2 * 3 * len(W2))
        self.report("after W2", [("W2", W2)])
        h = self.health
        bad = collections.defaultdict(list)
        for p in W2:
            r = h.last(p)
            if r is None or (r["state"], r["peers_with_route"],
                             r["routes"]) != ("unreachable", 0, 0):
                bad["ends %s" % shape(r)].append(p)
            elif not any(x["kind"] == "change" and
                         x["state"] == "unreachable"
                         for x in h.in_step(p, "W2")):
                bad["no change record to unreachable"].append(p)
        for k, ps in bad.items():
            fail("%s W2: %d of %d prefixes all 3 sessions withdrew: %s, "
                 "want unreachable 0 sessions 0 routes; e.g. %s" % (
                     self.tag, len(ps), len(W2), k, examples(
                         "%s: %s" % (p, brief(h.last(p))) for p in ps)))
        self.check_untouched("W2")

        self.set_step("W2 back")
        self.send(["P1", "P2", "P3"],
                  lambda sp: [announce(sp, p) for p in W2])
        self.settle("W2 back: all announce them again",
                    route_min=2 * 3 * len(W2))
        self.report("after W2 back", [("W2", W2)])
        bad = collections.defaultdict(list)
        passing = collections.Counter()
        for p in W2:
            recs = h.in_step(p, "W2 back")
            states = [x["state"] for x in recs if x["kind"] == "change"]
            r = h.last(p)
            flapping = [x for x in recs if x["flapping"] or
                        "flapping" in x["degraded_reasons"]]
            rec_i = [i for i, x in enumerate(recs)
                     if x["state"] == "recovered"]
            if flapping:
                bad["flapping: %s" % shape(flapping[0])].append(p)
            if not rec_i:
                bad["no 'recovered' record (changes: %s)" %
                    " -> ".join(states)].append(p)
            else:
                before = recs[:rec_i[0]]
                after = recs[rec_i[0] + 1:]
                if any(x["state"] != "healthy" for x in after):
                    bad["not healthy after 'recovered' (changes: %s)" %
                        " -> ".join(states)].append(p)
                other = [x for x in before if x["state"] not in (
                    "unreachable", "degraded") or (
                        x["state"] == "degraded" and
                        (x["degraded_reasons"] != ["visibility"] or
                         x["peers_with_route"] >= 3))]
                if other:
                    bad["before 'recovered': %s" %
                        shape(other[0])].append(p)
                passing.update(
                    "degraded %d/%d" % (x["peers_with_route"],
                                        x["peers_up"])
                    for x in before if x["state"] == "degraded")
            if r is None or (r["state"] not in ("recovered", "healthy") or
                             r["peers_with_route"] != 3 or
                             r["peers_up"] != 3 or r["flapping"]):
                bad["ends %s" % shape(r)].append(p)
        if passing:
            note("W2 back: degraded-for-visibility passages while the "
                 "announcements arrived (tolerated): %s" % dict(passing))
        for k, ps in sorted(bad.items()):
            fail("%s W2 back: %d of %d prefixes withdrawn by all and "
                 "announced again by all: %s; want unreachable -> recovered "
                 "-> healthy 3/3, never flapping (one outage is not "
                 "flapping); e.g. %s" % (self.tag, len(ps), len(W2), k,
                                         examples("%s: %s" % (
                                             p, brief(h.last(p)))
                                             for p in ps)))
        self.check_untouched("W2 back")

    def hijack_alerts(self):
        return [(s, r) for s, r in self.alerts.recs
                if (r["type"], r["prefix"]) == ("subprefix_hijack", HIJACK)]

    def check_alert_peers(self, step):
        """No record of the hijack alert lists a session twice, nor
        more holders than sessions that carry it."""
        p3 = "%s|%s" % (ROUTER_ID, SPEAKERS[2]["addr"])
        most = 2 if self.router.loc_rib else 1
        for s, r in self.hijack_alerts():
            if s != step:
                continue
            dup = [x for x, n in collections.Counter(r["peers"]).items()
                   if n > 1]
            if dup or r["peers"].count(p3) > 1:
                fail("%s %s: alert %s record lists %s more than once: "
                     "peers %s (one session, one entry)" % (
                         self.tag, step, r["state"], dup or [p3],
                         r["peers"]))
                return
            others = [x for x in r["peers"] if x != p3 and
                      x.split("|", 1)[1] not in ("", "0.0.0.0", "::")]
            if others or r["peers_holding"] > most or \
                    r["peers_seen"] > most:
                fail("%s %s: alert %s record: peers %s, holding %d, seen "
                     "%d; only P3's session (%s)%s carries the route" % (
                         self.tag, step, r["state"], r["peers"],
                         r["peers_holding"], r["peers_seen"], p3,
                         " and the router's Loc-RIB" if most == 2 else ""))
                return

    def step_hijack(self):
        self.set_step("hijack")
        self.send(["P3"], lambda sp: [announce(sp, HIJACK,
                                               [sp["asn"], HIJACKER])])
        self.settle("hijack: P3 announces %s from AS%d" % (HIJACK, HIJACKER),
                    route_min=2)
        recs = [r for s, r in self.alerts.recs if s == "hijack"]
        for r in recs:
            note("alert: %s" % abrief(r))
        hj = [r for s, r in self.hijack_alerts()]
        opened = [r for r in hj if r["state"] == "open" and
                  r["culprit_as"] == HIJACKER]
        if len(opened) != 1:
            fail("%s hijack: %d subprefix_hijack alerts opened for %s by "
                 "AS%d, want 1; records: %s" % (
                     self.tag, len(opened), HIJACK, HIJACKER,
                     examples(abrief(r) for r in recs)))
        other = [r for r in recs if (r["type"], r["prefix"]) !=
                 ("subprefix_hijack", HIJACK)]
        if other:
            fail("%s hijack: other alert records: %s" % (
                self.tag, examples(abrief(r) for r in other)))
        self.check_alert_peers("hijack")
        self.check_untouched("hijack")

        self.set_step("P3 down")
        procs_stop(self.spk["P3"])
        self.settle("P3 down: its ExaBGP stopped", peer_min=1)
        for s, r in self.hijack_alerts():
            if s == "P3 down":
                note("alert: %s" % abrief(r))
        after = [r for s, r in self.hijack_alerts() if s == "P3 down"]
        last = after[-1] if after else (hj[-1] if hj else None)
        if last is None or last["state"] != "resolved" or \
                last["peers_holding"] != 0:
            fail("%s P3 down: the subprefix_hijack alert of %s ends %s, "
                 "want resolved with peers_holding 0 (the only session "
                 "carrying the route closed)" % (
                     self.tag, HIJACK, abrief(last) if last else
                     "without a record"))
        self.check_alert_peers("P3 down")
        self.report("after P3 down", [("P3's own", OWN[2]),
                                      ("hijack", [HIJACK])])
        h = self.health
        wrong = [p for p in OWN[2] + [HIJACK]
                 if h.last(p) is None or
                 (h.last(p)["state"], h.last(p)["peers_with_route"]) !=
                 ("unreachable", 0)]
        if wrong:
            fail("%s P3 down: %d of %d prefixes only P3 carried are not "
                 "unreachable after its session closed, e.g. %s" % (
                     self.tag, len(wrong), len(OWN[2]) + 1, examples(
                         "%s: %s" % (p, brief(h.last(p))) for p in wrong)))

    def check_all_unreachable(self, step):
        h = self.health
        seen = sorted(h.by)
        self.report(step, [("every prefix", seen)])
        wrong = [p for p in seen if (h.last(p)["state"],
                                     h.last(p)["peers_with_route"]) !=
                 ("unreachable", 0)]
        missing = [p for p in SHARED + sum(OWN, []) if p not in h.by]
        if wrong:
            fail("%s %s: %d of %d prefixes are not unreachable, e.g. %s" % (
                self.tag, step, len(wrong), len(seen), examples(
                    "%s: %s" % (p, brief(h.last(p))) for p in wrong)))
        if missing:
            fail("%s %s: %d announced prefixes never had a prefix_health "
                 "record, e.g. %s" % (self.tag, step, len(missing),
                                      examples(missing)))

    def step_all_down(self):
        self.set_step("all down")
        for n in ("P1", "P2"):
            procs_stop(self.spk[n])
        self.settle("all down: P1 and P2 stopped too", peer_min=2)
        self.check_all_unreachable("all sessions down")

    def step_router_stop(self):
        self.set_step("router stop")
        rc = procs_stop(self.router.p)
        note("%s stopped (exit status %s) with its 3 sessions up" % (
            self.router.name, rc))
        if not harness.wait_until(
                lambda: self.col.metrics()["bmpflow_sessions"] == 0,
                left(harness.slow(30))):
            fail("%s: BMP session still open after the router stopped" %
                 self.tag)
        self.settle("router stop", peer_min=1)
        peers = [r for k, n, r in harness.consume(
            self.col.brokers, "bmp.peer", self.schemas) if n == "peer"]
        reasons = collections.Counter(
            "%s %s" % (r["event"], r.get("down_reason") or "")
            for r in peers)
        note("bmp.peer: %s" % dict(reasons))
        for r in sorted(peers, key=lambda r: r["collector_time_us"]):
            note("  %s %s %s epoch %d%s%s" % (
                r["event"], r["peer_type"], r["peer_address"] or "-",
                r["peer_epoch"], " %s%s" % (r["rib"], " post" if
                                             r["post_policy"] else ""),
                " %s" % r["down_reason"] if r["event"] == "down" else ""))
        for p in harness.closed_epoch_problems(peers):
            fail("%s router stop: %s" % (self.tag, p))
        self.check_all_unreachable("router stopped")

    def finish_processors(self):
        for p in self.procs_running():
            m = p.metrics()
            note("%s: %d records in, %d out, %d stale by epoch, %d bad" % (
                p.name, m.get("bmpflow_processor_records_in_total", -1),
                m.get("bmpflow_processor_records_out_total", -1),
                m.get("bmpflow_processor_records_stale_total", -1),
                m.get("bmpflow_processor_records_bad_total", -1)))
            if m.get("bmpflow_processor_records_bad_total", -1) != 0:
                fail("%s: %s counted bad records" % (self.tag, p.name))
            checks.stopped(p, "%s: %s on SIGTERM" % (self.tag, p.name))


def procs_stop(p):
    return harness.Procs.stop(p, timeout=harness.scaled(15))


def run(args, schemas, router_cls, rnd, loc_rib):
    t0 = time.time()
    checks.start()
    nfail0 = len(failures)
    tmp = tempfile.mkdtemp(prefix="bmpflow-health-real-")
    procs = harness.Procs()
    r = Run(args, schemas, router_cls, rnd, loc_rib)
    try:
        r.start(tmp, procs)
        r.load()
        if rnd == 1:
            r.step_w1()
            r.step_w2()
            r.step_hijack()
            r.step_all_down()
        else:
            r.step_router_stop()
        r.finish_processors()
    except Exception as e:  # noqa: BLE001 - report, then clean up
        traceback.print_exc()
        fail("%s: %s: %s" % (r.tag, type(e).__name__, e))
    finally:
        for p in r.procs_running():
            if p.p.poll() is None:
                p.stop()
        procs.stop_all()
        if r.router is not None:
            r.router.cleanup()
        if len(failures) > nfail0:
            procs.print_tails()
        if r.col is not None:
            checks.stopped(r.col, "%s: collector" % r.tag)
        harness.remove_dirs(tmp, r.col, args.keep)
    print("%s: %d failures, %.0fs" % (r.tag, len(failures) - nfail0,
                                      time.time() - t0), flush=True)
    return r.router.loc_rib if r.router is not None else loc_rib


def own_args(ap):
    ap.add_argument("--only", choices=("frr", "gobgp"))
    ap.add_argument("--round", type=int, choices=(1, 2))


def main():
    args = harness.test_args("--processor", own=own_args)
    missing = [b for b in (harness.FRR_BGPD, GOBGPD, GOBGP, harness.EXABGP)
               if not os.access(b, os.X_OK)]
    if missing:
        return checks.skip("not installed: %s" % missing)
    frr_tmpbase = harness.FrrTmpbase()
    schemas = harness.Schemas(args.schemas)
    t0 = time.time()
    for key, cls in (("frr", Frr), ("gobgp", Gobgp)):
        if args.only and args.only != key:
            continue
        loc_rib = None
        for rnd in (1, 2):
            if args.round and args.round != rnd:
                continue
            loc_rib = run(args, schemas, cls, rnd, loc_rib)
    frr_tmpbase.remove()
    return checks.finish("health on real routers (%.0fs)" % (
        time.time() - t0))


if __name__ == "__main__":
    sys.exit(main())
