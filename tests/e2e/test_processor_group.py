#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Three bmpflow-processor instances in one consumer group on a real Apache
Kafka (the shared 1-node KRaft cluster, kafka_cluster.shared_cluster();
bmp.route in 8 partitions), one of them SIGKILLed in the middle of a
full-table feed and later started again, end with the same prefix_health
state as one uninterrupted instance.

bmpflow-gen-fulltable writes 2 peers' tables (IPV4 + IPV6 prefixes each,
WITHDRAW_PCT withdrawn after them); cut before its Peer Downs, it is sent
over one TCP session kept open (the peers stay up) in three parts:
  1. part 1; as soon as member B has read some of it, B gets SIGKILL
     (processed, uncommitted records and unacknowledged outputs die with
     it);
  2. part 2 while A and C take over B's partitions (rebuilding them from
     their start, outputs below the group's committed offsets
     suppressed);
  3. B is started again and added back (the group rebalances again:
     partitions move, the new holders rebuild them); part 3.
Instance REF reads the same topics alone in its own group, into its own
output topic.  Checks, once every instance has read everything:
  - no output lost: every prefix REF reported, the group reported, and
    no other;
  - the latest record per prefix of the group's output topic (whoever
    wrote it) equals REF's, figure by figure (time-dependent ones aside;
    "recovered" counts as "healthy": it is how a prefix healthy again is
    reported, and whether one instance evaluated a short-lived
    intermediate state depends on when its ticks fell, README "Prefix
    health");
  - B rebuilt state after its restart (from bmp.route.state, or by
    replaying bmp.route), no output failed.
