#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The whole pipeline once: a router session (kept open) into the
collector, its embedded Kafka, bmpflow-processor with the prefix_health
plugin, and bmp.prefix_health read back with python3-avro: one record per
prefix the routes carried, with figures that agree with those routes, and
the processor stops cleanly on SIGTERM.

Then a second router replays frr801-6wind-peerdown.bmp, whose Loc-RIB
routes come without a Peer Up, to a second processor taking Loc-RIB views,
and closes its session: every prefix that was reachable must end
unreachable (the collector opens an epoch for those
routes and closes it with the session; it used to publish them with epoch
0, which nothing closed: 68 prefixes stayed healthy).

Last, BAD undecodable records on bmp.route: all counted, a bounded number
of log lines, whose "N similar lines suppressed" counts add up to them (it
logged every bad record)."""

import collections
import os
import re
import signal
import socket
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402


BAD = 500


def send_bad_records(col, mport, ck):
    """BAD lines of garbage into bmp.route [0]; True once all are counted."""
    key = "bmpflow_processor_records_bad_total"
    before = harness.scrape_metrics(mport).get(key, 0)
    subprocess.run(["kcat", "-P", "-b", col.brokers, "-t", "bmp.route",
                    "-p", "0"], input=b"".join(b"not avro %d\n" % i
                                               for i in range(BAD)),
                   check=True, timeout=harness.slow(60))
    return ck.check(harness.wait_until(
        lambda: harness.scrape_metrics(mport).get(key, 0) >= before + BAD,
        harness.slow(30)), "%d bad records counted" % BAD)


def bad_record_lines(log, ck):
    """The processor's log of the bad records: lines plus counts = BAD."""
    lines = len(re.findall(r"bmp\.route \[0\] offset \d+:", log))
    counted = sum(int(a or b) for a, b in re.findall(
        r"bad record, bmp\.route \[0\]: (\d+) similar lines suppressed|"
        r"bmp\.route \[0\] offset \d+: .*\((\d+) similar lines "
        r"suppressed", log))
    ck.check(lines + counted == BAD and lines < 50,
             "%d bad records: %d log lines, %d counted as suppressed" % (
                 BAD, lines, counted))


