#!/usr/bin/env python3
"""SIGTERM drains: with a slow Kafka (bmpflow-mock-kafka, 300 ms latency)
the collector, stopped right after a router sent a capture, decodes what it
read, delivers every record and exits 0.  With Kafka down, it gives up
after --drain-timeout, says how many records were not delivered, and exits
1 — it never hangs and never claims success it did not have."""

import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

TOPICS = ["bmp.router", "bmp.peer", "bmp.route", "bmp.stats", "bmp.raw"]


class MockKafka:
    def __init__(self, binary):
        self.proc = subprocess.Popen([binary, "--partitions", "4"] + TOPICS,
                                     stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().split()
        assert line and line[0] == "bootstrap", line
        self.bootstrap = line[1]

    def command(self, cmd):
        self.proc.stdin.write(cmd + "\n")
        self.proc.stdin.flush()
        assert self.proc.stdout.readline().strip() == "ok " + cmd

    def stop(self):
        try:
            self.command("quit")
        except (BrokenPipeError, AssertionError):
            pass
        try:
            self.proc.wait(timeout=harness.scaled(10))
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def sigterm_and_wait(col, timeout):
    t0 = time.monotonic()
    col.proc.send_signal(signal.SIGTERM)
    rc = col.proc.wait(timeout=timeout)
    col.log.close()
    return rc, time.monotonic() - t0


def main():
    args = harness.test_args("--mock-kafka")
    path = os.path.join(args.data, "bmp", "multivendor-14routers.s15.bmp")
    data = open(path, "rb").read()
    n, _ = harness.decoder_summary(args.decode, path)
    want = n["prefixes announced"] + n["withdrawn"]
    schemas = harness.Schemas(args.schemas)
    # Every wait together (11 s on an idle release build).
    ck = harness.Checks(budget=harness.slow(300))
    mock = MockKafka(args.mock_kafka)
    try:
        # 1. Slow Kafka: SIGTERM right after the router is done.
        mock.command("rtt 300")
        col = harness.Collector(args.collector, args.schemas, extra=[
            "--brokers", mock.bootstrap, "--drain-timeout",
            "%d" % harness.slow(60)])
        harness.replay(col.port, data, source="127.0.10.1")
        queued = col.metrics()["bmpflow_producer_queue_messages"]
        rc, secs = sigterm_and_wait(col, harness.slow(90))
        got = sum(1 for _, _, r in harness.consume(mock.bootstrap,
                                                    "bmp.route", schemas)
                  if r["router_address"] == "127.0.10.1")
        print("drain: %d records queued at SIGTERM, exit %d after %.1fs, "
              "%d of %d route records in Kafka" % (queued, rc, secs, got,
                                                   want))
        if queued == 0:
            ck.fail("nothing was in flight at SIGTERM: the test "
                    "did not exercise the drain")
        if rc != 0 or got != want:
            ck.fail("drain lost records or failed: rc %d, %d of %d"
                    % (rc, got, want))
        if "all records delivered to Kafka" not in col.read_log():
            ck.fail("no 'all records delivered' log line")
        mock.command("rtt 0")

        # 2. Kafka down: give up after --drain-timeout, exit 1, say so.
        col = harness.Collector(args.collector, args.schemas, extra=[
            "--brokers", mock.bootstrap, "--drain-timeout", "3"])
        mock.command("down")
        harness.replay(col.port, data, source="127.0.10.2")
        rc, secs = sigterm_and_wait(col, harness.slow(60))
        log = col.read_log()
        line = [l for l in log.splitlines() if "drain timeout" in l]
        print("kafka down: exit %d after %.1fs: %s" % (
            rc, secs, line[0][25:] if line else "(no drain line)"))
        if rc != 1 or not line or secs > harness.slow(20):
            ck.fail("down broker: rc %d, %.1fs, log %s" % (
                rc, secs, line))
        mock.command("up")
    finally:
        mock.stop()
    return ck.finish("shutdown")


if __name__ == "__main__":
    sys.exit(main())
