#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""At-least-once, shown: bmpflow-processor commits a bmp.route offset only
once the outputs the records before it led to are acknowledged, and a
processor that dies with outputs unacknowledged has them derived again by
its successor.

bmpflow-mock-kafka (librdkafka's mock cluster in its own process, so the
output topic can lose its leader) holds the collector's topics and
bmp.prefix_health, or with BMPFLOW_TEST_KAFKA=real a 3-node Apache Kafka
cluster does, where bmp.prefix_health's partitions have their one replica
on node 3 and "leaderless" is node 3 stopped (RealOutputFault); the collector produces to it; a prefix_health processor
(short ticks, a 1 s warm-up) runs in group G.  Routers are real captures
whose sessions stay open, so their peers stay up; the two share no prefix.
The processor's bmpflow_processor_committed_records (the group's committed
offsets, from commit results) is compared with the bmp.route records the
collector delivered (every offset from 0, one instance holding every
partition):
  1. router A (CAP1): the processor reads everything, its outputs are all
     in bmp.prefix_health, and committed == delivered;
  2. bmp.prefix_health made leaderless ("leader bmp.prefix_health -1"),
     router B (CAP2, other prefixes): the processor reads everything and
     emits outputs (records_out grows) that cannot be acknowledged, and
     over several tick and commit intervals committed stays where phase 1
     left it;
  3. the processor is killed (SIGKILL: its unacknowledged outputs die with
     it), the leader comes back, a new processor joins G: it replays
     exactly the records below G's committed offsets (phase 1's), processes
     phase 2's live, every prefix router B announced is in
     bmp.prefix_health (those only B announced were in no output before),
     and committed reaches delivered again."""

import os
import shutil
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import kafka_cluster  # noqa: E402

PARTITIONS = 8
OUT_TOPIC = "bmp.prefix_health"
TOPICS = ("bmp.router", "bmp.peer", "bmp.route", "bmp.stats", "bmp.raw",
          OUT_TOPIC)
# Cisco IOS XR 7.10.2, then Huawei VRP 8.230: 475 and 139 announcements of
# 94 and 70 prefixes, none shared, no withdrawal.  So every record of router
# B is one the plugin has an output for at the next tick, or comes after
# one in its partition (a prefix's records share one): no phase-2 offset
# may be committed.
CAP1 = "multivendor-14routers.s13.bmp"
CAP2 = "multivendor-14routers.s20.bmp"
SRC1, SRC2 = "127.0.0.21", "127.0.0.22"
TICK_MS = 200
# Phase 2: committed watched this long, 4 of consume.c's 1 s commit
# intervals, and HOLD_TICKS ticks at least (a busy machine ticks less).
HOLD_S, HOLD_TICKS = 4, 20
BUDGET = harness.slow(150)      # every wait together
# A short warm-up, on: it defers the outputs of a peer's routes past the
# tick that read them, and the plugin says so (bf_outputs_deferred), so
# the host must hold its commits through it too.  No periodic summaries
# to count.
# Every view: router B (Huawei VRP) monitors Adj-RIB-Out only, which the
# default views (Adj-RIB-In, else Loc-RIB) leave out.
PH_SETTINGS = {"warmup_quiet_s": 1, "summary_interval_s": 3600,
               "views": "all"}
# A killed member is noticed in seconds, not Kafka's 45.
GROUP_FLAGS = ["--kafka.session.timeout.ms", "6000",
               "--kafka.heartbeat.interval.ms", "500"]

M_IN = "bmpflow_processor_records_in_total"
M_OUT = "bmpflow_processor_records_out_total"
M_COMMITTED = "bmpflow_processor_committed_records"
M_LAG = "bmpflow_processor_lag_records"
M_PARTS = "bmpflow_processor_partitions_assigned"
M_REPLAYED = "bmpflow_processor_records_replayed_total"
M_STATE_ROUTES = "bmpflow_processor_bootstrap_routes_total"
M_FAILED = "bmpflow_processor_output_failures_total"
M_WARMING = "bmpflow_prefix_health_peers_warming"
M_TICKS = "bmpflow_processor_ticks_total"


def prefix_key(r):
    """A bmp.route record's prefix as prefix_health names it."""
    return r["prefix"] if not r["rd"] else "%s %s" % (r["rd"], r["prefix"])


def start_processor(args, col, name):
    return harness.Processor(args.processor, col, args.schemas,
                             "prefix_health", PH_SETTINGS, TICK_MS,
                             GROUP_FLAGS, name=name, group="G")


def wait_for(checks, what, cond, timeout=60):
    """Poll cond() (a true value ends the wait) within the budget; raise
    with what and cond's last answer when it never holds."""
    last = [None]

    def probe():
        last[0] = cond()
        return last[0] is True
    t0 = time.time()
    timeout = harness.slow(timeout)
    if not harness.wait_until(probe, checks.left(timeout), 0.2):
        raise RuntimeError("%s: not within %ds (%s)" % (what, timeout,
                                                        last[0]))
    return time.time() - t0


