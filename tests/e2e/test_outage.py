#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A Kafka outage in the middle of a full-table feed.

bmpflow-mock-kafka (librdkafka's mock cluster in its own process, 64
partitions per topic) stands in for Kafka, or with BMPFLOW_TEST_KAFKA=real
a 1-node Apache Kafka (KRaft, tests/e2e/kafka_cluster.py, 16 partitions per
topic created before the collector starts) whose broker is SIGKILLed for
30 s and restarted on its data; bmpflow-collector produces to it
with --brokers; kcat consumes bmp.route from the beginning into a
file the whole time.  bmpflow-gen-fulltable writes a feed of 1,000,000
prefixes (800,000 IPv4 + 200,000 IPv6, one peer) plus 2% withdrawals,
which is replayed over one TCP session.  Once about a third of it has been
sent, every broker goes down for 10 s, then comes back.  Checks:
  - every prefix record arrives, once: the consumed count equals the
    decoder's prefixes announced + withdrawn, no (peer_address, prefix,
    action, path_id) occurs twice, and the set equals the one
    bmpflow-decode --json prints (also shown as an order-independent
    checksum: sum of crc32 of each tuple's text mod 2^64).  The one
    exception is a batch the producer re-sent after an ack lost in the
    outage: the mock cluster appends it again (it checks sequence numbers
    for transactional producers only; Kafka drops it for our idempotent
    producer), so records that repeat an earlier value of their partition
    byte for byte (the collector's receive timestamp included) are counted
    and reported, not failed, on the mock; on real Kafka any duplicate
    fails;
  - bmpflow_records_total{topic="bmp.route",state="failed"} is 0 and
    produced == delivered on every topic;
  - back-pressure stopped the router reads (bmpflow_backpressure_pauses_total
    > 0) and the collector's peak RSS (VmHWM) stays under RSS_LIMIT_MIB."""

import hashlib
import multiprocessing
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import kafka_cluster  # noqa: E402

IPV4, IPV6, WITHDRAW_PCT, SEED = 800000, 200000, 2, 11
DOWN_AT = 0.35          # share of the feed's bytes sent before the outage
REAL = kafka_cluster.real_kafka()
DOWN_SECONDS = 30 if REAL else 10
RSS_LIMIT_MIB = 256
# Sanitizer builds (BMPFLOW_SANITIZED=1 from ctest) carry shadow memory and
# a quarantine: the memory bound is checked in the release build only.
if harness.SANITIZED:
    RSS_LIMIT_MIB *= 8
TOPICS = ("bmp.router", "bmp.peer", "bmp.route", "bmp.stats", "bmp.raw")
PARTITIONS = 16 if REAL else 64


def end_offsets(brokers, topic, partitions):
    """The records the brokers hold in topic: its end offsets summed (the
    brokers keep every record from offset 0 here)."""
    out = subprocess.run(
        ["kcat", "-Q", "-b", brokers] + sum(
            (["-t", "%s:%d:-1" % (topic, p)] for p in range(partitions)),
            []), capture_output=True, text=True,
        timeout=harness.slow(60))
    return sum(int(n) for n in re.findall(r"\] offset (\d+)", out.stdout))


def tuple_text(peer, prefix, action, path_id):
    return "%s|%s|%s|%s" % (peer, prefix, action,
                            "" if path_id is None else path_id)


def checksum(texts):
    s = 0
    for t in texts:
        s += zlib.crc32(t.encode())
    return s % (1 << 64)


def expected_routes(decode_bin, path):
    """Route tuples from bmpflow-decode --json, streamed."""
    import json
    out = []
    p = subprocess.Popen([decode_bin, "--json", path],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         text=True)
    for line in p.stdout:
        if '"route_monitoring"' not in line:
            continue
        m = json.loads(line)
        if m.get("type") != "route_monitoring" or "bgp" not in m:
            continue
        peer = m["peer"]["address"]
        for x in m["bgp"].get("prefixes", []):
            out.append(tuple_text(peer, x["prefix"], x["action"],
                                  x.get("path_id")))
    p.wait(timeout=harness.slow(60))
    return out


KCAT_FORMAT = "%p %o %R%s%k\n"


def scan_kcat(data, off, out):
    """Walk kcat KCAT_FORMAT output from off; for each complete record set
    out[(partition, offset)] = (value start, value end); return the new
    off and the number of records seen."""
    n_data, seen = len(data), 0
    while True:
        sp1 = data.find(b" ", off, off + 12)
        sp2 = data.find(b" ", sp1 + 1, sp1 + 22) if sp1 > 0 else -1
        if sp2 < 0 or sp2 + 5 > n_data:
            break
        (n,) = struct.unpack_from(">I", data, sp2 + 1)
        end = data.find(b"\n", sp2 + 5 + n)
        if end < 0:
            break
        out[(int(data[off:sp1]), int(data[sp1 + 1:sp2]))] = (
            sp2 + 5, sp2 + 5 + n)
        off = end + 1
        seen += 1
    return off, seen


class KcatFile:
    """Incremental scan_kcat over a file kcat is still writing."""

    def __init__(self, path):
        self.f = open(path, "rb")
        self.base = 0       # file offset of buf[0]
        self.buf = b""

    def scan(self, out):
        self.buf += self.f.read()
        tmp = {}
        off, seen = scan_kcat(self.buf, 0, tmp)
        for k, (a, b) in tmp.items():
            out[k] = (self.base + a, self.base + b)
        self.buf = self.buf[off:]
        self.base += off
        return seen

    def close(self):
        self.f.close()


_schemas = None


def _init_worker(schema_dir):
    global _schemas
    _schemas = harness.Schemas(schema_dir)


def _decode_range(job):
    """(partition, offset, route tuple text, digest of the value) of each
    record in job, which lists ((partition, offset), (start, end)) in file
    order; and the count of records of other schemas."""
    path, items = job
    rows, other = [], 0
    if not items:
        return rows, other
    base = items[0][1][0]
    with open(path, "rb") as f:
        f.seek(base)
        data = f.read(items[-1][1][1] - base)
    for (part, offset), (a, b) in items:
        value = data[a - base:b - base]
        name, rec = _schemas.decode(value)
        if name != "route":
            other += 1
            continue
        rows.append((part, offset, tuple_text(
            rec["peer_address"], rec["prefix"], rec["action"],
            rec["path_id"]),
            hashlib.blake2b(value, digest_size=16).digest()))
    return rows, other


def resent_batches(rows):
    """Records the mock cluster appended twice, and in how many runs.

    librdkafka's mock cluster checks producer sequence numbers only for
    transactional producers, so an idempotent producer's batch re-sent
    after an ack lost in the outage is appended again, where Kafka would
    drop it.  Such a copy repeats earlier values of its partition byte for
    byte, the collector's receive timestamp included, at consecutive
    offsets.  Returns (records that repeat an earlier value of their
    partition, runs of consecutive offsets they form)."""
    by_part = {}
    for part, offset, _, digest in rows:
        by_part.setdefault(part, []).append((offset, digest))
    copied = runs = 0
    for recs in by_part.values():
        recs.sort()
        seen, last = set(), None
        for offset, digest in recs:
            if digest in seen:
                copied += 1
                runs += last != offset - 1
                last = offset
            seen.add(digest)
    return copied, runs


class Sender(threading.Thread):
    """Replays the feed over one session, counting bytes sent."""

    def __init__(self, port, data):
        super().__init__(daemon=True)
        self.port, self.data = port, data
        self.sent = 0
        self.error = None

    def run(self):
        import socket
        try:
            s = socket.create_connection(("127.0.0.1", self.port),
                                         timeout=harness.slow(300))
            view = memoryview(self.data)
            while self.sent < len(self.data):
                self.sent += s.send(view[self.sent:self.sent + 65536])
            s.shutdown(socket.SHUT_WR)
            while s.recv(4096):
                pass
            s.close()
        except OSError as e:
            self.error = e


def records(m, topic, state):
    return m['bmpflow_records_total{topic="%s",state="%s"}' % (topic, state)]


def main():
    args = harness.test_args("--mock-kafka", "--gen")
    t0 = time.time()
    # Every wait together (182 s on an idle release build).
    ck = harness.Checks(budget=harness.slow(600))
    tmp = tempfile.mkdtemp(prefix="bmpflow-outage-")
    mock = cluster = col = kcat = None
    feed = os.path.join(tmp, "feed.bmp")
    out_path = os.path.join(tmp, "route.kcat")
    try:
        g = harness.gen_fulltable(
            args.gen, feed, "--peers", 1, "--ipv4", IPV4, "--ipv6", IPV6,
            "--withdraw-pct", WITHDRAW_PCT, "--seed", SEED,
            timeout=harness.slow(120))
        print("generated: " + " ".join("%s=%d" % kv for kv in g.items()))
        n, _ = harness.decoder_summary(args.decode, feed)
        want_routes = n["prefixes announced"] + n["withdrawn"]
        data = open(feed, "rb").read()

        if REAL:
            cluster = kafka_cluster.KafkaCluster(nodes=1,
                                                 partitions=PARTITIONS)
            t_topics = time.time()
            cluster.create_topics(TOPICS)
            print("Kafka %s: 1 node serving in %.1f s, %d topics created in "
                  "%.1f s" % (kafka_cluster.version(), cluster.start_seconds,
                              len(TOPICS), time.time() - t_topics))
            brokers = cluster.brokers
        else:
            mock = harness.MockKafka(args.mock_kafka, TOPICS, PARTITIONS)
            brokers = mock.brokers
        col = harness.Collector(args.collector, args.schemas,
                                extra=["--brokers", brokers])
        # -E: keep consuming through the outage (kcat ends on "all
        # brokers down" otherwise).
        kcat_err = open(os.path.join(tmp, "kcat.err"), "w")
        out_f = open(out_path, "wb")
        kcat = subprocess.Popen(
            ["kcat", "-C", "-b", brokers, "-t", "bmp.route", "-o",
             "beginning", "-E", "-q", "-f", KCAT_FORMAT],
            stdout=out_f, stderr=kcat_err)
        out_f.close()
        kcat_err.close()

        t_start = time.time()
        sender = Sender(col.port, data)
        sender.start()
        deadline = time.time() + harness.slow(120)
        while sender.sent < DOWN_AT * len(data) and sender.is_alive() and \
                time.time() < deadline:
            time.sleep(0.01)
        m_down = col.metrics()
        if REAL:
            cluster.stop_all(graceful=False)
        else:
            mock.command("down")
        t_down = time.time()
        print("brokers down after %.1f MB of %.1f MB sent, %d route records "
              "delivered" % (sender.sent / 1e6, len(data) / 1e6,
                             records(m_down, "bmp.route", "delivered")))
        time.sleep(DOWN_SECONDS)
        m_up = col.metrics()
        t_up = time.time()
        if REAL:
            cluster.start_all()
            print("broker restarted on its data, serving again in %.1f s" %
                  (time.time() - t_up))
        else:
            mock.command("up")
        print("brokers up after %.1f s: %.1f MB sent, %d route records "
              "produced, %d delivered, queue %.1f MB, %d back-pressure "
              "pauses" % (time.time() - t_down, sender.sent / 1e6,
                          records(m_up, "bmp.route", "produced"),
                          records(m_up, "bmp.route", "delivered"),
                          m_up["bmpflow_producer_queue_bytes"] / 1e6,
                          m_up["bmpflow_backpressure_pauses_total"]))
        # A pause still going on counts in the seconds (it counted only
        # once reads resumed, so a running stall was invisible).
        if "bmpflow_backpressure_paused" not in m_up:
            ck.fail("no bmpflow_backpressure_paused gauge")
        elif m_up["bmpflow_backpressure_paused"] == 1:
            ck.check(m_up["bmpflow_backpressure_seconds_total"] > 0,
                     "paused during the outage, and the pause's seconds "
                     "count while it lasts (%.2f s)" %
                     m_up["bmpflow_backpressure_seconds_total"])
        sender.join(timeout=harness.slow(240))
        if sender.is_alive() or sender.error:
            raise RuntimeError("replay did not finish: %s" % sender.error)
        deadline = time.time() + harness.slow(120)
        while True:
            m = col.metrics()
            done = m["bmpflow_sessions"] == 0 and \
                m["bmpflow_producer_queue_messages"] == 0 and \
                all(records(m, t, "produced") ==
                    records(m, t, "delivered") + records(m, t, "failed")
                    for t in TOPICS)
            if done or time.time() > deadline:
                break
            time.sleep(0.1)
        t_delivered = time.time()
        if not done:
            ck.fail("not delivered in %d s after the replay: %s" % (
                    harness.slow(120),
                    {k: v for k, v in m.items() if "queue" in k or
                     "records" in k}))
        hwm = harness.vm_hwm_kib(col.proc.pid)

        # Let the consumer catch up, then read on to the end of every
        # partition, so a duplicate would show.  Records are keyed by
        # (partition, offset): a consumer reading one twice is no
        # duplicate, a record at two offsets is.
        produced = records(m, "bmp.route", "produced")
        bg, seen = {}, 0
        reader = KcatFile(out_path)
        deadline = time.time() + harness.slow(120)
        last = (-1, time.time())
        while time.time() < deadline:
            seen += reader.scan(bg)
            if len(bg) >= produced:
                break
            if len(bg) != last[0]:
                last = (len(bg), time.time())
            elif time.time() - last[1] > harness.slow(30):
                break       # stuck: the final pass will tell
            time.sleep(0.2)
        held = end_offsets(brokers, "bmp.route", PARTITIONS)

        def read_to_end():
            nonlocal seen
            seen += reader.scan(bg)
            return len(bg) >= held
        harness.wait_until(read_to_end, harness.slow(30), 0.2)
        harness.stop_process(kcat, timeout=harness.scaled(10))
        seen += reader.scan(bg)
        reader.close()
        print("background consumer: %d records (%d reads)" % (len(bg),
                                                             seen))
        sources = [(out_path, bg)]
        if len(bg) < produced:
            # It lost its way in the outage: read the topic once more
            # from the beginning (the brokers keep it all in PARTITIONS).
            final_path = os.path.join(tmp, "route-final.kcat")
            with open(final_path, "wb") as out_f:
                subprocess.run(["kcat", "-C", "-b", brokers, "-t",
                                "bmp.route", "-o", "beginning", "-e", "-q",
                                "-f", KCAT_FORMAT], stdout=out_f,
                               stderr=subprocess.DEVNULL,
                               timeout=harness.slow(300))
            final = {}
            with open(final_path, "rb") as f:
                scan_kcat(f.read(), 0, final)
            print("final consumer pass: %d records, %d not seen by the "
                  "background consumer" % (len(final),
                                           len(final.keys() - bg.keys())))
            for k in bg.keys() & final.keys():
                del final[k]
            sources.append((final_path, final))
        t_consumed = time.time()

        # Decode with python3-avro on every core, in parallel with the
        # expected side.
        workers = max(1, min(4, os.cpu_count() or 1))
        jobs = []
        for path, recs in sources:
            items = sorted(recs.items(), key=lambda kv: kv[1])
            step = (len(items) + workers * 8 - 1) // (workers * 8) or 1
            jobs += [(path, items[i:i + step])
                     for i in range(0, len(items), step)]
        del bg, sources
        with multiprocessing.Pool(workers, _init_worker,
                                  (args.schemas,)) as pool:
            res = pool.map_async(_decode_range, jobs)
            exp = expected_routes(args.decode, feed)
            rows, other = [], 0
            for r, o in res.get(timeout=harness.slow(600)):
                rows.extend(r)
                other += o
        copied, copies = resent_batches(rows)
        got = [text for _, _, text, _ in rows]
        del rows
        t_decoded = time.time()
        if other:
            ck.fail("bmp.route holds %d records of other schemas" %
                    other)
        got_set = set(got)
        exp_set = set(exp)
        dups = len(got) - copied - len(got_set)
        sum_got, sum_exp = checksum(got_set), checksum(exp)
        print("bmp.route: %d records consumed, %d distinct, checksum %016x; "
              "decoder: %d prefixes (%d + %d withdrawn), %d distinct, "
              "checksum %016x" % (len(got), len(got_set), sum_got,
                                  want_routes, n["prefixes announced"],
                                  n["withdrawn"], len(exp_set), sum_exp))
        if copied and REAL:
            ck.fail("%d records in %d runs repeat an earlier value of their "
                    "partition byte for byte: Kafka should have dropped the "
                    "idempotent producer's re-sends" % (copied, copies))
        elif copied:
            print("%d records in %d runs the mock cluster appended twice "
                  "(re-sent after an ack lost in the outage; it checks "
                  "sequence numbers of transactional producers only, Kafka "
                  "drops them for an idempotent one)" % (copied, copies))
        if len(exp) != want_routes or len(exp_set) != len(exp):
            ck.fail("decoder --json gives %d route tuples (%d "
                    "distinct), its summary %d" % (
                        len(exp), len(exp_set), want_routes))
        if REAL:
            copied = 0      # failed above; the count below includes them
        if len(got) - copied != want_routes:
            ck.fail("consumed %d route records (%d in re-sent "
                    "batches), want %d" % (len(got), copied,
                                           want_routes))
        if dups:
            ck.fail("%d duplicate route records%s" % (dups, "" if REAL else
                    " that are no byte-for-byte copy of an earlier one"))
        if got_set != exp_set:
            miss = sorted(exp_set - got_set)
            extra = sorted(got_set - exp_set)
            ck.fail("route sets differ: %d missing (e.g. %s), %d "
                    "unexpected (e.g. %s)" % (
                        len(miss), miss[:3], len(extra), extra[:3]))
        if sum_got != sum_exp:
            ck.fail("checksum %016x, want %016x" % (sum_got,
                                                     sum_exp))
        lost, len_got, n_distinct = len(exp_set - got_set), len(got), \
            len(got_set)
        del got, got_set, exp, exp_set

        failed = sum(records(m, t, "failed") for t in TOPICS)
        if records(m, "bmp.route", "failed") or failed:
            ck.fail("collector counts %d failed records (%d "
                    "bmp.route)" % (failed, records(
                        m, "bmp.route", "failed")))
        if produced != want_routes:
            ck.fail("collector produced %d route records, want %d" %
                    (produced, want_routes))
        pauses = m["bmpflow_backpressure_pauses_total"]
        if pauses < 1:
            ck.fail("no back-pressure pause during a %d s outage" %
                    DOWN_SECONDS)
        if hwm > RSS_LIMIT_MIB * 1024:
            ck.fail("collector VmHWM %.1f MiB > %d MiB" % (
                hwm / 1024, RSS_LIMIT_MIB))
        secs = t_delivered - t_start
        print("collector: %.1f MB read, %d route records delivered in %.1f s "
              "(%.0f records/s with a %d s outage), %d back-pressure pauses "
              "(%.1f s paused), %d failed, VmHWM %.1f MiB (bound %d MiB)" % (
                  m["bmpflow_bytes_total"] / 1e6,
                  records(m, "bmp.route", "delivered"), secs,
                  records(m, "bmp.route", "delivered") / secs, DOWN_SECONDS,
                  pauses, m["bmpflow_backpressure_seconds_total"],
                  records(m, "bmp.route", "failed"), hwm / 1024,
                  RSS_LIMIT_MIB))
        print("recovered: every record delivered %.1f s after the brokers "
              "were started again; consumer caught up %.1f s after delivery; decode "
              "%.1f s" % (t_delivered - t_up, t_consumed - t_delivered,
                          t_decoded - t_consumed))
        print("figures: %d lost, %d duplicated (%s Kafka)" % (
            lost, len_got - n_distinct, "real" if REAL else "mock"))
    except Exception as e:  # noqa: BLE001 - reported as a failure
        ck.fail("%s: %s" % (type(e).__name__, e))
    finally:
        if kcat is not None and kcat.poll() is None:
            kcat.kill()
            kcat.wait()
        rc = col.stop() if col is not None else 0
        if col is not None:
            noisy = [l for l in col.read_log().splitlines()
                     if " warn " in l or " error " in l]
            print("collector log: %d warn/error lines%s" % (
                len(noisy), "".join("\n  " + l for l in noisy[:3])))
            shutil.rmtree(col.dir, ignore_errors=True)
        if mock is not None:
            mock.stop()
        if cluster is not None:
            cluster.stop(keep=args.keep)
        shutil.rmtree(tmp, ignore_errors=True)
    if rc != 0:
        ck.fail("collector exit status %s" % rc)
    return ck.finish("outage (%s Kafka): %d route records, %d s outage, "
                     "%.0f s" % ("real" if REAL else "mock", want_routes,
                                 DOWN_SECONDS, time.time() - t0))


if __name__ == "__main__":
    sys.exit(main())
