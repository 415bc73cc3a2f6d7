#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The three record formats against a real Schema Registry and the readers
Kafka users have.

Apicurio Registry (deploy/fetch-registry.sh) runs on loopback with TLS
(a certificate made here), basic authentication and Confluent's default
compatibility, BACKWARD.  Three collectors take the same real captures
(Cisco, Huawei, FRR, an EVPN/L3VPN router: routes, VRFs, Loc-RIB, stats,
Peer Downs; bmp.raw on), one per format:
  - avro-confluent: every topic read back with confluent-kafka's
    AvroDeserializer (schemas fetched from the registry by id) equals the
    avro collector's records decoded with python3-avro; the registry holds
    each topic's schema under TOPIC-value;
  - json: every topic read with a plain JSON reader equals them too;
  - bmpflow-tail prints the same lines from all three;
  - bmpflow-processor (prefix_health) reads each collector's topics, as
    many records from each and none refused, and writes its output in
    the same format, read back by the same readers.
Then the registry's checks: a route schema registered before without a
field that has a default takes ours as a compatible new version (read
back with the older schema through fastavro); one without a field that
has none refuses ours, and the collector stops saying so; a wrong
password, an untrusted certificate and a registry that does not answer
stop it too, each with its reason.

Runs with the Python of deploy/fetch-pytools.sh (confluent-kafka,
fastavro), which sees Debian's python3-avro."""

import copy
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import schema_registry  # noqa: E402

try:
    import fastavro
    from confluent_kafka.schema_registry import SchemaRegistryClient
    from confluent_kafka.schema_registry.avro import AvroDeserializer
    from confluent_kafka.serialization import (MessageField,
                                               SerializationContext)
except ImportError as e:
    sys.exit("test_formats needs confluent-kafka and fastavro (run "
             "deploy/fetch-pytools.sh and this test with its python): %s"
             % e)

CAPTURES = [("cisco-xr2441-locrib-peerdown-vrf.bmp", "127.0.31.1"),
            ("cisco-xr7102-18peers-realtcp.bmp", "127.0.31.2"),
            ("huawei-vrp8210-locrib.bmp", "127.0.31.3"),
            ("evpn-l3vpn-stats-peerdown.s1.bmp", "127.0.31.4"),
            ("frr801-6wind-peerdown.bmp", "127.0.31.5")]
TOPICS = ["router", "peer", "route", "route.state", "stats", "raw"]
# Fields the collector's clock sets: differ between two collectors.
CLOCK_FIELDS = {"collector_time_us", "peer_epoch"}
USER, PASSWORD = "bmpflow", "s3cret-pw"


def plain(v):
    """A decoded Avro value as the json format writes it: bytes as hex,
    the collector's clock fields left out."""
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items() if k not in CLOCK_FIELDS}
    if isinstance(v, list):
        return [plain(x) for x in v]
    if isinstance(v, (bytes, bytearray)):
        return v.hex()
    return v


def canon(records):
    """(key, record) pairs as a sorted list of text: a multiset."""
    return sorted("%s %s" % (k, json.dumps(plain(r), sort_keys=True))
                  for k, r in records)


def consume_raw(brokers, topic):
    """[(key, value bytes or None for a tombstone)] of topic."""
    out = subprocess.run(["kcat", "-C", "-b", brokers, "-t", topic, "-e",
                          "-q", "-f", "%S\t%K\t%k%s"], capture_output=True,
                         check=True, timeout=harness.slow(120)).stdout
    recs, off = [], 0
    while off < len(out):
        tab = out.index(b"\t", off)
        tab2 = out.index(b"\t", tab + 1)
        size, klen = int(out[off:tab]), int(out[tab + 1:tab2])
        off = tab2 + 1 + max(klen, 0)
        key = out[tab2 + 1:off].decode()
        value = None if size < 0 else out[off:off + size]
        off += max(size, 0)
        recs.append((key, value))
    return recs


def make_cert(tmp):
    cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                    "-nodes", "-keyout", key, "-out", cert, "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext",
                    "subjectAltName=IP:127.0.0.1"], check=True,
                   capture_output=True, timeout=harness.slow(60))
    return cert, key