def settled(proc, col, delivered_min):
    """True once the collector delivered at least delivered_min bmp.route
    records and has nothing queued, and proc holds every partition, has
    read every record and committed every offset; else why not."""
    cm = col.metrics()
    d = harness.delivered(col, "route")
    m = proc.metrics()
    if cm["bmpflow_producer_queue_messages"] != 0 or d < delivered_min:
        return "collector: %d bmp.route delivered, %d queued" % (
            d, cm["bmpflow_producer_queue_messages"])
    if m.get(M_PARTS) != PARTITIONS or m.get(M_LAG) != 0:
        return "processor: %s partitions, lag %s" % (m.get(M_PARTS),
                                                     m.get(M_LAG))
    if m.get(M_COMMITTED) != d:
        return "committed %s, delivered %d" % (m.get(M_COMMITTED), d)
    return True


def outputs_acked(col, before, proc):
    """True once proc's peers are past warm-up and bmp.prefix_health
    holds before + proc's outputs."""
    m = proc.metrics()
    if m.get(M_WARMING) != 0:
        return "%s peers warming" % m.get(M_WARMING)
    n = len(harness.consume(col.brokers, OUT_TOPIC, schemas_g))
    want = before + proc.metrics().get(M_OUT, -1)
    return True if n == want and want > before else \
        "%d in %s, want %d" % (n, OUT_TOPIC, want)


schemas_g = None


class MockOutputFault:
    """bmp.prefix_health leaderless on bmpflow-mock-kafka."""

    def __init__(self, args):
        self.mock = harness.MockKafka(args.mock_kafka, TOPICS, PARTITIONS)
        self.brokers = self.mock.brokers

    def block(self):
        self.mock.command("leader %s -1" % OUT_TOPIC)

    def unblock(self):
        self.mock.command("leader %s 1" % OUT_TOPIC)

    def stop(self):
        self.mock.stop()


class RealOutputFault:
    """bmp.prefix_health leaderless on a real 3-node cluster: its
    partitions have their one replica on node 3, which stops; the
    collector's topics and the group's offsets (3 replicas,
    min.insync.replicas 1) and the controller quorum (2 of 3) live on."""
    NODE = 3

    def __init__(self, args):
        self.cluster = kafka_cluster.KafkaCluster(nodes=3, min_insync=1)
        self.cluster.create_topics(TOPICS[:-1])
        self.cluster.create_topics([OUT_TOPIC], on_node=self.NODE)
        self.brokers = self.cluster.brokers

    def block(self):
        self.cluster.node(self.NODE).stop()

    def unblock(self):
        self.cluster.node(self.NODE).start()
        self.cluster.wait_ready()
        self.cluster.wait_led([OUT_TOPIC])

    def stop(self):
        self.cluster.stop()


