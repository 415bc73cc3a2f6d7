#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Build the Debian package: a release build that looks for schemas and
# plugins where the package puts them, then cpack.  CI (the deploy_package
# test) and deploy/Dockerfile both run exactly this.
#   deploy/build-deb.sh BUILD_DIR      the .deb lands in BUILD_DIR
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:?usage: build-deb.sh BUILD_DIR}
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	-DCMAKE_INSTALL_PREFIX=/usr -DBMPFLOW_INSTALL_LAYOUT=ON \
	-DBMPFLOW_BUILD_TESTS=OFF
cmake --build "$build" -j"$(nproc)"
(cd "$build" && cpack -G DEB)
ls "$build"/bmpflow_*.deb
