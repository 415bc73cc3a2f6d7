#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The Debian package as an operator gets it: deploy/build-deb.sh builds
it, apt-get installs it on this machine, the INSTALLED collector (as the
bmpflow user the package creates, with no --schema-dir) and the installed
processor with the prefix_health plugin (found by name) run a real router
capture through the embedded Kafka, the installed bmpflow-tail reads a
bmp.prefix_health record back, and systemd-analyze verifies the installed
units.  The package is purged at the end.  Needs root (apt-get); exits 77
(skipped) without it."""

import glob
import gzip
import json
import os
import pwd
import re
import shutil
import stat
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "e2e"))
import harness  # noqa: E402

PKG = "bmpflow"
SCHEMA_DIR = "/usr/share/bmpflow/schemas"
UNIT_DIR = "/usr/lib/systemd/system"
APT = ["apt-get", "-y", "-q", "-o", "DPkg::Lock::Timeout=300"]
ENV = dict(os.environ, DEBIAN_FRONTEND="noninteractive")


# Each step's limit in seconds, as harness.slow() scales it; ctest's
# TIMEOUT (tests/CMakeLists.txt) exceeds their sum: the build 1200, apt
# three times 600, 12 quick commands 60, the flow's waits 330, cmake
# --install 120: 4170.
APT_S = 600


def run(cmd, timeout=60, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, env=ENV,
                          timeout=harness.slow(timeout), check=False, **kw)


def installed():
    out = run(["dpkg-query", "-W", "-f=${Status}", PKG])
    return "install ok installed" in out.stdout


def plugin_dir():
    arch = run(["dpkg-architecture", "-qDEB_HOST_MULTIARCH"]).stdout.strip()
    return "/usr/lib/%s/bmpflow" % arch


def check_files(src, scratch, ck):
    """Every schema of the source tree and every plugin of the build is
    installed, and the binaries say they look there."""
    for s in glob.glob(os.path.join(src, "schemas", "*.avsc")):
        if not os.path.isfile(os.path.join(SCHEMA_DIR, os.path.basename(s))):
            ck.fail("schema %s not installed" % os.path.basename(s))
    plugins = glob.glob(os.path.join(scratch, "processors", "*.so"))
    if not plugins:
        ck.fail("the package build made no plugin")
    for p in plugins:
        if not os.path.isfile(os.path.join(plugin_dir(), os.path.basename(p))):
            ck.fail("plugin %s not installed" % os.path.basename(p))
    conf = run(["/usr/bin/bmpflow-collector", "--print-config"]).stdout
    if "schema-dir = %s\n" % SCHEMA_DIR not in conf:
        ck.fail("installed collector's schema-dir is not %s: %s" %
                (SCHEMA_DIR, conf))
    if plugin_dir() not in run(["/usr/bin/bmpflow-processor",
                                "--help"]).stdout:
        ck.fail("installed processor does not look in %s" %
                plugin_dir())
    for f in ("collector.conf", "processor-prefix_health.env",
              "processor-leak_detect.env", "alert.conf"):
        path = os.path.join("/etc/bmpflow", f)
        if not os.path.isfile(path):
            ck.fail("/etc/bmpflow/%s not installed" % f)
            continue
        # They may hold SASL passwords.
        st = os.stat(path)
        mode = stat.S_IMODE(st.st_mode)
        if mode != 0o640 or st.st_uid != 0 or \
                st.st_gid != pwd.getpwnam("bmpflow").pw_gid:
            ck.fail("/etc/bmpflow/%s is %o uid %d gid %d, want 0640 "
                    "root:bmpflow" % (f, mode, st.st_uid, st.st_gid))
        text = open(path).read()
        listens = re.findall(r"^[^#\n]*metrics[ =]+([^\s\"]+)", text, re.M)
        if not listens or any(not a.startswith("127.0.0.1:")
                              for a in listens):
            ck.fail("/etc/bmpflow/%s: metrics not on loopback: %s" %
                    (f, listens))
    try:
        pwd.getpwnam("bmpflow")
    except KeyError:
        ck.fail("postinst did not create the bmpflow user")
    # One page per program, generated from its --help: daemons in section
    # 8, tools in 1.
    for page in ("man8/bmpflow-collector.8", "man8/bmpflow-processor.8",
                 "man8/bmpflow-alert.8", "man1/bmpflow-tail.1",
                 "man1/bmpflow-decode.1"):
        path = os.path.join("/usr/share/man", page)
        name = os.path.basename(page).rsplit(".", 1)
        if not any(os.path.isfile(path + z) for z in ("", ".gz")):
            ck.fail("man page %s not installed" % page)
        elif os.path.isfile(path) and not open(path).read().startswith(
                ".TH %s %s " % (name[0].upper(), name[1])):
            ck.fail("man page %s has not the section %s header" % (
                page, name[1]))
    doc = "/usr/share/doc/bmpflow"
    try:
        copyright = open(os.path.join(doc, "copyright")).read()
        with gzip.open(os.path.join(doc, "changelog.Debian.gz"), "rt") as f:
            changelog = f.read()
    except OSError as e:
        ck.fail("licence or changelog not installed: %s" % e)
    else:
        if "License: Apache-2.0" not in copyright or \
                "Apache License" not in copyright:
            ck.fail("%s/copyright does not carry the Apache-2.0 text" % doc)
        version = run(["/usr/bin/bmpflow-collector", "--version"]
                      ).stdout.split()[-1]
        if not changelog.startswith("bmpflow (%s)" % version):
            ck.fail("changelog.Debian.gz does not start with version %s"
                    % version)


def check_debug_symbols(scratch, ck):
    """The installed binaries are stripped; bmpflow-dbgsym (the .ddeb
    beside the .deb) holds each one's debug file under its build id."""
    ddebs = glob.glob(os.path.join(scratch, "bmpflow-dbgsym_*.ddeb"))
    if len(ddebs) != 1:
        ck.fail("build-deb.sh made %d bmpflow-dbgsym packages" % len(ddebs))
        return
    listing = run(["dpkg-deb", "-c", ddebs[0]]).stdout
    bins = ["/usr/bin/bmpflow-%s" % b for b in
            ("collector", "processor", "alert", "tail", "decode")] + \
        glob.glob(os.path.join(plugin_dir(), "*.so"))
    for b in bins:
        sections = run(["readelf", "-S", "-W", b]).stdout
        if ".debug_info" in sections or ".symtab" in sections:
            ck.fail("%s is not stripped" % b)
        bid = re.search(r"Build ID: ([0-9a-f]+)",
                        run(["readelf", "-n", b]).stdout)
        if not bid:
            ck.fail("%s has no build id" % b)
            continue
        want = "./usr/lib/debug/.build-id/%s/%s.debug" % (
            bid.group(1)[:2], bid.group(1)[2:])
        if want not in listing:
            ck.fail("bmpflow-dbgsym lacks %s's debug file %s" % (b, want))
    doc = "/usr/share/doc/bmpflow/leak_detect"
    for f in ("README.md", "as-rel.example.txt", "prefixes.example.txt",
              "roas.example.json", "transit-free.txt"):
        if not os.path.isfile(os.path.join(doc, f)):
            ck.fail("leak_detect's %s not installed in %s" % (f, doc))


