#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A processor killed in the middle of a feed and restarted, and a
consumer-group rebalance (a second instance joins, then leaves), end with
the same prefix-health state as one uninterrupted run over the same feed.

Routers (real captures, sessions held open so their peers stay up) feed
the collector in three phases.  Instance U runs from start to end in its
own group.  Instance R runs in group G: it is killed with SIGKILL during
phase 2 and restarted (it rebuilds every partition from bmp.route.state,
with outputs suppressed, and reads on from G's committed offsets); in phase 3 a second
instance R2 joins G (R keeps part of its partitions and drops the rest,
R2 rebuilds those) and then stops (R gets them back and rebuilds them).
The last prefix_health record per prefix in R+R2's output topic must
equal U's, figure by figure (time-dependent ones aside)."""

import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

PHASES = (("s15", "s22"), ("s25", "s17", "s23"),
          ("s28", "s20", "s13", "s19", "s26"))
# Figures that follow from the routes alone, not from when they came.
COMPARED = ("state", "peers_with_route", "peers_up", "routes",
            "visibility_pct", "origins", "moas", "min_path_len",
            "max_path_len", "median_path_len", "first_hop_ases")
TIMEOUT = 120
PARTITIONS = 8      # the collector's embedded-partitions default


def start(binary, col, schema_dir, group, out_topic, name):
    """A prefix_health instance in group, publishing to out_topic."""
    return harness.Processor(
        binary, col, schema_dir, "prefix_health",
        # Every view: which view stands for a session is chosen from the
        # records an instance has read (README, "Views"), and these
        # captures hold a few routes per view, so instances that hold
        # other partitions may choose apart for a while; restarts and
        # rebalances are what this test compares.
        {"summary_interval_s": 1, "warmup_quiet_s": 1, "views": "all"}, 200,
        ("--output-topic", out_topic,
         # A killed member is noticed in seconds, not Kafka's 45.
         "--kafka.session.timeout.ms", "6000",
         "--kafka.heartbeat.interval.ms", "500"),
        name=name, group=group)


def wait_caught_up(procs, col, what):
    """Until the collector has delivered everything, each group's members
    hold every partition between them, and every processor has read all
    of its partitions and ticked since: 15 ticks, 3 summary intervals
    (counted in ticks, which a busy machine slows down alike)."""
    deadline = time.time() + harness.slow(TIMEOUT)
    quiet_since = None
    while time.time() < deadline:
        ok = col.metrics()["bmpflow_producer_queue_messages"] == 0
        held = {}
        for p in procs:
            m = p.metrics()
            ok = ok and bool(m) and \
                m["bmpflow_processor_lag_records"] == 0 and \
                m["bmpflow_processor_records_in_total"] > 0
            if m:
                held[p.group] = held.get(p.group, 0) + \
                    m["bmpflow_processor_partitions_assigned"]
        ok = ok and all(n == PARTITIONS for n in held.values())
        if ok:
            ticks = [p.metrics().get("bmpflow_processor_ticks_total", 0)
                     for p in procs]
            quiet_since = quiet_since or ticks
            if all(t - t0 >= 15 for t, t0 in zip(ticks, quiet_since)):
                return
        else:
            quiet_since = None
        time.sleep(0.2)
    state = []
    for p in procs:
        m = p.metrics()
        state.append("%s: lag %s, partitions %s; log: %s" % (
            p.name, m.get("bmpflow_processor_lag_records"),
            m.get("bmpflow_processor_partitions_assigned"),
            harness.tail(p.log_path, 8)))
    raise RuntimeError("%s: processors did not catch up in %ds:\n%s" % (
        what, harness.slow(TIMEOUT), "\n".join(state)))


def last_per_prefix(recs):
    out = {}
    for _, _, r in recs:
        out[r["prefix"]] = r
    return out


def main():
    args = harness.test_args()
    binary = os.path.join(os.path.dirname(args.collector), "..",
                          "processors", "host", "bmpflow-processor")
    schemas = harness.Schemas(args.schemas)
    # Every wait together (42 s on an idle release build).
    ck = harness.Checks(budget=harness.slow(360))
    col = harness.Collector(args.collector, args.schemas)
    routers, procs = [], []
    try:
        u = start(binary, col, args.schemas, "once", "ph.once", "U")
        r = start(binary, col, args.schemas, "restart", "ph.restart", "R")
        procs = [u, r]
        n = 0
        for phase, caps in enumerate(PHASES):
            if phase == 2:
                r2 = start(binary, col, args.schemas, "restart",
                           "ph.restart", "R2")
                procs.append(r2)
            for i, cap in enumerate(caps):
                n += 1
                data = open(os.path.join(
                    args.data, "bmp", "multivendor-14routers.%s.bmp" % cap),
                    "rb").read()
                routers.append(harness.open_router(col.port, data,
                                           "127.0.0.%d" % (10 + n)))
                if phase == 1 and i == 0:
                    # Mid-feed: R dies without committing or closing.
                    time.sleep(0.5)
                    r.stop(signal.SIGKILL)
                    procs.remove(r)
                    r = start(binary, col, args.schemas, "restart",
                              "ph.restart", "R")
                    procs.append(r)
            wait_caught_up(procs, col, "phase %d" % (phase + 1))
            if phase == 2:
                # R2 leaves: R gets its partitions back and rebuilds them.
                if r2.stop() != 0:
                    ck.fail("R2 exit status %s" % r2.p.returncode)
                procs.remove(r2)
                wait_caught_up(procs, col, "after R2 left")
        mr = r.metrics()
        once = last_per_prefix(harness.consume(col.brokers, "ph.once",
                                               schemas))
        again = last_per_prefix(harness.consume(col.brokers, "ph.restart",
                                                schemas))
        print("uninterrupted: %d prefixes; restarted/rebalanced: %d; R "
              "rebuilt from %d bmp.route.state routes and %d replayed "
              "records, dropped %d partitions, %d rebalances" % (
                  len(once), len(again),
                  mr["bmpflow_processor_bootstrap_routes_total"],
                  mr["bmpflow_processor_records_replayed_total"],
                  mr["bmpflow_processor_partitions_dropped_total"],
                  mr["bmpflow_processor_rebalances_total"]))
        if len(once) < 500:
            ck.fail("only %d prefixes: the feed is too small to "
                    "show anything" % len(once))
        if set(once) != set(again):
            ck.fail("prefixes differ: only uninterrupted %s, only "
                    "restarted %s" % (
                        sorted(set(once) - set(again))[:3],
                        sorted(set(again) - set(once))[:3]))
        diff = 0
        for p in sorted(set(once) & set(again)):
            a = {k: once[p][k] for k in COMPARED}
            b = {k: again[p][k] for k in COMPARED}
            if a != b:
                diff += 1
                if diff <= 3:
                    ck.fail("%s: uninterrupted %s, restarted %s" %
                            (p, a, b))
        if diff:
            ck.fail("%d prefixes differ" % diff)
        states = {}
        for rec in once.values():
            states[rec["state"]] = states.get(rec["state"], 0) + 1
        print("final states:", states)
        # R rebuilt after the kill and again after R2 left, and dropped
        # what went to R2 when it joined.
        if mr["bmpflow_processor_records_replayed_total"] + \
                mr["bmpflow_processor_bootstrap_routes_total"] == 0:
            ck.fail("R rebuilt nothing after its restart")
        if mr["bmpflow_processor_partitions_dropped_total"] == 0:
            ck.fail("R dropped no partition when R2 joined")
        with open(r.log_path) as f:
            log = f.read()
        if "state rebuilt" not in log:
            ck.fail("R never logged a rebuilt partition")
        # Metrics of the plugin agree with its records.
        mu = u.metrics()
        for s in ("healthy", "degraded", "unreachable"):
            got = mu.get('bmpflow_prefix_health_prefixes{state="%s"}' % s)
            if got != states.get(s, 0):
                ck.fail("U's prefixes{state=%s} gauge %s, records "
                        "say %d" % (s, got, states.get(s, 0)))
        if not mu.get("bmpflow_prefix_health_delivery_delay_seconds_count"):
            ck.fail("no delivery delay observed")
    except Exception as e:  # noqa: BLE001 - reported, then cleaned up
        ck.fail("error: %s" % e)
    finally:
        for p in procs:
            if p.stop() != 0:
                ck.fail("%s exit status %s: %s" % (
                    p.name, p.p.returncode, harness.tail(p.log_path, 6)))
        for s in routers:
            s.close()
    return ck.finish(col=col, summary="processor restart and rebalance")


if __name__ == "__main__":
    sys.exit(main())
