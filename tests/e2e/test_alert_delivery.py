#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""bmpflow-alert delivers bmp.alert at least once, shown.

The collector's embedded Kafka holds bmp.alert; alert records encoded with
schemas/alert.avsc (single-object encoding, python3-avro) are produced onto
it with kcat, each keyed "type|prefix" as leak_detect keys them, so the
records of one alert share a partition.  Local receivers record what
arrives: an HTTP server (every POST), a minimal SMTP server (every mail)
and syslog listeners (TCP with octet counting, UDP).

  1. routing: instance A (webhook generic, syslog TCP, SMTP; route.TYPE
     for two types) delivers each alert once per state (open, resolved;
     updates filtered by default) to exactly the sinks its type is routed
     to, open before resolved; a webhook answering 400 is counted and
     skipped, the alerts after it still go;
  2. payloads: instances in new groups with webhook-format slack, teams
     and mattermost
     post the shapes those services take; syslog over UDP (states=open) and
     a local socket; C's settings and its own template from --config;
  3. outage: the HTTP receiver is stopped for 30 s while alerts are
     produced; A retries (logged once, counted); A is killed (SIGKILL)
     while it retries, past a commit interval, and started again: when the
     receiver is back every alert arrives, the one A held included, in
     order, none twice; SIGTERM commits: A and C (C commits only at exit)
     restarted deliver only what they had not read, shown by one new
     alert in every partition;
  4. restart: instance D (5/s rate limit) is killed with SIGKILL midway and
     restarted in its group: every alert arrives, duplicates only for the
     unconfirmed tail (counted); the rate limit holds (timestamps)."""

import io
import json
import os
import re
import shutil
import signal
import socket
import socketserver
import struct
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import avro.io

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

BUDGET = harness.slow(150)      # every wait together
OUTAGE_S = 30                   # the HTTP receiver is down this long
RATE = 5                        # instance D's webhook-rate-limit, per s
REFUSED_PREFIX = "203.0.113.99/32"      # the receiver answers 400 for it
TOPIC = "bmp.alert"

checks = harness.Checks(BUDGET)
check, note, slow = checks.check, harness.note, harness.slow


def own(ap):
    ap.add_argument("--alert", required=True, help="bmpflow-alert")


args = harness.test_args(own=own)
SCHEMAS = harness.Schemas(args.schemas)
ALERT_SCHEMA = SCHEMAS.by_name["alert"]
FP = harness.crc64_avro(ALERT_SCHEMA.canonical_form.encode())
FIELDS = [f.name for f in ALERT_SCHEMA.fields]


# ---------------------------------------------------------------- alerts

def empty_value(t):
    name = t.type
    if name == "union":
        return None
    return {"string": "", "long": 0, "double": 0.0, "array": []}[name]


def alert(n, atype, prefix, state):
    """Alert number n's record in state; its id is the same in every
    state, as leak_detect's."""
    rec = {f.name: empty_value(f.type) for f in ALERT_SCHEMA.fields}
    rec.update(alert_id="%016x" % (0xa1e70000 + n), type=atype,
               severity="high", prefix=prefix, origin_as=64500 + n,
               culprit_as=65000 + n, as_path=[701, 65000 + n, 64500 + n],
               routers=["192.0.2.1"], peers=["192.0.2.1|198.51.100.7"],
               peers_seen=1, peers_holding=0 if state == "resolved" else 1,
               first_seen=1_700_000_000_000_000 + n, last_seen=0, count=1,
               state=state, time_us=int(time.time() * 1e6),
               detail="test alert %d: AS%d \"announced\" %s" % (
                   n, 65000 + n, prefix))
    return rec


def encode(rec):
    buf = io.BytesIO()
    avro.io.DatumWriter(ALERT_SCHEMA).write(rec, avro.io.BinaryEncoder(buf))
    return b"\xc3\x01" + struct.pack("<Q", FP) + buf.getvalue()


def produce(brokers, recs, tmp, partition=None):
    """Each record onto bmp.alert, keyed type|prefix, in order; into
    partition when given."""
    for i, rec in enumerate(recs):
        ID_OF_PREFIX[rec["prefix"]] = rec["alert_id"]
        path = os.path.join(tmp, "rec%d" % i)
        with open(path, "wb") as f:
            f.write(encode(rec))
        where = [] if partition is None else ["-p", str(partition)]
        subprocess.run(["kcat", "-P", "-b", brokers, "-t", TOPIC, "-k",
                        "%s|%s" % (rec["type"], rec["prefix"]), path] +
                       where, check=True, timeout=slow(30),
                       capture_output=True)


