package risk

import (
	"reflect"
	"testing"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

func TestInOneRack(t *testing.T) {
	twoRacks := Racks{1: "a", 2: "b", 3: "b"}
	cases := []struct {
		name     string
		replicas []int32
		racks    Racks
		want     bool
	}{
		{"spread over racks", []int32{1, 2}, twoRacks, false},
		{"both in rack b", []int32{2, 3}, twoRacks, true},
		{"single replica is not judged", []int32{2}, twoRacks, false},
		{"one-rack cluster", []int32{2, 3}, Racks{1: "b", 2: "b", 3: "b"}, false},
		{"no racks configured", []int32{1, 2}, Racks{1: "", 2: "", 3: ""}, false},
		{"replica with unknown rack", []int32{2, 4}, twoRacks, false},
		{"replica on a broker without rack", []int32{2, 3}, Racks{1: "a", 2: "b", 3: ""}, false},
	}
	for _, c := range cases {
		if got := InOneRack(c.replicas, c.racks); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func TestClusterRacksKeepsDownBrokers(t *testing.T) {
	s := &snapshot.Snapshot{
		Brokers: []snapshot.Broker{{ID: 1, Rack: "a"}, {ID: 2, Rack: "b"}},
		Configs: &snapshot.Configs{Brokers: map[int32]snapshot.ResourceConfig{
			2: entries("broker.rack", "old", snapshot.SourceStaticBroker),
			3: entries("broker.rack", "b", snapshot.SourceStaticBroker),
		}},
	}
	want := Racks{1: "a", 2: "b", 3: "b"}
	if got := ClusterRacks(s); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v (metadata wins, configs fill in down brokers)", got, want)
	}
}

func TestTopicFindings(t *testing.T) {
	racks := Racks{1: "a", 2: "b", 3: "b"}
	rf3 := topicRF("t", []int32{1, 2, 3})
	rf2 := topicRF("t", []int32{1, 2})
	rf1 := topicRF("t", []int32{1})
	rf2OneRack := topicRF("t", []int32{1, 2}, []int32{2, 3})
	empty := snapshot.Topic{Name: "t"}
	cfg := func(rf, minISR int, unclean bool) TopicConfig {
		return TopicConfig{Known: true, ReplicationFactor: rf, MinInsyncReplicas: minISR, UncleanLeaderElection: unclean}
	}
	def := DefaultThresholds()
	testTopics := Thresholds{MinReplicationFactor: 1, MinInsyncReplicas: 1, Ignored: map[string]bool{RiskNoWriteFaultTolerance: true}}
	cases := []struct {
		name  string
		topic snapshot.Topic
		cfg   TopicConfig
		th    Thresholds
		want  []string
	}{
		{"safe RF 3 minISR 2", rf3, cfg(3, 2, false), def, nil},
		{"RF 3 minISR 1", rf3, cfg(3, 1, false), def, []string{RiskMinInsyncReplicasBelow2}},
		{"RF 3 minISR 3", rf3, cfg(3, 3, false), def, []string{RiskNoWriteFaultTolerance}},
		{"RF 3 unclean", rf3, cfg(3, 2, true), def, []string{RiskUncleanLeaderElection}},
		{"RF 2 minISR 2", rf2, cfg(2, 2, false), def, []string{RiskReplicationFactorBelow3, RiskNoWriteFaultTolerance}},
		{"RF 2 minISR 1", rf2, cfg(2, 1, false), def, []string{RiskReplicationFactorBelow3, RiskMinInsyncReplicasBelow2}},
		{"RF 1 minISR 1", rf1, cfg(1, 1, false), def, []string{RiskReplicationFactorBelow3, RiskMinInsyncReplicasBelow2, RiskNoWriteFaultTolerance}},
		{"RF 2 minISR 3 (minISR above RF)", rf2, cfg(2, 3, false), def, []string{RiskReplicationFactorBelow3, RiskNoWriteFaultTolerance}},
		{"one partition in one rack", rf2OneRack, cfg(2, 1, false), def,
			[]string{RiskReplicationFactorBelow3, RiskMinInsyncReplicasBelow2, RiskReplicasInOneRack}},
		{"everything at once", rf2OneRack, cfg(2, 2, true), def,
			[]string{RiskReplicationFactorBelow3, RiskNoWriteFaultTolerance, RiskUncleanLeaderElection, RiskReplicasInOneRack}},
		{"config unreadable: metadata findings only", rf2OneRack, TopicConfig{ReplicationFactor: 2, Err: "TOPIC_AUTHORIZATION_FAILED"}, def,
			[]string{RiskReplicationFactorBelow3, RiskReplicasInOneRack}},
		{"topic without partitions", empty, cfg(0, 2, false), def, nil},
		{"exemption lowers thresholds", rf1, cfg(1, 1, false), testTopics, nil},
		{"exemption keeps other risks", rf1, cfg(1, 1, true), testTopics, []string{RiskUncleanLeaderElection}},
		{"exemption ignores one rack", rf2OneRack, cfg(2, 1, false), Thresholds{MinReplicationFactor: 2, MinInsyncReplicas: 1, Ignored: map[string]bool{RiskReplicasInOneRack: true}}, nil},
		{"stricter policy: RF 4", rf3, cfg(3, 2, false), Thresholds{MinReplicationFactor: 4, MinInsyncReplicas: 2}, []string{RiskReplicationFactorBelow3}},
		{"stricter policy: minISR 3", topicRF("t", []int32{1, 2, 3, 4}), cfg(4, 2, false), Thresholds{MinReplicationFactor: 3, MinInsyncReplicas: 3}, []string{RiskMinInsyncReplicasBelow2}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := TopicFindings(&c.topic, c.cfg, racks, c.th); !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
		})
	}
}
