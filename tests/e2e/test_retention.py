#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""State that outlives retention, on a real 1-node Apache Kafka (KRaft,
tests/e2e/kafka_cluster.py).

bmp.route has small segments; bmp.route.state is compacted (tombstones
kept DELETE_RETENTION_MS), bmp.peer compacted too (one partition; a third
peer's session, brought up three times once the feed is read, rolls its
segments, and the cleaner leaves each key's latest record: the third
peer's older epochs go, the Peer Ups of live sessions stay beside their
End-of-RIBs).  bmpflow-gen-fulltable
writes PEERS full tables (2% withdrawn), sent up to the first Peer Down
over one router session kept open.  Processor U (prefix_health, its own
group) runs from before the feed; once it has read everything, bmp.route's
retention.ms is set to RETENTION_MS, so the broker deletes its records
within seconds (a retention that short from the start would delete
records U has not read yet).  Checks:
  - bmp.route's low watermarks show that retention deleted most records;
  - a processor F started then, in a fresh group, holds exactly U's routes
    (plugin gauge bmpflow_prefix_health_routes), its state rebuilt from
    bmp.route.state (bmpflow_processor_bootstrap_routes_total >= routes);
    without the bootstrap it would hold only the few routes retention left;
  - the router session then closes: the collector publishes one tombstone
    per route it held (bmpflow_route_state_tombstones_total grows by
    bmpflow_route_state_routes), after which the state topic's latest value
    of every key is a tombstone, U holds no route, and a fresh processor
    F2 holds none either.
Figures printed: routes, records left in bmp.route, bootstrap time and
records read from the state topic, the state topic's size on disk with
the routes held and after the session's end.  About 90 s."""

import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import kafka_cluster  # noqa: E402

# 1,030,000 routes announced, 2% withdrawn: 1,009,400 held (at least 1M).
PEERS, IPV4, IPV6, WITHDRAW_PCT, SEED = 2, 465000, 50000, 2, 17
PARTITIONS = 4
RETENTION_MS = 1000
DELETE_RETENTION_MS = 1000
SEGMENT_BYTES = 1 << 20     # Kafka's least segment.bytes
SEGMENT_MS = 1000
TOPICS = ("bmp.router", "bmp.stats", "bmp.raw")
ROUTES = "bmpflow_prefix_health_routes"


def watermarks(brokers, topic, partitions=PARTITIONS):
    """[(low, high)] of topic's partitions, by kcat -Q."""
    out = []
    for p in range(partitions):
        q = subprocess.run(
            ["kcat", "-Q", "-b", brokers, "-t", "%s:%d:-2" % (topic, p),
             "-t", "%s:%d:-1" % (topic, p)], capture_output=True,
            text=True, timeout=harness.slow(60))
        offs = [int(n) for n in re.findall(r"\] offset (-?\d+)", q.stdout)]
        if len(offs) != 2:
            raise RuntimeError("kcat -Q %s [%d]: %s" % (topic, p, q.stderr))
        out.append(tuple(offs))
    return out


def third_peer_up(gen, tmp):
    """The Peer Up of a third peer (none of the feed's two), as bytes."""
    path = os.path.join(tmp, "third.bmp")
    harness.gen_fulltable(gen, path, "--peers", 3, "--ipv4", 1, "--ipv6", 0,
                          "--seed", SEED)
    data, off, ups = open(path, "rb").read(), 0, []
    while off + 6 <= len(data):
        _, length, mtype = struct.unpack(">BIB", data[off:off + 6])
        if mtype == 3:
            ups.append(data[off:off + length])
        off += length
    return ups[2]


def set_retention(cluster, topic, ms):
    """retention.ms of topic, by kafka-configs (one JVM)."""
    p = subprocess.run(cluster.node(1).java(
        "org.apache.kafka.tools.ConfigCommand", "--bootstrap-server",
        cluster.brokers, "--alter", "--entity-type", "topics",
        "--entity-name", topic, "--add-config", "retention.ms=%d" % ms),
        capture_output=True, text=True, timeout=harness.slow(120))
    if p.returncode != 0:
        raise RuntimeError("kafka-configs: %s" % (p.stdout + p.stderr))


def disk_bytes(cluster, topic):
    """Bytes of topic's partition directories on the brokers' disks."""
    total = 0
    for n in cluster.nodes:
        for d in os.listdir(n.data):
            if re.fullmatch(re.escape(topic) + r"-\d+", d):
                for f in os.listdir(os.path.join(n.data, d)):
                    total += os.path.getsize(os.path.join(n.data, d, f))
    return total


def live_keys_rows(brokers, topic):
    """[(value size or -1, key)] of topic from its start to its end."""
    p = subprocess.run(["kcat", "-C", "-b", brokers, "-t", topic, "-o",
                        "beginning", "-e", "-q", "-f", "%S %k\n"],
                       capture_output=True, timeout=harness.slow(300))
    return [tuple(line.split(b" ", 1)) for line in p.stdout.split(b"\n")
            if line]