def registry_flags(reg, cert, password=PASSWORD):
    return ["--schema-registry-url", reg.url, "--schema-registry-user", USER,
            "--schema-registry-password", password,
            "--schema-registry-ca-file", cert]


def feed(col):
    """The captures over router sessions kept open (closing them would end
    every route before prefix_health is read); the sockets."""
    return [harness.open_router(col.port, open(os.path.join(
        ARGS.data, "bmp", name), "rb").read(), src) for name, src in CAPTURES]


def wait_read(col):
    """Until col has read every byte of the captures and Kafka has all it
    produced (the sessions stay open)."""
    total = sum(os.path.getsize(os.path.join(ARGS.data, "bmp", n))
                for n, _ in CAPTURES)
    if not harness.wait_until(
            lambda: (lambda m: m["bmpflow_bytes_total"] >= total and
                     m["bmpflow_producer_queue_messages"] == 0)(
                         col.metrics()), harness.slow(120), 0.1):
        raise RuntimeError("captures not read and delivered: %s" %
                           col.metrics())


def tail_lines(col, topic, extra=()):
    out = subprocess.run([ARGS.tail, "-B", col.bootstrap_file, "-t", topic,
                          "--from-beginning", "--schema-dir", ARGS.schemas]
                         + list(extra), capture_output=True, text=True,
                         timeout=harness.slow(120))
    return out.returncode, sorted(json.dumps(plain(json.loads(line)),
                                             sort_keys=True)
                                  for line in out.stdout.splitlines()), \
        out.stderr


def refused(ck, what, extra, expect, status=1):
    """A collector with extra flags exits with status before serving, a
    line of its output holding each text of expect."""
    out = subprocess.run([ARGS.collector, "--listen", "127.0.0.1:%d" %
                          harness.free_port(), "--schema-dir", ARGS.schemas]
                         + extra, capture_output=True, text=True,
                         timeout=harness.slow(60))
    lines = out.stdout.splitlines() + out.stderr.splitlines()
    said = [ln for ln in lines if all(e in ln for e in expect)]
    ck.check(out.returncode == status and said, "%s: the collector stops "
             "(exit %d) saying %r" % (what, out.returncode, said[0] if said
                                      else lines[-3:]))


def unknown_ids(ck, reg, col, proc, n=50):
    """n avro-confluent records of an id the registry does not have: each
    refused as a bad record, the registry asked once."""
    key = "bmpflow_processor_records_bad_total"
    before = proc.metrics().get(key, 0)
    subprocess.run(["kcat", "-P", "-b", col.brokers, "-t", "bmp.route",
                    "-p", "0", "-D", "\x1e"],
                   input=b"\x1e".join(b"\x00\x00\x0f\x42\x3f\x02bad%d" % i
                                      for i in range(n)),
                   check=True, timeout=harness.slow(60))
    ck.check(harness.wait_until(lambda: proc.metrics().get(key, 0) >=
                                before + n, harness.slow(60)),
             "%d records of unknown schema id 999999 refused as bad" % n)
    with open(reg.log_path, errors="replace") as f:
        asked = sum("registry.access" in line and
                    'path="/apis/ccompat/v7/schemas/ids/999999"' in line
                    for line in f)
    ck.check(asked == 1, "the registry was asked about id 999999 %d "
             "time(s), not once per record" % asked)


