#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A real Kafka broker stopped gracefully and started again on its data:
the processor's consumer group keeps its committed offsets, and the
processor resumes where it was, nothing re-read, nothing lost.

The shared 1-node KRaft cluster (kafka_cluster.shared_cluster()); a
collector on it; one prefix_health instance P in group G.  A full table
(2 peers, 2% withdrawn), cut before its Peer Downs, is sent over
one session held open, in two parts:
  1. part 1; P reads it all and commits every offset (its
     bmpflow_processor_committed_records equals the bmp.route records the
     collector delivered: P holds every partition);
  2. the broker stops (SIGTERM: controlled shutdown, exits by itself) and,
     once P has ticked 10 times without it, starts again on the same log
     dir and ports;
  3. the group's offsets, as the restarted broker reports them
     (kafka-consumer-groups --describe), are exactly those P committed
     before the stop;
  4. part 2: P reads on from there: its records in equal the records
     delivered (nothing read twice), it replays nothing and logs no
     "rebuilding state", and commits every offset again;
  5. nothing lost: every output P counted is in its topic, and the latest
     record per prefix equals that of a reference instance (own group)
     started at the end, which reads both parts from the start."""

import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import kafka_cluster  # noqa: E402
import test_processor_group as grp  # noqa: E402  (processes and waits)
from test_processor_restart import last_per_prefix  # noqa: E402

IPV4, IPV6, SEED = 30000, 5000, 11
GROUP, OUT_TOPIC = "G", "ph.brokerrestart"
REF_GROUP, REF_TOPIC = "ref", "ph.brokerrestart.ref"
BUDGET = harness.slow(300)      # every wait together
M_COMMITTED = "bmpflow_processor_committed_records"
M_OUT = "bmpflow_processor_records_out_total"
REBUILDING = "rebuilding state from its start"
# What the collector made (bmp.raw is off).
COLLECTOR_TOPICS = ("bmp.router", "bmp.peer", "bmp.route", "bmp.route.state",
                    "bmp.stats")


def settled(col, p, partitions):
    """True once P holds every partition, has read every record the
    collector delivered (bmp.route, and bmp.peer, which P reads outside G:
    records in counts both) and committed every offset; else what is
    not."""
    d = harness.delivered(col, "route")
    d_all = d + harness.delivered(col, "peer")
    m = p.metrics()
    state = (col.metrics()["bmpflow_producer_queue_messages"],
             m.get(grp.M_PARTS), m.get(grp.M_LAG), m.get(M_COMMITTED),
             m.get(grp.M_IN))
    return True if state == (0, partitions, 0, d, d_all) else \
        "queued, partitions, lag, committed, records in: %s; delivered " \
        "%d, with bmp.peer %d" % (state, d, d_all)


def main():
    args = harness.test_args("--processor", "--gen")
    ck = harness.Checks(budget=BUDGET)
    t_start = time.time()
    schemas = harness.Schemas(args.schemas)
    tmp = tempfile.mkdtemp(prefix="bmpflow-brestart-")
    col = p = ref = session = None
    try:
        gen, parts = grp.feed_parts(args, tmp, (0.5,), IPV4, IPV6, SEED)
        cluster = kafka_cluster.shared_cluster()
        node = cluster.node(1)
        cluster.create_topics([OUT_TOPIC, REF_TOPIC])
        col = harness.Collector(args.collector, args.schemas, extra=[
            "--brokers", cluster.brokers,
            "--topic.route.partitions", str(grp.PARTITIONS)])
        p = grp.start(args, col, GROUP, OUT_TOPIC, "P")

        # 1. Part 1 read and committed.
        session = harness.open_router(col.port, parts[0], "127.0.0.41")
        grp.wait(ck, "part 1 read and committed",
                 lambda: settled(col, p, grp.PARTITIONS))
        m1 = p.metrics()
        d1 = harness.delivered(col, "route")
        harness.note("part 1: %d bmp.route records, P committed %d; %d "
                     "bmp.peer records, P read %d records" % (
                         d1, m1[M_COMMITTED], harness.delivered(col, "peer"),
                         m1[grp.M_IN]))

        # 2. The broker stopped and started on its data.
        t_stop = time.time()
        ck.check(node.stop(graceful=True), "the broker stopped by itself "
                 "on SIGTERM (%.1fs)" % (time.time() - t_stop))
        grp.wait(ck, "P ticks without the broker",
                 lambda: p.metrics().get(grp.M_TICKS, 0) >=
                 m1[grp.M_TICKS] + 10)
        ck.check(p.p.poll() is None, "P runs on while the broker is down")
        down = time.time() - t_stop
        node.start()
        cluster.wait_ready()
        cluster.wait_led(COLLECTOR_TOPICS + (OUT_TOPIC,))
        harness.note("broker down %.1fs, serving again %.1fs after its "
                     "start" % (down, time.time() - t_stop - down))

        # 3. The group's offsets survived the restart.
        offsets = cluster.group_offsets(GROUP)
        route_offsets = {k: v for k, v in offsets.items()
                         if k[0] == "bmp.route"}
        ck.check(sum(route_offsets.values()) == d1 and
                 len(route_offsets) == grp.PARTITIONS,
                 "the restarted broker holds G's committed offsets: %d "
                 "records over %d partitions, P had committed %d" % (
                     sum(route_offsets.values()), len(route_offsets), d1))

        # 4. Part 2: P reads on from where it was.
        t2 = time.time()
        session.sendall(parts[1])
        grp.wait(ck, "part 2 read and committed",
                 lambda: settled(col, p, grp.PARTITIONS), timeout=180)
        m2 = p.metrics()
        d2 = harness.delivered(col, "route")
        # Records in counts bmp.peer's too, which P reads outside G.
        d2_all = d2 + harness.delivered(col, "peer")
        with open(p.log_path) as f:
            rebuilt = f.read().count(REBUILDING)
        harness.note("part 2: %d more records read and committed %.1fs "
                     "after it was sent; P: %d in, %d replayed, %d "
                     "rebalances, committed %d" % (
                         d2 - d1, time.time() - t2, m2[grp.M_IN],
                         m2[grp.M_REPLAYED], m2[grp.M_REBAL],
                         m2[M_COMMITTED]))
        ck.check(m2[grp.M_IN] == d2_all and m2[grp.M_REPLAYED] == 0 and
                 rebuilt == 0, "P resumed where it was: %d records in of "
                 "%d delivered (bmp.route and bmp.peer), %d replayed, "
                 "'%s' logged %d times" % (
                     m2[grp.M_IN], d2_all, m2[grp.M_REPLAYED], REBUILDING,
                     rebuilt))

        # 5. Nothing lost.
        wait_outputs = harness.wait_until(lambda: len(harness.consume(
            col.brokers, OUT_TOPIC, schemas)) == p.metrics()[M_OUT],
            ck.left(harness.slow(60)), 0.5)
        recs = harness.consume(col.brokers, OUT_TOPIC, schemas)
        ck.check(wait_outputs and m2[grp.M_FAILED] == 0,
                 "every output P counted is in %s (%d of %d), none "
                 "failed" % (OUT_TOPIC, len(recs), p.metrics()[M_OUT]))
        ref = grp.start(args, col, REF_GROUP, REF_TOPIC, "REF")
        grp.wait_caught_up(ck, col, [p, ref], "reference")
        got = last_per_prefix(harness.consume(col.brokers, OUT_TOPIC,
                                              schemas))
        want = last_per_prefix(harness.consume(col.brokers, REF_TOPIC,
                                               schemas))
        diff = [x for x in set(want) & set(got)
                if grp.normalized(want[x]) != grp.normalized(got[x])]
        ck.check(len(want) == gen["announced"] // grp.PEERS and
                 set(got) == set(want) and not diff,
                 "P's latest record per prefix equals the reference's: "
                 "%d prefixes, %d missing, %d extra, %d differ" % (
                     len(want), len(set(want) - set(got)),
                     len(set(got) - set(want)), len(diff)))
    except Exception as e:  # noqa: BLE001 - reported, then cleaned up
        grp.failed(ck, e, (p, ref))
    finally:
        rc = grp.finish(ck, args, (p, ref), session, col, tmp,
                        "broker restart on real Kafka (%.1fs)" % (
                            time.time() - t_start))
    return rc


if __name__ == "__main__":
    sys.exit(main())
