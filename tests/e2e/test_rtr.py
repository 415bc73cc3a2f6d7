#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""leak_detect with VRPs over RTR (RFC 8210, RTRlib) from stayrtr:

  a scripted BMP router  -->  bmpflow-collector (embedded Kafka)  -->
  bmpflow-processor --plugin leak_detect, rtr = two stayrtr caches (the
  first preferred, over TCP; the second for fail-over, over SSH with a
  client key and the cache's host key checked), both serving one VRP
  JSON file that the test rewrites (renamed over: stayrtr -refresh 1).

Phases:

  SYNC     the processor syncs with the first cache (rtr_connected 1,
           rtr_vrps 1); three routes held: 198.51.100.0/24 from AS64501,
           valid under the ROA served, 203.0.113.0/24 and 2001:db8:1::/48
           from AS64500, not found (rpki_routes{state} 1 and 2); no alert;
  ROA ADD  ROAs 203.0.113.0/24 and 2001:db8::/32-48 for AS64999 added to
           the file: the held routes become invalid and an rpki_invalid
           alert each (culprit AS64500, rpki_state "invalid") opens, with
           no route record sent; seconds from the rename to the records
           printed;
  ROA DEL  the ROAs removed: the alerts resolve (time printed);
  FAILOVER the first cache killed: the processor logs the lost
           connection and takes the VRPs from the second (rtr_up of it
           1; the first's VRP records stay until rtr_expire_s);
  DOWN     the second killed too: the processor keeps running, says the
           last VRPs stay in use (rtr_vrps still 1), judges new routes,
           and exits 0 on SIGTERM.

Bounded: DEADLINE seconds for every wait.

  /usr/bin/python3 test_rtr.py --collector BIN --decode BIN --schemas DIR \\
      --data DIR --processor BIN
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bmp_build as B  # noqa: E402
import harness  # noqa: E402

DEADLINE = harness.slow(120)
WAIT = 30               # one phase, at most (before scaling)
LOCAL_AS = 64999
PEER = ("10.0.0.1", 64510)
VALID = ("198.51.100.0/24", [64510, 64501])
NOT_FOUND = [("203.0.113.0/24", [64510, 64500]),
             ("2001:db8:1::/48", [64510, 64500])]
ROA_VALID = {"prefix": "198.51.100.0/24", "maxLength": 24, "asn": "AS64501"}
ROA_NEW = [{"prefix": "203.0.113.0/24", "maxLength": 24, "asn": "AS64999"},
           {"prefix": "2001:db8::/32", "maxLength": 48, "asn": "AS64999"}]

checks = harness.Checks(DEADLINE)
fail, left, check = checks.fail, checks.left, checks.check
note = harness.note


def write_vrps(path, roas):
    """The VRP file stayrtr serves, replaced by a rename (as an rpki-client
    or Routinator export job does)."""
    with open(path + ".new", "w") as f:
        json.dump({"metadata": {"buildtime": "2026-01-01T00:00:00Z"},
                   "roas": roas}, f)
    os.rename(path + ".new", path)


def ssh_keys(tmp):
    """A host key for stayrtr and a client key for the processor."""
    for name, kind in (("host", ["-t", "ecdsa", "-b", "256", "-m", "PEM"]),
                       ("client", ["-t", "ed25519"])):
        subprocess.run(["ssh-keygen", "-q", "-N", "", "-f",
                        os.path.join(tmp, name)] + kind, check=True)


class Stayrtr:
    """stayrtr serving vrps on 127.0.0.1, its log in tmp; with ssh, also
    over SSH (user rpki, the client key of ssh_keys), and addr is that."""

    def __init__(self, binary, vrps, tmp, name, ssh=False):
        self.port = harness.free_port()
        self.log_path = os.path.join(tmp, name + ".log")
        self.log = open(self.log_path, "w")
        args = [binary, "-cache", vrps, "-refresh", "1", "-checktime=false",
                "-bind", "127.0.0.1:%d" % harness.free_port(),
                "-metrics.addr", "127.0.0.1:%d" % harness.free_port()]
        if ssh:
            args += ["-ssh.bind", "127.0.0.1:%d" % self.port, "-ssh.key",
                     os.path.join(tmp, "host"), "-ssh.method.key",
                     "-ssh.auth.key.file", os.path.join(tmp, "client.pub"),
                     "-ssh.auth.user", "rpki"]
        else:
            args[args.index("-bind") + 1] = "127.0.0.1:%d" % self.port
        self.p = subprocess.Popen(args, stdout=self.log,
                                  stderr=subprocess.STDOUT)
        if not harness.wait_until(self.listening, left(harness.slow(20))):
            raise RuntimeError("%s not listening: %s" % (
                name, harness.tail(self.log_path)))
        self.addr = "%s127.0.0.1:%d" % ("rpki@" if ssh else "", self.port)
        self.spec = ("ssh://" if ssh else "") + self.addr

    def listening(self):
        try:
            socket.create_connection(("127.0.0.1", self.port), 1).close()
            return True
        except OSError:
            return False

    def stop(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()
        self.log.close()


def rpki_alerts(col, schemas):
    """rpki_invalid records on bmp.alert."""
    return [rec for _, name, rec in harness.consume(col.brokers, "bmp.alert",
                                                    schemas)
            if name == "alert" and rec["type"] == "rpki_invalid"]


def metric(proc, name):
    return proc.metrics().get("bmpflow_leak_detect_" + name)


def wait_metric(proc, name, want, what):
    ok = harness.wait_until(lambda: metric(proc, name) == want,
                            left(harness.slow(WAIT)), 0.2)
    check(ok, "%s: %s is %s (want %s)" % (what, name, metric(proc, name),
                                          want))


def log_has(proc, text):
    with open(proc.log_path) as f:
        return text in f.read()


def main():
    args = harness.test_args("--processor")
    stayrtr = shutil.which("stayrtr")
    if stayrtr is None or shutil.which("ssh-keygen") is None:
        fail("stayrtr or ssh-keygen not installed (deploy/install-deps.sh "
             "--test)")
        return checks.finish(summary="rtr")
    schemas = harness.Schemas(args.schemas)
    col = proc = router = None
    caches = []
    try:
        col = harness.Collector(args.collector, args.schemas)
        vrps = os.path.join(col.dir, "vrps.json")
        write_vrps(vrps, [ROA_VALID])
        ssh_keys(col.dir)
        caches = [Stayrtr(stayrtr, vrps, col.dir, "stayrtr-tcp"),
                  Stayrtr(stayrtr, vrps, col.dir, "stayrtr-ssh", ssh=True)]
        known = os.path.join(col.dir, "known_hosts")
        with open(os.path.join(col.dir, "host.pub")) as f, \
                open(known, "w") as out:
            out.write("[127.0.0.1]:%d %s\n" % (
                caches[1].port, " ".join(f.read().split()[:2])))
        proc = harness.Processor(
            args.processor, col, args.schemas, "leak_detect", tick_ms=200,
            settings={"rtr": " ".join(c.spec for c in caches),
                      "rtr_retry_s": 1,
                      "rtr_ssh_key": os.path.join(col.dir, "client"),
                      "rtr_ssh_host_key": known})
        proc.wait_assigned(left(harness.slow(WAIT)))

        # ---- SYNC
        wait_metric(proc, "rtr_connected", 1, "SYNC")
        wait_metric(proc, "rtr_vrps", 1, "SYNC")
        router = socket.create_connection(("127.0.0.1", col.port))
        router.sendall(B.initiation("r1") +
                       B.peer_up(PEER[0], PEER[1], LOCAL_AS))
        for pfx, path in [VALID] + NOT_FOUND:
            router.sendall(B.route(PEER[0], PEER[1], [pfx], as_path=path))
        wait_metric(proc, 'rpki_routes{state="valid"}', 1, "SYNC")
        wait_metric(proc, 'rpki_routes{state="not_found"}', 2, "SYNC")
        proc.wait_ticks(3, left(harness.slow(10)))
        check(rpki_alerts(col, schemas) == [], "SYNC: no rpki_invalid alert")

        # ---- ROA ADD: the held route becomes invalid
        t0 = time.time()
        write_vrps(vrps, [ROA_VALID] + ROA_NEW)
        opened = []

        def open_alert():
            opened[:] = [r for r in rpki_alerts(col, schemas)
                         if r["state"] == "open"]
            return len(opened) == len(NOT_FOUND)
        ok = harness.wait_until(open_alert, left(harness.slow(WAIT)), 0.2)
        took = time.time() - t0
        check(ok, "ROA ADD: rpki_invalid %s %.1fs after the VRP file "
              "changed (stayrtr -refresh 1, Serial Notify, RTRlib, tick)" %
              ("opened" if ok else "not opened", took))
        for r in opened:
            check((r["culprit_as"], r["origin_as"], r["rpki_state"]) ==
                  (64500, 64500, "invalid"),
                  "ROA ADD: alert %s culprit AS%s origin AS%s rpki_state %s" %
                  (r["prefix"], r["culprit_as"], r["origin_as"],
                   r["rpki_state"]))
        check(sorted(r["prefix"] for r in opened) ==
              sorted(p for p, _ in NOT_FOUND), "ROA ADD: alerts for %s" %
              sorted(r["prefix"] for r in opened))
        wait_metric(proc, 'rpki_routes{state="invalid"}', 2, "ROA ADD")
        wait_metric(proc, "rtr_vrps", 3, "ROA ADD")

        # ---- ROA DEL: it resolves
        t0 = time.time()
        write_vrps(vrps, [ROA_VALID])
        ok = harness.wait_until(
            lambda: sum(r["state"] == "resolved"
                        for r in rpki_alerts(col, schemas)) ==
            len(NOT_FOUND), left(harness.slow(WAIT)), 0.2)
        check(ok, "ROA DEL: rpki_invalid %s %.1fs after the VRP file "
              "changed" % ("resolved" if ok else "not resolved",
                           time.time() - t0))
        wait_metric(proc, 'rpki_routes{state="not_found"}', 2, "ROA DEL")

        # ---- FAILOVER: the preferred cache dies
        caches[0].stop()
        t0 = time.time()
        ok = harness.wait_until(
            lambda: metric(proc, 'rtr_up{server="%s"}' % caches[1].addr)
            == 1, left(harness.slow(WAIT)), 0.2)
        check(ok, "FAILOVER: %s the second cache (SSH) %.1fs after the "
              "first was killed" % ("synced with" if ok else "not synced "
                                    "with", time.time() - t0))
        check(log_has(proc, "RTR server %s (preference 1): connection lost"
                      % caches[0].addr), "FAILOVER: the loss is logged")
        check(log_has(proc, "VRPs from RTR server %s (preference 2)" %
                      caches[1].addr), "FAILOVER: the fail-over is logged")
        # The first cache's VRPs stay until rtr_expire_s: one record per
        # cache, the same VRP.
        check(metric(proc, "rtr_vrps") in (1, 2), "FAILOVER: rtr_vrps %s "
              "(the VRP from each cache)" % metric(proc, "rtr_vrps"))

        # ---- DOWN: no cache at all
        caches[1].stop()
        ok = harness.wait_until(
            lambda: metric(proc, "rtr_connected") == 0,
            left(harness.slow(WAIT)), 0.2)
        check(ok, "DOWN: rtr_connected 0")
        check(log_has(proc, "no RTR server connected: the last "),
              "DOWN: the processor says the last VRPs stay in use")
        router.sendall(B.route(PEER[0], PEER[1], ["192.0.2.0/24"],
                               as_path=[64510, 64502]))
        wait_metric(proc, 'rpki_routes{state="not_found"}', 3, "DOWN")
        check(proc.p.poll() is None and metric(proc, "rtr_vrps") >= 1,
              "DOWN: the processor runs on with its VRPs (rtr_vrps %s)" %
              metric(proc, "rtr_vrps"))
    except Exception as e:  # noqa: BLE001 - report, then clean up
        fail("%s: %s" % (type(e).__name__, e))
    finally:
        if router is not None:
            router.close()
        for c in caches:
            c.stop()
        if proc is not None:
            checks.stopped(proc, "processor")
    return checks.finish(col=col, summary="rtr")


if __name__ == "__main__":
    sys.exit(main())
