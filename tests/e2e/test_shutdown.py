#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""SIGTERM drains: with a slow Kafka (bmpflow-mock-kafka, 300 ms latency)
the collector, stopped right after a router sent a capture, decodes what it
read, delivers every record and exits 0.  With Kafka down, it gives up
after --drain-timeout, says how many records were not delivered, and exits
1 — it never hangs and never claims success it did not have.

With Kafka down and librdkafka's own queue full (its message limit set to
500 records), the event loop never blocks: the refused records are held,
router reads pause, /metrics answers, a new router is accepted, SIGTERM is
seen at once; once Kafka is back the drain delivers every record, held
ones included, and the collector exits 0."""

import os
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

TOPICS = ["bmp.router", "bmp.peer", "bmp.route", "bmp.stats", "bmp.raw"]


def sigterm_and_wait(col, timeout):
    t0 = time.monotonic()
    col.proc.send_signal(signal.SIGTERM)
    rc = col.proc.wait(timeout=timeout)
    col.log.close()
    return rc, time.monotonic() - t0


def wait_for(what, cond, timeout):
    """Poll cond() until it is true; raise naming what after
    slow(timeout) s."""
    timeout = harness.slow(timeout)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(0.1)
    raise RuntimeError("not within %ds: %s" % (timeout, what))


def fill_queue(col, mock, data, source):
    """Kafka down, a router sending data from source in a thread, until
    librdkafka's queue refuses records and router reads pause."""
    mock.command("down")
    router = threading.Thread(target=harness.replay,
                              args=(col.port, data, source), daemon=True)
    router.start()
    m = wait_for("records held and reads paused", lambda: (
        lambda m: m if m["bmpflow_producer_held_records"] > 0 and
        m["bmpflow_backpressure_paused"] == 1 else None)(col.metrics()), 60)
    return router, m


def routes_of(mock, schemas, source):
    return sum(1 for _, _, r in harness.consume(mock.brokers, "bmp.route",
                                                 schemas)
               if r["router_address"] == source)


def queue_full(args, ck, mock, data, want, schemas):
    col = harness.Collector(args.collector, args.schemas, extra=[
        "--brokers", mock.brokers, "--drain-timeout",
        "%d" % harness.slow(120),
        "--kafka.queue.buffering.max.messages", "500"])
    router, m = fill_queue(col, mock, data, "127.0.10.3")
    # The loop is free: /metrics answers again and again, quickly.
    t0 = time.monotonic()
    for _ in range(5):
        harness.scrape_metrics(col.metrics_port, timeout=harness.slow(5))
    scrape_s = (time.monotonic() - t0) / 5
    # A router connecting now is accepted (its reads wait for Kafka).
    other = harness.open_router(col.port, data[:1000], "127.0.10.4")
    wait_for("the second router accepted", lambda:
             "router 127.0.10.4 connected" in col.read_log(), 20)
    other.close()
    # Kafka back: the held records go first, then the rest of the feed.
    mock.command("up")
    router.join(timeout=harness.slow(120))
    col.wait_delivered()
    got = routes_of(mock, schemas, "127.0.10.3")
    print("queue full: %d records held, %d refused by librdkafka; "
          "/metrics answered in %.3fs; after the outage %d of %d route "
          "records in Kafka" % (
              m["bmpflow_producer_held_records"],
              m["bmpflow_producer_queue_full_total"], scrape_s, got, want))
    ck.check("librdkafka's queue (queue.buffering.max.kbytes" in
             col.read_log(), "a start warning that librdkafka's queue is "
             "below queue-mbytes")
    ck.check(got == want, "route records in Kafka %d == %d decoded"
             % (got, want))

    # Again, and SIGTERM while the queue is full.
    router, m = fill_queue(col, mock, data, "127.0.10.5")
    t0 = time.monotonic()
    col.proc.send_signal(signal.SIGTERM)
    wait_for("SIGTERM seen", lambda: "SIGTERM: stopping" in col.read_log(),
             20)
    seen_s = time.monotonic() - t0
    still_running = col.proc.poll() is None
    mock.command("up")
    rc = col.proc.wait(timeout=harness.slow(180))
    col.log.close()
    router.join(timeout=harness.slow(30))
    print("queue full, SIGTERM: seen after %.2fs with %d records held; "
          "exit %d once Kafka was back" % (
              seen_s, m["bmpflow_producer_held_records"], rc))
    ck.check(still_running, "the collector drains after SIGTERM, waiting "
             "for Kafka, rather than exiting at once")
    ck.check(rc == 0 and "all records delivered to Kafka" in col.read_log(),
             "exit 0 with every record read delivered, got %d" % rc)


def main():
    args = harness.test_args("--mock-kafka")
    path = os.path.join(args.data, "bmp", "multivendor-14routers.s15.bmp")
    data = open(path, "rb").read()
    n, _ = harness.decoder_summary(args.decode, path)
    want = n["prefixes announced"] + n["withdrawn"]
    schemas = harness.Schemas(args.schemas)
    # Every wait together (13 s on an idle release build).
    ck = harness.Checks(budget=harness.slow(300))
    mock = harness.MockKafka(args.mock_kafka, TOPICS, 4)
    try:
        # 1. Slow Kafka: SIGTERM right after the router is done.
        mock.command("rtt 300")
        col = harness.Collector(args.collector, args.schemas, extra=[
            "--brokers", mock.brokers, "--drain-timeout",
            "%d" % harness.slow(60)])
        harness.replay(col.port, data, source="127.0.10.1")
        queued = col.metrics()["bmpflow_producer_queue_messages"]
        rc, secs = sigterm_and_wait(col, harness.slow(90))
        got = sum(1 for _, _, r in harness.consume(mock.brokers,
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
            "--brokers", mock.brokers, "--drain-timeout", "3"])
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

        # 3. Kafka down and librdkafka's queue full: nothing freezes.
        queue_full(args, ck, mock, data, want, schemas)
    finally:
        mock.stop()
    return ck.finish("shutdown")


if __name__ == "__main__":
    sys.exit(main())
