#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Processor benchmark (a program, not a test): bmpflow-processor with the
prefix_health plugin over a synthetic full table, Kafka to emitted output.

  1. bmpflow-gen-fulltable writes the feed (default 2 peers x 500,000
     IPv4 prefixes); it is cut before its first Peer Down, and the TCP
     session stays open for the whole benchmark, so the peers stay up
     (a Peer Down, or the collector's own at session close, would close
     their epoch and the processor would rightly drop every route);
  2. bmpflow-collector (embedded Kafka, --embedded-partitions, default 32:
     librdkafka's mock cluster keeps at most 5 MiB per partition and drops
     older batches beyond that) takes the feed until every route record is
     acknowledged; a kcat dump of bmp.route checks that the mock cluster
     kept all of them (and feeds step 4);
  3. per run, first a bare consumer: kcat -C -e of bmp.route from the same
     broker, one byte per record (-f '.') into /dev/null, with its CPU
     seconds: what consuming alone costs in librdkafka; then
     bmpflow-processor with build/tests/noop_plugin.so
     (tests/plugins/noop_plugin.c), a plugin doing nothing (the host's
     own cost: consuming, decoding, the epoch rule, the
     rebuild; its figures until "in" alone, it has no outputs), and
     bmpflow-processor --plugin prefix_health, each in a fresh consumer
     group (with --compare, the other build's too, in turns); from its
     /metrics: the time from its start (and from its first bmp.route
     record, once the group has formed: "steady") until records_in covers
     every bmp.peer and bmp.route record with no lag ("in"), and until
     then its outputs are all acknowledged (bmp.prefix_health end offsets,
     by kcat -Q) after one more tick ("out"); CPU seconds (all threads)
     from /proc/PID/stat until "in", and their ratio to the bare kcat's of
     the same run; VmHWM.  Medians over runs;
  4. bench_prefix_health over the same records in memory (decode, epoch
     rule, plugin, output encoding; no Kafka): records/s and the plugin's
     bytes per route held; then the budget: CPU per route record of kcat,
     of 0.8x kcat's rate (the target), of the host with the no-op plugin
     and with prefix_health, and prefix_health's own part (in the process:
     the difference of the two; in memory: bench_prefix_health's whole
     pipeline less its decoding);
  5. with --perf, one more processor run under perf record (DWARF call
     graphs): top DSOs and symbols by self time, symbols with callees, and
     the share of each pipeline stage (library time charged to the
     project function that called it);
  6. with --callgrind, one more run of each build under valgrind's
     callgrind, dumped once records_in covers every record: instructions
     per route record, all threads and by stage (repeatable on a busy
     machine, where CPU seconds vary by a third from run to run; threads
     that idle-poll count more the longer a run takes under valgrind).

  bench_processor.py [--build DIR] [--peers 2 --ipv4 500000 --ipv6 0]
      [--partitions 32] [--runs 3] [--tick-ms 1000] [--perf]
      [--compare OTHER_BUILD] [--processor-kafka PROP=VALUE ...]
      [--callgrind]
"""

import argparse
import os
import re
import resource
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
import harness  # noqa: E402
import kafka_cluster  # noqa: E402

CLK = os.sysconf("SC_CLK_TCK")


def proc_cpu(pid):
    f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / CLK


def table_feed(gen, path, peers, ipv4, ipv6):
    """A synthetic full table of peers x (ipv4 + ipv6) prefixes written to
    path by bmpflow-gen-fulltable, cut before its first Peer Down (sent
    over a session kept open, its peers stay up): (bytes, route records)."""
    g = harness.gen_fulltable(gen, path, "--peers", peers, "--ipv4", ipv4,
                              "--ipv6", ipv6)
    routes = g["announced"]
    data = harness.cut_before_peer_down(open(path, "rb").read())
    print("feed: %d peers x (%d IPv4 + %d IPv6): %d route records, "
          "%.1f MB up to the first Peer Down" % (
              peers, ipv4, ipv6, routes, len(data) / 1e6), flush=True)
    return data, routes


def end_offsets(brokers, topic, partitions):
    """Sum of the end offsets of topic's partitions (kcat -Q)."""
    args = ["kcat", "-Q", "-b", brokers]
    for p in range(partitions):
        args += ["-t", "%s:%d:-1" % (topic, p)]
    out = subprocess.run(args, capture_output=True, text=True, timeout=60)
    offs = [int(x) for x in re.findall(r"offset (-?\d+)", out.stdout)]
    if len(offs) != partitions:
        return -1
    return sum(max(0, o) for o in offs)


