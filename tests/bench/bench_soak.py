#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Soak benchmark (a program, not a test; issue 11): bmpflow-collector
under hours-like churn squeezed into minutes.

  bench_soak.py --build DIR [--minutes 10] [--sessions 100]
      [--capture cisco-xr7102-18peers-realtcp.bmp] [--data ../shared/data]

Kafka is bmpflow-mock-kafka in its own process, so the collector's memory
is its own.  For --minutes:
  - --sessions good routers (127.0.30.N) each connect, send a real
    capture, stay up 0.5-5 s (peers flap with the session) and close, over
    and over;
  - every second a mutated stream (a random capture of --data with bytes
    flipped, cut short, a stretch repeated or garbage put in) comes from
    127.0.31.N and is closed.
bmpflow-tail follows bmp.route the whole time and counts records per
router.  At the end it prints connections, records, decode errors and
session closes by kind, RSS (idle base, after the warm-up minute, peak,
after all closed) and open descriptors, and checks:
  - every good router's route records = sessions it completed x the
    capture's prefix records (nothing lost, nothing doubled);
  - no record failed; produced = delivered;
  - descriptors back to the idle count; RSS after all sessions closed
    within 32 MiB of RSS after the warm-up minute (memory back to its
    base: caches librdkafka and malloc keep once warm do not count).
