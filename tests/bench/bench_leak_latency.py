#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""leak_detect alert latency benchmark (a program, not a test).

bmpflow-collector (embedded Kafka) + bmpflow-processor --plugin leak_detect
(the example input files of processors/leak_detect) and one scripted BMP
router session (bmp_build.py) kept open, whose session AS6939 first
carries Amazon's /23s.  Then N times, one at a time: one Route Monitoring
message announcing a new sub-prefix (a /29 of 205.251.192.0/21) from
AS10297, and the subprefix_hijack alert for it awaited on bmp.alert by a
persistent consumer (kcat -C -o end -u, fetch.wait.max.ms 5 so that the
observer itself adds little).  Per alert:

  e2e     BMP message written to the collector's socket -> alert record
          read by the consumer (an upper bound of "entering the collector
          -> acknowledged on Kafka"), monotonic clock;
  detect  the record's own detection_latency_ms (collector receive ->
          plugin emit);
  kafka   the record's Kafka timestamp (CreateTime: when the processor
          produced it) - the wall-clock send time.

Medians and p99 in ms.  Kafka client properties for either side can be
given, to see which setting dominates:

  bench_leak_latency.py [--build DIR] [-n 200] [--tick-ms 100]
      [--collector-kafka PROP=VALUE ...] [--processor-kafka PROP=VALUE ...]

