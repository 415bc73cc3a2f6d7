#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The README's "Replaying bmp.raw into a fresh processor", run:
  1. captures of four vendors (Cisco IOS XR, Huawei VRP with type-100
     messages and a cut last message, Juniper, FRR) go to collector A with
     raw = true, each from its own loopback address;
  2. bmpflow-tail -t raw --from-beginning --bmp --router ADDR rebuilds each
     router's stream: byte for byte the capture, or for the cut capture
     the whole messages before the cut (what A read as messages);
  3. the rebuilt streams go to collector B on the same Kafka with
     --topic-prefix replay., over sessions kept open;
  4. bmpflow-processor --plugin prefix_health --topic-prefix replay. with a
     new group reads all of replay.route and replay.peer, none stale by
     epoch, emits prefix_health records and stops cleanly;
  5. once B's sessions closed, per router, replay.route holds the same
     route records as bmp.route and replay.peer the same peer records (as
     multisets; router address, receive time and peer epoch aside)."""

import collections
import json
import os
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

CAPTURES = [
    "cisco-xr7102-18peers-realtcp.bmp",
    "huawei-vrp8210-routepolicy-type100-truncated.bmp",
    "multivendor-14routers.s23.bmp",  # Juniper MX204
    "frr801-6wind-peerdown.bmp",
]
# Fields that name the session or the moment, not what the router sent.
SESSION_FIELDS = ("router_address", "collector_time_us", "peer_epoch")


def whole_messages(data):
    """The prefix of data made of whole BMP messages (common header length
    walk): what a collector reads as messages before a cut."""
    off = 0
    while off + 6 <= len(data):
        (n,) = struct.unpack(">I", data[off + 1:off + 5])
        if n < 6 or off + n > len(data):
            break
        off += n
    return data[:off]


def first_difference(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return min(len(a), len(b))


def by_router(recs):
    """[(key, schema, record)] -> {router: Counter of the records without
    their SESSION_FIELDS, as sorted JSON}."""
    out = collections.defaultdict(collections.Counter)
    for _, _, r in recs:
        v = {k: x for k, x in r.items() if k not in SESSION_FIELDS}
        out[r["router_address"]][json.dumps(v, sort_keys=True,
                                            default=repr)] += 1
    return out


def from_routers(peer_recs):
    """The bmp.peer records of the routers' own messages: all but the
    collector's Peer Downs at session close."""
    return [r for r in peer_recs
            if r.get("down_reason") != harness.SESSION_CLOSED]


def may_be_stale(recs):
    """How many records a processor may drop as stale by epoch: route
    records of epochs the routers' own Peer Up and Down messages closed (a
    later Peer Up of the peer, or its Peer Down; dropped when the closing
    record is read first), and any of the routers' own peer records (Peer
    Up, Down, End-of-RIB: an older or repeated epoch: views of one peer
    share its key, Loc-RIB Peer Ups an epoch, and a route read before its
    Peer Up opens the epoch).  Peers are keyed as the processor host keys
    them."""
    def peer(r):
        return (r["router_address"], r["peer_type"], r["peer_address"],
                r["peer_rd"])
    events = from_routers([r for _, _, r in recs["peer"]])
    newest = collections.defaultdict(int)
    downs = set()
    for r in events:
        newest[peer(r)] = max(newest[peer(r)], r["peer_epoch"])
        if r["event"] == "down":
            downs.add(peer(r) + (r["peer_epoch"],))
    return len(events) + sum(1 for _, _, r in recs["route"]
                             if r["peer_epoch"] < newest[peer(r)] or
                             peer(r) + (r["peer_epoch"],) in downs)


def tail_bmp(tail, col, router, schemas, timeout):
    return subprocess.run(
        [tail, "--kafka-bootstrap-file", col.bootstrap_file, "-t", "raw",
         "--from-beginning", "--bmp", "--router", router, "--schema-dir",
         schemas], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        timeout=timeout)