def partitions(brokers):
    out = subprocess.run(["kcat", "-L", "-b", brokers, "-t", TOPIC],
                         capture_output=True, text=True, check=True,
                         timeout=slow(30)).stdout
    return int(re.search(r"with (\d+) partitions", out).group(1))


def lifecycle(first, types, prefix_base):
    """Alerts first.. of types: open, update, resolved each; in order."""
    recs = []
    for i, atype in enumerate(types):
        n = first + i
        prefix = prefix_base % n if "%" in prefix_base else prefix_base
        for state in ("open", "update", "resolved"):
            recs.append(alert(n, atype, prefix, state))
    return recs


def key(rec):
    return (rec["alert_id"], rec["state"])


# The alert id of each prefix produced (one alert per prefix).
ID_OF_PREFIX = {}


def post_key(body):
    """key() of a webhook body: a generic one, or a Teams card (its title,
    the subject template, names state and prefix)."""
    if "alert_id" in body:
        return key(body)
    state, prefix = body["title"].split(" ", 2)[2].split(": ")
    return (ID_OF_PREFIX.get(prefix, prefix), state)


# ------------------------------------------------------------- receivers

class Http:
    """An HTTP server recording every POST (time, path, JSON body), in a
    thread; stop() closes its socket (connections refused), start() opens
    it again on the same port."""

    def __init__(self):
        self.posts = []
        self.port = harness.free_port()
        self.server = None
        self.start()

    def start(self):
        posts = self.posts

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(
                    int(self.headers["Content-Length"])))
                refused = REFUSED_PREFIX in json.dumps(body)
                posts.append((time.time(), self.path, body,
                              dict(self.headers)))
                self.send_response(400 if refused else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever,
                         daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def on(self, path):
        return [(t, b) for t, p, b, _ in self.posts if p == path]


class Smtp(socketserver.ThreadingTCPServer):
    """A minimal SMTP server (RFC 5321 commands libcurl sends) keeping
    each mail's envelope and text."""
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self):
        self.mails = []
        mails = self.mails

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                out = self.wfile
                out.write(b"220 localhost ESMTP test\r\n")
                rcpt, sender = [], None
                while True:
                    line = self.rfile.readline()
                    if not line:
                        return
                    cmd = line.decode(errors="replace").strip()
                    verb = cmd[:4].upper()
                    if verb in ("EHLO", "HELO"):
                        out.write(b"250 localhost\r\n")
                    elif verb == "MAIL":
                        sender, rcpt = cmd, []
                        out.write(b"250 OK\r\n")
                    elif verb == "RCPT":
                        rcpt.append(cmd)
                        out.write(b"250 OK\r\n")
                    elif verb == "DATA":
                        out.write(b"354 go on\r\n")
                        data = []
                        while True:
                            d = self.rfile.readline()
                            if d in (b".\r\n", b""):
                                break
                            data.append(d)
                        mails.append((sender, rcpt,
                                      b"".join(data).decode()))
                        out.write(b"250 queued\r\n")
                    elif verb == "QUIT":
                        out.write(b"221 bye\r\n")
                        return
                    else:
                        out.write(b"250 OK\r\n")

        super().__init__(("127.0.0.1", harness.free_port()), Handler)
        self.port = self.server_address[1]
        threading.Thread(target=self.serve_forever, daemon=True).start()


class SyslogTcp(socketserver.ThreadingTCPServer):
    """Syslog over TCP, frames by octet counting (RFC 6587 §3.4.1)."""
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self):
        self.lines = []
        lines = self.lines

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                while True:
                    n = b""
                    while not n.endswith(b" "):
                        c = self.rfile.read(1)
                        if not c:
                            return
                        n += c
                    lines.append(self.rfile.read(int(n)).decode())

        super().__init__(("127.0.0.1", harness.free_port()), Handler)
        self.port = self.server_address[1]
        threading.Thread(target=self.serve_forever, daemon=True).start()


class SyslogDgram:
    """Syslog datagrams on UDP, or on a local socket at path (as
    /dev/log)."""

    def __init__(self, path=None):
        self.lines = []
        if path is None:
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.sock.bind(("127.0.0.1", 0))
            self.port = self.sock.getsockname()[1]
        else:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            self.sock.bind(path)
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        while True:
            self.lines.append(self.sock.recv(65536).decode())


# ---------------------------------------------------------------- program