def bare_consumer(brokers, topic):
    """kcat -C -e of topic into /dev/null, one byte per record: (wall
    seconds, CPU seconds)."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.monotonic()
    with open(os.devnull, "wb") as null:
        subprocess.run(["kcat", "-C", "-b", brokers, "-t", topic, "-e",
                        "-q", "-f", "."], stdout=null, check=True,
                       timeout=1200)
    t = time.monotonic() - t
    ru2 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return t, (ru2.ru_utime - ru.ru_utime) + (ru2.ru_stime - ru.ru_stime)


def dump(brokers, topic, path):
    """kcat -f '%R%s' of every record of topic into path; record count."""
    with open(path, "wb") as f:
        subprocess.run(["kcat", "-C", "-b", brokers, "-t", topic, "-e", "-q",
                        "-f", "%R%s"], stdout=f, check=True, timeout=1200)
    n, data = 0, open(path, "rb").read()
    off = 0
    while off + 4 <= len(data):
        (k,) = struct.unpack(">I", data[off:off + 4])
        off += 4 + k
        n += 1
    return n


# Pipeline stages, by the project functions on a sample's stack (the
# first rule that matches; library time is charged to its caller).  The
# plugin is told by its DSO (its entry points may leave the stack by tail
# calls), and its tick from the host's caller.
PLUGIN_DSO = "prefix_health.so"
IN_PLUGIN = "(%s)" % PLUGIN_DSO
STAGES = (
    ("output: produce to Kafka (proc_sink, bf_kafka_produce, librdkafka)",
     ("bf_kafka_produce", "proc_sink")),
    ("output: encode (emit.c)",
     ("emit_begin", "emit_end", "emit_long", "emit_str", "emit_double",
      "emit_bool", "emit_null", "emit_long_array", "emit_str_array",
      "target")),
    ("plugin: on_tick (evaluate, figures)", (IN_PLUGIN, "tick_commit")),
    ("plugin: on_route / on_session", (IN_PLUGIN,)),
    ("host: records_in decode (avro_scan)", ("bf_records_in_decode",)),
    ("host: sessions, epoch rule, views", ("bf_sessions_get",
                                           "bf_sessions_record",
                                           "bf_sessions_view",
                                           "bf_pipeline_record")),
    ("host: /metrics (libuv)", ("on_conn", "read_cb",
                                "proc_metrics_render", "uv_run")),
    ("host: commit (flush outputs, commit offsets)", ("tick_commit",
                                                      "commit_ready",
                                                      "commit_offsets")),
    ("host main loop: consumer poll, message free (librdkafka under "
     "proc_consume)", ("proc_consume", "main")),
)
OWN_DSOS = ("bmpflow-processor", PLUGIN_DSO)


def stage_matches(funcs, own):
    """Whether a stage's funcs match a sample's project frames (own): a
    plugin stage needs a plugin frame and, if it names more, one of them."""
    if funcs[0] == IN_PLUGIN:
        return IN_PLUGIN in own and (len(funcs) == 1 or
                                     bool(own & set(funcs[1:])))
    return bool(own & set(funcs))


def perf_stages(data):
    """Share of samples per pipeline stage, and of other threads."""
    out = subprocess.run(["perf", "script", "-i", data, "-F",
                          "tid,ip,sym,dso"], capture_output=True,
                         text=True, errors="replace").stdout
    count, n = {}, 0
    for block in out.split("\n\n"):
        lines = [l for l in block.splitlines() if l.strip()]
        if not lines:
            continue
        n += 1
        own = set()
        for l in lines[1:]:
            m = re.match(r"\s*[0-9a-f]+ (\S+)(?: \(inlined\))? \((.*)\)$",
                         l)
            # GCC's clones keep the name before a dot (tick_commit.part.0).
            if m and m.group(2).endswith(OWN_DSOS):
                own.add(m.group(1).split(".")[0])
            if m and m.group(2).endswith(PLUGIN_DSO):
                own.add(IN_PLUGIN)
        stage = "other threads (librdkafka: broker I/O, decompress)"
        for name, funcs in STAGES:
            if stage_matches(funcs, own):
                stage = name
                break
        count[stage] = count.get(stage, 0) + 1
    return n, sorted(count.items(), key=lambda kv: -kv[1])


def run_processor(args, processor, col, group, n_peer, n_in,
                  perf_out=None, plugin="prefix_health"):
    """One processor run with plugin (a name or .so path); a plugin other
    than prefix_health has no outputs to wait for."""
    mport = harness.free_port()
    base = end_offsets(col.brokers, "bmp.prefix_health", args.partitions)
    cmd = [processor, "--plugin", plugin,
           "--kafka-bootstrap-file", col.bootstrap_file,
           "--group", group, "--tick-ms", str(args.tick_ms),
           "--metrics", "127.0.0.1:%d" % mport] + harness.kafka_flags(
               args.processor_kafka)
    log = open(os.path.join(col.dir, group + ".log"), "w")
    col_cpu0 = proc_cpu(col.proc.pid)
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    perf = None
    if perf_out:
        perf = subprocess.Popen(["perf", "record", "-F", "999",
                                 "--call-graph", "dwarf,16384",
                                 "-o", perf_out, "-p", str(p.pid)],
                                stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
    r = {"group": group}
    t_first = t_in = last = None
    deadline = t0 + args.timeout
    try:
        while time.monotonic() < deadline:
            if p.poll() is not None:
                raise RuntimeError("processor exited %s" % p.returncode)
            try:
                m = harness.scrape_metrics(mport)
            except OSError:
                time.sleep(0.02)
                continue
            now = time.monotonic()
            rin = m["bmpflow_processor_records_in_total"]
            # The first bmp.route record: the consumer group has formed
            # (the mock cluster holds a new group's first join ~3 s).
            if t_first is None and rin > n_peer:
                t_first, cpu_first = now, proc_cpu(p.pid)
            if rin >= n_in and m["bmpflow_processor_lag_records"] == 0:
                t_in, cpu_in = now, proc_cpu(p.pid)
                col_cpu = proc_cpu(col.proc.pid) - col_cpu0
                r["records_in"] = int(rin)
                break
            # A scrape costs the processor about a millisecond of CPU
            # (rendering, and glibc consolidating the small blocks
            # librdkafka freed): until the first record every 50 ms, then
            # halfway to the expected end (at most 250 ms, at least 20).
            wait = 0.05 if t_first is None else 0.02
            if t_first is not None and last is not None and \
                    rin > last[1]:
                left = (n_in - rin) * (now - last[0]) / (rin - last[1])
                wait = max(0.02, min(0.25, left / 2))
            last = (now, rin)
            time.sleep(wait)
        if t_in is None:
            raise RuntimeError("records_in %d of %d after %ds" % (
                rin, n_in, args.timeout))
        # Outputs: one more tick, then every produced output acknowledged.
        last_produced = -1
        if plugin != "prefix_health":
            t_out, cpu_out, r["outputs"] = t_in, cpu_in, 0
        while plugin == "prefix_health" and time.monotonic() < deadline:
            try:
                m = harness.scrape_metrics(mport)
            except OSError:     # busy in a tick that emits every prefix
                continue
            now = time.monotonic()
            produced = m["bmpflow_processor_records_out_total"]
            # Still growing: a tick is emitting, waiting for room in the
            # producer's queue as the acknowledgements come.
            growing, last_produced = produced != last_produced, produced
            if now - t_in >= args.tick_ms / 1000.0 + 0.05 and \
                    produced > 0 and not growing:
                acked = end_offsets(col.brokers, "bmp.prefix_health",
                                    args.partitions) - base
                if acked >= produced:
                    t_out, cpu_out = time.monotonic(), proc_cpu(p.pid)
                    r["outputs"] = int(produced)
                    break
            time.sleep(0.02)
        if "outputs" not in r:
            raise RuntimeError("outputs not acknowledged in %ds" %
                               args.timeout)
        r.update({
            "secs_in": t_in - t0, "secs_first": t_first - t0,
            "secs_steady": t_in - t_first, "secs_out": t_out - t0,
            "cpu_in": cpu_in, "cpu_steady": cpu_in - cpu_first,
            "cpu_out": cpu_out, "col_cpu": col_cpu,
            "hwm_mib": harness.vm_hwm_kib(p.pid) / 1024.0,
            "bad": m["bmpflow_processor_records_bad_total"],
            "stale": m["bmpflow_processor_records_stale_total"],
        })
    finally:
        if perf is not None:
            harness.stop_process(perf, sig=signal.SIGINT)
        harness.stop_process(p)
        log.close()
    return r


# Stages by callgrind's inclusive count of a function: (name, symbol).
# (Decoding is the pipeline less the plugin: GCC inlines part of
# bf_records_in_decode into bf_pipeline_record, whose own line then
# under-counts it.)
CALLGRIND_STAGES = (
    ("pipeline: decode, epoch rule, plugin", "bf_pipeline_record"),
    ("  of which plugin on_route (prefix_health)", "on_route"),
    ("librdkafka threads (fetch, lz4)", "start_thread"),
    ("  of which lz4", "LZ4F_decompress"),
)


def callgrind_run(args, processor, plugin, col, group, n_in, n_route, out):
    """processor with plugin under callgrind until records_in covers n_in records with
    no lag, dumped then (callgrind_control -d) and killed: instructions
    per route record, in total and by CALLGRIND_STAGES."""
    mport = harness.free_port()
    p = subprocess.Popen(["valgrind", "--tool=callgrind",
                          "--callgrind-out-file=" + out, processor,
                          "--plugin", plugin,
                          "--kafka-bootstrap-file", col.bootstrap_file,
                          "--group", group, "--tick-ms", str(args.tick_ms),
                          "--metrics", "127.0.0.1:%d" % mport],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + args.timeout * 4
    try:
        while time.monotonic() < deadline:
            try:
                m = harness.scrape_metrics(mport, timeout=30)
                if m["bmpflow_processor_records_in_total"] >= n_in and \
                        m["bmpflow_processor_lag_records"] == 0:
                    break
            except OSError:
                pass
            time.sleep(1)
        else:
            raise RuntimeError("callgrind run: records_in short")
        subprocess.run(["callgrind_control", "-d", str(p.pid)],
                       capture_output=True, timeout=120)
        # The dump is written after callgrind_control returns; its last
        # line is "totals:" (the summary near its top comes first).
        harness.wait_until(lambda: os.path.exists(out + ".1") and
                           "\ntotals:" in open(out + ".1").read()[-200:],
                           120, 0.5)
    finally:
        harness.stop_process(p, sig=signal.SIGKILL)
    ann = subprocess.run(["callgrind_annotate", "--inclusive=yes",
                          out + ".1"], capture_output=True,
                         text=True).stdout
    per = {}
    for line in ann.splitlines():
        m = re.match(r"\s*([\d,]+) \(.*?\)\s+(.*)$", line)
        if m:
            name = m.group(2)
            n = int(m.group(1).replace(",", ""))
            if "PROGRAM TOTALS" in name:
                per["total"] = n / n_route
            # A function's own line names its object ([...]); lines of
            # code inlined into it do not.  The largest is the outermost.
            for _, sym in CALLGRIND_STAGES:
                if re.search(r"[:/]%s \[" % sym, name):
                    per[sym] = max(per.get(sym, 0), n / n_route)
    return per


def feed_collector(args, data, routes, out_dir, extra):
    """A collector (extra: its Kafka) fed the table over a session kept
    open, until Kafka acknowledged every route record; bmp.peer and
    bmp.route dumped into out_dir (peers.bin, routes.bin), checking the
    broker kept every route: (collector, router socket, peer records,
    route records)."""
    col = harness.Collector(args.collector, args.schemas, extra=extra)
    t = time.monotonic()
    router = socket.create_connection(("127.0.0.1", col.port))
    router.sendall(data)
    key = 'bmpflow_records_total{topic="bmp.route",state="delivered"}'
    while True:
        m = col.metrics()
        if m[key] >= routes and m["bmpflow_producer_queue_messages"] == 0:
            break
        if time.monotonic() - t > args.timeout:
            raise RuntimeError("collector: %d of %d route records" % (
                m[key], routes))
        time.sleep(0.1)
    print("collector (%s): %d route records in bmp.route (%d partitions) "
          "after %.1fs" % (col.brokers, m[key], args.partitions,
                           time.monotonic() - t))
    os.makedirs(out_dir, exist_ok=True)
    n_peer = dump(col.brokers, "bmp.peer", os.path.join(out_dir, "peers.bin"))
    n_route = dump(col.brokers, "bmp.route",
                   os.path.join(out_dir, "routes.bin"))
    if n_route != routes:
        raise RuntimeError("bmp.route holds %d of %d route records: the "
                           "mock cluster dropped some; use more "
                           "--partitions" % (n_route, routes))
    print("bmp.route holds all %d route records; bmp.peer %d" % (
        n_route, n_peer))
    return col, router, n_peer, n_route


HEADER = "%10s %4s %10s %8s %8s %8s %12s %12s %8s %12s %7s %8s %8s %8s" % (
    "what", "run", "records", "first s", "in s", "out s", "rec/s start",
    "rec/s steady", "cpu s", "rec/cpu-s", "x kcat", "outputs", "HWM MiB",
    "coll cpu")


def print_run(name, run, r):
    print("%10s %4s %10s %8.2f %8.2f %8.2f %12.0f %12.0f %8.2f %12.0f %7.2f "
          "%8d %8.1f %8.2f%s" % (
              name, run, int(r["records_in"]), r["secs_first"],
              r["secs_in"], r["secs_out"], r["rate_start"], r["rate_steady"],
              r["cpu_in"], r["rate_cpu"], r["vs_kcat"], r["outputs"],
              r["hwm_mib"], r["col_cpu"],
              "  (%d bad, %d stale)" % (r["bad"], r["stale"])
              if r["bad"] or r["stale"] else ""), flush=True)


def print_budget(prefix, kcat_rate_cpu, rate_cpu, mem):
    """CPU per route record (us) of kcat, of the 0.8x target, of the host
    with the no-op plugin and with prefix_health (medians, records per
    CPU-second in rate_cpu), and prefix_health's own part; mem: the
    in-memory decode records/s and whole-pipeline records per CPU-second."""
    us = {k: 1e6 / v for k, v in rate_cpu.items()}
    kcat = 1e6 / kcat_rate_cpu
    budget = kcat / 0.8
    print("\n%sbudget, CPU per route record (medians): kcat %.3f us; 0.8x "
          "kcat's rate allows %.3f us for the whole processor" % (
              prefix, kcat, budget))
    print("  host + no-op plugin  %.3f us  %.2fx kcat's rate, %3.0f%% of the "
          "budget" % (us["noop"], kcat / us["noop"],
                      100 * us["noop"] / budget))
    print("  host + prefix_health %.3f us  %.2fx kcat's rate, %3.0f%% of the "
          "budget" % (us["this"], kcat / us["this"],
                      100 * us["this"] / budget))
    print("  prefix_health's own part: %.3f us in the process (the two "
          "above's difference: on_route, ticks, outputs until \"in\"); "
          "%.3f us in memory (bench_prefix_health: whole pipeline %.3f less "
          "decoding %.3f)" % (us["this"] - us["noop"], 1e6 / mem[1] -
                              1e6 / mem[0], 1e6 / mem[1], 1e6 / mem[0]))


def main():
    root = os.path.normpath(os.path.join(HERE, "..", ".."))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(root, "build"))
    ap.add_argument("--schemas", default=os.path.join(root, "schemas"))
    ap.add_argument("--peers", type=int, default=2)
    ap.add_argument("--ipv4", type=int, default=500000)
    ap.add_argument("--ipv6", type=int, default=0)
    ap.add_argument("--partitions", type=int, default=32)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--tick-ms", type=int, default=1000)
    ap.add_argument("--timeout", type=int, default=600)
    ap.add_argument("--perf", action="store_true",
                    help="one more run under perf record -g")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--callgrind", action="store_true",
                    help="one more run per build under callgrind: "
                    "instructions per route record")
    ap.add_argument("--real-kafka", action="store_true",
                    help="also feed a real 1-node Apache Kafka (KRaft, "
                    "loopback) and run kcat and the processor on it in the "
                    "same rounds")
    ap.add_argument("--compare", metavar="OTHER_BUILD",
                    help="another build directory whose bmpflow-processor "
                    "runs in turns with this one's, on the same records")
    ap.add_argument("--processor-kafka", action="append", default=[],
                    metavar="PROP=VALUE",
                    help="a librdkafka property for the processor's clients")
    args = ap.parse_args()
    b = args.build
    args.collector = os.path.join(b, "collector", "bmpflow-collector")
    args.processor = os.path.join(b, "processors", "host",
                                  "bmpflow-processor")
    gen = os.path.join(b, "tests", "bmpflow-gen-fulltable")
    cbench = os.path.join(b, "tests", "bench_prefix_health")
    noop = os.path.join(b, "tests", "noop_plugin.so")

    tmp = tempfile.mkdtemp(prefix="bench-processor-")
    col = router = cluster = real_col = real_router = None
    try:
        data, routes = table_feed(gen, os.path.join(tmp, "feed.bmp"),
                                  args.peers, args.ipv4, args.ipv6)

        col, router, n_peer, n_route = feed_collector(
            args, data, routes, os.path.join(tmp, "mock"), (
                "--embedded-partitions", str(args.partitions)))
        peers_bin = os.path.join(tmp, "mock", "peers.bin")
        routes_bin = os.path.join(tmp, "mock", "routes.bin")
        n_in = n_peer + n_route
        # Each source: (name prefix, collector, its records in).
        sources = [("", col)]
        if args.real_kafka:
            cluster = kafka_cluster.KafkaCluster(
                nodes=1, partitions=args.partitions, replication=1,
                min_insync=1)
            print("real Kafka: Apache Kafka %s, 1 KRaft node, %d partitions "
                  "per topic" % (kafka_cluster.version(), args.partitions))
            real_col, real_router, real_peer, real_route = feed_collector(
                args, data, routes, os.path.join(tmp, "real"),
                ("--brokers", cluster.brokers, "--topic.route.partitions",
                 str(args.partitions)))
            if (real_peer, real_route) != (n_peer, n_route):
                raise RuntimeError("the real cluster holds %d+%d records, "
                                   "the mock %d+%d" % (real_peer, real_route,
                                                       n_peer, n_route))
            sources.append(("real-", real_col))

        # (name, processor, plugin): this build with the no-op plugin,
        # then with prefix_health, and the other build's.
        builds = [("noop", args.processor, noop),
                  ("this", args.processor, "prefix_health")]
        if args.compare:
            builds.append(("other", os.path.join(
                args.compare, "processors", "host", "bmpflow-processor"),
                "prefix_health"))
        builds = [(prefix + name, binary, plugin, c) for prefix, c in sources
                  for name, binary, plugin in builds]
        runs = {name: [] for name, _, _, _ in builds}
        kcat_runs = {prefix: [] for prefix, _ in sources}
        print("\nper run: a bare kcat -C -e of bmp.route into /dev/null "
              "(-f '.'), then bmpflow-processor with the no-op plugin "
              "(noop) and --plugin prefix_health, "
              "--tick-ms %d, fresh group%s" % (
                  args.tick_ms, "; builds in turns: this = %s, other = %s" %
                  (args.build, args.compare) if args.compare else ""))
        print(HEADER)
        for i in range(args.runs):
            kcat = {}
            for prefix, c in sources:
                k_secs, k_cpu = bare_consumer(c.brokers, "bmp.route")
                kcat[prefix] = k = {
                    "secs": k_secs, "cpu": k_cpu, "rate": n_route / k_secs,
                    "rate_cpu": n_route / k_cpu}
                kcat_runs[prefix].append(k)
                print("%10s %4d %10s %8s %8.2f %8s %12.0f %12s %8.2f %12.0f" %
                      (prefix + "kcat", i + 1, n_route, "", k_secs, "",
                       k["rate"], "", k_cpu, k["rate_cpu"]))
            order = builds if i % 2 == 0 else builds[::-1]
            for name, binary, plugin, c in order:
                k = kcat[next(pf for pf, sc in sources if sc is c)]
                r = run_processor(args, binary, c, "bench-%d-%s-%d" % (
                    os.getpid(), name, i), n_peer, n_in,
                    plugin=plugin)
                r["rate_start"] = n_route / r["secs_in"]
                # With bmp.route.state, the rebuild runs in the rebalance
                # callback, before /metrics answers: no "steady" span.
                r["rate_steady"] = n_route / r["secs_steady"] if \
                    r["secs_steady"] > 0 else float("nan")
                r["rate_out"] = n_route / r["secs_out"]
                r["rate_cpu"] = n_route / r["cpu_in"]
                r["vs_kcat"] = r["rate_cpu"] / k["rate_cpu"]
                runs[name].append(r)
                print_run(name, i + 1, r)
        kmeds = {}
        for prefix, ks in kcat_runs.items():
            kmeds[prefix] = kmed = {key: statistics.median(k[key] for k in ks)
                                    for key in ks[0]}
            print("%10s %4s %10s %8s %8.2f %8s %12.0f %12s %8.2f %12.0f" % (
                prefix + "kcat", "med", "", "", kmed["secs"], "",
                kmed["rate"], "", kmed["cpu"], kmed["rate_cpu"]))
        for name, _, _, _ in builds:
            med = {key: statistics.median(r[key] for r in runs[name])
                   for key in runs[name][0] if key != "group"}
            print_run(name, "med", med)
        print("(cpu s: the processor's, all threads, until records_in covered "
              "all; x kcat: its route records per CPU-second over the bare "
              "kcat's of the same run and source; coll cpu: the collector's, "
              "which hosts the mock Kafka broker both fetch from, over the "
              "same time; real-: on the real Kafka broker)")
        for name, _, _, c in builds:
            kmed = kmeds[next(pf for pf, sc in sources if sc is c)]
            med = {key: statistics.median(r[key] for r in runs[name])
                   for key in runs[name][0] if key != "group"}
            print("%s: route records/s, median of %d: %.0f from process "
                  "start, %.0f from the first record in, %.0f to outputs "
                  "acknowledged; %.0f per CPU-second, %.2fx a bare kcat's "
                  "%.0f; VmHWM %.1f MiB" % (
                      name, args.runs, med["rate_start"],
                      med["rate_steady"], med["rate_out"], med["rate_cpu"],
                      med["vs_kcat"], kmed["rate_cpu"], med["hwm_mib"]))

        print("\nin memory, no Kafka (bench_prefix_health):", flush=True)
        out = subprocess.run([cbench, "--schemas", args.schemas, "--runs",
                              str(args.runs), "--tick-ms", str(args.tick_ms),
                              peers_bin, routes_bin], check=True,
                             capture_output=True, text=True).stdout
        print(out, end="")
        # "med  decode r/s  records/s  rec/cpu-s ..."
        mem = [float(x) for x in re.search(r"^\s*med\s+(\S+)\s+\S+\s+(\S+)",
                                           out, re.M).groups()]
        for prefix, _ in sources:
            print_budget(prefix, kmeds[prefix]["rate_cpu"], {
                name: statistics.median(r["rate_cpu"] for r in runs[
                    prefix + name]) for name in ("noop", "this")}, mem)

        if args.callgrind:
            print("\ncallgrind, instructions per route record until "
                  "records_in covers all (all threads):")
            for name, binary, plugin, c in builds:
                if c is not col:
                    continue
                per = callgrind_run(args, binary, plugin, col,
                    "bench-cg-%d-%s" % (os.getpid(), name), n_in, n_route,
                    os.path.join(tmp, "callgrind-%s.out" % name))
                print("  %s: %.0f in all" % (name, per.get("total", 0)))
                for what, sym in CALLGRIND_STAGES:
                    print("    %8.0f  %s" % (per.get(sym, 0), what))
                print("    %8.0f  pipeline less plugin: decode, epoch rule" % (
                    per.get("bf_pipeline_record", 0) - per.get("on_route", 0)))

        if args.perf:
            data = os.path.join(tmp, "perf.data")
            run_processor(args, args.processor, col,
                          "bench-perf-%d" % os.getpid(), n_peer, n_in,
                          perf_out=data)
            views = (("self time by DSO", ["--no-children", "--sort",
                                             "dso"]),
                     ("self time by symbol", ["--no-children", "--sort",
                                              "dso,symbol"]),
                     ("time with callees (inclusive) by symbol",
                      ["--children", "--sort", "dso,symbol"]))
            for title, opts in views:
                rep = subprocess.run(
                    ["perf", "report", "-i", data, "--stdio",
                     "--percent-limit", "1", "-g", "none"] + opts,
                    capture_output=True, text=True)
                lines = [l.rstrip() for l in rep.stdout.splitlines()
                         if l.strip() and not l.startswith("#")]
                print("\nperf, %s (>= 1%%):" % title)
                print("\n".join(lines[:30]))
            n, stages = perf_stages(data)
            print("\nperf, by pipeline stage (%d samples, all threads):" % n)
            for name, c in stages:
                print("  %6.2f%%  %s" % (100.0 * c / n, name))
            if args.keep:
                print("perf data: %s" % data)
    finally:
        for r in (router, real_router):
            if r is not None:
                r.close()
        for c in (col, real_col):
            if c is not None:
                c.stop()
        if cluster is not None:
            cluster.stop()
        harness.remove_dirs(tmp, col, args.keep)


if __name__ == "__main__":
    main()
