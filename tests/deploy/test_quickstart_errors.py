#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The README's first command when something is wrong: it says what, exits
non-zero, and never claims to be running (issue 10):
  - --demo without the router captures (BMPFLOW_DATA_DIR pointing at
    nothing): a message naming the missing capture, exit 1, before any
    install or build;
  - a port it needs (5000, 9100-9102) held by another program: a message
    naming the port, exit 1;
  - the collector refusing to start (an option it rejects): "the
    collector did not start", exit 1, nothing left running.

  test_quickstart_errors.py --source DIR --build DIR
"""

import os
import socket
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "e2e"))
import harness  # noqa: E402


def quickstart(args, extra_env, *flags):
    env = dict(os.environ, BMPFLOW_BUILD_DIR=args.build, **extra_env)
    p = subprocess.run(["bash", os.path.join(args.source, "deploy",
                                             "quickstart.sh")] + list(flags),
                       capture_output=True, text=True, env=env,
                       stdin=subprocess.DEVNULL,
                       timeout=harness.slow(600))
    return p.returncode, p.stdout + p.stderr


def expect(ck, what, rc, out, message):
    print("%s: exit %d, last lines:\n  %s" % (
        what, rc, "\n  ".join(out.strip().splitlines()[-3:])))
    ck.check(rc == 1 and message in out and "bmpflow: running" not in out,
             "%s: exit 1 saying '%s', never 'running'" % (what, message))


def main():
    args = harness.test_args(base=("--source", "--build"))
    ck = harness.Checks()
    rc, out = quickstart(args, {"BMPFLOW_DATA_DIR": "/nonexistent/data"},
                         "--demo")
    expect(ck, "--demo without captures", rc, out,
           "/nonexistent/data/bmp/multivendor-14routers.s23.bmp, which is "
           "not there")
    ck.check("install-deps" not in out, "it stops before installing or "
             "building")

    held = socket.socket()
    held.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    held.bind(("127.0.0.1", 9101))
    held.listen(1)
    try:
        rc, out = quickstart(args, {})
    finally:
        held.close()
    expect(ck, "port 9101 taken", rc, out, "TCP port 9101 on this host is "
           "in use")

    rc, out = quickstart(args, {}, "--max-sessions", "0")
    expect(ck, "collector refusing its options", rc, out,
           "the collector did not start")
    return ck.finish("quickstart errors")


if __name__ == "__main__":
    sys.exit(main())
