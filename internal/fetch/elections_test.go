package fetch

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/kafka"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

// electionsCluster is an in-process 3-broker cluster with topic "fine"
// (3 partitions, 5 records in partition 0) and topic "needy", whose
// min.insync.replicas (4) is above its replication factor (3), so its
// partitions are always under min ISR.
func electionsCluster(t *testing.T) (*kfake.Cluster, *kafka.Client, *Fetcher) {
	t.Helper()
	fake, err := kfake.NewCluster(kfake.NumBrokers(3))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	if err := fake.CreateTopic("fine", 3, nil); err != nil {
		t.Fatal(err)
	}
	if err := fake.CreateTopic("needy", 2, map[string]string{"min.insync.replicas": "4"}); err != nil {
		t.Fatal(err)
	}
	produce(t, fake, 5)
	conf, err := kafka.Options{Servers: fake.ListenAddrs()[:1], Timeout: 5 * time.Second}.SaramaConfig()
	if err != nil {
		t.Fatal(err)
	}
	client := kafka.NewClient(conf, fake.ListenAddrs()[:1], nil)
	t.Cleanup(func() { client.Close() })
	return fake, client, New(client, Options{}, NewOffsets(client), NewConfigs(client, time.Hour), NewElections(client), NewReassignments(client))
}

// produce writes n records to fine/0.
func produce(t *testing.T, fake *kfake.Cluster, n int) {
	t.Helper()
	prod, err := kgo.NewClient(kgo.SeedBrokers(fake.ListenAddrs()...), kgo.DefaultProduceTopic("fine"),
		kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer prod.Close()
	for range n {
		if err := prod.ProduceSync(context.Background(), &kgo.Record{Partition: 0, Value: []byte("x")}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
}

func poll(t *testing.T, client *kafka.Client, f *Fetcher) (*snapshot.Snapshot, map[string]uint64) {
	t.Helper()
	before := map[string]uint64{}
	for _, r := range client.Requests.Counts() {
		before[r.API] = r.Count
	}
	s, err := f.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range s.Collectors {
		if !c.Success {
			t.Fatalf("collector %s failed: %s", c.Name, c.Err)
		}
	}
	sent := map[string]uint64{}
	for _, r := range client.Requests.Counts() {
		if d := r.Count - before[r.API]; d > 0 {
			sent[r.API] = d
		}
	}
	return s, sent
}

var (
	describeTopicPartitions = kmsg.NameForKey(kmsg.DescribeTopicPartitions.Int16())
	offsetForLeaderEpoch    = kmsg.NameForKey(kmsg.OffsetForLeaderEpoch.Int16())
	listReassignments       = kmsg.NameForKey(kmsg.ListPartitionReassignments.Int16())
)

// TestElectionsAskOnlyForThePartitionsThatNeedIt: the ELR is read only for
// partitions under min ISR or whose leader changed, and the epoch start
// only for those whose leader changed.
func TestElectionsAskOnlyForThePartitionsThatNeedIt(t *testing.T) {
	fake, client, f := electionsCluster(t)

	for i := range 2 {
		s, sent := poll(t, client, f)
		if sent[describeTopicPartitions] != 1 || sent[offsetForLeaderEpoch] != 0 || sent[listReassignments] != 1 {
			t.Fatalf("poll %d sent %v; want 1 DescribeTopicPartitions, no OffsetForLeaderEpoch, 1 ListPartitionReassignments", i, sent)
		}
		for _, p := range s.Topic("needy").Partitions {
			if !p.ELR.Known {
				t.Errorf("poll %d: needy/%d ELR not read", i, p.ID)
			}
		}
		for _, p := range s.Topic("fine").Partitions {
			if p.ELR.Known || p.EpochStart.Known {
				t.Errorf("poll %d: fine/%d read though healthy: %+v %+v", i, p.ID, p.ELR, p.EpochStart)
			}
		}
		if !s.ReassignmentsKnown {
			t.Errorf("poll %d: reassignments not known", i)
		}
		if o := s.Topic("fine").Partitions[0].Offsets; !o.LogEndKnown || o.LogEnd != 5 {
			t.Errorf("poll %d: fine/0 leader log end %+v, want 5", i, o)
		}
		for _, r := range s.Topic("fine").Partitions[0].LogEnds {
			if !r.Known || r.LogEnd != 5 {
				t.Errorf("poll %d: fine/0 replica %+v, want log end 5", i, r)
			}
		}
	}

	// A leader change: the epoch start is read from the new leader, and
	// the ELR of the partition too.
	old := fake.LeaderFor("fine", 0)
	if err := fake.MoveTopicPartition("fine", 0, (old+1)%3); err != nil {
		t.Fatal(err)
	}
	// kfake knows an epoch's start only once the epoch has a batch (Kafka
	// records it at the election).
	produce(t, fake, 2)
	s, sent := poll(t, client, f)
	if sent[offsetForLeaderEpoch] != 1 || sent[describeTopicPartitions] != 1 {
		t.Fatalf("after a leader change sent %v; want 1 OffsetForLeaderEpoch and 1 DescribeTopicPartitions", sent)
	}
	p := s.Topic("fine").Partitions[0]
	if !p.EpochStart.Known || p.EpochStart.Offset != 5 {
		t.Errorf("fine/0 epoch start %+v, want offset 5", p.EpochStart)
	}
	if !p.ELR.Known {
		t.Errorf("fine/0 ELR not read after its leader changed")
	}
	if s.Topic("fine").Partitions[1].ELR.Known {
		t.Errorf("fine/1 ELR read though its leader did not change")
	}
	// Steady again.
	if _, sent := poll(t, client, f); sent[offsetForLeaderEpoch] != 0 {
		t.Fatalf("steady poll sent %v", sent)
	}
}
