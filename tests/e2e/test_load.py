#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""1,000 concurrent router sessions against bmpflow-collector.

Every session comes from its own loopback address (127.0.3.1 ...
127.0.6.250) and replays a real capture from DATA/bmp: most replay
cisco-xr7102-18peers-realtcp.bmp (236 route records), the rest a few small
captures with withdrawals, Peer Down and Statistics Reports.  All 1,000
connections are opened first and held at once (the collector's /metrics
must show bmpflow_sessions == 1000), then every capture is sent over
non-blocking sockets multiplexed with selectors, and every session is
closed.  Checks:
  - bmp.route, bmp.peer, bmp.stats and bmp.router hold, per router
    address, exactly the decoder's counts for that router's capture;
  - the collector's file descriptors (/proc/PID/fd) at their peak stay
    within sessions + FD_OVERHEAD;
  - the collector's peak RSS (VmHWM) stays under RSS_LIMIT_MIB (it holds
    the embedded Kafka's log too: every record of the test).
With BMPFLOW_TEST_KAFKA=real the collector produces to the shared real
1-node cluster (harness.Collector) instead."""

import collections
import os
import resource
import selectors
import shutil
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

SESSIONS = 1000
# Collector fds besides one per session: stdio, epoll and its eventfds,
# two listeners, the metrics server, librdkafka's threads' pipes and the
# embedded Kafka broker's sockets.  Measured: 26 idle, 26 + sessions at
# the peak.
FD_OVERHEAD = 64
RSS_LIMIT_MIB = 512
# Sanitizer builds (BMPFLOW_SANITIZED=1 from ctest) carry shadow memory and
# a quarantine: the memory bound is checked in the release build only.
if harness.SANITIZED:
    RSS_LIMIT_MIB *= 8
# Capture mix: (file, share of sessions out of 20).
MIX = [
    ("cisco-xr7102-18peers-realtcp.bmp", 12),
    ("evpn-l3vpn-stats-peerdown.s0.bmp", 3),
    ("frr108-locrib-3routers.s8.bmp", 3),
    ("multivendor-14routers.s24.bmp", 2),
]


def source(i):
    return "127.0.%d.%d" % (3 + i // 250, 1 + i % 250)


def raise_nofile(want):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= want:
        return soft
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE,
                           (want, max(hard, want)))
    except (ValueError, OSError):
        # Not privileged: the hard limit is as far as we may go.
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


class Sampler(threading.Thread):
    """Peak fd count of a process, sampled every 20 ms."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0
        self.halt = threading.Event()

    def sample(self):
        try:
            n = len(os.listdir("/proc/%d/fd" % self.pid))
        except OSError:
            return
        self.peak = max(self.peak, n)

    def run(self):
        while not self.halt.is_set():
            self.sample()
            time.sleep(0.02)


def wait_metric(col, key, want, timeout):
    deadline = time.time() + timeout
    while True:
        m = col.metrics()
        if m[key] == want or time.time() > deadline:
            return m
        time.sleep(0.05)


def open_all(port, n):
    socks = []
    for i in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((source(i), 0))
        s.settimeout(harness.slow(30))
        s.connect(("127.0.0.1", port))
        s.setblocking(False)
        socks.append(s)
    return socks


def send_all(socks, payloads, timeout):
    """Send every payload on its socket, half-close, and wait for the
    collector to close its side (it read everything).  Returns the
    number of sessions not finished in time and of sessions reset."""
    sel = selectors.DefaultSelector()
    state = {}
    for s, data in zip(socks, payloads):
        state[s.fileno()] = [s, memoryview(data), 0]
        sel.register(s, selectors.EVENT_WRITE)
    left = len(socks)
    reset = 0
    deadline = time.time() + timeout
    while left and time.time() < deadline:
        for key, ev in sel.select(timeout=1.0):
            st = state[key.fd]
            s, data, off = st
            if ev & selectors.EVENT_WRITE:
                try:
                    off += s.send(data[off:off + 8192])
                    st[2] = off
                    if off == len(data):
                        s.shutdown(socket.SHUT_WR)
                        sel.modify(s, selectors.EVENT_READ)
                except BlockingIOError:
                    continue
                except OSError:
                    # Reset by the collector: counts will tell.
                    sel.unregister(s)
                    s.close()
                    left -= 1
                    reset += 1
            else:
                try:
                    chunk = s.recv(4096)
                except BlockingIOError:
                    continue
                except OSError:
                    chunk = b""
                if not chunk:
                    sel.unregister(s)
                    s.close()
                    left -= 1
    for key in list(sel.get_map().values()):
        key.fileobj.close()
    sel.close()
    return left, reset


