#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Processor memory benchmark (a program, not a test): what the resident
memory of bmpflow-processor --plugin prefix_health grows by per route held.

For each table size (default 1M and 4M routes: 4 peers x 250k and x 1M
prefixes, 80% IPv4, 20% IPv6), per run:

  1. a fresh bmpflow-collector on its embedded Kafka (--embedded-partitions,
     default 512: librdkafka's mock cluster keeps about 5 MiB per partition
     and drops older batches beyond that);
  2. bmpflow-processor --plugin prefix_health joins its group; once it holds
     its bmp.route partitions and has ticked idle, VmRSS is read: "before";
  3. the synthetic table (bmpflow-gen-fulltable, cut before its first Peer
     Down, over a router session kept open so the peers stay up) goes into
     the collector, and the processor reads it as it comes;
  4. once the plugin holds every route (its bmpflow_prefix_health_routes
     gauge: a record the mock cluster dropped before it was read would be
     missing), no session is warming, nothing is held or lagging and every
     output is acknowledged, and after two idle ticks, VmRSS is read again:
     "after".

Printed per run and as medians: routes, RSS before and after (MiB),
(after - before) / routes, the plugin's own count of its state
(bmpflow_prefix_health_memory_bytes) per route, VmHWM, and where the RSS
grew (smaps: the brk heap, other anonymous mappings, files).

  bench_processor_memory.py [--build DIR] [--routes 1000000,4000000]
      [--peers 4] [--ipv6-pct 20] [--partitions 512] [--runs 3]
      [--tick-ms 1000] [--processor-kafka PROP=VALUE ...] [--set KEY=VALUE ...]
