#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A Peer Up and the route right behind it: nothing of the Peer Up is lost.

  scripted BMP routers (bmp_build.py, one TCP session each from its own
  127.0.0.x)  -->  bmpflow-collector (embedded Kafka)  -->
  bmpflow-processor --plugin leak_detect  -->  bmp.alert

A router that brings a BGP session up sends the Peer Up and then, at
once, the routes of that session: here both go in one TCP write.  The
collector publishes the Peer Up on bmp.peer and the route on bmp.route,
which are not ordered with each other (plugin.h, what the host guarantees): the
processor may read the route first.  It must then still apply the Peer
Up's contents when that arrives.

ROUTERS routers with PEERS sessions each, over EPOCHS epochs (the
routers' BMP sessions close between epochs, which ends every session's
epoch; they reconnect and bring the same sessions up again): every
session-epoch sends, in one write, a Peer Up whose OPENs carry RFC 9234
BGP Role capabilities (the monitored router: provider; the neighbour:
customer) and a route of its own prefix carrying an OTC attribute from
that customer: an OTC leak (RFC 9234 section 5: a route with OTC
received from a customer).  leak_detect has no peer_roles setting: the
roles come from the Peer Up only.  Checks:
  - the collector's bmp.peer Peer Ups carry the two roles (so what the
    processor does with them is what is tested);
  - leak_detect opened an otc_leak alert (culprit: the customer's AS) for
    every session-epoch's prefix;
  - the processor's bmpflow_processor_records_stale_total is 0 (no Peer
    Up dropped as a repeat of an epoch a route opened), and it counts no
    bad record and exits 0 on SIGTERM.
Between epochs the test waits until the processor read every record, so
each epoch's Peer Downs are read before the next epoch's records.

  /usr/bin/python3 test_peerup_order.py --collector BIN --decode BIN \\
      --schemas DIR --data DIR --processor BIN
