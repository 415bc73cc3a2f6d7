#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# gen_smoke.sh GEN DECODE: smoke test of bmpflow-gen-fulltable against
# bmpflow-decode (ctest gen_fulltable_smoke).
#
#   tests/bench/gen_smoke.sh build/tests/bmpflow-gen-fulltable \
#       build/collector/bmpflow-decode
#
# Generates a small feed with withdrawals and checks that
#  - the generator's "generated:" counts equal the decoder's summary
#    (messages, updates, announced, withdrawn, end-of-rib) and the file size;
#  - the decoder exits 0 with 0 errors, no RFC 7606 outcome and no other
#    line on standard error, and sees one Peer Up and Peer Down per peer;
#  - the same seed gives byte-identical output, another seed different output.
# Exits 1 on the first mismatch, naming it.
set -euo pipefail

if [ $# -ne 2 ]; then
	echo "usage: $0 GEN DECODE" >&2
	exit 2
fi
gen=$1
decode=$2
peers=3
args=(--peers "$peers" --ipv4 20000 --ipv6 5000 --withdraw-pct 10)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/gen_smoke.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

fail() {
	echo "gen_smoke: FAIL: $*" >&2
	exit 1
}

# value KEY LINE: the number after "KEY=" in LINE
value() {
	sed -n "s/.*[ :]$1=\([0-9][0-9]*\).*/\1/p" <<<"$2"
}

"$gen" "${args[@]}" --seed 7 -o "$tmp/a.bmp" 2>"$tmp/a.gen" ||
	fail "generator exited $? ($(cat "$tmp/a.gen"))"
gen_line=$(grep '^generated: ' "$tmp/a.gen" | tail -n 1) ||
	fail "no 'generated:' line from the generator: $(cat "$tmp/a.gen")"
echo "$gen_line"

rc=0
"$decode" -q "$tmp/a.bmp" >"$tmp/a.out" 2>"$tmp/a.dec" || rc=$?
summary=$(grep -F "$tmp/a.bmp: " "$tmp/a.dec" | tail -n 1) || true
echo "${summary#"$tmp/"}"
[ "$rc" -eq 0 ] || fail "decoder exited $rc: $(cat "$tmp/a.dec")"
[ -n "$summary" ] || fail "no summary from the decoder: $(cat "$tmp/a.dec")"
lines=$(wc -l <"$tmp/a.dec")
[ "$lines" -eq 1 ] || fail "decoder printed $lines lines on stderr, not" \
	"only its summary: $(head -n 5 "$tmp/a.dec")"
[ ! -s "$tmp/a.out" ] || fail "decoder -q printed on stdout"

re='^.*: ([0-9]+) messages \((.*)\), ([0-9]+) updates, ([0-9]+) prefixes announced, ([0-9]+) withdrawn, ([0-9]+) end-of-rib, ([0-9]+) treat-as-withdraw, ([0-9]+) attribute-discard, ([0-9]+) errors$'
[[ $summary =~ $re ]] || fail "cannot parse decoder summary: $summary"
d_messages=${BASH_REMATCH[1]}
d_types=${BASH_REMATCH[2]}
d_updates=${BASH_REMATCH[3]}
d_announced=${BASH_REMATCH[4]}
d_withdrawn=${BASH_REMATCH[5]}
d_eor=${BASH_REMATCH[6]}
d_taw=${BASH_REMATCH[7]}
d_discard=${BASH_REMATCH[8]}
d_errors=${BASH_REMATCH[9]}

check() {	# check NAME GENERATED DECODED
	[ -n "$2" ] || fail "generator line lacks $1: $gen_line"
	[ "$2" = "$3" ] || fail "$1: generator says $2, decoder says $3"
}
check messages "$(value messages "$gen_line")" "$d_messages"
check updates "$(value updates "$gen_line")" "$d_updates"
check announced "$(value announced "$gen_line")" "$d_announced"
check withdrawn "$(value withdrawn "$gen_line")" "$d_withdrawn"
check end-of-rib "$(value eor "$gen_line")" "$d_eor"
check bytes "$(value bytes "$gen_line")" "$(wc -c <"$tmp/a.bmp" | tr -d ' ')"
check errors 0 "$d_errors"
check treat-as-withdraw 0 "$d_taw"
check attribute-discard 0 "$d_discard"
check "route monitoring messages" "$d_updates" \
	"$(sed -n 's/.*route_monitoring \([0-9]*\).*/\1/p' <<<"$d_types")"
check "peer up messages" "$peers" \
	"$(sed -n 's/.*peer_up \([0-9]*\).*/\1/p' <<<"$d_types")"
check "peer down messages" "$peers" \
	"$(sed -n 's/.*peer_down \([0-9]*\).*/\1/p' <<<"$d_types")"
check "end-of-rib per peer and family" $((2 * peers)) "$d_eor"
check "announced per peer" $((peers * 25000)) "$d_announced"
check "withdrawn per peer" $((peers * 2500)) "$d_withdrawn"

"$gen" "${args[@]}" --seed 7 -o "$tmp/b.bmp" 2>/dev/null ||
	fail "generator exited $? on the second run"
cmp -s "$tmp/a.bmp" "$tmp/b.bmp" ||
	fail "same seed, different output: $(cmp "$tmp/a.bmp" "$tmp/b.bmp" || true)"
"$gen" "${args[@]}" --seed 8 -o "$tmp/c.bmp" 2>/dev/null ||
	fail "generator exited $? with seed 8"
if cmp -s "$tmp/a.bmp" "$tmp/c.bmp"; then
	fail "seeds 7 and 8 gave identical output"
fi

echo "gen_smoke: OK"
