#!/usr/bin/env bash
# Main job: install what is missing, build, and decode BMP streams.
#   deploy/quickstart.sh [FILE.bmp ...]
# With no FILE it decodes the shared real-router captures (../shared/data/bmp)
# when present, else a synthetic feed made by bmpflow-gen-fulltable.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/deploy/install-deps.sh"
cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$root/build" -j"$(nproc)" --target bmpflow-decode bmpflow-gen-fulltable
files=("$@")
if [ ${#files[@]} -eq 0 ]; then
	shopt -s nullglob
	files=("$root"/../shared/data/bmp/multivendor-14routers.s23.bmp)
	if [ ${#files[@]} -eq 0 ]; then
		feed=$(mktemp --suffix=.bmp)
		trap 'rm -f "$feed"' EXIT
		"$root/build/tests/bmpflow-gen-fulltable" --peers 2 --ipv4 2000 --ipv6 500 -o "$feed"
		files=("$feed")
	fi
fi
exec "$root/build/collector/bmpflow-decode" "${files[@]}"
