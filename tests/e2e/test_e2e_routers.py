#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""End to end with real BGP implementations as the monitored router.

Scenario FRR:   FRR bgpd (no zebra, no kernel) monitors two eBGP sessions
                and streams BMP to bmpflow-collector;
Scenario GoBGP: the same with gobgpd as the monitored router.

In both, two ExaBGP speakers on loopback (127.0.0.2 over IPv4 and ::1 over
IPv6 transport) announce 1,800 routes (1,200 IPv4, 600 IPv6) with varied
attributes: AS paths of length 1..6 (some 4-octet ASNs), origins, MED on
some, communities, large and extended communities, AGGREGATOR and
ATOMIC_AGGREGATE, four next hops per speaker.  The test then reads
bmp.route, bmp.peer, bmp.router and bmp.stats back from the collector's
embedded Kafka and checks:
  - every announced route arrived as an announce record from the right
    peer, with the announced attributes, in every monitored view
    (Adj-RIB-In pre-policy and post-policy, Loc-RIB where the router has
    it), in the epoch of the peer's Peer Up, and nothing else arrived;
  - after speaker A withdraws 100 routes: at least one withdraw per route
    and view, and no withdraw for any other route;
  - after speaker B is stopped (SIGTERM: ExaBGP closes the session without
    a NOTIFICATION): one Peer Down for it, reason 4; none for speaker A;
  - one Peer Up per speaker with the session's addresses, ports and OPENs;
  - router connected, Initiation (sysName/sysDescr) and, once the router
    is stopped, disconnected; at least one Statistics Report;
  - bmp.raw (the router's BMP bytes): bmpflow-decode's counts equal the
    record counts, and the AS_PATHs on the wire, parsed here, agree with
    the records on whether the router put its own AS in front;
  - the collector counted no decode errors and exits cleanly.
The router's own RIB (vtysh / gobgp CLI) must hold every route as best.
Every process the test starts is stopped by PID; everything is bounded in
time; the temp dirs are removed.

  /usr/bin/python3 test_e2e_routers.py --collector BIN --decode BIN \\
      --schemas DIR [--data DIR (ignored)] [--only frr|gobgp] [--keep]
"""

import collections
import ipaddress
import os
import signal
import struct
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

# FRR, ExaBGP and the process helpers are in harness.py.
GOBGPD, GOBGP = harness.GOBGPD, harness.GOBGP

ROUTER_ID = "127.0.0.1"

# Speaker A over IPv4 loopback, speaker B over IPv6 loopback (::1, the
# only IPv6 loopback address; no address is added to any interface).
SPEAKERS = [
    {"name": "A", "idx": 0, "addr": "127.0.0.2", "router": "127.0.0.1",
     "bgp_id": "127.0.0.2", "asn": 65001, "comm_as": 65001,
     "v4": 600, "v6": 300},
    {"name": "B", "idx": 1, "addr": "::1", "router": "::1",
     "bgp_id": "127.0.0.3", "asn": 4200000002, "comm_as": 65002,
     "v4": 600, "v6": 300},
]

MAX_WAIT_ROUTES = harness.slow(90)
MAX_WAIT_EVENT = harness.slow(30)

# Every wait together, both routers (36 s on an idle release build).
checks = harness.Checks(budget=harness.slow(360))
failures, fail, note = checks.failures, checks.fail, harness.note


# ---------------------------------------------------------------- routes

def filler_as(n, k):
    """AS number k (>= 1) of route n's path after the speaker's own AS."""
    if k == 3 and n % 9 == 4:
        return 4200000100 + n % 50          # a 4-octet ASN mid path
    return 64600 + (n * 7 + k * 13) % 150   # never a router's own AS


def gen_routes(sp):
    """Announcements of one speaker: list of dicts (prefix -> attributes
    as the collector must report them, plus the ExaBGP command)."""
    out = []
    i, asn, ca = sp["idx"], sp["asn"], sp["comm_as"]
    for fam, count in (("ipv4-unicast", sp["v4"]), ("ipv6-unicast", sp["v6"])):
        for n in range(count):
            slot = i * 1000 + n
            if fam == "ipv4-unicast":
                plen = (24, 25, 26, 27, 28, 30, 32)[n % 7]
                net = ipaddress.ip_network(
                    (int(ipaddress.ip_address("10.0.0.0")) + (slot << 8),
                     plen))
                nh = "192.0.2.%d" % (10 * (i + 1) + n % 4)
            else:
                plen = (48, 56, 60, 64, 96, 128)[n % 6]
                net = ipaddress.ip_network(
                    (int(ipaddress.ip_address("2001:db8::")) + (slot << 80),
                     plen))
                nh = "2001:db8:ffff::%x" % (0x10 * (i + 1) + n % 4)
            path = [asn] + [filler_as(n, k) for k in range(1, 1 + n % 6)]
            origin = ("igp", "egp", "incomplete")[(n // 2) % 3]
            med = n * 10 if n % 5 == 0 else None
            comms = [(ca, n), (ca, 1000 + n % 3), (64999, i)][:n % 4]
            comms.sort()
            lcomms = []
            if n % 5 in (1, 3):
                lcomms = sorted([(asn, n, i), (4200000001, n % 7, 1)])
            ecomms, ecmd = [], []
            if n % 7 == 3:
                ecomms = ["rt:%d:%d" % (ca, n), "soo:%d:%d" % (ca, n)]
                ecmd = ["target:%d:%d" % (ca, n), "origin:%d:%d" % (ca, n)]
                if i == 1:
                    ecomms.append("rt:%d:%d" % (asn, n))
                    ecmd.append("target:%dL:%d" % (asn, n))
            aggr = n % 11 == 5
            cmd = "announce route %s next-hop %s origin %s as-path [ %s ]" % (
                net, nh, origin, " ".join(map(str, path)))
            if med is not None:
                cmd += " med %d" % med
            if comms:
                cmd += " community [ %s ]" % " ".join(
                    "%d:%d" % c for c in comms)
            if lcomms:
                cmd += " large-community [ %s ]" % " ".join(
                    "%d:%d:%d" % c for c in lcomms)
            if ecmd:
                cmd += " extended-community [ %s ]" % " ".join(ecmd)
            if aggr:
                cmd += " atomic-aggregate aggregator ( %d:192.0.2.250 )" % asn
            out.append({
                "n": n, "prefix": str(net), "cmd": cmd,
                "withdraw_cmd": "withdraw route %s next-hop %s" % (net, nh),
                "family": fam, "afi": 1 if fam == "ipv4-unicast" else 2,
                "safi": 1, "prefix_len": plen, "origin": origin,
                "as_path": path, "origin_as": path[-1], "next_hop": nh,
                "med": med, "local_pref": None,
                "communities": ["%d:%d" % c for c in comms],
                "large_communities": ["%d:%d:%d" % c for c in lcomms],
                "ext_communities": ecomms,
                "atomic_aggregate": aggr,
                "aggregator_as": asn if aggr else None,
                "aggregator_address": "192.0.2.250" if aggr else None,
            })
    return out


def withdrawn_subset(routes):
    """Speaker A withdraws 60 IPv4 and 40 IPv6 routes."""
    return [r for r in routes
            if (r["family"] == "ipv4-unicast" and r["n"] % 10 == 1) or
            (r["family"] == "ipv6-unicast" and r["n"] % 15 in (2, 9))]


def wait_count(col, topic, target, timeout, start=0, patience=15):
    """Until topic's delivered count reaches target and stays put for a
    second (late duplicates would land in the checked data too); gives up
    early when it moved past start but then stalled for slow(patience)
    s."""
    patience = harness.slow(patience)
    deadline = time.time() + timeout
    last, since = -1, time.time()
    while time.time() < deadline:
        n = harness.delivered(col, topic)
        if n != last:
            last, since = n, time.time()
        elif n >= target and time.time() - since >= 1.0:
            return n
        elif n > start and time.time() - since >= patience:
            return n
        time.sleep(0.2)
    return last


# --------------------------------------------------------------- routers

class Frr(harness.Frr):
    def __init__(self, tmp, procs):
        super().__init__(tmp, procs, SPEAKERS, router_id=ROUTER_ID)


class Gobgp(harness.Gobgp):
    def __init__(self, tmp, procs):
        super().__init__(tmp, procs, SPEAKERS, ROUTER_ID)
        self.sys_name = "GoBGP"

    def skipped(self):
        return []

    def cleanup(self):
        pass

    def expected_down(self):
        return {4}

    def stats_wait(self):
        return 40


# -------------------------------------------------------------- checking

def wire_as_paths(stream):
    """AS_PATH of every Route Monitoring message in a raw BMP stream, as
    flat lists, parsed here independently of the collector's decoder."""
    out, off = [], 0
    while off + 6 <= len(stream):
        _, length, mtype = struct.unpack(">BIB", stream[off:off + 6])
        msg = stream[off:off + length]
        off += length
        if mtype != 0 or len(msg) < 48 + 23:
            continue
        asn_size = 2 if msg[7] & 0x20 else 4          # A flag
        body = msg[48 + 19:]
        (wlen,) = struct.unpack(">H", body[:2])
        (alen,) = struct.unpack(">H", body[2 + wlen:4 + wlen])
        attrs = body[4 + wlen:4 + wlen + alen]
        i = 0
        while i + 3 <= len(attrs):
            flags, code = attrs[i], attrs[i + 1]
            if flags & 0x10:
                (ln,) = struct.unpack(">H", attrs[i + 2:i + 4])
                h = 4
            else:
                ln, h = attrs[i + 2], 3
            if code == 2:
                val, j, path = attrs[i + h:i + h + ln], 0, []
                while j + 2 <= len(val):
                    cnt = val[j + 1]
                    fmt = ">%d%s" % (cnt, "H" if asn_size == 2 else "I")
                    path += struct.unpack(
                        fmt, val[j + 2:j + 2 + cnt * asn_size])
                    j += 2 + cnt * asn_size
                out.append(path)
            i += h + ln
    return out


CMP_FIELDS = ("family", "afi", "safi", "prefix_len", "origin", "as_path",
              "origin_as", "next_hop", "med", "local_pref", "communities",
              "large_communities", "ext_communities", "atomic_aggregate",
              "aggregator_as", "aggregator_address")


def view_of(r):
    if r["peer_type"] == "loc_rib" or r["rib"] == "loc_rib":
        return ("loc_rib", False)
    return (r["rib"], r["post_policy"])


def view_name(v):
    if v[0] == "loc_rib":
        return "loc-rib"
    return "%s %s" % (v[0].replace("_", "-"),
                      "post-policy" if v[1] else "pre-policy")


def expect_fields(exp, prepend):
    e = {k: exp[k] for k in CMP_FIELDS}
    if prepend:
        e["as_path"] = [prepend] + e["as_path"]
    e["as_path_segments"] = [{"type": "as_sequence",
                              "asns": list(e["as_path"])}]
    e["as_path_len"] = len(e["as_path"])
    e.update(next_hop_link_local=None, path_id=None, labels=[], rd=None,
             error_handling="none", unknown_attributes=[],
             ipv6_ext_communities=[], originator_id=None, cluster_list=[])
    return e


def diff(rec, e):
    return {k: (rec.get(k), v) for k, v in e.items() if rec.get(k) != v}


def check_routes(router, recs, routes, wd, t_stop_b, t_stop_r, up_epoch):
    """recs: bmp.route records of this router.  routes: speaker addr ->
    {prefix: expected}.  wd: prefixes speaker A withdrew.  t_stop_b,
    t_stop_r: when speaker B and the router were stopped (withdraws after
    them are the router tearing down, counted apart).  Returns the number
    of (prefix, view) announcements checked, those counts and the AS the
    router put in front of every path (0: none)."""
    sp_a, sp_b = SPEAKERS[0]["addr"], SPEAKERS[1]["addr"]
    owner = {}
    for addr, rs in routes.items():
        for p, e in rs.items():
            owner[p] = addr
    by = collections.defaultdict(list)     # (peer or None, view, prefix)
    stray = []
    for r in recs:
        v = view_of(r)
        if v not in router.views:
            stray.append("unexpected view %s: %s" % (view_name(v),
                                                     r["prefix"]))
            continue
        peer = None if v[0] == "loc_rib" else r["peer_address"]
        if peer is not None and peer not in routes:
            stray.append("record from unknown peer %s: %s" % (
                peer, r["prefix"]))
            continue
        if r["prefix"] not in owner or (peer is not None and
                                        owner[r["prefix"]] != peer):
            stray.append("%s %s from %s was never announced by it" % (
                view_name(v), r["prefix"], peer))
            continue
        by[(peer, v, r["prefix"])].append(r)
    if stray:
        fail("%s: %d route records not announced by anyone, e.g. %s" % (
            router.name, len(stray), stray[:3]))

    # FRR 8.4 puts its own AS in front of the AS_PATH of every route it
    # monitors (pre- and post-policy alike), as if it advertised the route
    # to an eBGP peer.  Accept that, but only consistently for all records
    # (check_wire then requires it in the BMP bytes themselves).
    prepend_mode = None
    checked = 0
    missing = collections.defaultdict(list)
    wrong = collections.defaultdict(list)
    bad_epoch = collections.defaultdict(list)
    wd_missing = collections.defaultdict(list)
    wd_extra = collections.defaultdict(list)
    wd_order = collections.defaultdict(list)
    wd_bad = collections.defaultdict(list)
    after_down = collections.Counter()
    for v in router.views:
        for addr, rs in routes.items():
            for p, exp in rs.items():
                key = (None if v[0] == "loc_rib" else addr, v, p)
                lst = sorted(by.get(key, []),
                             key=lambda r: r["collector_time_us"])
                anns = [r for r in lst if r["action"] == "announce"]
                wds = [r for r in lst if r["action"] == "withdraw"]
                if not anns:
                    missing[v].append(p)
                    continue
                checked += 1
                for r in anns:
                    if prepend_mode is None:
                        prepend_mode = 0
                        if router.may_prepend_own_as and \
                                r["as_path"][:1] == [router.asn] and \
                                exp["as_path"][:1] != [router.asn]:
                            prepend_mode = router.asn
                    d = diff(r, expect_fields(exp, prepend_mode))
                    if r["router_name"] != router.sys_name:
                        d["router_name"] = (r["router_name"], router.sys_name)
                    if v[0] != "loc_rib":
                        sp = [s for s in SPEAKERS if s["addr"] == addr][0]
                        if (r["peer_as"], r["peer_bgp_id"], r["peer_type"]) \
                                != (sp["asn"], sp["bgp_id"], "global"):
                            d["peer"] = ((r["peer_as"], r["peer_bgp_id"],
                                          r["peer_type"]),
                                         (sp["asn"], sp["bgp_id"], "global"))
                        if r["peer_epoch"] != up_epoch.get(addr):
                            bad_epoch[v].append((p, r["peer_epoch"]))
                    if d:
                        wrong[v].append((p, d))
                # Withdraws.
                cut = t_stop_b if addr == sp_b else t_stop_r
                late = [r for r in wds if r["collector_time_us"] >= cut]
                if late:
                    after_down[("B down" if addr == sp_b else
                                "router stop", view_name(v))] += len(late)
                wds = [r for r in wds if r["collector_time_us"] < cut]
                if addr == sp_a and p in wd:
                    if not wds:
                        wd_missing[v].append(p)
                    elif wds[-1]["collector_time_us"] < \
                            anns[-1]["collector_time_us"]:
                        wd_order[v].append(p)
                    for r in wds:
                        d = {k: r[k] for k in ("as_path", "next_hop", "med",
                                                "communities", "origin")
                             if r[k] not in (None, [])}
                        if r["family"] != exp["family"] or \
                                r["prefix_len"] != exp["prefix_len"]:
                            d["family"] = (r["family"], r["prefix_len"])
                        if v[0] != "loc_rib" and \
                                r["peer_epoch"] != up_epoch.get(addr):
                            d["peer_epoch"] = r["peer_epoch"]
                        if d:
                            wd_bad[v].append((p, d))
                elif wds:
                    wd_extra[v].append(p)
    for v in router.views:
        vn = "%s %s" % (router.name, view_name(v))
        if missing[v]:
            fail("%s: %d announced routes have no announce record, e.g. %s"
                 % (vn, len(missing[v]), missing[v][:5]))
        if wrong[v]:
            fail("%s: %d routes with wrong values, e.g. %s" % (
                vn, len(wrong[v]), wrong[v][:3]))
        if bad_epoch[v]:
            fail("%s: %d records not in the epoch of their Peer Up %s, e.g. "
                 "%s" % (vn, len(bad_epoch[v]), up_epoch, bad_epoch[v][:3]))
        if wd_missing[v]:
            fail("%s: %d of %d withdrawn routes have no withdraw record, e.g."
                 " %s" % (vn, len(wd_missing[v]), len(wd), wd_missing[v][:5]))
        if wd_order[v]:
            fail("%s: %d withdrawn routes announced again after their "
                 "withdraw, e.g. %s" % (vn, len(wd_order[v]), wd_order[v][:5]))
        if wd_bad[v]:
            fail("%s: %d withdraw records with wrong values, e.g. %s" % (
                vn, len(wd_bad[v]), wd_bad[v][:3]))
        if wd_extra[v]:
            fail("%s: withdraw records for %d routes nobody withdrew, e.g. %s"
                 % (vn, len(wd_extra[v]), wd_extra[v][:5]))
    return checked, after_down, prepend_mode


def check_peers(router, recs, t_stop_b, t_stop_r):
    """Peer Up/Down records; returns ({addr: epoch of the Peer Up},
    description)."""
    up_epoch, desc = {}, []
    for sp in SPEAKERS:
        mine = sorted((r for r in recs if r["peer_address"] == sp["addr"]),
                      key=lambda r: r["collector_time_us"])
        ups = [r for r in mine if r["event"] == "up"]
        if len(ups) != 1:
            fail("%s: %d Peer Up records for speaker %s (%s), want 1: %s" % (
                router.name, len(ups), sp["name"], sp["addr"],
                [(r["event"], r["peer_epoch"]) for r in mine]))
            if not ups:
                continue
        up = ups[-1]
        up_epoch[sp["addr"]] = up["peer_epoch"]
        got = {
            "peer_as": up["peer_as"], "peer_bgp_id": up["peer_bgp_id"],
            "peer_type": up["peer_type"], "local_address": up["local_address"],
            "local_port": up["local_port"],
            "sent_open.as": (up["sent_open"] or {}).get("as"),
            "sent_open.bgp_id": (up["sent_open"] or {}).get("bgp_id"),
            "received_open.as": (up["received_open"] or {}).get("as"),
            "received_open.bgp_id": (up["received_open"] or {}).get("bgp_id"),
            "router_name": up["router_name"],
        }
        want = {
            "peer_as": sp["asn"], "peer_bgp_id": sp["bgp_id"],
            "peer_type": "global", "local_address": sp["router"],
            "local_port": router.port,
            "sent_open.as": router.asn, "sent_open.bgp_id": ROUTER_ID,
            "received_open.as": sp["asn"],
            "received_open.bgp_id": sp["bgp_id"],
            "router_name": router.sys_name,
        }
        bad = {k: (got[k], want[k]) for k in want if got[k] != want[k]}
        if not up["remote_port"] or up["remote_port"] == router.port:
            bad["remote_port"] = up["remote_port"]
        if up["peer_epoch"] < 1:
            bad["peer_epoch"] = up["peer_epoch"]
        for o in ("sent_open", "received_open"):
            fams = set((up[o] or {}).get("families") or [])
            if not {"ipv4-unicast", "ipv6-unicast"} <= fams:
                bad[o + ".families"] = sorted(fams)
            if not (up[o] or {}).get("four_octet_as"):
                bad[o + ".four_octet_as"] = False
        if bad:
            fail("%s: Peer Up of speaker %s: wrong values (got, want) %s" % (
                router.name, sp["name"], bad))
        downs = [r for r in mine if r["event"] == "down" and
                 up["collector_time_us"] < r["collector_time_us"] < t_stop_r]
        if sp["name"] == "A":
            if downs:
                fail("%s: speaker A (never stopped) has a Peer Down: %s" % (
                    router.name, downs[0]))
            desc.append("A up epoch %d" % up["peer_epoch"])
        else:
            ok = [r for r in downs if t_stop_b is not None and
                  r["collector_time_us"] >= t_stop_b]
            if len(downs) != 1 or len(ok) != 1:
                fail("%s: speaker B was stopped once; Peer Downs after its "
                     "Peer Up: %s" % (router.name, [
                         (r["down_reason_code"], r["collector_time_us"])
                         for r in downs]))
                continue
            d = ok[0]
            bad = {}
            if d["peer_epoch"] != up["peer_epoch"]:
                bad["peer_epoch"] = (d["peer_epoch"], up["peer_epoch"])
            if d["down_reason_code"] not in router.expected_down():
                bad["down_reason_code"] = (d["down_reason_code"],
                                           router.expected_down())
            if d["down_reason_code"] in (1, 3) and \
                    d["notification_code"] != 6:
                bad["notification_code"] = (d["notification_code"], 6)
            if (d["peer_as"], d["peer_bgp_id"]) != (sp["asn"], sp["bgp_id"]):
                bad["peer"] = (d["peer_as"], d["peer_bgp_id"])
            if bad:
                fail("%s: Peer Down of speaker B: wrong values (got, want) %s"
                     % (router.name, bad))
            desc.append("B up epoch %d, down reason %s (%s) notification "
                        "%s/%s" % (up["peer_epoch"], d["down_reason_code"],
                                   d["down_reason"], d["notification_code"],
                                   d["notification_subcode"]))
    others = {r["peer_address"] for r in recs} - {s["addr"] for s in SPEAKERS}
    others.discard("")
    if others:
        fail("%s: Peer records for unknown peers %s" % (router.name, others))
    return up_epoch, "; ".join(desc)


def check_router_events(router, recs):
    evs = [r["event"] for r in sorted(recs,
                                      key=lambda r: r["collector_time_us"])]
    init = [r for r in recs if r["event"] == "initiation"]
    if evs[:2] != ["connected", "initiation"]:
        fail("%s: router events %s, want connected, initiation first" % (
            router.name, evs))
    if len(init) != 1 or init[0]["router_name"] != router.sys_name or \
            not init[0]["sys_descr"]:
        fail("%s: Initiation records %s, want one with sysName %s and a "
             "sysDescr" % (router.name, [(r["router_name"], r["sys_descr"])
                                         for r in init], router.sys_name))
    if evs.count("connected") != 1:
        fail("%s: %d BMP sessions, want 1: %s" % (
            router.name, evs.count("connected"), evs))
    disc = [r for r in recs if r["event"] == "disconnected"]
    if len(disc) != 1:
        fail("%s: %d disconnected events after the router stopped, want 1: "
             "%s" % (router.name, len(disc), evs))
    elif disc[0]["decode_errors"] != 0 or disc[0]["messages"] < 100:
        fail("%s: disconnected record: %d messages, %d decode errors" % (
            router.name, disc[0]["messages"], disc[0]["decode_errors"]))
    return ", ".join(evs) + (" (sysDescr %r)" % init[0]["sys_descr"]
                             if init else "")


def check_stats(router, recs):
    if not recs:
        fail("%s: no Statistics Report record" % router.name)
        return "none"
    bad = [r for r in recs if r["peer_address"] not in
           {s["addr"] for s in SPEAKERS} or not r["stats"] or
           any(s["value"] < 0 for s in r["stats"]) or
           r["router_name"] != router.sys_name]
    if bad:
        fail("%s: %d bad Statistics Report records, e.g. %s" % (
            router.name, len(bad), bad[0]))
    types = sorted({s["type"] for r in recs for s in r["stats"]})
    return "%d reports, stat types %s" % (len(recs), types)


def check_wire(router, col, schemas, decode_bin, tmp, by, prepend):
    """bmp.raw holds the router's BMP stream: bmpflow-decode's counts of
    it must match the records, and the AS_PATHs on the wire (parsed
    above, independently) must show what the records show: FRR 8.4's own
    AS first in every path, or no router AS at all."""
    stream = b"".join(
        rec["message"] for _, name, rec in
        harness.consume(col.brokers, "bmp.raw", schemas)
        if name == "raw" and rec["router_address"] == "127.0.0.1")
    path = os.path.join(tmp, "router.bmp")
    with open(path, "wb") as f:
        f.write(stream)
    n, rc = harness.decoder_summary(decode_bin, path)
    want = {"route": n["prefixes announced"] + n["withdrawn"],
            "peer": n["peer_up"] + n["peer_down"], "stats": n["stats"],
            "end_of_rib": n["end-of-rib"]}
    got = {t: len(by[t]) for t in want if t in by}
    # The collector's own Peer Downs at session close are not on the wire.
    bmp_peer, closed = harness.split_peer_events(by["peer"])
    got["peer"] = len(bmp_peer)
    # Markers relayed from the speakers, if they send any.
    got["end_of_rib"] = sum(r["event"] == "end_of_rib" for r in by["peer"])
    for p in harness.closed_epoch_problems(by["peer"]):
        fail("%s: %s" % (router.name, p))
    note("%d session-closed Peer Downs when the router stopped" % len(closed))
    if rc != 0 or want != got:
        fail("%s: bmpflow-decode of bmp.raw (%d bytes, exit %d) counts %s, "
             "records %s" % (router.name, len(stream), rc, want, got))
    paths = wire_as_paths(stream)
    first = collections.Counter(p[0] if p else None for p in paths)
    if prepend:
        if set(first) != {prepend}:
            fail("%s: records carry AS %d first, but the wire AS_PATHs "
                 "start with %s" % (router.name, prepend, dict(first)))
        note("NOTE: %s puts its own AS %d first in the AS_PATH of all %d "
             "Route Monitoring messages (pre- and post-policy; seen on "
             "the wire); expected paths adjusted" % (
                 router.name, prepend, len(paths)))
    elif router.asn in first:
        fail("%s: %d wire AS_PATHs start with the router's AS %d, records "
             "do not" % (router.name, first[router.asn], router.asn))
    if not paths:
        fail("%s: no AS_PATH in bmp.raw" % router.name)


# --------------------------------------------------------------- scenario

def check_peer_routes(router, col, routes, wd):
    """bmpflow_peer_routes once the withdrawals are in: each speaker's
    routes (A's less those withdrawn) in each Adj-RIB-In view, both
    speakers' in the Loc-RIB."""
    held = {sp["addr"]: len(routes[sp["addr"]]) for sp in SPEAKERS}
    held[SPEAKERS[0]["addr"]] -= len(wd)
    want = {}
    for rib, post in router.views:
        if rib == "loc_rib":
            want[("loc-rib", "loc-rib")] = sum(held.values())
            continue
        for addr, n in held.items():
            want[(addr, "adj-in-post" if post else "adj-in-pre")] = n
    got = {}

    def settled():
        got.clear()
        for k, v in col.metrics().items():
            if k.startswith("bmpflow_peer_routes{"):
                lab = dict(x.split("=", 1) for x in
                           k[k.index("{") + 1:-1].split(","))
                key = (lab["peer"].strip('"'), lab["view"].strip('"'))
                got[key] = got.get(key, 0) + int(v)
        return got == want
    ok = harness.wait_until(settled, MAX_WAIT_EVENT)
    note("bmpflow_peer_routes: %s" % sorted(got.items()))
    if not ok:
        fail("%s: bmpflow_peer_routes %s, want %s" % (
            router.name, sorted(got.items()), sorted(want.items())))


def run_scenario(router_cls, args, schemas):
    t0 = time.time()
    tmp = tempfile.mkdtemp(prefix="bmpflow-e2e-")
    procs = harness.Procs()
    col = None
    router = None
    summary = "not run"
    nfail0 = len(failures)
    try:
        router = router_cls(tmp, procs)
        print("== %s" % router.name, flush=True)
        for s in router.skipped():
            print("SKIP: " + s, flush=True)
        col = harness.Collector(args.collector, args.schemas,
                                extra=("--raw", "true"))
        router.start(col.port)

        def bmp_up():
            if router.p.poll() is not None:
                return "exited"
            m = col.metrics()
            return m["bmpflow_sessions"] >= 1 and \
                m['bmpflow_bmp_messages_total{type="initiation"}'] >= 1
        r = harness.wait_until(bmp_up, MAX_WAIT_EVENT)
        if r != True:  # noqa: E712
            fail("%s: no BMP session with an Initiation (%s); router log:\n%s"
                 % (router.name, r or "timeout",
                    harness.tail(router.p.log_path)))
            return summary

        routes = {sp["addr"]: gen_routes(sp) for sp in SPEAKERS}
        wd = withdrawn_subset(routes[SPEAKERS[0]["addr"]])
        speakers = {}
        for sp in SPEAKERS:
            speakers[sp["name"]] = harness.start_speaker(
                procs, tmp, sp, router,
                [r["cmd"] for r in routes[sp["addr"]]])
        total = sum(len(v) for v in routes.values())
        nviews = len(router.views)

        # 1. Every route in every view.
        t1 = time.time()
        n = wait_count(col, "route", total * nviews, MAX_WAIT_ROUTES)
        note("%d route records after %.1fs (want >= %d = %d routes x %d "
             "views)" % (n, time.time() - t1, total * nviews, total, nviews))
        best = router.best_counts()
        want_best = collections.Counter(r["family"] for v in routes.values()
                                        for r in v)
        note("router best paths: %s" % best)
        for fam, cnt in want_best.items():
            if best.get(fam) != cnt:
                fail("%s: %s best paths in the router's own RIB for %s, "
                     "want %d" % (router.name, best.get(fam), fam, cnt))
        if n < total * nviews:
            fail("%s: only %d route records in %ds, want >= %d; router:\n%s"
                 % (router.name, n, MAX_WAIT_ROUTES, total * nviews,
                    router.diag()))

        # 2. Speaker A withdraws 100 routes.
        speakers["A"].send([r["withdraw_cmd"] for r in wd])
        t2 = time.time()
        n2 = wait_count(col, "route", n + len(wd) * nviews, MAX_WAIT_EVENT,
                        start=n, patience=10)
        note("%d withdraws sent; %d new route records after %.1fs" % (
            len(wd), n2 - n, time.time() - t2))
        if n2 < n + len(wd) * nviews:
            fail("%s: %d route records after the withdraw of %d routes, "
                 "want >= %d" % (router.name, n2 - n, len(wd),
                                 len(wd) * nviews))

        check_peer_routes(router, col, routes, wd)

        # 3. Speaker B stops.
        peers0 = harness.delivered(col, "peer")
        t_stop_b = int(time.time() * 1e6)
        rc = procs.stop(speakers["B"])
        if rc not in (0, -signal.SIGTERM):
            note("exabgp B exit status %s" % rc)
        if not harness.wait_until(
                lambda: harness.delivered(col, "peer") > peers0,
                MAX_WAIT_EVENT):
            fail("%s: no Peer record within %ds after speaker B stopped" % (
                router.name, MAX_WAIT_EVENT))
        # Its Peer Down ends its epoch: its route gauges go.
        if not harness.wait_until(lambda: not any(
                k.startswith("bmpflow_peer_routes{") and
                'peer="%s"' % SPEAKERS[1]["addr"] in k
                for k in col.metrics()), MAX_WAIT_EVENT):
            fail("%s: bmpflow_peer_routes of speaker B still there after "
                 "its Peer Down" % router.name)

        # 4. Statistics (GoBGP sends them every 15 s at best).
        def stats_in():
            return harness.delivered(col, "stats") > 0
        if not harness.wait_until(stats_in, max(1, router.stats_wait() -
                                        (time.time() - t1)), 0.5):
            note("no stats record yet after %.0fs" % (time.time() - t1))

        # 5. The router stops: its BMP session closes.
        wait_count(col, "route", 0, harness.slow(5))
        t_stop_r = int(time.time() * 1e6)
        rc = procs.stop(router.p)
        if rc not in (0, -signal.SIGTERM):
            note("%s exit status %s" % (router.name, rc))
        if not harness.wait_until(
                lambda: col.metrics()["bmpflow_sessions"] == 0,
                MAX_WAIT_EVENT):
            fail("%s: BMP session still open after the router stopped" %
                 router.name)
        procs.stop(speakers["A"])
        m = col.wait_delivered(timeout=harness.slow(60))

        # Read back and check.
        by = {}
        for t in ("route", "peer", "router", "stats"):
            by[t] = []
            for key, name, rec in harness.consume(col.brokers, "bmp." + t,
                                                  schemas):
                if name != t:
                    fail("bmp.%s holds a %s record" % (t, name))
                elif rec["router_address"] != "127.0.0.1":
                    fail("%s: record from router address %s" % (
                        router.name, rec["router_address"]))
                else:
                    by[t].append(rec)
        up_epoch, peer_desc = check_peers(router, by["peer"], t_stop_b,
                                          t_stop_r)
        checked, after_down, prepend = check_routes(
            router, by["route"], {a: {r["prefix"]: r for r in v}
                                  for a, v in routes.items()},
            {r["prefix"] for r in wd}, t_stop_b, t_stop_r, up_epoch)
        check_wire(router, col, schemas, args.decode, tmp, by, prepend)
        ev_desc = check_router_events(router, by["router"])
        st_desc = check_stats(router, by["stats"])
        errs = {k: v for k, v in m.items()
                if k.startswith("bmpflow_decode_errors_total") and v}
        if errs:
            fail("%s: collector decode errors %s; log:\n%s" % (
                router.name, errs, harness.tail(col.log_path)))
        note("peers: %s" % peer_desc)
        note("router events: %s" % ev_desc)
        note("stats: %s" % st_desc)
        for (when, vn), c in sorted(after_down.items()):
            note("after %s, withdraws in %s: %d (not checked)" % (
                when, vn, c))
        summary = ("%d routes (%d IPv4, %d IPv6) x %d views = %d "
                   "announcements checked, %d withdraws x %d views, "
                   "%d route records in all, %.0fs" % (
                       total, want_best["ipv4-unicast"],
                       want_best["ipv6-unicast"], nviews, checked, len(wd),
                       nviews, len(by["route"]), time.time() - t0))
        print("%s: %s" % (router.name, summary), flush=True)
        return summary
    except Exception as e:
        traceback.print_exc()
        fail("%s: %s: %s" % (router_cls.__name__, type(e).__name__, e))
        return summary
    finally:
        procs.stop_all()
        if router is not None:
            router.cleanup()
        if col is not None:
            checks.stopped(col, "%s: collector" % router_cls.__name__)
        if router is not None and len(failures) > nfail0:
            procs.print_tails()
        harness.remove_dirs(tmp, col, args.keep)


def main():
    args = harness.test_args(own=lambda ap: ap.add_argument(
        "--only", choices=("frr", "gobgp")))
    t0 = time.time()
    frr_tmpbase = harness.FrrTmpbase()
    schemas = harness.Schemas(args.schemas)
    res = {}
    for key, cls, binary in (("frr", Frr, harness.FRR_BGPD),
                             ("gobgp", Gobgp, GOBGPD)):
        if args.only and args.only != key:
            continue
        missing = [b for b in (binary, harness.EXABGP)
                   if not os.access(b, os.X_OK)]
        if missing:
            fail("%s: not installed: %s" % (cls.name, missing))
            res[cls.name] = "not run"
            continue
        res[cls.name] = run_scenario(cls, args, schemas)
    frr_tmpbase.remove()
    return checks.finish("e2e: %s (%.0fs)" % (
        "; ".join("%s: %s" % kv for kv in res.items()), time.time() - t0))


if __name__ == "__main__":
    sys.exit(main())
