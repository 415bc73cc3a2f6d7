#!/usr/bin/env bash
# Main job: install what is missing, build, and run bmpflow-collector on its
# embedded Kafka, listening for routers on port 5000, metrics on :9100.
#   deploy/quickstart.sh [--demo] [bmpflow-collector options...]
# --demo also replays a real router capture into it once it is up and shows
# the first records with bmpflow-tail.  Stop with Ctrl-C (SIGINT): the
# collector drains what it read to Kafka and exits.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
demo=0
if [ "${1:-}" = "--demo" ]; then demo=1; shift; fi
"$root/deploy/install-deps.sh"
cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$root/build" -j"$(nproc)" --target bmpflow-collector bmpflow-tail bmpflow-decode
bin="$root/build/collector"
run="$root/build/run"
mkdir -p "$run"
rm -f "$run/kafka.bootstrap"
cat <<MSG
bmpflow: starting the collector.  Point routers at this host, TCP port 5000.
  records:  $bin/bmpflow-tail --kafka-bootstrap-file $run/kafka.bootstrap -t route -F
  kcat:     kcat -C -b \$(cat $run/kafka.bootstrap) -t bmp.route
  metrics:  curl -s http://127.0.0.1:9100/metrics
MSG
args=(--kafka-bootstrap-file "$run/kafka.bootstrap" --metrics 127.0.0.1:9100 "$@")
if [ "$demo" = 0 ]; then
	exec "$bin/bmpflow-collector" "${args[@]}"
fi
"$bin/bmpflow-collector" "${args[@]}" &
pid=$!
trap 'kill -INT $pid 2>/dev/null; wait $pid' EXIT
for _ in $(seq 100); do [ -s "$run/kafka.bootstrap" ] && break; sleep 0.1; done
capture="$root/../shared/data/bmp/multivendor-14routers.s23.bmp"
if [ -f "$capture" ]; then
	sleep 0.5
	cat "$capture" >/dev/tcp/127.0.0.1/5000
	sleep 1
	echo "bmpflow: first route records of the replayed capture:"
	"$bin/bmpflow-tail" --kafka-bootstrap-file "$run/kafka.bootstrap" -t route -f -n 3
fi
echo "bmpflow: collector running (pid $pid); Ctrl-C stops it"
wait $pid