def as_bmpflow():
    u = pwd.getpwnam("bmpflow")
    return {"user": u.pw_uid, "group": u.pw_gid, "extra_groups": []}


def processor_out(port):
    try:
        m = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port,
                                   timeout=harness.slow(5)).read().decode()
    except OSError:
        return 0
    for line in m.splitlines():
        if line.startswith("bmpflow_processor_records_out_total "):
            return int(float(line.split()[1]))
    return 0


def stop(proc, name, ck):
    if not harness.stop_process(proc):
        ck.fail("%s ignored SIGTERM for %d s" % (name, harness.scaled(60)))
    elif proc.returncode != 0:
        ck.fail("%s exit status %s" % (name, proc.returncode))


def flow(data, ck):
    """Installed collector -> embedded Kafka -> installed processor."""
    run_dir = tempfile.mkdtemp(prefix="bmpflow-deploy-")
    os.chmod(run_dir, 0o777)
    boot = os.path.join(run_dir, "kafka.bootstrap")
    port, cport, pport = (harness.free_port() for _ in range(3))
    logs = {n: open(os.path.join(run_dir, n + ".log"), "w+")
            for n in ("collector", "processor")}
    col = subprocess.Popen(
        ["/usr/bin/bmpflow-collector", "--listen", "127.0.0.1:%d" % port,
         "--metrics", "127.0.0.1:%d" % cport, "--kafka-bootstrap-file", boot],
        stdout=logs["collector"], stderr=subprocess.STDOUT, **as_bmpflow())
    proc = None
    router = None
    try:
        deadline = time.time() + harness.slow(30)
        while not os.path.exists(boot) and time.time() < deadline:
            if col.poll() is not None:
                break
            time.sleep(0.1)
        if not os.path.exists(boot):
            ck.fail("installed collector wrote no bootstrap file")
            return
        proc = subprocess.Popen(
            ["/usr/bin/bmpflow-processor", "--plugin", "prefix_health",
             "--kafka-bootstrap-file", boot, "--metrics",
             "127.0.0.1:%d" % pport, "--tick-ms", "200"],
            stdout=logs["processor"], stderr=subprocess.STDOUT,
            **as_bmpflow())
        capture = open(os.path.join(data, "bmp",
                                    "cisco-xr7102-18peers-realtcp.bmp"),
                       "rb").read()
        # The session stays open so its peers stay up while we look.
        router = socket.create_connection(("127.0.0.1", port),
                                          timeout=harness.slow(30))
        router.sendall(capture)
        deadline = time.time() + harness.slow(90)
        while processor_out(pport) == 0 and time.time() < deadline:
            if proc.poll() is not None:
                break
            time.sleep(0.2)
        if processor_out(pport) == 0:
            ck.fail("installed processor emitted nothing in %d s" %
                    harness.slow(90))
            return
        tail = run(["/usr/bin/bmpflow-tail", "--kafka-bootstrap-file", boot,
                    "-t", "prefix_health", "--from-beginning", "--max", "1"],
                   timeout=60)
        try:
            rec = json.loads(tail.stdout.splitlines()[0])
            print("bmp.prefix_health record for %s" % rec.get("prefix"))
        except (IndexError, ValueError):
            ck.fail("installed bmpflow-tail read no prefix_health "
                    "record: %s %s" % (tail.stdout, tail.stderr))
    finally:
        if router is not None:
            router.close()
        if proc is not None:
            stop(proc, "installed processor", ck)
        stop(col, "installed collector", ck)
        if ck.failures:
            for n, f in logs.items():
                f.seek(0)
                print("--- %s log\n%s" % (n, f.read()[-3000:]))
        for f in logs.values():
            f.close()
        shutil.rmtree(run_dir, ignore_errors=True)


