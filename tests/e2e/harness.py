# SPDX-License-Identifier: Apache-2.0
"""Shared helpers for the collector tests: start bmpflow-collector on its
embedded Kafka, replay BMP bytes over TCP from chosen loopback addresses,
read topics back through kcat and decode them with python3-avro (an Avro
implementation independent of the avro-c writer in the collector)."""

import argparse
import errno
import io
import json
import os
import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time
import urllib.request

import avro.io
import avro.schema

import kafka_cluster

# The one knob of every time limit in the tests.  Sanitizer builds
# (BMPFLOW_SANITIZED=1 and BMPFLOW_TIME_SCALE from ctest, which scales its
# own TIMEOUTs alike) run 3-5x slower; BMPFLOW_TIME_SCALE also serves a
# machine busier than the limits allow for.
SANITIZED = os.environ.get("BMPFLOW_SANITIZED") == "1"
TIME_SCALE = float(os.environ.get("BMPFLOW_TIME_SCALE") or
                   (4 if SANITIZED else 1))
# The end of the running test's budget (Checks(budget)), or None.
_budget_end = None


def scaled(seconds):
    """seconds, as on an idle release build, scaled by TIME_SCALE: the
    limit of a stop, which the budget does not cut (a process stopped at
    the end of a test must have its time to drain and exit 0)."""
    return seconds * TIME_SCALE


def slow(seconds):
    """A wait's limit: scaled(seconds), cut to what is left of the test's
    budget (at least 1 s).  Every wait of the tests goes through it, so
    that a test ends within its budget plus its stops: ctest's TIMEOUT is
    set above that."""
    if _budget_end is None:
        return scaled(seconds)
    return min(scaled(seconds), max(_budget_end - time.time(), 1.0))


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


def proc_status_kib(pid, field):
    """A KiB figure of /proc/PID/status (VmRSS, VmHWM, ...); 0 when
    unknown."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def vm_hwm_kib(pid):
    """Peak resident memory (VmHWM) of a process, KiB; 0 when unknown."""
    return proc_status_kib(pid, "VmHWM")


def kafka_flags(props):
    """["PROP=VALUE", ...] (as benchmarks take them) -> --kafka.PROP VALUE
    flags for bmpflow-collector and bmpflow-processor."""
    flags = []
    for kv in props:
        k, v = kv.split("=", 1)
        flags += ["--kafka." + k, v]
    return flags


def scrape_metrics(port, timeout=None):
    """The Prometheus /metrics of 127.0.0.1:port as {series: value}
    (OSError when it does not answer within timeout, by default
    slow(10))."""
    text = urllib.request.urlopen(
        "http://127.0.0.1:%d/metrics" % port,
        timeout=slow(10) if timeout is None else timeout).read().decode()
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            k, v = line.rsplit(" ", 1)
            out[k] = float(v)
    return out


def _ephemeral_low():
    """The first port of the kernel's ephemeral range."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


# Its own generator: a test seeding random must not pick its ports.
_port_rng = random.Random()


def _bindable(family, host, port):
    try:
        with socket.socket(family) as s:
            s.bind((host, port))
        return True
    except OSError as e:
        # No IPv6 on this machine: only IPv4 matters.
        return family == socket.AF_INET6 and e.errno in (
            errno.EAFNOSUPPORT, errno.EADDRNOTAVAIL)


def free_port():
    """A port free on 127.0.0.1 and ::1, below the kernel's ephemeral
    range: a port the kernel handed out by bind(0) is also the source
    port of the next outgoing connections, which can take it before the
    server it was meant for binds it (or rebinds it after a restart)."""
    lo = _ephemeral_low()
    first = max(1024, lo - 12000)
    for _ in range(200):
        port = _port_rng.randrange(first, lo)
        if _bindable(socket.AF_INET, "127.0.0.1", port) and \
                _bindable(socket.AF_INET6, "::1", port):
            return port
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Collector:
    """bmpflow-collector in a temp dir, on its embedded Kafka, or with
    BMPFLOW_TEST_KAFKA=real and no --brokers in extra on a real 1-node
    cluster shared by this test process (kafka_cluster.shared_cluster)."""

    def __init__(self, binary, schema_dir, extra=(), env=None):
        if kafka_cluster.real_kafka() and "--brokers" not in extra:
            # bmp.route partitioned as on the embedded Kafka, so that a
            # test sees one layout on both.
            extra = list(extra)
            parts = extra[extra.index("--embedded-partitions") + 1] \
                if "--embedded-partitions" in extra else "8"
            extra = ["--brokers", kafka_cluster.shared_cluster().brokers,
                     "--topic.route.partitions", parts] + extra
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
        deadline = time.time() + slow(30)
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
        return scrape_metrics(self.metrics_port)

    def wait_delivered(self, timeout=None):
        """Until no session is open and every produced record is acked
        (within timeout seconds, by default slow(120)), and stays so for
        scaled(0.5) s with no session accepted and no byte read meanwhile:
        a replay that has just returned may still wait in the listen
        queue, unaccepted."""
        timeout = slow(120) if timeout is None else timeout
        deadline = time.time() + timeout
        settled = None
        while time.time() < deadline:
            m = self.metrics()
            state = (m['bmpflow_sessions_total{outcome="accepted"}'],
                     m["bmpflow_bytes_total"])
            if m["bmpflow_sessions"] != 0 or \
                    m["bmpflow_producer_queue_messages"] != 0:
                settled = None
            elif settled is None or settled[0] != state:
                settled = (state, time.time())
            elif time.time() - settled[1] >= scaled(0.5):
                return m
            time.sleep(0.1)
        raise RuntimeError("records not delivered in %ds: %s" % (timeout, m))

    def stop(self):
        stop_process(self.proc)
        self.log.close()
        return self.proc.returncode


