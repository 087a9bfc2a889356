#!/usr/bin/env bash
# `make demo`: a local real 3-node Kafka (test/kafka), a demo scenario
# (deploy/demo/setup) and the exporter on it. Ctrl-C stops everything.
# `deploy/demo/demo.sh down` removes whatever a killed demo left behind.
set -euo pipefail
cd "$(dirname "$0")/../.."

export KLE_KAFKA_DIR="${KLE_KAFKA_DIR:-/tmp/kle-kafka-demo}"
export KLE_KAFKA_PORT_BASE="${KLE_KAFKA_PORT_BASE:-49090}"
listen="${DEMO_LISTEN:-127.0.0.1:9785}"
pidfile="$KLE_KAFKA_DIR/exporter.pid"

down() {
  if [ -f "$pidfile" ]; then
    kill "$(cat "$pidfile")" 2>/dev/null || true
    rm -f "$pidfile"
  fi
  test/kafka/cluster.sh destroy >/dev/null 2>&1 || true
}

if [ "${1:-}" = "down" ]; then
  down
  echo "demo: stopped and cleaned up $KLE_KAFKA_DIR"
  exit 0
fi

for tool in go java mvn; do
  command -v "$tool" >/dev/null 2>&1 || { echo "demo: $tool is required but not installed" >&2; exit 1; }
done

trap 'echo; echo "demo: stopping"; down' EXIT
trap 'exit 130' INT TERM

echo "demo: starting a 3-node Kafka (first run fetches the Kafka jars with Maven)"
test/kafka/cluster.sh start
bootstrap="$(test/kafka/cluster.sh bootstrap)"

echo "demo: creating the scenario"
go run ./deploy/demo/setup --bootstrap "$bootstrap"

echo "demo: building the exporter"
make -s build
args=(--web.listen-address="$listen" --poll.interval=5s)
IFS=, read -ra servers <<<"$bootstrap"
for s in "${servers[@]}"; do args+=(--kafka.server="$s"); done
./kafka-loss-exporter "${args[@]}" &
echo $! >"$pidfile"

cat <<MSG

  kafka-loss-exporter is running on a local real Kafka.
    metrics:    http://$listen/metrics
    landing:    http://$listen/
    bootstrap:  $bootstrap
  Try: KLE_KAFKA_DIR=$KLE_KAFKA_DIR test/kafka/cluster.sh stop-node 3   (then watch kafka_topic_partition_under_replicated_partition)
       KLE_KAFKA_DIR=$KLE_KAFKA_DIR test/kafka/cluster.sh start-node 3
  Ctrl-C stops the exporter and the cluster.

MSG
wait "$(cat "$pidfile")"