def verify_units(ck):
    """systemd-analyze verify needs no running systemd.  Its warnings (an
    unknown directive, a missing binary) go to stderr with status 0 at
    times, so any output counts as a failure."""
    for unit in ("bmpflow-collector.service",
                 "bmpflow-processor@prefix_health.service",
                 "bmpflow-processor@leak_detect.service",
                 "bmpflow-alert.service"):
        out = run(["systemd-analyze", "verify",
                   os.path.join(UNIT_DIR, unit)])
        if out.returncode != 0 or out.stdout.strip() or out.stderr.strip():
            ck.fail("systemd-analyze verify %s: status %d: %s%s" %
                    (unit, out.returncode, out.stdout, out.stderr))
        else:
            print("systemd-analyze verify %s: clean" % unit)


def refuses_tree_install(build, ck):
    """A normal build (tree paths) must refuse 'cmake --install'."""
    dest = tempfile.mkdtemp(prefix="bmpflow-install-")
    out = run(["cmake", "--install", build, "--prefix", dest], timeout=120)
    left = [os.path.join(d, f) for d, _, fs in os.walk(dest) for f in fs]
    shutil.rmtree(dest, ignore_errors=True)
    if out.returncode == 0 or "BMPFLOW_INSTALL_LAYOUT=ON" not in out.stderr:
        ck.fail("cmake --install of a tree-path build did not "
                "refuse: %s %s" % (out.stdout, out.stderr))
    if left:
        ck.fail("refused install still installed %s" % left)


def main():
    args = harness.test_args(base=("--source", "--scratch", "--build",
                                   "--data"))
    ck = harness.Checks()
    if os.geteuid() != 0:
        return ck.skip("installing a package needs root")
    refuses_tree_install(args.build, ck)
    out = run([os.path.join(args.source, "deploy", "build-deb.sh"),
               args.scratch], timeout=1200)
    debs = glob.glob(os.path.join(args.scratch, "bmpflow_*.deb"))
    if out.returncode != 0 or len(debs) != 1:
        print(out.stdout[-3000:], out.stderr[-3000:])
        ck.fail("build-deb.sh: status %d, %d packages" %
                (out.returncode, len(debs)))
        return ck.finish("deploy_package")
    try:
        if installed():
            run(APT + ["purge", PKG], timeout=APT_S)
        out = run(APT + ["install", os.path.abspath(debs[0])],
                  timeout=APT_S)
        if out.returncode != 0 or not installed():
            ck.fail("apt-get install %s: %s %s" %
                    (debs[0], out.stdout[-2000:], out.stderr[-2000:]))
        else:
            check_files(args.source, args.scratch, ck)
            check_debug_symbols(args.scratch, ck)
            flow(args.data, ck)
            verify_units(ck)
    finally:
        out = run(APT + ["purge", PKG], timeout=APT_S)
        if out.returncode != 0 or installed():
            ck.fail("apt-get purge: %s" % out.stderr)
    return ck.finish("deploy_package")


if __name__ == "__main__":
    sys.exit(main())