Exit status 0 when every check held."""

import argparse
import glob
import os
import random
import re
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "e2e"))
import harness  # noqa: E402

TOPICS = ("bmp.router", "bmp.peer", "bmp.route", "bmp.stats", "bmp.raw")
RSS_SLACK_MIB = 32
ROUTER_RE = re.compile(rb'"router_address": ?"([^"]+)"')


def rss_kib(pid):
    return harness.proc_status_kib(pid, "VmRSS")


def fds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def mutate(rng, data):
    """One of: bytes flipped, cut short, a stretch repeated, garbage in."""
    b = bytearray(data)
    kind = rng.randrange(4)
    if kind == 0:
        for _ in range(rng.randint(1, 32)):
            b[rng.randrange(len(b))] = rng.randrange(256)
    elif kind == 1:
        del b[rng.randrange(1, len(b)):]
    elif kind == 2:
        i = rng.randrange(len(b))
        b[i:i] = b[i:i + rng.randint(1, 4096)]
    else:
        i = rng.randrange(len(b))
        b[i:i] = os.urandom(rng.randint(1, 512))
    return bytes(b)


class Counter:
    """bmpflow-tail following bmp.route; route records per router."""

    def __init__(self, tail, col, schemas):
        self.by_router = {}
        self.lines = 0
        self.proc = subprocess.Popen(
            [tail, "-B", col.bootstrap_file, "-t", "route", "-f",
             "--from-beginning", "--schema-dir", schemas],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.thread = threading.Thread(target=self.read, daemon=True)
        self.thread.start()

    def read(self):
        for line in self.proc.stdout:
            m = ROUTER_RE.search(line)
            if m:
                k = m.group(1).decode()
                self.by_router[k] = self.by_router.get(k, 0) + 1
            self.lines += 1

    def wait_steady(self, want, timeout):
        """Until want lines are read, or no new line for 5 s."""
        deadline = time.time() + timeout
        last, since = -1, time.time()
        while time.time() < deadline and self.lines < want:
            if self.lines != last:
                last, since = self.lines, time.time()
            elif time.time() - since > 5:
                break
            time.sleep(0.2)

    def stop(self):
        harness.stop_process(self.proc, timeout=10)


def good_router(port, src, data, until, done, rng):
    while time.time() < until:
        try:
            s = socket.socket()
            s.bind((src, 0))
            s.connect(("127.0.0.1", port))
            s.sendall(data)
            time.sleep(rng.uniform(0.5, 5))
            s.close()
            done[src] = done.get(src, 0) + 1
        except OSError as e:
            print("router %s: %s" % (src, e), flush=True)
            time.sleep(1)


def bad_routers(port, captures, until, stats, rng):
    k = 0
    while time.time() < until:
        t0 = time.time()
        src = "127.0.31.%d" % (k % 250 + 1)
        k += 1
        try:
            s = socket.socket()
            s.bind((src, 0))
            s.settimeout(5)
            s.connect(("127.0.0.1", port))
            s.sendall(mutate(rng, rng.choice(captures)))
            s.close()
            stats["sent"] += 1
        except OSError:
            stats["refused"] += 1
        time.sleep(max(0.0, 1 - (time.time() - t0)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--build", required=True, help="CMake build directory")
    ap.add_argument("--data", default=os.path.join(here, "..", "..", "..",
                                                   "shared", "data"))
    ap.add_argument("--schemas", default=os.path.join(here, "..", "..",
                                                      "schemas"))
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--sessions", type=int, default=100)
    ap.add_argument("--capture", default="cisco-xr7102-18peers-realtcp.bmp")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    collector = os.path.join(a.build, "collector", "bmpflow-collector")
    decode = os.path.join(a.build, "collector", "bmpflow-decode")
    tail = os.path.join(a.build, "collector", "bmpflow-tail")
    mock_bin = os.path.join(a.build, "tests", "bmpflow-mock-kafka")
    rng = random.Random(a.seed)
    path = os.path.join(a.data, "bmp", a.capture)
    data = open(path, "rb").read()
    n, _ = harness.decoder_summary(decode, path)
    per_session = n["prefixes announced"] + n["withdrawn"]
    captures = [open(f, "rb").read() for f in
                sorted(glob.glob(os.path.join(a.data, "bmp", "*.bmp")))]
    ck = harness.Checks()

    mock = harness.MockKafka(mock_bin, TOPICS, 8)
    col = harness.Collector(collector, a.schemas, extra=[
        "--brokers", mock.brokers, "--max-sessions",
        str(a.sessions + 300)])
    pid = col.proc.pid
    counter = Counter(tail, col, a.schemas)
    try:
        time.sleep(2)
        base_rss, base_fds = rss_kib(pid), fds(pid)
        until = time.time() + a.minutes * 60
        done, bad = {}, {"sent": 0, "refused": 0}
        threads = [threading.Thread(target=good_router, args=(
            col.port, "127.0.30.%d" % (i + 1), data, until, done,
            random.Random(a.seed * 1000 + i)), daemon=True)
            for i in range(a.sessions)]
        threads.append(threading.Thread(target=bad_routers, args=(
            col.port, captures, until, bad, rng), daemon=True))
        for t in threads:
            t.start()
        peak, warm_rss = 0, None
        t_start = time.time()
        while any(t.is_alive() for t in threads):
            peak = max(peak, rss_kib(pid))
            if warm_rss is None and time.time() - t_start > 60:
                warm_rss = rss_kib(pid)
            time.sleep(1)
        m = col.wait_delivered(timeout=300)
        sessions = sum(done.values())
        counter.wait_steady(sessions * per_session, 300)
        time.sleep(2)
        end_rss, end_fds = rss_kib(pid), fds(pid)
        warm_rss = warm_rss or base_rss
        m = col.metrics()
    finally:
        counter.stop()
        col.stop()
        mock.stop()

    wrong = {src: (counter.by_router.get(src, 0), k * per_session)
             for src, k in done.items()
             if counter.by_router.get(src, 0) != k * per_session}

    def total(prefix, label=""):
        return sum(v for k, v in m.items()
                   if k.startswith(prefix) and label in k)
    print("soak: %.1f min, %d good routers: %d sessions (%d route records "
          "each), %d mutated streams (%d refused)" % (
              a.minutes, a.sessions, sessions, per_session, bad["sent"],
              bad["refused"]))
    print("records: produced %d, delivered %d, failed %d; bmp.route read "
          "back %d" % (total("bmpflow_records_total", "produced"),
                       total("bmpflow_records_total", "delivered"),
                       total("bmpflow_records_total", "failed"),
                       counter.lines))
    print("decode errors: %s" % {k.split('"')[1]: int(v) for k, v in
                                 m.items() if k.startswith(
                                     "bmpflow_decode_errors_total") and v})
    print("sessions closed: %s" % {k.split('"')[1]: int(v) for k, v in
                                   m.items() if k.startswith(
                                       "bmpflow_sessions_closed_total")
                                   and v})
    print("RSS: idle %.1f MiB, after the warm-up minute %.1f, peak %.1f, "
          "after all closed %.1f; fds: idle %d, after %d" % (
              base_rss / 1024, warm_rss / 1024, peak / 1024, end_rss / 1024,
              base_fds, end_fds))
    ck.check(sessions > 0 and not wrong, "every good router's route "
             "records = sessions x %d (wrong: %s)" % (
                 per_session, list(wrong.items())[:5]))
    ck.check(total("bmpflow_records_total", "failed") == 0 and
             total("bmpflow_records_total", "produced") ==
             total("bmpflow_records_total", "delivered"),
             "no record failed, produced = delivered")
    ck.check(end_fds == base_fds, "descriptors back to %d (%d)" % (
        base_fds, end_fds))
    ck.check(end_rss <= warm_rss + RSS_SLACK_MIB * 1024,
             "RSS after all closed within %d MiB of the warm base" %
             RSS_SLACK_MIB)
    return ck.finish("soak")


if __name__ == "__main__":
    sys.exit(main())
