#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Bad input against bmpflow-collector, while a healthy router session
streams a real capture at the same time.  Each bad session must produce a
clear log line naming the router and what was wrong, move the right
metric, and leave the healthy session's records complete."""

import collections
import os
import socket
import struct
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bmp_build  # noqa: E402
import harness  # noqa: E402


def send_raw(col, src, data, reset=False):
    s = socket.socket()
    s.bind((src, 0))
    s.connect(("127.0.0.1", col.port))
    s.sendall(data)
    if reset:
        # An RST may overtake unread bytes: first the collector reads
        # the Initiation, and the message after it in the same segment.
        if not harness.wait_until(lambda: "router %s: initiation" % src
                                  in col.read_log(), harness.slow(10), 0.05):
            raise RuntimeError("%s: Initiation never read" % src)
        # RST instead of FIN: the connection drops mid-message.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                     struct.pack("ii", 1, 0))
    s.close()


def main():
    args = harness.test_args()
    healthy_path = os.path.join(args.data, "bmp",
                                "multivendor-14routers.s15.bmp")
    healthy = open(healthy_path, "rb").read()
    schemas = harness.Schemas(args.schemas)
    col = harness.Collector(args.collector, args.schemas,
                            extra=["--max-message-size", "65536"])
    init = bmp_build.initiation("bad-router")
    # Malformed on purpose, so by hand: a Peer Up with a per-peer header
    # but a body too short for its OPENs.
    bad_peer_up = struct.pack(">BIB", 3, 6 + 42 + 20, 3) + bytes(42 + 20)
    cases = [
        # (source, bytes, reset, log phrase, metric kind)
        ("127.0.2.1", os.urandom(64).replace(b"\x03", b"\x07"), False,
         "unsupported BMP version", "framing"),
        ("127.0.2.2", b"\x04" + healthy[1:200], False,
         "unsupported BMP version 4", "framing"),
        ("127.0.2.3", init + struct.pack(">BIB", 3, 0x7FFFFFFF, 0) +
         bytes(100), False, "65536", "framing"),
        ("127.0.2.4", init + healthy[:1000], False,
         "connection closed inside a message", "truncated"),
        ("127.0.2.5", init + healthy[:777], True,
         "", "truncated"),
        ("127.0.2.6", init + bad_peer_up + init, False,
         "peer_up message at offset", "message"),
    ]
    # Every wait together (5 s on an idle release build).
    ck = harness.Checks(budget=harness.slow(180))
    try:
        before = col.metrics()
        t = threading.Thread(target=harness.replay,
                             args=(col.port, healthy, "127.0.2.100", 997))
        t.start()
        for src, data, reset, _, _ in cases:
            send_raw(col, src, data, reset)
        t.join()
        after = col.wait_delivered()
        log = col.read_log()
        for src, _, _, phrase, kind in cases:
            lines = [l for l in log.splitlines() if "router %s" % src in l]
            if not any(phrase in l for l in lines if "warn" in l or
                       "error" in l or phrase == ""):
                ck.fail("%s: no log line with '%s'; got %s" % (
                    src, phrase, lines))
            else:
                hit = [l for l in lines if phrase in l and ("warn" in l or
                       "error" in l)] or lines
                print("%-11s %-10s %s" % (src, kind, hit[0][25:160]))
        for kind, n in collections.Counter(c[4] for c in cases).items():
            k = 'bmpflow_decode_errors_total{kind="%s"}' % kind
            if after[k] - before[k] < n:
                ck.fail("metric %s rose by %d, want >= %d" % (
                    k, after[k] - before[k], n))
        recs = collections.Counter()
        for t_ in ("route", "peer", "stats"):
            got = [r for _, _, r in harness.consume(col.brokers, "bmp." + t_,
                                                    schemas)]
            if t_ == "peer":
                ck.fail_all(harness.closed_epoch_problems(got))
                got = harness.split_peer_events(got)[0]
            for rec in got:
                recs[(t_, rec["router_address"])] += 1
        n, _ = harness.decoder_summary(args.decode, healthy_path)
        want = {"route": n["prefixes announced"] + n["withdrawn"],
                "peer": n["peer_up"] + n["peer_down"], "stats": n["stats"]}
        for t_, w in want.items():
            got = recs[(t_, "127.0.2.100")]
            print("healthy session bmp.%s: %d records (decoder: %d)" % (
                t_, got, w))
            if got != w:
                ck.fail("healthy session lost bmp.%s records: %d "
                        "of %d" % (t_, got, w))
        if recs[("route", "127.0.2.6")] != 0:
            ck.fail("bad Peer Up produced route records")
    finally:
        rc = ck.finish(col=col, summary="bad input: %d cases" % len(cases))
    return rc


if __name__ == "__main__":
    sys.exit(main())
