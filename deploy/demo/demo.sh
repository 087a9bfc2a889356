#!/usr/bin/env bash
# `make demo`: a local real 3-node Kafka (test/kafka), a demo scenario
# (deploy/demo/setup: an RF 1 topic, a topic with unclean leader election
# enabled, a lagging consumer group), the exporter on it with the canary on,
# and, when installed, a real Prometheus with the rules of alerts/ and an
# Alertmanager. Ctrl-C stops everything.
# `deploy/demo/demo.sh down` (make demo-down) removes whatever a killed demo
# left behind.
#
# Environment (defaults in brackets):
#   KLE_KAFKA_DIR              state dir of the cluster and the demo [/tmp/kle-kafka-demo]
#   KLE_KAFKA_PORT_BASE        Kafka ports base+1..3, controllers base+101..103 [49090]
#   DEMO_LISTEN                exporter [127.0.0.1:9785]
#   DEMO_PROMETHEUS_LISTEN     Prometheus [127.0.0.1:9090]
#   DEMO_ALERTMANAGER_LISTEN   Alertmanager [127.0.0.1:9093]
#   DEMO_PROMETHEUS=0          do not start Prometheus and Alertmanager
set -euo pipefail
cd "$(dirname "$0")/../.."
repo="$PWD"

export KLE_KAFKA_DIR="${KLE_KAFKA_DIR:-/tmp/kle-kafka-demo}"
export KLE_KAFKA_PORT_BASE="${KLE_KAFKA_PORT_BASE:-49090}"
listen="${DEMO_LISTEN:-127.0.0.1:9785}"
prom_listen="${DEMO_PROMETHEUS_LISTEN:-127.0.0.1:9090}"
am_listen="${DEMO_ALERTMANAGER_LISTEN:-127.0.0.1:9093}"
# The demo's own files live next to the cluster's state dir (cluster.sh
# destroy deletes that one).
run="$KLE_KAFKA_DIR.run"

# stop_pid NAME stops the process whose pid is in $run/NAME.pid if it is
# still the one the demo started (its command line names the demo's dir).
stop_pid() {
	local pidfile="$run/$1.pid" pid cmdline _
	[ -f "$pidfile" ] || return 0
	pid="$(cat "$pidfile" 2>/dev/null || true)"
	rm -f "$pidfile"
	case "$pid" in '' | *[!0-9]*) return 0 ;; esac
	cmdline="$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" || true)"
	[[ "$cmdline" == *"$run"* ]] || return 0
	kill "$pid" 2>/dev/null || return 0
	for _ in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null || true
}

down() {
	stop_pid exporter
	stop_pid prometheus
	stop_pid alertmanager
	test/kafka/cluster.sh destroy >/dev/null 2>&1 || true
	rm -rf "$run"
}

if [ "${1:-}" = "down" ]; then
	down
	echo "demo: stopped and cleaned up $KLE_KAFKA_DIR"
	exit 0
fi

for tool in go java mvn curl; do
	command -v "$tool" >/dev/null 2>&1 || {
		echo "demo: $tool is required but not installed (Debian: apt-get install golang openjdk-17-jdk-headless maven curl)" >&2
		exit 1
	}
done

# port_busy HOST:PORT is true when something listens there.
port_busy() { (exec 3<>"/dev/tcp/${1%:*}/${1##*:}") 2>/dev/null; }

# wait_http URL SECONDS waits until URL answers 200.
wait_http() {
	local _
	for _ in $(seq 1 $(($2 * 5))); do
		if curl -fsS -o /dev/null --max-time 2 "$1" 2>/dev/null; then return 0; fi
		sleep 0.2
	done
	return 1
}

prometheus_bin="$(command -v prometheus || true)"
alertmanager_bin="$(command -v alertmanager || command -v prometheus-alertmanager || true)"
if [ "${DEMO_PROMETHEUS:-1}" = 0 ]; then prometheus_bin="" alertmanager_bin=""; fi
[ -n "$prometheus_bin" ] || alertmanager_bin=""

busy=()
for addr in "$listen" ${prometheus_bin:+"$prom_listen"} ${alertmanager_bin:+"$am_listen"}; do
	if port_busy "$addr"; then busy+=("$addr"); fi
done
if [ "${#busy[@]}" -gt 0 ]; then
	echo "demo: ${busy[*]} already in use (another demo? run 'make demo-down', or set DEMO_LISTEN, DEMO_PROMETHEUS_LISTEN, DEMO_ALERTMANAGER_LISTEN)" >&2
	exit 1
fi

