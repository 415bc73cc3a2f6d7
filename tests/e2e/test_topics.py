#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The collector's topics, made as configured (issue 14).

With BMPFLOW_TEST_KAFKA=real, on a 1-node Apache Kafka (KRaft,
tests/e2e/kafka_cluster.py) that auto-creates nothing:
  - a collector started with topic.* settings creates every topic
    (bmp.raw with raw = true) with its partitions, replication factor and
    configs, as the cluster's metadata and kafka-configs --describe show;
    bmp.route.state has bmp.route's partitions;
  - a second collector on topics made beforehand with other partitions
    and retention warns per setting (topic, wanted, found) and runs;
    the state topic it creates takes the existing bmp.route's partitions;
  - bmp.route and bmp.route.state existing with different partitions:
    refused at start, saying why;
  - a replication factor of 3 on one node: exit non-zero, naming the topic
    and the broker's reason, and no topic of that collector made;
  - create-topics = false: missing topics warned about, none created;
  - bmpflow-tail on a topic that does not exist says so, exits non-zero,
    and does not create it.
Without it, on librdkafka's mock (seconds): the option table (--print-config,
a state topic partitioned unlike bmp.route refused when parsed),
brokers that do not answer (no start), bmpflow-tail on a missing topic of
the embedded Kafka, and a collector on bmpflow-mock-kafka (no controller:
topics checked, not created)."""

import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import kafka_cluster  # noqa: E402

# Settings given on the command line, against the table's defaults.
GIVEN = ["--raw", "true", "--topic.stats.retention-ms", "3600000",
         "--topic.peer.min-insync-replicas", "1",
         "--topic.route.partitions", "12"]
# suffix: (partitions, {config: value}) expected with GIVEN.
WANT = {
    "router": (1, {"cleanup.policy": "compact", "retention.ms": "-1"}),
    "peer": (1, {"cleanup.policy": "compact", "min.insync.replicas": "1"}),
    "route": (12, {"cleanup.policy": "delete",
                   "retention.ms": "604800000"}),
    "route.state": (12, {"cleanup.policy": "compact"}),
    "stats": (6, {"cleanup.policy": "delete", "retention.ms": "3600000"}),
    "raw": (12, {"cleanup.policy": "delete", "retention.ms": "86400000"}),
}


def tail(args, brokers, topic):
    bmpflow_tail = os.path.join(os.path.dirname(args.collector),
                                "bmpflow-tail")
    t0 = time.time()
    p = subprocess.run([bmpflow_tail, "-b", brokers, "-t", topic,
                        "--schema-dir", args.schemas],
                       capture_output=True, text=True,
                       timeout=harness.slow(60))
    print("bmpflow-tail -t %s: exit %d in %.1f s: %s" % (
        topic, p.returncode, time.time() - t0, p.stderr.strip()))
    return p


def check_tail_missing(ck, args, brokers, topic_exists):
    p = tail(args, brokers, "bmp.foo")
    want = "bmpflow-tail: topic bmp.foo does not exist on %s" % brokers
    ck.check(p.returncode != 0 and want in p.stderr,
             "bmpflow-tail on a missing topic: '%s', exit non-zero" % want)
    ck.check(not topic_exists("bmp.foo"),
             "bmpflow-tail did not create bmp.foo")


def check_processor_output(ck, args, cluster, exists):
    """bmpflow-processor makes its output topic (bmp.route exists: the
    first collector made it with 12 partitions)."""
    binary = os.path.join(os.path.dirname(args.collector), "..",
                          "processors", "host", "bmpflow-processor")
    base = [binary, "--plugin", "prefix_health", "--brokers", cluster.brokers,
            "--schema-dir", args.schemas]
    for extra, topic, want in (
            ([], "bmp.prefix_health", 12),
            (["--output-topic", "o.health", "--output-partitions", "5"],
             "o.health", 5)):
        p = subprocess.Popen(base + extra, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
        try:
            made = harness.wait_until(lambda: exists(topic), harness.slow(60))
        finally:
            harness.stop_process(p)
        out = p.stdout.read()
        ck.check(made and partitions(cluster, topic) == want and
                 "topic %s created" % topic in out,
                 "bmpflow-processor %s: its output topic %s made with %d "
                 "partitions (%d)" % (" ".join(extra), topic, want,
                                      partitions(cluster, topic)))
    p = subprocess.run(base + ["--output-topic", "o.bad",
                               "--output-replication-factor", "3"],
                       capture_output=True, text=True,
                       timeout=harness.slow(90))
    last = (p.stderr.strip().splitlines() or [""])[-1]
    print("processor --output-replication-factor 3: exit %d: %s" % (
        p.returncode, last))
    ck.check(p.returncode == 1 and "output topic o.bad on" in p.stderr and
             "replication factor" in p.stderr and not exists("o.bad"),
             "bmpflow-processor --output-replication-factor 3 on 1 node: "
             "exit 1 naming the topic and the reason, nothing made")


def run_collector(args, extra, timeout=60):
    """A collector that should refuse to start: (exit status, output)."""
    p = subprocess.run([args.collector, "--listen", "127.0.0.1:0",
                        "--schema-dir", args.schemas] + extra,
                       capture_output=True, text=True,
                       timeout=harness.slow(timeout))
    last = (p.stderr.strip().splitlines() or [""])[-1]
    print("collector %s: exit %d: %s" % (" ".join(extra[-4:]),
                                         p.returncode, last))
    return p.returncode, p.stderr


def warned(log, topic, setting, found, wanted):
    return ("topic %s: %s is %s, configured %s" %
            (topic, setting, found, wanted)) in log


def stop(col, keep):
    """Stop a collector, remove its directory; True when it exited 0."""
    rc = col.stop()
    harness.remove_dirs(col.dir, None, keep)
    return rc == 0


def partitions(cluster, topic):
    return len(cluster.partition_state(topic))


def real(args, ck):
    cluster = kafka_cluster.KafkaCluster(nodes=1)
    print("Kafka %s: 1 node serving in %.1f s" % (kafka_cluster.version(),
                                                  cluster.start_seconds))
    b = ["--brokers", cluster.brokers]

    def exists(topic):
        return partitions(cluster, topic) > 0
    try:
        # 1. Every topic created as configured.
        t0 = time.time()
        col = harness.Collector(args.collector, args.schemas,
                                extra=b + GIVEN)
        print("collector ready in %.1f s" % (time.time() - t0))
        configs = cluster.topic_configs()
        for sfx, (parts, conf) in WANT.items():
            t = "bmp." + sfx
            state = cluster.partition_state(t)
            got = {k: configs.get(t, {}).get(k) for k in conf}
            print("%s: %d partitions, replicas %s, %s" % (
                t, len(state), sorted({len(r) for _, _, r, _ in state}),
                got))
            ck.check(len(state) == parts and got == conf and
                     all(len(r) == 1 for _, _, r, _ in state),
                     "%s created with %d partitions, 1 replica, %s" %
                     (t, parts, conf))
        ck.check(stop(col, args.keep), "collector 1 stopped cleanly")

        # 2. Existing topics unlike the configuration: warned, kept.
        cluster.create_topics(["m.route"], partitions=5,
                              configs={"retention.ms": "1000"})
        col = harness.Collector(args.collector, args.schemas,
                                extra=b + ["--topic-prefix", "m."])
        log = col.read_log()
        ck.check(warned(log, "m.route", "partitions", "5", "24"),
                 "existing m.route: partitions 5, configured 24, warned")
        ck.check(warned(log, "m.route", "retention.ms", "1000", "604800000"),
                 "existing m.route: retention.ms 1000 warned")
        ck.check(partitions(cluster, "m.route") == 5 and
                 partitions(cluster, "m.route.state") == 5,
                 "m.route kept at 5 partitions, m.route.state created "
                 "with 5 like it (%d)" % partitions(cluster,
                                                    "m.route.state"))
        ck.check(stop(col, args.keep), "collector 2 ran and stopped cleanly")

        # 3. A state topic partitioned unlike bmp.route: refused.
        cluster.create_topics(["p.route"], partitions=4)
        cluster.create_topics(["p.route.state"], partitions=6)
        rc, err = run_collector(args, b + ["--topic-prefix", "p."])
        ck.check(rc != 0 and "topics p.route.state (6 partitions) and "
                 "p.route (4 partitions) must have the same partitions"
                 in err, "differently partitioned p.route.state refused")

        # 4. Replication factor 3 on one node: refused, nothing made.
        rc, err = run_collector(args, b + [
            "--topic-prefix", "r.", "--topic.route.replication-factor", "3"])
        ck.check(rc != 0 and "cannot create topic r.route: " in err and
                 "replication factor" in err,
                 "replication factor 3 on 1 node: exit %d naming r.route "
                 "and the reason" % rc)
        made = [t for t in ("r.router", "r.route", "r.route.state")
                if exists(t)]
        ck.check(not made, "no r.* topic made (%s)" % made)

        # 5. create-topics = false: only checked.
        col = harness.Collector(args.collector, args.schemas, extra=b + [
            "--topic-prefix", "n.", "--create-topics", "false"])
        ck.check("topic n.route does not exist (create-topics = false)" in
                 col.read_log(), "create-topics = false: n.route missing, "
                 "warned")
        ck.check(not exists("n.route"), "create-topics = false: nothing "
                 "created")
        ck.check(stop(col, args.keep), "collector 3 stopped cleanly")

        check_tail_missing(ck, args, cluster.brokers, exists)
        check_processor_output(ck, args, cluster, exists)
    finally:
        cluster.stop()


def mock(args, ck):
    # Parse-time checks: no Kafka needed.
    p = subprocess.run([args.collector, "--print-config",
                        "--topic.route.partitions", "12"],
                       capture_output=True, text=True, timeout=30)
    lines = p.stdout.splitlines()
    ck.check("topic.route.partitions = 12" in lines and
             "topic.route.state.cleanup-policy = compact" in lines and
             "create-topics = true" in lines,
             "--print-config shows the topic settings")
    rc, err = run_collector(args, ["--topic.route.partitions", "12",
                                   "--topic.route.state.partitions", "8"])
    ck.check(rc == 2 and "route.state must be partitioned like route" in err,
             "route.state partitioned unlike route refused when parsed")

    # Brokers that do not answer: the topics cannot be made, so no start.
    dead = "127.0.0.1:%d" % harness.free_port()
    t0 = time.time()
    rc, err = run_collector(args, ["--brokers", dead])
    ck.check(rc == 1 and "cannot read the topics of %s" % dead in err,
             "brokers not answering: exit 1 after %.1f s, saying so" %
             (time.time() - t0))

    col = harness.Collector(args.collector, args.schemas)
    try:
        topics = {t["topic"] for t in json_metadata(col.brokers)}
        check_tail_missing(ck, args, col.brokers,
                           lambda t: t in {x["topic"] for x in
                                           json_metadata(col.brokers)})
        ck.check("bmp.route" in topics, "embedded Kafka has bmp.route")
    finally:
        ck.check(stop(col, args.keep), "embedded collector stopped cleanly")

    mk = harness.MockKafka(args.mock_kafka, ("bmp.router", "bmp.peer",
                                             "bmp.route", "bmp.stats"), 4)
    try:
        col = harness.Collector(args.collector, args.schemas,
                                extra=["--brokers", mk.brokers])
        log = col.read_log()
        ck.check(warned(log, "bmp.route", "partitions", "4", "24") and
                 "topic bmp.route.state does not exist (the brokers have no "
                 "controller" in log, "on the mock: partitions checked, the "
                 "missing state topic warned about, collector runs")
        ck.check(stop(col, args.keep), "collector on the mock stopped cleanly")
    finally:
        mk.stop()


def json_metadata(brokers):
    """The topics kcat -L lists (all of them: naming none creates none)."""
    p = subprocess.run(["kcat", "-L", "-J", "-b", brokers], text=True,
                       capture_output=True, timeout=harness.slow(30))
    return json.loads(p.stdout).get("topics", []) if p.returncode == 0 \
        else []


def main():
    args = harness.test_args("--mock-kafka")
    ck = harness.Checks(budget=harness.slow(600))
    if kafka_cluster.real_kafka():
        real(args, ck)
    else:
        mock(args, ck)
    return ck.finish("topics")


if __name__ == "__main__":
    sys.exit(main())
