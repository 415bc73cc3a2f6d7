"""Shared helpers for the collector tests: start bmpflow-collector on its
embedded Kafka, replay BMP bytes over TCP from chosen loopback addresses,
read topics back through kcat and decode them with python3-avro (an Avro
implementation independent of the avro-c writer in the collector)."""

import io
import json
import os
import re
import signal
import socket
import struct
import subprocess
import tempfile
import time
import urllib.request

import avro.io
import avro.schema

CRC64_EMPTY = 0xC15D213AA4D7A795
_TABLE = []
for _i in range(256):
    _f = _i
    for _ in range(8):
        _f = (_f >> 1) ^ (CRC64_EMPTY & -(_f & 1))
    _TABLE.append(_f)


def crc64_avro(data):
    fp = CRC64_EMPTY
    for b in data:
        fp = (fp >> 8) ^ _TABLE[(fp ^ b) & 0xFF]
    return fp


class Schemas:
    """Every schemas/*.avsc, by fingerprint of its canonical form."""

    def __init__(self, schema_dir):
        self.by_fp = {}
        self.by_name = {}
        for name in sorted(os.listdir(schema_dir)):
            if not name.endswith(".avsc"):
                continue
            s = avro.schema.parse(open(os.path.join(schema_dir, name)).read())
            fp = crc64_avro(s.canonical_form.encode())
            self.by_fp[fp] = (name[:-5], s)
            self.by_name[name[:-5]] = s

    def decode(self, value):
        """Single-object encoded bytes -> (schema name, dict)."""
        if value[:2] != b"\xc3\x01":
            raise ValueError("no single-object marker: %r" % value[:2])
        (fp,) = struct.unpack("<Q", value[2:10])
        if fp not in self.by_fp:
            raise ValueError("unknown fingerprint %016x" % fp)
        name, s = self.by_fp[fp]
        rec = avro.io.DatumReader(s).read(
            avro.io.BinaryDecoder(io.BytesIO(value[10:])))
        return name, rec


def vm_hwm_kib(pid):
    """Peak resident memory (VmHWM) of a process, KiB; 0 when unknown."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Collector:
    """bmpflow-collector in a temp dir, on its embedded Kafka."""

    def __init__(self, binary, schema_dir, extra=(), env=None):
        self.dir = tempfile.mkdtemp(prefix="bmpflow-test-")
        self.port = free_port()
        self.metrics_port = free_port()
        self.bootstrap_file = os.path.join(self.dir, "bootstrap")
        self.log_path = os.path.join(self.dir, "collector.log")
        args = [binary, "--listen", "127.0.0.1:%d" % self.port,
                "--listen", "[::1]:%d" % self.port,
                "--metrics", "127.0.0.1:%d" % self.metrics_port,
                "--kafka-bootstrap-file", self.bootstrap_file,
                "--schema-dir", schema_dir] + list(extra)
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(args, stdout=self.log,
                                     stderr=subprocess.STDOUT, env=env)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("collector exited: %s" % self.read_log())
            if os.path.exists(self.bootstrap_file) and self._listening():
                break
            time.sleep(0.05)
        else:
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError("collector not ready: %s" % self.read_log())
        self.brokers = open(self.bootstrap_file).read().strip()

    def _listening(self):
        try:
            socket.create_connection(("127.0.0.1", self.metrics_port),
                                     timeout=1).close()
            return True
        except OSError:
            return False

    def read_log(self):
        with open(self.log_path) as f:
            return f.read()

    def metrics(self):
        url = "http://127.0.0.1:%d/metrics" % self.metrics_port
        text = urllib.request.urlopen(url, timeout=10).read().decode()
        out = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                k, v = line.rsplit(" ", 1)
                out[k] = float(v)
        return out

    def wait_delivered(self, timeout=120):
        """Until no session is open and every produced record is acked."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            m = self.metrics()
            if m["bmpflow_sessions"] == 0 and \
                    m["bmpflow_producer_queue_messages"] == 0:
                return m
            time.sleep(0.1)
        raise RuntimeError("records not delivered in %ds: %s" % (timeout, m))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode


def replay(port, data, source="127.0.0.1", chunk=None, host="127.0.0.1"):
    """Send data over one TCP session from source; close when done."""
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.bind((source, 0))
    s.connect((host, port))
    if chunk is None:
        s.sendall(data)
    else:
        for i in range(0, len(data), chunk):
            s.sendall(data[i:i + chunk])
    s.shutdown(socket.SHUT_WR)
    # Wait for the collector to close its side: all bytes were read.
    s.settimeout(60)
    try:
        while s.recv(4096):
            pass
    except OSError:
        pass
    s.close()