def evolution(ck, reg, cert):
    """A compatible new version and an incompatible one, on subjects of
    their own (topic prefixes evo. and bad.)."""
    ours = json.load(open(os.path.join(ARGS.schemas, "route.avsc")))

    def without(field):
        s = copy.deepcopy(ours)
        s["fields"] = [f for f in s["fields"] if f["name"] != field]
        return s
    older = without("aigp")          # ours adds aigp, default null
    status, body = reg.request("POST", "/subjects/evo.route-value/versions",
                               {"schema": json.dumps(older)})
    ck.check(status == 200, "route.avsc without aigp registered as "
             "evo.route-value version 1 (%s %s)" % (status, body))
    col = harness.Collector(ARGS.collector, ARGS.schemas, [
        "--topic-prefix", "evo.", "--format", "avro-confluent",
        "--route-state", "false"] + registry_flags(reg, cert))
    try:
        harness.replay(col.port, open(os.path.join(
            ARGS.data, "bmp", CAPTURES[0][0]), "rb").read())
        col.wait_delivered()
        status, versions = reg.request("GET",
                                       "/subjects/evo.route-value/versions")
        ck.check(status == 200 and len(versions or []) == 2,
                 "ours (a new field with a default) registered as a "
                 "compatible version 2 of evo.route-value: %s" % versions)
        values = [v for _, v in consume_raw(col.brokers, "evo.route")]
        ids = {int.from_bytes(v[1:5], "big") for v in values}
        status, latest = reg.request(
            "GET", "/subjects/evo.route-value/versions/latest")
        ck.check(values and ids == {latest["id"]}, "%d records carry the "
                 "new version's id %s (ids %s)" % (len(values),
                                                   latest.get("id"), ids))
        writer = fastavro.parse_schema(ours)
        reader = fastavro.parse_schema(older)
        old_view = [fastavro.schemaless_reader(io.BytesIO(v[5:]), writer,
                                               reader) for v in values]
        ck.check(all("aigp" not in r and r["prefix"] for r in old_view),
                 "a consumer still on version 1 reads all %d (fastavro, "
                 "schema resolution)" % len(old_view))
    finally:
        ck.check(col.stop() == 0, "evo collector stops cleanly")
        shutil.rmtree(col.dir, ignore_errors=True)
    status, _ = reg.request("POST", "/subjects/bad.route-value/versions",
                            {"schema": json.dumps(without("prefix"))})
    ck.check(status == 200, "route.avsc without prefix registered as "
             "bad.route-value")
    refused(ck, "a schema adding a field without default",
            ["--topic-prefix", "bad.", "--format", "avro-confluent"] +
            registry_flags(reg, cert), ["bad.route-value", "HTTP 409",
                                        "incompatible"])


