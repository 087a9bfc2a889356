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

# The version matrix (test/matrix: Kafka 4.4.0, 3.9 KRaft, 3.9 ZooKeeper,
# each on a cluster of its own, one after the other) runs in the background
# next to everything else; KLE_MATRIX=none leaves it out (make soak).
matrix_pid=""
matrix_log="$(mktemp -t kle-matrix.XXXXXX)"
if [ "${KLE_MATRIX:-}" != none ]; then
  go test -race -count=1 -timeout 40m -v ./test/matrix/ >"$matrix_log" 2>&1 &
  matrix_pid=$!
fi

# test/security (its own secured cluster) first, so that it runs next to
# test/integration rather than after the packages queued on the shared
# cluster's lock.
rc=0
# test/scale needs no Kafka: it runs with the unit tests (make unit).
# shellcheck disable=SC2046,SC2086 # one argument per package; GOTESTFLAGS is a list
go test -race -count=1 -timeout 40m ${GOTESTFLAGS:-} ./test/security/ $(go list ./test/... | grep -v -e '/test/security$' -e '/test/scale$' -e '/test/matrix$') || rc=$?

if [ -n "$matrix_pid" ]; then
  mrc=0
  wait "$matrix_pid" || mrc=$?
  if [ "$mrc" != 0 ]; then
    cat "$matrix_log"
    echo "test/matrix: FAIL"
    rc=1
  else
    grep -E 'MEASURED|^(ok|---)' "$matrix_log" || true
  fi
fi
rm -f "$matrix_log"
exit "$rc"