def live_keys(brokers, topic):
    """(keys whose latest record holds a value, records read) of topic,
    read from its start to its end."""
    latest, n = {}, 0
    for size, key in live_keys_rows(brokers, topic):
        latest[key] = size != b"-1"
        n += 1
    return sum(latest.values()), n


def settled(proc, what, timeout):
    """Until proc has read everything (lag 0) and its route gauge stays
    the same over 2 ticks; that count."""
    last = None
    deadline = time.time() + timeout
    while time.time() < deadline:
        harness.wait_ticks([proc], 2, timeout=harness.slow(60))
        m = proc.metrics()
        now = m.get(ROUTES)
        if m.get("bmpflow_processor_lag_records") == 0 and \
                m.get("bmpflow_processor_records_held") == 0 and \
                now is not None and now == last:
            return int(now)
        last = now
    raise RuntimeError("%s not settled in %d s: %s" % (
        what, timeout, harness.tail(proc.log_path, 5)))


def fed(col, size, timeout):
    """Until the collector read size bytes and Kafka acknowledged every
    record it produced; its metrics."""
    def done():
        m = col.metrics()
        return m["bmpflow_bytes_total"] >= size and \
            m["bmpflow_producer_queue_messages"] == 0 and \
            m["bmpflow_route_state_pending_tombstones"] == 0
    if not harness.wait_until(done, timeout, 0.2):
        raise RuntimeError("feed not delivered in %d s" % timeout)
    return col.metrics()


