#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""What CI can check of the deployment files without a container engine,
a cluster or Grafana:
- yamllint (strict) over the compose file, the Kubernetes manifests and
  the Prometheus example;
- docker-compose.yml: every build context, Dockerfile and bind-mounted
  file exists in the repository; every image is built here or is one of
  the known external images; depends_on and network_mode name services
  that exist; every --plugin is a plugin of processors/;
- deploy/Dockerfile: Debian 12 bases, COPY sources exist, the build stage
  runs only the scripts CI itself runs, the image ends as a non-root user;
- deploy/k8s: the Deployment's containers use the image, the ConfigMap
  and named ports they reference exist, every container has probes on
  /metrics and resource requests, the Service serves TCP 5000;
- the systemd units name binaries the build installs;
- the Grafana dashboard parses and every metric its queries use is
  written by the C source (bmpflow_*), the Prometheus example parses.
Prints every problem, exits 1 if any."""

import glob
import json
import os
import re
import shlex
import subprocess
import sys

import yaml

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "e2e"))
import harness  # noqa: E402

# Images the compose file may pull instead of build.
EXTERNAL_IMAGES = ("apache/kafka:",)

checks = harness.Checks()
problem = checks.fail


def load_yaml_docs(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def source_text(src):
    """All C source of the collector and processors, concatenated."""
    text = []
    for pat in ("collector/**/*.c", "processors/**/*.c",
                "collector/**/*.h", "processors/**/*.h"):
        for p in glob.glob(os.path.join(src, pat), recursive=True):
            with open(p, errors="replace") as f:
                text.append(f.read())
    return "\n".join(text)


def metric_written(src, code, name):
    """A metric name in the source: the host's own, or a plugin's, which
    the host names bmpflow_<plugin>_<declared name>."""
    if re.search(r"\b%s\b" % re.escape(name), code):
        return True
    for plugin in plugins(src):
        prefix = "bmpflow_%s_" % plugin
        if not name.startswith(prefix):
            continue
        text = "\n".join(open(p, errors="replace").read() for p in glob.glob(
            os.path.join(src, "processors", plugin, "*.c")))
        declared = re.findall(r'bf_metric_declare\([^,]+,\s*"(\w+)"', text)
        return name[len(prefix):] in declared
    return False


def plugins(src):
    """Plugin names: the bmpflow_plugin(NAME ...) calls of
    processors/CMakeLists.txt."""
    with open(os.path.join(src, "processors", "CMakeLists.txt")) as f:
        return set(re.findall(r"^bmpflow_plugin\((\w+)\s", f.read(), re.M))


def check_plugin_names(where, names, src):
    have = plugins(src)
    for n in names:
        if n not in have:
            problem("%s: plugin %s is not built by processors/" % (where, n))


def plugin_args(args):
    return [args[i + 1] for i, a in enumerate(args[:-1]) if a == "--plugin"]


def yamllint(src, files):
    out = subprocess.run(
        ["yamllint", "--strict", "-c",
         os.path.join(src, "deploy", "yamllint.yml")] + files,
        capture_output=True, text=True, check=False,
        timeout=harness.slow(60))
    if out.returncode != 0:
        problem("yamllint:\n" + out.stdout + out.stderr)


def check_compose(src):
    deploy = os.path.join(src, "deploy")
    path = os.path.join(deploy, "docker-compose.yml")
    (doc,) = load_yaml_docs(path)
    services = doc.get("services") or {}
    built = set()
    for name, s in services.items():
        b = s.get("build")
        if b is None:
            continue
        if isinstance(b, str):
            b = {"context": b}
        ctx = os.path.normpath(os.path.join(deploy, b.get("context", ".")))
        if not os.path.isdir(ctx):
            problem("compose %s: build context %s missing" % (name, ctx))
        df = os.path.join(ctx, b.get("dockerfile", "Dockerfile"))
        if not os.path.isfile(df):
            problem("compose %s: Dockerfile %s missing" % (name, df))
        if "image" in s:
            built.add(s["image"])
    for name, s in services.items():
        img = s.get("image")
        if img is None and "build" not in s:
            problem("compose %s: neither image nor build" % name)
        if img and "build" not in s and img not in built and \
                not img.startswith(EXTERNAL_IMAGES):
            problem("compose %s: image %s is neither built here nor a "
                    "known external image" % (name, img))
        for v in s.get("volumes") or []:
            srcpath = v.split(":")[0] if isinstance(v, str) else v.get("source")
            if srcpath and srcpath.startswith((".", "/")):
                p = os.path.normpath(os.path.join(deploy, srcpath))
                if not os.path.exists(p):
                    problem("compose %s: volume source %s missing" %
                            (name, p))
        for e in s.get("env_file") or []:
            if not os.path.isfile(os.path.join(deploy, e)):
                problem("compose %s: env_file %s missing" % (name, e))
        deps = s.get("depends_on") or []
        for d in deps:
            if d not in services:
                problem("compose %s: depends_on unknown service %s" %
                        (name, d))
        nm = s.get("network_mode", "")
        if nm.startswith("service:") and nm[8:] not in services:
            problem("compose %s: network_mode names unknown service %s" %
                    (name, nm[8:]))
        cmd = s.get("command") or []
        if isinstance(cmd, str):
            cmd = shlex.split(cmd)
        check_plugin_names("compose " + name, plugin_args(cmd), src)
    for c in doc.get("configs", {}).values() or []:
        if "file" in c and not os.path.isfile(os.path.join(deploy, c["file"])):
            problem("compose config file %s missing" % c["file"])
    if not any(str(s.get("image", "")).startswith("apache/kafka:")
               for s in services.values()):
        problem("compose: no Apache Kafka service")
    kraft = [s for s in services.values()
             if "KAFKA_PROCESS_ROLES" in (s.get("environment") or {})]
    if not kraft:
        problem("compose: Kafka is not in KRaft mode (KAFKA_PROCESS_ROLES)")


def ci_scripts(src):
    """Scripts CI runs: named in tests/run_all.sh and the deploy test."""
    text = ""
    for p in ("tests/run_all.sh", "tests/deploy/test_package.py"):
        with open(os.path.join(src, p)) as f:
            text += f.read()
    return text


def check_dockerfile(src):
    path = os.path.join(src, "deploy", "Dockerfile")
    with open(path) as f:
        lines = f.read().replace("\\\n", " ").splitlines()
    stages = []
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        word = word.upper()
        if word == "FROM":
            stages.append({"from": rest.split()[0], "run": [], "user": None,
                           "as": rest.split()[-1] if " AS " in
                           rest.upper() else None})
        elif word == "RUN":
            stages[-1]["run"].append(rest.strip())
        elif word == "USER":
            stages[-1]["user"] = rest.strip()
        elif word == "COPY" and "--from=" not in rest:
            for s in shlex.split(rest)[:-1]:
                if not os.path.exists(os.path.join(src, s)):
                    problem("Dockerfile: COPY source %s missing" % s)
    if len(stages) < 2:
        problem("Dockerfile: not multi-stage")
        return
    for s in stages:
        if not re.match(r"debian:12(\b|-)", s["from"]):
            problem("Dockerfile: base %s is not Debian 12" % s["from"])
    ci = ci_scripts(src)
    for cmd in stages[0]["run"]:
        script = shlex.split(cmd)[0]
        if not script.startswith("deploy/") or \
                not os.path.isfile(os.path.join(src, script)):
            problem("Dockerfile build step '%s' is not one of the repo's "
                    "scripts" % cmd)
        elif os.path.basename(script) not in ci:
            problem("Dockerfile build step '%s': CI never runs %s" %
                    (cmd, script))
    user = stages[-1]["user"]
    if user is None or user.split(":")[0] in ("root", "0"):
        problem("Dockerfile: the image does not end as a non-root user")


def check_k8s(src):
    docs = []
    kdir = os.path.join(src, "deploy", "k8s")
    for p in sorted(glob.glob(os.path.join(kdir, "*.yaml"))):
        docs += load_yaml_docs(p)
    kinds = {}
    for d in docs:
        kinds.setdefault(d.get("kind"), []).append(d)
    (kust,) = kinds.get("Kustomization", [None])
    if kust:
        for r in kust.get("resources", []):
            if not os.path.isfile(os.path.join(kdir, r)):
                problem("k8s kustomization: %s missing" % r)
    cms = {d["metadata"]["name"]: d for d in kinds.get("ConfigMap", [])}
    deps = kinds.get("Deployment", [])
    if len(deps) != 1:
        problem("k8s: expected one Deployment, found %d" % len(deps))
        return
    pod = deps[0]["spec"]["template"]["spec"]
    names = [c["name"] for c in pod["containers"]]
    if "collector" not in names or len(names) < 3:
        problem("k8s: pod containers %s: want the collector and its "
                "processors as sidecars" % names)
    vols = {v["name"]: v for v in pod.get("volumes", [])}
    for v in vols.values():
        cm = v.get("configMap", {}).get("name")
        if cm and cm not in cms:
            problem("k8s volume %s: ConfigMap %s not defined" %
                    (v["name"], cm))
    for c in pod["containers"]:
        where = "k8s container %s" % c["name"]
        if not c.get("image", "").startswith("bmpflow:"):
            problem("%s: image %s is not the bmpflow image" %
                    (where, c.get("image")))
        ports = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
        for probe in ("readinessProbe", "livenessProbe"):
            h = (c.get(probe) or {}).get("httpGet")
            if not h or h.get("path") != "/metrics" or \
                    h.get("port") not in ports:
                problem("%s: %s is not an httpGet of /metrics on a named "
                        "port" % (where, probe))
        req = (c.get("resources") or {}).get("requests") or {}
        if "cpu" not in req or "memory" not in req:
            problem("%s: no cpu and memory requests" % where)
        for m in c.get("volumeMounts", []):
            if m["name"] not in vols:
                problem("%s: mounts unknown volume %s" % (where, m["name"]))
            cm = vols.get(m["name"], {}).get("configMap", {}).get("name")
            if cm in cms and m.get("subPath") and \
                    m["subPath"] not in cms[cm].get("data", {}):
                problem("%s: ConfigMap %s has no key %s" %
                        (where, cm, m["subPath"]))
        for e in c.get("env", []):
            ref = (e.get("valueFrom") or {}).get("configMapKeyRef")
            if ref and ref["key"] not in cms.get(ref["name"], {}).get(
                    "data", {}):
                problem("%s: env %s: ConfigMap %s has no key %s" %
                        (where, e["name"], ref["name"], ref["key"]))
        check_plugin_names(where, plugin_args(c.get("args", [])), src)
    svc = [p for s in kinds.get("Service", []) for p in s["spec"]["ports"]]
    if not any(p.get("port") == 5000 and p.get("protocol", "TCP") == "TCP"
               for p in svc):
        problem("k8s: no Service on TCP 5000")


def check_units(src):
    with open(os.path.join(src, "collector", "CMakeLists.txt")) as f:
        cm = f.read()
    for d in ("host", "alert"):
        with open(os.path.join(src, "processors", d, "CMakeLists.txt")) as f:
            cm += f.read()
    installed = set()
    for targets in re.findall(r"install\(TARGETS\s+([\w\s-]+?)\s+(?:RUNTIME|LIBRARY)",
                              cm):
        installed.update(targets.split())
    for u in glob.glob(os.path.join(src, "deploy", "systemd", "*.service")):
        with open(u) as f:
            for exe in re.findall(r"^ExecStart=/usr/bin/(\S+)", f.read(),
                                  re.M):
                if exe not in installed:
                    problem("%s: ExecStart %s is not installed" %
                            (os.path.basename(u), exe))


def check_dashboard(src):
    path = os.path.join(src, "deploy", "grafana", "bmpflow-dashboard.json")
    with open(path) as f:
        dash = json.load(f)
    exprs = []

    def walk(panels):
        for p in panels:
            exprs.extend(t["expr"] for t in p.get("targets", []))
            walk(p.get("panels", []))
    walk(dash.get("panels", []))
    for v in dash.get("templating", {}).get("list", []):
        q = v.get("query")
        if isinstance(q, dict):
            exprs.append(q.get("query", ""))
    if len(exprs) < 10:
        problem("dashboard: only %d queries" % len(exprs))
    code = source_text(src)
    used = set()
    for e in exprs:
        for m in re.findall(r"\bbmpflow_\w+", e):
            # A histogram is written as NAME; queries read NAME_bucket.
            used.add(re.sub(r"_bucket$", "", m))
    for m in sorted(used):
        if not metric_written(src, code, m):
            problem("dashboard metric %s is written nowhere in the source" % m)
    wanted = ("bmpflow_sessions_total", "bmpflow_bmp_messages_total",
              "bmpflow_records_total", "bmpflow_decode_errors_total",
              "bmpflow_producer_queue_bytes", "bmpflow_prefix_health_prefixes",
              "bmpflow_leak_detect_alerts_total")
    for m in wanted:
        if m not in used:
            problem("dashboard shows no %s" % m)
    load_yaml_docs(os.path.join(src, "deploy", "prometheus",
                                "prometheus.yml"))


def check_alert_rules(src):
    """The shipped alerting rules parse and read only metrics the source
    writes; each alert the README promises is there."""
    path = os.path.join(src, "deploy", "prometheus", "bmpflow-rules.yml")
    docs = load_yaml_docs(path)
    rules = [r for d in docs for g in d["groups"] for r in g["rules"]]
    code = source_text(src)
    for r in rules:
        for m in re.findall(r"\bbmpflow_\w+", r["expr"]):
            if not metric_written(src, code, m):
                problem("alert %s reads %s, written nowhere in the source"
                        % (r["alert"], m))
    names = {r["alert"] for r in rules}
    for want in ("BmpflowDown", "BmpflowRouterSilent",
                 "BmpflowKafkaUndeliverable", "BmpflowProcessorLag",
                 "BmpflowLeakAlertsOpen"):
        if want not in names:
            problem("alert rules: no %s" % want)


def main():
    src = os.path.abspath(harness.test_args(base=("--source",)).source)
    deploy = os.path.join(src, "deploy")
    yamllint(src, [os.path.join(deploy, "docker-compose.yml"),
                   os.path.join(deploy, "k8s"),
                   os.path.join(deploy, "prometheus"),
                   os.path.join(deploy, "yamllint.yml")])
    for check in (check_compose, check_dockerfile, check_k8s, check_units,
                  check_dashboard, check_alert_rules):
        try:
            check(src)
        except (OSError, KeyError, TypeError, ValueError, IndexError,
                yaml.YAMLError) as e:
            problem("%s: %s: %s" % (check.__name__, type(e).__name__, e))
    return checks.finish("deploy_manifests")


if __name__ == "__main__":
    sys.exit(main())
