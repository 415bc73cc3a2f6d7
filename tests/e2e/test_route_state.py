#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""bmp.route.state, the collector's topic of current routes, kept bounded.

bmpflow-gen-fulltable writes PEERS tables (WITHDRAW_PCT% withdrawn, then a
Peer Down per peer), sent over one router session in three parts:
  1. up to the first Peer Down: the state topic's latest record of each
     key holds a value for exactly the routes announced and not withdrawn
     (bmpflow_route_state_routes counts them too), and each key sits in
     the partition bmp.route uses for its first word (bmp.route's key);
  2. the Peer Ups and tables again: a newer Peer Up ends each peer's
     epoch, whose routes get tombstones under back-pressure (a route
     announced again before takes its tombstone back): the same live keys;
  3. the Peer Downs: a tombstone for every route held, no live key left,
     the collector holds no route and no memory for them.
Runs on the embedded Kafka (no compaction: the latest record per key is
what compaction would keep), or the shared real cluster."""

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

PEERS, IPV4, IPV6, WITHDRAW_PCT, SEED = 2, 8000, 2000, 5, 5


def read(brokers, topic, last="%k"):
    """[(partition, value size or -1 for a tombstone, key)] of topic
    (last="%h": headers in the key's place)."""
    out = subprocess.run(["kcat", "-C", "-b", brokers, "-t", topic, "-e",
                          "-q", "-f", "%p %S " + last + "\n"],
                         capture_output=True, text=True,
                         timeout=harness.slow(120), check=True)
    rows = []
    for line in out.stdout.splitlines():
        p, size, key = line.split(" ", 2)
        rows.append((int(p), int(size), key))
    return rows


def live_keys(brokers):
    """State keys whose latest record holds a value: {key: partition}."""
    latest = {}
    for p, size, key in read(brokers, "bmp.route.state"):
        latest[key] = (p, size >= 0)
    return {k: p for k, (p, live) in latest.items() if live}


def main():
    args = harness.test_args("--gen")
    ck = harness.Checks(budget=harness.slow(240))
    col = router = None
    tmp = tempfile.mkdtemp(prefix="bmpflow-route-state-")
    feed = os.path.join(tmp, "feed.bmp")
    try:
        g = harness.gen_fulltable(
            args.gen, feed, "--peers", PEERS, "--ipv4", IPV4, "--ipv6", IPV6,
            "--withdraw-pct", WITHDRAW_PCT, "--seed", SEED)
        data = open(feed, "rb").read()
        announced, withdrawn = g["announced"], g["withdrawn"]
        held = announced - withdrawn
        cut = harness.cut_before_peer_down(data)
        up = harness.first_of_type(data, 3)
        col = harness.Collector(args.collector, args.schemas)
        sent = [0]

        def send(part):
            router.sendall(part)
            sent[0] += len(part)

            def done():
                m = col.metrics()
                return m["bmpflow_bytes_total"] >= sent[0] and \
                    m["bmpflow_producer_queue_messages"] == 0 and \
                    m["bmpflow_route_state_pending_tombstones"] == 0
            if not harness.wait_until(done, ck.left(harness.slow(60)), 0.1):
                raise RuntimeError("records not delivered")
            return col.metrics()

        def state_is(m, least, most, what):
            live = live_keys(col.brokers)
            n = m["bmpflow_route_state_tombstones_total"]
            ck.check(m["bmpflow_route_state_routes"] == held and
                     len(live) == held and least <= n <= most,
                     "%s: %d routes held, %d live keys, %d tombstones (want "
                     "%d, %d..%d)" % (what, m["bmpflow_route_state_routes"],
                                      len(live), n, held, least, most))
            return live

        router = socket.create_connection(("127.0.0.1", col.port))
        m = send(cut)
        live = state_is(m, withdrawn, withdrawn, "table sent")
        route_parts = {}
        for p, _, key in read(col.brokers, "bmp.route"):
            route_parts.setdefault(key, set()).add(p)
        astray = [k for k, p in live.items()
                  if route_parts.get(k.split(" ")[0]) != {p}]
        ck.check(not astray, "every state key in its bmp.route key's "
                 "partition (%d astray, e.g. %s)" % (len(astray), astray[:2]))
        # "route-key router peer-type peer-address peer-RD view afi/safi
        # path-id", and no schema header: readers go by the fingerprint.
        shape = re.compile(r"^\S+ \S+ \d+ \S+ \S+ [0-4] \d+/\d+ (\d+|-)$")
        odd = [k for k in live if not shape.match(k)]
        ck.check(not odd, "state keys of the documented shape (%d not, "
                 "e.g. %s)" % (len(odd), odd[:2]))
        headed = [h for _, _, h in read(col.brokers, "bmp.route.state",
                                        "%h") if h]
        ck.check(not headed, "no state message has headers (%d have, e.g. "
                 "'%s')" % (len(headed), headed[0] if headed else ""))
        harness.note("%d routes held in %d bytes (%.1f a route)" % (
            held, m["bmpflow_route_state_bytes"],
            m["bmpflow_route_state_bytes"] / held))

        # The old epoch's tombstones go out under back-pressure; a route
        # announced again first takes its tombstone back.
        m = send(cut[up:])
        state_is(m, 2 * withdrawn, 2 * withdrawn + held, "newer Peer Ups, "
                 "tables again")
        before = m["bmpflow_route_state_tombstones_total"]

        m = send(data[len(cut):])
        live = live_keys(col.brokers)
        ck.check(m["bmpflow_route_state_routes"] == 0 and not live and
                 m["bmpflow_route_state_bytes"] == 0 and
                 m["bmpflow_route_state_tombstones_total"] - before == held,
                 "Peer Downs: %d tombstones, %d live keys, %d routes "
                 "and %d bytes held" % (
                     m["bmpflow_route_state_tombstones_total"] - before,
                     len(live),
                     m["bmpflow_route_state_routes"],
                     m["bmpflow_route_state_bytes"]))
    except Exception as e:  # noqa: BLE001 - reported, then cleaned up
        ck.fail("%s: %s" % (type(e).__name__, e))
    finally:
        if router is not None:
            router.close()
        shutil.rmtree(tmp, ignore_errors=True)
    rc = ck.finish("route state", col=col)
    if col is not None:
        shutil.rmtree(col.dir, ignore_errors=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
