// Command fakekafka runs a synthetic Kafka cluster (franz-go's kfake) of the
// size given by its flags, seeds it, prints its bootstrap address on one line
// ("bootstrap host:port,host:port") and serves until stdin closes or a signal
// arrives. make bench runs it in its own process so that the exporter's RSS
// and CPU are measured apart from the cluster's.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/test/fakekafka"
)

func main() {
	var o fakekafka.Options
	flag.IntVar(&o.Brokers, "brokers", 3, "brokers")
	flag.IntVar(&o.Topics, "topics", 200, "topics")
	flag.IntVar(&o.Partitions, "partitions", 100, "partitions per topic")
	flag.IntVar(&o.Records, "records", 3, "records per partition")
	flag.IntVar(&o.Groups, "groups", 200, "consumer groups")
	flag.IntVar(&o.TopicsPerGroup, "group-topics", 2, "topics each group committed offsets on (all partitions)")
	flag.IntVar(&o.MinInsyncReplicas, "min-insync-replicas", 2, "min.insync.replicas of every topic")
	flag.IntVar(&o.LiveGroups, "live-groups", 2, "groups with a running member (on the first topic)")
	latency := flag.Duration("latency", 0, "delay added to every response once seeded")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	c, err := fakekafka.Start(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fakekafka:", err)
		os.Exit(1)
	}
	defer c.Close()
	c.SetLatency(*latency)
	fmt.Fprintf(os.Stderr, "fakekafka: seeded %d partitions, %d groups in %s\n", o.Topics*o.Partitions, o.Groups, time.Since(start).Round(time.Millisecond))
	fmt.Printf("bootstrap %s\n", strings.Join(c.ListenAddrs(), ","))

	stdinClosed := make(chan struct{})
	go func() { _, _ = io.Copy(io.Discard, os.Stdin); close(stdinClosed) }()
	select {
	case <-ctx.Done():
	case <-stdinClosed:
	}
}
