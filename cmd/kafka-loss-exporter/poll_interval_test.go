package main

import (
	"testing"
	"time"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/risk"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

func TestNegativeFastIntervalExitsWithStatus2(t *testing.T) {
	wantUsageError(t, []string{"--poll.fast-interval=-1s"}, "--poll.fast-interval must not be negative")
}

func TestNextPollInterval(t *testing.T) {
	ok := []snapshot.CollectorResult{{Name: snapshot.CollectorMetadata, Success: true}}
	healthy := &snapshot.Snapshot{Collectors: ok, Brokers: []snapshot.Broker{{ID: 1}}, Topics: []snapshot.Topic{
		{Name: "t", Partitions: []snapshot.Partition{{Leader: 1, Replicas: []int32{1}, ISR: []int32{1}}}}}}
	degraded := &snapshot.Snapshot{Collectors: ok, Brokers: []snapshot.Broker{{ID: 1}}, Topics: []snapshot.Topic{
		{Name: "t", Partitions: []snapshot.Partition{{Leader: 1, Replicas: []int32{1, 2}, ISR: []int32{1}}}}}}
	cases := []struct {
		name           string
		interval, fast time.Duration
		s              *snapshot.Snapshot
		want           time.Duration
	}{
		{"healthy", 30 * time.Second, 5 * time.Second, healthy, 30 * time.Second},
		{"under-replicated", 30 * time.Second, 5 * time.Second, degraded, 5 * time.Second},
		{"fast interval disabled", 30 * time.Second, 0, degraded, 30 * time.Second},
		{"fast interval longer than the interval", time.Second, 5 * time.Second, degraded, time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := &flags{pollInterval: tc.interval, pollFastInterval: tc.fast}
			if got := f.nextPollInterval(risk.Judge(tc.s, risk.DefaultPolicy{})); got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
}