def main():
    global schemas_g
    args = harness.test_args("--mock-kafka", "--processor")
    schemas_g = harness.Schemas(args.schemas)
    checks = harness.Checks(BUDGET)
    cap1 = open(os.path.join(args.data, "bmp", CAP1), "rb").read()
    cap2 = open(os.path.join(args.data, "bmp", CAP2), "rb").read()
    fault = col = p1 = p2 = None
    routers = []
    t_start = time.time()
    try:
        fault = (RealOutputFault if kafka_cluster.real_kafka() else
                 MockOutputFault)(args)
        col = harness.Collector(args.collector, args.schemas,
                                extra=["--brokers", fault.brokers])
        p1 = start_processor(args, col, "processor-1")

        # Phase 1: everything read, acknowledged and committed.
        routers.append(harness.open_router(col.port, cap1, SRC1))
        wait_for(checks, "phase 1: processor settled", lambda: settled(
            p1, col, 1))
        wait_for(checks, "phase 1: outputs acknowledged",
                 lambda: outputs_acked(col, 0, p1))
        m1 = p1.metrics()
        d1 = harness.delivered(col, "route")
        out1 = harness.consume(col.brokers, OUT_TOPIC, schemas_g)
        c1 = m1[M_COMMITTED]
        if c1 != d1 or len(out1) != m1[M_OUT]:
            checks.fail("phase 1: committed %d of %d, %d outputs of %d in "
                        "%s" % (c1, d1, len(out1), m1[M_OUT], OUT_TOPIC))
        harness.note("phase 1: %d route records delivered, committed %d, "
                     "%d outputs acknowledged (%.1fs)" % (
                         d1, c1, len(out1), time.time() - t_start))

        # Phase 2: outputs cannot be acknowledged; nothing more committed.
        t2 = time.time()
        fault.block()
        routers.append(harness.open_router(col.port, cap2, SRC2))

        def read_all():
            d = harness.delivered(col, "route")
            m = p1.metrics()
            if d <= d1 or col.metrics()[
                    "bmpflow_producer_queue_messages"] != 0:
                return "collector: %d bmp.route delivered" % d
            if m.get(M_LAG) != 0 or m.get(M_IN, 0) < m1[M_IN] + d - d1:
                return "processor: lag %s, %s records in" % (
                    m.get(M_LAG), m.get(M_IN))
            if m.get(M_OUT, 0) <= m1[M_OUT]:
                return "no new outputs yet"
            return True
        wait_for(checks, "phase 2: processor read router B", read_all)
        d2 = harness.delivered(col, "route")
        # Several ticks and commit intervals: nothing may be committed.
        hold_end = time.time() + HOLD_S
        hold_ticks = p1.metrics().get(M_TICKS, 0) + HOLD_TICKS
        seen = set()
        while time.time() < hold_end or \
                p1.metrics().get(M_TICKS, 0) < hold_ticks:
            checks.left(harness.slow(60))   # raises when out of budget
            seen.add(p1.metrics().get(M_COMMITTED))
            time.sleep(TICK_MS / 1000.0)
        m2 = p1.metrics()
        seen.add(m2.get(M_COMMITTED))
        harness.note("phase 2: %d more route records, all read (records "
                     "in %d -> %d), outputs %d -> %d unacknowledged; "
                     "committed over %ds: %s (%.1fs)" % (
                         d2 - d1, m1[M_IN], m2[M_IN], m1[M_OUT], m2[M_OUT],
                         HOLD_S, sorted(seen), time.time() - t2))
        if seen != {c1}:
            checks.fail("committed moved while outputs were not "
                        "acknowledged: %s, phase 1 left %d" % (sorted(seen),
                                                               c1))
        if m2[M_FAILED] != 0:
            checks.fail("%d outputs failed" % m2[M_FAILED])

        # Phase 3: kill, leader back, a new member re-derives the outputs.
        t3 = time.time()
        p1.stop(signal.SIGKILL)
        fault.unblock()
        p2 = start_processor(args, col, "processor-2")
        wait_for(checks, "phase 3: new processor settled",
                 lambda: settled(p2, col, d2), timeout=90)
        wait_for(checks, "phase 3: outputs acknowledged",
                 lambda: outputs_acked(col, len(out1), p2))
        m3 = p2.metrics()
        routes = harness.consume(col.brokers, "bmp.route", schemas_g)
        by_b = {prefix_key(r) for _, _, r in routes
                if r["router_address"] == SRC2 and r["action"] == "announce"}
        by_a = {prefix_key(r) for _, _, r in routes
                if r["router_address"] == SRC1 and r["action"] == "announce"}
        before = {r["prefix"] for _, _, r in out1}
        after = {r["prefix"] for _, _, r in harness.consume(
            col.brokers, OUT_TOPIC, schemas_g)}
        only_b = by_b - by_a
        harness.note("phase 3: replayed %d, %d routes from the state topic "
                     "(phase 1 committed %d), "
                     "committed %d of %d; router B announced %d prefixes, "
                     "%d only B; %d of them in %s before the kill, %d "
                     "after (%.1fs)" % (
                         m3[M_REPLAYED], m3.get(M_STATE_ROUTES, 0), c1,
                         m3[M_COMMITTED], d2, len(by_b),
                         len(only_b), len(only_b & before), OUT_TOPIC,
                         len(by_b & after), time.time() - t3))
        if len(only_b) < 50 or only_b != by_b:
            checks.fail("router B announced %d prefixes, %d of them not "
                        "announced by A: the captures do not show what the "
                        "test needs" % (len(by_b), len(only_b)))
        if only_b & before:
            checks.fail("prefixes only router B announced were output "
                        "before the kill: %s" % sorted(only_b & before)[:3])
        if by_b - after:
            checks.fail("%d prefixes router B announced never reached %s: "
                        "%s" % (len(by_b - after), OUT_TOPIC,
                                sorted(by_b - after)[:3]))
        # Its state: rebuilt from bmp.route.state where the collector
        # keeps it (then bmp.route is read from the committed offset,
        # nothing replayed), else by replaying bmp.route up to it.
        from_state = m3.get(M_STATE_ROUTES, 0)
        if not (m3[M_REPLAYED] == c1 and from_state == 0 or
                m3[M_REPLAYED] == 0 and from_state > 0):
            checks.fail("the new member replayed %d records and took %d "
                        "routes from bmp.route.state; G had committed %d" %
                        (m3[M_REPLAYED], from_state, c1))
        if m3[M_FAILED] != 0:
            checks.fail("%d outputs failed" % m3[M_FAILED])
    except Exception as e:  # noqa: BLE001 - reported, then cleaned up
        checks.fail("error: %s" % e)
        for p in (p1, p2):
            if p is not None:
                print("--- %s:\n%s" % (p.log_path, harness.tail(p.log_path)))
    finally:
        for p in (p1, p2):
            if p is not None and p.p.poll() is None:
                if p.stop() != 0:
                    checks.fail("processor exit status %s: %s" % (
                        p.p.returncode, harness.tail(p.log_path)))
        for s in routers:
            s.close()
        rc = checks.finish(col=col, summary="processor at-least-once "
                            "(%.1fs)" % (time.time() - t_start))
        if fault is not None:
            fault.stop()
        if col is not None and not checks.failures:
            shutil.rmtree(col.dir, ignore_errors=True)
        elif col is not None:
            print("kept %s" % col.dir)
    return rc


if __name__ == "__main__":
    sys.exit(main())