def remove_dirs(tmp, col, keep=False):
    """Remove a test's temp dir tmp and its collector's (col may be None);
    with keep, leave both and say where they are."""
    if keep:
        print("kept %s and %s" % (tmp, col.dir if col else "-"))
    else:
        shutil.rmtree(tmp, ignore_errors=True)
        if col is not None:
            shutil.rmtree(col.dir, ignore_errors=True)


def stop_process(proc, timeout=None, sig=signal.SIGTERM):
    """Send sig to proc unless it has exited, wait up to timeout seconds
    (by default scaled(60)) for it, then kill it.  True when it exited by
    itself, False when it had to be killed."""
    timeout = scaled(60) if timeout is None else timeout
    if proc.poll() is not None:
        return True
    proc.send_signal(sig)
    try:
        proc.wait(timeout=timeout)
        return True
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return False


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
    s.settimeout(slow(60))
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
        timeout=slow(600))
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


class TopicReader:
    """A topic read a piece at a time: each read() returns the records
    published since the previous one, as (key, schema name, record), in
    offset order within each partition (one kcat per partition, from the
    next offset not read yet), so a long test decodes each record once
    and still sees records the mock's size limit later drops."""

    def __init__(self, brokers, topic, schemas):
        self.brokers, self.topic, self.schemas = brokers, topic, schemas
        self.next = {}          # partition -> next offset to read
        self.count = 0          # records returned so far

    def partitions(self):
        out = subprocess.run(["kcat", "-L", "-J", "-b", self.brokers,
                              "-t", self.topic], capture_output=True,
                             timeout=slow(60), check=False)
        try:
            meta = json.loads(out.stdout)
        except ValueError:
            return []
        for t in meta.get("topics", []):
            if t.get("topic") == self.topic and not t.get("error"):
                return sorted(p["partition"] for p in t["partitions"])
        return []

    def read(self):
        running = []
        for part in self.partitions():
            running.append((part, subprocess.Popen(
                ["kcat", "-C", "-b", self.brokers, "-t", self.topic,
                 "-p", str(part), "-o", str(self.next.get(part, 0)), "-e",
                 "-q", "-f", "%R%s%k\t%o\n"],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE)))
        recs = []
        for part, p in running:
            try:
                data, err = p.communicate(timeout=slow(300))
            except subprocess.TimeoutExpired:
                p.kill()
                p.communicate()
                raise RuntimeError("kcat %s [%d]: timeout" % (self.topic,
                                                              part))
            if p.returncode != 0:
                raise RuntimeError("kcat %s [%d]: %s" % (
                    self.topic, part, err.decode(errors="replace")))
            off = 0
            while off < len(data):
                (n,) = struct.unpack(">I", data[off:off + 4])
                value = data[off + 4:off + 4 + n]
                off += 4 + n
                end = data.index(b"\n", off)
                key, offset = data[off:end].decode().rsplit("\t", 1)
                off = end + 1
                self.next[part] = int(offset) + 1
                name, rec = self.schemas.decode(value)
                recs.append((key, name, rec))
        self.count += len(recs)
        return recs


