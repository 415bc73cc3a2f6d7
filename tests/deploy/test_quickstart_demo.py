#!/usr/bin/env python3
"""The README's first command with --demo, run as a new user would:
deploy/quickstart.sh --demo starts the collector on its embedded Kafka with
both processors, replays a real router capture (a Cisco IOS XR feed of
three BGP sessions, each monitored pre- and post-policy) and prints a
summary line of prefixes by state.  Checks:
  - the summary line comes, its counts add up, and it names no degraded or
    unreachable prefix among those every session carries;
  - bmp.prefix_health, read back: the last record of every prefix that
    every session carries is healthy, with peers_up counting sessions (3),
    not views (6);
  - Ctrl-C (SIGINT to the script) stops everything within the timeout.

  test_quickstart_demo.py --source DIR --build DIR
"""

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time

SUMMARY = re.compile(r"^bmpflow: prefix_health: (\d+) prefixes: (\d+) healthy, "
                     r"(\d+) degraded, (\d+) unreachable")
SESSIONS = 3
TIMEOUT = 240


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--source", required=True)
    ap.add_argument("--build", required=True)
    args = ap.parse_args()
    failures = []
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
            failures.append("summary does not add up or has no healthy "
                            "prefix: %s" % summary)
        tail = subprocess.run(
            [os.path.join(args.build, "collector", "bmpflow-tail"),
             "--kafka-bootstrap-file",
             os.path.join(args.build, "run", "kafka.bootstrap"),
             "-t", "prefix_health", "--from-beginning"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        last = {}
        for line in tail.stdout.decode().splitlines():
            try:
                r = json.loads(line)
            except ValueError:
                continue
            r = r.get("value", r)
            last[r["prefix"]] = r
        carried = [r for r in last.values()
                   if r["peers_with_route"] == r["peers_up"]]
        print("bmp.prefix_health: %d prefixes, %d carried by every "
              "session" % (len(last), len(carried)))
        if not carried:
            failures.append("no prefix carried by every session")
        for r in carried:
            if r["state"] not in ("healthy", "recovered") or \
                    r["peers_up"] != SESSIONS:
                failures.append("%s: %s, %s of %s sessions" % (
                    r["prefix"], r["state"], r["peers_with_route"],
                    r["peers_up"]))
        bad_up = sorted({r["peers_up"] for r in last.values()} -
                        set(range(SESSIONS + 1)))
        if bad_up:
            failures.append("peers_up %s: views counted as sessions" %
                            bad_up)
    except Exception as e:  # noqa: BLE001 - report, then stop it
        failures.append("%s: %s" % (type(e).__name__, e))
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGINT)
            try:
                p.wait(timeout=60)
            except subprocess.TimeoutExpired:
                failures.append("quickstart did not stop on SIGINT in 60 s")
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
    for f in failures[:20]:
        print("FAIL: " + f)
    print("quickstart demo: %d failures" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
