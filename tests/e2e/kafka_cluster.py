# SPDX-License-Identifier: Apache-2.0
"""A real Apache Kafka cluster (KRaft) on loopback for the tests.

Kafka's jars come from deploy/fetch-kafka.sh (run by install-deps.sh
--test) into $BMPFLOW_KAFKA_HOME or /var/cache/bmpflow/kafka.  Each node is
a combined controller+broker JVM (`java -cp 'libs/*' kafka.Kafka
server.properties`) with its own free ports and log dir under a temp
directory; the controllers form a static quorum (controller.quorum.voters),
formatted by kafka.tools.StorageTool.  Every wait is bounded; every JVM is
stopped by its PID (SIGTERM, then SIGKILL) and also dies with the test
process (PR_SET_PDEATHSIG), so a test killed by ctest leaves no broker.

    c = KafkaCluster(nodes=3, partitions=8, min_insync=2)
    c.create_topics(["bmp.route"])
    ... c.brokers ... c.node(c.leaders("bmp.route")[0]).kill() ...
    c.stop()

README ("A real Kafka cluster for tests and trials") shows the same
commands by hand."""

import base64
import ctypes
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import uuid

JVM_HEAP = "-Xmx512m"
DEFAULT_HOME = "/var/cache/bmpflow/kafka"
_PR_SET_PDEATHSIG = 1


def kafka_home():
    """The directory holding libs/ (Kafka's jars); RuntimeError saying how
    to fetch it when absent."""
    home = os.environ.get("BMPFLOW_KAFKA_HOME") or DEFAULT_HOME
    if not os.path.isdir(os.path.join(home, "libs")):
        raise RuntimeError("no Apache Kafka in %s: run deploy/install-deps.sh"
                           " --test (or deploy/fetch-kafka.sh)" % home)
    return home


def _free_port():
    import harness
    return harness.free_port()


