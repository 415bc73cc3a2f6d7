#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Who may connect, and how the collector is configured:
  - a config file sets keys, flags override it, --print-config shows it;
  - a bad config line or flag is refused with file:line and the reason;
  - routers outside the allow list are refused, logged and counted, while
    allowed ones stream normally;
  - sessions beyond max-sessions are refused, logged and counted;
  - a flood of refused connects is counted whole but logged in a bounded
    number of lines, whose "N similar lines suppressed" counts add up;
  - /metrics answers, other paths get 404."""

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402


def closed_by_peer(src, port, timeout=5):
    """Connect from src; True when the collector closes the session
    (within slow(timeout) seconds)."""
    s = socket.socket()
    s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    s.settimeout(harness.slow(timeout))
    try:
        return s.recv(1) == b""
    except (socket.timeout, ConnectionResetError):
        return False
    finally:
        s.close()


def main():
    args = harness.test_args()
    # Every wait together (15 s on an idle release build).
    ck = harness.Checks(budget=harness.slow(240))
    d = tempfile.mkdtemp(prefix="bmpflow-admission-")

    # Config file and flags.
    conf = os.path.join(d, "collector.conf")
    with open(conf, "w") as f:
        f.write("# test\nlisten = 127.0.0.1:5999\nmax_sessions = 7\n"
                "allow = 127.0.9.0/24\nkafka.linger.ms = 5\n"
                "queue-mbytes = 16\n")
    out = subprocess.run([args.collector, "--config", conf,
                          "--max-sessions", "9", "--print-config"],
                         capture_output=True, text=True)
    for want in ("listen = 127.0.0.1:5999", "max-sessions = 9",
                 "allow = 127.0.9.0/24", "kafka.linger.ms = 5",
                 "queue-mbytes = 16"):
        if want not in out.stdout:
            ck.fail("--print-config lacks '%s': %s" % (
                want, out.stdout))
    with open(conf, "a") as f:
        f.write("max-sessions = lots\n")
    out = subprocess.run([args.collector, "--config", conf],
                         capture_output=True, text=True)
    if out.returncode != 2 or "collector.conf:7: max-sessions 'lots'" \
            not in out.stderr:
        ck.fail("bad config line: rc %d, '%s'" % (
            out.returncode, out.stderr.strip()))
    out = subprocess.run([args.collector, "--allow", "300.1.2.3/8"],
                         capture_output=True, text=True)
    if out.returncode != 2 or "allow '300.1.2.3/8'" not in out.stderr:
        ck.fail("bad --allow: rc %d, '%s'" % (
            out.returncode, out.stderr.strip()))
    out = subprocess.run([args.collector, "--help"], capture_output=True,
                         text=True)
    if out.returncode != 0 or "--brokers" not in out.stdout:
        ck.fail("--help")

    capture = open(os.path.join(args.data, "bmp",
                                "cisco-xr7102-18peers-realtcp.bmp"),
                   "rb").read()
    col = harness.Collector(args.collector, args.schemas, extra=[
        "--allow", "127.0.9.0/24", "--allow", "::1", "--max-sessions", "3"])
    held = []
    try:
        if not closed_by_peer("127.0.8.1", col.port):
            ck.fail("router outside the allow list was not closed")
        # The router connects twice: a peer's epochs must keep growing.
        harness.replay(col.port, capture, source="127.0.9.1")
        harness.replay(col.port, capture, source="127.0.9.1")
        for i in range(3):
            s = socket.socket()
            s.bind(("127.0.9.%d" % (10 + i), 0))
            s.connect(("127.0.0.1", col.port))
            held.append(s)
        harness.wait_until(lambda: col.metrics()["bmpflow_sessions"] >= 3,
                           harness.slow(10), 0.05)
        if not closed_by_peer("127.0.9.20", col.port):
            ck.fail("4th session beyond max-sessions 3 not closed")
        for s in held:
            s.close()
        m = col.wait_delivered()
        log = col.read_log()
        for want in ("router 127.0.8.1 refused: source address not in the "
                     "allow list",
                     "router 127.0.9.20 refused: 3 sessions open, "
                     "max-sessions is 3"):
            ck.check(want in log, "log has '%s'" % want)
        checks = {'bmpflow_sessions_total{outcome="refused_allowlist"}': 1,
                  'bmpflow_sessions_total{outcome="refused_limit"}': 1,
                  'bmpflow_records_total{topic="bmp.route",'
                  'state="delivered"}': 2 * 236}
        for k, v in checks.items():
            ck.check(m[k] == v, "metric %s = %s, want %s" % (k, m[k], v))
        schemas = harness.Schemas(args.schemas)
        epochs = {}
        peer_recs = [r for _, _, r in harness.consume(col.brokers,
                                                      "bmp.peer", schemas)]
        ck.fail_all(harness.closed_epoch_problems(peer_recs))
        for r in peer_recs:
            if r["event"] == "up":
                epochs.setdefault(r["peer_address"], []).append(
                    r["peer_epoch"])
        grew = [a for a, e in epochs.items() if len(e) == 2 and e[1] > e[0]]
        if len(epochs) != 18 or len(grew) != 18:
            ck.fail("peer epochs across a reconnect: %s" % epochs)
        print("reconnect: %d peers, each with a larger epoch in the second "
              "session (e.g. %s)" % (len(grew), epochs.get(grew[0]) if grew
                                     else None))
        try:
            urllib.request.urlopen("http://127.0.0.1:%d/other" %
                                   col.metrics_port,
                                   timeout=harness.slow(5))
            ck.fail("/other did not 404")
        except urllib.error.HTTPError as e:
            if e.code != 404:
                ck.fail("/other gave %d" % e.code)
        print("allow list and max-sessions: %d refused by allow list, %d by "
              "limit, %d route records from the allowed router" % (
                  m['bmpflow_sessions_total{outcome="refused_allowlist"}'],
                  m['bmpflow_sessions_total{outcome="refused_limit"}'],
                  m['bmpflow_records_total{topic="bmp.route",'
                    'state="delivered"}']))
        peer_limit_summed(args, capture, ck)
        refused_flood(args, ck)
    finally:
        rc = ck.finish(col=col, summary="admission")
    return rc


def peer_limit_summed(args, capture, ck):
    """max-peers 4 against an 18-peer router, twice from two addresses:
    the refused-peer count is the sum over sessions (it was the largest
    session's count), and SIGHUP leaves the collector running.  It also
    listens on every address with no allow list: a loud warning."""
    key = 'bmpflow_decode_errors_total{kind="peer_limit"}'
    col = harness.Collector(args.collector, args.schemas,
                            extra=["--max-peers", "4", "--listen",
                                   "0.0.0.0:%d" % harness.free_port()])
    try:
        ck.check("every address, with no allow list" in col.read_log(),
                 "warned: BMP on every address with no allow list")
        harness.replay(col.port, capture, source="127.0.9.1")
        one = col.wait_delivered()[key]
        col.proc.send_signal(signal.SIGHUP)
        harness.replay(col.port, capture, source="127.0.9.2")
        both = col.wait_delivered()[key]
        ck.check(one > 0 and both == 2 * one, "peer_limit refusals summed "
                 "over sessions: %s after one, %s after both" % (one, both))
        ck.check(col.proc.poll() is None and "SIGHUP ignored" in
                 col.read_log(), "SIGHUP logged and ignored, the collector "
                 "still running")
    finally:
        col.stop()
        harness.remove_dirs(col.dir, None)


FLOOD = 2000


def refused_flood(args, ck):
    """2,000 connects from outside the allow list (issue 11: 28,648 refused
    connects gave 28,648 lines): the metric counts every one, the log holds
    the burst, then counts; the lines and the counts add up to 2,000."""
    key = 'bmpflow_sessions_total{outcome="refused_allowlist"}'
    col = harness.Collector(args.collector, args.schemas,
                            extra=["--allow", "127.0.9.0/24"])
    try:
        t0 = time.time()
        for batch in range(0, FLOOD, 200):
            for _ in range(200):
                s = socket.socket()
                s.bind(("127.0.8.2", 0))
                s.connect(("127.0.0.1", col.port))
                s.close()
            # Within the listen backlog: no connect is lost to it.
            harness.wait_until(lambda: col.metrics()[key] >= batch + 200,
                               harness.slow(30), 0.05)
        refused = col.metrics()[key]
        ck.check(refused == FLOOD, "all %d refused connects counted: %d" % (
            FLOOD, refused))

        def tally():
            log = col.read_log()
            lines = log.count("router 127.0.8.2 refused: source address")
            counted = sum(int(a or b) for a, b in re.findall(
                r"127\.0\.8\.2: (\d+) similar lines suppressed|"
                r"127\.0\.8\.2 refused: .*\((\d+) similar lines "
                r"suppressed", log))
            return lines, counted
        # The count comes when the limit lets a line through again.
        harness.wait_until(lambda: sum(tally()) >= FLOOD, harness.slow(60))
        lines, counted = tally()
        written = col.read_log().count("127.0.8.2")
        ck.check(lines + counted == FLOOD and written < 50,
                 "%d refused connects: %d log lines (%d of them the "
                 "refusal), %d counted as suppressed, in %.1f s" % (
                     FLOOD, written, lines, counted, time.time() - t0))
    finally:
        col.stop()
        harness.remove_dirs(col.dir, None)


if __name__ == "__main__":
    sys.exit(main())
