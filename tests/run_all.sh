#!/usr/bin/env bash
# Install what is missing, build, and run every test three ways: a release
# build, an ASan+UBSan build, and the libFuzzer target for a bounded time.
#   tests/run_all.sh            (FUZZ_SECONDS=60 by default)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc)
fuzz_seconds=${FUZZ_SECONDS:-60}
total_pass=0
total_fail=0

"$root/deploy/install-deps.sh" --test

# Run ctest in build dir $1; add its counts to the totals.
run_ctest() {
	local out rc=0
	out=$(cd "$1" && ctest --output-on-failure -j"$jobs" 2>&1) || rc=$?
	echo "$out"
	local line n failed
	line=$(echo "$out" | grep -E 'tests passed, [0-9]+ tests failed out of [0-9]+' | tail -1)
	n=$(echo "$line" | sed -E 's/.* out of ([0-9]+).*/\1/')
	failed=$(echo "$line" | sed -E 's/.*passed, ([0-9]+) tests failed.*/\1/')
	if [ -z "$line" ]; then n=1; failed=1; fi
	total_pass=$((total_pass + n - failed))
	total_fail=$((total_fail + failed))
	return $rc
}

status=0
echo "== release build"
cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$root/build" -j"$jobs"
run_ctest "$root/build" || status=1

echo "== ASan + UBSan build"
cmake -S "$root" -B "$root/build-asan" -DCMAKE_BUILD_TYPE=Debug -DBMPFLOW_SANITIZE=ON
cmake --build "$root/build-asan" -j"$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	run_ctest "$root/build-asan" || status=1

echo "== libFuzzer: BMP stream decoder, ${fuzz_seconds}s"
CC=clang cmake -S "$root" -B "$root/build-fuzz" -DCMAKE_BUILD_TYPE=Debug \
	-DBMPFLOW_FUZZ=ON -DBMPFLOW_SANITIZE=ON
cmake --build "$root/build-fuzz" -j"$jobs" --target fuzz_bmp_stream
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
seeds=("$root"/../shared/data/bmp)
if "$root/build-fuzz/tests/fuzz_bmp_stream" -max_total_time="$fuzz_seconds" \
	-max_len=65536 -rss_limit_mb=2048 -print_final_stats=1 \
	-artifact_prefix="$corpus/" "$corpus" "${seeds[@]}" >"$corpus/fuzz.log" 2>&1; then
	tail -n 3 "$corpus/fuzz.log"
	echo "fuzz_bmp_stream: no crash in ${fuzz_seconds}s"
	total_pass=$((total_pass + 1))
else
	tail -n 40 "$corpus/fuzz.log"
	echo "fuzz_bmp_stream: FAILED (crash input kept in $root/build-fuzz/)"
	cp "$corpus"/crash-* "$corpus"/leak-* "$corpus"/timeout-* "$root/build-fuzz/" 2>/dev/null || true
	total_fail=$((total_fail + 1))
	status=1
fi

echo "tests: $total_pass passed, $total_fail failed"
exit $status