def main():
    args = harness.test_args("--processor", "--gen")
    t0 = time.time()
    # Every wait together (about 150 s on an idle release build).
    ck = harness.Checks(budget=harness.slow(600))
    tmp = tempfile.mkdtemp(prefix="bmpflow-retention-")
    cluster = col = router = None
    procs = []
    feed = os.path.join(tmp, "feed.bmp")
    try:
        gen = harness.gen_fulltable(
            args.gen, feed, "--peers", PEERS, "--ipv4", IPV4, "--ipv6", IPV6,
            "--withdraw-pct", WITHDRAW_PCT, "--seed", SEED,
            timeout=harness.slow(120))
        data = harness.cut_before_peer_down(open(feed, "rb").read())
        cluster = kafka_cluster.KafkaCluster(
            nodes=1, partitions=PARTITIONS, replication=1, min_insync=1,
            extra_props={"log.retention.check.interval.ms": 500,
                         "log.cleaner.backoff.ms": 500,
                         "log.segment.delete.delay.ms": 0})
        compacted = {"cleanup.policy": "compact",
                     "segment.bytes": SEGMENT_BYTES, "segment.ms": SEGMENT_MS,
                     "min.cleanable.dirty.ratio": 0.01,
                     "delete.retention.ms": DELETE_RETENTION_MS}
        cluster.create_topics(TOPICS)
        cluster.create_topics(["bmp.route"], configs={
            "segment.bytes": SEGMENT_BYTES, "segment.ms": 1000})
        cluster.create_topics(["bmp.route.state"], configs=compacted)
        # One partition: the record that rolls its segment lands there.
        cluster.create_topics(["bmp.peer"], partitions=1, configs=compacted)
        harness.note("Kafka %s serving in %.1f s; %d announced, %d "
                     "withdrawn in the feed" % (
                         kafka_cluster.version(), cluster.start_seconds,
                         gen["announced"], gen["withdrawn"]))
        col = harness.Collector(args.collector, args.schemas,
                                extra=["--brokers", cluster.brokers])

        def processor(name):
            p = harness.Processor(args.processor, col, args.schemas,
                                  "prefix_health", tick_ms=500, name=name,
                                  group="retention-" + name,
                                  settings={"views": "all"})
            procs.append(p)
            p.wait_assigned(ck.left(harness.slow(60)))
            return p

        u = processor("U")
        router = harness.open_router(col.port, data, "127.0.0.1")
        m = fed(col, len(data), ck.left(harness.slow(300)))
        held = m["bmpflow_route_state_routes"]
        u_routes = settled(u, "U", ck.left(harness.slow(300)))
        harness.note("feed: %.1f MB; U holds %d routes, the collector %d" %
                     (len(data) / 1e6, u_routes, held))

        # Retention at work: most of bmp.route is gone.
        set_retention(cluster, "bmp.route", RETENTION_MS)
        # A third peer's session comes up three times (epochs under one
        # key), each write more than segment.ms after the last, so each
        # rolls bmp.peer's segment: the first two are then in segments
        # the cleaner compacts.  Every key keeps its latest record: the
        # older epochs' go, the feed's Peer Ups and End-of-RIBs (keys of
        # their own) stay.
        peer_records = watermarks(cluster.brokers, "bmp.peer", 1)[0][1]
        up = third_peer_up(args.gen, tmp)
        for _ in range(3):
            router.sendall(up)
            time.sleep(SEGMENT_MS * 1.5 / 1000)
        written = harness.wait_until(
            lambda: watermarks(cluster.brokers, "bmp.peer", 1)[0][1]
            >= peer_records + 3, ck.left(harness.slow(60)), 0.5) and \
            watermarks(cluster.brokers, "bmp.peer", 1)[0][1]

        def peer_compacted():
            return len(live_keys_rows(cluster.brokers, "bmp.peer")) < \
                written
        ck.check(harness.wait_until(peer_compacted,
                                    ck.left(harness.slow(120)), 0.5),
                 "bmp.peer compacted")
        peer_left = len(live_keys_rows(cluster.brokers, "bmp.peer"))

        def deleted():
            w = watermarks(cluster.brokers, "bmp.route")
            return sum(lo for lo, _ in w) >= 0.9 * sum(hi for _, hi in w)
        ck.check(harness.wait_until(deleted, ck.left(harness.slow(120)),
                                    0.5),
                 "retention deleted 90% of bmp.route's records")
        w = watermarks(cluster.brokers, "bmp.route")
        left = sum(hi - lo for lo, hi in w)

        f = processor("F")
        f_routes = settled(f, "F", ck.left(harness.slow(300)))
        mf = f.metrics()
        waited = mf.get("bmpflow_processor_peer_up_timeouts_total", 0)
        harness.note("bmp.peer: %d records left of %d; F waited in vain "
                     "for %d Peer Ups" % (
                         peer_left, watermarks(cluster.brokers, "bmp.peer",
                                               1)[0][1], waited))
        ck.check(waited == 0, "compacted bmp.peer kept every live "
                 "session's Peer Up: F waited for none (%d)" % waited)
        harness.note("F: %d routes; %d from %d records of bmp.route.state "
                     "in %.2f s; bmp.route kept %d of %d records" % (
                         f_routes,
                         mf.get("bmpflow_processor_bootstrap_routes_total", 0),
                         mf.get("bmpflow_processor_bootstrap_records_total", 0),
                         mf.get("bmpflow_processor_bootstrap_seconds_total", 0),
                         left, sum(hi for _, hi in w)))
        ck.check(u_routes == held and u_routes >= 1000000,
                 "U holds the collector's %d routes (%d), at least 1M" %
                 (held, u_routes))
        ck.check(f_routes == u_routes,
                 "F, started after retention, holds U's %d routes (%d)" %
                 (u_routes, f_routes))

        held_disk = disk_bytes(cluster, "bmp.route.state")
        harness.note("bmp.route.state: %.1f MB on disk for %d routes held "
                     "(%.0f bytes a route)" % (held_disk / 1e6, held,
                                               held_disk / max(held, 1)))

        # The session ends: its routes leave the state topic.
        tomb0 = col.metrics()["bmpflow_route_state_tombstones_total"]
        router.close()
        router = None
        harness.wait_until(lambda: col.metrics()["bmpflow_sessions"] == 0,
                           ck.left(harness.slow(60)), 0.2)
        m = fed(col, len(data), ck.left(harness.slow(120)))
        tombs = m["bmpflow_route_state_tombstones_total"] - tomb0
        ck.check(tombs == held and m["bmpflow_route_state_routes"] == 0,
                 "session end: %d tombstones for the %d routes held" %
                 (tombs, held))
        ck.check(settled(u, "U", ck.left(harness.slow(120))) == 0,
                 "U holds no route after the session ended")
        f2 = processor("F2")
        ck.check(settled(f2, "F2", ck.left(harness.slow(120))) == 0,
                 "a fresh processor holds none of its routes")
        size = disk_bytes(cluster, "bmp.route.state")
        # Compaction: the latest record of every key is a tombstone.
        live, n = live_keys(cluster.brokers, "bmp.route.state")
        ck.check(live == 0, "bmp.route.state: %d keys with a value, of "
                 "%d records read" % (live, n))
        harness.note("bmp.route.state: %.1f MB on disk after the "
                     "session's end (%d records left of its routes and "
                     "tombstones)" % (size / 1e6, n))
    except Exception as e:  # noqa: BLE001 - reported, then cleaned up
        ck.fail("%s: %s" % (type(e).__name__, e))
    finally:
        if router is not None:
            router.close()
        for p in procs:
            if p.stop() != 0:
                ck.fail("%s exit status %s: %s" % (
                    p.name, p.p.returncode, harness.tail(p.log_path, 6)))
        rc = col.stop() if col is not None else 0
        if col is not None:
            if ck.failures:
                print(harness.tail(col.log_path, 10))
            shutil.rmtree(col.dir, ignore_errors=True)
        if cluster is not None:
            cluster.stop(keep=args.keep)
        shutil.rmtree(tmp, ignore_errors=True)
    if rc != 0:
        ck.fail("collector exit status %s" % rc)
    return ck.finish("state beyond retention: %.0f s" % (time.time() - t0))


if __name__ == "__main__":
    sys.exit(main())
