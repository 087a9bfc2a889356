package collector

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/risk"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

// testSnapshot is a 3-broker cluster where broker 3 is down: partition 0 of
// "orders" lost broker 3 from its ISR, partition 1 is offline, and the
// offsets of partition 1 are unknown. Broker 2 is live but hung: it leads
// partition 0 of "payments".
func testSnapshot() *snapshot.Snapshot {
	return &snapshot.Snapshot{
		Time:         time.Unix(1700000000, 0),
		ControllerID: 1,
		Brokers: []snapshot.Broker{
			{ID: 1, Addr: "127.0.0.1:9091", Rack: "a"},
			{ID: 2, Addr: "127.0.0.1:9092", Rack: "b"},
		},
		Unresponsive: []int32{2},
		Topics: []snapshot.Topic{
			{Name: "orders", Partitions: []snapshot.Partition{
				{ID: 0, Leader: 1, Replicas: []int32{1, 2, 3}, ISR: []int32{1, 2}, OfflineReplicas: []int32{3},
					Offsets: snapshot.Offsets{Known: true, Oldest: 5, Latest: 42}},
				{ID: 1, Leader: -1, Replicas: []int32{3}, ISR: []int32{3}, OfflineReplicas: []int32{3},
					Offsets: snapshot.Offsets{Err: snapshot.ErrNoLeader}},
			}},
			{Name: "payments", Partitions: []snapshot.Partition{
				{ID: 0, Leader: 2, Replicas: []int32{1, 2}, ISR: []int32{2, 1},
					Offsets: snapshot.Offsets{Known: true, Oldest: 0, Latest: 7}},
			}},
		},
		Collectors: []snapshot.CollectorResult{
			{Name: snapshot.CollectorMetadata, Success: true, Duration: 10 * time.Millisecond},
			{Name: snapshot.CollectorOffsets, Success: true, Duration: 20 * time.Millisecond},
		},
	}
}

