# SPDX-License-Identifier: Apache-2.0
"""A real Confluent-compatible Schema Registry on loopback for the tests.

Apicurio Registry comes from deploy/fetch-registry.sh into
$BMPFLOW_REGISTRY_HOME or /var/cache/bmpflow/registry: Quarkus's fast-jar
layout (quarkus-run.jar), its storage an in-memory H2 database, so nothing
else needs to run.  The Confluent API is served under /apis/ccompat/v7
(`url`): POST /subjects/{s}/versions, GET /schemas/ids/{id}, POST
/compatibility/subjects/{s}/versions/latest, PUT /config, and an
incompatible schema is refused with HTTP 409.  Unlike Confluent's, its
global compatibility starts as NONE: pass compatibility="BACKWARD" for
Confluent's default.  confluent-kafka's SchemaRegistryClient takes `url`.

The JVM is the one fetch-registry.sh found (Java 21 or newer, in
$home/JAVA) with the class-data-sharing archive it made ($home/app.jsa);
every wait is bounded; the JVM is stopped by its PID (SIGTERM, then
SIGKILL) and dies with the test process (PR_SET_PDEATHSIG).

    r = SchemaRegistry(compatibility="BACKWARD")
    r.request("POST", "/subjects/bmp.route-value/versions",
              {"schema": avro_json})        # -> (200, {"id": 1})
    ... r.url ... r.stop()

basic_auth=("user", "password") turns on HTTP basic authentication (an
embedded user with the sr-admin role); tls=(cert_pem, key_pem) serves HTTPS
instead of HTTP (`url` is then https://)."""

import base64
import json
import os
import shutil
import signal
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

from kafka_cluster import _die_with_parent, _free_port, _scaled, _slow

DEFAULT_HOME = "/var/cache/bmpflow/registry"
API = "/apis/ccompat/v7"
CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"


def registry_home():
    """The directory holding quarkus-run.jar (resolved: the CDS archive
    holds the path it was made with); RuntimeError saying how to fetch it
    when absent."""
    home = os.environ.get("BMPFLOW_REGISTRY_HOME") or DEFAULT_HOME
    if not os.path.isfile(os.path.join(home, "quarkus-run.jar")):
        raise RuntimeError("no Apicurio Registry in %s: run"
                           " deploy/fetch-registry.sh" % home)
    return os.path.realpath(home)


def _java(home):
    path = os.environ.get("BMPFLOW_REGISTRY_JAVA")
    if not path:
        try:
            with open(os.path.join(home, "JAVA")) as f:
                path = f.read().strip()
        except OSError:
            path = "java"
    return path


class SchemaRegistry:
    """One registry JVM on free loopback ports, serving when the
    constructor returns (start_timeout s, through harness.slow)."""

    def __init__(self, compatibility=None, basic_auth=None, tls=None,
                 start_timeout=120):
        self.home = registry_home()
        self.basic_auth = basic_auth
        self.tls = tls
        self.port = _free_port()
        self.dir = tempfile.mkdtemp(prefix="bmpflow-registry-")
        self.log_path = os.path.join(self.dir, "registry.log")
        self.proc = None
        scheme = "https" if tls else "http"
        self.url = "%s://127.0.0.1:%d%s" % (scheme, self.port, API)
        self._ctx = None
        if tls:
            self._ctx = ssl.create_default_context(cafile=tls[0])
        t0 = time.time()
        try:
            self._start()
            self.wait_ready(start_timeout)
            if compatibility:
                self.set_compatibility(compatibility)
        except BaseException:
            self.stop()
            raise
        self.start_seconds = time.time() - t0

    def _command(self):
        props = {
            "quarkus.http.host": "127.0.0.1",
            # Health and metrics: a port of their own, on loopback too.
            "quarkus.management.host": "127.0.0.1",
            "quarkus.management.port": _free_port(),
            "apicurio.datasource.jdbc.initial-size": 2,
            "apicurio.datasource.jdbc.min-size": 2,
            # Where snapshots and imports would go: not /tmp itself.
            "apicurio.storage.snapshot.location": self.dir,
            "apicurio.import.work-dir": self.dir,
        }
        if self.tls:
            props.update({
                "quarkus.http.port": _free_port(),
                "quarkus.http.ssl-port": self.port,
                "quarkus.http.ssl.certificate.files": self.tls[0],
                "quarkus.http.ssl.certificate.key-files": self.tls[1],
                "quarkus.http.insecure-requests": "disabled",
            })
        else:
            props["quarkus.http.port"] = self.port
        if self.basic_auth:
            user, password = self.basic_auth
            emb = "quarkus.security.users.embedded."
            props.update({
                "quarkus.http.auth.basic": "true",
                "apicurio.authn.mechanism.priority": "basic",
                emb + "plain-text": "true",
                emb + "users." + user: password,
                emb + "roles." + user: "sr-admin",
            })
        args = [_java(self.home), "-Xmx512m", "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC", "-Djava.awt.headless=true"]
        jsa = os.path.join(self.home, "app.jsa")
        if os.path.isfile(jsa):
            args.append("-XX:SharedArchiveFile=" + jsa)
        args += ["-D%s=%s" % kv for kv in props.items()]
        return args + ["-jar", os.path.join(self.home, "quarkus-run.jar")]

    def _start(self):
        log = open(self.log_path, "a")
        self.proc = subprocess.Popen(
            self._command(), cwd=self.dir, stdout=log,
            stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
        log.close()

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def request(self, method, path, body=None, timeout=10):
        """(HTTP status, decoded JSON body or None) of method on url+path;
        status 0 when nothing answered."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data,
                                     method=method)
        req.add_header("Accept", CONTENT_TYPE)
        if data is not None:
            req.add_header("Content-Type", CONTENT_TYPE)
        if self.basic_auth:
            req.add_header("Authorization", "Basic " + base64.b64encode(
                ("%s:%s" % self.basic_auth).encode()).decode())
        try:
            with urllib.request.urlopen(req, timeout=timeout,
                                        context=self._ctx) as r:
                status, raw = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, raw = e.code, e.read()
        except (OSError, ValueError):
            return 0, None
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, None

    def wait_ready(self, timeout=120):
        """Until GET /subjects answers 200; RuntimeError with the log's
        tail when the JVM exits or timeout s pass."""
        limit = _slow(timeout)
        deadline = time.time() + limit
        while time.time() < deadline:
            if not self.running():
                raise RuntimeError("Schema Registry exited (%s):\n%s" % (
                    self.proc.returncode, self.tail()))
            if self.request("GET", "/subjects", timeout=2)[0] == 200:
                return
            time.sleep(0.25)
        raise RuntimeError("Schema Registry: not serving within %d s\n%s"
                           % (limit, self.tail()))

    def set_compatibility(self, level, subject=None):
        """PUT /config (or /config/{subject}) {"compatibility": level}."""
        path = "/config" + ("/" + subject if subject else "")
        status, body = self.request("PUT", path, {"compatibility": level})
        if status != 200:
            raise RuntimeError("PUT %s: HTTP %d %s" % (path, status, body))

    def stop(self, timeout=20, keep=False):
        """SIGTERM for up to timeout s, then SIGKILL; removes the
        registry's directory (kept and named with keep)."""
        if self.running():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=_scaled(timeout))
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if keep:
            print("kept Schema Registry dir %s" % self.dir)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    def tail(self, n=30):
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""