class MockKafka:
    """bmpflow-mock-kafka with topics of partitions each; command() sends
    one fault command ("down", "up", "leader TOPIC ID", ...) and waits
    for its "ok"."""

    def __init__(self, binary, topics, partitions):
        self.proc = subprocess.Popen(
            [binary, "--partitions", str(partitions)] + list(topics),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("bootstrap "):
            self.stop()
            raise RuntimeError("mock kafka: %r" % line)
        self.brokers = line.split()[1]

    def command(self, cmd):
        self.proc.stdin.write(cmd + "\n")
        self.proc.stdin.flush()
        ack = self.proc.stdout.readline().strip()
        if ack != "ok " + cmd:
            raise RuntimeError("mock kafka: %r for %r" % (ack, cmd))

    def stop(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write("quit\n")
                self.proc.stdin.flush()
                self.proc.wait(timeout=scaled(10))
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()


def open_router(port, data, source):
    """A router session from source that sends data and stays open (its
    peers stay up until the caller closes it)."""
    s = socket.socket()
    s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    s.sendall(data)
    return s


def first_of_type(data, mtype):
    """The offset of the first BMP message of type mtype (0 Route
    Monitoring, 2 Peer Down, ...) in a BMP stream; its length if none."""
    off = 0
    while off + 6 <= len(data):
        _, length, t = struct.unpack(">BIB", data[off:off + 6])
        if t == mtype:
            return off
        off += length
    return len(data)


def cut_before_peer_down(data):
    """The BMP stream up to its first Peer Down (type 2) message: sent over
    a session kept open, its peers stay up (a Peer Down, or the
    collector's own at session close, ends their epoch, and a processor
    rightly drops every route of it it has not read yet)."""
    return data[:first_of_type(data, 2)]


def gen_fulltable(gen, path, *args, timeout=None):
    """bmpflow-gen-fulltable args -o path, within timeout seconds (by
    default slow(300)); its "generated:" counts as {name: int}
    (RuntimeError when it fails)."""
    out = subprocess.run([gen] + [str(a) for a in args] + ["-o", path],
                         capture_output=True, text=True,
                         timeout=slow(300) if timeout is None else timeout)
    lines = [l for l in out.stderr.splitlines()
             if l.startswith("generated:")]
    if out.returncode != 0 or not lines:
        raise RuntimeError("generator failed: %s" % out.stderr)
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", lines[-1])}


class Processor:
    """bmpflow-processor --plugin PLUGIN on a Collector's Kafka: plugin
    settings as --set KEY=VALUE, in consumer group group (None: the
    processor's default), its log NAME.log in the collector's dir (appended
    to: a restarted instance of the same name keeps one log), its /metrics
    on a free port."""

    def __init__(self, binary, col, schema_dir, plugin, settings=(),
                 tick_ms=None, extra=(), name="processor", group=None):
        self.name = name
        self.group = group
        self.mport = free_port()
        self.log_path = os.path.join(col.dir, name + ".log")
        self.log = open(self.log_path, "a")
        args = [binary, "--plugin", plugin, "--kafka-bootstrap-file",
                col.bootstrap_file, "--schema-dir", schema_dir,
                "--metrics", "127.0.0.1:%d" % self.mport]
        if tick_ms is not None:
            args += ["--tick-ms", str(tick_ms)]
        if group is not None:
            args += ["--group", group]
        for kv in dict(settings).items():
            args += ["--set", "%s=%s" % kv]
        self.p = subprocess.Popen(args + list(extra), stdout=self.log,
                                  stderr=subprocess.STDOUT)

    def metrics(self):
        """Its /metrics, or {} while it does not answer."""
        try:
            return scrape_metrics(self.mport, timeout=slow(5))
        except OSError:
            return {}

    def wait_assigned(self, timeout):
        """Until it holds bmp.route partitions (RuntimeError if not)."""
        if not wait_until(lambda: self.metrics().get(
                "bmpflow_processor_partitions_assigned", 0) > 0,
                timeout, 0.2):
            raise RuntimeError("processor never got its partitions: %s" %
                               tail(self.log_path))

    def wait_ticks(self, n, timeout=None):
        """wait_ticks([self], n, timeout)."""
        wait_ticks([self], n, timeout)

    def stop(self, sig=signal.SIGTERM, timeout=None):
        """sig (SIGKILL: dies without committing), wait up to timeout
        seconds (by default scaled(30)), then kill; its exit status."""
        timeout = scaled(30) if timeout is None else timeout
        stop_process(self.p, timeout=timeout, sig=sig)
        self.log.close()
        return self.p.returncode


def settle_outputs(mport, above=0, timeout=90):
    """Until a prefix_health processor (/metrics on mport) has every
    session's RIB dump behind it (warm-up) and its outputs, more than
    above, have stopped growing for 8 ticks (1.6 s at 200 ms ticks on an
    idle machine; counted in ticks, a busy machine's stall is not taken
    for it); returns their count."""
    deadline = time.time() + slow(timeout)
    last, since = -1, 0
    while time.time() < deadline:
        try:
            v = scrape_metrics(mport, timeout=slow(5))
        except OSError:
            v = {}
        out = v.get("bmpflow_processor_records_out_total", 0)
        ticks = v.get("bmpflow_processor_ticks_total", 0)
        if out != last:
            last, since = out, ticks
        elif out > above and v.get("bmpflow_prefix_health_peers_warming") \
                == 0 and ticks - since >= 8:
            return out
        time.sleep(0.2)
    return last


def wait_ticks(procs, n, timeout=None):
    """Until each Processor of procs has ticked n more times (what a tick
    outputs is out), within timeout seconds (by default slow(30));
    RuntimeError if not.  A sleep of n ticks' time would come short on a
    busy machine."""
    key = "bmpflow_processor_ticks_total"
    start = [p.metrics().get(key) for p in procs]
    if None in start or not wait_until(
            lambda: all(p.metrics().get(key, 0) >= t + n
                        for p, t in zip(procs, start)),
            slow(30) if timeout is None else timeout, 0.05):
        raise RuntimeError("processors did not tick %d times: %s" % (
            n, "; ".join(tail(p.log_path, 3) for p in procs)))


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


# The programs and directories the tests are given (CMake passes them).
COMMON_FLAGS = {
    "--collector": "bmpflow-collector",
    "--decode": "bmpflow-decode",
    "--schemas": "the schemas/ directory",
    "--data": "the real BMP captures (shared/data)",
    "--processor": "bmpflow-processor",
    "--tail": "bmpflow-tail",
    "--gen": "bmpflow-gen-fulltable",
    "--mock-kafka": "bmpflow-mock-kafka",
    "--vf-world": "bmpflow-vf-world",
    "--source": "the source tree",
    "--build": "the build tree",
    "--scratch": "a scratch directory",
}
COLLECTOR_FLAGS = ("--collector", "--decode", "--schemas", "--data")
SKIP = 77	# ctest SKIP_RETURN_CODE


def test_args(*extra, base=COLLECTOR_FLAGS, own=None):
    """The one argument parser of the end-to-end and deploy tests: every
    flag of COMMON_FLAGS is accepted, those of base and extra are required;
    --keep keeps scratch directories; own(parser) adds a test's own
    options."""
    ap = argparse.ArgumentParser()
    required = set(base) | set(extra)
    for name, what in COMMON_FLAGS.items():
        ap.add_argument(name, required=name in required, help=what)
    ap.add_argument("--keep", action="store_true",
                    help="keep scratch directories and logs")
    if own is not None:
        own(ap)
    return ap.parse_args()


def note(msg):
    """A progress line of a long test, printed at once."""
    print("  " + msg, flush=True)


class Checks:
    """The one check reporter of the end-to-end and deploy tests: each
    check printed as PASS or FAIL when made, failures kept for the exit
    status; and the test's time budget: budget seconds (from start()) for
    every wait together, or none."""

    def __init__(self, budget=None):
        self.failures = []
        self.passed = 0
        self.budget = budget
        self.start()

    def start(self):
        """(Re)start the budget clock; slow() cuts every limit to it."""
        global _budget_end
        self.t_end = None if self.budget is None else \
            time.time() + self.budget
        _budget_end = self.t_end

    def check(self, cond, what):
        """Record check `what`; returns cond."""
        if cond:
            self.passed += 1
            print("PASS: " + what, flush=True)
        else:
            self.fail(what)
        return cond

    def fail(self, msg):
        self.failures.append(msg)
        print("FAIL: " + msg, flush=True)

    def fail_all(self, msgs):
        """Record each of msgs (problem lists of the helpers below)."""
        for m in msgs:
            self.fail(m)

    @staticmethod
    def skip(reason):
        """The exit status of a test that cannot run here."""
        print("SKIP: " + reason, flush=True)
        return SKIP

    def left(self, timeout):
        """timeout, cut to what is left of the budget; raises when none is."""
        if self.t_end is None:
            return timeout
        rest = self.t_end - time.time()
        if rest <= 0:
            raise RuntimeError("out of time: the waits took more than %ds" %
                               self.budget)
        return min(timeout, rest)

    def stopped(self, proc, what):
        """Stop proc (a Collector or Processor); an exit status other than
        0 fails, with the tail of its log."""
        rc = proc.stop()
        if rc != 0:
            self.fail("%s exit status %s; log:\n%s" % (
                what, rc, tail(proc.log_path)))

    def finish(self, summary, col=None):
        """Stop the collector col (if any; a non-zero exit fails), print
        the summary line; the process exit status."""
        if col is not None:
            rc = col.stop()
            if rc != 0:
                self.fail("collector exit status %s" % rc)
        passed = "%d checks passed, " % self.passed if self.passed else ""
        print("%s: %s%d failures" % (summary, passed, len(self.failures)),
              flush=True)
        return 1 if self.failures else 0


SESSION_CLOSED = "router_session_closed"


def opened_by_collector(r):
    """A Peer Up the collector published for an epoch it opened at a
    route of a peer the router sent no Peer Up for (no OPENs)."""
    return r["event"] == "up" and r["sent_open"] is None


def split_peer_events(recs):
    """bmp.peer records -> (the router's Peer Up/Down, the Peer Downs the
    collector adds for peers still up when their router's session closed).
    End-of-RIB records and the collector's own Peer Ups are in neither
    (see end_of_rib_problems, route_epoch_problems)."""
    bmp = [r for r in recs if r.get("down_reason") != SESSION_CLOSED and
           r["event"] != "end_of_rib" and not opened_by_collector(r)]
    closed = [r for r in recs if r.get("down_reason") == SESSION_CLOSED]
    return bmp, closed


def end_of_rib_problems(keyed_recs):
    """bmp.peer records as (key, record): each End-of-RIB has its family,
    its peer's key (that of the peer's Peer Ups) followed by " eor FAMILY
    VIEW" (a key of its own, so that compaction keeps the Peer Up; the
    partitioner reads the first word) and an epoch one of the peer's Peer
    Ups opened, or 0 when the router sent that peer none."""
    def peer(r):
        return (r["router_address"], r["peer_type"], r["peer_address"],
                r["peer_rd"])
    ups = {}
    for key, r in keyed_recs:
        if r["event"] == "up":
            ups.setdefault(peer(r), (key, set()))[1].add(r["peer_epoch"])
    problems = []
    for key, r in keyed_recs:
        if r["event"] != "end_of_rib":
            continue
        up_key, epochs = ups.get(peer(r), (None, {0}))
        peer_key = "|".join([r["router_address"], r["peer_address"]] +
                            ([r["peer_rd"]] if r["peer_rd"] else []))
        post = "post" if r["post_policy"] else "pre"
        view = {"loc_rib": "loc-rib", "adj_rib_out": "adj-out-" + post}.get(
            r["rib"], "adj-in-" + post)
        want_key = "%s eor %s %s" % (peer_key, r["family"], view)
        if not r["family"] or key != want_key or \
                (up_key is not None and up_key != peer_key) or \
                r["peer_epoch"] not in epochs:
            problems.append("End-of-RIB %s key %r epoch %d: want key %r, "
                            "an epoch of %s" % (r["family"], key,
                                                r["peer_epoch"], want_key,
                                                sorted(epochs)))
    return problems[:5]


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
    ups = {peer(r) + (r["peer_epoch"],) for r in recs if r["event"] == "up"}
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


def route_epoch_problems(route_recs, peer_recs):
    """Every route record belongs to an epoch that ends, once the routers'
    sessions are closed: its epoch is not 0, a Peer Up (the router's or
    the collector's) opened it, and a Peer Down of either kind or a later
    Peer Up of the same peer ended it."""
    def peer(r):
        return (r["router_address"], r["peer_type"], r["peer_address"],
                r["peer_rd"])
    ups, downs = {}, set()
    for r in peer_recs:
        if r["event"] == "up":
            ups.setdefault(peer(r), set()).add(r["peer_epoch"])
        elif r["event"] == "down":
            downs.add(peer(r) + (r["peer_epoch"],))
    problems = []
    for r in route_recs:
        k, e = peer(r), r["peer_epoch"]
        why = "epoch 0" if e == 0 else \
            "no Peer Up opened its epoch" if e not in ups.get(k, ()) else \
            "its epoch never ended" if k + (e,) not in downs and \
            not any(u > e for u in ups[k]) else None
        if why:
            problems.append("route %s of %s epoch %d: %s" % (
                r["prefix"], k, e, why))
    return problems[:5]


# ------------------------------------------------ real routers and speakers
#
# FRR bgpd (-M bmp) as the monitored router, ExaBGP speakers feeding it on
# loopback; used by test_e2e_routers.py and test_prefix_health_e2e.py.

FRR_BGPD = "/usr/lib/frr/bgpd"
# bgpd leaves an empty /var/tmp/frr/bgpd.PID (its crash log dir, not
# configurable); the tests remove those of the bgpds they started.
FRR_TMPBASE = "/var/tmp/frr"


class FrrTmpbase:
    """FRR_TMPBASE as a test found it: remove() takes it away again (when
    empty) if the test's bgpds made it."""

    def __init__(self):
        self.existed = os.path.isdir(FRR_TMPBASE)

    def remove(self):
        if self.existed:
            return
        try:
            os.rmdir(FRR_TMPBASE)
        except OSError:
            pass


VTYSH = shutil.which("vtysh") or "/usr/bin/vtysh"
EXABGP = shutil.which("exabgp") or "/usr/sbin/exabgp"
# ExaBGP and its API feed run under Debian's python (exabgp's own shebang).
DEBIAN_PYTHON = "/usr/bin/python3"


class Procs:
    """Processes a test started; each stopped by its own PID (and its
    own process group, for ExaBGP's API feed)."""

    def __init__(self):
        self.procs = []

    def start(self, name, args, log_path, env=None, cwd=None):
        log = open(log_path, "w")
        p = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, env=env, cwd=cwd,
                             start_new_session=True)
        p.log_path = log_path
        p.log_file = log
        p.label = name
        self.procs.append(p)
        return p

    @staticmethod
    def stop(p, timeout=None):
        if p.poll() is None:
            try:
                p.send_signal(signal.SIGTERM)
                p.wait(timeout=scaled(10) if timeout is None else timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=scaled(10))
        # Children it left behind (ExaBGP's API feed): its own group.
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(p.pid, sig)
            except (ProcessLookupError, PermissionError):
                break
            time.sleep(0.2)
        if not p.log_file.closed:
            p.log_file.close()
        return p.returncode

    def print_tails(self, n=8):
        """The last n lines of every process's log, for a failed test."""
        for p in self.procs:
            print("--- %s (%s) tail:\n%s" % (p.label, p.log_path,
                                             tail(p.log_path, n)))

    def stop_all(self):
        for p in reversed(self.procs):
            try:
                self.stop(p)
            except Exception as e:  # keep stopping the others
                print("warning: stopping %s: %s" % (p.label, e))


def tail(path, n=15):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-n:])
    except OSError as e:
        return str(e)