Figures printed: rebalance times (kill to the survivors holding every
partition; restart to B holding its share) and each member's rebalance
count."""

import os
import shutil
import signal
import struct
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import kafka_cluster  # noqa: E402
from test_processor_restart import COMPARED, last_per_prefix  # noqa: E402

IPV4, IPV6, PEERS, WITHDRAW_PCT, SEED = 100000, 20000, 2, 2, 7
PARTITIONS = 8          # of bmp.route, as the collector makes it
GROUP, GROUP_TOPIC = "grp", "ph.group"
REF_GROUP, REF_TOPIC = "ref", "ph.ref"
# Summaries every second: a prefix whose figures change but not its state
# gets no "change" record, so without them its latest record would hold
# the figures of its latest state change, which depend on where ticks fell
# in the feed.  Every view, as test_processor_restart.
PH_SETTINGS = {"summary_interval_s": 1, "warmup_quiet_s": 1,
               "views": "all"}
TICK_MS = 200
# A killed member is noticed in seconds, not Kafka's 45.
GROUP_FLAGS = ["--kafka.session.timeout.ms", "6000",
               "--kafka.heartbeat.interval.ms", "500"]
BUDGET = harness.slow(400)      # every wait together

M_PARTS = "bmpflow_processor_partitions_assigned"
M_LAG = "bmpflow_processor_lag_records"
M_IN = "bmpflow_processor_records_in_total"
M_TICKS = "bmpflow_processor_ticks_total"
M_REBAL = "bmpflow_processor_rebalances_total"
M_REPLAYED = "bmpflow_processor_records_replayed_total"
M_STATE = "bmpflow_processor_bootstrap_routes_total"
M_FAILED = "bmpflow_processor_output_failures_total"


def split_messages(data, fractions):
    """data (a BMP stream) cut at the first message boundaries at or past
    each fraction of its length: the parts, in order."""
    cuts, off = [], 0
    want = [int(len(data) * f) for f in fractions]
    while off < len(data) and want:
        if off >= want[0]:
            cuts.append(off)
            want.pop(0)
            continue
        (length,) = struct.unpack(">I", data[off + 1:off + 5])
        off += length
    bounds = [0] + cuts + [len(data)]
    return [data[a:b] for a, b in zip(bounds, bounds[1:])]


def feed_parts(args, tmp, fractions, ipv4, ipv6, seed):
    """bmpflow-gen-fulltable's tables of PEERS peers (WITHDRAW_PCT
    withdrawn), cut before their Peer Downs and split at fractions:
    (the generator's counts, the parts)."""
    feed = os.path.join(tmp, "feed.bmp")
    gen = harness.gen_fulltable(
        args.gen, feed, "--peers", PEERS, "--ipv4", ipv4, "--ipv6", ipv6,
        "--withdraw-pct", WITHDRAW_PCT, "--seed", seed)
    with open(feed, "rb") as f:
        return gen, split_messages(harness.cut_before_peer_down(f.read()),
                                   fractions)


def start(args, col, group, topic, name):
    return harness.Processor(args.processor, col, args.schemas,
                             "prefix_health", PH_SETTINGS, TICK_MS,
                             ["--output-topic", topic] + GROUP_FLAGS,
                             name=name, group=group)


def held(procs):
    """Partitions of bmp.route the processes of procs hold together."""
    return sum(p.metrics().get(M_PARTS, 0) for p in procs)


def wait(ck, what, cond, timeout=120):
    """Seconds until cond() returns True, within the budget; raises naming
    what and cond's last answer (say, why not)."""
    t0, last = time.time(), [None]

    def probe():
        last[0] = cond()
        return last[0] is True
    if not harness.wait_until(probe, ck.left(harness.slow(timeout)), 0.1):
        raise RuntimeError("%s: not within %ds (%s)" % (
            what, time.time() - t0, last[0]))
    return time.time() - t0


def caught_up(col, procs, ticks_from):
    """The collector has nothing queued, every process of procs has read
    everything (lag 0) and ticked 15 times since ticks_from (name ->
    ticks) was taken, and each group's members hold all of bmp.route."""
    if col.metrics()["bmpflow_producer_queue_messages"] != 0:
        return False
    by_group = {}
    for p in procs:
        m = p.metrics()
        if not m or m[M_LAG] != 0 or \
                m[M_TICKS] < ticks_from.get(p.name, 0) + 15:
            return False
        by_group[p.group] = by_group.get(p.group, 0) + m[M_PARTS]
    return all(n == PARTITIONS for n in by_group.values())


def wait_caught_up(ck, col, procs, what):
    """caught_up() holding; the ticks are counted from the moment the
    collector delivered everything and the lags were 0 (so 15 ticks
    evaluate what was read last)."""
    start_ticks = {}

    def cond():
        if not caught_up(col, procs, {p.name: -10 ** 9 for p in procs}):
            start_ticks.clear()
            return False
        if not start_ticks:
            start_ticks.update({p.name: p.metrics()[M_TICKS]
                                for p in procs})
        return caught_up(col, procs, start_ticks)
    return wait(ck, what, cond, timeout=180)


def normalized(rec):
    r = {k: rec[k] for k in COMPARED}
    if r["state"] == "recovered":
        r["state"] = "healthy"
    return r


def failed(ck, e, procs):
    """A test's error: a failure, and the tails of the processes' logs."""
    ck.fail("error: %s" % e)
    for p in procs:
        if p is not None:
            print("--- %s:\n%s" % (p.log_path, harness.tail(p.log_path)))


def finish(ck, args, procs, session, col, tmp, summary):
    """Stop the Processors of procs (an exit status other than 0 fails),
    close the router session, stop the collector and finish the checks,
    remove the dirs unless kept or failed: the exit status."""
    for p in procs:
        if p is not None and p.p.poll() is None and p.stop() != 0:
            ck.fail("%s exit status %s: %s" % (
                p.name, p.p.returncode, harness.tail(p.log_path, 6)))
    if session is not None:
        session.close()
    rc = ck.finish(col=col, summary=summary)
    harness.remove_dirs(tmp, col, keep=args.keep or rc != 0)
    return rc


def main():
    args = harness.test_args("--processor", "--gen")
    ck = harness.Checks(budget=BUDGET)
    t_start = time.time()
    schemas = harness.Schemas(args.schemas)
    tmp = tempfile.mkdtemp(prefix="bmpflow-group-")
    col = None
    procs, session = {}, None
    try:
        gen, parts = feed_parts(args, tmp, (0.3, 0.6), IPV4, IPV6, SEED)
        cluster = kafka_cluster.shared_cluster()
        cluster.create_topics([GROUP_TOPIC, REF_TOPIC])
        col = harness.Collector(args.collector, args.schemas, extra=[
            "--brokers", cluster.brokers,
            "--topic.route.partitions", str(PARTITIONS)])
        procs["REF"] = start(args, col, REF_GROUP, REF_TOPIC, "REF")
        for n in "ABC":
            procs[n] = start(args, col, GROUP, GROUP_TOPIC, n)
        members = [procs[n] for n in "ABC"]
        t = wait(ck, "group formed", lambda: held(members) == PARTITIONS
                 and all(p.metrics().get(M_PARTS, 0) > 0 for p in members))
        harness.note("feed: %s; Kafka %s; group of 3 formed in %.1fs: "
                     "partitions %s" % (
                         gen, kafka_cluster.version(), t,
                         [p.metrics()[M_PARTS] for p in members]))

        # 1. Part 1; B killed once it has read some of it.
        session = harness.open_router(col.port, parts[0], "127.0.0.31")
        b = procs["B"]
        wait(ck, "B reads", lambda: b.metrics().get(M_IN, 0) > 0)
        mb = b.metrics()
        t_kill = time.time()
        b.stop(signal.SIGKILL)
        survivors = [procs["A"], procs["C"]]
        t_takeover = wait(ck, "A and C hold every partition",
                          lambda: held(survivors) == PARTITIONS)
        harness.note("B killed after reading %d records (lag %d); A and C "
                     "hold all %d partitions %.1fs after the kill" % (
                         mb[M_IN], mb[M_LAG], PARTITIONS, t_takeover))

        # 2. Part 2 without B.
        session.sendall(parts[1])
        wait_caught_up(ck, col, survivors + [procs["REF"]], "part 2")

        # 3. B added back; part 3.
        t_restart = time.time()
        b = procs["B"] = start(args, col, GROUP, GROUP_TOPIC, "B")
        members = [procs[n] for n in "ABC"]
        t_rejoin = wait(ck, "B back in the group", lambda: held(members)
                        == PARTITIONS and b.metrics().get(M_PARTS, 0) > 0)
        harness.note("B restarted: holds %d partitions %.1fs after its "
                     "start (%.1fs after the kill)" % (
                         b.metrics()[M_PARTS], t_rejoin,
                         time.time() - t_kill))
        session.sendall(parts[2])
        t_all = wait_caught_up(ck, col, list(procs.values()), "part 3")
        delivered = harness.delivered(col, "route")
        ms = {n: p.metrics() for n, p in procs.items()}
        harness.note("all %d bmp.route records read %.1fs after part 3 "
                     "was sent; rebalances: %s; replayed: %s" % (
                         delivered, t_all, ", ".join(
                             "%s %d" % (n, ms[n][M_REBAL]) for n in "ABC"),
                         ", ".join("%s %d" % (n, ms[n][M_REPLAYED])
                                   for n in "ABC")))

        ref_recs = harness.consume(col.brokers, REF_TOPIC, schemas)
        ref = last_per_prefix(ref_recs)
        grp_recs = harness.consume(col.brokers, GROUP_TOPIC, schemas)
        grp = last_per_prefix(grp_recs)
        states = {}
        for r in ref.values():
            states[r["state"]] = states.get(r["state"], 0) + 1
        harness.note("REF: %d prefixes, final states %s; group: %d "
                     "prefixes in %d records" % (
                         len(ref), states, len(grp), len(grp_recs)))
        want = gen["announced"] // PEERS
        ck.check(len(ref) == want, "REF reports %d prefixes, the feed "
                 "announced %d" % (len(ref), want))
        lost, extra = set(ref) - set(grp), set(grp) - set(ref)
        ck.check(not lost and not extra, "no output lost: the group "
                 "reported every prefix REF did (%d missing, %d extra: "
                 "%s %s)" % (len(lost), len(extra), sorted(lost)[:3],
                             sorted(extra)[:3]))
        diff = [p for p in set(ref) & set(grp)
                if normalized(ref[p]) != normalized(grp[p])]
        for p in sorted(diff)[:3] + sorted(lost | extra)[:2]:
            for name, recs in (("REF", ref_recs), ("group", grp_recs)):
                print("  %s history in %s:\n%s" % (p, name, "\n".join(
                    "    %s %s<-%s %s" % (r["kind"], r["state"],
                                         r["previous_state"],
                                         normalized(r))
                    for _, _, r in recs if r["prefix"] == p)))
        ck.check(not diff, "the group's latest record per prefix equals "
                 "REF's (%d of %d differ)" % (len(diff), len(ref)))
        ck.check(len(states) > 1, "the feed ends in more than one state "
                 "(%s)" % states)
        ck.check(ms["B"][M_REPLAYED] + ms["B"].get(M_STATE, 0) > 0,
                 "B rebuilt state after its restart (%d routes from "
                 "bmp.route.state, %d records replayed)" % (
                     ms["B"].get(M_STATE, 0), ms["B"][M_REPLAYED]))
        ck.check(all(ms[n][M_FAILED] == 0 for n in ms),
                 "no output failed")
    except Exception as e:  # noqa: BLE001 - reported, then cleaned up
        failed(ck, e, procs.values())
    finally:
        rc = finish(ck, args, procs.values(), session, col, tmp,
                    "processor group on real Kafka (%.1fs)" % (
                        time.time() - t_start))
    return rc


if __name__ == "__main__":
    sys.exit(main())
