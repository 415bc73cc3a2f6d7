#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""bmpflow_peer_routes{router,peer,rd,view}: the routes each peer holds in
its open epoch, per view, for real captures (FRR 8.0.1 with two peer flaps
and Loc-RIB routes without a Peer Up; FRR 10.8 pre/post-policy and
Loc-RIB), each sent over a session kept open.  The expected counts come
from a walker of this file, independent of the collector: with
route-state on the routes held (a Peer Up or Peer Down empties the peer),
with it off announcements less withdrawals.  metrics-peer-limit caps the
peers given series; bmpflow_peer_routes_peers_left_out counts the rest."""

import ipaddress
import os
import re
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

CAPTURES = (("127.0.12.1", "frr801-6wind-peerdown.bmp"),
            ("127.0.12.2", "frr108-locrib-3routers.s6.bmp"),
            ("127.0.12.3", "frr108-locrib-3routers.s7.bmp"),
            ("127.0.12.4", "frr108-locrib-3routers.s8.bmp"))
SERIES = re.compile(r'bmpflow_peer_routes\{router="([^"]*)",peer="([^"]*)",'
                    r'rd="([^"]*)",view="([^"]*)"\}')
LIMIT = 3


def rd_text(rd):
    t = struct.unpack(">H", rd[:2])[0]
    if t == 0:
        return "%d:%d" % struct.unpack(">HI", rd[2:])
    if t == 1:
        return "%s:%d" % (ipaddress.IPv4Address(rd[2:6]),
                          struct.unpack(">H", rd[6:])[0])
    if t == 2:
        return "%d:%d" % struct.unpack(">IH", rd[2:])
    return "type%d:%s" % (t, rd[2:].hex())


def view_of(ptype, flags):
    if ptype == 3:
        return "loc-rib"
    return "adj-%s-%s" % ("out" if flags & 0x10 else "in",
                          "post" if flags & 0x40 else "pre")


def nlri(buf, afi, safi, withdraw):
    """Route identities of an NLRI field: (afi, safi, rd, len, bytes)."""
    out, p = [], 0
    while p < len(buf):
        bits, p = buf[p], p + 1
        rd = b""
        if safi in (4, 128):		# labels until bottom of stack
            while True:
                label, p, bits = buf[p:p + 3], p + 3, bits - 24
                if label[2] & 1 or (withdraw and label in (
                        b"\x80\x00\x00", b"\x00\x00\x00")):
                    break
        if safi == 128:
            rd, p, bits = buf[p:p + 8], p + 8, bits - 64
        n = (bits + 7) // 8
        out.append((afi, safi, rd, bits, buf[p:p + n]))
        p += n
    return out


def update_routes(bgp):
    """(announced, withdrawn) route identities of a BGP UPDATE."""
    if bgp[18] != 2:
        return [], []
    wlen = struct.unpack(">H", bgp[19:21])[0]
    gone = nlri(bgp[21:21 + wlen], 1, 1, True)
    p = 21 + wlen
    alen = struct.unpack(">H", bgp[p:p + 2])[0]
    p += 2
    end = p + alen
    new = nlri(bgp[end:], 1, 1, False)
    while p < end:
        flags, code = bgp[p], bgp[p + 1]
        hl = 4 if flags & 0x10 else 3
        ln = struct.unpack(">H", bgp[p + 2:p + 4])[0] if hl == 4 \
            else bgp[p + 2]
        v = bgp[p + hl:p + hl + ln]
        afi, safi = struct.unpack(">HB", v[:3]) if ln >= 3 else (0, 0)
        if code == 14 and safi in (1, 4, 128):
            nh = v[3]
            new += nlri(v[5 + nh:], afi, safi, False)
        elif code == 15 and safi in (1, 4, 128):
            gone += nlri(v[3:], afi, safi, True)
        p += hl + ln
    return new, gone


def expected(router, data):
    """{(router, peer, rd, view): (held, announced less withdrawn)} of the
    peers with an open epoch at the end of data."""
    held = {}		# peer key -> {view: set of routes}
    net = {}		# peer key -> {view: count}
    label = {}
    off = 0
    while off + 6 <= len(data):
        _, length, mtype = struct.unpack(">BIB", data[off:off + 6])
        m = data[off:off + length]
        off += length
        if mtype not in (0, 2, 3):
            continue
        ptype, flags, rd, addr = m[6], m[7], m[8:16], m[16:32]
        key = (ptype, rd, addr)
        a = ipaddress.IPv6Address(addr) if flags & 0x80 and ptype != 3 \
            else ipaddress.IPv4Address(addr[12:])
        label[key] = "loc-rib" if ptype == 3 else str(a)
        if mtype in (2, 3):		# an epoch ends, or a new one begins
            held.pop(key, None)
            net.pop(key, None)
            if mtype == 3:
                held[key], net[key] = {}, {}
            continue
        new, gone = update_routes(m[48:])
        v = view_of(ptype, flags)
        if not new and not gone:
            continue
        routes = held.setdefault(key, {}).setdefault(v, set())
        n = net.setdefault(key, {}).setdefault(v, 0)
        for r in gone:
            routes.discard(r)
            n = max(n - 1, 0)
        for r in new:
            routes.add(r)
            n += 1
        net[key][v] = n
    out = {}
    for key, views in held.items():
        for v, routes in views.items():
            out[(router, label[key], rd_text(key[1]), v)] = (
                len(routes), net[key][v])
    return out


def series(m):
    return {SERIES.match(k).groups(): int(v) for k, v in m.items()
            if SERIES.match(k)}


def run(args, ck, route_state, limit):
    """Send every capture, sessions kept open; check the gauges."""
    col = harness.Collector(args.collector, args.schemas, extra=[
        "--route-state", route_state, "--metrics-peer-limit", str(limit)])
    socks, want, msgs = [], {}, {}
    try:
        for src, name in CAPTURES:
            data = open(os.path.join(args.data, "bmp", name), "rb").read()
            want.update(expected(src, data))
            msgs[src] = sum(1 for _ in iter_msgs(data))
            socks.append(harness.open_router(col.port, data, src))

        def all_read():
            m = col.metrics()
            return m if all(m.get('bmpflow_router_messages_total{router='
                                  '"%s"}' % s, 0) == n
                            for s, n in msgs.items()) else None
        m = harness.wait_until(all_read, harness.slow(60))
        if not ck.check(m is not None, "route_state %s: every message of "
                        "%d captures read" % (route_state, len(msgs))):
            return
        got = series(m)
        col_ = 0 if route_state == "true" else 1
        peers = {k[:3] for k in want}
        shown = {k[:3] for k in got}
        print("route_state %s, limit %d: %d peers with routes, %d series "
              "expected, %d shown, routes %d" % (
                  route_state, limit, len(peers), len(want), len(got),
                  sum(got.values())))
        for k in sorted(got):
            print("  %s %s rd %s %s: %d (walker %s)" % (
                k + (got[k], want.get(k, ("-", "-"))[col_])))
        if limit >= len(peers):
            ck.check(got == {k: v[col_] for k, v in want.items()},
                     "route_state %s: every peer's routes per view as "
                     "the walker counts them" % route_state)
        else:
            ck.check(len(shown) == limit and all(
                got[k] == want[k][col_] for k in got),
                "limit %d: %d peers shown, their counts as the walker's" %
                (limit, len(shown)))
        ck.check(m["bmpflow_peer_routes_peers_left_out"] ==
                 max(len(peers) - limit, 0),
                 "peers left out: %d of %d" % (
                     m["bmpflow_peer_routes_peers_left_out"], len(peers)))
        for s in socks:
            s.close()
        m = col.wait_delivered()
        ck.check(not series(m), "sessions closed: no series left")
    finally:
        for s in socks:
            s.close()
        ck.stopped(col, "collector (route-state %s)" % route_state)
        harness.remove_dirs(col.dir, None, keep=args.keep)


def iter_msgs(data):
    off = 0
    while off + 6 <= len(data):
        length = struct.unpack(">I", data[off + 1:off + 5])[0]
        yield data[off:off + length]
        off += length


def main():
    args = harness.test_args()
    # Every wait together (about 4 s on an idle release build).
    ck = harness.Checks(budget=harness.slow(240))
    run(args, ck, "true", 1000)
    run(args, ck, "false", 1000)
    run(args, ck, "true", LIMIT)
    return ck.finish(summary="peer routes: %d captures, route-state on and "
                     "off" % len(CAPTURES))


if __name__ == "__main__":
    sys.exit(main())
