# kafka-loss-exporter. `make demo` runs the exporter on a local real Kafka;
# `make test` runs every test, real-Kafka integration tests included.

GO          ?= go
BINARY      ?= kafka-loss-exporter
PKG         := github.com/kafka-loss-exporter/kafka-loss-exporter
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
REVISION    ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
BRANCH      ?= $(shell git rev-parse --abbrev-ref HEAD 2>/dev/null || echo unknown)
BUILD_USER  ?= $(shell whoami 2>/dev/null || echo unknown)@$(shell hostname 2>/dev/null || echo unknown)
BUILD_DATE  ?= $(shell date -u +%Y%m%d-%H:%M:%S)
VERSION_PKG := github.com/prometheus/common/version
LDFLAGS     := -s -w -X $(VERSION_PKG).Version=$(VERSION) -X $(VERSION_PKG).Revision=$(REVISION) -X $(VERSION_PKG).Branch=$(BRANCH) \
	-X $(VERSION_PKG).BuildUser=$(BUILD_USER) -X $(VERSION_PKG).BuildDate=$(BUILD_DATE)

# The real-Kafka test cluster (test/kafka/cluster.sh); the demo uses its own
# (deploy/demo/demo.sh: /tmp/kle-kafka-demo, ports 49091-49093).
# Ports stay below Linux's ephemeral range (32768-60999), so an outgoing connection
# can never hold a port a restarted node needs: base+1..3 brokers, +101..103
# controllers, +500.. the secured cluster (test/security), +1000.. the demo test,
# +1500.. the version matrix (test/matrix: +1500, +1900, +2300 per version, each
# up to +303, ZooKeeper at +300; 29090+2603 < 32768).
TEST_KAFKA_ENV = KAFKA_VERSION=$${KAFKA_VERSION:-4.3.1} KLE_KAFKA_DIR=$${KLE_KAFKA_DIR:-/tmp/kle-kafka-test} KLE_KAFKA_PORT_BASE=$${KLE_KAFKA_PORT_BASE:-29090}

# test/scale (request counts per poll on fakes, no Kafka) runs with the unit tests.
UNIT_PKGS = $(shell $(GO) list ./... | grep -v '/test/') ./test/scale

.PHONY: all build test lint unit integration fuzz-short soak kafka-up kafka-down demo demo-down generate tools docker clean bench bench-go

all: build

build:
	CGO_ENABLED=0 $(GO) build -ldflags '$(LDFLAGS)' -o $(BINARY) ./cmd/kafka-loss-exporter

## test: everything CI runs: lint, unit tests with -race, a short run of every fuzz
## test, the deploy tools, real-Kafka integration tests with -race (test/...:
## integration with a short soak, deploy, demo).
test: lint unit fuzz-short tools integration

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

unit:
	$(GO) test -race -count=1 $(UNIT_PKGS)

## dashboards: regenerate dashboards/*.json from their Go definitions (a unit test fails while they are stale).
.PHONY: dashboards
dashboards:
	$(GO) run ./dashboards/gen -dir dashboards

## integration: starts the 3-node KRaft cluster once, runs test/... (with -race),
## stops it; next to it, test/matrix runs the core scenarios on Kafka 4.4.0, 3.9
## KRaft and 3.9 ZooKeeper (KLE_MATRIX=none skips it, KLE_MATRIX=3.9.1-kraft
## picks versions). SOAK_DURATION sets the length of the short soak (TestSoak).
integration:
	$(TEST_KAFKA_ENV) SOAK_DURATION=$${SOAK_DURATION:-60s} test/run-integration.sh

## fuzz-short: runs every Fuzz* test in the repository for FUZZTIME (default 4s) each.
fuzz-short:
	GO=$(GO) FUZZTIME=$${FUZZTIME:-4s} test/fuzz-short.sh

## soak: the exporter on the real cluster for SOAK_DURATION (default 10m) while
## nodes are killed and restarted in a loop; RSS, goroutines and fds must stay flat.
soak:
	$(TEST_KAFKA_ENV) KLE_MATRIX=none SOAK_DURATION=$${SOAK_DURATION:-10m} GOTESTFLAGS='-run ^TestSoak$$ -v' test/run-integration.sh

## bench: not part of test. Go benchmarks of the hot pure functions, then the
## synthetic-cluster scenarios (test/bench/run: small, 20,000 and 100,000
## partitions, at-risk mode, 50 ms latency) and their table. BENCH_ARGS=-quick
## skips the 100,000-partition scenario.
bench: bench-go
	$(GO) run ./test/bench/run $(BENCH_ARGS)

bench-go:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 10x ./collector/ ./internal/events/ ./internal/risk/ ./internal/consumers/

kafka-up:
	$(TEST_KAFKA_ENV) test/kafka/cluster.sh start

kafka-down:
	$(TEST_KAFKA_ENV) test/kafka/cluster.sh destroy

## demo: a local real Kafka with a few topics and the exporter on it (Ctrl-C stops all).
demo:
	deploy/demo/demo.sh

demo-down:
	deploy/demo/demo.sh down

## generate: the deployment files derived from alerts/*.yml and dashboards/*.json
## (PrometheusRule, dashboards ConfigMap, Helm chart copies); a test fails when stale.
generate: dashboards
	$(GO) run ./deploy/gen

## tools: builds the pinned helm and kustomize (go install, cached) the deploy tests use.
## Outside CI a failed build only makes those tests skip; with CI=true it fails.
tools:
	@test/tools/install.sh helm kustomize >/dev/null || [ "$${CI:-}" != true ]

## docker: the container image, version stamped from git, build user and date from here.
docker:
	docker build --build-arg VERSION=$(VERSION) --build-arg REVISION=$(REVISION) --build-arg BRANCH=$(BRANCH) \
	  --build-arg BUILD_USER=$(BUILD_USER) --build-arg BUILD_DATE=$(BUILD_DATE) -t kafka-loss-exporter:$(VERSION) .

clean:
	rm -f $(BINARY)