class Alerter:
    """One bmpflow-alert."""

    def __init__(self, tmp, name, brokers, *flags):
        self.name = name
        self.metrics_port = harness.free_port()
        self.log_path = os.path.join(tmp, name + ".log")
        self.args = [args.alert, "--brokers", brokers, "--schema-dir",
                     args.schemas, "--metrics",
                     "127.0.0.1:%d" % self.metrics_port,
                     # The embedded (mock) Kafka keeps a member that left
                     # until its session times out: a restart in the group
                     # waits for that.
                     "--kafka.session.timeout.ms", "6000",
                     ] + list(flags)
        self.start()

    def start(self):
        self.log = open(self.log_path, "a")
        self.proc = subprocess.Popen(self.args, stdout=self.log,
                                     stderr=subprocess.STDOUT)

    def metrics(self):
        return harness.scrape_metrics(self.metrics_port)

    def metric(self, name):
        try:
            return self.metrics().get(name, 0)
        except OSError:
            return 0

    def stop(self, sig=signal.SIGTERM):
        harness.stop_process(self.proc, sig=sig)
        self.log.close()
        return self.proc.returncode

    def read_log(self):
        with open(self.log_path) as f:
            return f.read()


def wait_for(what, cond, timeout):
    ok = harness.wait_until(cond, slow(timeout))
    check(ok, what)
    return ok


def once_each(got, want, what):
    """got (keys, in arrival order) holds each of want exactly once."""
    dup = len(got) - len(set(got))
    check(sorted(got) == sorted(want) and dup == 0,
          "%s: %d delivered, %d expected, %d twice" % (
              what, len(got), len(want), dup))


def in_order(got, what):
    """open before resolved for every alert."""
    pos = {k: i for i, k in enumerate(got)}
    bad = [a for a, s in got if s == "resolved" and
           pos.get((a, "open"), -1) > pos[(a, s)]]
    check(not bad, "%s: every alert's open before its resolved (%d not)" %
          (what, len(bad)))


def syslog_key(line):
    m = re.search(r'alert_id="([0-9a-f]+)" type="[^"]*" state="([a-z]+)"',
                  line)
    return (m.group(1), m.group(2)) if m else None


def mail_key(text):
    return (re.search(r"^alert_id: (\S+)\r$", text, re.M).group(1),
            re.search(r"^state: (\S+)\r$", text, re.M).group(1))


