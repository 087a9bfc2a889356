#!/usr/bin/env bash
# Runs the real-Kafka test suites (test/...) against one shared 3-node KRaft
# cluster: starts it, runs the tests, and always stops it again.
set -euo pipefail
cd "$(dirname "$0")/.."

: "${KLE_KAFKA_DIR:=/tmp/kle-kafka-test}"
export KLE_KAFKA_DIR

started_here=0
if ! test/kafka/cluster.sh status >/dev/null 2>&1; then
  test/kafka/cluster.sh start
  started_here=1
fi
cleanup() {
  if [ "$started_here" = 1 ]; then
    test/kafka/cluster.sh destroy >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT

# test/security (its own secured cluster) first, so that it runs next to
# test/integration rather than after the packages queued on the shared
# cluster's lock.
# test/scale needs no Kafka: it runs with the unit tests (make unit).
# shellcheck disable=SC2046 # one argument per package
go test -race -count=1 -timeout 25m ${GOTESTFLAGS:-} ./test/security/ $(go list ./test/... | grep -v -e '/test/security$' -e '/test/scale$')