"""

import collections
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bmp_build as B  # noqa: E402
import harness  # noqa: E402

ROUTERS = 4
PEERS = 5
EPOCHS = 2
LOCAL_AS = 64999            # the monitored network (private: never judged)
DEADLINE = harness.slow(150)    # every wait together (ctest TIMEOUT 300)

checks = harness.Checks(DEADLINE)
failures, fail, left = checks.failures, checks.fail, checks.left
note = harness.note


def router_addr(r):
    return "127.0.0.%d" % (21 + r)


def session(r, p):
    """Peer address and AS of router r's session p: public ASNs (a
    private or reserved AS is never named a culprit)."""
    return "10.9.%d.%d" % (r, p + 1), 21000 + 10 * r + p


def prefix(e, r, p):
    return "100.%d.%d.0/24" % (64 + e * 10 + r, p)


def origin(r, p):
    return 37100 + 10 * r + p


def epoch_bytes(e, r, p):
    """One write: the Peer Up with both roles, then the OTC route."""
    addr, asn = session(r, p)
    return B.peer_up(addr, asn, LOCAL_AS, local_addr=router_addr(r),
                     local_role="provider", peer_role="customer") + \
        B.route(addr, asn, [prefix(e, r, p)], as_path=[asn, origin(r, p)],
                otc=origin(r, p))


def wait_read(col, proc, what):
    """Until the processor read every record the collector delivered."""
    def done():
        want = harness.delivered(col, "route") + harness.delivered(col,
                                                                   "peer")
        return proc.metrics().get("bmpflow_processor_records_in_total",
                                  -1) >= want
    if not harness.wait_until(done, left(harness.slow(30)), 0.1):
        fail("%s: the processor read %s records, the collector delivered "
             "%d route and %d peer records" % (
                 what, proc.metrics().get(
                     "bmpflow_processor_records_in_total"),
                 harness.delivered(col, "route"),
                 harness.delivered(col, "peer")))


def main():
    args = harness.test_args("--processor")
    schemas = harness.Schemas(args.schemas)
    col = proc = None
    socks = []
    t0 = time.time()
    try:
        col = harness.Collector(args.collector, args.schemas)
        proc = harness.Processor(args.processor, col, args.schemas,
                                 "leak_detect", name="leak_detect")
        proc.wait_assigned(left(harness.slow(30)))
        alerts = harness.TopicReader(col.brokers, "bmp.alert", schemas)
        opened = {}             # prefix -> culprit of its otc_leak open
        recs_all = []
        for e in range(EPOCHS):
            n_route = harness.delivered(col, "route")
            n_peer = harness.delivered(col, "peer")
            socks = []
            for r in range(ROUTERS):
                s = socket.socket()
                s.bind((router_addr(r), 0))
                s.connect(("127.0.0.1", col.port))
                s.sendall(B.initiation("r%d" % r))
                socks.append(s)
            for p in range(PEERS):
                for r in range(ROUTERS):
                    socks[r].sendall(epoch_bytes(e, r, p))
            n = ROUTERS * PEERS
            if not harness.wait_until(
                    lambda: harness.delivered(col, "route") >= n_route + n
                    and harness.delivered(col, "peer") >= n_peer + n,
                    left(harness.slow(30)), 0.1):
                fail("epoch %d: the collector delivered %d route and %d "
                     "peer records, want %d of each" % (
                         e + 1, harness.delivered(col, "route") - n_route,
                         harness.delivered(col, "peer") - n_peer, n))
            wait_read(col, proc, "epoch %d" % (e + 1))
            want = {prefix(e, r, p): session(r, p)[1]
                    for r in range(ROUTERS) for p in range(PEERS)}
            who = {prefix(e, r, p): (r, p)
                   for r in range(ROUTERS) for p in range(PEERS)}

            def all_open():
                for _, name, rec in alerts.read():
                    recs_all.append(rec)
                    if rec["type"] == "otc_leak" and rec["state"] == "open":
                        opened[rec["prefix"]] = rec["culprit_as"]
                return all(k in opened for k in want)
            harness.wait_until(all_open, left(harness.slow(10)), 0.3)
            proc.wait_ticks(2, left(harness.slow(10)))  # late opens, if any
            all_open()
            missing = sorted(k for k in want if k not in opened)
            wrong = sorted("%s: AS%s" % (k, opened[k]) for k in want
                           if k in opened and opened[k] != want[k])
            m = proc.metrics()
            note("epoch %d: %d of %d sessions' OTC leaks opened an alert; "
                 "stale records so far: %s" % (
                     e + 1, n - len(missing), n,
                     m.get("bmpflow_processor_records_stale_total")))
            if missing:
                fail("epoch %d: no otc_leak alert opened for %d of %d "
                     "session-epochs (Peer Up with roles provider/customer "
                     "and an OTC route in one write), e.g. %s" % (
                         e + 1, len(missing), n, ", ".join(
                             "%s from %s AS%d (router %s)" % (
                                 k, *session(*who[k]), router_addr(who[k][0]))
                             for k in missing[:4])))
            if wrong:
                fail("epoch %d: otc_leak alerts with another culprit than "
                     "the customer: %s" % (e + 1, wrong[:4]))
            # End the epoch: the routers' BMP sessions close, the
            # collector ends every session's epoch with a Peer Down.
            n_peer = harness.delivered(col, "peer")
            for s in socks:
                s.close()
            socks = []
            if not harness.wait_until(
                    lambda: col.metrics()["bmpflow_sessions"] == 0 and
                    harness.delivered(col, "peer") >= n_peer + n,
                    left(harness.slow(30)), 0.1):
                fail("epoch %d: %d session-closed Peer Downs delivered, "
                     "want %d" % (e + 1, harness.delivered(col, "peer") -
                                  n_peer, n))
            wait_read(col, proc, "epoch %d end" % (e + 1))

        # The Peer Ups on bmp.peer carry the roles.
        peers = [r for _, n, r in harness.consume(col.brokers, "bmp.peer",
                                                  schemas) if n == "peer"]
        ups = [r for r in peers if r["event"] == "up"]
        roles = collections.Counter(
            ((r["sent_open"] or {}).get("role"),
             (r["received_open"] or {}).get("role")) for r in ups)
        note("bmp.peer: %d Peer Ups in %d distinct epochs of %d sessions,"
             " (sent, received) OPEN roles %s" % (
                 len(ups), len({(r["router_address"], r["peer_address"],
                                 r["peer_epoch"]) for r in ups}),
                 len({(r["router_address"], r["peer_address"])
                      for r in ups}), dict(roles)))
        if len(ups) != ROUTERS * PEERS * EPOCHS or \
                set(roles) != {("provider", "customer")}:
            fail("bmp.peer: %d Peer Ups with roles %s, want %d with "
                 "(provider, customer)" % (len(ups), dict(roles),
                                           ROUTERS * PEERS * EPOCHS))
        other = collections.Counter("%s %s" % (r["type"], r["state"])
                                    for r in recs_all
                                    if r["type"] != "otc_leak")
        if other:
            fail("alerts of other types: %s" % dict(other))
        states = collections.Counter(r["state"] for r in recs_all
                                     if r["type"] == "otc_leak")
        note("otc_leak alert records: %s" % dict(states))
        m = proc.metrics()
        stale = m.get("bmpflow_processor_records_stale_total", -1)
        note("processor: %d records in, %d out, %d stale by epoch, %d bad"
             % (m.get("bmpflow_processor_records_in_total", -1),
                m.get("bmpflow_processor_records_out_total", -1), stale,
                m.get("bmpflow_processor_records_bad_total", -1)))
        if stale != 0:
            fail("bmpflow_processor_records_stale_total %d, want 0: every "
                 "record belongs to an open epoch when it is read (Peer "
                 "Ups read after their first route were dropped as "
                 "repeats)" % stale)
        if m.get("bmpflow_processor_records_bad_total", -1) != 0:
            fail("processor counted bad records")
    except Exception as e:  # noqa: BLE001 - report, then clean up
        fail("%s: %s" % (type(e).__name__, e))
    finally:
        for s in socks:
            s.close()
        if proc is not None:
            checks.stopped(proc, "processor")
    rc = checks.finish(col=col, summary="peer-up order: %d routers x %d "
                        "sessions x %d epochs, %.0fs" % (
                            ROUTERS, PEERS, EPOCHS, time.time() - t0))
    if col is not None:
        harness.remove_dirs(col.dir, None)
    return rc


if __name__ == "__main__":
    sys.exit(main())