def wait_until(cond, timeout, interval=0.2):
    """Poll cond until it returns something true (returned) or timeout
    seconds pass (None)."""
    deadline = time.time() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.time() >= deadline:
            return None
        time.sleep(interval)


def delivered(col, topic):
    """Records of bmp.<topic> the collector's Kafka acknowledged."""
    return int(col.metrics()['bmpflow_records_total{topic="bmp.%s",'
                             'state="delivered"}' % topic])


GOBGPD = shutil.which("gobgpd") or "/usr/bin/gobgpd"
GOBGP = shutil.which("gobgp") or "/usr/bin/gobgp"


class Gobgp:
    """gobgpd as the monitored router: passive sessions with the speakers
    (dicts with addr, asn and the router address they reach, as Frr takes
    them), BMP route-monitoring-policy "all" (Adj-RIB-In pre- and
    post-policy and Loc-RIB: GoBGP sends no Loc-RIB Peer Up), nothing
    exported to the speakers."""
    name = "GoBGP"
    asn = 65100
    may_prepend_own_as = False

    def __init__(self, tmp, procs, speakers, router_id):
        self.tmp, self.procs = tmp, procs
        self.speakers, self.router_id = speakers, router_id
        self.port = free_port()
        self.api = free_port()
        self.views = [("adj_rib_in", False), ("adj_rib_in", True),
                      ("loc_rib", False)]
        self.p = None

    def start(self, col_port):
        conf = [
            "[global.config]",
            "  as = %d" % self.asn,
            '  router-id = "%s"' % self.router_id,
            "  port = %d" % self.port,
            "  local-address-list = [%s]" % ", ".join(
                '"%s"' % a for a in sorted({s["router"]
                                            for s in self.speakers})),
            # Send the speakers nothing: ExaBGP refuses IPv4 routes with
            # the IPv6 next hop GoBGP gives them over ::1 (NOTIFICATION,
            # session reset).  Export policy only: BMP views unaffected.
            "[global.apply-policy.config]",
            '  default-export-policy = "reject-route"',
            "",
            "[[bmp-servers]]",
            "  [bmp-servers.config]",
            '    address = "127.0.0.1"',
            "    port = %d" % col_port,
            '    route-monitoring-policy = "all"',
            # GoBGP's lower bound for statistics reports.
            "    statistics-timeout = 15",
        ]
        for sp in self.speakers:
            conf += [
                "",
                "[[neighbors]]",
                "  [neighbors.config]",
                '    neighbor-address = "%s"' % sp["addr"],
                "    peer-as = %d" % sp["asn"],
                "  [neighbors.transport.config]",
                '    local-address = "%s"' % sp["router"],
                "    passive-mode = true",
            ]
            for fam in ("ipv4-unicast", "ipv6-unicast"):
                conf += ["  [[neighbors.afi-safis]]",
                         "    [neighbors.afi-safis.config]",
                         '      afi-safi-name = "%s"' % fam]
        path = os.path.join(self.tmp, "gobgpd.toml")
        with open(path, "w") as f:
            f.write("\n".join(conf) + "\n")
        self.p = self.procs.start(
            "gobgpd", [GOBGPD, "-f", path, "-p", "--pprof-disable",
                       "--api-hosts", "127.0.0.1:%d" % self.api],
            os.path.join(self.tmp, "gobgpd.log"))

    def cli(self, *args):
        out = subprocess.run([GOBGP, "-u", "127.0.0.1", "-p", str(self.api)]
                             + list(args), capture_output=True, text=True,
                             timeout=slow(60))
        return out.stdout + out.stderr

    def best_counts(self):
        """Best routes in GoBGP's own RIB by family (-1: unreadable)."""
        res = {}
        for fam, key in (("ipv4", "ipv4-unicast"), ("ipv6", "ipv6-unicast")):
            try:
                j = json.loads(self.cli("global", "rib", "-a", fam, "-j"))
                res[key] = sum(1 for paths in j.values()
                               if any(p.get("best") for p in paths))
            except (ValueError, AttributeError):
                res[key] = -1
        return res

    def diag(self):
        return (self.cli("neighbor") + "gobgpd.log tail:\n" +
                tail(os.path.join(self.tmp, "gobgpd.log")))


