package kafkatest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
)

// Options describe a cluster of a test package's own, started with Start
// next to (not instead of) the shared cluster of Require: for example the
// secured cluster of test/security (cluster.sh's KLE_KAFKA_SECURITY_DIR).
type Options struct {
	// Dir is the state dir; it is destroyed first if a dead process left
	// a cluster there.
	Dir string
	// PortBase is the cluster's KLE_KAFKA_PORT_BASE; it must not overlap
	// another cluster's ports (a cluster uses base+1 to base+203).
	PortBase int
	// Env is added to the environment of every cluster.sh run.
	Env []string
	// Configure adjusts the sarama config of every helper (SaramaConfig,
	// Admin, CreateTopic, Produce, ...), for example to authenticate.
	Configure func(*sarama.Config)
}

// Start starts a cluster of the caller's own and returns once every node is
// ready. A watchdog destroys it if the process dies; call Close at the end.
func Start(opts Options) (*Cluster, error) {
	script, err := findScript()
	if err != nil {
		return nil, err
	}
	if opts.Dir == "" || opts.PortBase <= 0 {
		return nil, fmt.Errorf("kafkatest.Start: Dir and PortBase are required")
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, err
	}
	c := &Cluster{
		script: script, dir: dir, owned: true, restorer: map[testing.TB]bool{},
		env:       append([]string{"KLE_KAFKA_PORT_BASE=" + strconv.Itoa(opts.PortBase)}, opts.Env...),
		configure: opts.Configure,
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if out, err := c.run(ctx, nil, "destroy"); err != nil {
		return nil, fmt.Errorf("clearing %s: %v\n%s", dir, err, out)
	}
	start := time.Now()
	watch := []string{"KLE_KAFKA_WATCH_PID=" + strconv.Itoa(os.Getpid()), "KLE_KAFKA_WATCH_ACTION=destroy"}
	// A listening port of the cluster can be taken for a moment as the
	// local port of some outgoing connection (the ports lie in Linux's
	// ephemeral range): try again once after a bind failure.
	for attempt := 1; ; attempt++ {
		out, err := c.run(ctx, watch, "start")
		if err == nil {
			break
		}
		if attempt == 2 || !strings.Contains(out, "Address already in use") {
			return nil, fmt.Errorf("test/kafka/cluster.sh start failed: %v\n%s", err, out)
		}
		fmt.Fprintf(os.Stderr, "kafkatest: a port of %s was in use; starting again\n", dir)
		if out, err := c.run(ctx, nil, "destroy"); err != nil {
			return nil, fmt.Errorf("clearing %s: %v\n%s", dir, err, out)
		}
	}
	fmt.Fprintf(os.Stderr, "kafkatest: started a Kafka cluster in %s in %s\n", dir, time.Since(start).Round(100*time.Millisecond))
	if err := c.loadBootstrap(); err != nil {
		return nil, err
	}
	return c, nil
}

// Script runs a cluster.sh command (for example bootstrap-mtls) on this
// cluster and returns its trimmed output.
func (c *Cluster) Script(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	out, err := c.run(ctx, nil, args...)
	if err != nil {
		return "", fmt.Errorf("cluster.sh %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(out), nil
}

// Close ends a cluster from Start: destroyed when passed, else only stopped
// so that the node logs stay in Dir()/node-N/server.log.
func (c *Cluster) Close(passed bool) error {
	cmd := "destroy"
	if !passed {
		cmd = "stop"
	}
	_, err := c.Script(cmd)
	if err == nil && !passed {
		fmt.Fprintf(os.Stderr, "kafkatest: tests failed; Kafka cluster stopped, node logs kept in %s/node-*/server.log\n", c.dir)
	}
	return err
}