def main():
    tmp = tempfile.mkdtemp(prefix="bmpflow-test-")
    col = harness.Collector(args.collector, args.schemas)
    http, smtp, syslog_tcp, syslog_udp = Http(), Smtp(), SyslogTcp(), \
        SyslogDgram()
    syslog_unix = SyslogDgram(os.path.join(tmp, "log"))
    procs = []
    base = "http://127.0.0.1:%d" % http.port
    try:
        # ---------------------------------------------- 1. routing
        types = ["route_leak", "route_leak", "rpki_invalid",
                 "rpki_invalid", "origin_hijack", "subprefix_hijack"]
        recs = lifecycle(1, types, "10.%d.0.0/16") + \
            lifecycle(7, ["rpki_invalid"], REFUSED_PREFIX) + \
            lifecycle(8, ["route_leak"], "10.8.0.0/16")
        produce(col.brokers, recs, tmp)
        a = Alerter(tmp, "a", col.brokers, "--group", "g-a",
                    "--webhook", base + "/a", "--webhook-header",
                    "Authorization: Bearer t0ken",
                    "--syslog", "tcp://127.0.0.1:%d" % syslog_tcp.port,
                    "--smtp", "smtp://127.0.0.1:%d" % smtp.port,
                    "--mail-from", "bmpflow@example.net",
                    "--mail-to", "noc@example.net",
                    "--mail-to", "oncall@example.net",
                    "--route.rpki_invalid", "webhook,smtp",
                    "--route.route_leak", "syslog,webhook",
                    "--retry-max-s", "4")
        procs.append(a)
        delivered = [r for r in recs if r["state"] != "update"]
        to_webhook = [key(r) for r in delivered]
        to_syslog = [key(r) for r in delivered
                     if r["type"] != "rpki_invalid"]
        to_smtp = [key(r) for r in delivered if r["type"] != "route_leak"]
        wait_for("A: %d posts, %d syslog lines, %d mails" % (
            len(to_webhook), len(to_syslog), len(to_smtp)),
            lambda: len(http.on("/a")) >= len(to_webhook) and
            len(syslog_tcp.lines) >= len(to_syslog) and
            len(smtp.mails) >= len(to_smtp), 30)
        got = [key(b) for _, b in http.on("/a")]
        once_each(got, to_webhook, "webhook")
        in_order(got, "webhook")
        body = [bd for _, bd in http.on("/a")
                if key(bd) == ("00000000a1e70001", "open")][0]
        check(sorted(body) == sorted(FIELDS) and
              body["as_path"] == [701, 65001, 64501] and
              body["rfc7908_type"] is None,
              "generic webhook body: the alert's %d fields, typed" %
              len(FIELDS))
        check(all(h[3].get("Authorization") == "Bearer t0ken"
                  for h in http.posts if h[1] == "/a"),
              "webhook-header sent")
        got = [syslog_key(x) for x in syslog_tcp.lines]
        once_each(got, to_syslog, "syslog (tcp, octet counting)")
        in_order(got, "syslog")
        # daemon (3) * 8 + warning 4 / err 3 (hijacks) / notice 5.
        pri = {(syslog_key(x)[1], x.split("bmpflow-alert")[1].split()[1]):
               x.split(">")[0][1:] for x in syslog_tcp.lines}
        check(pri == {("open", "route_leak"): "28",
                      ("resolved", "route_leak"): "29",
                      ("open", "origin_hijack"): "27",
                      ("resolved", "origin_hijack"): "29",
                      ("open", "subprefix_hijack"): "27",
                      ("resolved", "subprefix_hijack"): "29"},
              "syslog PRI by state and type: %s" % sorted(set(pri.values())))
        line = [x for x in syslog_tcp.lines
                if syslog_key(x) == ("00000000a1e70001", "open")][0]
        check(re.match(r"<28>1 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z \S+ "
                       r"bmpflow-alert \d+ route_leak \[bmpflow@32473 "
                       r'alert_id="00000000a1e70001" .*prefix="10\.1\.0\.0'
                       r'/16"\] high route_leak opened on 10\.1\.0\.0/16: '
                       r'test alert 1: AS65001 "announced"', line),
              "RFC 5424 line: %s" % line[:160])
        got = [mail_key(m[2]) for m in smtp.mails]
        once_each(got, to_smtp, "smtp")
        in_order(got, "smtp")
        sender, rcpt, text = [m for m in smtp.mails if mail_key(m[2]) ==
                              ("00000000a1e70003", "open")][0]
        check("bmpflow@example.net" in sender and
              [r.split(":", 1)[1] for r in rcpt] ==
              ["<noc@example.net>", "<oncall@example.net>"] and
              re.search(r"^Subject: \[bmpflow\] rpki_invalid open: "
                        r"10\.3\.0\.0/16\r$", text, re.M),
              "mail: envelope, 2 recipients, Subject: %s" %
              re.search(r"^Subject: .*$", text, re.M).group(0).strip())
        m = a.metrics()
        check(m.get('bmpflow_alert_refused_total{sink="webhook"}') == 2 and
              m.get('bmpflow_alert_delivered_total{sink="webhook"}') ==
              len(to_webhook) - 2 and
              m.get('bmpflow_alert_delivered_total{sink="smtp"}') ==
              len(to_smtp) and m.get("bmpflow_alert_records_filtered_total")
              == len(recs) - len(delivered),
              "metrics: webhook 2 refused (HTTP 400), %d delivered; smtp "
              "%d; %d updates filtered" % (
                  m.get('bmpflow_alert_delivered_total{sink="webhook"}'),
                  m.get('bmpflow_alert_delivered_total{sink="smtp"}'),
                  m.get("bmpflow_alert_records_filtered_total")))

        # ---------------------------------------------- 2. payloads
        b = Alerter(tmp, "b", col.brokers, "--group", "g-b", "--webhook",
                    base + "/slack", "--webhook-format", "slack",
                    "--syslog", "udp://127.0.0.1:%d" % syslog_udp.port,
                    "--states", "open")
        # C's settings from a config file: a template of its own, and no
        # commit but the one at exit (SIGTERM), which step 3 shows.
        conf = os.path.join(tmp, "c.conf")
        with open(conf, "w") as f:
            f.write("group = g-c\nwebhook = %s/teams\nwebhook-format = teams\n"
                    "syslog = unix:%s\n"
                    "kafka.auto.commit.interval.ms = 600000\n"
                    "template-open = OPEN {type} {prefix} AS{culprit_as} "
                    "path {as_path} rfc7908 '{rfc7908_type}'\n" %
                    (base, os.path.join(tmp, "log")))
        c = Alerter(tmp, "c", col.brokers, "--config", conf)
        mm = Alerter(tmp, "mm", col.brokers, "--group", "g-mm", "--webhook",
                     base + "/mattermost", "--webhook-format", "mattermost",
                     "--states", "open")
        procs += [b, c, mm]
        opens = [k for k in to_webhook if k[1] == "open"]
        wait_for("slack: %d opens; teams: %d; syslog udp: %d, unix: %d" % (
            len(opens), len(to_webhook), len(opens), len(to_webhook)),
            lambda: len(http.on("/slack")) >= len(opens) and
            len(http.on("/mattermost")) >= len(opens) and
            len(http.on("/teams")) >= len(to_webhook) and
            len(syslog_udp.lines) >= len(opens) and
            len(syslog_unix.lines) >= len(to_webhook), 30)
        slack = [bd for _, bd in http.on("/slack")]
        check(all(list(bd) == ["text"] for bd in slack) and
              len(slack) == len(opens) and
              any(bd["text"] == "high route_leak opened on 10.1.0.0/16: "
                  "test alert 1: AS65001 \"announced\" 10.1.0.0/16 (alert "
                  "00000000a1e70001)" for bd in slack),
              "slack payload {\"text\": TEMPLATE}: %s" %
              json.dumps(slack[0]))
        mattermost = [bd for _, bd in http.on("/mattermost")]
        check(sorted(json.dumps(bd) for bd in mattermost) ==
              sorted(json.dumps(bd) for bd in slack),
              "mattermost payload, Slack-compatible {\"text\": TEMPLATE}: "
              "%d, as slack's" % len(mattermost))
        teams = [bd for _, bd in http.on("/teams")]
        check(all(bd["@type"] == "MessageCard" and bd["title"] and
                  bd["text"] and bd["summary"] for bd in teams) and
              len(teams) == len(to_webhook),
              "teams MessageCard: %s" % json.dumps(teams[0])[:200])
        text = [bd["text"] for bd in teams if bd["text"].startswith(
            "OPEN route_leak 10.1.0.0/16 ")]
        check(text == ["OPEN route_leak 10.1.0.0/16 AS65001 path 701 65001 "
                       "64501 rfc7908 ''"],
              "template from --config: %s" % text)
        check(sorted(syslog_key(x) for x in syslog_unix.lines) ==
              sorted(to_webhook), "syslog unix:PATH: %d lines, once each" %
              len(syslog_unix.lines))
        check(len(syslog_udp.lines) == len(opens) and
              all(syslog_key(x)[1] == "open" for x in syslog_udp.lines),
              "syslog udp: %d lines, opens only" % len(syslog_udp.lines))
        for p in (b, c):
            check(p.stop() == 0, "%s exits 0 on SIGTERM" % p.name)

        # ---------------------------------------------- 3. outage
        http.stop()
        t_down = time.time()
        outage = lifecycle(20, ["rpki_invalid"] * 5, "10.%d.0.0/16")
        produce(col.brokers, outage, tmp)
        want = [key(r) for r in outage if r["state"] != "update"]
        before = len(http.on("/a"))
        # 3 attempts: 3 s, past librdkafka's 1 s commit interval, so an
        # offset stored on reading (not on delivery) would be committed.
        wait_for("A retries the webhook while it is down",
                 lambda: a.metric('bmpflow_alert_failed_total'
                                  '{sink="webhook"}') >= 3, 15)
        a.stop(signal.SIGKILL)
        a.start()
        wait_for("A killed and started again retries the alert it held",
                 lambda: a.metric('bmpflow_alert_failed_total'
                                  '{sink="webhook"}') >= 1,
                 OUTAGE_S - 5)
        m = a.metrics()
        check(m.get('bmpflow_alert_sink_up{sink="webhook"}') == 0 and
              m.get("bmpflow_alert_pending") == 1 and
              m.get("bmpflow_alert_consumer_lag") >= 1,
              "during the outage: webhook down, 1 alert pending, lag %d" %
              m.get("bmpflow_alert_consumer_lag", -1))
        time.sleep(max(0.0, OUTAGE_S - (time.time() - t_down)))
        note("receiver down %.1f s; starting it again" %
             (time.time() - t_down))
        http.start()
        wait_for("after the outage: %d posts" % len(want),
                 lambda: len(http.on("/a")) - before >= len(want), 30)
        t_back = http.on("/a")[before][0] - t_down if \
            len(http.on("/a")) > before else -1
        got = [key(bd) for _, bd in http.on("/a")[before:]]
        once_each(got, want, "webhook after a %d s outage" % OUTAGE_S)
        in_order(got, "after the outage (first post %.1f s after it "
                 "began)" % t_back)
        wait_for("smtp got them too", lambda: sum(
            1 for mm in smtp.mails if mail_key(mm[2]) in set(want)) ==
            len(want), 30)
        m = a.metrics()
        log = a.read_log()
        fails = log.count("sink webhook: delivery failed")
        check(fails == 2 and "sink webhook: delivering again" in log and
              m.get('bmpflow_alert_outages_total{sink="webhook"}') == 1,
              "outage logged once by each of the two A (%d lines); the "
              "second: %d failed attempts, %d retries counted" % (
                  fails, m.get('bmpflow_alert_failed_total{sink="webhook"}'),
                  m.get('bmpflow_alert_retried_total{sink="webhook"}')))
        check(a.stop() == 0, "A exits 0 on SIGTERM")
        n_posts = len(http.posts)
        a.start()
        c.start()
        # One new alert in every partition: once all have arrived, each
        # partition was read past its committed offset, so anything
        # delivered again would have come before them.
        fresh = [alert(40 + p, "rpki_invalid", "10.40.%d.0/24" % p, "open")
                 for p in range(partitions(col.brokers))]
        for p, r in enumerate(fresh):
            produce(col.brokers, [r], tmp, partition=p)
        # C stopped before step 3: it has those alerts to deliver too.
        new = {"/a": [key(r) for r in fresh],
               "/teams": want + [key(r) for r in fresh]}

        def posted(path):
            return [post_key(bd) for _, p, bd, _ in http.posts[n_posts:]
                    if p == path]
        wait_for("restarted A and C deliver %d and %d alerts" % (
            len(new["/a"]), len(new["/teams"])),
            lambda: all(len(posted(p)) >= len(new[p]) for p in new), 30)
        for p, what in (("/a", "A"), ("/teams", "C (commits only at exit)")):
            check(sorted(posted(p)) == sorted(new[p]),
                  "%s: after SIGTERM and a restart only alerts it had not "
                  "read are delivered (%d posts, %d expected)" % (
                      what, len(posted(p)), len(new[p])))
        check(c.stop() == 0, "C exits 0 on SIGTERM")

        # ---------------------------------------------- 4. kill -9
        every = []
        for r in recs + outage + fresh:
            if r["state"] != "update":
                every.append(key(r))
        d = Alerter(tmp, "d", col.brokers, "--group", "g-d", "--webhook",
                    base + "/d", "--webhook-rate-limit", "%d/s" % RATE)
        procs.append(d)
        half = len(every) // 2
        wait_for("D delivers %d of %d" % (half, len(every)),
                 lambda: len(http.on("/d")) >= half, 30)
        d.stop(signal.SIGKILL)
        first_run = len(http.on("/d"))
        times = [t for t, _ in http.on("/d")]
        d.start()
        wait_for("D restarted: all %d alerts" % len(every),
                 lambda: len(set(key(bd) for _, bd in http.on("/d"))) >=
                 len(every), 60)
        got = [key(bd) for _, bd in http.on("/d")]
        dup = len(got) - len(set(got))
        note("D: %d posts before SIGKILL, %d after; %d delivered twice "
             "(the unconfirmed tail)" % (first_run, len(got) - first_run,
                                         dup))
        check(sorted(set(got)) == sorted(every) and
              dup <= RATE * 2 + 2,
              "kill -9: none lost (%d of %d), %d duplicates (at most a "
              "commit interval's worth)" % (len(set(got)), len(every), dup))
        span = times[-1] - times[0]
        rate = (len(times) - RATE) / span if span > 0 else 1e9
        check(rate <= RATE * 1.1,
              "rate limit %d/s: %d posts in %.2f s after the burst of %d "
              "(%.2f/s)" % (RATE, len(times) - RATE, span, RATE, rate))
        check(d.stop() == 0, "D exits 0 on SIGTERM")
        check(a.stop() == 0, "A exits 0 on SIGTERM")
    finally:
        for p in procs:
            if p.proc.poll() is None:
                p.stop(signal.SIGKILL)
        if checks.failures:
            for p in procs:
                print("--- %s log:\n%s" % (p.name, harness.tail(p.log_path,
                                                                 20)))
        code = checks.finish("alert delivery", col)
        for s in (smtp, syslog_tcp):
            s.shutdown()
            s.server_close()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
            shutil.rmtree(col.dir, ignore_errors=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
