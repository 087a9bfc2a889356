package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/go-kit/log"
	"github.com/go-kit/log/level"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/canary"
)

// canaryFlags are the durability canary's settings.
type canaryFlags struct {
	enable      bool
	topic       string
	interval    time.Duration
	lossTimeout time.Duration

	// Expert settings, for tests of the detector: they make the canary
	// topic unsafe and are logged as such.
	replicationFactor int
	minInsyncReplicas int
	uncleanElection   bool
	partitions        int
}

// defineCanaryFlags declares the canary flags on app.
func defineCanaryFlags(app *kingpin.Application) *canaryFlags {
	f := &canaryFlags{}
	app.Flag("canary.enable", "Run the end-to-end durability canary: write sequence-numbered messages to --canary.topic with an idempotent acks=all producer, read them back and count the acknowledged ones that never arrive. Off by default because it writes to the cluster (see docs/canary.md).").
		Default("false").BoolVar(&f.enable)
	app.Flag("canary.topic", "Topic the canary creates and writes to (one partition per broker, replication factor 3, min.insync.replicas 2).").
		Default("__kafka_loss_canary").StringVar(&f.topic)
	durationFlag(app, "canary.interval", "Time between two canary messages of one partition.", "1s", &f.interval)
	durationFlag(app, "canary.loss-timeout", "How long an acknowledged canary message may be missing while later ones of its partition have arrived before it counts as lost.", "60s", &f.lossTimeout)
	intFlag(app, "canary.replication-factor", "Expert, for tests: replication factor of a canary topic the canary creates (0: min(3, brokers)). Below 3 is unsafe.", "0", &f.replicationFactor)
	intFlag(app, "canary.min-insync-replicas", "Expert, for tests: min.insync.replicas the canary keeps on its topic (capped at the replication factor). Below 2 is unsafe.", "2", &f.minInsyncReplicas)
	app.Flag("canary.unclean-leader-election", "Expert, for tests: keep unclean.leader.election.enable=true on the canary topic (unsafe: acknowledged messages can be lost).").
		Default("false").BoolVar(&f.uncleanElection)
	intFlag(app, "canary.partitions", "Expert, for tests: fixed partition count of a canary topic the canary creates (0: one per broker, and one more for each broker added).", "0", &f.partitions)
	return f
}

// validate checks the canary settings, naming the flag at fault.
func (f *canaryFlags) validate() error {
	if f.topic == "" || len(f.topic) > 249 || strings.Trim(f.topic, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != "" || f.topic == "." || f.topic == ".." {
		return fmt.Errorf("--canary.topic %q is not a valid topic name (1 to 249 of a-z A-Z 0-9 . _ -)", f.topic)
	}
	if f.interval < 10*time.Millisecond {
		return fmt.Errorf("--canary.interval must be at least 10ms, got %s", f.interval)
	}
	if f.lossTimeout < f.interval {
		return fmt.Errorf("--canary.loss-timeout (%s) must be at least --canary.interval (%s)", f.lossTimeout, f.interval)
	}
	if f.replicationFactor < 0 || f.replicationFactor > 32767 {
		return fmt.Errorf("--canary.replication-factor must be between 0 and 32767, got %d", f.replicationFactor)
	}
	if f.minInsyncReplicas < 1 {
		return fmt.Errorf("--canary.min-insync-replicas must be at least 1, got %d", f.minInsyncReplicas)
	}
	if f.partitions < 0 || f.partitions > 10000 {
		return fmt.Errorf("--canary.partitions must be between 0 and 10000, got %d", f.partitions)
	}
	return nil
}

// unsafe lists the expert settings that weaken the canary topic.
func (f *canaryFlags) unsafe() []string {
	var out []string
	if f.replicationFactor > 0 && f.replicationFactor < 3 {
		out = append(out, fmt.Sprintf("--canary.replication-factor=%d", f.replicationFactor))
	}
	if f.minInsyncReplicas < 2 {
		out = append(out, fmt.Sprintf("--canary.min-insync-replicas=%d", f.minInsyncReplicas))
	}
	if f.uncleanElection {
		out = append(out, "--canary.unclean-leader-election")
	}
	return out
}

// warnUnsafe logs one warning naming the unsafe expert settings in use.
func (f *canaryFlags) warnUnsafe(logger log.Logger) {
	if u := f.unsafe(); len(u) > 0 && f.enable {
		level.Warn(logger).Log("msg", "the canary topic is configured unsafely: acknowledged messages can be lost; use only to test the canary", "flags", strings.Join(u, " "))
	}
}

// topicOptions are the canary topic settings.
func (f *canaryFlags) topicOptions() canary.TopicOptions {
	return canary.TopicOptions{
		Topic:                 f.topic,
		Partitions:            f.partitions,
		ReplicationFactor:     f.replicationFactor,
		MinInsyncReplicas:     f.minInsyncReplicas,
		UncleanLeaderElection: f.uncleanElection,
	}
}