func TestReplicationGolden(t *testing.T) {
	c := NewReplication(judged(testSnapshot, risk.DefaultPolicy{}), PartitionSeriesAll)
	want := `
# HELP kafka_broker_info Information about a live broker (always 1), from the last poll.
# TYPE kafka_broker_info gauge
kafka_broker_info{address="127.0.0.1:9091",id="1",rack="a"} 1
kafka_broker_info{address="127.0.0.1:9092",id="2",rack="b"} 1
# HELP kafka_broker_out_of_sync_replicas Number of partition replicas hosted on the broker that are outside their partition's ISR, from the last poll.
# TYPE kafka_broker_out_of_sync_replicas gauge
kafka_broker_out_of_sync_replicas{id="1"} 0
kafka_broker_out_of_sync_replicas{id="2"} 0
kafka_broker_out_of_sync_replicas{id="3"} 1
# HELP kafka_broker_responding 1 when the broker answers the exporter's requests, 0 when it is registered (or hosts replicas) but its last requests timed out (--kafka.timeout): hung, not down, from the last poll.
# TYPE kafka_broker_responding gauge
kafka_broker_responding{id="1"} 1
kafka_broker_responding{id="2"} 0
kafka_broker_responding{id="3"} 1
# HELP kafka_broker_up 1 when the broker is in the live broker list, 0 when it hosts replicas but is missing from it (down), from the last poll.
# TYPE kafka_broker_up gauge
kafka_broker_up{id="1"} 1
kafka_broker_up{id="2"} 1
kafka_broker_up{id="3"} 0
# HELP kafka_brokers Number of live brokers in the cluster, from the last poll.
# TYPE kafka_brokers gauge
kafka_brokers 2
# HELP kafka_topic_partition_current_offset Latest offset (high watermark) of the partition, from the last poll.
# TYPE kafka_topic_partition_current_offset gauge
kafka_topic_partition_current_offset{partition="0",topic="orders"} 42
kafka_topic_partition_current_offset{partition="0",topic="payments"} 7
# HELP kafka_topic_partition_in_sync_replica Number of in-sync replicas of the partition, from the last poll.
# TYPE kafka_topic_partition_in_sync_replica gauge
kafka_topic_partition_in_sync_replica{partition="0",topic="orders"} 2
kafka_topic_partition_in_sync_replica{partition="0",topic="payments"} 2
kafka_topic_partition_in_sync_replica{partition="1",topic="orders"} 1
# HELP kafka_topic_partition_leader Broker id of the partition's leader, -1 when it has none, from the last poll.
# TYPE kafka_topic_partition_leader gauge
kafka_topic_partition_leader{partition="0",topic="orders"} 1
kafka_topic_partition_leader{partition="0",topic="payments"} 2
kafka_topic_partition_leader{partition="1",topic="orders"} -1
# HELP kafka_topic_partition_leader_is_preferred 1 when the partition's leader is its preferred (first assigned) replica, from the last poll.
# TYPE kafka_topic_partition_leader_is_preferred gauge
kafka_topic_partition_leader_is_preferred{partition="0",topic="orders"} 1
kafka_topic_partition_leader_is_preferred{partition="0",topic="payments"} 0
kafka_topic_partition_leader_is_preferred{partition="1",topic="orders"} 0
# HELP kafka_topic_partition_offline 1 when the partition has no live leader: it can be neither written nor read, from the last poll.
# TYPE kafka_topic_partition_offline gauge
kafka_topic_partition_offline{partition="0",topic="orders"} 0
kafka_topic_partition_offline{partition="0",topic="payments"} 0
kafka_topic_partition_offline{partition="1",topic="orders"} 1
# HELP kafka_topic_partition_offline_replicas Number of the partition's replicas that Kafka reports offline, from the last poll.
# TYPE kafka_topic_partition_offline_replicas gauge
kafka_topic_partition_offline_replicas{partition="0",topic="orders"} 1
kafka_topic_partition_offline_replicas{partition="0",topic="payments"} 0
kafka_topic_partition_offline_replicas{partition="1",topic="orders"} 1
# HELP kafka_topic_partition_oldest_offset Oldest offset (log start) of the partition, from the last poll.
# TYPE kafka_topic_partition_oldest_offset gauge
kafka_topic_partition_oldest_offset{partition="0",topic="orders"} 5
kafka_topic_partition_oldest_offset{partition="0",topic="payments"} 0
# HELP kafka_topic_partition_replicas Number of replicas assigned to the partition, from the last poll.
# TYPE kafka_topic_partition_replicas gauge
kafka_topic_partition_replicas{partition="0",topic="orders"} 3
kafka_topic_partition_replicas{partition="0",topic="payments"} 2
kafka_topic_partition_replicas{partition="1",topic="orders"} 1
# HELP kafka_topic_partition_under_replicated_partition 1 when fewer replicas of the partition are in sync than are assigned, from the last poll.
# TYPE kafka_topic_partition_under_replicated_partition gauge
kafka_topic_partition_under_replicated_partition{partition="0",topic="orders"} 1
kafka_topic_partition_under_replicated_partition{partition="0",topic="payments"} 0
kafka_topic_partition_under_replicated_partition{partition="1",topic="orders"} 0
# HELP kafka_topic_partition_leader_unresponsive 1 when the partition's leader is a broker that does not answer (kafka_broker_responding 0): writes to the partition stall, from the last poll.
# TYPE kafka_topic_partition_leader_unresponsive gauge
kafka_topic_partition_leader_unresponsive{partition="0",topic="orders"} 0
kafka_topic_partition_leader_unresponsive{partition="0",topic="payments"} 1
kafka_topic_partition_leader_unresponsive{partition="1",topic="orders"} 0
# HELP kafka_topic_leader_unresponsive_partitions Number of the topic's partitions led by a broker that does not answer (kafka_broker_responding 0), from the last poll.
# TYPE kafka_topic_leader_unresponsive_partitions gauge
kafka_topic_leader_unresponsive_partitions{topic="orders"} 0
kafka_topic_leader_unresponsive_partitions{topic="payments"} 1
# HELP kafka_topic_partitions Number of partitions of the topic, from the last poll.
# TYPE kafka_topic_partitions gauge
kafka_topic_partitions{topic="orders"} 2
kafka_topic_partitions{topic="payments"} 1
# HELP kafka_topic_messages_in_total Sum of the latest offsets (high watermarks) of the topic's partitions: messages appended since the topic was created; rate() is the produce rate in messages per second. Absent while an offset is unknown, from the last poll.
# TYPE kafka_topic_messages_in_total counter
kafka_topic_messages_in_total{topic="payments"} 7
# HELP kafka_topic_offline_partitions Number of the topic's partitions without a live leader (neither writable nor readable), from the last poll.
# TYPE kafka_topic_offline_partitions gauge
kafka_topic_offline_partitions{topic="orders"} 1
kafka_topic_offline_partitions{topic="payments"} 0
# HELP kafka_topic_under_replicated_partitions Number of the topic's partitions with fewer in-sync replicas than assigned replicas, from the last poll.
# TYPE kafka_topic_under_replicated_partitions gauge
kafka_topic_under_replicated_partitions{topic="orders"} 1
kafka_topic_under_replicated_partitions{topic="payments"} 0
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want)); err != nil {
		t.Fatal(err)
	}
}

func TestReplicationRendersNothingWithoutMetadata(t *testing.T) {
	for name, s := range map[string]*snapshot.Snapshot{
		"before the first poll": nil,
		"metadata failed": {Collectors: []snapshot.CollectorResult{
			{Name: snapshot.CollectorMetadata, Err: "no broker answered Metadata"},
		}},
	} {
		t.Run(name, func(t *testing.T) {
			c := NewReplication(judged(func() *snapshot.Snapshot { return s }, risk.DefaultPolicy{}), PartitionSeriesAll)
			if n := testutil.CollectAndCount(c); n != 0 {
				t.Fatalf("rendered %d series from a poll that did not read the cluster, want 0", n)
			}
		})
	}
}
