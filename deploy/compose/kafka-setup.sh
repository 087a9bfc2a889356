#!/usr/bin/env bash
# The demo scenario of deploy/docker-compose.yml (the same as
# deploy/demo/setup for `make demo`), with Kafka's own tools. Idempotent.
set -euo pipefail
bin=/opt/kafka/bin
bs="$BOOTSTRAP"
topic() { "$bin/kafka-topics.sh" --bootstrap-server "$bs" --create --if-not-exists "$@"; }
topic --topic orders --partitions 6 --replication-factor 3 --config min.insync.replicas=2
topic --topic clickstream-rf1 --partitions 3 --replication-factor 1
topic --topic legacy-unclean --partitions 3 --replication-factor 3 \
  --config min.insync.replicas=2 --config unclean.leader.election.enable=true
seq 1 600 | sed 's/^/order-/' | "$bin/kafka-console-producer.sh" --bootstrap-server "$bs" --topic orders --producer-property acks=all
# A consumer group that has read only the first 10 messages of each partition.
"$bin/kafka-consumer-groups.sh" --bootstrap-server "$bs" --group billing --topic orders \
  --reset-offsets --to-offset 10 --execute
echo "kafka-setup: topics orders, clickstream-rf1, legacy-unclean; group billing lags on orders"
