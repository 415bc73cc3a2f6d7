#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""prefix_health end to end with a real router:

  ExaBGP speakers A (127.0.0.2) and B (::1)  --BGP-->  FRR bgpd -M bmp
  --BMP-->  bmpflow-collector (embedded Kafka)  -->  bmpflow-processor
  --plugin prefix_health  -->  bmp.prefix_health, read back with kcat and
  python3-avro.

FRR monitors one view only, IPv4 unicast Adj-RIB-In pre-policy, so each
speaker is exactly one peer for the plugin (its peer key is router, peer,
RD, RIB and pre/post policy) and both speakers announce IPv4: peers_up is
2.  Scenarios, each asserted on bmp.prefix_health (the change records and
the last record of the prefix's key):
  BOTH    announced by A and B, then withdrawn by both: a change record
          "unreachable" with peers_with_route 0; announced again by both:
          a later change record "recovered" with peers_with_route 2;
  ONE     announced by A only: visibility_pct 50, peers_with_route 1,
          peers_up 2, degraded for "visibility" alone;
  FLAP    announced by both, then A withdraws and re-announces it 6 times
          (each step waits until its route record is in bmp.route, so no
          router or speaker can merge two steps, and >= 0.5 s apart):
          degraded with "flapping" as a reason while both peers carry it,
          and a flap penalty of 6 flaps;
  STEADY  announced by both and left alone: healthy, 100 %, never
          flapping (the control).
Also: the processor counts no bad record and exits 0 on SIGTERM.  Exit 77
(ctest SKIP_RETURN_CODE) when FRR's bgpd or ExaBGP is not installed.

  /usr/bin/python3 test_prefix_health_e2e.py --collector BIN --decode BIN \\
      --schemas DIR --data DIR --processor BIN [--keep]
"""

import os
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

SPEAKERS = [
    {"name": "A", "addr": "127.0.0.2", "router": "127.0.0.1",
     "bgp_id": "127.0.0.2", "asn": 65001, "nh": "192.0.2.10"},
    {"name": "B", "addr": "::1", "router": "::1",
     "bgp_id": "127.0.0.3", "asn": 65002, "nh": "192.0.2.20"},
]

BOTH = "10.99.1.0/24"
ONE = "10.99.2.0/24"
FLAP = "10.99.3.0/24"
STEADY = "10.99.4.0/24"
ORIGIN = 64999          # every prefix's origin AS, whoever announces it

FLAPS = 6
FLAP_GAP = 0.5          # seconds, at least, between flap steps
# Plugin settings: one flap adds 1000; degraded ("flapping") above 2500,
# so the 6 flaps of FLAP make it flap and the one re-announcement per
# peer of BOTH (2 x 1000) does not.  Summaries every second.
SETTINGS = {"flap_penalty": 1000, "flap_suppress": 2500,
            "flap_reuse": 750, "flap_half_life_s": 900,
            "degraded_visibility_pct": 80, "summary_interval_s": 1}
TICK_MS = 200

WAIT_BMP = harness.slow(30)     # router's BMP session up
WAIT_ROUTE = harness.slow(20)   # one route change through router, collector
WAIT_HEALTH = harness.slow(30)  # a prefix_health condition after its cause
DEADLINE = harness.slow(150)    # every wait together, seconds (ctest: 300)

checks = harness.Checks(DEADLINE)
failures, fail, left = checks.failures, checks.fail, checks.left
note = harness.note


def announce(sp, prefix):
    return "announce route %s next-hop %s as-path [ %d %d ]" % (
        prefix, sp["nh"], sp["asn"], ORIGIN)


def withdraw(sp, prefix):
    return "withdraw route %s next-hop %s" % (prefix, sp["nh"])


class Health:
    """bmp.prefix_health read back: every record, per prefix in order."""

    def __init__(self, col, schemas):
        self.col, self.schemas = col, schemas
        self.by = {}

    def read(self):
        by = {}
        try:
            recs = harness.consume(self.col.brokers, "bmp.prefix_health",
                                   self.schemas)
        except RuntimeError as e:
            # The processor makes the topic at its start (on real Kafka;
            # the embedded one has it): nothing to read before that.
            if "Unknown topic or partition" in str(e):
                return None
            raise
        for key, name, rec in recs:
            if name != "prefix_health" or key != rec["prefix"]:
                fail("bmp.prefix_health: a %s record keyed %r for %r" % (
                    name, key, rec.get("prefix")))
                continue
            by.setdefault(key, []).append(rec)
        self.by = by
        return by

    def last(self, prefix):
        recs = self.by.get(prefix)
        return recs[-1] if recs else None

    def wait(self, what, cond, timeout=WAIT_HEALTH):
        """Poll bmp.prefix_health until cond(self) holds."""
        t = time.time()
        ok = harness.wait_until(lambda: self.read() is not None and
                                cond(self), left(timeout), 0.3)
        if ok:
            note("%s after %.1fs" % (what, time.time() - t))
        else:
            fail("%s: not within %ds; last records: %s" % (
                what, timeout, {p: brief(self.last(p))
                                for p in (BOTH, ONE, FLAP, STEADY)}))
        return bool(ok)


def brief(r):
    if r is None:
        return None
    return "%s %s (prev %s) %s/%s %.0f%% %s penalty %.0f" % (
        r["kind"], r["state"], r["previous_state"], r["peers_with_route"],
        r["peers_up"], r["visibility_pct"], r["degraded_reasons"],
        r["flap_penalty"])


def changes(recs):
    return [r for r in recs if r["kind"] == "change"]


def route_step(col, speaker, cmds, last_step):
    """Send cmds, at least FLAP_GAP after the last step, and wait until
    one route record per command is delivered; the time of this step."""
    n0 = harness.delivered(col, "route")
    time.sleep(max(0.0, last_step + FLAP_GAP - time.time()))
    speaker.send(cmds)
    if not harness.wait_until(
            lambda: harness.delivered(col, "route") >= n0 + len(cmds),
            left(WAIT_ROUTE), 0.05):
        raise RuntimeError("%s: %d route records not delivered in %ds" % (
            cmds, len(cmds), WAIT_ROUTE))
    return time.time()


def check(h):
    """The assertions, on the records read last."""
    by = h.by
    a, b = SPEAKERS
    # (a) BOTH: unreachable when both withdrew, then recovered.
    recs = by.get(BOTH, [])
    ch = changes(recs)
    unr = [i for i, r in enumerate(ch) if r["state"] == "unreachable"]
    if not unr:
        fail("%s: no change record 'unreachable'; changes: %s" % (
            BOTH, [brief(r) for r in ch]))
    else:
        r = ch[unr[0]]
        if (r["peers_with_route"], r["routes"], r["visibility_pct"],
                r["peers_up"]) != (0, 0, 0.0, 2) or \
                r["previous_state"] not in ("healthy", "degraded"):
            fail("%s: unreachable record %s, want 0 peers with the route "
                 "of 2 up, 0 routes, 0%%, after healthy or degraded" % (
                     BOTH, brief(r)))
        rec = [x for x in ch[unr[0] + 1:] if x["state"] == "recovered"]
        if not rec:
            fail("%s: no change record 'recovered' after the unreachable "
                 "one; changes: %s" % (BOTH, [brief(x) for x in ch]))
        elif (rec[0]["peers_with_route"], rec[0]["peers_up"],
              rec[0]["visibility_pct"], rec[0]["degraded_reasons"]) != \
                (2, 2, 100.0, []) or \
                rec[0]["previous_state"] not in ("unreachable", "degraded"):
            fail("%s: recovered record %s, want 2 of 2 peers, 100%%" % (
                BOTH, brief(rec[0])))
        else:
            note("%s: unreachable (%s), then recovered (%s)" % (
                BOTH, brief(r), brief(rec[0])))
    last = h.last(BOTH)
    if last is None or last["state"] not in ("recovered", "healthy") or \
            last["peers_with_route"] != 2:
        fail("%s: last record %s, want healthy with 2 peers" % (
            BOTH, brief(last)))
    # (b) ONE: half the peers.
    last = h.last(ONE)
    if last is None or (last["visibility_pct"], last["peers_with_route"],
                        last["peers_up"], last["routes"], last["state"],
                        last["degraded_reasons"]) != \
            (50.0, 1, 2, 1, "degraded", ["visibility"]):
        fail("%s: last record %s, want 50%%: 1 of 2 peers, degraded for "
             "visibility" % (ONE, brief(last)))
    else:
        note("%s: %s" % (ONE, brief(last)))
    wrong = [r for r in by.get(ONE, []) if r["peers_with_route"] != 1]
    if wrong:
        fail("%s: announced by one peer, records with another count: %s"
             % (ONE, brief(wrong[0])))
    # (c) FLAP: degraded for flapping, with both peers carrying it.
    recs = by.get(FLAP, [])
    fl = [r for r in recs if r["state"] == "degraded" and r["flapping"] and
          "flapping" in r["degraded_reasons"] and
          r["peers_with_route"] == 2]
    if not fl:
        fail("%s: no record degraded for flapping with both peers: %s" % (
            FLAP, [brief(r) for r in recs[-5:]]))
    last = h.last(FLAP)
    # 6 flaps of 1000, decayed with a 900 s half-life for < 3 minutes.
    if last is None or last["state"] != "degraded" or \
            last["degraded_reasons"] != ["flapping"] or \
            last["peers_with_route"] != 2 or \
            not 0.85 * FLAPS * 1000 < last["flap_penalty"] <= FLAPS * 1000:
        fail("%s: last record %s, want degraded for flapping alone, 2 "
             "peers, penalty of %d flaps" % (FLAP, brief(last), FLAPS))
    elif last["withdrawals_15m"] < FLAPS:
        fail("%s: %d withdrawals in 15 min, want >= %d" % (
            FLAP, last["withdrawals_15m"], FLAPS))
    else:
        note("%s: %s, %d withdrawals in 15 min" % (
            FLAP, brief(last), last["withdrawals_15m"]))
    # Control: STEADY never flaps, ends healthy at 100 %.
    recs = by.get(STEADY, [])
    last = h.last(STEADY)
    if last is None or (last["state"], last["peers_with_route"],
                        last["peers_up"], last["visibility_pct"]) not in \
            (("healthy", 2, 2, 100.0), ("recovered", 2, 2, 100.0)):
        fail("%s: last record %s, want healthy, 2 of 2 peers" % (
            STEADY, brief(last)))
    if any(r["flapping"] or r["flap_penalty"] > 0 for r in recs):
        fail("%s: announced once per peer, yet flapping or penalized" %
             STEADY)
    other = set(by) - {BOTH, ONE, FLAP, STEADY}
    if other:
        fail("records for prefixes never announced: %s" % sorted(other))


class Both:
    """Both speakers as one: each gets the command naming its next hop."""

    def __init__(self, spk):
        self.spk = spk

    def send(self, cmds):
        for name, sp in zip(("A", "B"), SPEAKERS):
            self.spk[name].send([c for c in cmds if sp["nh"] in c])


def run(args, schemas):
    t0 = time.time()
    checks.start()
    tmp = tempfile.mkdtemp(prefix="bmpflow-ph-e2e-")
    procs = harness.Procs()
    col = router = proc = None
    try:
        router = harness.Frr(tmp, procs, SPEAKERS, families=("ipv4",),
                             policies=("pre-policy",), loc_rib=False)
        col = harness.Collector(args.collector, args.schemas)
        router.start(col.port)
        mport = harness.free_port()
        cmd = [args.processor, "--plugin", "prefix_health",
               "--kafka-bootstrap-file", col.bootstrap_file,
               "--tick-ms", str(TICK_MS),
               "--metrics", "127.0.0.1:%d" % mport]
        for k, v in SETTINGS.items():
            cmd += ["--set", "%s=%s" % (k, v)]
        proc = procs.start("bmpflow-processor", cmd,
                           os.path.join(tmp, "processor.log"))

        def bmp_up():
            if router.p.poll() is not None or proc.poll() is not None:
                return "exited"
            m = col.metrics()
            return m["bmpflow_sessions"] >= 1 and \
                m['bmpflow_bmp_messages_total{type="initiation"}'] >= 1
        r = harness.wait_until(bmp_up, left(WAIT_BMP))
        if r is not True:
            raise RuntimeError("no BMP session with an Initiation (%s); "
                               "bgpd:\n%s\nprocessor:\n%s" % (
                                   r or "timeout",
                                   harness.tail(router.p.log_path),
                                   harness.tail(proc.log_path)))
        a, b = SPEAKERS
        spk = {
            "A": harness.start_speaker(procs, tmp, a, router, [
                announce(a, p) for p in (BOTH, ONE, FLAP, STEADY)]),
            "B": harness.start_speaker(procs, tmp, b, router, [
                announce(b, p) for p in (BOTH, FLAP, STEADY)]),
        }
        h = Health(col, schemas)

        def settled(h):
            return all(h.last(p) and h.last(p)["peers_up"] == 2 and
                       h.last(p)["peers_with_route"] == n
                       for p, n in ((BOTH, 2), (ONE, 1), (FLAP, 2),
                                    (STEADY, 2)))
        if not h.wait("initial announcements: 4 prefixes, 2 peers up",
                      settled, 60):
            raise RuntimeError("routes never settled; bgpd:\n%s" %
                               router.diag())

        # FLAP: A withdraws and re-announces it FLAPS times.
        t = time.time()
        for i in range(FLAPS):
            t = route_step(col, spk["A"], [withdraw(a, FLAP)], t)
            t = route_step(col, spk["A"], [announce(a, FLAP)], t)
        note("%d flaps of %s sent" % (FLAPS, FLAP))
        h.wait("%s degraded for flapping" % FLAP, lambda h: any(
            r["state"] == "degraded" and
            "flapping" in r["degraded_reasons"] and
            r["peers_with_route"] == 2 for r in h.by.get(FLAP, [])))

        # BOTH: withdrawn by both, then announced again by both.
        both = Both(spk)
        route_step(col, both, [withdraw(a, BOTH), withdraw(b, BOTH)], t)
        h.wait("%s unreachable" % BOTH, lambda h: any(
            r["state"] == "unreachable" for r in changes(h.by.get(BOTH,
                                                                  []))))
        route_step(col, both, [announce(a, BOTH), announce(b, BOTH)],
                   time.time())
        h.wait("%s recovered" % BOTH, lambda h: any(
            r["state"] == "recovered" for r in changes(h.by.get(BOTH,
                                                                [])))
            and h.last(BOTH)["peers_with_route"] == 2)

        h.read()
        check(h)
        m = harness.scrape_metrics(mport)
        bad = m.get("bmpflow_processor_records_bad_total", -1)
        if bad != 0:
            fail("processor counted %s bad records" % bad)
        note("processor: %d records in, %d out" % (
            m["bmpflow_processor_records_in_total"],
            m["bmpflow_processor_records_out_total"]))
        rc = harness.Procs.stop(proc, timeout=harness.scaled(30))
        if rc != 0:
            fail("processor exit status %s on SIGTERM:\n%s" % (
                rc, harness.tail(proc.log_path)))
        note("%.0fs" % (time.time() - t0))
    except Exception as e:
        traceback.print_exc()
        fail("%s: %s" % (type(e).__name__, e))
    finally:
        procs.stop_all()
        if router is not None:
            router.cleanup()
        if failures:
            procs.print_tails()
        if col is not None:
            checks.stopped(col, "collector")
        harness.remove_dirs(tmp, col, args.keep)


def main():
    args = harness.test_args("--processor")
    missing = [b for b in (harness.FRR_BGPD, harness.EXABGP)
               if not os.access(b, os.X_OK)]
    if missing:
        return checks.skip("not installed: %s" % missing)
    frr_tmpbase = harness.FrrTmpbase()
    t0 = time.time()
    run(args, harness.Schemas(args.schemas))
    frr_tmpbase.remove()
    return checks.finish("prefix_health e2e (%.0fs)" % (time.time() - t0))


if __name__ == "__main__":
    sys.exit(main())
