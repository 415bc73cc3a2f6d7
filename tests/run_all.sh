#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
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
cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBMPFLOW_BUILD_TESTS=ON
cmake --build "$root/build" -j"$jobs"
run_ctest "$root/build" || status=1

echo "== ASan + UBSan build"
cmake -S "$root" -B "$root/build-asan" -DCMAKE_BUILD_TYPE=Debug -DBMPFLOW_SANITIZE=ON -DBMPFLOW_BUILD_TESTS=ON
cmake --build "$root/build-asan" -j"$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	run_ctest "$root/build-asan" || status=1

CC=clang cmake -S "$root" -B "$root/build-fuzz" -DCMAKE_BUILD_TYPE=Debug \
	-DBMPFLOW_FUZZ=ON -DBMPFLOW_SANITIZE=ON
cmake --build "$root/build-fuzz" -j"$jobs" --target fuzz_bmp_stream fuzz_records_in
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT

# Run libFuzzer target $1 for $2 seconds over seed dirs $3...; count it.
run_fuzz() {
	local target=$1 secs=$2 work="$corpus/$1"
	shift 2
	echo "== libFuzzer: $target, ${secs}s"
	mkdir -p "$work"
	if "$root/build-fuzz/tests/$target" -max_total_time="$secs" \
		-max_len=65536 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$work/" "$work" "$@" >"$work/fuzz.log" 2>&1; then
		tail -n 3 "$work/fuzz.log"
		echo "$target: no crash in ${secs}s"
		total_pass=$((total_pass + 1))
	else
		tail -n 40 "$work/fuzz.log"
		echo "$target: FAILED (crash input kept in $root/build-fuzz/)"
		cp "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$root/build-fuzz/" 2>/dev/null || true
		total_fail=$((total_fail + 1))
		status=1
	fi
}
run_fuzz fuzz_bmp_stream "$fuzz_seconds" "$root"/../shared/data/bmp
run_fuzz fuzz_records_in $((fuzz_seconds / 2))

echo "tests: $total_pass passed, $total_fail failed"
exit $status
