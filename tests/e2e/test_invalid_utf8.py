#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Text from the wire that is not UTF-8 reaches Kafka as valid Avro: an
Initiation whose sysName is Latin-1 b"r\\xe9seau-1" gives a bmp.router
record python3-avro decodes, with "r\\ufffdseau-1" as router_name and
in its info TLV; bmpflow_invalid_utf8_total counts every such TLV, and
the collector logs it once per router session, naming router and TLV."""

import collections
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bmp_build  # noqa: E402
import harness  # noqa: E402

LATIN1_NAME = b"r\xe9seau-1"
REPAIRED = "r\ufffdseau-1"
METRIC = "bmpflow_invalid_utf8_total"


def main():
    args = harness.test_args()
    schemas = harness.Schemas(args.schemas)
    col = harness.Collector(args.collector, args.schemas)
    # Every wait together (2.5 s on an idle release build).
    ck = harness.Checks(budget=harness.slow(120))
    init = bmp_build.initiation(LATIN1_NAME)
    try:
        harness.replay(col.port, init, source="127.0.3.1")
        m = col.wait_delivered()
        if m[METRIC] != 1:
            ck.fail("%s = %s after one Initiation, want 1" % (
                METRIC, m[METRIC]))
        # A router that repeats its Initiation: counted each time, logged
        # once for the session.
        harness.replay(col.port, init + init, source="127.0.3.2")
        m = col.wait_delivered()
        if m[METRIC] != 3:
            ck.fail("%s = %s after three Initiations, want 3" % (
                METRIC, m[METRIC]))
        recs = [r for _, _, r in harness.consume(col.brokers, "bmp.router",
                                                 schemas)]
        inits = [r for r in recs if r["event"] == "initiation"]
        for r in inits:
            info = [(t["name"], t["value"]) for t in r["info"]]
            if r["router_name"] != REPAIRED or \
                    info != [("sysName", REPAIRED)]:
                ck.fail("%s: router_name %r, info %r; want %r" % (
                    r["router_address"], r["router_name"], info, REPAIRED))
        if len(inits) != 3:
            ck.fail("%d Initiation records, want 3" % len(inits))
        later = [r for r in recs if r["event"] == "disconnected"]
        if [r["router_name"] for r in later] != [REPAIRED] * 2:
            ck.fail("disconnected records' router_name: %r" % (
                [r["router_name"] for r in later],))
        print("bmp.router: %d records decoded by python3-avro, router_name "
              "%r" % (len(recs), inits[0]["router_name"] if inits else None))
        log = col.read_log().splitlines()
        for src in ("127.0.3.1", "127.0.3.2"):
            lines = [l for l in log if "router %s" % src in l and
                     "not valid UTF-8" in l]
            if len(lines) != 1 or "sysName" not in lines[0]:
                ck.fail("%s: %d log lines about invalid UTF-8, "
                        "want 1 naming sysName: %s" % (
                            src, len(lines), lines))
            else:
                print(lines[0])
        # bmpflow-tail prints the same records as JSON.
        tail = os.path.join(os.path.dirname(args.collector), "bmpflow-tail")
        out = subprocess.run([tail, "--kafka-bootstrap-file",
                              col.bootstrap_file, "-t", "router",
                              "--from-beginning", "--schema-dir",
                              args.schemas], capture_output=True,
                             timeout=harness.slow(120))
        names = [json.loads(l)["router_name"]
                 for l in out.stdout.decode("utf-8").splitlines()]
        if out.returncode != 0 or collections.Counter(names) != \
                collections.Counter(r["router_name"] for r in recs):
            ck.fail("bmpflow-tail (rc %d) router_name values %r" % (
                out.returncode, names))
    finally:
        rc = ck.finish(col=col, summary="invalid UTF-8: %d sessions" % 2)
    return rc


if __name__ == "__main__":
    sys.exit(main())
