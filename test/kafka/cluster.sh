#!/usr/bin/env bash
# cluster.sh - a local 3-node Apache Kafka cluster (KRaft, each node a combined
# broker+controller; or, for 3.x, ZooKeeper mode: three brokers and one
# ZooKeeper server) on 127.0.0.1 for the integration tests. No Docker: the
# broker jars come from Maven (fetch.sh) and run on the local Java; 3.x jars
# include ZooKeeper's server.
#
# usage: cluster.sh COMMAND
#   start         fetch jars, write configs, format storage (once), start all
#                 nodes and wait until all are registered and unfenced;
#                 if already running, says so and exits 0
#   stop          stop all nodes (SIGTERM, SIGKILL after a bound); keeps data
#   destroy       kill all nodes (SIGKILL), then delete the state dir
#   status        one line per node; exit 0 if all nodes run, 3 if not
#   stop-node N   clean shutdown (SIGTERM) of node N; waits until it is gone
#   kill-node N   SIGKILL node N; waits until it is gone
#   pause-node N  SIGSTOP node N: it keeps its sockets (connections are
#                 accepted, requests buffered) and answers nothing, like a
#                 hung JVM
#   resume-node N SIGCONT node N
#   start-node N  start node N on its existing data; waits until it accepts
#                 connections and is unfenced
#   bootstrap     print 127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3
#   bootstrap-mtls  secured mode only: the mutual-TLS listener's addresses
#   bootstrap-kerberos  secured mode with krb5.conf only: the GSSAPI listener's
#
# Environment (KAFKA_VERSION, KLE_KAFKA_MODE, KLE_KAFKA_PORT_BASE, KLE_KAFKA_RACKS,
# KLE_KAFKA_JVM_OPTS, KLE_KAFKA_SECURITY_DIR and KLE_KAFKA_EXTRA_CONFIG are read when the state dir is
# created and kept in STATE/cluster.env, so later commands need not repeat
# them):
#   KLE_KAFKA_DIR         state dir (default /tmp/kle-kafka)
#   KAFKA_VERSION         Kafka version (default 4.3.1; 3.9.x works too)
#   KLE_KAFKA_MODE        kraft (default) or zookeeper (Kafka 3.x only): the
#                         brokers register in a ZooKeeper server on port
#                         base+300, whose data and log are in STATE/zookeeper
#   KLE_KAFKA_PORT_BASE   broker port = base+id, controller port = base+100+id
#                         (default 29090)
#   KLE_KAFKA_RACKS       racks of nodes 1 2 3 (default "rack-a rack-b rack-b")
#   KLE_KAFKA_EXTRA_CONFIG  lines appended to every node's server.properties
#                         (for example offsets.retention.minutes=1)
#   KLE_KAFKA_JVM_OPTS    JVM options of each node (default: small heap, serial
#                         GC, C1 only)
#   KLE_KAFKA_START_TIMEOUT  seconds to wait for readiness (default 150; `start` and `start-node` restart a node that is not ready by then once and wait again)
#   KLE_KAFKA_STOP_TIMEOUT   seconds before SIGKILL on stop (default 20)
#   KLE_KAFKA_WATCH_PID   if set on start: a watchdog stops the cluster when
#                         that process is gone (KLE_KAFKA_WATCH_ACTION=destroy
#                         deletes the state dir as well)
#   KLE_CACHE_DIR         jar cache of fetch.sh
#   KLE_KAFKA_SECURITY_DIR  secured mode (empty: plaintext, the default). The
#                         dir holds what the caller generated: ca.pem (the CA
#                         clients and brokers trust), broker.pem (the brokers'
#                         unencrypted PKCS#8 key and certificate, CN=broker,
#                         SAN IP 127.0.0.1), jaas.properties (appended to each
#                         node's config: the listener.name.client.*.sasl.jaas.config
#                         lines, with the PLAIN users) and format.args (extra
#                         arguments of kafka-storage format, one per line, e.g.
#                         --add-scram SCRAM-SHA-512=[name=u,password=p]).
#                         Each node then has a SASL_SSL listener CLIENT on
#                         base+id (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512), an SSL
#                         listener MTLS requiring client certificates on
#                         base+200+id (also the inter-broker listener), and an
#                         SSL (mutual TLS) controller listener; certificate
#                         principals are their CN (User:broker); StandardAuthorizer
#                         with super.users=User:broker;User:admin and
#                         allow.everyone.if.no.acl.found=false.
#                         Optional files in the dir: client.mechanisms (the
#                         CLIENT listener's SASL mechanisms, one line, e.g.
#                         PLAIN,SCRAM-SHA-512,OAUTHBEARER; their settings go
#                         in jaas.properties), jvm.options (extra JVM options
#                         of every node, one line, e.g. system properties),
#                         and krb5.conf: with it each node also has a
#                         SASL_PLAINTEXT listener KERBEROS on base+300+id
#                         (GSSAPI, service name kafka, the JVM pointed at that
#                         krb5.conf; the listener's JAAS line with the
#                         broker's keytab goes in jaas.properties).
#
# Layout of the state dir: cluster.env, cluster.id, log4j config, and per node
# node-N/{server.properties,data/,server.log,kafka.pid}.
set -euo pipefail

