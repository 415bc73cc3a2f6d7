# SPDX-License-Identifier: Apache-2.0
"""Build BMP v3 messages (RFC 7854) carrying BGP OPENs and UPDATEs, for
tests that script a router's feed: Initiation, Peer Up (with 4-octet AS,
multiprotocol and optional BGP Role capabilities), Route Monitoring
(announce with AS path and optional OTC, or withdraw; IPv4 in the UPDATE,
IPv6 in MP_REACH/MP_UNREACH) and Peer Down."""

import ipaddress
import struct
import time

ROLES = {"provider": 0, "rs": 1, "rs_client": 2, "customer": 3, "peer": 4}
AS_TRANS = 23456


def _msg(kind, body):
    return struct.pack(">BIB", 3, 6 + len(body), kind) + body


def initiation(sys_name):
    """sys_name as str, or bytes sent as they are (not UTF-8, say)."""
    name = sys_name if isinstance(sys_name, bytes) else sys_name.encode()
    return _msg(4, struct.pack(">HH", 2, len(name)) + name)


def _addr16(addr):
    ip = ipaddress.ip_address(addr)
    return (bytes(12) + ip.packed) if ip.version == 4 else ip.packed


def _per_peer(peer, peer_as, bgp_id, when=None):
    when = time.time() if when is None else when
    v6 = ipaddress.ip_address(peer).version == 6
    return struct.pack(">BB8s16sI4sII", 0, 0x80 if v6 else 0, bytes(8),
                       _addr16(peer), peer_as,
                       ipaddress.ip_address(bgp_id).packed, int(when),
                       int((when % 1) * 1e6))


def _bgp(kind, body):
    return b"\xff" * 16 + struct.pack(">HB", 19 + len(body), kind) + body


def open_msg(asn, bgp_id, role=None):
    caps = b""
    for afi in (1, 2):
        caps += struct.pack(">BBBBHBB", 2, 6, 1, 4, afi, 0, 1)
    caps += struct.pack(">BBBBI", 2, 6, 65, 4, asn)
    if role is not None:
        caps += struct.pack(">BBBBB", 2, 3, 9, 1, ROLES[role])
    return _bgp(1, struct.pack(">BHH4sB", 4, asn if asn < 65536 else
                               AS_TRANS, 180,
                               ipaddress.ip_address(bgp_id).packed,
                               len(caps)) + caps)


def peer_up(peer, peer_as, local_as, local_addr="192.0.2.254",
            local_role=None, peer_role=None, bgp_id=None, local_id=None):
    """local_role goes in the router's sent OPEN, peer_role in the OPEN it
    received from the neighbour (RFC 9234: each side states its own)."""
    bgp_id = bgp_id or (peer if ":" not in peer else "192.0.2.1")
    local_id = local_id or "192.0.2.254"
    body = _per_peer(peer, peer_as, bgp_id)
    body += _addr16(local_addr) + struct.pack(">HH", 179, 40000)
    body += open_msg(local_as, local_id, local_role)
    body += open_msg(peer_as, bgp_id, peer_role)
    return _msg(3, body)


def _prefix(p):
    net = ipaddress.ip_network(p)
    n = (net.prefixlen + 7) // 8
    return bytes([net.prefixlen]) + net.network_address.packed[:n]


def _attr(flags, code, value):
    if len(value) > 255:
        return struct.pack(">BBH", flags | 0x10, code, len(value)) + value
    return struct.pack(">BBB", flags, code, len(value)) + value


def route(peer, peer_as, prefixes, as_path=None, next_hop=None, otc=None,
          bgp_id=None, withdraw=False, as_set=None):
    """A Route Monitoring message: announce prefixes with as_path (a list
    of ASNs, nearest first; as_set appends an AS_SET segment), or withdraw
    them."""
    bgp_id = bgp_id or (peer if ":" not in peer else "192.0.2.1")
    v4 = [p for p in prefixes if ipaddress.ip_network(p).version == 4]
    v6 = [p for p in prefixes if ipaddress.ip_network(p).version == 6]
    attrs, nlri, wd = b"", b"", b""
    if withdraw:
        wd = b"".join(_prefix(p) for p in v4)
        if v6:
            attrs += _attr(0x80, 15, struct.pack(">HB", 2, 1) +
                           b"".join(_prefix(p) for p in v6))
    else:
        path = struct.pack(">BB", 2, len(as_path)) + \
            b"".join(struct.pack(">I", a) for a in as_path)
        if as_set:
            path += struct.pack(">BB", 1, len(as_set)) + \
                b"".join(struct.pack(">I", a) for a in as_set)
        attrs += _attr(0x40, 1, b"\x00") + _attr(0x40, 2, path)
        if v4:
            attrs += _attr(0x40, 3, ipaddress.ip_address(
                next_hop or "192.0.2.1").packed)
            nlri = b"".join(_prefix(p) for p in v4)
        if v6:
            attrs += _attr(0x80, 14, struct.pack(">HBB", 2, 1, 16) +
                           ipaddress.ip_address(next_hop if next_hop and
                                                ":" in next_hop else
                                                "2001:db8::1").packed +
                           b"\x00" + b"".join(_prefix(p) for p in v6))
        if otc is not None:
            attrs += _attr(0xC0, 35, struct.pack(">I", otc))
    update = _bgp(2, struct.pack(">H", len(wd)) + wd +
                  struct.pack(">H", len(attrs)) + attrs + nlri)
    return _msg(0, _per_peer(peer, peer_as, bgp_id) + update)


def peer_down(peer, peer_as, bgp_id=None):
    """Peer Down, reason 4: the remote system closed, no notification."""
    bgp_id = bgp_id or (peer if ":" not in peer else "192.0.2.1")
    return _msg(2, _per_peer(peer, peer_as, bgp_id) + b"\x04")