def consume(brokers, topic, schemas, headers=None):
    """Every record of topic, decoded: list of (key, schema, record).
    With a list for headers, each message's Kafka headers text ("n=v,...")
    is appended to it."""
    out = subprocess.run(
        ["kcat", "-C", "-b", brokers, "-t", topic, "-e", "-q",
         "-f", "%R%s%k\t%h\n"], capture_output=True, check=False,
        timeout=600)
    if out.returncode != 0:
        raise RuntimeError("kcat %s: %s" % (topic, out.stderr.decode()))
    data = out.stdout
    recs = []
    off = 0
    while off < len(data):
        (n,) = struct.unpack(">I", data[off:off + 4])
        off += 4
        value = data[off:off + n]
        off += n
        end = data.index(b"\n", off)
        key, hdrs = data[off:end].decode().split("\t", 1)
        off = end + 1
        if headers is not None:
            headers.append(hdrs)
        name, rec = schemas.decode(value)
        recs.append((key, name, rec))
    return recs


def decoder_summary(decode_bin, path):
    """Counts from bmpflow-decode's summary line for one capture."""
    out = subprocess.run([decode_bin, "-q", path], capture_output=True,
                         text=True, check=False)
    line = [l for l in out.stderr.splitlines()
            if l.startswith(path + ": ") and " messages (" in l][-1]
    nums = {k: int(v) for k, v in re.findall(r"([a-z_]+) (\d+)", line)}
    for v, k in re.findall(r"(\d+) ([a-z -]+)", line):
        nums[k.strip()] = int(v)
    return nums, out.returncode


def decoder_json(decode_bin, path):
    out = subprocess.run([decode_bin, "--json", path], capture_output=True,
                         text=True, check=False)
    return [json.loads(l) for l in out.stdout.splitlines() if l.strip()]


def test_args(*extra):
    """The arguments every collector test takes (CMake passes them), plus
    extra required options such as "--mock-kafka"."""
    import argparse
    ap = argparse.ArgumentParser()
    for name in ("--collector", "--decode", "--schemas", "--data") + extra:
        ap.add_argument(name, required=True)
    return ap.parse_args()


def finish(col, failures, summary):
    """Stop the collector (if any), print failures and the summary line;
    the process exit status."""
    if col is not None:
        rc = col.stop()
        if rc != 0:
            failures.append("collector exit status %s" % rc)
    for f in failures:
        print("FAIL:", f)
    print("%s, %d failures" % (summary, len(failures)))
    return 1 if failures else 0


SESSION_CLOSED = "router_session_closed"


def split_peer_events(recs):
    """bmp.peer records -> (the router's Peer Up/Down, the Peer Downs the
    collector adds for peers still up when their router's session closed)."""
    bmp = [r for r in recs if r.get("down_reason") != SESSION_CLOSED]
    closed = [r for r in recs if r.get("down_reason") == SESSION_CLOSED]
    return bmp, closed


def closed_epoch_problems(recs):
    """Session-closed Peer Downs are right: each ends an epoch a Peer Up
    opened and no Peer Down closed, at most once; and the latest epoch of
    every peer is ended by a Peer Down of either kind.  (Earlier epochs
    end with the next Peer Up: routers send one per RIB view; the session
    of a record is not visible, so those are not required to have one.)"""
    import collections as _c

    def peer(r):
        return (r["router_address"], r["peer_type"], r["peer_address"],
                r["peer_rd"])
    bmp, closed = split_peer_events(recs)
    ups = {peer(r) + (r["peer_epoch"],) for r in bmp if r["event"] == "up"}
    downs = {peer(r) + (r["peer_epoch"],) for r in bmp if r["event"] == "down"}
    got = _c.Counter(peer(r) + (r["peer_epoch"],) for r in closed)
    problems = ["session-closed Peer Down of an epoch %s" % why
                for k, n in got.items()
                for why in (["no Peer Up opened: %s" % (k,)] if k not in ups
                            else []) +
                (["a Peer Down closed: %s" % (k,)] if k in downs else []) +
                (["%d times: %s" % (n, k)] if n > 1 else [])]
    latest = {}
    for k in ups:
        latest[k[:4]] = max(latest.get(k[:4], 0), k[4])
    for p, e in latest.items():
        if p + (e,) not in downs and p + (e,) not in got:
            problems.append("latest epoch never ended: %s" % (p + (e,),))
    return problems[:5]
