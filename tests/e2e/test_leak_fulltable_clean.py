#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""leak_detect on clean synthetic full tables: no alert at all.

  bmpflow-gen-fulltable --valley-free AS_REL (PEERS x (IPV4 + IPV6)
  prefixes: two full tables, 2.4M route records; the stream is cut
  before its first Peer Down and sent over one TCP session kept open,
  so the peers stay up)  -->  bmpflow-collector
  (embedded Kafka, PARTITIONS partitions: the mock cluster keeps at most
  5 MiB per partition)  -->  bmpflow-processor --plugin leak_detect
  --set asrel_file=AS_REL  -->  bmp.alert, read back with kcat.

Every AS path of the feed is valley-free under AS_REL and the sessions'
BGP Roles, stated in their Peer Ups (sent, and read by the processor,
before any route): our provider AS199524 passes down what it learned from
its providers and its peers, among them transit-free ASes (199524 1299 X
O, the peer-lock false positive of old) and routes crossing two tier-1s;
our peer AS1299 passes its customers' routes.  There are no OTC
attributes, ROAs or monitored prefixes, so only route_leak and peer_lock
could fire.  Phases:

  CLEAN    the processor read every bmp.peer and bmp.route record the
           collector delivered (records_in, lag 0); leak_detect counted
           every route record (routes_total) and holds every link of
           AS_REL and its 16 transit-free ASes (input_entries); then
           bmp.alert holds no record, records_out_total is 0 and no
           alerts_total series is above 0;
  CONTROL  the test can fail: a second router (127.0.0.2) sends routes
           built from links of the same AS_REL (see control_routes):
           hairpins (route_leak, RFC 7908 type 1), hairpins between two
           transit-free providers (route_leak and peer_lock), and a stub
           passing a transit-free AS's route to its provider, to another
           transit-free AS, or to us on a session whose BGP Role makes it
           our peer (peer_lock): exactly those alerts open, nothing else.

The processor exits 0 on SIGTERM and counts no bad record.  Bounded:
DEADLINE seconds for every wait together.

  /usr/bin/python3 test_leak_fulltable_clean.py --collector BIN \\
      --decode BIN --schemas DIR --data DIR --processor BIN --gen BIN