def _die_with_parent():
    """preexec_fn: the JVM gets SIGKILL when the test process ends."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _slow(seconds):
    """harness.slow(): a wait's limit, scaled and cut to the test's budget
    (imported here: harness imports this module)."""
    import harness
    return harness.slow(seconds)


def _scaled(seconds):
    """harness.scaled(): the limit of a stop."""
    import harness
    return harness.scaled(seconds)


def wait_for(cond, timeout, what, interval=0.25):
    """Poll cond() until true; RuntimeError naming what after timeout s
    (through harness.slow)."""
    timeout = _slow(timeout)
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return
        time.sleep(interval)
    raise RuntimeError("Kafka: %s not within %d s" % (what, timeout))


LOG4J2 = """\
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = out
appender.out.type = Console
appender.out.name = out
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
logger.state.name = state.change.logger
logger.state.level = WARN
"""


class Node:
    """One combined controller+broker JVM."""

    def __init__(self, cluster, node_id):
        self.cluster = cluster
        self.id = node_id
        self.port = _free_port()
        self.controller_port = _free_port()
        self.dir = os.path.join(cluster.dir, "node%d" % node_id)
        self.data = os.path.join(self.dir, "data")
        self.props = os.path.join(self.dir, "server.properties")
        self.log_path = os.path.join(self.dir, "server.log")
        self.proc = None
        os.makedirs(self.dir)

    @property
    def address(self):
        return "127.0.0.1:%d" % self.port

    def write_props(self, voters):
        c = self.cluster
        rf = min(c.replication, len(c.nodes))
        props = {
            "process.roles": "broker,controller",
            "node.id": self.id,
            "controller.quorum.voters": voters,
            "listeners": "PLAINTEXT://%s,CONTROLLER://127.0.0.1:%d" % (
                self.address, self.controller_port),
            "advertised.listeners": "PLAINTEXT://" + self.address,
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map":
                "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "log.dirs": self.data,
            "num.partitions": c.partitions,
            "default.replication.factor": rf,
            "min.insync.replicas": min(c.min_insync, rf),
            "offsets.topic.replication.factor": rf,
            "offsets.topic.num.partitions": 8,
            "transaction.state.log.replication.factor": rf,
            "transaction.state.log.min.isr": min(c.min_insync, rf),
            "transaction.state.log.num.partitions": 4,
            "share.coordinator.state.topic.replication.factor": rf,
            "share.coordinator.state.topic.min.isr": min(c.min_insync, rf),
            # A consumer group of one starts reading at once.
            "group.initial.rebalance.delay.ms": 0,
            # Every topic is made on purpose (the collector's through the
            # Admin API, a test's by create_topics()), as in production.
            "auto.create.topics.enable": "false",
        }
        props.update(c.extra_props)
        with open(self.props, "w") as f:
            for k, v in props.items():
                f.write("%s=%s\n" % (k, v))

    def java(self, main, *args):
        c = self.cluster
        return ["java", JVM_HEAP, "-XX:+UseG1GC", "-Djava.awt.headless=true",
                "-Dlog4j2.configurationFile=" + c.log4j,
                "-cp", os.path.join(c.home, "libs", "*"), main] + list(args)

    def format(self):
        """Popen of StorageTool format for this node's log dir."""
        return subprocess.Popen(
            # --cluster-id=ID: an id starting with '-' (1 in 64) would
            # otherwise be read as an option.
            self.java("kafka.tools.StorageTool", "format",
                      "--cluster-id=" + self.cluster.cluster_id, "-c",
                      self.props, "--ignore-formatted"),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            preexec_fn=_die_with_parent)

    def start(self):
        """Start the JVM on the same ports and data (a restart keeps the
        log dir); it serves once cluster.wait_ready() returns."""
        if self.running():
            return
        log = open(self.log_path, "a")
        self.proc = subprocess.Popen(
            self.java("kafka.Kafka", self.props), stdout=log,
            stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
        log.close()

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def kill(self):
        """SIGKILL, as a crash: no controlled shutdown, no flush."""
        self.stop(graceful=False)

    def stop(self, graceful=True, timeout=30):
        """SIGTERM (controlled shutdown) for up to timeout s, then
        SIGKILL; True when it exited by itself."""
        if not self.running():
            return True
        self.proc.send_signal(signal.SIGTERM if graceful else signal.SIGKILL)
        try:
            self.proc.wait(timeout=_scaled(timeout))
            return True
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return False

    def tail(self, n=20):
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""


class KafkaCluster:
    """nodes combined controller+broker nodes on loopback, started and
    serving when the constructor returns.  partitions, replication (capped
    at nodes) and min_insync are the broker defaults for the topics of
    create_topics(); extra_props adds or overrides server.properties
    lines."""

    def __init__(self, nodes=1, partitions=8, replication=3, min_insync=2,
                 extra_props=None, start_timeout=180):
        self.home = kafka_home()
        self.partitions = partitions
        self.replication = replication
        self.min_insync = min_insync
        self.extra_props = dict(extra_props or {})
        self.dir = tempfile.mkdtemp(prefix="bmpflow-kafka-")
        self.log4j = os.path.join(self.dir, "log4j2.properties")
        with open(self.log4j, "w") as f:
            f.write(LOG4J2)
        # A cluster id is 16 random bytes, base64url without padding
        # (what `kafka-storage random-uuid` prints, without a JVM start).
        self.cluster_id = base64.urlsafe_b64encode(
            uuid.uuid4().bytes).decode().rstrip("=")
        self.nodes = []
        t0 = time.time()
        try:
            self.nodes = [Node(self, i + 1) for i in range(nodes)]
            voters = ",".join("%d@127.0.0.1:%d" % (n.id, n.controller_port)
                              for n in self.nodes)
            for n in self.nodes:
                n.write_props(voters)
            fmt = [(n, n.format()) for n in self.nodes]
            for n, p in fmt:
                out, _ = p.communicate(timeout=_slow(120))
                if p.returncode != 0:
                    raise RuntimeError("kafka-storage format node %d: %s" %
                                       (n.id, out))
            for n in self.nodes:
                n.start()
            self.wait_ready(start_timeout)
        except BaseException:
            self.stop()
            raise
        self.start_seconds = time.time() - t0

    @property
    def brokers(self):
        return ",".join(n.address for n in self.nodes)

    def node(self, node_id):
        return self.nodes[node_id - 1]

    def metadata(self, topic=None, timeout=10):
        """kcat -L -J from any running node as a dict; None when no node
        answers."""
        live = ",".join(n.address for n in self.nodes if n.running())
        if not live:
            return None
        args = ["kcat", "-L", "-J", "-b", live, "-m", str(timeout)]
        if topic is not None:
            args += ["-t", topic]
        try:
            p = subprocess.run(args, capture_output=True, text=True,
                               timeout=timeout + 5)
        except subprocess.TimeoutExpired:
            return None
        if p.returncode != 0:
            return None
        try:
            return json.loads(p.stdout)
        except ValueError:
            return None

    def _check_alive(self):
        for n in self.nodes:
            if n.proc is not None and n.proc.poll() is not None:
                raise RuntimeError("Kafka node %d exited (%s):\n%s" % (
                    n.id, n.proc.returncode, n.tail()))

    def wait_ready(self, timeout=180):
        """Until every running node is a broker in the metadata."""
        want = {n.id for n in self.nodes if n.running()}

        def ready():
            self._check_alive()
            md = self.metadata(timeout=5)
            return md is not None and \
                {b["id"] for b in md.get("brokers", [])} >= want
        try:
            wait_for(ready, timeout, "%d broker(s) serving" % len(want))
        except RuntimeError as e:
            raise RuntimeError("%s\n%s" % (e, "".join(
                "node %d log tail:\n%s" % (n.id, n.tail())
                for n in self.nodes)))

    def partition_state(self, topic):
        """[(partition, leader, replicas, isrs)] of topic; [] when unknown."""
        md = self.metadata(topic)
        if md is None:
            return []
        for t in md.get("topics", []):
            if t.get("topic") == topic and not t.get("err"):
                return [(p["partition"], p["leader"],
                         [r["id"] for r in p.get("replicas", [])],
                         [r["id"] for r in p.get("isrs", [])])
                        for p in t.get("partitions", [])]
        return []

    def leaders(self, topic):
        """Node ids leading topic's partitions, most partitions first."""
        count = {}
        for _, leader, _, _ in self.partition_state(topic):
            if leader >= 0:
                count[leader] = count.get(leader, 0) + 1
        return sorted(count, key=lambda k: -count[k])

    def wait_led(self, topics, timeout=120, full_isr=False):
        """Until every partition of topics has a leader on a running node
        (and, with full_isr, every replica in sync)."""
        def led():
            live = {n.id for n in self.nodes if n.running()}
            for t in topics:
                parts = self.partition_state(t)
                if not parts or any(
                        leader not in live or
                        (full_isr and len(isr) < len(reps))
                        for _, leader, reps, isr in parts):
                    return False
            return True
        wait_for(led, timeout, "leaders for %s" % ", ".join(topics))

    def create_topics(self, topics, partitions=None, configs=None,
                      timeout=120, on_node=None):
        """Create topics with kafka-topics (TopicCommand, one JVM each, run
        side by side), partitions (default: the cluster's) and the
        cluster's replication, or with on_node (a node id) every partition
        a single replica on that node; configs: {"retention.ms": "..."};
        then wait until every partition has a leader.  For a test's own
        topics, or a collector's made beforehand with other settings (the
        cluster does not auto-create topics)."""
        n = self.nodes[0]
        rf = min(self.replication, len(self.nodes))
        procs = []
        for t in topics:
            args = ["--bootstrap-server", self.brokers, "--create",
                    "--if-not-exists", "--topic", t]
            if on_node is None:
                args += ["--partitions", str(partitions or self.partitions),
                         "--replication-factor", str(rf)]
            else:
                args += ["--replica-assignment", ",".join(
                    [str(on_node)] * (partitions or self.partitions))]
            for k, v in (configs or {}).items():
                args += ["--config", "%s=%s" % (k, v)]
            procs.append((t, subprocess.Popen(
                n.java("org.apache.kafka.tools.TopicCommand", *args),
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                preexec_fn=_die_with_parent)))
        errors = []
        for t, p in procs:
            try:
                out, _ = p.communicate(timeout=_slow(timeout))
            except subprocess.TimeoutExpired:
                p.kill()
                out, _ = p.communicate()
            if p.returncode != 0:
                errors.append("%s: %s" % (t, out.strip()[-500:]))
        if errors:
            raise RuntimeError("kafka-topics --create: " + "; ".join(errors))
        self.wait_led(topics, timeout)

    def topic_configs(self, timeout=120):
        """{topic: {name: value}} of the configs set on every topic (not
        the broker's defaults), from kafka-configs --describe
        (ConfigCommand, one JVM)."""
        p = subprocess.run(
            self.nodes[0].java("org.apache.kafka.tools.ConfigCommand",
                               "--bootstrap-server", self.brokers,
                               "--entity-type", "topics", "--describe"),
            capture_output=True, text=True, timeout=_slow(timeout),
            preexec_fn=_die_with_parent)
        if p.returncode != 0:
            raise RuntimeError("kafka-configs --describe: " +
                               (p.stdout + p.stderr).strip()[-500:])
        out, topic = {}, None
        for line in p.stdout.splitlines():
            m = re.match(r"Dynamic configs for topic (\S+) are:", line)
            if m:
                topic = m.group(1)
                out[topic] = {}
                continue
            m = re.match(r"\s+([\w.]+)=(\S*) sensitive=", line)
            if m and topic is not None:
                out[topic][m.group(1)] = m.group(2)
        return out

    def group_offsets(self, group, timeout=60):
        """{(topic, partition): offset} the consumer group group has
        committed, as the brokers hold them (kafka-consumer-groups
        --describe); RuntimeError when it fails."""
        p = subprocess.run(
            self.nodes[0].java(
                "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
                "--bootstrap-server", self.brokers, "--describe", "--group",
                group), capture_output=True, text=True,
            timeout=_slow(timeout), preexec_fn=_die_with_parent)
        if p.returncode != 0:
            raise RuntimeError("kafka-consumer-groups: " + p.stderr[-500:])
        out = {}
        for line in p.stdout.splitlines():
            f = line.split()
            if len(f) >= 4 and f[0] == group and f[2].isdigit() and \
                    f[3].isdigit():
                out[(f[1], int(f[2]))] = int(f[3])
        return out

    def stop_all(self, graceful=True):
        for n in self.nodes:
            n.stop(graceful=graceful)

    def start_all(self, timeout=180):
        for n in self.nodes:
            n.start()
        self.wait_ready(timeout)

    def stop(self, keep=False):
        """Stop every node and remove the cluster's directory (kept and
        named with keep)."""
        for n in self.nodes:
            if n.running():
                n.proc.send_signal(signal.SIGTERM)
        # Side by side: stopped one by one, the last controllers lose their
        # quorum and wait for it until SIGKILL.
        for n in self.nodes:
            n.stop(timeout=10)
        if keep:
            print("kept Kafka cluster dir %s" % self.dir)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)


_shared = None


def shared_cluster():
    """One 1-node cluster for every harness.Collector of this test process
    (BMPFLOW_TEST_KAFKA=real), started on first use and stopped at exit.
    It creates no topic by itself: a collector creates its own at start."""
    global _shared
    if _shared is None:
        import atexit
        _shared = KafkaCluster(nodes=1)
        atexit.register(_shared.stop)
    return _shared


def real_kafka():
    """True when the tests run against a real cluster (BMPFLOW_TEST_KAFKA
    =real) rather than librdkafka's mock."""
    return os.environ.get("BMPFLOW_TEST_KAFKA", "mock") == "real"


def version():
    """The fetched Kafka version (fetch-kafka.sh writes VERSION)."""
    with open(os.path.join(kafka_home(), "VERSION")) as f:
        return f.read().strip()
