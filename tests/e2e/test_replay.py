#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Replay every capture of ../shared/data/bmp into bmpflow-collector over
TCP, each from its own loopback address, read bmp.route, bmp.peer,
bmp.router and bmp.stats back from the embedded Kafka with kcat, decode
them with python3-avro and check them against bmpflow-decode:
  - record counts per router equal the decoder's counts;
  - every route record carries the values the decoder printed for that
    prefix (peer, action, prefix, AS path, next hop, MED, LOCAL_PREF,
    communities, origin AS), compared as multisets;
  - every End-of-RIB marker is a bmp.peer record with the decoder's peer,
    view and family, its peer's key and epoch (the FRR 10.8 captures hold
    12, SOURCES.md says)."""

import collections
import glob
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402


def decoder_routes(msgs):
    """Route tuples from bmpflow-decode --json output."""
    out = collections.Counter()
    for m in msgs:
        if m.get("type") != "route_monitoring" or "bgp" not in m:
            continue
        bgp = m["bgp"]
        attrs = bgp.get("attributes", {})
        for p in bgp.get("prefixes", []):
            key = (m["peer"]["address"], p["action"], p["prefix"])
            if p["action"] == "announce":
                nh = attrs.get("mp_next_hop") \
                    if attrs.get("mp_reach_afi_safi") == p["afi_safi"] \
                    else attrs.get("next_hop")
                key += (tuple(attrs.get("as_path", [])), nh,
                        attrs.get("med"), attrs.get("local_pref"),
                        tuple(attrs.get("communities", [])),
                        attrs.get("origin_as"))
            out[key] += 1
    return out


def avro_routes(recs):
    out = collections.Counter()
    for r in recs:
        key = (r["peer_address"], r["action"], r["prefix"])
        if r["action"] == "announce":
            key += (tuple(r["as_path"]), r["next_hop"], r["med"],
                    r["local_pref"], tuple(r["communities"]), r["origin_as"])
        out[key] += 1
    return out


def decoder_eors(msgs):
    """(peer, view, family) of every End-of-RIB bmpflow-decode printed."""
    return collections.Counter(
        (m["peer"]["type"], m["peer"]["address"], m["peer"]["rib"],
         m["peer"]["post_policy"], m["bgp"]["eor_afi_safi"])
        for m in msgs if m.get("type") == "route_monitoring" and
        m.get("bgp", {}).get("end_of_rib"))


def avro_eors(recs):
    return collections.Counter(
        (r["peer_type"], r["peer_address"], r["rib"], r["post_policy"],
         r["family"]) for r in recs if r["event"] == "end_of_rib")


def schema_docs(schema_dir):
    """Every record and field of every schema carries a doc."""
    missing = []

    def walk(t, where):
        if isinstance(t, list):
            for b in t:
                walk(b, where)
        elif isinstance(t, dict):
            if t.get("type") == "record":
                if not t.get("doc"):
                    missing.append("%s: record %s has no doc" % (
                        where, t["name"]))
                for f in t["fields"]:
                    if not f.get("doc"):
                        missing.append("%s: field %s.%s has no doc" % (
                            where, t["name"], f["name"]))
                    walk(f["type"], where)
            elif t.get("type") == "array":
                walk(t["items"], where)
    for name in sorted(os.listdir(schema_dir)):
        if name.endswith(".avsc"):
            walk(json.load(open(os.path.join(schema_dir, name))), name)
    return missing


def main():
    args = harness.test_args()

    files = sorted(glob.glob(os.path.join(args.data, "bmp", "*.bmp")))
    if not files:
        print("no captures under %s/bmp" % args.data)
        return 1
    schemas = harness.Schemas(args.schemas)
    # Every wait together (10 s on an idle release build).
    ck = harness.Checks(budget=harness.slow(240))
    ck.fail_all(schema_docs(args.schemas))
    col = harness.Collector(args.collector, args.schemas)
    try:
        sources = {}
        for i, path in enumerate(files):
            src = "127.0.1.%d" % (i + 1)
            sources[src] = path
            # Odd-sized writes: messages straddle reads on purpose.
            harness.replay(col.port, open(path, "rb").read(), source=src,
                           chunk=1381 if i % 2 else None)
        # One router over IPv6 as well.
        v6 = [f for f in files if "cisco-xr7101" in f][0]
        sources["::1"] = v6
        harness.replay(col.port, open(v6, "rb").read(), source="::1",
                       host="::1")
        col.wait_delivered()
        by_topic = {}
        keyed_peer = []
        for t in ("route", "peer", "router", "stats"):
            by_topic[t] = collections.defaultdict(list)
            headers = []
            recs = harness.consume(col.brokers, "bmp." + t, schemas,
                                   headers)
            for (key, name, rec), hdr in zip(recs, headers):
                if name != t:
                    ck.fail("bmp.%s holds a %s record" % (t, name))
                if hdr != "schema=" + t:
                    ck.fail("bmp.%s message headers '%s'" % (t, hdr))
                want_key = {"route": rec.get("prefix") if not rec.get("rd")
                            else "%s|%s" % (rec.get("rd"), rec.get("prefix")),
                            "router": rec["router_address"]}.get(t)
                if want_key is not None and key != want_key:
                    ck.fail("bmp.%s key '%s', want '%s'" % (
                        t, key, want_key))
                by_topic[t][rec["router_address"]].append(rec)
                if t == "peer":
                    keyed_peer.append((key, rec))
        all_peer = [r for v in by_topic["peer"].values() for r in v]
        ck.fail_all(harness.closed_epoch_problems(all_peer))
        all_route = [r for v in by_topic["route"].values() for r in v]
        ck.fail_all(harness.route_epoch_problems(all_route, all_peer))
        n_opened = sum(map(harness.opened_by_collector, all_peer))
        ck.fail_all(harness.end_of_rib_problems(keyed_peer))
        eors = {src: avro_eors(recs)
                for src, recs in by_topic["peer"].items()}
        n_closed = len(harness.split_peer_events(all_peer)[1])
        for src in list(by_topic["peer"]):
            by_topic["peer"][src] = harness.split_peer_events(
                by_topic["peer"][src])[0]
        # bmpflow-tail prints the same records as JSON lines.
        tail = os.path.join(os.path.dirname(args.collector), "bmpflow-tail")
        out = subprocess.run([tail, "--kafka-bootstrap-file",
                              col.bootstrap_file, "-t", "peer",
                              "--from-beginning", "--meta", "--schema-dir",
                              args.schemas], capture_output=True, text=True,
                             timeout=harness.slow(120))
        lines = [json.loads(l) for l in out.stdout.splitlines()]
        n_peer = len(all_peer)
        if out.returncode != 0 or len(lines) != n_peer or any(
                l["schema"] != "peer" or l["value"]["event"] not in
                ("up", "down", "end_of_rib") for l in lines):
            ck.fail("bmpflow-tail printed %d peer records (rc %d), "
                    "kcat read %d" % (len(lines), out.returncode,
                                      n_peer))
        print("bmpflow-tail: %d peer records as JSON; %d session-closed "
              "Peer Downs; %d Peer Ups of epochs the collector opened at "
              "a route" % (len(lines), n_closed, n_opened))
        print("%-55s %7s %7s %7s %7s %7s" % ("capture", "route", "peer",
                                             "eor", "router", "stats"))
        frr108_eors = 0
        for src, path in sources.items():
            n, _ = harness.decoder_summary(args.decode, path)
            want = {
                "route": n["prefixes announced"] + n["withdrawn"],
                "peer": n["peer_up"] + n["peer_down"],
                # connected + disconnected + Initiation + Termination
                "router": 2 + n["initiation"] + n["termination"],
                "stats": n["stats"],
            }
            got = {t: len(by_topic[t][src]) for t in want}
            want["eor"] = n["end-of-rib"]
            got["eor"] = sum(eors.get(src, {}).values())
            name = os.path.basename(path)
            print("%-55s %7d %7d %7d %7d %7d" % (
                name, got["route"], got["peer"], got["eor"], got["router"],
                got["stats"]))
            for t in want:
                if want[t] != got[t]:
                    ck.fail("%s: bmp.%s has %d records, decoder "
                            "counts %d" % (name, t, got[t], want[t]))
            msgs = harness.decoder_json(args.decode, path)
            if decoder_eors(msgs) != eors.get(src, collections.Counter()):
                ck.fail("%s: End-of-RIB records %s, decoder %s" % (
                    name, dict(eors.get(src, {})), dict(decoder_eors(msgs))))
            if name.startswith("frr108-"):
                frr108_eors += got["eor"]
            exp = decoder_routes(msgs)
            act = avro_routes(by_topic["route"][src])
            if exp != act:
                miss = list((exp - act).items())[:3]
                extra = list((act - exp).items())[:3]
                ck.fail("%s: route values differ; decoder-only %s; "
                        "kafka-only %s" % (name, miss, extra))
            for rec in by_topic["peer"][src]:
                if rec["peer_epoch"] < 1 and rec["event"] == "up":
                    ck.fail("%s: Peer Up without epoch" % name)
        if frr108_eors != 12:
            ck.fail("FRR 10.8 captures: %d End-of-RIB records, "
                    "SOURCES.md says 12" % frr108_eors)
        m = col.metrics()
        print("collector: %d sessions, %d route records delivered, "
              "%d framing errors, %d truncated" % (
                  m['bmpflow_sessions_total{outcome="accepted"}'],
                  m['bmpflow_records_total{topic="bmp.route",'
                    'state="delivered"}'],
                  m['bmpflow_decode_errors_total{kind="framing"}'],
                  m['bmpflow_decode_errors_total{kind="truncated"}']))
    finally:
        rc = ck.finish(col=col, summary="replay: %d captures" % len(files))
    return rc


if __name__ == "__main__":
    sys.exit(main())
