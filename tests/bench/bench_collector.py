#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Collector benchmark (a program, not a test): replay one synthetic
full-table BMP feed over loopback TCP into bmpflow-collector (embedded
Kafka) and into pmacct's BMP daemon (pmbmpd, JSON log file), side by side,
and print for each: prefix records per second end to end (first byte sent
to last record acknowledged by Kafka / written to the log), CPU seconds and
peak RSS, then the ratio.  With --real-kafka, a third column in the same
rounds: the collector producing to a real Apache Kafka broker (one KRaft
node on loopback, tests/e2e/kafka_cluster.py), whose JVM's CPU seconds are
shown beside the collector's: on this 2-core machine it competes with the
collector for the same cores.  With --floor, bench_kafka_floor in the same
rounds: the collector's records, built before the clock, through its
producer alone, 1 and 3 Kafka messages per prefix (without and with the
route state): what librdkafka allows any collector here.

  bench_collector.py --collector BIN --gen BIN [--peers 10 --ipv4 1000000
      --ipv6 200000] [--feed FILE] [--runs 1] [--real-kafka] [--callgrind]
      [--floor BIN]
"""

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "e2e"))
import harness  # noqa: E402
import kafka_cluster  # noqa: E402

CLK = os.sysconf("SC_CLK_TCK")


def proc_cpu(pid):
    f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / CLK


def thread_cpu(pid):
    """CPU seconds of each thread of pid, by thread id: (name, seconds)."""
    out = {}
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            st = open("/proc/%d/task/%s/stat" % (pid, tid)).read()
        except OSError:
            continue
        f = st.rsplit(")", 1)[1].split()
        out[tid] = (st[st.index("(") + 1:st.rindex(")")],
                    (int(f[11]) + int(f[12])) / CLK)
    return out


def send(port, path, wait_close=True):
    s = socket.create_connection(("127.0.0.1", port))
    with open(path, "rb") as f:
        while True:
            b = f.read(1 << 20)
            if not b:
                break
            s.sendall(b)
    s.shutdown(socket.SHUT_WR)
    if not wait_close:
        s.close()
        return
    s.settimeout(3600)
    try:
        while s.recv(65536):
            pass
    except OSError:
        pass
    s.close()


def run_bmpflow(binary, feed, expected, schemas, perf=None, cluster=None,
                flags=()):
    """One collector run with flags; on cluster (a KafkaCluster) when
    given, else on the embedded mock."""
    extra = ("--brokers", cluster.brokers, "--topic.route.partitions",
             str(cluster.partitions)) if cluster else ()
    extra += tuple(flags)
    col = harness.Collector(binary, schemas, extra=extra)
    brokers = [n.proc.pid for n in cluster.nodes] if cluster else []
    rec = None
    try:
        if perf:
            rec = subprocess.Popen(
                ["perf", "record", "-q", "-F", "999", "--call-graph",
                 "dwarf,16384", "-o", perf, "-p", str(col.proc.pid)],
                stdout=subprocess.DEVNULL)
            time.sleep(1)       # perf attached to every thread
        th0 = thread_cpu(col.proc.pid)
        cpu0 = proc_cpu(col.proc.pid)
        broker_cpu0 = sum(proc_cpu(pid) for pid in brokers)
        t0 = time.monotonic()
        send(col.port, feed)
        key = 'bmpflow_records_total{topic="bmp.route",state="delivered"}'
        while True:
            m = col.metrics()
            if m[key] >= expected and m["bmpflow_producer_queue_messages"] == 0:
                break
            # pmbmpd's end is its log's mtime: poll often to be as exact.
            time.sleep(0.01)
        t = time.monotonic() - t0
        cpu = proc_cpu(col.proc.pid) - cpu0
        broker_cpu = sum(proc_cpu(pid) for pid in brokers) - broker_cpu0
        # Main thread: decode, encode, produce calls, delivery reports;
        # rdk:broker*: librdkafka batching and compression; rdk:mock: the
        # embedded broker.
        threads = {}
        for tid, (name, c1) in thread_cpu(col.proc.pid).items():
            name = "main" if tid == str(col.proc.pid) else name
            c = c1 - th0.get(tid, (name, 0.0))[1]
            if c > 0:
                threads[name] = threads.get(name, 0.0) + c
        rss = harness.vm_hwm_kib(col.proc.pid) / 1024.0
        pauses = m["bmpflow_backpressure_pauses_total"]
    finally:
        if rec is not None:
            rec.send_signal(signal.SIGINT)
            rec.wait()
        col.stop()
    return {"records": int(m[key]), "secs": t, "cpu": cpu, "rss": rss,
            "note": "%d back-pressure pauses; cpu s %s%s" % (pauses, " ".join(
                "%s %.2f" % kv for kv in sorted(threads.items())),
                "; Kafka broker JVM %.2f" % broker_cpu if cluster else "")}


def run_pmbmpd(feed, expected):
    d = tempfile.mkdtemp(prefix="bench-pmbmpd-")
    port = harness.free_port()
    log = os.path.join(d, "bmp.json")
    conf = os.path.join(d, "pmbmpd.conf")
    with open(conf, "w") as f:
        f.write("daemonize: false\nbmp_daemon_ip: 127.0.0.1\n"
                "bmp_daemon_port: %d\nbmp_daemon_msglog_file: %s\n"
                "bmp_daemon_msglog_output: json\nlogfile: %s/pmbmpd.log\n"
                % (port, log, d))
    p = subprocess.Popen(["pmbmpd", "-f", conf])
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port)).close()
                break
            except OSError:
                time.sleep(0.05)
        time.sleep(0.5)
        cpu0 = proc_cpu(p.pid)
        t0 = time.monotonic()
        t0_wall = time.time()
        send(port, feed, wait_close=False)
        # Done when the log stops growing for 2 s; its mtime is the end.
        last, still = -1, 0.0
        while still < 2.0:
            size = os.path.getsize(log) if os.path.exists(log) else 0
            if size == last:
                still += 0.1
            else:
                last, still = size, 0.0
            time.sleep(0.1)
        t = os.path.getmtime(log) - t0_wall
        cpu = proc_cpu(p.pid) - cpu0
        rss = harness.vm_hwm_kib(p.pid) / 1024.0
        n = int(subprocess.run(
            ["grep", "-c", '"bmp_msg_type": "route_monitor"', log],
            capture_output=True, text=True).stdout.strip() or 0)
        del t0
    finally:
        # pmbmpd ignores SIGTERM while a session is open.
        harness.stop_process(p, timeout=5)
        shutil.rmtree(d, ignore_errors=True)
    return {"records": n, "secs": t, "cpu": cpu, "rss": rss,
            "note": "JSON log file"}


def run_floor(binary, feed, per_prefix, schemas, flags=()):
    """bench_kafka_floor on the feed: the collector's producer alone,
    per_prefix messages per prefix, timed by itself from its first produce
    to its last acknowledgement."""
    out = subprocess.run([binary, feed, str(per_prefix), "--schema-dir",
                          schemas] + list(flags), capture_output=True,
                         text=True, timeout=harness.slow(600), check=True)
    f = dict(re.findall(r"(\w+)=([\d.]+)", out.stdout))
    threads = out.stdout.split("cpu s by thread:", 1)[1].strip()
    return {"records": int(f["prefixes"]), "secs": float(f["secs"]),
            "cpu": float(f["cpu"]), "rss": float(f["rss_mib"]),
            "note": "%s messages, %.0f/s; %s MiB of it pre-built records; "
            "cpu s %s" % (f["messages"], float(f["messages_per_s"]),
                          f["prebuilt_mib"], threads)}


def stage_costs(perf, cpu, records):
    """Per-stage CPU of a perf recording of one collector run: the share of
    samples under each stage's functions (with their callees), times the
    run's CPU seconds, per record."""
    out = subprocess.run(["perf", "report", "-i", perf, "--children",
                          "--sort", "comm,sym", "-g", "none", "-q"],
                         capture_output=True, text=True).stdout
    pct = {}            # (thread, function) -> % of samples, callees in
    for line in out.splitlines():
        # children%  self%  thread  [.]  function
        f = line.split()
        if len(f) >= 5 and f[0].endswith("%"):
            key = (f[2], f[-1])
            pct[key] = max(pct.get(key, 0.0), float(f[0][:-1]))
    self_out = subprocess.run(["perf", "report", "-i", perf, "--no-children",
                               "--sort", "comm", "-g", "none", "-q", "-F",
                               "overhead,comm"], capture_output=True,
                              text=True).stdout
    threads = {}
    for line in self_out.splitlines():
        f = line.split()
        if len(f) == 2 and f[0].endswith("%"):
            threads[f[1]] = float(f[0][:-1])
    main = [t for t in threads if not t.startswith("rdk:")]
    main = main[0] if main else "bmpflow-collect"

    def fn(name):
        return pct.get((main, name), 0.0)

    encode = sum(v for (t, name), v in pct.items()
                 if t == main and name.startswith("bf_enc_"))
    produce = fn("bf_producer_send")
    # Delivery reports run from the poll timer and after every read.
    reports = fn("rd_kafka_poll")
    reports_in_reads = reports - fn("on_poll")
    stages = [
        ("decode (framing, BMP/BGP parse, NLRI walk)",
         fn("read_cb") - encode - produce - reports_in_reads),
        ("encode (Avro records)", encode),
        ("produce (rd_kafka_producev, headers, copies)", produce),
        ("delivery reports (rd_kafka_poll)", reports),
        ("event loop, socket reads (libuv, kernel)",
         threads.get(main, 0.0) - fn("read_cb") - fn("on_poll")),
        ("producer thread (batches, lz4, requests)",
         sum(v for t, v in threads.items() if t.startswith("rdk:broker"))),
        ("embedded broker (mock cluster)", threads.get("rdk:mock", 0.0)),
    ]
    print("per-stage CPU (perf, %s):" % perf)
    for name, share in stages:
        print("  %-46s %5.1f%%  %6.3f us/record" % (
            name, share, share / 100 * cpu / records * 1e6))


