#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The processor's output queue is bounded: prefix_health emits one output
per prefix at the end of a table's warm-up, all in one tick.  With the
producer's queue bounds at the collector's (2M messages, 1 GiB) those
alone set the processor's peak RSS (350 MiB for a 1M-route table);
bounded at 100k messages (or 32 MiB) the tick waits for acknowledgements
when the queue is full.  A table of PREFIXES prefixes from one peer:
every prefix gets its output, none fails, and the queue was found full
at least once (the bound is in force; with 2M it never fills here).  Prints the processor's
VmHWM and the waits.  About 20 s on an idle release build."""

import os
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

PREFIXES = 400000
OUT = "bmp.prefix_health"


def outputs_settled(proc, last):
    """Outputs of every prefix produced, their count steady since the last
    call (kept in last[0])."""
    out = proc.metrics().get("bmpflow_processor_records_out_total", -1)
    done = out >= PREFIXES and out == last[0]
    last[0] = out
    return done


def records_in(brokers, topic):
    """Records in topic (kcat, one byte per record)."""
    return len(subprocess.run(["kcat", "-C", "-b", brokers, "-t", topic,
                               "-e", "-q", "-f", "."], capture_output=True,
                              check=True, timeout=harness.slow(60)).stdout)


def main():
    args = harness.test_args("--gen")
    processor = os.path.join(os.path.dirname(args.collector), "..",
                             "processors", "host", "bmpflow-processor")
    ck = harness.Checks(budget=harness.slow(240))
    tmp = tempfile.mkdtemp(prefix="bmpflow-test-outq-")
    col = router = proc = None
    try:
        feed = os.path.join(tmp, "feed.bmp")
        harness.gen_fulltable(args.gen, feed, "--peers", 1, "--ipv4",
                              PREFIXES, "--ipv6", 0)
        data = harness.cut_before_peer_down(open(feed, "rb").read())
        col = harness.Collector(args.collector, args.schemas,
                                extra=("--embedded-partitions", "8"))
        router = socket.create_connection(("127.0.0.1", col.port))
        router.sendall(data)
        key = 'bmpflow_records_total{topic="bmp.route",state="delivered"}'
        ck.check(harness.wait_until(lambda: col.metrics()[key] >= PREFIXES,
                                    harness.slow(120)),
                 "the collector delivered %d routes" % PREFIXES)
        proc = harness.Processor(processor, col, args.schemas,
                                 "prefix_health", tick_ms=200)
        last = [-1]
        ck.check(harness.wait_until(lambda: outputs_settled(proc, last),
                                    harness.slow(120), 0.5),
                 "an output for each of %d prefixes (%d)" % (PREFIXES,
                                                           last[0]))
        m = proc.metrics()
        hwm = harness.vm_hwm_kib(proc.p.pid) / 1024.0
        full = m.get("bmpflow_processor_output_queue_full_total", 0)
        print("processor: %d outputs, %d waits on a full output queue, "
              "%d failed; VmHWM %.1f MiB" % (
                  m.get("bmpflow_processor_records_out_total", 0), full,
                  m.get("bmpflow_processor_output_failures_total", 0),
                  hwm), flush=True)
        ck.check(m.get("bmpflow_processor_output_failures_total", 1) == 0,
                 "no output failed")
        ck.check(full > 0, "the output queue filled and the tick waited "
                 "(bounded below the outputs of one tick)")
        out = int(m.get("bmpflow_processor_records_out_total", 0))
        ck.check(harness.wait_until(lambda: records_in(col.brokers, OUT) >=
                                    out, harness.slow(60), 1),
                 "%s holds every output (%d)" % (OUT, out))
        ck.stopped(proc, "processor")
        proc = None
    except Exception as e:  # noqa: BLE001 (reported as a check)
        ck.fail("%s: %s" % (type(e).__name__, e))
    finally:
        if proc is not None:
            proc.stop()
        if router is not None:
            router.close()
    rc = ck.finish("processor output queue", col)
    harness.remove_dirs(tmp, col, args.keep)
    return rc


if __name__ == "__main__":
    sys.exit(main())