e.g. --processor-kafka fetch.wait.max.ms=5 --processor-kafka linger.ms=0
--collector-kafka linger.ms=0.
"""

import argparse
import os
import socket
import statistics
import struct
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
import bmp_build as B  # noqa: E402
import harness  # noqa: E402

LD = os.path.join(ROOT, "processors", "leak_detect")
AMAZON = ["205.251.192.0/23", "205.251.194.0/23", "205.251.196.0/23",
          "205.251.198.0/23"]
PEER = ("10.0.0.3", 6939)
HIJACKER = 10297
LOCAL_AS = 64999


def pct(xs, p):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = (len(xs) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


class AlertReader(threading.Thread):
    """kcat on bmp.alert from its end; {key: (monotonic seen, record,
    kafka timestamp ms)} for the first record of each key."""

    def __init__(self, brokers, schemas):
        super().__init__(daemon=True)
        self.brokers, self.schemas = brokers, schemas
        self.seen = {}
        self.cv = threading.Condition()
        self.stopping = False
        self.restarts = 0
        self.p = None

    def _start(self):
        return subprocess.Popen(
            ["kcat", "-C", "-b", self.brokers, "-t", "bmp.alert", "-o",
             "end", "-u", "-q", "-X", "fetch.wait.max.ms=5",
             "-f", "%R%s%k\t%T\n"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def run(self):
        # kcat exits when bmp.alert does not exist yet (no alert so far):
        # start it again; the warm-up alerts cover that time.
        while not self.stopping:
            self.p = self._start()
            self._read(self.p.stdout)
            self.p.wait()
            if self.stopping:
                return
            self.restarts += 1
            time.sleep(0.2)

    def _read(self, f):
        while True:
            hdr = f.read(4)
            if len(hdr) < 4:
                return
            (n,) = struct.unpack(">I", hdr)
            value = f.read(n)
            line = f.readline().decode().rstrip("\n")
            now = time.monotonic()
            key, ts = line.split("\t")
            _, rec = self.schemas.decode(value)
            with self.cv:
                self.seen.setdefault(key, (now, rec, int(ts)))
                self.cv.notify_all()

    def wait(self, key, timeout):
        deadline = time.monotonic() + timeout
        with self.cv:
            while key not in self.seen:
                rest = deadline - time.monotonic()
                if rest <= 0:
                    return None
                self.cv.wait(rest)
            return self.seen[key]

    def stop(self):
        self.stopping = True
        if self.p is None:
            return
        harness.stop_process(self.p, timeout=10)


def metrics(port):
    try:
        return harness.scrape_metrics(port, timeout=5)
    except OSError:
        return {}


def subprefixes():
    """The 256 /29s of Route 53's 205.251.192.0/21."""
    out = []
    for base in range(192, 200, 2):
        for i in range(64):  # 256 /29s
            out.append("205.251.%d.%d/29" % (base + (i * 8) // 256,
                                              (i * 8) % 256))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("-n", type=int, default=200)
    ap.add_argument("--tick-ms", type=int, default=100)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--collector-kafka", action="append", default=[])
    ap.add_argument("--processor-kafka", action="append", default=[])
    args = ap.parse_args()
    schemas_dir = os.path.join(ROOT, "schemas")
    schemas = harness.Schemas(schemas_dir)
    col_extra = harness.kafka_flags(args.collector_kafka)
    proc_extra = harness.kafka_flags(args.processor_kafka)
    col = harness.Collector(os.path.join(args.build, "collector",
                                         "bmpflow-collector"),
                            schemas_dir, extra=col_extra)
    mport = harness.free_port()
    plog = open(os.path.join(col.dir, "processor.log"), "w")
    proc = subprocess.Popen(
        [os.path.join(args.build, "processors", "host", "bmpflow-processor"),
         "--plugin", "leak_detect", "--kafka-bootstrap-file",
         col.bootstrap_file, "--schema-dir", schemas_dir,
         "--metrics", "127.0.0.1:%d" % mport, "--tick-ms",
         str(args.tick_ms),
         "--set", "asrel_file=" + os.path.join(LD, "as-rel.example.txt"),
         "--set", "prefixes_file=" + os.path.join(LD, "prefixes.example.txt"),
         "--set", "roas_file=" + os.path.join(LD, "roas.example.json")] +
        proc_extra, stdout=plog, stderr=subprocess.STDOUT)
    reader = None
    router = None
    e2e, detect, kafka, lost = [], [], [], 0
    try:
        if not harness.wait_until(
                lambda: metrics(mport).get(
                    "bmpflow_processor_partitions_assigned", 0) > 0, 30):
            raise SystemExit("processor never got its partitions")
        reader = AlertReader(col.brokers, schemas)
        reader.start()
        router = socket.socket()
        router.bind(("127.0.0.2", 0))
        router.connect(("127.0.0.1", col.port))
        router.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        router.sendall(B.initiation("bench") +
                       B.peer_up(PEER[0], PEER[1], LOCAL_AS))
        for pfx in AMAZON:
            router.sendall(B.route(PEER[0], PEER[1], [pfx],
                                   as_path=[PEER[1], 16509]))
        prefixes = subprefixes()
        # Warm-up: new prefixes until the alerts of args.warmup in a row
        # are seen (the consumer and every Kafka client are running).
        row = 0
        deadline = time.monotonic() + 60
        while row < args.warmup:
            if not prefixes or time.monotonic() > deadline:
                raise SystemExit("warm-up: alerts not seen")
            pfx = prefixes.pop()
            router.sendall(B.route(PEER[0], PEER[1], [pfx],
                                   as_path=[PEER[1], HIJACKER]))
            row = row + 1 if reader.wait("subprefix_hijack|" + pfx, 5) \
                else 0
        if len(prefixes) < args.n:
            raise SystemExit("warm-up left %d prefixes, -n is %d (at "
                             "most 256 - warm-up)" % (len(prefixes),
                                                      args.n))
        for pfx in prefixes[:args.n]:
            msg = B.route(PEER[0], PEER[1], [pfx],
                          as_path=[PEER[1], HIJACKER])
            t_wall = time.time()
            t0 = time.monotonic()
            router.sendall(msg)
            got = reader.wait("subprefix_hijack|" + pfx, 10)
            if got is None:
                lost += 1
                continue
            seen, rec, ts = got
            e2e.append((seen - t0) * 1000)
            detect.append(rec["detection_latency_ms"])
            kafka.append(ts - t_wall * 1000)
            time.sleep(0.01)
    finally:
        if router is not None:
            router.close()
        if reader is not None:
            reader.stop()
        harness.stop_process(proc, timeout=30)
        plog.close()
        col.stop()
    print("leak_detect alert latency, %d alerts (%d lost, kcat restarts %d), "
          "tick %d ms, "
          "collector kafka %s, processor kafka %s" % (
              len(e2e), lost, reader.restarts if reader else 0,
              args.tick_ms, args.collector_kafka or
              "defaults", args.processor_kafka or "defaults"))
    for name, xs in (("e2e: BMP written -> alert consumed", e2e),
                     ("detection_latency_ms (collector rx -> emit)", detect),
                     ("Kafka timestamp - BMP written", kafka)):
        print("  %-45s median %7.1f ms  p99 %7.1f ms  max %7.1f ms" % (
            name, statistics.median(xs) if xs else float("nan"),
            pct(xs, 99), max(xs) if xs else float("nan")))
    return 0 if e2e and not lost else 1


if __name__ == "__main__":
    sys.exit(main())