"""

import argparse
import os
import socket
import statistics
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
import harness  # noqa: E402
from bench_processor import end_offsets, table_feed  # noqa: E402

MIB = 1024.0 * 1024.0


def smaps_rss(pid):
    """Resident bytes of pid by kind of mapping: heap (brk), anon (other
    anonymous: malloc's mmap'd arenas and large blocks, thread stacks),
    file (binaries, libraries)."""
    out = {"heap": 0, "anon": 0, "file": 0}
    kind = None
    with open("/proc/%d/smaps" % pid) as f:
        for line in f:
            head = line.split()
            if "-" in head[0] and not head[0].endswith(":"):
                name = head[5] if len(head) > 5 else ""
                kind = ("heap" if name == "[heap]" else
                        "file" if name.startswith("/") else "anon")
            elif head[0] == "Rss:":
                out[kind] += int(head[1]) * 1024
    return out


def wait_for(what, cond, deadline, interval=0.2):
    """cond() until true; RuntimeError naming what past deadline."""
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(interval)
    raise RuntimeError("%s: not reached before the timeout" % what)


def idle_rss(proc, tick_ms):
    """VmRSS (bytes) and smaps kinds once two ticks have passed."""
    time.sleep(2 * tick_ms / 1000.0 + 0.2)
    return (harness.proc_status_kib(proc.p.pid, "VmRSS") * 1024,
            smaps_rss(proc.p.pid))


def one_run(args, data, routes, group):
    col = harness.Collector(args.collector, args.schemas, extra=(
        "--embedded-partitions", str(args.partitions)))
    proc = router = None
    deadline = time.monotonic() + args.timeout
    try:
        proc = harness.Processor(
            args.processor, col, args.schemas, "prefix_health",
            settings=[kv.split("=", 1) for kv in args.set],
            tick_ms=args.tick_ms, group=group,
            extra=harness.kafka_flags(args.processor_kafka))
        proc.wait_assigned(args.timeout)
        before, kinds0 = idle_rss(proc, args.tick_ms)

        t0 = time.monotonic()
        router = socket.create_connection(("127.0.0.1", col.port))
        sender = threading.Thread(target=router.sendall, args=(data,),
                                  daemon=True)
        sender.start()
        m = {}

        def loaded():
            m.update(proc.metrics())
            return (m.get("bmpflow_prefix_health_routes", 0) >= routes and
                    m.get("bmpflow_prefix_health_peers_warming", 1) == 0 and
                    m.get("bmpflow_processor_lag_records", 1) == 0 and
                    m.get("bmpflow_processor_records_held", 1) == 0)
        wait_for("%d routes held" % routes, loaded, deadline)
        t_load = time.monotonic() - t0

        def acknowledged():
            m.update(proc.metrics())
            return end_offsets(col.brokers, "bmp.prefix_health",
                               args.partitions) >= \
                m["bmpflow_processor_records_out_total"]
        wait_for("outputs acknowledged", acknowledged, deadline, 0.5)
        after, kinds1 = idle_rss(proc, args.tick_ms)
        m = proc.metrics()
        if m["bmpflow_prefix_health_routes"] != routes:
            raise RuntimeError("the plugin holds %d routes, not %d" % (
                m["bmpflow_prefix_health_routes"], routes))
        return {
            "routes": routes,
            "load_s": t_load,
            "before_mib": before / MIB, "after_mib": after / MIB,
            "rss_per_route": (after - before) / routes,
            "plugin_mib": m["bmpflow_prefix_health_memory_bytes"] / MIB,
            "plugin_per_route": m["bmpflow_prefix_health_memory_bytes"] /
            routes,
            "hwm_mib": harness.vm_hwm_kib(proc.p.pid) / 1024.0,
            "heap_mib": (kinds1["heap"] - kinds0["heap"]) / MIB,
            "anon_mib": (kinds1["anon"] - kinds0["anon"]) / MIB,
            "file_mib": (kinds1["file"] - kinds0["file"]) / MIB,
            "prefixes": sum(v for k, v in m.items() if k.startswith(
                "bmpflow_prefix_health_prefixes{")),
        }
    finally:
        if proc is not None:
            proc.stop()
        if router is not None:
            router.close()
        col.stop()
        harness.remove_dirs(col.dir, None, args.keep)


COLS = (("load s", "load_s", "%8.1f"), ("before MiB", "before_mib", "%11.1f"),
        ("after MiB", "after_mib", "%10.1f"),
        ("RSS B/route", "rss_per_route", "%12.1f"),
        ("plugin MiB", "plugin_mib", "%11.1f"),
        ("plugin B/route", "plugin_per_route", "%15.1f"),
        ("VmHWM MiB", "hwm_mib", "%10.1f"), ("+heap MiB", "heap_mib", "%10.1f"),
        ("+anon MiB", "anon_mib", "%10.1f"), ("+file MiB", "file_mib", "%10.1f"))


def row(label, r):
    return "%5s " % label + " ".join(fmt % r[k] for _, k, fmt in COLS)


def main():
    root = os.path.normpath(os.path.join(HERE, "..", ".."))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(root, "build"))
    ap.add_argument("--schemas", default=os.path.join(root, "schemas"))
    ap.add_argument("--routes", default="1000000,4000000",
                    help="table sizes, routes (comma list)")
    ap.add_argument("--peers", type=int, default=4)
    ap.add_argument("--ipv6-pct", type=int, default=20)
    ap.add_argument("--partitions", type=int, default=512)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--tick-ms", type=int, default=1000)
    ap.add_argument("--timeout", type=int, default=900)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--processor-kafka", action="append", default=[],
                    metavar="PROP=VALUE",
                    help="a librdkafka property for the processor's clients")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="a prefix_health setting")
    args = ap.parse_args()
    args.collector = os.path.join(args.build, "collector", "bmpflow-collector")
    args.processor = os.path.join(args.build, "processors", "host",
                                  "bmpflow-processor")
    gen = os.path.join(args.build, "tests", "bmpflow-gen-fulltable")

    tmp = tempfile.mkdtemp(prefix="bench-memory-")
    summary = []
    try:
        for n in (int(x) for x in args.routes.split(",")):
            per_peer = n // args.peers
            ipv6 = per_peer * args.ipv6_pct // 100
            data, routes = table_feed(gen, os.path.join(tmp, "feed.bmp"),
                                      args.peers, per_peer - ipv6, ipv6)
            print("%5s " % "run" + " ".join(
                "%*s" % (len(fmt % 0), name) for name, _, fmt in COLS))
            runs = []
            for i in range(args.runs):
                r = one_run(args, data, routes,
                            "bench-memory-%d-%d-%d" % (os.getpid(), n, i))
                runs.append(r)
                print(row(str(i + 1), r), flush=True)
            med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
            print(row("med", med))
            print("%d routes (%d prefixes): RSS %.1f B/route held, the "
                  "plugin's own count %.1f B/route; VmHWM %.1f MiB\n" % (
                      routes, med["prefixes"], med["rss_per_route"],
                      med["plugin_per_route"], med["hwm_mib"]), flush=True)
            summary.append((routes, med))
        print("summary (medians of %d runs):" % args.runs)
        for routes, med in summary:
            print("  %8d routes: RSS %6.1f B/route (%.0f -> %.0f MiB), "
                  "plugin %5.1f B/route, VmHWM %.0f MiB" % (
                      routes, med["rss_per_route"], med["before_mib"],
                      med["after_mib"], med["plugin_per_route"],
                      med["hwm_mib"]))
    finally:
        harness.remove_dirs(tmp, None, args.keep)


if __name__ == "__main__":
    main()