def main():
    global ARGS
    ARGS = harness.test_args("--tail", "--processor")
    ck = harness.Checks(budget=harness.slow(420))
    tmp = tempfile.mkdtemp(prefix="bmpflow-formats-")
    reg = None
    cols, procs, routers = {}, {}, []
    try:
        cert, key = make_cert(tmp)
        reg = schema_registry.SchemaRegistry(
            compatibility="BACKWARD", basic_auth=(USER, PASSWORD),
            tls=(cert, key))
        print("Schema Registry (Apicurio, TLS, basic auth) serving in "
              "%.1f s" % reg.start_seconds)
        flags = {"avro": [],
                 "avro-confluent": registry_flags(reg, cert),
                 "json": []}
        for fmt, extra in flags.items():
            cols[fmt] = harness.Collector(ARGS.collector, ARGS.schemas, [
                "--format", fmt, "--raw", "true"] + extra)
        # Processors first: what a new one finds in Kafka is state it
        # rebuilds (bmp.route.state) without outputs.
        for fmt, col in cols.items():
            procs[fmt] = harness.Processor(
                ARGS.processor, col, ARGS.schemas, "prefix_health",
                tick_ms=200, name="ph-" + fmt,
                extra=["--output-format", fmt] + flags[fmt])
        for p in procs.values():
            p.wait_assigned(harness.slow(60))
        for fmt, col in cols.items():
            routers += feed(col)
        for col in cols.values():
            wait_read(col)

        schemas = harness.Schemas(ARGS.schemas)
        # Bounded: httpx waits forever by default.
        client = SchemaRegistryClient({
            "url": reg.url, "basic.auth.user.info": "%s:%s" % (USER,
                                                               PASSWORD),
            "ssl.ca.location": cert, "timeout": harness.slow(30)})
        deser = AvroDeserializer(client)
        for topic in TOPICS:
            t = "bmp." + topic
            # Tombstones (bmp.route.state) are alike in every format.
            want = [(k, v and schemas.decode(v)[1]) for k, v in
                    consume_raw(cols["avro"].brokers, t)]
            conf = [(k, v and deser(v, SerializationContext(
                t, MessageField.VALUE))) for k, v in consume_raw(
                    cols["avro-confluent"].brokers, t)]
            js = [(k, v and json.loads(v)) for k, v in consume_raw(
                cols["json"].brokers, t)]
            ck.check(want and canon(conf) == canon(want),
                     "%s: %d avro-confluent records read by confluent-kafka's"
                     " AvroDeserializer equal the %d avro ones" % (
                         t, len(conf), len(want)))
            ck.check(canon(js) == canon(want), "%s: %d json records read "
                     "by a plain JSON reader equal them" % (t, len(js)))
            if topic == "route":
                want_route = want
        status, subjects = reg.request("GET", "/subjects")
        wanted = {"bmp.%s-value" % t for t in TOPICS if t != "route.state"}
        ck.check(status == 200 and wanted <= set(subjects or []),
                 "the registry holds %s" % sorted(wanted))

        rc, avro_lines, _ = tail_lines(cols["avro"], "bmp.route")
        for fmt in ("avro-confluent", "json"):
            rc2, lines, err = tail_lines(cols[fmt], "bmp.route", flags[fmt])
            ck.check(rc == rc2 == 0 and lines == avro_lines and lines,
                     "bmpflow-tail prints the same %d bmp.route lines from "
                     "%s as from avro %s" % (len(lines), fmt, err[-200:]))

        # What prefix_health outputs depends on when each record came in
        # (bmp.route and bmp.peer are read apart), so the three runs are
        # compared on what the host read; the outputs on their format.
        prefixes = {r["prefix"] for _, r in want_route}
        read_in = {}
        for fmt, p in procs.items():
            harness.settle_outputs(p.mport, timeout=120)
            m = p.metrics()
            read_in[fmt] = m.get("bmpflow_processor_records_in_total")
            ck.check(m.get("bmpflow_processor_records_bad_total") == 0,
                     "prefix_health on %s input: no record refused" % fmt)
            t = "bmp.prefix_health"
            read = {"avro": lambda v: schemas.decode(v)[1],
                    "json": json.loads,
                    "avro-confluent": lambda v: deser(v, SerializationContext(
                        t, MessageField.VALUE))}[fmt]
            recs = [read(v) for _, v in consume_raw(cols[fmt].brokers, t)]
            # A VPN prefix's output is keyed "RD PREFIX".
            ck.check(recs and all(r["prefix"].split()[-1] in prefixes and
                                  r["state"] for r in recs),
                     "its %d %s outputs read back (%s), each of a prefix "
                     "bmp.route holds" % (len(recs), fmt, {
                         "avro": "python3-avro", "json": "JSON reader",
                         "avro-confluent": "AvroDeserializer"}[fmt]))
        ck.check(read_in["avro"] and len(set(read_in.values())) == 1,
                 "the host read as many records from each format: %s" %
                 read_in)
        unknown_ids(ck, reg, cols["avro-confluent"], procs["avro-confluent"])
        for fmt, p in procs.items():
            ck.check(p.stop() == 0, "processor (%s) stops cleanly" % fmt)
        procs.clear()

        evolution(ck, reg, cert)
        refused(ck, "a wrong password", ["--format", "avro-confluent"] +
                registry_flags(reg, cert, "wrong"),
                ["HTTP 401", "schema-registry-user"])
        refused(ck, "a certificate not signed by the CA file",
                ["--format", "avro-confluent", "--schema-registry-url",
                 reg.url], ["SSL certificate"])
        refused(ck, "a registry that does not answer",
                ["--format", "avro-confluent", "--schema-registry-url",
                 "http://127.0.0.1:%d" % harness.free_port()],
                ["schema registry", "onnect"])
        refused(ck, "avro-confluent without a registry",
                ["--topic.stats.format", "avro-confluent"],
                ["bmp.stats", "schema-registry-url"], status=2)
    except Exception as e:  # noqa: BLE001 - reported as a failure
        ck.fail("%s: %s" % (type(e).__name__, e))
    finally:
        for r in routers:
            r.close()
        for p in procs.values():
            p.stop()
        for col in cols.values():
            if col.stop() != 0:
                ck.fail("collector exit status %s: %s" % (
                    col.proc.returncode, harness.tail(col.log_path)))
            if not ARGS.keep:
                shutil.rmtree(col.dir, ignore_errors=True)
        if reg is not None:
            reg.stop(keep=ARGS.keep)
        shutil.rmtree(tmp, ignore_errors=True)
    return ck.finish("formats")


if __name__ == "__main__":
    sys.exit(main())