def main():
    args = harness.test_args("--tail", "--processor")
    ck = harness.Checks(budget=harness.slow(240))
    schemas = harness.Schemas(args.schemas)
    t0 = time.time()
    a = harness.Collector(args.collector, args.schemas,
                          extra=["--raw", "true"])
    b = None
    proc = None
    routers = []
    m = None
    try:
        # 1. The captures into A, odd-sized writes for every other one.
        srcs = {}
        for i, name in enumerate(CAPTURES):
            data = open(os.path.join(args.data, "bmp", name), "rb").read()
            src = "127.0.1.%d" % (i + 1)
            srcs[src] = (name, data)
            harness.replay(a.port, data, source=src,
                           chunk=977 if i % 2 else None)
        a.wait_delivered(timeout=ck.left(harness.slow(60)))

        # 2. Each router's stream back from bmp.raw.
        rebuilt = {}
        for src, (name, data) in srcs.items():
            out = tail_bmp(args.tail, a, src, args.schemas, ck.left(harness.slow(60)))
            want = whole_messages(data)
            got = out.stdout
            rebuilt[src] = got
            harness.note("%-50s %7d bytes, %7d whole, %7d rebuilt (%s)" % (
                name, len(data), len(want), len(got),
                out.stderr.decode().strip()))
            if out.returncode != 0:
                ck.fail("%s: bmpflow-tail exit %d: %s" % (
                    name, out.returncode, out.stderr.decode()[-300:]))
            if got != want:
                ck.fail("%s: rebuilt stream differs from the capture's %d "
                        "bytes of whole messages: %d bytes, first "
                        "difference at byte %d" % (
                            name, len(want), len(got),
                            first_difference(got, want)))
        # --bmp on a topic of Avro records is refused, saying so.
        out = subprocess.run(
            [args.tail, "--kafka-bootstrap-file", a.bootstrap_file, "-t",
             "route", "--bmp", "--schema-dir", args.schemas],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            timeout=harness.slow(30))
        if out.returncode != 2 or out.stdout or \
                b"only a raw topic" not in out.stderr:
            ck.fail("bmpflow-tail -t route --bmp: exit %d, %d bytes out, "
                    "stderr %r" % (out.returncode, len(out.stdout),
                                   out.stderr[-200:]))
        cut = [n for n, d in srcs.values() if len(whole_messages(d)) <
               len(d)]
        if cut != ["huawei-vrp8210-routepolicy-type100-truncated.bmp"]:
            ck.fail("captures with a cut last message: %s" % cut)

        # A BMP message near max-message-size (16 TLVs of 64,000 bytes,
        # 1,024,070 bytes) fits a raw record: librdkafka's default
        # message.max.bytes (1,000,000) dropped it.
        big = struct.pack(">BIB", 3, 6 + 16 * 64004, 4) + \
            (struct.pack(">HH", 0, 64000) + b"x" * 64000) * 16
        failed = 'bmpflow_records_total{topic="bmp.raw",state="failed"}'
        before = a.metrics()[failed]
        harness.replay(a.port, big, source="127.0.1.250")
        a.wait_delivered(timeout=ck.left(harness.slow(60)))
        out = tail_bmp(args.tail, a, "127.0.1.250", args.schemas,
                       ck.left(harness.slow(60)))
        ck.check(out.stdout == big and a.metrics()[failed] == before,
                 "a %d-byte BMP message comes back whole from bmp.raw "
                 "(%d bytes read, %d raw records failed)" % (
                     len(big), len(out.stdout),
                     a.metrics()[failed] - before))

        # 3. The rebuilt streams into B, on A's Kafka, topics replay.*.
        # B's sessions stay open while the processor reads: closing them
        # ends their peers' epochs, and the processor would drop every
        # route as stale (the README's "keep the connection open").
        orig = {t: harness.consume(a.brokers, "bmp." + t, schemas)
                for t in ("route", "peer")}
        n_route = len(orig["route"])
        n_peer = len(from_routers([r for _, _, r in orig["peer"]]))
        b = harness.Collector(args.collector, args.schemas,
                              extra=["--brokers", a.brokers,
                                     "--topic-prefix", "replay."])
        again = {}
        for i, src in enumerate(srcs):
            src_b = "127.0.2.%d" % (i + 1)
            again[src_b] = src
            s = socket.socket()
            s.bind((src_b, 0))
            s.connect(("127.0.0.1", b.port))
            s.sendall(rebuilt[src])
            routers.append(s)

        def b_delivered():
            m = b.metrics()
            return m["bmpflow_producer_queue_messages"] == 0 and \
                m['bmpflow_records_total{topic="replay.route",'
                  'state="delivered"}'] == n_route and \
                m['bmpflow_records_total{topic="replay.peer",'
                  'state="delivered"}'] == n_peer
        if not harness.wait_until(b_delivered, ck.left(harness.slow(60))):
            raise RuntimeError("collector B did not deliver %d route and %d "
                               "peer records: %s" % (n_route, n_peer,
                                                     b.metrics()))

        # 4. A fresh processor on the replayed topics reads them all.
        proc = harness.Processor(
            args.processor, a, args.schemas, "prefix_health",
            {"warmup_quiet_s": 1}, 200, ("--topic-prefix", "replay."),
            group="raw-replay-%d" % os.getpid())
        n_in = n_route + n_peer

        def read_all():
            m = proc.metrics()
            if m.get("bmpflow_processor_records_in_total", 0) >= n_in and \
                    m.get("bmpflow_processor_lag_records", 1) == 0 and \
                    m.get("bmpflow_processor_records_out_total", 0) > 0:
                return m
            return None
        m = harness.wait_until(read_all, ck.left(harness.slow(90)))
        if m is None:
            now = proc.metrics()
            ck.fail("processor: %s of %d replay.route and replay.peer "
                    "records read (lag %s), %s prefix_health records out" % (
                        now.get("bmpflow_processor_records_in_total"), n_in,
                        now.get("bmpflow_processor_lag_records"),
                        now.get("bmpflow_processor_records_out_total")))
        else:
            harness.note("processor: %d records in (%d in replay.route and "
                         "replay.peer), lag 0, %d stale, %d bad, %d out" % (
                             m["bmpflow_processor_records_in_total"], n_in,
                             m["bmpflow_processor_records_stale_total"],
                             m["bmpflow_processor_records_bad_total"],
                             m["bmpflow_processor_records_out_total"]))
            if m["bmpflow_processor_records_in_total"] != n_in:
                ck.fail("processor read %d records, replay.route and "
                        "replay.peer hold %d" % (
                            m["bmpflow_processor_records_in_total"], n_in))
            if m["bmpflow_processor_records_bad_total"] != 0:
                ck.fail("processor: %d undecodable records" %
                        m["bmpflow_processor_records_bad_total"])

        # 5. B's sessions close: then B has published what A did, the
        # session-closed Peer Downs included.
        for s in routers:
            s.shutdown(socket.SHUT_WR)
        b.wait_delivered(timeout=ck.left(harness.slow(60)))
        repl = {t: harness.consume(a.brokers, "replay." + t, schemas)
                for t in ("route", "peer")}
        if m is not None:
            bound = may_be_stale(repl)
            harness.note("processor: %d records stale by epoch, at most "
                         "%d may be" % (
                             m["bmpflow_processor_records_stale_total"],
                             bound))
            if m["bmpflow_processor_records_stale_total"] > bound:
                ck.fail("processor dropped %d records as stale, at most "
                        "%d may be" % (
                            m["bmpflow_processor_records_stale_total"],
                            bound))
        for t in ("route", "peer"):
            want_by = by_router(orig[t])
            got_by = by_router(repl[t])
            if set(got_by) != set(again):
                ck.fail("replay.%s: records of routers %s, replayed from "
                        "%s" % (t, sorted(got_by), sorted(again)))
            for src_b, src in again.items():
                want, got = want_by[src], got_by[src_b]
                harness.note("%-50s bmp.%-5s %5d  replay.%-5s %5d" % (
                    srcs[src][0], t, sum(want.values()), t,
                    sum(got.values())))
                if not want or want != got:
                    ck.fail("%s: replay.%s differs from bmp.%s: %d vs %d "
                            "records; only in bmp.%s: %s; only in "
                            "replay.%s: %s" % (
                                srcs[src][0], t, t, sum(got.values()),
                                sum(want.values()), t,
                                list((want - got).keys())[:2], t,
                                list((got - want).keys())[:2]))
    except Exception as e:  # noqa: BLE001 - report, then clean up
        ck.fail("%s: %s" % (type(e).__name__, e))
    finally:
        for s in routers:
            s.close()
        if proc is not None:
            rc = proc.stop(timeout=harness.scaled(60))
            if rc != 0:
                ck.fail("processor exit status %s (-9: no exit %d s after "
                        "SIGTERM)" % (rc, harness.scaled(60)))
            if ck.failures:
                print(harness.tail(proc.log_path))
        if b is not None:
            rc = b.stop()
            if rc != 0:
                ck.fail("collector B exit status %s" % rc)
            if ck.failures:
                print(harness.tail(b.log_path))
            harness.remove_dirs(b.dir, None, keep=bool(ck.failures))
        rc = ck.finish(col=a, summary="raw replay: %d captures in %.1f s"
                            % (len(CAPTURES), time.time() - t0))
        harness.remove_dirs(a.dir, None, keep=rc != 0)
    return rc


if __name__ == "__main__":
    sys.exit(main())
