#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The leader of bmp.route's partitions SIGKILLed in a full-table feed, on a
real 3-node Apache Kafka (KRaft, tests/e2e/kafka_cluster.py).

Topics have replication factor 3 and min.insync.replicas 2; the
collector's idempotent producer waits for acks=all.  bmpflow-gen-fulltable
writes FEED_PREFIXES prefixes (one peer, 2% withdrawn), replayed over one
TCP session.  Once DOWN_AT of it is sent, the node leading most bmp.route
partitions gets SIGKILL; once the others lead every partition, it stays
down DOWN_SECONDS more, then restarts on its data.  Checks:
  - bmp.route, read from the beginning once everything is acknowledged,
    holds exactly the decoder's route tuples: 0 lost, 0 duplicated (Kafka
    drops the idempotent producer's re-sends; no mock quirk excused);
  - the collector counts no failed record and produced == delivered;
  - the restarted node rejoins every partition's in-sync replicas.
Figures printed: lost, duplicated, failover (kill to new leaders), the
longest stall of acknowledged records, time until the ISR is whole."""

import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import kafka_cluster  # noqa: E402
import test_outage as outage  # noqa: E402  (its feed and decode helpers)

IPV4, IPV6, WITHDRAW_PCT, SEED = 800000, 200000, 2, 13
DOWN_AT = 0.3
DOWN_SECONDS = 10
NODES, PARTITIONS, MIN_INSYNC = 3, 16, 2
TOPICS = outage.TOPICS


class DeliverySampler(threading.Thread):
    """(time, bmp.route records delivered) every 0.1 s, for the longest
    stall of acknowledgements."""

    def __init__(self, col):
        super().__init__(daemon=True)
        self.col, self.samples = col, []
        self.stopped = threading.Event()

    def run(self):
        while not self.stopped.wait(0.1):
            try:
                m = self.col.metrics()
            except OSError:
                continue
            self.samples.append((time.time(), outage.records(
                m, "bmp.route", "delivered")))

    def longest_stall(self, since, until):
        """Longest time in [since, until] in which delivered did not
        grow."""
        worst, start, last = 0.0, since, None
        for t, n in self.samples:
            if t < since or t > until:
                continue
            if last is not None and n > last:
                start = t
            worst = max(worst, t - start)
            last = n
        return worst


def main():
    args = harness.test_args("--gen")
    t0 = time.time()
    # Every wait together (130 s on a busy release build).
    ck = harness.Checks(budget=harness.slow(450))
    tmp = tempfile.mkdtemp(prefix="bmpflow-failover-")
    cluster = col = sampler = None
    feed = os.path.join(tmp, "feed.bmp")
    try:
        harness.gen_fulltable(args.gen, feed, "--peers", 1, "--ipv4", IPV4,
                              "--ipv6", IPV6, "--withdraw-pct", WITHDRAW_PCT,
                              "--seed", SEED, timeout=harness.slow(120))
        n, _ = harness.decoder_summary(args.decode, feed)
        want_routes = n["prefixes announced"] + n["withdrawn"]
        data = open(feed, "rb").read()

        cluster = kafka_cluster.KafkaCluster(
            nodes=NODES, partitions=PARTITIONS, replication=NODES,
            min_insync=MIN_INSYNC)
        t_topics = time.time()
        cluster.create_topics(TOPICS)
        print("Kafka %s: %d nodes serving in %.1f s, %d topics (RF %d, "
              "min.insync.replicas %d, %d partitions) in %.1f s" % (
                  kafka_cluster.version(), NODES, cluster.start_seconds,
                  len(TOPICS), NODES, MIN_INSYNC, PARTITIONS,
                  time.time() - t_topics), flush=True)
        col = harness.Collector(args.collector, args.schemas,
                                extra=["--brokers", cluster.brokers])
        sampler = DeliverySampler(col)
        sampler.start()

        t_start = time.time()
        sender = outage.Sender(col.port, data)
        sender.start()
        kafka_cluster.wait_for(
            lambda: sender.sent >= DOWN_AT * len(data) or
            not sender.is_alive(), 300, "%d%% of the feed sent" %
            (DOWN_AT * 100), interval=0.01)
        victim = cluster.leaders("bmp.route")[0]
        led = sum(1 for _, leader, _, _ in
                  cluster.partition_state("bmp.route") if leader == victim)
        cluster.node(victim).kill()
        t_kill = time.time()
        cluster.wait_led(TOPICS, timeout=120)
        t_failover = time.time()
        print("node %d (leader of %d of %d bmp.route partitions) SIGKILLed "
              "after %.1f of %.1f MB sent; new leaders in %.1f s" % (
                  victim, led, PARTITIONS, sender.sent / 1e6,
                  len(data) / 1e6, t_failover - t_kill), flush=True)
        time.sleep(DOWN_SECONDS)    # the feed goes on with 2 replicas
        t_restart = time.time()
        cluster.node(victim).start()
        cluster.wait_ready()
        cluster.wait_led(TOPICS, timeout=300, full_isr=True)
        t_isr = time.time()
        print("node %d restarted on its data: in every ISR again %.1f s "
              "after its start (%.1f MB of the feed sent by then)" % (
                  victim, t_isr - t_restart, sender.sent / 1e6), flush=True)

        sender.join(timeout=harness.slow(300))
        if sender.is_alive() or sender.error:
            raise RuntimeError("replay did not finish: %s" % sender.error)
        m = col.wait_delivered(timeout=harness.slow(300))
        t_delivered = time.time()
        sampler.stopped.set()
        failed = sum(outage.records(m, t, "failed") for t in TOPICS)
        if failed:
            ck.fail("collector counts %d failed records" % failed)
        for t in TOPICS:
            if outage.records(m, t, "produced") != \
                    outage.records(m, t, "delivered"):
                ck.fail("%s: produced %d, delivered %d" % (
                    t, outage.records(m, t, "produced"),
                    outage.records(m, t, "delivered")))
        produced = outage.records(m, "bmp.route", "produced")

        # Everything is acknowledged by acks=all: one pass from the
        # beginning to the end of every partition reads it all.
        out_path = os.path.join(tmp, "route.kcat")
        with open(out_path, "wb") as out_f:
            subprocess.run(["kcat", "-C", "-b", cluster.brokers, "-t",
                            "bmp.route", "-o", "beginning", "-e", "-q",
                            "-f", outage.KCAT_FORMAT], stdout=out_f,
                           stderr=subprocess.DEVNULL,
                           timeout=harness.slow(300))
        recs = {}
        with open(out_path, "rb") as f:
            outage.scan_kcat(f.read(), 0, recs)
        items = sorted(recs.items(), key=lambda kv: kv[1])
        workers = max(1, min(4, os.cpu_count() or 1))
        step = (len(items) + workers * 8 - 1) // (workers * 8) or 1
        jobs = [(out_path, items[i:i + step])
                for i in range(0, len(items), step)]
        with multiprocessing.Pool(workers, outage._init_worker,
                                  (args.schemas,)) as pool:
            res = pool.map_async(outage._decode_range, jobs)
            exp = outage.expected_routes(args.decode, feed)
            got, other = [], 0
            for r, o in res.get(timeout=harness.slow(600)):
                got.extend(text for _, _, text, _ in r)
                other += o
        got_set, exp_set = set(got), set(exp)
        lost = len(exp_set - got_set)
        dups = len(got) - len(got_set)
        print("bmp.route: %d records read, %d distinct, checksum %016x; "
              "decoder: %d route tuples, checksum %016x" % (
                  len(got), len(got_set), outage.checksum(got_set),
                  want_routes, outage.checksum(exp)))
        print("figures: %d lost, %d duplicated; failover %.1f s, longest "
              "stall of acknowledged records %.1f s, whole ISR %.1f s after "
              "the restart; %d route records delivered in %.1f s" % (
                  lost, dups, t_failover - t_kill,
                  sampler.longest_stall(t_kill, t_delivered),
                  t_isr - t_restart, produced, t_delivered - t_start))
        if other:
            ck.fail("bmp.route holds %d records of other schemas" % other)
        if lost or got_set - exp_set:
            ck.fail("%d route tuples lost (e.g. %s), %d unexpected" % (
                lost, sorted(exp_set - got_set)[:3],
                len(got_set - exp_set)))
        if dups:
            ck.fail("%d duplicated route records" % dups)
        if produced != want_routes or len(got) != want_routes:
            ck.fail("produced %d, read %d route records, want %d" % (
                produced, len(got), want_routes))
    except Exception as e:  # noqa: BLE001 - reported as a failure
        ck.fail("%s: %s" % (type(e).__name__, e))
    finally:
        if sampler is not None:
            sampler.stopped.set()
        rc = col.stop() if col is not None else 0
        if col is not None:
            shutil.rmtree(col.dir, ignore_errors=True)
        if cluster is not None:
            cluster.stop(keep=args.keep)
        shutil.rmtree(tmp, ignore_errors=True)
    if rc != 0:
        ck.fail("collector exit status %s" % rc)
    return ck.finish("broker failover: %d nodes, leader SIGKILLed, %.0f s" %
                     (NODES, time.time() - t0))


if __name__ == "__main__":
    sys.exit(main())
