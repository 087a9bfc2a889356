// Package offsets tests the consumer-offset loss paths (offsets that expire
// while a group is stopped, offsets reset past unread messages) against a
// real 3-node Kafka cluster of its own, whose brokers expire the committed
// offsets of a group without members after one minute
// (offsets.retention.minutes=1, checked every 5 s). The shared cluster of
// the other packages keeps Kafka's default (7 days), so their groups are
// not affected.
//
// The cluster runs on ports from $KLE_KAFKA_PORT_BASE+2500 (default
// 29090+2500) in $KLE_KAFKA_DIR-offsets (else
// $TMPDIR/kle-kafkatest-offsets-<base>). Consumers are kcat's balanced
// consumer (librdkafka, classic group protocol) and resets are Kafka's own
// kafka-consumer-groups: clients that share no code with the exporter.
package offsets

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/test/kafkatest"
)

var (
	work           string
	exporterBinary string
	cluster        *kafkatest.Cluster

	setupOnce sync.Once
	setupErr  error
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	var err error
	if work, err = os.MkdirTemp("", "kle-offsets-"); err != nil {
		fmt.Fprintln(os.Stderr, "offsets:", err)
		return 1
	}
	defer os.RemoveAll(work)
	code := m.Run()
	if cluster != nil {
		if err := cluster.Close(code == 0); err != nil {
			fmt.Fprintln(os.Stderr, "offsets:", err)
		}
	}
	return code
}

// setUp builds the race-enabled exporter while the cluster starts.
func setUp() {
	exporterBinary = filepath.Join(work, "kafka-loss-exporter")
	built := make(chan error, 1)
	go func() {
		out, err := exec.Command("go", "build", "-race", "-o", exporterBinary,
			"github.com/kafka-loss-exporter/kafka-loss-exporter/cmd/kafka-loss-exporter").CombinedOutput()
		if err != nil {
			err = fmt.Errorf("building the exporter: %v\n%s", err, out)
		}
		built <- err
	}()
	base := 29090
	if v := os.Getenv("KLE_KAFKA_PORT_BASE"); v != "" {
		if base, setupErr = strconv.Atoi(v); setupErr != nil {
			<-built
			return
		}
	}
	state := filepath.Join(os.TempDir(), "kle-kafkatest-offsets-"+strconv.Itoa(base))
	if v := os.Getenv("KLE_KAFKA_DIR"); v != "" {
		state = v + "-offsets"
	}
	cluster, setupErr = kafkatest.Start(kafkatest.Options{
		Dir:      state,
		PortBase: base + 2500,
		Env: []string{"KLE_KAFKA_EXTRA_CONFIG=offsets.retention.minutes=1\n" +
			"offsets.retention.check.interval.ms=5000"},
	})
	if err := <-built; err != nil && setupErr == nil {
		setupErr = err
	}
}

// requireCluster returns the cluster, or fails the test (skips it outside
// CI) when it cannot be had.
func requireCluster(t *testing.T) *kafkatest.Cluster {
	t.Helper()
	setupOnce.Do(setUp)
	if setupErr != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no Kafka cluster with short offsets retention: %v", setupErr)
		}
		t.Skipf("no Kafka cluster with short offsets retention: %v", setupErr)
	}
	if _, err := exec.LookPath("kcat"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("kcat is not installed (Debian package kcat)")
		}
		t.Skip("kcat is not installed (Debian package kcat)")
	}
	return cluster
}