def callgrind_stages(binary, feed, expected, schemas, tmp, flags=()):
    """Instructions per prefix record by stage of one replay under
    valgrind's callgrind (counted from the first byte sent until Kafka
    acknowledged the last record, all threads): unlike CPU seconds, the
    same on a busy machine from run to run.  Time-driven batching
    (linger.ms) makes smaller batches under valgrind's slowdown, so the
    producer thread's share is an upper bound."""
    out = os.path.join(tmp, "callgrind.%d.out" % len(os.listdir(tmp)))
    wrap = os.path.join(tmp, "callgrind.sh")
    with open(wrap, "w") as f:
        f.write("#!/bin/sh\nexec valgrind --tool=callgrind --instr-atstart=no"
                " --dump-instr=no --callgrind-out-file=%s %s \"$@\"\n" % (
                    out, binary))
    os.chmod(wrap, 0o755)
    col = harness.Collector(wrap, schemas, extra=tuple(flags))
    key = 'bmpflow_records_total{topic="bmp.route",state="delivered"}'
    try:
        subprocess.run(["callgrind_control", "-i", "on", str(col.proc.pid)],
                       check=True, capture_output=True)
        send(col.port, feed)
        while True:
            m = col.metrics()
            if m[key] >= expected and \
                    m["bmpflow_producer_queue_messages"] == 0:
                break
            time.sleep(0.2)
        subprocess.run(["callgrind_control", "-i", "off", str(col.proc.pid)],
                       check=True, capture_output=True)
    finally:
        col.stop()
    text = subprocess.run(["callgrind_annotate", "--inclusive=yes",
                           "--threshold=100", out], capture_output=True,
                          text=True, check=True).stdout
    inc = {}
    for line in text.splitlines():
        m = re.match(r"\s*([\d,]+) \([ \d.]+%\)\s+(\S+)", line)
        if m:
            inc.setdefault(m.group(2).rsplit(":", 1)[-1],
                           int(m.group(1).replace(",", "")))
    total = inc["PROGRAM"]
    walk, enc, sink = (inc.get(k, 0) for k in (
        "bmp_stream_walk", "bf_enc_message", "record_sink"))
    # The state's per-UPDATE part runs in the walk, beside the encoder.
    begin = inc.get("bf_state_update_begin", 0)
    state = inc.get("bf_state_route", 0)
    drain = inc.get("bf_state_drain", 0)
    poll = inc.get("rd_kafka_poll", 0)
    stages = [
        ("decode (framing, BMP, BGP, NLRI walk)", walk - enc - begin),
        ("encode (Avro records, keys)", enc - sink),
        ("produce bmp.route (rd_kafka_producev)", sink - state),
        ("route state (identity set, key, produce)", state + begin),
        ("state tombstones (session end)", drain),
        ("delivery reports (rd_kafka_poll)", poll),
        ("event loop, reads (libuv)", inc.get("uv_run", 0) - walk - drain -
         poll),
        ("librdkafka's thread, embedded broker", total - inc.get("uv_run", 0)),
        ("  of which lz4", inc.get("LZ4F_compressUpdate", 0) +
         inc.get("LZ4F_compressEnd", 0)),
    ]
    print("instructions per prefix record (callgrind, %s %s):" % (
        os.path.basename(binary), " ".join(flags)))
    for name, v in stages:
        print("  %-44s %7d  %5.1f%%" % (name, v // expected, 100.0 * v / total))
    print("  %-44s %7d" % ("total", total // expected))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--collector", required=True)
    ap.add_argument("--baseline", help="another bmpflow-collector to "
                    "compare with, run alternately in the same rounds")
    ap.add_argument("--flags", default="", metavar="FLAGS",
                    help="flags for this collector, e.g. '--route-state "
                    "false' (with --baseline-flags the same: both without "
                    "the state)")
    ap.add_argument("--baseline-flags", default="", metavar="FLAGS",
                    help="flags for the baseline collector (without "
                    "--baseline: this collector with them, e.g. "
                    "'--route-state false')")
    ap.add_argument("--gen", help="bmpflow-gen-fulltable")
    ap.add_argument("--decode", help="bmpflow-decode, to count the feed")
    ap.add_argument("--feed", help="use this BMP file instead of generating")
    ap.add_argument("--peers", type=int, default=10)
    ap.add_argument("--ipv4", type=int, default=1000000)
    ap.add_argument("--ipv6", type=int, default=200000)
    ap.add_argument("--perf", help="perf record the first collector run "
                    "into this file")
    ap.add_argument("--callgrind", action="store_true",
                    help="instead of timed runs: one replay of the collector "
                    "(and of the baseline) under valgrind's callgrind, "
                    "instructions per prefix record by stage")
    ap.add_argument("--runs", type=int, default=3,
                    help="runs of each, alternating; medians are reported")
    ap.add_argument("--real-kafka", action="store_true",
                    help="also run the collector against a real 1-node "
                    "Apache Kafka (KRaft, loopback) in the same rounds")
    ap.add_argument("--floor", metavar="BIN", help="bench_kafka_floor: in "
                    "the same rounds, the collector's records through its "
                    "producer alone (1 and 3 messages per prefix)")
    ap.add_argument("--partitions", type=int, default=8,
                    help="partitions of the real cluster's topics "
                    "(the embedded Kafka's default is 8)")
    ap.add_argument("--schemas", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..", "schemas"))
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="bench-collector-")
    cluster = None
    try:
        feed = args.feed
        if feed is None:
            feed = os.path.join(tmp, "feed.bmp")
            out = subprocess.run([args.gen, "--peers", str(args.peers),
                                  "--ipv4", str(args.ipv4), "--ipv6",
                                  str(args.ipv6), "-o", feed],
                                 capture_output=True, text=True, check=True)
            g = dict(re.findall(r"(\w+)=(\d+)", out.stderr))
            expected = int(g["announced"]) + int(g["withdrawn"])
        else:
            n, _ = harness.decoder_summary(args.decode, feed)
            expected = n["prefixes announced"] + n["withdrawn"]
        size = os.path.getsize(feed)
        print("feed: %s, %.1f MB, %d prefix records" % (
            os.path.basename(feed), size / 1e6, expected))
        runs = {"bmpflow-collector": [], "pmbmpd": []}
        baseline = args.baseline or (args.collector if args.baseline_flags
                                     else None)
        if args.callgrind:
            callgrind_stages(args.collector, feed, expected, args.schemas,
                             tmp, args.flags.split())
            if baseline:
                callgrind_stages(baseline, feed, expected, args.schemas, tmp,
                                 args.baseline_flags.split())
            return
        if baseline:
            runs["baseline"] = []
        if args.floor:
            runs["floor 1 msg/prefix"] = []
            runs["floor 3 msg/prefix"] = []
        if args.real_kafka:
            cluster = kafka_cluster.KafkaCluster(
                nodes=1, partitions=args.partitions, replication=1,
                min_insync=1)
            print("real Kafka: Apache Kafka %s, 1 KRaft node, %d partitions "
                  "per topic, started in %.0fs" % (
                      kafka_cluster.version(), args.partitions,
                      cluster.start_seconds))
            runs["real Kafka"] = []
        for i in range(args.runs):
            if baseline:
                runs["baseline"].append(run_bmpflow(
                    baseline, feed, expected, args.schemas,
                    flags=args.baseline_flags.split()))
            runs["bmpflow-collector"].append(
                run_bmpflow(args.collector, feed, expected, args.schemas,
                            args.perf if i == 0 else None,
                            flags=args.flags.split()))
            runs["pmbmpd"].append(run_pmbmpd(feed, expected))
            for n in (1, 3) if args.floor else ():
                runs["floor %d msg/prefix" % n].append(run_floor(
                    args.floor, feed, n, args.schemas, args.flags.split()))
            if cluster:
                runs["real Kafka"].append(run_bmpflow(
                    args.collector, feed, expected, args.schemas,
                    cluster=cluster, flags=args.flags.split()))
        print("%-18s %4s %10s %8s %12s %8s %9s  %s" % (
            "", "run", "records", "secs", "prefixes/s", "cpu s", "peak MiB",
            "notes"))
        med = {}
        for name, rs in runs.items():
            for i, r in enumerate(rs):
                r["rate"] = r["records"] / r["secs"]
                print("%-18s %4d %10d %8.2f %12.0f %8.2f %9.1f  %s" % (
                    name, i + 1, r["records"], r["secs"], r["rate"],
                    r["cpu"], r["rss"], r["note"]))
            med[name] = {k: statistics.median(r[k] for r in rs)
                         for k in ("rate", "cpu", "rss", "records")}
            print("%-18s %4s %10d %8s %12.0f %8.2f %9.1f" % (
                name, "med", med[name]["records"], "", med[name]["rate"],
                med[name]["cpu"], med[name]["rss"]))
        a, b = med["bmpflow-collector"], med["pmbmpd"]
        if any(r["records"] != expected for rs in runs.values() for r in rs):
            print("WARNING: a run did not account for all %d records" %
                  expected)
        print("ratio bmpflow/pmbmpd (medians of %d runs): %.2fx prefixes/s, "
              "%.2fx CPU per prefix, %.2fx peak RSS" % (
                  args.runs, a["rate"] / b["rate"],
                  (a["cpu"] / a["records"]) / (b["cpu"] / b["records"]),
                  a["rss"] / b["rss"]))
        if args.perf:
            r = runs["bmpflow-collector"][0]
            stage_costs(args.perf, r["cpu"], r["records"])
        if cluster:
            c = med["real Kafka"]
            print("ratio bmpflow on real Kafka/pmbmpd: %.2fx prefixes/s; "
                  "real Kafka/embedded: %.2fx prefixes/s, %.2fx collector "
                  "CPU per prefix" % (
                      c["rate"] / b["rate"], c["rate"] / a["rate"],
                      (c["cpu"] / c["records"]) / (a["cpu"] / a["records"])))
        for n in (1, 3) if args.floor else ():
            c = med["floor %d msg/prefix" % n]
            print("ratio floor %d msg/prefix/pmbmpd: %.2fx prefixes/s, %.2fx "
                  "CPU per prefix; bmpflow/floor: %.2fx prefixes/s, %.2fx "
                  "CPU per prefix" % (
                      n, c["rate"] / b["rate"],
                      (c["cpu"] / c["records"]) / (b["cpu"] / b["records"]),
                      a["rate"] / c["rate"],
                      (a["cpu"] / a["records"]) / (c["cpu"] / c["records"])))
        if args.floor:
            # The collector's messages per prefix: 3 unless the state is off.
            n = 1 if re.search(r"--route-state[ =]false", args.flags) else 3
            if a["rate"] > med["floor %d msg/prefix" % n]["rate"]:
                print("WARNING: the collector beat its floor (%d msg/prefix):"
                      " the floor is not one" % n)
        if baseline:
            c = med["baseline"]
            print("ratio baseline/pmbmpd: %.2fx prefixes/s; bmpflow/baseline: "
                  "%.2fx prefixes/s, %.2fx CPU per prefix" % (
                      c["rate"] / b["rate"], a["rate"] / c["rate"],
                      (a["cpu"] / a["records"]) / (c["cpu"] / c["records"])))
    finally:
        if cluster:
            cluster.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
