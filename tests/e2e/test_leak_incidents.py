#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""leak_detect end to end on replayed incidents:

  scripted BMP routers (bmp_build.py, one TCP session each from its own
  127.0.0.x, kept open)  -->  bmpflow-collector (embedded Kafka)  -->
  bmpflow-processor --plugin leak_detect  -->  bmp.alert, read back with
  kcat and python3-avro.

Inputs: processors/leak_detect/prefixes.example.txt and roas.example.json,
and as-rel.example.txt plus a synthetic valley-free AS graph for the clean
feed (bmpflow-vf-world, the C tests' generator), written into a temp dir.
Routers and their monitored sessions:

  R1 127.0.0.2   A 10.0.0.1 AS701, B 10.0.0.2 AS3356, C 10.0.0.3 AS6939
  R2 127.0.0.3   D 10.0.1.1 AS701
  R3 127.0.0.4   E 10.0.2.1 AS20473, BGP Role negotiated: E is our customer
  R4 127.0.0.5   four sessions of the synthetic graph (the clean feed)

Phases, each asserting EXACTLY the (type, prefix, culprit_as, rfc7908_type)
set of alerts opened, then withdrawing the offending routes and asserting
a "resolved" record for every one of them:

  CLEAN   Cloudflare and Amazon announced by their real upstreams, and a
          few hundred valley-free routes (customer routes up, peer routes
          down to customers): no alert at all;
  LEAK19  June 2019: the Cloudflare more-specifics AS396531 learned from
          its provider AS33154 and sent to its provider AS701, seen on both
          AS701 sessions: per /21 a route_leak (RFC 7908 type 1, AS396531)
          and an rpki_invalid (the ROA allows /20 at most, AS13335); the
          second session makes an update with peers_holding 2;
  R53     April 2018: AS10297 originates /24s of Route 53's /23s through
          AS6939: per /24 a subprefix_hijack and an rpki_invalid (AS10297);
  OTC     a route carrying OTC from a session whose OPEN says the
          neighbour is our customer (RFC 9234): otc_leak by AS20473;
  MOAS    AS10297 originates the monitored 205.251.194.0/23 itself while
          AS3356 still carries Amazon's: origin_hijack and rpki_invalid
          (AS10297) and moas (no culprit).

Also: every record's detection_latency_ms is in [0, 5000); the processor's
bmpflow_leak_detect_alerts_total{type,state} agree with the records; it
counts no bad record and exits 0 on SIGTERM.  Bounded: DEADLINE seconds.

  /usr/bin/python3 test_leak_incidents.py --collector BIN --decode BIN \\
      --schemas DIR --data DIR --processor BIN --vf-world BIN
"""

import collections
import os
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bmp_build as B  # noqa: E402
import harness  # noqa: E402

LD_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                      "..", "processors", "leak_detect")
TICK_MS = 200
LOCAL_AS = 64999        # the operator's AS (private: never judged)
# Seconds for every wait together (ctest: TIMEOUT 240, with the stops).
DEADLINE = harness.slow(100)
WAIT_PHASE = 20         # one phase's alerts (or resolutions), at most

A = ("10.0.0.1", 701)
Bp = ("10.0.0.2", 3356)
C = ("10.0.0.3", 6939)
D = ("10.0.1.1", 701)
E = ("10.0.2.1", 20473)

CLOUDFLARE_V4 = "104.16.0.0/12"
CLOUDFLARE_V6 = "2606:4700::/32"
AMAZON = ["205.251.192.0/23", "205.251.194.0/23", "205.251.196.0/23",
          "205.251.198.0/23"]
LEAKED = ["104.20.0.0/21", "104.20.8.0/21", "104.16.80.0/21"]
LEAK_PATH = [701, 396531, 33154, 3356, 13335]
HIJACKED = ["205.251.192.0/24", "205.251.193.0/24", "205.251.195.0/24",
            "205.251.197.0/24", "205.251.199.0/24"]
OTC_PREFIX = "185.199.108.0/24"
OTC_PATH = [20473, 37100]
MOAS_PREFIX = "205.251.194.0/23"

checks = harness.Checks(DEADLINE)
failures, fail, left = checks.failures, checks.fail, checks.left
note = harness.note


# ------------------------------------------------------------ clean feed

# A synthetic AS graph of public ASNs (none transit-free, none in the
# example file), from bmpflow-vf-world: 5 top ASes in a peering mesh, 30
# regional ASes buying from them, some peering, 120 stubs under them; the
# clean feed's sessions, two of each top tier.
CLEAN_WORLD = ["--tiers", "5,30,120", "--bases", "30001,30101,31001",
               "--t2-peers", "25", "--seed", "20190624"]
CLEAN_SESSIONS = (30001, 30003, 30105, 30117)
CLEAN_ROUTES = 320


def clean_world(vf_world, asrel):
    """Write the clean graph's relationships to asrel; its valley-free AS
    paths, path i as CLEAN_SESSIONS[i % 4] sends it (nearest first)."""
    out = subprocess.run(
        [vf_world] + CLEAN_WORLD +
        ["--asrel", asrel, "--paths", str(CLEAN_ROUTES),
         "--from", ",".join(map(str, CLEAN_SESSIONS))],
        capture_output=True, text=True, check=True)
    return [[int(a) for a in line.split()] for line in out.stdout.splitlines()]


# ---------------------------------------------------------------- plumbing

class Router:
    """One router's BMP session to the collector, kept open."""

    def __init__(self, col, source, name):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.s.bind((source, 0))
        self.s.connect(("127.0.0.1", col.port))
        self.s.sendall(B.initiation(name))
        self.routes = 0

    def peer_up(self, peer, **kw):
        self.s.sendall(B.peer_up(peer[0], peer[1], LOCAL_AS, **kw))

    def send(self, peer, prefixes, path=None, withdraw=False, otc=None):
        self.s.sendall(B.route(peer[0], peer[1], prefixes, as_path=path,
                               withdraw=withdraw, otc=otc))
        self.routes += len(prefixes)

    def close(self):
        self.s.close()


class Alerts:
    """bmp.alert read back."""

    def __init__(self, col, schemas):
        self.col, self.schemas = col, schemas
        self.recs = []

    def read(self):
        recs = []
        for key, name, rec in harness.consume(self.col.brokers, "bmp.alert",
                                              self.schemas):
            if name != "alert" or key != "%s|%s" % (rec["type"],
                                                    rec["prefix"]):
                fail("bmp.alert: a %s record keyed %r for %s|%s" % (
                    name, key, rec.get("type"), rec.get("prefix")))
                continue
            recs.append(rec)
        self.recs = recs
        return recs


def ident(r):
    return (r["type"], r["prefix"], r["culprit_as"], r["rfc7908_type"])


def show(keys):
    return sorted(keys, key=str)


def settle(proc, alerts, routes_want, cond, what):
    """Wait until the plugin checked routes_want routes, cond(records since
    the phase began) holds, a few ticks passed and every record the
    processor emitted is on bmp.alert; the records of the phase."""
    t0 = time.time()

    def ready():
        m = proc.metrics()
        if m.get("bmpflow_leak_detect_routes_total", 0) < routes_want:
            return None
        return cond(new(alerts.read()))
    ok = harness.wait_until(ready, left(harness.slow(WAIT_PHASE)), 0.2)
    if not ok:
        m = proc.metrics()
        fail("%s: not within %ds (routes checked %s of %d); records: %s" % (
            what, harness.slow(WAIT_PHASE), m.get("bmpflow_leak_detect_routes_total"),
            routes_want, show({ident(r) + (r["state"],)
                               for r in new(alerts.recs)})))
    proc.wait_ticks(3, left(harness.slow(10)))  # next ticks' updates, extras

    def all_out():
        m = proc.metrics()
        n = len(alerts.read())
        return n == m.get("bmpflow_processor_records_out_total", -1)
    if not harness.wait_until(all_out, left(harness.slow(10)), 0.2):
        fail("%s: bmp.alert holds %d records, the processor emitted %s" % (
            what, len(alerts.recs),
            proc.metrics().get("bmpflow_processor_records_out_total")))
    recs = new(alerts.recs)
    settle.seen |= {fingerprint(r) for r in recs}
    note("%s: %d records after %.1fs" % (what, len(recs), time.time() - t0))
    return recs


settle.seen = set()


def fingerprint(r):
    return (r["alert_id"], r["state"], r["time_us"], r["count"],
            r["peers_holding"])


def new(recs):
    """The records of recs not returned by an earlier settle(): kcat
    reads bmp.alert partition after partition, so they are not in time
    order across keys (one key's records are, in its partition)."""
    return [r for r in recs if fingerprint(r) not in settle.seen]


def check_opened(what, recs, want):
    """recs hold exactly the alerts of want opened (plus their updates)."""
    opened = collections.Counter(ident(r) for r in recs
                                 if r["state"] == "open")
    if set(opened) != set(want) or any(n != 1 for n in opened.values()):
        fail("%s: alerts opened %s, want exactly %s" % (
            what, show(opened.items()), show(want)))
    for r in recs:
        if r["state"] not in ("open", "update"):
            fail("%s: a %s record for %s" % (what, r["state"], ident(r)))
        elif ident(r) not in want:
            fail("%s: an %s record of an unexpected alert %s" % (
                what, r["state"], ident(r)))


def check_resolved(what, opened, recs):
    """recs resolve every alert of opened (by alert_id), nothing else."""
    ids = {r["alert_id"]: ident(r) for r in opened if r["state"] == "open"}
    res = collections.Counter(r["alert_id"] for r in recs
                              if r["state"] == "resolved")
    if set(res) != set(ids) or any(n != 1 for n in res.values()):
        fail("%s: resolved %s, want each of %s once" % (
            what, show(res.items()), show(ids.values())))
    for r in recs:
        if r["state"] != "resolved":
            fail("%s: a %s record for %s after the withdrawal" % (
                what, r["state"], ident(r)))
        elif r["peers_holding"] != 0:
            fail("%s: resolved %s with peers_holding %d" % (
                what, ident(r), r["peers_holding"]))


def main():
    args = harness.test_args("--processor", "--vf-world")
    schemas = harness.Schemas(args.schemas)
    col = None
    proc = None
    routers = []
    try:
        col = harness.Collector(args.collector, args.schemas)
        tmp = tempfile.mkdtemp(prefix="leak-inputs-", dir=col.dir)
        clean_rel = os.path.join(tmp, "clean-rel.txt")
        clean_paths = clean_world(args.vf_world, clean_rel)
        asrel = os.path.join(tmp, "as-rel.txt")
        with open(os.path.join(LD_DIR, "as-rel.example.txt")) as f, \
                open(clean_rel) as g, open(asrel, "w") as out:
            out.write(f.read())
            out.write("# synthetic graph of the clean feed\n")
            out.write(g.read())
        files = {"asrel_file": asrel,
                 "prefixes_file": os.path.join(LD_DIR,
                                               "prefixes.example.txt"),
                 "roas_file": os.path.join(LD_DIR, "roas.example.json")}
        proc = harness.Processor(args.processor, col, args.schemas,
                                 "leak_detect", files, tick_ms=TICK_MS)
        proc.wait_assigned(left(harness.slow(30)))
        alerts = Alerts(col, schemas)
        routes = 0

        # ---- CLEAN
        r1 = Router(col, "127.0.0.2", "r1")
        r2 = Router(col, "127.0.0.3", "r2")
        routers += [r1, r2]
        for p in (A, Bp, C):
            r1.peer_up(p)
        r2.peer_up(D)
        r1.send(Bp, [CLOUDFLARE_V4], [3356, 13335])
        r1.send(A, [CLOUDFLARE_V4], [701, 3356, 13335])
        r2.send(D, [CLOUDFLARE_V4], [701, 174, 13335])
        r1.send(Bp, [CLOUDFLARE_V6], [3356, 13335])
        for pfx in AMAZON:
            r1.send(Bp, [pfx], [3356, 16509])
            r1.send(C, [pfx], [6939, 16509])
        r4 = Router(col, "127.0.0.5", "r4")
        routers.append(r4)
        clean_peers = [("10.0.3.%d" % (i + 1), asn) for i, asn in
                       enumerate(CLEAN_SESSIONS)]
        for p in clean_peers:
            r4.peer_up(p)
        n_clean = 0
        for i, path in enumerate(clean_paths):
            p = clean_peers[i % len(clean_peers)]
            pfx = ("20.%d.%d.0/24" % (i >> 8, i & 255)) if i % 5 else \
                "2a0e:%x::/32" % (0x100 + i)
            r4.send(p, [pfx], path)
            n_clean += 1
        routes = sum(r.routes for r in routers)
        recs = settle(proc, alerts, routes, lambda recs: True,
                      "CLEAN (%d valley-free routes)" % n_clean)
        if recs:
            fail("CLEAN: %d alerts on a clean feed: %s" % (
                len(recs), show({ident(r) for r in recs})))

        # ---- LEAK19: June 2019, Verizon and AS396531
        for pfx in LEAKED:
            r1.send(A, [pfx], LEAK_PATH)
        for pfx in LEAKED:
            r2.send(D, [pfx], LEAK_PATH)
        want = {("route_leak", p, 396531, 1) for p in LEAKED} | \
            {("rpki_invalid", p, 13335, None) for p in LEAKED}

        def leak_done(recs):
            holding = {ident(r) for r in recs if r["peers_holding"] == 2}
            return len(holding) >= len(want)
        routes = sum(r.routes for r in routers)
        leak = settle(proc, alerts, routes, leak_done, "LEAK19 open")
        check_opened("LEAK19", leak, want)
        for r in leak:
            if r["type"] == "route_leak" and r["state"] == "open" and (
                    r["culprit_segment"] != [701, 396531, 33154] or
                    r["origin_as"] != 13335 or r["as_path"] != LEAK_PATH):
                fail("LEAK19: route_leak %s: segment %s origin %s path %s"
                     % (r["prefix"], r["culprit_segment"], r["origin_as"],
                        r["as_path"]))
        last = {}
        for r in leak:
            last[ident(r)] = r
        for k, r in last.items():
            if r["peers_holding"] != 2 or sorted(r["routers"]) != \
                    ["127.0.0.2", "127.0.0.3"]:
                fail("LEAK19: %s last record holds %d sessions on %s, "
                     "want 2 on both routers" % (k, r["peers_holding"],
                                                 r["routers"]))
        for pfx in LEAKED:
            r1.send(A, [pfx], withdraw=True)
            r2.send(D, [pfx], withdraw=True)
        routes = sum(r.routes for r in routers)
        check_resolved("LEAK19", leak, settle(
            proc, alerts, routes,
            lambda recs: len(recs) >= len(want), "LEAK19 withdrawn"))

        # ---- R53: April 2018, AS10297 and Route 53
        for pfx in HIJACKED:
            r1.send(C, [pfx], [6939, 10297])
        want = {("subprefix_hijack", p, 10297, None) for p in HIJACKED} | \
            {("rpki_invalid", p, 10297, None) for p in HIJACKED}
        routes = sum(r.routes for r in routers)
        r53 = settle(proc, alerts, routes,
                     lambda recs: len(recs) >= len(want), "R53 open")
        check_opened("R53", r53, want)
        for r in r53:
            if r["type"] == "subprefix_hijack" and (
                    r["prefix_class"], r["path_class"], r["severity"],
                    r["origin_as"]) != ("sub-prefix", "origin", "critical",
                                        10297):
                fail("R53: %s: %s %s %s origin %s" % (
                    r["prefix"], r["prefix_class"], r["path_class"],
                    r["severity"], r["origin_as"]))
        r1.send(C, HIJACKED, withdraw=True)
        routes = sum(r.routes for r in routers)
        check_resolved("R53", r53, settle(
            proc, alerts, routes,
            lambda recs: len(recs) >= len(want), "R53 withdrawn"))

        # ---- OTC: a customer session (negotiated BGP Role) sends OTC
        r3 = Router(col, "127.0.0.4", "r3")
        routers.append(r3)
        n_in = proc.metrics().get("bmpflow_processor_records_in_total", 0)
        r3.peer_up(E, local_role="provider", peer_role="customer")
        # The route must not overtake its Peer Up (another topic): the
        # role comes with the Peer Up.
        if not harness.wait_until(
                lambda: proc.metrics().get(
                    "bmpflow_processor_records_in_total", 0) > n_in,
                left(harness.slow(10)), 0.1):
            fail("OTC: the processor never read E's Peer Up")
        r3.send(E, [OTC_PREFIX], OTC_PATH, otc=OTC_PATH[-1])
        want = {("otc_leak", OTC_PREFIX, 20473, None)}
        routes = sum(r.routes for r in routers)
        otc = settle(proc, alerts, routes,
                     lambda recs: len(recs) >= len(want), "OTC open")
        check_opened("OTC", otc, want)
        r3.send(E, [OTC_PREFIX], withdraw=True)
        routes = sum(r.routes for r in routers)
        check_resolved("OTC", otc, settle(
            proc, alerts, routes,
            lambda recs: len(recs) >= len(want), "OTC withdrawn"))

        # ---- MOAS: AS10297 originates a monitored /23 itself
        r1.send(C, [MOAS_PREFIX], [6939, 10297])
        want = {("origin_hijack", MOAS_PREFIX, 10297, None),
                ("rpki_invalid", MOAS_PREFIX, 10297, None),
                ("moas", MOAS_PREFIX, None, None)}
        routes = sum(r.routes for r in routers)
        moas = settle(proc, alerts, routes,
                      lambda recs: len(recs) >= len(want), "MOAS open")
        check_opened("MOAS", moas, want)
        for r in moas:
            if r["type"] == "moas" and r["state"] == "open" and \
                    sorted(r["culprit_segment"]) != [10297, 16509]:
                fail("MOAS: origins %s" % r["culprit_segment"])
            if r["type"] == "origin_hijack" and r["prefix_class"] != "exact":
                fail("MOAS: origin_hijack prefix_class %s" %
                     r["prefix_class"])
        r1.send(C, [MOAS_PREFIX], withdraw=True)
        routes = sum(r.routes for r in routers)
        check_resolved("MOAS", moas, settle(
            proc, alerts, routes,
            lambda recs: len(recs) >= len(want), "MOAS withdrawn"))

        # ---- every record
        recs = alerts.read()
        for r in recs:
            if not 0 <= r["detection_latency_ms"] < 5000:
                fail("%s %s: detection_latency_ms %.1f" % (
                    ident(r), r["state"], r["detection_latency_ms"]))
        lat = sorted(r["detection_latency_ms"] for r in recs)
        if lat:
            note("detection_latency_ms over %d records: median %.1f, max "
                 "%.1f" % (len(lat), lat[len(lat) // 2], lat[-1]))
        m = proc.metrics()
        got = {k: int(v) for k, v in m.items()
               if k.startswith("bmpflow_leak_detect_alerts_total{") and v}
        want_m = collections.Counter(
            'bmpflow_leak_detect_alerts_total{type="%s",state="%s"}' % (
                r["type"], r["state"]) for r in recs)
        if got != dict(want_m):
            fail("alerts_total metrics %s, records say %s" % (
                show(got.items()), show(want_m.items())))
        if m.get("bmpflow_processor_records_bad_total", 1) != 0:
            fail("processor counted bad records")
        note("%d alert records, %s" % (len(recs), show(want_m.items())))
    except Exception as e:  # noqa: BLE001 - report, then clean up
        fail("%s: %s" % (type(e).__name__, e))
    finally:
        for r in routers:
            r.close()
        if proc is not None:
            checks.stopped(proc, "processor")
    return checks.finish(col=col, summary="leak incidents")


if __name__ == "__main__":
    sys.exit(main())