def start_processor(processor, args, col, mport, extra=()):
    return subprocess.Popen(
        [processor, "--plugin", "prefix_health", "--kafka-bootstrap-file",
         col.bootstrap_file, "--schema-dir", args.schemas, "--metrics",
         "127.0.0.1:%d" % mport, "--tick-ms", "200"] + list(extra),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def latest_states(col, schemas, topic):
    latest = {}
    for _, _, h in harness.consume(col.brokers, topic, schemas):
        latest[h["prefix"]] = h["state"]
    return latest


def closed_session(processor, args, col, schemas, ck):
    """frr801-6wind-peerdown.bmp replayed over a session kept open until a
    processor taking Loc-RIB views reported its prefixes, then closed:
    they become unreachable."""
    src, topic, mport = "127.0.20.1", "bmp.prefix_health_loc_rib", \
        harness.free_port()
    proc = start_processor(processor, args, col, mport, [
        "--group", "smoke-loc-rib", "--output-topic", topic,
        "--set", "views=loc-rib"])
    try:
        check_closed_session(args, col, schemas, ck, src, topic, mport)
    finally:
        if not harness.stop_process(proc):
            ck.fail("the Loc-RIB processor did not stop on SIGTERM")


def check_closed_session(args, col, schemas, ck, src, topic, mport):
    router = harness.open_router(col.port, open(os.path.join(
        args.data, "bmp", "frr801-6wind-peerdown.bmp"), "rb").read(), src)
    before = harness.settle_outputs(mport)
    routes = [r for _, _, r in harness.consume(col.brokers, "bmp.route",
                                                schemas)
              if r["router_address"] == src and r["action"] == "announce"]
    loc_rib = {r["prefix"] for r in routes if r["peer_type"] == "loc_rib"}
    open_states = latest_states(col, schemas, topic)
    # Peers the capture takes down stay down: what is reachable now is
    # what the session's open epochs hold.
    reachable = {p for p in loc_rib
                 if open_states.get(p) not in (None, "unreachable")}
    router.close()
    harness.settle_outputs(mport, above=before)
    latest = latest_states(col, schemas, topic)
    left = sorted(p for p in reachable if latest[p] != "unreachable")
    print("closed session: %d prefixes in the Loc-RIB of %s (sent without "
          "a Peer Up), %d reachable while it was open, %d not unreachable "
          "after it closed" % (len(loc_rib), src, len(reachable), len(left)))
    ck.check(reachable, "prefix_health reports the open session's Loc-RIB "
             "prefixes reachable")
    ck.check(not left, "every prefix of the closed session is "
             "unreachable (not: %s)" % left[:3])


def main():
    args = harness.test_args()
    processor = os.path.join(os.path.dirname(args.collector), "..",
                             "processors", "host", "bmpflow-processor")
    capture = open(os.path.join(args.data, "bmp",
                                "cisco-xr7102-18peers-realtcp.bmp"),
                   "rb").read()
    schemas = harness.Schemas(args.schemas)
    # Every wait together (23 s on an idle release build).
    ck = harness.Checks(budget=harness.slow(300))
    col = harness.Collector(args.collector, args.schemas)
    mport = harness.free_port()
    # Figures that change after a peer's warm-up are re-reported.
    proc = start_processor(processor, args, col, mport,
                           ["--set", "summary_interval_s=1"])
    router = socket.create_connection(("127.0.0.1", col.port))
    sent_bad = False
    try:
        router.sendall(capture)
        # The session stays open: its peers stay up while we look.
        harness.settle_outputs(mport)
        routes = [r for _, _, r in harness.consume(col.brokers, "bmp.route",
                                                   schemas)]
        health = [r for _, _, r in harness.consume(
            col.brokers, "bmp.prefix_health", schemas)]
        want = collections.defaultdict(set)
        for r in routes:
            if r["action"] == "announce":
                key = r["prefix"] if not r["rd"] else "%s %s" % (r["rd"],
                                                                 r["prefix"])
                want[key].add((r["peer_address"], r["rib"], r["post_policy"]))
        latest = {}
        for h in health:
            latest[h["prefix"]] = h
        print("pipeline: %d route records, %d prefixes, %d prefix_health "
              "records for %d prefixes" % (len(routes), len(want),
                                           len(health), len(latest)))
        if set(latest) != set(want):
            ck.fail("prefix_health prefixes differ from the routes':"
                    " missing %s, extra %s" % (
                        sorted(set(want) - set(latest))[:3],
                        sorted(set(latest) - set(want))[:3]))
        for p, h in latest.items():
            if p in want and h["peers_with_route"] != len(want[p]):
                ck.fail("%s: peers_with_route %s, routes came from "
                        "%d peers" % (p, h["peers_with_route"],
                                      len(want[p])))
                break
            if h["state"] == "unreachable":
                ck.fail("%s: unreachable although announced" % p)
                break
        closed_session(processor, args, col, schemas, ck)
        sent_bad = send_bad_records(col, mport, ck)
    finally:
        router.close()
        proc.send_signal(signal.SIGTERM)
        try:
            log = proc.communicate(timeout=harness.scaled(60))[0]
        except subprocess.TimeoutExpired:
            proc.kill()
            log = proc.communicate()[0]
        if proc.returncode != 0:
            ck.fail("processor exit %s: %s" % (proc.returncode,
                                               log[-500:]))
        if sent_bad:
            # Counts still held back are written at exit.
            bad_record_lines(log, ck)
        rc = ck.finish(col=col, summary="processor smoke")
    return rc


if __name__ == "__main__":
    sys.exit(main())
