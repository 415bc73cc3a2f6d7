#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The README's first command with --demo, run as a new user would:
deploy/quickstart.sh --demo starts the collector on its embedded Kafka with
both processors, replays a real router capture (Juniper MX204: five global
BGP sessions and a VRF one, each monitored pre- and post-policy and
Adj-RIB-Out, and Loc-RIBs) and prints a summary line of prefixes by state.
Checks:
  - the summary line comes and its counts add up, with healthy prefixes;
  - bmp.prefix_health, read back: the last record of every prefix that
    every session of its address family carries is healthy, and peers_up
    counts sessions, never more than the router's BGP sessions with a
    Peer Up (views counted as peers made it 27 for 10);
  - Ctrl-C (SIGINT to the script) stops everything within the timeout.

  test_quickstart_demo.py --source DIR --build DIR
"""

import json
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "e2e"))
import harness  # noqa: E402

SUMMARY = re.compile(r"^bmpflow: prefix_health: (\d+) prefixes: (\d+) healthy, "
                     r"(\d+) degraded, (\d+) unreachable")
# The summary line's wait; with two topic reads and the stop (60 s each)
# 420 s in all (ctest: TIMEOUT 450).
TIMEOUT = harness.slow(240)


def read_topic(build, topic):
    """Every record of bmp.TOPIC on the quickstart's Kafka, decoded."""
    out = subprocess.run(
        [os.path.join(build, "collector", "bmpflow-tail"),
         "--kafka-bootstrap-file", os.path.join(build, "run",
                                                "kafka.bootstrap"),
         "-t", topic, "--from-beginning"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        timeout=harness.slow(60))
    return [json.loads(line) for line in out.stdout.decode().splitlines()
            if line.startswith("{")]


def main():
    args = harness.test_args(base=("--source", "--build"))
    ck = harness.Checks()
    env = dict(os.environ, BMPFLOW_BUILD_DIR=args.build)
    script = os.path.join(args.source, "deploy", "quickstart.sh")
    out_path = os.path.join(args.build, "quickstart-demo.log")
    out = open(out_path, "w+")
    p = subprocess.Popen(["bash", script, "--demo"], stdout=out,
                         stderr=subprocess.STDOUT, env=env,
                         stdin=subprocess.DEVNULL, start_new_session=True)
    summary = None
    deadline = time.time() + TIMEOUT
    try:
        while time.time() < deadline and p.poll() is None:
            out.seek(0)
            for line in out.read().splitlines():
                m = SUMMARY.match(line)
                if m:
                    summary = [int(x) for x in m.groups()]
            if summary:
                break
            time.sleep(0.5)
        if summary is None:
            out.seek(0)
            raise RuntimeError("no summary line in %ds; output:\n%s" % (
                TIMEOUT, out.read()[-3000:]))
        total, healthy, degraded, unreachable = summary
        print("summary: %d prefixes, %d healthy, %d degraded, %d "
              "unreachable" % tuple(summary))
        if total != healthy + degraded + unreachable or healthy == 0:
            ck.fail("summary does not add up or has no healthy "
                    "prefix: %s" % summary)
        last = {}
        for r in read_topic(args.build, "prefix_health"):
            last[r["prefix"]] = r
        sessions = {(r["peer_type"], r["peer_address"], r["peer_rd"])
                    for r in read_topic(args.build, "peer")
                    if r["event"] == "up" and r["peer_type"] != "loc_rib"}
        carried = [r for r in last.values()
                   if r["peers_with_route"] == r["peers_up"] > 0]
        print("bmp.prefix_health: %d prefixes, %d carried by every "
              "session" % (len(last), len(carried)))
        if not carried:
            ck.fail("no prefix carried by every session")
        for r in carried:
            if r["state"] not in ("healthy", "recovered"):
                ck.fail("%s: %s, %s of %s sessions" % (
                    r["prefix"], r["state"], r["peers_with_route"],
                    r["peers_up"]))
        most = max(r["peers_up"] for r in last.values())
        print("peers_up at most %d; %d BGP sessions with a Peer Up" % (
            most, len(sessions)))
        if not sessions or most > len(sessions):
            ck.fail("peers_up %d with %d sessions: views counted "
                    "as sessions" % (most, len(sessions)))
    except Exception as e:  # noqa: BLE001 - report, then stop it
        ck.fail("%s: %s" % (type(e).__name__, e))
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGINT)
            try:
                p.wait(timeout=harness.scaled(60))
            except subprocess.TimeoutExpired:
                ck.fail("quickstart did not stop on SIGINT in %d s" %
                        harness.scaled(60))
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
    return ck.finish("quickstart demo")


if __name__ == "__main__":
    sys.exit(main())