"""

import collections
import os
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bmp_build as B  # noqa: E402
import harness  # noqa: E402

LD_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                      "..", "processors", "leak_detect")
PEERS, IPV4, IPV6, SEED = 2, 1000000, 200000, 7
# 2.4M route records carry 533 MB of Avro values (measured), 4.1 MiB a
# partition before the producer's lz4; a record the mock cluster dropped
# fails CLEAN (records_in short).
PARTITIONS = 128
TICK_MS = 200
LOCAL_AS = 64999        # the control router's AS (private: never judged)
HAIRPINS, TIER1_HAIRPINS, PEER_LOCKS = 5, 2, 2    # PEER_LOCKS of each kind
# Seconds for every wait together, the feed's generation too (ctest:
# TIMEOUT 300, and the stops after it).  An idle release build takes 17 s.
DEADLINE = harness.slow(150)

checks = harness.Checks(DEADLINE)
fail, left, note = checks.fail, checks.left, harness.note


def read_links(path):
    """AS_REL -> (providers, customers): {asn: set of asns} (peer links
    are not needed here)."""
    provs, custs = (collections.defaultdict(set) for _ in range(2))
    with open(path) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            a, b, rel = line.strip().split("|")
            if rel == "-1":
                provs[int(b)].add(int(a))
                custs[int(a)].add(int(b))
    return provs, custs


def read_transit_free():
    asns = set()
    with open(os.path.join(LD_DIR, "transit-free.txt")) as f:
        for line in f:
            asns.update(int(t) for t in line.split("#")[0].split())
    return asns


def control_routes(provs, custs, tf):
    """[(prefix, AS path, the neighbour's BGP Role or None, {expected
    (type, prefix, culprit, rfc7908)})], every link taken from AS_REL:

      [A, X, B, Y]    A and B providers of X, neither transit-free, Y a
                      customer of B: route_leak type 1 by X;
      [T2, X, T, Y]   the same between transit-free providers: route_leak
                      by X, and peer_lock by X (T's route to T2);
      [U, Z, T, Y]    Z a stub under no transit-free AS, U its provider, T
                      transit-free, Y its customer: peer_lock by Z (to its
                      provider; AS_REL says nothing of Z and T);
      [T2, Z, T, Y]   peer_lock by Z (to a transit-free AS, nobody's
                      customer);
      [Z, T, Y]       from Z on a session whose BGP Role says Z is our
                      peer: peer_lock by Z."""
    out = []

    def add(pfx, path, role, *alerts):
        out.append((pfx, path, role, {(t, pfx, c, k) for t, c, k in alerts}))

    def customer_of(asn, *not_these):
        return min(c for c in custs[asn] if c not in not_these)

    transit = sorted(x for x in provs if len(provs[x] - tf) >= 2 and
                     custs[x])
    for i, x in enumerate(transit[:HAIRPINS]):
        a, b = sorted(provs[x] - tf)[:2]
        add("198.18.%d.0/24" % i, [a, x, b, customer_of(b, x, a)], None,
            ("route_leak", x, 1))
    transit = sorted(x for x in provs if len(provs[x] & tf) >= 2 and
                     custs[x])
    for i, x in enumerate(transit[:TIER1_HAIRPINS]):
        t, t2 = sorted(provs[x] & tf)[:2]
        add("198.18.%d.0/24" % (100 + i), [t2, x, t, customer_of(t, x)],
            None, ("route_leak", x, 1), ("peer_lock", x, None))
    stubs = sorted(s for s in provs if not custs[s] and not provs[s] & tf)
    tfs = sorted(tf)
    for i in range(PEER_LOCKS):
        z, t, t2 = stubs[i], tfs[i], tfs[i + 1]
        y = customer_of(t, z)
        add("198.19.%d.0/24" % i, [min(provs[z]), z, t, y], None,
            ("peer_lock", z, None))
        add("198.19.%d.0/24" % (10 + i), [t2, z, t, y], None,
            ("peer_lock", z, None))
        add("198.19.%d.0/24" % (20 + i), [z, t, y], "peer",
            ("peer_lock", z, None))
    return out


def ident(r):
    return (r["type"], r["prefix"], r["culprit_as"], r["rfc7908_type"])


def alerts(col, schemas):
    return [rec for _, name, rec in harness.consume(
        col.brokers, "bmp.alert", schemas) if name == "alert"]


def alert_series(m):
    return {k: v for k, v in m.items()
            if k.startswith("bmpflow_leak_detect_alerts_total{") and v}


def clean_phase(col, proc, schemas, g, links):
    """CLEAN: returns the processor's routes_total after the feed and the
    alert_ids on bmp.alert then (none, unless it fails)."""
    route_key = 'bmpflow_records_total{topic="bmp.route",state="delivered"}'
    t0 = time.time()

    def collected():
        m = col.metrics()
        return m[route_key] >= g["announced"] and \
            m["bmpflow_producer_queue_messages"] == 0
    if not harness.wait_until(collected, left(harness.slow(180)), 0.2):
        raise RuntimeError("collector: %d of %d route records delivered" % (
            col.metrics()[route_key], g["announced"]))
    n_route = harness.delivered(col, "route")
    n_in = n_route + harness.delivered(col, "peer")
    note("collector: %d route records delivered after %.1fs" % (
        n_route, time.time() - t0))

    def read_all():
        m = proc.metrics()
        return m.get("bmpflow_processor_records_in_total", 0) >= n_in and \
            m.get("bmpflow_processor_lag_records", 1) == 0 and \
            m.get("bmpflow_leak_detect_routes_total", 0) >= n_route
    ok = harness.wait_until(read_all, left(harness.slow(180)), 0.2)
    m = proc.metrics()
    note("processor: records_in %d, routes_total %d after %.1fs" % (
        m.get("bmpflow_processor_records_in_total", 0),
        m.get("bmpflow_leak_detect_routes_total", 0), time.time() - t0))
    if not ok:
        fail("CLEAN: processor records_in %s of %d, lag %s, leak_detect "
             "routes_total %s of %d (the mock cluster drops records beyond "
             "5 MiB a partition: more PARTITIONS?)" % (
                 m.get("bmpflow_processor_records_in_total"), n_in,
                 m.get("bmpflow_processor_lag_records"),
                 m.get("bmpflow_leak_detect_routes_total"), n_route))
    for what, got, want in (
            ("records_in", m.get("bmpflow_processor_records_in_total"),
             n_in),
            ("leak_detect routes_total",
             m.get("bmpflow_leak_detect_routes_total"), n_route),
            ("asrel links loaded", m.get(
                'bmpflow_leak_detect_input_entries{file="asrel"}'), links),
            ("transit-free ASes", m.get(
                'bmpflow_leak_detect_input_entries{file="transit_free"}'),
             16)):
        if got != want:
            fail("CLEAN: %s %s, want %d" % (what, got, want))
    # Alerts open from on_route; a few ticks for any update, then read.
    proc.wait_ticks(3, left(harness.slow(10)))
    recs = alerts(col, schemas)
    m = proc.metrics()
    if recs or m.get("bmpflow_processor_records_out_total") != 0 or \
            alert_series(m):
        fail("CLEAN: %d alert records (%s; e.g. %s), records_out %s, %s" % (
            len(recs), dict(collections.Counter(r["type"] for r in recs)),
            sorted({(ident(r), tuple(r["as_path"])) for r in recs},
                   key=str)[:5],
            m.get("bmpflow_processor_records_out_total"), alert_series(m)))
    note("CLEAN: %d alert records over %d route records" % (len(recs),
                                                            n_route))
    return (m.get("bmpflow_leak_detect_routes_total", 0),
            {r["alert_id"] for r in recs})


def control_phase(col, proc, schemas, asrel, routes_before, clean_ids):
    """CONTROL over a second router session (its alerts: those not among
    clean_ids); returns the session, kept open."""
    provs, custs = read_links(asrel)
    ctl = control_routes(provs, custs, read_transit_free())
    want = set().union(*(w for _, _, _, w in ctl))
    # One monitored session per neighbour AS and role (the first of a path)
    sessions = sorted({(path[0], role or "") for _, path, role, _ in ctl})
    addr = {k: "10.255.0.%d" % (i + 1) for i, k in enumerate(sessions)}
    s = socket.create_connection(("127.0.0.1", col.port),
                                 timeout=left(harness.slow(10)),
                                 source_address=("127.0.0.2", 0))
    # As a router sends them: the routes right behind the Peer Ups whose
    # BGP Roles judge them (the processor holds a session's routes until
    # it has read its Peer Up from bmp.peer).
    s.sendall(B.initiation("control") + b"".join(
        B.peer_up(addr[asn, role], asn, LOCAL_AS,
                  local_role=role or None, peer_role=role or None)
        for asn, role in sessions) + b"".join(
        B.route(addr[path[0], role or ""], path[0], [pfx], as_path=path)
        for pfx, path, role, _ in ctl))

    def opened():
        m = proc.metrics()
        if m.get("bmpflow_leak_detect_routes_total", 0) < \
                routes_before + len(ctl):
            return None
        recs = [r for r in alerts(col, schemas)
                if r["alert_id"] not in clean_ids]
        return recs if len({ident(r) for r in recs}) >= len(want) else None
    if not harness.wait_until(opened, left(harness.slow(30)), 0.3):
        fail("CONTROL: not within %ds: routes_total %s of %d" % (
            harness.slow(30),
            proc.metrics().get("bmpflow_leak_detect_routes_total"),
            routes_before + len(ctl)))
    proc.wait_ticks(3, left(harness.slow(10)))
    recs = [r for r in alerts(col, schemas) if r["alert_id"] not in clean_ids]
    got = collections.Counter(ident(r) for r in recs
                              if r["state"] == "open")
    if set(got) != want or any(n != 1 for n in got.values()) or \
            any(ident(r) not in want for r in recs):
        fail("CONTROL: alerts opened %s (%d records), want exactly %s" % (
            sorted(got.items(), key=str), len(recs), sorted(want, key=str)))
    for pfx, path, _, w in ctl:
        for r in recs:
            if r["prefix"] == pfx and r["as_path"] != path:
                fail("CONTROL: %s as_path %s, sent %s" % (w, r["as_path"],
                                                          path))
    note("CONTROL: %d alerts opened from %d routes, %d expected: %s" % (
        len(got), len(ctl), len(want), sorted(got, key=str)))
    return s


def main():
    args = harness.test_args("--processor", "--gen")
    schemas = harness.Schemas(args.schemas)
    t_start = time.time()
    col = proc = router = ctl = None
    tmp = tempfile.mkdtemp(prefix="leak-fulltable-")
    try:
        asrel = os.path.join(tmp, "as-rel.txt")
        feed = os.path.join(tmp, "feed.bmp")
        g = harness.gen_fulltable(
            args.gen, feed, "--peers", PEERS, "--ipv4", IPV4, "--ipv6",
            IPV6, "--seed", SEED, "--valley-free", asrel,
            timeout=left(harness.slow(150)))
        links = sum(1 for line in open(asrel) if not line.startswith("#"))
        note("feed: %d peers x (%d IPv4 + %d IPv6): %d routes, %d updates;"
             " %s: %d links, %.1f MB" % (
                 PEERS, IPV4, IPV6, g["announced"], g["updates"], asrel,
                 links, os.path.getsize(asrel) / 1e6))
        col = harness.Collector(args.collector, args.schemas, extra=(
            "--embedded-partitions", str(PARTITIONS)))
        proc = harness.Processor(args.processor, col, args.schemas,
                                 "leak_detect", {"asrel_file": asrel},
                                 tick_ms=TICK_MS)
        proc.wait_assigned(left(harness.slow(60)))
        t = time.time()
        router = socket.create_connection(("127.0.0.1", col.port),
                                          timeout=left(harness.slow(60)))
        # The whole stream at once, the RIB dumps right behind the Peer
        # Ups whose BGP Roles judge them, as a router sends them.
        router.sendall(harness.cut_before_peer_down(open(feed, "rb").read()))
        note("router: feed sent in %.1fs" % (time.time() - t))
        routes, clean_ids = clean_phase(col, proc, schemas, g, links)
        ctl = control_phase(col, proc, schemas, asrel, routes, clean_ids)
        if proc.metrics().get("bmpflow_processor_records_bad_total", 1) != 0:
            fail("processor counted bad records")
    except Exception as e:  # noqa: BLE001 - report, then clean up
        fail("%s: %s" % (type(e).__name__, e))
    finally:
        if proc is not None:
            checks.stopped(proc, "processor")
        for s in (router, ctl):
            if s is not None:
                s.close()
    rc = checks.finish(col=col, summary="leak full table clean, "
                        "%.0fs" % (time.time() - t_start))
    harness.remove_dirs(tmp, col)
    return rc


if __name__ == "__main__":
    sys.exit(main())