def main():
    args = harness.test_args()
    # Every wait together (28 s on an idle release build).
    ck = harness.Checks(budget=harness.slow(300))
    limit = raise_nofile(SESSIONS * 2 + 512)
    if limit < SESSIONS * 2 + 256:
        ck.fail("RLIMIT_NOFILE is %d, cannot hold %d sessions on both "
                "sides" % (limit, SESSIONS))
        return ck.finish("load")
    plan = [f for f, share in MIX for _ in range(share)]
    captures = {}
    want = {}
    for f, _ in MIX:
        path = os.path.join(args.data, "bmp", f)
        captures[f] = open(path, "rb").read()
        n, _ = harness.decoder_summary(args.decode, path)
        want[f] = {
            "route": n["prefixes announced"] + n["withdrawn"],
            "peer": n["peer_up"] + n["peer_down"],
            "peer end_of_rib": n["end-of-rib"],
            "router": 2 + n["initiation"] + n["termination"],
            "stats": n["stats"],
        }
    assign = [plan[i % len(plan)] for i in range(SESSIONS)]
    total_bytes = sum(len(captures[f]) for f in assign)

    schemas = harness.Schemas(args.schemas)
    t0 = time.time()
    col = harness.Collector(args.collector, args.schemas, extra=[
        "--max-sessions", str(SESSIONS + 200),
        "--embedded-partitions", "64"])
    pid = col.proc.pid
    sampler = Sampler(pid)
    sampler.start()
    socks = []
    try:
        fd_idle = len(os.listdir("/proc/%d/fd" % pid))
        socks = open_all(col.port, SESSIONS)
        m = wait_metric(col, "bmpflow_sessions", SESSIONS,
                        harness.slow(30))
        sampler.sample()
        fd_open = len(os.listdir("/proc/%d/fd" % pid))
        print("all %d connections open: collector bmpflow_sessions %d, "
              "%d fds (%d idle)" % (SESSIONS, m["bmpflow_sessions"],
                                    fd_open, fd_idle))
        if m["bmpflow_sessions"] != SESSIONS:
            ck.fail("bmpflow_sessions is %d with %d connections "
                    "open" % (m["bmpflow_sessions"], SESSIONS))
        t_send = time.time()
        left, reset = send_all(socks, [captures[f] for f in assign],
                               harness.slow(180))
        socks = []
        if reset:
            ck.fail("%d sessions reset by the collector" % reset)
        if left:
            ck.fail("%d sessions not closed by the collector "
                    "within %d s" % (left, harness.slow(180)))
        m = col.wait_delivered()
        t_done = time.time()
        sampler.halt.set()
        sampler.join()
        hwm = harness.vm_hwm_kib(pid)
        recs = collections.Counter()
        for t in ("route", "peer", "router", "stats"):
            got = harness.consume(col.brokers, "bmp." + t, schemas)
            for _, name, rec in got:
                if name != t:
                    ck.fail("bmp.%s holds a %s record" % (t, name))
            got = [r for _, _, r in got]
            if t == "peer":
                ck.fail_all(harness.closed_epoch_problems(got))
                for rec in got:
                    if rec["event"] == "end_of_rib":
                        recs[("peer end_of_rib", rec["router_address"])] += 1
                n_opened = sum(map(harness.opened_by_collector, got))
                got, closed = harness.split_peer_events(got)
                n_closed = len(closed)
            for rec in got:
                recs[(t, rec["router_address"])] += 1
        wrong = 0
        for i, f in enumerate(assign):
            for t, w in want[f].items():
                got = recs.pop((t, source(i)), 0)
                if got != w:
                    wrong += 1
                    if wrong <= 10:
                        ck.fail("router %s (%s): bmp.%s has %d "
                                "records, decoder counts %d" % (
                                    source(i), f, t, got, w))
        if wrong > 10:
            ck.fail("... %d router/topic counts wrong in all" %
                    wrong)
        if recs:
            ck.fail("records from unknown routers: %s" %
                    list(recs.items())[:5])
        n_route = sum(want[f]["route"] for f in assign)
        n_all = sum(sum(want[f].values()) for f in assign)
        # bmp.route.state repeats the route records (test_route_state).
        produced = sum(v for k, v in m.items()
                       if k.startswith("bmpflow_records_total") and
                       'state="produced"' in k and "route.state" not in k)
        failed = sum(v for k, v in m.items()
                     if k.startswith("bmpflow_records_total") and
                     'state="failed"' in k)
        if failed:
            ck.fail("collector counts %d failed records" % failed)
        if m['bmpflow_sessions_total{outcome="accepted"}'] != SESSIONS or \
                m['bmpflow_sessions_total{outcome="refused_limit"}']:
            ck.fail("sessions accepted %d, refused_limit %d" % (
                m['bmpflow_sessions_total{outcome="accepted"}'],
                m['bmpflow_sessions_total{outcome="refused_limit"}']))
        errs = sum(v for k, v in m.items()
                   if k.startswith("bmpflow_decode_errors_total"))
        if errs:
            ck.fail("collector counts %d decode errors" % errs)
        secs = t_done - t_send
        print("sent %.1f MB in %d sessions; %d records (%d route) produced "
              "and delivered in %.1f s: %.0f records/s" % (
                  total_bytes / 1e6, SESSIONS, produced, n_route, secs,
                  produced / secs))
        print("collector peak: %d fds (bound %d = %d sessions + %d), "
              "VmHWM %.1f MiB (bound %d MiB)" % (
                  sampler.peak, SESSIONS + FD_OVERHEAD, SESSIONS,
                  FD_OVERHEAD, hwm / 1024, RSS_LIMIT_MIB))
        # Plus one Peer Down per peer still up when its session closed,
        # and a Peer Up per epoch opened at a route (no Peer Up sent).
        if produced != n_all + n_closed + n_opened:
            ck.fail("collector produced %d records, decoder counts "
                    "%d + %d session-closed Peer Downs + %d Peer Ups of "
                    "epochs opened at a route" % (
                        produced, n_all, n_closed, n_opened))
        if sampler.peak > SESSIONS + FD_OVERHEAD:
            ck.fail("collector peak fds %d > %d" % (
                sampler.peak, SESSIONS + FD_OVERHEAD))
        if sampler.peak < SESSIONS:
            ck.fail("collector peak fds %d < %d sessions: the "
                    "sampler missed the peak" % (sampler.peak,
                                                  SESSIONS))
        if hwm > RSS_LIMIT_MIB * 1024:
            ck.fail("collector VmHWM %.1f MiB > %d MiB" % (
                hwm / 1024, RSS_LIMIT_MIB))
    except Exception as e:  # noqa: BLE001 - reported as a failure
        ck.fail("%s: %s" % (type(e).__name__, e))
    finally:
        sampler.halt.set()
        for s in socks:
            s.close()
        rc = col.stop()
        log = col.read_log()
        harness_dir = col.dir
    if rc != 0:
        ck.fail("collector exit status %s" % rc)
    # A real broker just started may still load its transaction state
    # when the idempotent producer asks for its id: librdkafka retries.
    bad = [l for l in log.splitlines() if (" error " in l or " warn " in l)
           and "Coordinator load in progress: retrying" not in l]
    for l in bad[:5]:
        ck.fail("collector log: %s" % l)
    shutil.rmtree(harness_dir, ignore_errors=True)
    return ck.finish("load: %d sessions, %.0f s" % (
        SESSIONS, time.time() - t0))


if __name__ == "__main__":
    sys.exit(main())
