#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Every BMP capture in ../shared/data/bmp decodes with bmpflow-decode, and
what it finds agrees with SOURCES.md's table and with the independent walker
tools/bmpwalk.py: messages per type, peer types, Peer Down reasons, stats
types, UPDATEs per address family.  The vendor behaviour SOURCES.md lists is
checked too.  Prints one line per check and 'N passed, N failed'."""
import argparse, collections, json, os, re, subprocess, sys

TYPE_ABBR = {'Init': 'initiation', 'PU': 'peer_up', 'PD': 'peer_down',
             'RM': 'route_monitoring', 'Stats': 'stats', 'Term': 'termination'}
WALK_TYPES = {'RouteMonitoring': 'route_monitoring', 'StatisticsReport': 'stats',
              'PeerDown': 'peer_down', 'PeerUp': 'peer_up', 'Initiation': 'initiation',
              'Termination': 'termination', 'RouteMirroring': 'route_mirroring'}
WALK_PEER = {'Global': 'global', 'RD': 'rd_instance', 'Local': 'local_instance',
             'LocRIB': 'loc_rib'}
# bmpwalk.py family names -> bmpflow-decode names
WALK_AF = {'IPv4/unicast': 'ipv4-unicast', 'IPv6/unicast': 'ipv6-unicast',
           'IPv4/labeled': 'ipv4-labeled-unicast', 'IPv6/labeled': 'ipv6-labeled-unicast',
           'IPv4/vpn': 'vpnv4-unicast', 'IPv6/vpn': 'vpnv6-unicast',
           'L2VPN/evpn': 'l2vpn-evpn', 'IPv4/multicast': 'ipv4-multicast',
           'IPv6/multicast': 'ipv6-multicast'}

# SOURCES.md: "real MP withdrawals" per pcap, the MP_UNREACH UPDATEs that
# are not End-of-RIB markers.
REAL_MP_WITHDRAWALS = {
    'cisco-xr741-rd-instance': 0, 'cisco-xr7101-peerdown-ipv6': 3,
    'cisco-xr2441-locrib-peerdown-vrf': 11, 'evpn-l3vpn-stats-peerdown': 1,
    'frr801-6wind-peerdown': 114, 'multivendor-14routers': 0,
    'huawei-vrp8210-locrib': 0, 'huawei-vrp8210-routepolicy-type100-truncated': 0}

passed = failed = 0


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
        print('ok    ' + what)
    else:
        failed += 1
        print('FAIL  ' + what)


def sources_table(path):
    """file -> {'msgs': n, 'types': {name: n}, 'unknown': n} from 'Derived raw streams'."""
    rows = {}
    for line in open(path, encoding='utf-8'):
        m = re.match(r'\|\s*([\w.-]+\.bmp)\s*\|\s*\d+\s*\|[^|]*\|[^|]*\|\s*(\d+)\s*\|([^|]*)\|', line)
        if not m:
            continue
        types, unknown = collections.Counter(), 0
        for k, v in re.findall(r'(\w+)=(\d+)', m.group(3)):
            if k in TYPE_ABBR:
                types[TYPE_ABBR[k]] += int(v)
            elif k.startswith('T') and k[1:].isdigit():
                unknown += int(v)
        rows[m.group(1)] = {'msgs': int(m.group(2)), 'types': types, 'unknown': unknown}
    return rows


def decode(decoder, path):
    p = subprocess.run([decoder, '--json', path], capture_output=True, text=True)
    msgs = [json.loads(l) for l in p.stdout.splitlines()]
    return p.returncode, msgs, p.stderr


def walk(tool, path):
    out = subprocess.run([sys.executable, tool, path], capture_output=True, text=True,
                         check=True).stdout
    return json.loads(out.split(' ', 1)[1])


def summarise(msgs):
    s = {'types': collections.Counter(), 'peer_types': collections.Counter(),
         'pd': collections.Counter(), 'stats': collections.Counter(),
         'af': collections.Counter(), 'eor_v4': 0, 'eor_mp': 0, 'trailing': 0, 'unknown': 0,
         'adj_rib_out': 0, 'loc_rib_filtered': 0}
    for m in msgs:
        if m['type'] == 'unknown':
            s['unknown'] += 1
            continue
        s['types'][m['type']] += 1
        if 'peer' in m:
            s['peer_types'][m['peer']['type']] += 1
            s['adj_rib_out'] += m['peer']['rib'] == 'adj_rib_out'
            s['loc_rib_filtered'] += m['peer'].get('filtered', False)
        if m['type'] == 'peer_down':
            s['pd'][m['reason']] += 1
        if m['type'] == 'stats':
            for st in m['stats']:
                s['stats'][st['type']] += 1
        if m['type'] == 'route_monitoring' and 'bgp' in m:
            b = m['bgp']
            a = b['attributes']
            if 'mp_reach_afi_safi' in a:
                s['af'][(a['mp_reach_afi_safi'], 'reach')] += 1
            if 'mp_unreach_afi_safi' in a:
                s['af'][(a['mp_unreach_afi_safi'], 'unreach')] += 1
            if b.get('eor_afi_safi') == 'ipv4-unicast':
                s['eor_v4'] += 1
            elif 'eor_afi_safi' in b:
                s['eor_mp'] += 1
        if m['type'] == 'route_monitoring' and 'trailing_data' in m:
            s['trailing'] += 1
    return s


def walk_af(w):
    af = collections.Counter()
    for k, v in w['afisafi'].items():
        fam, act = k.rsplit(':', 1)
        af[(WALK_AF.get(fam, fam), act)] += v
    return af


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--decoder', required=True)
    ap.add_argument('--data', required=True, help='the shared data directory')
    a = ap.parse_args()
    bmpdir = os.path.join(a.data, 'bmp')
    table = sources_table(os.path.join(a.data, 'SOURCES.md'))
    walker = os.path.join(a.data, 'tools', 'bmpwalk.py')
    files = sorted(f for f in os.listdir(bmpdir) if f.endswith('.bmp'))
    check(len(files) == 35 and len(table) == 35,
          'SOURCES.md lists all %d capture streams (table has %d)' % (len(files), len(table)))
    totals = collections.Counter()
    for f in files:
        path = os.path.join(bmpdir, f)
        rc, msgs, err = decode(a.decoder, path)
        s = summarise(msgs)
        row = table.get(f)
        if f.startswith('bmpv4-'):
            check(rc == 1 and not msgs and 'unsupported BMP version 4' in err,
                  '%s: BMPv4 rejected cleanly, exit %d' % (f, rc))
            continue
        if 'truncated' in f:
            check(rc == 1 and 'offset 20580: stream ends inside a message: 211 of 765 bytes' in err,
                  '%s: truncated tail reported with offset, exit %d' % (f, rc))
        else:
            check(rc == 0 and ' 0 errors' in err.splitlines()[-1],
                  '%s: exit %d, zero errors' % (f, rc))
        w = walk(walker, path)
        check(row is not None and len(msgs) == row['msgs'],
              '%s: %d messages, SOURCES.md says %s' % (f, len(msgs), row and row['msgs']))
        check(row is not None and s['types'] == row['types'] and s['unknown'] == row['unknown'],
              '%s: per-type counts %s (+%d unknown) match SOURCES.md' % (f, dict(s['types']), s['unknown']))
        wtypes = collections.Counter({WALK_TYPES.get(k, k): v for k, v in w['types'].items()
                                      if k != 'RM-with-trailing-TLVs' and not k.startswith('type')})
        check(s['types'] == wtypes, '%s: per-type counts match bmpwalk.py' % f)
        wpeer = collections.Counter({WALK_PEER.get(k, k): v for k, v in w['peer_types'].items()})
        check(s['peer_types'] == wpeer, '%s: peer types %s match bmpwalk.py' % (f, dict(s['peer_types'])))
        check(s['pd'] == collections.Counter({int(k): v for k, v in w['peerdown_reasons'].items()}),
              '%s: Peer Down reasons %s match bmpwalk.py' % (f, dict(s['pd'])))
        check(s['stats'] == collections.Counter({int(k): v for k, v in w['stats_types'].items()}),
              '%s: stats types match bmpwalk.py' % f)
        waf = walk_af(w)
        mine = collections.Counter(s['af'])
        # bmpwalk counts IPv4 unicast in the classic fields too; compare MP families.
        waf_mp = collections.Counter({k: v for k, v in waf.items() if k[0] != 'ipv4-unicast'})
        mine_mp = collections.Counter({k: v for k, v in mine.items() if k[0] != 'ipv4-unicast'})
        check(waf_mp == mine_mp, '%s: UPDATEs per MP family match bmpwalk.py %s' % (f, dict(mine_mp)))
        check(s['eor_v4'] == w['eor_or_empty_ipv4_updates'],
              '%s: %d IPv4 End-of-RIB markers, bmpwalk.py counts %d' % (
                  f, s['eor_v4'], w['eor_or_empty_ipv4_updates']))
        pcap = re.sub(r'(\.s\d+)?\.bmp$', '', f)
        totals[('eor_mp', pcap)] += s['eor_mp']
        totals[('unreach', pcap)] += sum(v for k, v in waf.items() if k[1] == 'unreach')
        check(s['trailing'] == w['types'].get('RM-with-trailing-TLVs', 0),
              '%s: %d Route Monitoring with trailing data' % (f, s['trailing']))
        for k in ('trailing', 'adj_rib_out', 'loc_rib_filtered'):
            totals[k] += s[k]
        totals['files'] += 1
        if f == 'multivendor-14routers.s23.bmp':
            v6nh = sum(1 for m in msgs if m['type'] == 'route_monitoring' and 'bgp' in m
                       and m['bgp']['attributes'].get('mp_reach_afi_safi') == 'vpnv4-unicast'
                       and ':' in m['bgp']['attributes'].get('mp_next_hop', ''))
            check(v6nh == 38, 'Juniper VPNv4 with 16-byte (IPv6) next hop: %d UPDATEs, SOURCES.md says 38' % v6nh)
        if f == 'cisco-xr2441-locrib-peerdown-vrf.bmp':
            pd = [m for m in msgs if m['type'] == 'peer_down']
            check(len(pd) == 1 and pd[0]['reason'] == 6 and pd[0]['peer']['type'] == 'loc_rib'
                  and pd[0]['tlvs'][0]['type'] == 3 and pd[0]['tlvs'][0]['value'] == 'A2_TEST_7',
                  'Cisco Loc-RIB Peer Down reason 6 with VRF TLV "A2_TEST_7"')
        if f == 'frr801-6wind-peerdown.bmp':
            check(s['stats'].get(65531, 0) > 0, 'FRR 8.0.1 experimental stats type 65531 decoded')
            notif = sorted((m['notification']['code'], m['notification']['subcode'])
                           for m in msgs if m['type'] == 'peer_down' and 'notification' in m)
            check(notif == [(6, 2), (6, 4)], 'FRR 8.0.1 Peer Down NOTIFICATIONs Cease/2 and Cease/4: %s' % notif)
            locrib = sum(1 for m in msgs if m['type'] == 'route_monitoring' and m['peer']['type'] == 'loc_rib')
            check(locrib == 90, 'FRR 8.0.1 Loc-RIB Route Monitoring without Loc-RIB Peer Up: %d, SOURCES.md says 90' % locrib)
        if f == 'evpn-l3vpn-stats-peerdown.s1.bmp' or f == 'evpn-l3vpn-stats-peerdown.s0.bmp':
            und = sum(1 for m in msgs if m['type'] == 'route_monitoring' and m.get('bgp', {}).get('undecoded_family'))
            totals['evpn_undecoded'] += und
            totals['evpn_eor'] += sum(1 for m in msgs if m['type'] == 'route_monitoring'
                                      and m.get('bgp', {}).get('eor_afi_safi') == 'l2vpn-evpn')
        if f == 'multivendor-14routers.s17.bmp':
            pid = sum(1 for m in msgs if m['type'] == 'route_monitoring' and 'bgp' in m
                      and any('path_id' in p for p in m['bgp']['prefixes']))
            check(pid > 0, 'Huawei Loc-RIB ADD-PATH path identifiers decoded in %d UPDATEs' % pid)
        if f == 'frr108-locrib-3routers.s7.bmp' or f.startswith('frr108'):
            totals['frr108_ext'] += sum(1 for m in msgs if m['type'] == 'route_monitoring' and 'bgp' in m
                                        and any(x.startswith('0309') for x in m['bgp']['attributes'].get('ext_communities', [])))
    for pcap, real in sorted(REAL_MP_WITHDRAWALS.items()):
        want = totals[('unreach', pcap)] - real
        check(totals[('eor_mp', pcap)] == want,
              '%s: %d MP End-of-RIB markers = MP_UNREACH UPDATEs (bmpwalk.py) - real MP '
              'withdrawals (SOURCES.md) = %d' % (pcap, totals[('eor_mp', pcap)], want))
    check(totals['trailing'] == 200, 'Huawei trailing vendor TLV after the PDU: %d RMs, SOURCES.md says 200' % totals['trailing'])
    check(totals['evpn_undecoded'] == 2 and totals['evpn_eor'] == 2,
          'EVPN: %d reach UPDATEs reported as undecoded family (not errors), %d End-of-RIB markers'
          % (totals['evpn_undecoded'], totals['evpn_eor']))
    check(totals['frr108_ext'] == 4, 'FRR 10.8 extended community 0x03/0x09 in %d UPDATEs, SOURCES.md says 4' % totals['frr108_ext'])
    print('%d passed, %d failed' % (passed, failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
