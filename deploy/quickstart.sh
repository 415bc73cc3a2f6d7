#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Main job: install what is missing, build, and run bmpflow-collector on its
# embedded Kafka (routers connect to TCP port 5000, metrics on :9100) with
# the prefix-health and leak-detection processors attached (metrics on :9101
# and :9102).
#   deploy/quickstart.sh [--demo] [bmpflow-collector options...]
# BMPFLOW_BUILD_DIR: the build directory [build/ here].  BMPFLOW_DATA_DIR:
# the router captures for --demo [../shared/data beside the repository].
# --demo also replays a real router capture into it once it is up and shows
# the first records with bmpflow-tail.  Stop with Ctrl-C: the collector
# delivers what it read to Kafka, the processors commit, all exit.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
demo=0
if [ "${1:-}" = "--demo" ]; then demo=1; shift; fi
fail() {
	echo "bmpflow: $*" >&2
	exit 1
}
capture="${BMPFLOW_DATA_DIR:-$root/../shared/data}/bmp/multivendor-14routers.s23.bmp"
if [ "$demo" = 1 ] && [ ! -f "$capture" ]; then
	fail "--demo replays a real router capture, $capture, which is not" \
		"there: put the shared data beside the repository (or set" \
		"BMPFLOW_DATA_DIR), or start without --demo"
fi
# A port another program holds would stop the collector or a processor.
for port in 5000 9100 9101 9102; do
	if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
		fail "TCP port $port on this host is in use (routers connect" \
			"to 5000, metrics on 9100-9102): stop what holds it" \
			"(ss -ltnp 'sport = :$port' names it)"
	fi
done
"$root/deploy/install-deps.sh"
build=${BMPFLOW_BUILD_DIR:-$root/build}
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)" --target bmpflow-collector \
	bmpflow-tail bmpflow-decode bmpflow-processor prefix_health leak_detect
bin="$build/collector"
run="$build/run"
mkdir -p "$run"
rm -f "$run/kafka.bootstrap"
cat <<MSG
bmpflow: starting the collector and the prefix-health and leak-detection processors.
Point routers at this host, TCP port 5000.
  routes:   $bin/bmpflow-tail --kafka-bootstrap-file $run/kafka.bootstrap -t route -f
  health:   $bin/bmpflow-tail --kafka-bootstrap-file $run/kafka.bootstrap -t prefix_health -f
  alerts:   $bin/bmpflow-tail --kafka-bootstrap-file $run/kafka.bootstrap -t alert -f
  kcat:     kcat -C -b \$(cat $run/kafka.bootstrap) -t bmp.route
  metrics:  curl -s http://127.0.0.1:9100/metrics (collector), :9101 and :9102 (processors)
leak_detect runs its OTC and peer-lock checks; give it your AS relationships, monitored
prefixes and ROAs as in processors/leak_detect/README.md for the other detections.
MSG
# Own sessions (setsid): Ctrl-C reaches this script only, which stops the
# processors first (they commit), then the collector (its Kafka goes with it).
setsid "$bin/bmpflow-collector" --kafka-bootstrap-file "$run/kafka.bootstrap" \
	--metrics 127.0.0.1:9100 "$@" &
collector=$!
processors=()
stop() {
	trap - EXIT INT TERM
	for p in "${processors[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${processors[@]}"; do wait "$p" 2>/dev/null || true; done
	kill -INT "$collector" 2>/dev/null && wait "$collector" || true
}
trap stop EXIT
trap 'exit 130' INT TERM
# The collector writes the bootstrap file once its Kafka and listeners are
# up; if it exits instead, its error is on the terminal above.
for _ in $(seq 300); do
	[ -s "$run/kafka.bootstrap" ] && break
	kill -0 "$collector" 2>/dev/null || break
	sleep 0.1
done
if ! kill -0 "$collector" 2>/dev/null || [ ! -s "$run/kafka.bootstrap" ]; then
	fail "the collector did not start (its error is above)"
fi
port=9101
for plugin in prefix_health leak_detect; do
	setsid "$build/processors/host/bmpflow-processor" --plugin "$plugin" \
		--kafka-bootstrap-file "$run/kafka.bootstrap" \
		--metrics 127.0.0.1:$port &
	processors+=($!)
	port=$((port + 1))
done
sleep 1
kill -0 "$collector" 2>/dev/null ||
	fail "the collector exited (its error is above)"
for p in "${processors[@]}"; do
	kill -0 "$p" 2>/dev/null ||
		fail "a processor did not start (its error is above)"
done
if [ "$demo" = 1 ]; then
	# Keep the demo router's session open for a while: its peers stay up.
	(cat "$capture"; sleep 30) >/dev/tcp/127.0.0.1/5000 &
	sleep 8	# the processor joins its consumer group, then ticks
	echo "bmpflow: first route and prefix-health records of the replayed capture:"
	"$bin/bmpflow-tail" --kafka-bootstrap-file "$run/kafka.bootstrap" -t route --from-beginning -n 2
	"$bin/bmpflow-tail" --kafka-bootstrap-file "$run/kafka.bootstrap" -t prefix_health --from-beginning -n 2
	# Once prefix_health has read everything and its sessions' warm-ups
	# are over (at most 20 s): prefixes by state.
	python3 - <<'PY'
import re, time, urllib.request
def metrics():
    try:
        t = urllib.request.urlopen("http://127.0.0.1:9101/metrics", timeout=2).read().decode()
    except OSError:
        return {}
    return {m.group(1): float(m.group(2)) for m in
            re.finditer(r'^(\S+) (\S+)$', t, re.M)}
m, deadline = {}, time.time() + 20
while time.time() < deadline:
    m = metrics()
    if m.get("bmpflow_processor_records_in_total", 0) > 0 and \
            m.get("bmpflow_processor_lag_records", 1) == 0 and \
            m.get("bmpflow_prefix_health_peers_warming", 1) == 0:
        time.sleep(2)	# a tick evaluates what the warm-up held back
        m = metrics()
        break
    time.sleep(0.5)
n = {s: int(m.get('bmpflow_prefix_health_prefixes{state="%s"}' % s, 0))
     for s in ("healthy", "degraded", "unreachable")}
print("bmpflow: prefix_health: %d prefixes: %d healthy, %d degraded, "
      "%d unreachable (BGP sessions seen: %d)" % (sum(n.values()), n["healthy"],
      n["degraded"], n["unreachable"], m.get("bmpflow_processor_sessions", 0)))
PY
fi
echo "bmpflow: running (collector pid $collector, processor pids ${processors[*]}); Ctrl-C stops them"
wait "$collector"