src="${BASH_SOURCE[0]}"
[[ "$src" == */* ]] || src="./$src"
HERE="$(cd "${src%/*}" && pwd)"
SELF="$HERE/$(basename "$src")"

STATE="${KLE_KAFKA_DIR:-/tmp/kle-kafka}"
case "$STATE" in
/*) ;;
*) STATE="$PWD/$STATE" ;;
esac
NODES=(1 2 3)
START_TIMEOUT="${KLE_KAFKA_START_TIMEOUT:-150}"
STOP_TIMEOUT="${KLE_KAFKA_STOP_TIMEOUT:-20}"
DEFAULT_JVM_OPTS="-Xms128m -Xmx384m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -XX:ReservedCodeCacheSize=64m -Xss512k -XX:-UsePerfData -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true -Djava.net.preferIPv4Stack=true"

die() {
	echo "cluster.sh: $*" >&2
	exit 1
}

log() {
	echo "cluster.sh: $*" >&2
}

# load_settings fixes VERSION, PORT_BASE, RACKS, JVM_OPTS: from the state dir
# when it has them, else from the environment.
load_settings() {
	local env_version="${KAFKA_VERSION:-}"
	VERSION="" PORT_BASE="" RACKS="" JVM_OPTS="" SECURITY_DIR="" EXTRA_CONFIG="" MODE=""
	if [ -f "$STATE/cluster.env" ]; then
		# shellcheck source=/dev/null
		. "$STATE/cluster.env"
		if [ -n "$env_version" ] && [ "$env_version" != "$VERSION" ]; then
			die "state dir $STATE was created with Kafka $VERSION but KAFKA_VERSION=$env_version; run '$SELF destroy' first or unset KAFKA_VERSION"
		fi
	fi
	VERSION="${VERSION:-${env_version:-4.3.1}}"
	MODE="${MODE:-${KLE_KAFKA_MODE:-kraft}}"
	PORT_BASE="${PORT_BASE:-${KLE_KAFKA_PORT_BASE:-29090}}"
	RACKS="${RACKS:-${KLE_KAFKA_RACKS:-rack-a rack-b rack-b}}"
	JVM_OPTS="${KLE_KAFKA_JVM_OPTS:-${JVM_OPTS:-$DEFAULT_JVM_OPTS}}"
	if [ ! -f "$STATE/cluster.env" ]; then
		SECURITY_DIR="${KLE_KAFKA_SECURITY_DIR:-}"
		EXTRA_CONFIG="${KLE_KAFKA_EXTRA_CONFIG:-}"
	fi
	if [ -n "$SECURITY_DIR" ] && [ -f "$SECURITY_DIR/jvm.options" ]; then JVM_OPTS="$JVM_OPTS $(cat "$SECURITY_DIR/jvm.options")"; fi
	if [ -n "$SECURITY_DIR" ] && [ -f "$SECURITY_DIR/krb5.conf" ]; then JVM_OPTS="$JVM_OPTS -Djava.security.krb5.conf=$SECURITY_DIR/krb5.conf"; fi
	case "$PORT_BASE" in
	'' | *[!0-9]*) die "KLE_KAFKA_PORT_BASE must be a number, got '$PORT_BASE'" ;;
	esac
	local racks
	read -r -a racks <<<"$RACKS"
	[ "${#racks[@]}" -eq "${#NODES[@]}" ] || die "KLE_KAFKA_RACKS needs ${#NODES[@]} racks, got '$RACKS'"
	case "$VERSION" in
	4.*) MAJOR=4 ;;
	3.*) MAJOR=3 ;;
	*) die "unsupported Kafka version '$VERSION' (want 3.x or 4.x)" ;;
	esac
	case "$MODE" in
	kraft) ;;
	zookeeper)
		[ "$MAJOR" -eq 3 ] || die "KLE_KAFKA_MODE=zookeeper needs Kafka 3.x (4.0 removed ZooKeeper), got $VERSION"
		[ -z "$SECURITY_DIR" ] || die "KLE_KAFKA_MODE=zookeeper has no secured mode"
		;;
	*) die "KLE_KAFKA_MODE must be kraft or zookeeper, got '$MODE'" ;;
	esac
}

zk_port() { echo $((PORT_BASE + 300)); }
zk_dir() { echo "$STATE/zookeeper"; }

broker_port() { echo $((PORT_BASE + $1)); }
controller_port() { echo $((PORT_BASE + 100 + $1)); }
mtls_port() { echo $((PORT_BASE + 200 + $1)); }
kerberos_port() { echo $((PORT_BASE + 300 + $1)); }
# kerberos_enabled: secured mode with a krb5.conf (the KERBEROS listener).
kerberos_enabled() { [ -n "$SECURITY_DIR" ] && [ -f "$SECURITY_DIR/krb5.conf" ]; }
rack_of() {
	local racks
	read -r -a racks <<<"$RACKS"
	echo "${racks[$(($1 - 1))]}"
}
node_dir() { echo "$STATE/node-$1"; }

bootstrap() {
	local id out=""
	for id in "${NODES[@]}"; do
		out="${out:+$out,}127.0.0.1:$(broker_port "$id")"
	done
	echo "$out"
}

bootstrap_mtls() {
	[ -n "$SECURITY_DIR" ] || die "the cluster in $STATE is not in secured mode"
	local id out=""
	for id in "${NODES[@]}"; do
		out="${out:+$out,}127.0.0.1:$(mtls_port "$id")"
	done
	echo "$out"
}

bootstrap_kerberos() {
	kerberos_enabled || die "the cluster in $STATE has no Kerberos listener (secured mode with krb5.conf)"
	local id out=""
	for id in "${NODES[@]}"; do
		out="${out:+$out,}127.0.0.1:$(kerberos_port "$id")"
	done
	echo "$out"
}

# listener_config ID prints node ID's listener settings: plaintext, or the
# secured mode's (see KLE_KAFKA_SECURITY_DIR above).
listener_config() {
	local id="$1" bp cp mp
	bp="$(broker_port "$id")"
	cp="$(controller_port "$id")"
	if [ "$MODE" = zookeeper ]; then
		cat <<EOF
listeners=PLAINTEXT://127.0.0.1:$bp
advertised.listeners=PLAINTEXT://127.0.0.1:$bp
inter.broker.listener.name=PLAINTEXT
EOF
		return
	fi
	if [ -z "$SECURITY_DIR" ]; then
		cat <<EOF
listeners=PLAINTEXT://127.0.0.1:$bp,CONTROLLER://127.0.0.1:$cp
advertised.listeners=PLAINTEXT://127.0.0.1:$bp
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
EOF
		return
	fi
	mp="$(mtls_port "$id")"
	local mechanisms="PLAIN,SCRAM-SHA-256,SCRAM-SHA-512" krb="" krbmap=""
	if [ -f "$SECURITY_DIR/client.mechanisms" ]; then mechanisms="$(tr -d ' \n' <"$SECURITY_DIR/client.mechanisms")"; fi
	if kerberos_enabled; then
		krb=",KERBEROS://127.0.0.1:$(kerberos_port "$id")"
		krbmap=",KERBEROS:SASL_PLAINTEXT"
	fi
	cat <<EOF
listeners=CLIENT://127.0.0.1:$bp,MTLS://127.0.0.1:$mp,CONTROLLER://127.0.0.1:$cp$krb
advertised.listeners=CLIENT://127.0.0.1:$bp,MTLS://127.0.0.1:$mp$krb
listener.security.protocol.map=CLIENT:SASL_SSL,MTLS:SSL,CONTROLLER:SSL$krbmap
controller.listener.names=CONTROLLER
inter.broker.listener.name=MTLS
listener.name.client.sasl.enabled.mechanisms=$mechanisms
listener.name.client.ssl.client.auth=none
ssl.client.auth=required
ssl.keystore.type=PEM
ssl.keystore.location=$SECURITY_DIR/broker.pem
ssl.truststore.type=PEM
ssl.truststore.location=$SECURITY_DIR/ca.pem
ssl.principal.mapping.rules=RULE:^CN=(.*)\$/\$1/,DEFAULT
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:broker;User:admin
allow.everyone.if.no.acl.found=false
EOF
	if kerberos_enabled; then
		cat <<EOF
listener.name.kerberos.sasl.enabled.mechanisms=GSSAPI
sasl.kerberos.service.name=kafka
EOF
	fi
	cat "$SECURITY_DIR/jaas.properties"
}

# role_config ID VOTERS prints how node ID joins the cluster: a combined
# KRaft broker+controller, or a ZooKeeper-mode broker.
role_config() {
	if [ "$MODE" = zookeeper ]; then
		cat <<EOF
broker.id=$1
zookeeper.connect=127.0.0.1:$(zk_port)
zookeeper.session.timeout.ms=3000
zookeeper.connection.timeout.ms=10000
# A broker that leads a partition no other replica can take over stops
# after one short retry rather than three 5 s ones.
controlled.shutdown.max.retries=1
controlled.shutdown.retry.backoff.ms=500
EOF
		return
	fi
	cat <<EOF
process.roles=broker,controller
node.id=$1
controller.quorum.voters=$2
EOF
}

# zk_pid prints the pid of the ZooKeeper server if it runs.
zk_pid() {
	local pid
	pid="$(cat "$(zk_dir)/zk.pid" 2>/dev/null)" || return 1
	case "$pid" in '' | *[!0-9]*) return 1 ;; esac
	tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$(zk_dir)/zk.properties" || return 1
	echo "$pid"
}

# start_zk LIBS starts the ZooKeeper server (ZooKeeper mode) unless it runs,
# and waits until it accepts connections.
start_zk() {
	local libs="$1" dir i
	[ "$MODE" = zookeeper ] || return 0
	if zk_pid >/dev/null; then return 0; fi
	dir="$(zk_dir)"
	mkdir -p "$dir/data"
	cat >"$dir/zk.properties" <<EOF
# Written by test/kafka/cluster.sh.
dataDir=$dir/data
clientPort=$(zk_port)
clientPortAddress=127.0.0.1
tickTime=500
maxClientCnxns=0
admin.enableServer=false
EOF
	if port_open "$(zk_port)"; then die "ZooKeeper port $(zk_port) is already in use by another process"; fi
	# shellcheck disable=SC2086,SC2016 # JVM_OPTS is a list of options; $$ is the inner shell's.
	setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' launch "$dir/zk.pid" \
		java $JVM_OPTS "$(log_config_opt)" -cp "$libs/*" org.apache.zookeeper.server.quorum.QuorumPeerMain "$dir/zk.properties" \
		</dev/null >>"$dir/zookeeper.log" 2>&1 &
	for i in $(seq 1 300); do
		if port_open "$(zk_port)"; then return 0; fi
		if [ "$i" -gt 20 ] && ! zk_pid >/dev/null; then break; fi
		sleep 0.2
	done
	tail -n 30 "$dir/zookeeper.log" >&2 || true
	die "ZooKeeper did not start on port $(zk_port) (log: $dir/zookeeper.log)"
}

# stop_zk SIG stops the ZooKeeper server (after the brokers).
stop_zk() {
	local sig="$1" pid i
	pid="$(zk_pid)" || return 0
	kill "-$sig" "$pid" 2>/dev/null || true
	for i in $(seq 1 100); do
		zk_pid >/dev/null || return 0
		sleep 0.2
	done
	kill -KILL "$pid" 2>/dev/null || true
}

check_node_id() {
	case "${1:-}" in
	1 | 2 | 3) ;;
	*) die "node id must be one of ${NODES[*]}, got '${1:-}'" ;;
	esac
}

# node_pid ID prints the pid of node ID if it runs (a live, non-zombie java
# process started from this state dir), else nothing; returns 1 if not running.
node_pid() {
	local pidfile pid stat
	pidfile="$(node_dir "$1")/kafka.pid"
	[ -s "$pidfile" ] || return 1
	pid="$(cat "$pidfile" 2>/dev/null)" || return 1
	case "$pid" in '' | *[!0-9]*) return 1 ;; esac
	[ -r "/proc/$pid/cmdline" ] || return 1
	tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$(node_dir "$1")/server.properties" || return 1
	stat="$(cat "/proc/$pid/stat" 2>/dev/null)" || return 1
	stat="${stat##*) }"
	[ "${stat%% *}" != Z ] || return 1
	echo "$pid"
}

port_open() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

libs_dir() {
	local libs
	libs="$("$HERE/fetch.sh" "$VERSION")" || die "could not fetch the Kafka $VERSION jars (see above)"
	echo "$libs"
}

write_configs() {
	local id voters="" v bp cp dir f
	if [ -n "$SECURITY_DIR" ]; then
		for f in ca.pem broker.pem jaas.properties format.args; do
			[ -f "$SECURITY_DIR/$f" ] || die "secured mode: $SECURITY_DIR/$f is missing (see KLE_KAFKA_SECURITY_DIR in '$SELF help')"
		done
	fi
	for v in "${NODES[@]}"; do
		voters="${voters:+$voters,}$v@127.0.0.1:$(controller_port "$v")"
	done
	for id in "${NODES[@]}"; do
		bp="$(broker_port "$id")"
		cp="$(controller_port "$id")"
		dir="$(node_dir "$id")"
		mkdir -p "$dir/data"
		cat >"$dir/server.properties.tmp" <<EOF
# Written by test/kafka/cluster.sh on every start; edits are overwritten.
$(role_config "$id" "$voters")
$(listener_config "$id")
broker.rack=$(rack_of "$id")
log.dirs=$dir/data

# Small thread pools: three nodes share two cores.
num.network.threads=2
num.io.threads=2
background.threads=4
num.recovery.threads.per.data.dir=1
log.cleaner.threads=1
log.cleaner.dedupe.buffer.size=16777216

# Defaults the tests rely on.
auto.create.topics.enable=true
num.partitions=1
default.replication.factor=1
min.insync.replicas=1

# Internal topics: replicated, few partitions.
offsets.topic.replication.factor=3
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
transaction.state.log.num.partitions=3
group.initial.rebalance.delay.ms=0

# Fast failure detection: ISR shrinks within seconds, a SIGKILLed node is
# fenced within a few seconds.
replica.lag.time.max.ms=3000
broker.heartbeat.interval.ms=500
broker.session.timeout.ms=3000
unclean.leader.election.interval.ms=1000

# Fast retention: segments past retention are deleted within seconds.
log.initial.task.delay.ms=1000
log.retention.check.interval.ms=1000
log.segment.delete.delay.ms=1000
log.cleaner.backoff.ms=1000
EOF
		if [ "$MAJOR" -ge 4 ]; then
			cat >>"$dir/server.properties.tmp" <<EOF
share.coordinator.state.topic.num.partitions=3
EOF
		fi
		if [ -n "$EXTRA_CONFIG" ]; then
			printf '\n# KLE_KAFKA_EXTRA_CONFIG\n%s\n' "$EXTRA_CONFIG" >>"$dir/server.properties.tmp"
		fi
		mv "$dir/server.properties.tmp" "$dir/server.properties"
	done

	if [ "$MAJOR" -ge 4 ]; then
		cat >"$STATE/log4j2.properties" <<'EOF'
# Written by test/kafka/cluster.sh. Everything goes to stdout, which the
# script appends to node-N/server.log.
status = warn
appender.stdout.type = Console
appender.stdout.name = STDOUT
appender.stdout.layout.type = PatternLayout
appender.stdout.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.stdout.ref = STDOUT
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.config.name = org.apache.kafka.common.config.AbstractConfig
logger.config.level = WARN
logger.kafkaconfig.name = kafka.server.KafkaConfig
logger.kafkaconfig.level = WARN
EOF
	else
		cat >"$STATE/log4j.properties" <<'EOF'
# Written by test/kafka/cluster.sh. Everything goes to stdout, which the
# script appends to node-N/server.log.
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.org.apache.kafka.common.config.AbstractConfig=WARN
log4j.logger.kafka.server.KafkaConfig=WARN
EOF
	fi
}

# init_state creates the state dir and the cluster id on the first start.
init_state() {
	mkdir -p "$STATE" || die "cannot create state dir $STATE"
	if [ ! -f "$STATE/cluster.env" ]; then
		{
			printf 'VERSION=%q\n' "$VERSION"
			printf 'PORT_BASE=%q\n' "$PORT_BASE"
			printf 'RACKS=%q\n' "$RACKS"
			printf 'MODE=%q\n' "$MODE"
			if [ -n "${KLE_KAFKA_JVM_OPTS:-}" ]; then printf 'JVM_OPTS=%q\n' "$KLE_KAFKA_JVM_OPTS"; fi
			if [ -n "$SECURITY_DIR" ]; then printf 'SECURITY_DIR=%q\n' "$SECURITY_DIR"; fi
			if [ -n "$EXTRA_CONFIG" ]; then printf 'EXTRA_CONFIG=%q\n' "$EXTRA_CONFIG"; fi
		} >"$STATE/cluster.env"
	fi
	if [ ! -s "$STATE/cluster.id" ]; then
		# A Kafka cluster id is 16 random bytes in URL-safe base64 without
		# padding; like Kafka's own generator, avoid a leading '-', which the
		# storage tool would take for an option.
		local cid="-"
		while [[ "$cid" == -* ]]; do
			cid="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
		done
		echo "$cid" >"$STATE/cluster.id"
	fi
}

log_config_opt() {
	if [ "$MAJOR" -ge 4 ]; then
		echo "-Dlog4j2.configurationFile=$STATE/log4j2.properties"
	else
		echo "-Dlog4j.configuration=file:$STATE/log4j.properties"
	fi
}

# format_nodes LIBS formats the storage of every node that has none yet, all
# with the cluster's id, in parallel. A formatted node is never formatted again.
format_nodes() {
	local libs="$1" id dir cid failed="" pids=() ids=() extra=()
	[ "$MODE" = kraft ] || return 0 # ZooKeeper-mode brokers write their meta.properties themselves
	cid="$(cat "$STATE/cluster.id")"
	if [ -n "$SECURITY_DIR" ]; then mapfile -t extra <"$SECURITY_DIR/format.args"; fi
	for id in "${NODES[@]}"; do
		dir="$(node_dir "$id")"
		[ ! -f "$dir/data/meta.properties" ] || continue
		log "formatting node $id storage (cluster id $cid)"
		# shellcheck disable=SC2086 # JVM_OPTS is a list of options.
		java $JVM_OPTS "$(log_config_opt)" -cp "$libs/*" kafka.tools.StorageTool format \
			-t "$cid" -c "$dir/server.properties" ${extra[@]+"${extra[@]}"} >"$dir/format.log" 2>&1 &
		pids+=("$!")
		ids+=("$id")
	done
	for i in "${!pids[@]}"; do
		if ! wait "${pids[$i]}"; then
			id="${ids[$i]}"
			cat "$(node_dir "$id")/format.log" >&2
			failed="$failed $id"
		fi
	done
	[ -z "$failed" ] || die "formatting the storage of node(s)$failed failed (output above)"
}

# launch_node ID LIBS starts node ID in the background, in its own session so a
# Ctrl-C of the caller does not reach it, with its output appended to server.log.
launch_node() {
	local id="$1" libs="$2" dir pidfile i
	dir="$(node_dir "$id")"
	pidfile="$dir/kafka.pid"
	[ "$MODE" = zookeeper ] || [ -f "$dir/data/meta.properties" ] || die "node $id has no formatted storage in $dir/data; run '$SELF start' first"
	rm -f "$pidfile"
	echo "===== cluster.sh: starting node $id (Kafka $VERSION) at $(date '+%Y-%m-%d %H:%M:%S') =====" >>"$dir/server.log"
	# shellcheck disable=SC2086,SC2016 # JVM_OPTS is a list of options; $$ is the inner shell's.
	setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' launch "$pidfile" \
		java $JVM_OPTS "$(log_config_opt)" -Dkafka.logs.dir="$dir" \
		-cp "$libs/*" kafka.Kafka "$dir/server.properties" \
		</dev/null >>"$dir/server.log" 2>&1 &
	for i in $(seq 1 50); do
		[ -s "$pidfile" ] && return 0
		sleep 0.1
	done
	die "node $id did not write its pid file $pidfile"
}

# node_ready ID OFFSET: the node runs, accepts connections, and its log past
# byte OFFSET says it was unfenced and started.
node_ready() {
	local id="$1" offset="$2" dir
	dir="$(node_dir "$id")"
	node_pid "$id" >/dev/null || return 1
	port_open "$(broker_port "$id")" || return 1
	if [ "$MODE" = zookeeper ]; then
		tail -c +"$((offset + 1))" "$dir/server.log" | grep -q 'started (kafka.server.KafkaServer)' || return 1
		return 0
	fi
	tail -c +"$((offset + 1))" "$dir/server.log" | grep -q 'The broker has been unfenced' || return 1
	tail -c +"$((offset + 1))" "$dir/server.log" | grep -q 'Kafka Server started' || return 1
}

log_size() {
	local f
	f="$(node_dir "$1")/server.log"
	if [ -f "$f" ]; then wc -c <"$f" | tr -d ' '; else echo 0; fi
}

print_tails() {
	local id
	for id in "$@"; do
		echo "----- node $id: last 40 lines of $(node_dir "$id")/server.log -----" >&2
		tail -n 40 "$(node_dir "$id")/server.log" >&2 2>/dev/null || echo "(no log)" >&2
	done
}

# wait_ready "ID:OFFSET ..." waits until each listed node is ready; if one
# exits or time runs out it prints the logs' tails and returns 1.
wait_ready() {
	local deadline pending next item id offset
	deadline=$((SECONDS + START_TIMEOUT))
	pending="$*"
	while :; do
		next=""
		for item in $pending; do
			id="${item%%:*}"
			offset="${item#*:}"
			if ! node_pid "$id" >/dev/null; then
				print_tails "$id"
				log "node $id exited during startup (log: $(node_dir "$id")/server.log)"
				return 1
			fi
			node_ready "$id" "$offset" || next="$next $item"
		done
		pending="${next# }"
		[ -n "$pending" ] || return 0
		if [ "$SECONDS" -ge "$deadline" ]; then
			local late=""
			for item in $pending; do late="$late ${item%%:*}"; done
			LATE_NODES="${late# }"
			print_tails "${NODES[@]}"
			log "timed out after ${START_TIMEOUT}s waiting for node(s)$late to be ready"
			return 1
		fi
		sleep 0.5
	done
}

check_ports_free() {
	local id p
	local cport
	for id in "$@"; do
		cport="$(controller_port "$id")"
		[ "$MODE" = kraft ] || cport=""
		for p in "$(broker_port "$id")" ${cport:+"$cport"} ${SECURITY_DIR:+"$(mtls_port "$id")"} $(kerberos_enabled && kerberos_port "$id"); do
			if port_open "$p"; then
				die "port $p of node $id is already in use by another process (another cluster? set KLE_KAFKA_PORT_BASE or stop it)"
			fi
		done
	done
}

start_watchdog() {
	[ -n "${KLE_KAFKA_WATCH_PID:-}" ] || return 0
	local action="${KLE_KAFKA_WATCH_ACTION:-stop}"
	case "$action" in stop | destroy) ;; *) die "KLE_KAFKA_WATCH_ACTION must be stop or destroy" ;; esac
	stop_watchdog
	# shellcheck disable=SC2016 # expanded by the inner shell
	KLE_KAFKA_IN_WATCHDOG=1 KLE_KAFKA_DIR="$STATE" setsid bash -c '
		while kill -0 "$1" 2>/dev/null; do sleep 2; done
		exec "$2" "$3"' watchdog "$KLE_KAFKA_WATCH_PID" "$SELF" "$action" \
		</dev/null >>"$STATE/watchdog.log" 2>&1 &
	echo $! >"$STATE/watchdog.pid"
}

stop_watchdog() {
	[ -z "${KLE_KAFKA_IN_WATCHDOG:-}" ] || return 0
	local pid
	pid="$(cat "$STATE/watchdog.pid" 2>/dev/null)" || return 0
	rm -f "$STATE/watchdog.pid"
	case "$pid" in '' | *[!0-9]*) return 0 ;; esac
	if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "watchdog"; then
		kill "$pid" 2>/dev/null || true
	fi
}

cmd_start() {
	local libs id to_start=() waits=() running=()
	for id in "${NODES[@]}"; do
		if node_pid "$id" >/dev/null; then running+=("$id"); else to_start+=("$id"); fi
	done
	if [ "${#to_start[@]}" -eq 0 ]; then
		echo "cluster already running in $STATE (Kafka $VERSION, bootstrap $(bootstrap))"
		start_watchdog
		return 0
	fi
	command -v java >/dev/null 2>&1 || die "java is not installed or not on PATH"
	libs="$(libs_dir)"
	init_state
	write_configs
	format_nodes "$libs"
	start_zk "$libs"
	check_ports_free "${to_start[@]}"
	for id in "${to_start[@]}"; do
		waits+=("$id:$(log_size "$id")")
		launch_node "$id" "$libs"
	done
	start_watchdog
	log "started node(s) ${to_start[*]}${running[*]:+ (already running: ${running[*]})}; waiting up to ${START_TIMEOUT}s for readiness"
	local ready=0
	LATE_NODES=""
	if wait_ready "${waits[@]}"; then
		ready=1
	elif [ -n "$LATE_NODES" ]; then
		# Seen on a loaded 2-core machine after a whole-cluster restart: a
		# node runs but is never unfenced. Restarting it once has it join.
		local late=() retry=()
		read -r -a late <<<"$LATE_NODES"
		log "restarting node(s) ${late[*]} once: not ready in time"
		stop_nodes TERM "${late[@]}" >/dev/null
		for id in "${late[@]}"; do
			retry+=("$id:$(log_size "$id")")
			launch_node "$id" "$libs"
		done
		if wait_ready "${retry[@]}"; then ready=1; fi
	fi
	if [ "$ready" != 1 ]; then
		log "stopping the node(s) started by this call: ${to_start[*]}"
		stop_nodes TERM "${to_start[@]}" >/dev/null
		die "cluster in $STATE did not become ready"
	fi
	echo "cluster running in $STATE (Kafka $VERSION, bootstrap $(bootstrap))"
}

# stop_nodes SIGNAL ID...: signal the running nodes among ID... and wait until
# they are gone; after STOP_TIMEOUT seconds a SIGTERM is followed by SIGKILL.
stop_nodes() {
	local sig="$1" id pid deadline left
	shift
	local pids=()
	for id in "$@"; do
		if pid="$(node_pid "$id")"; then
			kill "-$sig" "$pid" 2>/dev/null || true
			# a paused node (pause-node) handles the signal only once resumed
			kill -CONT "$pid" 2>/dev/null || true
			pids+=("$id")
		fi
	done
	deadline=$((SECONDS + STOP_TIMEOUT))
	while :; do
		left=()
		for id in "${pids[@]}"; do
			node_pid "$id" >/dev/null && left+=("$id")
		done
		[ "${#left[@]}" -gt 0 ] || break
		if [ "$SECONDS" -ge "$deadline" ]; then
			log "node(s) ${left[*]} still running ${STOP_TIMEOUT}s after SIG$sig; sending SIGKILL"
			for id in "${left[@]}"; do
				if pid="$(node_pid "$id")"; then kill -KILL "$pid" 2>/dev/null || true; fi
			done
			sig=KILL
			deadline=$((SECONDS + 10))
		fi
		sleep 0.2
	done
	for id in "${pids[@]}"; do rm -f "$(node_dir "$id")/kafka.pid"; done
	echo "${pids[*]}"
}

cmd_stop() {
	local stopped
	stop_watchdog
	stopped="$(stop_nodes TERM "${NODES[@]}")"
	stop_zk TERM
	if [ -n "$stopped" ]; then
		echo "stopped node(s) $stopped"
	else
		echo "cluster not running"
	fi
}

cmd_destroy() {
	local killed
	stop_watchdog
	# The data is deleted anyway: no need for a clean shutdown.
	killed="$(stop_nodes KILL "${NODES[@]}")"
	stop_zk KILL
	[ -z "$killed" ] || echo "killed node(s) $killed"
	if [ -d "$STATE" ]; then
		# Refuse to delete a directory that is not ours.
		if [ -f "$STATE/cluster.env" ] || [ -d "$STATE/node-1" ] || [ -z "$(ls -A "$STATE")" ]; then
			rm -rf "$STATE"
			echo "deleted $STATE"
		else
			die "$STATE does not look like a cluster.sh state dir; not deleting it"
		fi
	fi
}

cmd_status() {
	local id pid down=0 p
	if [ ! -f "$STATE/cluster.env" ]; then
		echo "no cluster in $STATE"
		return 3
	fi
	echo "cluster in $STATE: Kafka $VERSION ($MODE), cluster id $(cat "$STATE/cluster.id" 2>/dev/null || echo '?'), bootstrap $(bootstrap)"
	for id in "${NODES[@]}"; do
		p="$(broker_port "$id")"
		if pid="$(node_pid "$id")"; then
			if port_open "$p"; then
				echo "node $id: running (pid $pid, port $p, controller port $(controller_port "$id"), rack $(rack_of "$id"))"
			else
				echo "node $id: starting (pid $pid, port $p not accepting yet, rack $(rack_of "$id"))"
				down=1
			fi
		else
			echo "node $id: stopped (port $p, rack $(rack_of "$id"))"
			down=1
		fi
	done
	[ "$down" -eq 0 ] || return 3
}

cmd_stop_node() {
	local id="$1" stopped
	check_node_id "$id"
	stopped="$(stop_nodes TERM "$id")"
	if [ -n "$stopped" ]; then echo "stopped node $id"; else echo "node $id not running"; fi
}

cmd_kill_node() {
	local id="$1" stopped
	check_node_id "$id"
	stopped="$(stop_nodes KILL "$id")"
	if [ -n "$stopped" ]; then echo "killed node $id"; else echo "node $id not running"; fi
}

# cmd_signal_node SIGNAL VERB ID: send SIGNAL to node ID's process.
cmd_signal_node() {
	local sig="$1" verb="$2" id="$3" pid
	check_node_id "$id"
	pid="$(node_pid "$id")" || die "node $id not running"
	kill "-$sig" "$pid"
	echo "$verb node $id (pid $pid)"
}

cmd_start_node() {
	local id="$1" libs offset
	check_node_id "$id"
	[ -f "$STATE/cluster.env" ] || die "no cluster in $STATE; run '$SELF start' first"
	if node_pid "$id" >/dev/null; then
		echo "node $id already running"
		return 0
	fi
	libs="$(libs_dir)"
	write_configs
	start_zk "$libs"
	check_ports_free "$id"
	offset="$(log_size "$id")"
	launch_node "$id" "$libs"
	if ! wait_ready "$id:$offset"; then
		# As in start: a node that runs but is never unfenced on a loaded
		# machine joins when restarted once.
		log "restarting node $id once: not ready in time"
		stop_nodes TERM "$id" >/dev/null
		offset="$(log_size "$id")"
		launch_node "$id" "$libs"
		if ! wait_ready "$id:$offset"; then
			stop_nodes TERM "$id" >/dev/null
			die "node $id did not become ready; stopped it again"
		fi
	fi
	echo "node $id running (port $(broker_port "$id"))"
}

usage() {
	sed -n '2,/^set -euo/p' "$SELF" | sed -e '$d' -e 's/^# \{0,1\}//' >&2
}

main() {
	local cmd="${1:-}"
	[ -n "$cmd" ] || {
		usage
		exit 2
	}
	shift
	case "$cmd" in
	-h | --help | help)
		usage
		exit 0
		;;
	esac
	load_settings
	case "$cmd" in
	start) cmd_start ;;
	stop) cmd_stop ;;
	destroy) cmd_destroy ;;
	status) cmd_status ;;
	stop-node) cmd_stop_node "${1:-}" ;;
	kill-node) cmd_kill_node "${1:-}" ;;
	pause-node) cmd_signal_node STOP paused "${1:-}" ;;
	resume-node) cmd_signal_node CONT resumed "${1:-}" ;;
	start-node) cmd_start_node "${1:-}" ;;
	bootstrap) bootstrap ;;
	bootstrap-mtls) bootstrap_mtls ;;
	bootstrap-kerberos) bootstrap_kerberos ;;
	*)
		usage
		die "unknown command '$cmd'"
		;;
	esac
}

main "$@"
