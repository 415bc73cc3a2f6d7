#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Every source file of the repository (C, Python, shell, CMake, and the
package's maintainer scripts) names its licence in an SPDX line within its
first three lines, so a file copied out of the tree still says under what
terms (the full text is deploy/debian/copyright).  Prints each file that
lacks it and exits 1.

  check_licence.py SOURCE_DIR"""

import os
import sys

TAG = "SPDX-License-Identifier: Apache-2.0"
TREES = ("collector", "processors", "tests", "deploy", ".ci")
SUFFIXES = (".c", ".h", ".py", ".sh", ".cmake")
NAMES = ("CMakeLists.txt", "run", "postinst", "prerm", "postrm")


def source_files(root):
    """The files the check covers, as paths under root."""
    yield os.path.join(root, "CMakeLists.txt")
    for tree in TREES:
        for d, dirs, files in os.walk(os.path.join(root, tree)):
            dirs[:] = [x for x in dirs if x != "__pycache__"]
            for f in sorted(files):
                if f.endswith(SUFFIXES) or f in NAMES:
                    yield os.path.join(d, f)


def has_spdx(text):
    return any(TAG in line for line in text.splitlines()[:3])


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    missing = [p for p in source_files(root)
               if not has_spdx(open(p, errors="replace").read())]
    for p in missing:
        print("%s: no '%s' line in its first three lines" % (
            os.path.relpath(p, root), TAG))
    print("%d files lack the SPDX line" % len(missing))
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