trap 'echo; echo "demo: stopping"; down' EXIT
trap 'exit 130' INT TERM

echo "demo: starting a 3-node Kafka in $KLE_KAFKA_DIR (first run fetches the Kafka jars with Maven)"
# If this script is killed without its traps running, a watchdog of
# cluster.sh still destroys the cluster.
KLE_KAFKA_WATCH_PID=$$ KLE_KAFKA_WATCH_ACTION=destroy test/kafka/cluster.sh start
bootstrap="$(test/kafka/cluster.sh bootstrap)"
mkdir -p "$run"

echo "demo: creating the scenario"
go run ./deploy/demo/setup --bootstrap "$bootstrap"

echo "demo: building the exporter"
make -s build BINARY="$run/kafka-loss-exporter"
args=(--web.listen-address="$listen" --poll.interval=5s --config.poll.interval=30s)
IFS=, read -ra servers <<<"$bootstrap"
for s in "${servers[@]}"; do args+=(--kafka.server="$s"); done
# The canary produces to and consumes from its own topic and counts lost
# messages end to end.
args+=(--canary.enable --canary.interval=1s)
"$run/kafka-loss-exporter" "${args[@]}" >"$run/exporter.log" 2>&1 &
echo $! >"$run/exporter.pid"

prom_msg="    Prometheus:   not installed; Debian: apt-get install prometheus prometheus-alertmanager"
if [ -n "$prometheus_bin" ]; then
	mkdir -p "$run/prometheus-data"
	{
		echo "# Written by deploy/demo/demo.sh."
		echo "global: {scrape_interval: 5s, evaluation_interval: 5s}"
		echo "rule_files: ['$repo/alerts/*.yml']"
		if [ -n "$alertmanager_bin" ]; then
			echo "alerting: {alertmanagers: [{static_configs: [{targets: ['$am_listen']}]}]}"
		fi
		echo "scrape_configs:"
		echo "  - job_name: kafka-loss-exporter"
		echo "    static_configs: [{targets: ['$listen'], labels: {cluster: demo}}]"
	} >"$run/prometheus.yml"
	"$prometheus_bin" --config.file="$run/prometheus.yml" --storage.tsdb.path="$run/prometheus-data" \
		--web.listen-address="$prom_listen" --storage.tsdb.retention.time=1d >"$run/prometheus.log" 2>&1 &
	echo $! >"$run/prometheus.pid"
	prom_msg="    Prometheus:   http://$prom_listen/alerts   (the rules of alerts/; loss-risk alerts go pending, then fire after their for:)"
	if [ -n "$alertmanager_bin" ]; then
		"$alertmanager_bin" --config.file="$repo/deploy/demo/alertmanager.yml" --storage.path="$run/alertmanager-data" \
			--web.listen-address="$am_listen" --cluster.listen-address= >"$run/alertmanager.log" 2>&1 &
		echo $! >"$run/alertmanager.pid"
		prom_msg="$prom_msg
    Alertmanager: http://$am_listen/"
	else
		prom_msg="$prom_msg
    Alertmanager: not installed; Debian: apt-get install prometheus-alertmanager"
	fi
fi

# ready NAME URL waits for a component, showing its log if it fails.
ready() {
	if ! wait_http "$2" 60; then
		echo "demo: $1 did not get ready within 60s; its log:" >&2
		tail -20 "$run/$1.log" >&2
		exit 1
	fi
}
ready exporter "http://$listen/ready"
[ -z "$prometheus_bin" ] || ready prometheus "http://$prom_listen/-/ready"
[ -z "$alertmanager_bin" ] || ready alertmanager "http://$am_listen/-/ready"

cat <<MSG

  kafka-loss-exporter is running on a local real 3-node Kafka (canary on).
    metrics:      http://$listen/metrics
    landing:      http://$listen/
$prom_msg
    bootstrap:    $bootstrap
    logs:         $run/*.log
  The scenario: topic clickstream-rf1 has replication factor 1, legacy-unclean allows unclean leader
  election (both in kafka_topic_loss_risk), consumer group billing lags on orders (kafka_consumergroup_lag).
  Try: KLE_KAFKA_DIR=$KLE_KAFKA_DIR test/kafka/cluster.sh stop-node 3   (kafka_broker_up, kafka_topic_under_replicated_partitions)
       KLE_KAFKA_DIR=$KLE_KAFKA_DIR test/kafka/cluster.sh start-node 3
  Ctrl-C stops everything.

MSG
# Stop when the exporter stops, or on Ctrl-C.
wait "$(cat "$run/exporter.pid")"
