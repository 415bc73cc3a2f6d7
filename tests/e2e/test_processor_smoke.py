#!/usr/bin/env python3
"""The whole pipeline once: a router session (kept open) into the
collector, its embedded Kafka, bmpflow-processor with the prefix_health
plugin, and bmp.prefix_health read back with python3-avro: one record per
prefix the routes carried, with figures that agree with those routes, and
the processor stops cleanly on SIGTERM.  Then BAD undecodable records on
bmp.route: all counted, a bounded number of log lines, whose "N similar
lines suppressed" counts add up to them (it logged every bad record)."""

import collections
import os
import re
import signal
import socket
import subprocess
import sys
import time

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


def main():
    args = harness.test_args()
    processor = os.path.join(os.path.dirname(args.collector), "..",
                             "processors", "host", "bmpflow-processor")
    capture = open(os.path.join(args.data, "bmp",
                                "cisco-xr7102-18peers-realtcp.bmp"),
                   "rb").read()
    schemas = harness.Schemas(args.schemas)
    # Every wait together (10 s on an idle release build).
    ck = harness.Checks(budget=harness.slow(240))
    col = harness.Collector(args.collector, args.schemas)
    mport = harness.free_port()
    proc = subprocess.Popen(
        [processor, "--plugin", "prefix_health", "--kafka-bootstrap-file",
         col.bootstrap_file, "--schema-dir", args.schemas, "--metrics",
         "127.0.0.1:%d" % mport, "--tick-ms", "200",
         # Figures that change after a peer's warm-up are re-reported.
         "--set", "summary_interval_s=1"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    router = socket.create_connection(("127.0.0.1", col.port))
    sent_bad = False
    try:
        router.sendall(capture)
        # The session stays open: its peers stay up while we look.  Done
        # when every peer's RIB dump is over (warm-up) and the outputs
        # have stopped growing for 8 ticks (1.6 s on an idle machine;
        # counted in ticks, a busy machine's stall is not taken for it).
        deadline = time.time() + harness.slow(60)
        last, since = -1, 0
        while time.time() < deadline:
            try:
                v = harness.scrape_metrics(mport, timeout=harness.slow(5))
            except OSError:
                v = {}
            out = v.get("bmpflow_processor_records_out_total", 0)
            ticks = v.get("bmpflow_processor_ticks_total", 0)
            if out != last:
                last, since = out, ticks
            elif out > 0 and v.get("bmpflow_prefix_health_peers_warming") \
                    == 0 and ticks - since >= 8:
                break
            time.sleep(0.2)
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