class Frr:
    """FRR bgpd with its bmp module, no zebra, no kernel: passive eBGP
    sessions with speakers (dicts with addr, asn and router, the local
    address facing the speaker), streaming BMP to the collector.
    policies: the Adj-RIB-In views monitored; loc_rib None probes whether
    this bgpd accepts 'bmp monitor ... loc-rib' and monitors it if so."""
    name = "FRR"
    asn = 65000
    may_prepend_own_as = True

    def __init__(self, tmp, procs, speakers, router_id="127.0.0.1",
                 families=("ipv4", "ipv6"),
                 policies=("pre-policy", "post-policy"), loc_rib=None):
        self.tmp, self.procs = tmp, procs
        self.speakers, self.router_id = speakers, router_id
        self.families, self.policies = families, policies
        self.pids = []
        self.port = free_port()
        self.vty = os.path.join(tmp, "vty")
        os.mkdir(self.vty)
        self.loc_rib = self._loc_rib_supported() if loc_rib is None \
            else loc_rib
        self.views = [("adj_rib_in", pol == "post-policy")
                      for pol in policies]
        if self.loc_rib:
            self.views.append(("loc_rib", False))
        self.sys_name = "frr-e2e"
        self.p = None

    def skipped(self):
        if self.loc_rib:
            return []
        return ["FRR Loc-RIB view: this bgpd (%s) rejects 'bmp monitor ... "
                "loc-rib' (RFC 9069 support came with FRR 9); FRR is "
                "checked on Adj-RIB-In pre- and post-policy only"
                % self.version()]

    def version(self):
        out = subprocess.run([FRR_BGPD, "--version"], capture_output=True,
                             text=True, timeout=slow(10)).stdout
        return out.splitlines()[0].strip() if out else "?"

    def _conf(self, col_port, loc_rib):
        lines = [
            "hostname %s" % "frr-e2e",
            "log file %s/bgpd.log informational" % self.tmp,
            "!",
            "router bgp %d" % self.asn,
            " bgp router-id %s" % self.router_id,
            " no bgp ebgp-requires-policy",
            " no bgp network import-check",
            " bgp disable-ebgp-connected-route-check",
        ]
        for sp in self.speakers:
            a = sp["addr"]
            lines += [" neighbor %s remote-as %d" % (a, sp["asn"]),
                      " neighbor %s passive" % a,
                      " neighbor %s disable-connected-check" % a,
                      " neighbor %s update-source %s" % (a, sp["router"])]
        for fam in ("ipv4", "ipv6"):
            lines.append(" address-family %s unicast" % fam)
            for sp in self.speakers:
                lines += ["  neighbor %s activate" % sp["addr"],
                          # Without it FRR keeps no Adj-RIB-In and its BMP
                          # pre-policy monitoring sends withdraws.
                          "  neighbor %s soft-reconfiguration inbound"
                          % sp["addr"]]
            lines.append(" exit-address-family")
        lines += [" !", " bmp targets collector"]
        for fam in self.families:
            for pol in self.policies:
                lines.append("  bmp monitor %s unicast %s" % (fam, pol))
            if loc_rib:
                lines.append("  bmp monitor %s unicast loc-rib" % fam)
        lines += ["  bmp stats interval 1000",
                  "  bmp connect 127.0.0.1 port %d min-retry 100 "
                  "max-retry 500" % col_port,
                  " exit", "!", ""]
        return "\n".join(lines)

    def _loc_rib_supported(self):
        path = os.path.join(self.tmp, "probe.conf")
        with open(path, "w") as f:
            f.write(self._conf(1, True))
        p = subprocess.Popen(
            [FRR_BGPD, "-C", "-Z", "-n", "-S", "-M", "bmp", "-f", path,
             "--vty_socket", self.vty, "-P", "0", "-p", "0",
             "-i", os.path.join(self.tmp, "probe.pid")],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.pids.append(p.pid)
        try:
            out = p.communicate(timeout=slow(30))[0]
        except subprocess.TimeoutExpired:
            p.kill()
            out = p.communicate()[0]
        return p.returncode == 0 and "loc-rib" not in out

    def start(self, col_port):
        conf = os.path.join(self.tmp, "bgpd.conf")
        with open(conf, "w") as f:
            f.write(self._conf(col_port, self.loc_rib))
        args = [FRR_BGPD, "-Z", "-n", "-S", "-M", "bmp", "-f", conf,
                "-i", os.path.join(self.tmp, "bgpd.pid"),
                "--vty_socket", self.vty, "-P", "0", "-p", str(self.port)]
        for a in sorted({sp["router"] for sp in self.speakers}):
            args += ["-l", a]
        self.p = self.procs.start("bgpd", args,
                                  os.path.join(self.tmp, "bgpd.out"))
        self.pids.append(self.p.pid)

    def cleanup(self):
        """After bgpd stopped: remove its empty crash log dirs."""
        for pid in self.pids:
            try:
                os.rmdir(os.path.join(FRR_TMPBASE, "bgpd.%d" % pid))
            except OSError:
                pass

    def show(self, cmd):
        out = subprocess.run([VTYSH, "--vty_socket", self.vty, "-c", cmd],
                             capture_output=True, text=True, timeout=slow(20))
        return out.stdout + out.stderr

    def best_counts(self):
        """{family: number of prefixes with a valid best path}."""
        res = {}
        for fam, key in (("ipv4", "ipv4-unicast"), ("ipv6", "ipv6-unicast")):
            try:
                j = json.loads(self.show("show bgp %s unicast json" % fam))
            except ValueError:
                res[key] = -1
                continue
            n = 0
            for paths in j.get("routes", {}).values():
                if any(p.get("valid") and p.get("bestpath")
                       for p in paths):
                    n += 1
            res[key] = n
        return res

    def diag(self):
        return (self.show("show bgp summary") + self.show("show bmp") +
                "bgpd.log tail:\n" + tail(os.path.join(self.tmp, "bgpd.log")))

    def expected_down(self):
        # ExaBGP stopped by SIGTERM closes its session without a
        # NOTIFICATION: reason 4, remote system closed, no notification.
        return {4}

    def stats_wait(self):
        return 15


# ExaBGP's API process: first the speaker's initial announcements, then,
# while ExaBGP runs, each batch of commands Speaker.send() drops in its
# directory (cmd-NNNNNN.txt, taken in order, renamed once written out).
EXABGP_FEED = r'''
import os, sys, time
d = sys.argv[1]
with open(os.path.join(d, "announce.txt")) as f:
    for line in f:
        sys.stdout.write(line)
sys.stdout.flush()
parent = os.getppid()
while os.getppid() == parent:
    for name in sorted(os.listdir(d)):
        if name.startswith("cmd-") and name.endswith(".txt"):
            with open(os.path.join(d, name)) as f:
                sys.stdout.write(f.read())
            sys.stdout.flush()
            os.rename(os.path.join(d, name), os.path.join(d, name + ".taken"))
    time.sleep(0.02)
'''

EXABGP_CONF = """
process feed {{
  run {python} {dir}/feed.py {dir};
  encoder text;
}}
neighbor {router} {{
  router-id {bgp_id};
  local-address {addr};
  local-as {asn};
  peer-as {router_as};
  connect {port};
  hold-time 30;
  family {{
    ipv4 unicast;
    ipv6 unicast;
  }}
  api {{
    processes [ feed ];
  }}
}}
"""


def start_speaker(procs, tmp, sp, router, announce):
    """ExaBGP speaker sp (a dict: name, addr, bgp_id, asn, router) peering
    with router (its asn and port), announcing the API commands in
    announce at once.  The process returned has .dir and .send(cmds)."""
    d = os.path.join(tmp, "exabgp-" + sp["name"])
    os.mkdir(d)
    with open(os.path.join(d, "feed.py"), "w") as f:
        f.write(EXABGP_FEED)
    with open(os.path.join(d, "announce.txt"), "w") as f:
        f.write("".join(c + "\n" for c in announce))
    conf = os.path.join(d, "exabgp.conf")
    with open(conf, "w") as f:
        f.write(EXABGP_CONF.format(
            python=DEBIAN_PYTHON, dir=d, router=sp["router"],
            bgp_id=sp["bgp_id"], addr=sp["addr"], asn=sp["asn"],
            router_as=router.asn, port=router.port))
    env = dict(os.environ)
    env.update({
        "exabgp.daemon.user": "root", "exabgp.daemon.drop": "false",
        "exabgp.daemon.daemonize": "false",
        "exabgp.daemon.pid": os.path.join(d, "exabgp.pid"),
        "exabgp.log.destination": os.path.join(d, "exabgp.log"),
        "exabgp.api.cli": "false", "exabgp.api.ack": "false",
        "exabgp.tcp.port": str(router.port), "exabgp.tcp.bind": "",
        "exabgp.tcp.once": "false",
    })
    p = procs.start("exabgp-" + sp["name"], [DEBIAN_PYTHON, EXABGP, conf],
                    os.path.join(d, "exabgp.out"), env=env, cwd=d)
    p.dir = d
    p.n_sent = 0

    def send(cmds):
        """Hand commands to the running speaker's API feed."""
        p.n_sent += 1
        path = os.path.join(d, "cmd-%06d" % p.n_sent)
        with open(path + ".tmp", "w") as f:
            f.write("".join(c + "\n" for c in cmds))
        os.rename(path + ".tmp", path + ".txt")
    p.send = send
    return p
