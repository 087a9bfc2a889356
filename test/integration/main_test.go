// Package integration runs the exporter binary against a real 3-node Kafka
// cluster (test/kafka) and asserts what it reports.
package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/test/kafkatest"
)

// exporterBinary is the exporter built once for the whole test binary.
var exporterBinary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "kle-integration-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration:", err)
		os.Exit(1)
	}
	exporterBinary = filepath.Join(dir, "kafka-loss-exporter")
	build := exec.Command("go", "build", "-race", "-o", exporterBinary, "github.com/kafka-loss-exporter/kafka-loss-exporter/cmd/kafka-loss-exporter")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "integration: building the exporter:", err)
		os.Exit(1)
	}
	code := kafkatest.Run(m)
	os.RemoveAll(dir)
	os.Exit(code)
}
