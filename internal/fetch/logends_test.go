package fetch

import (
	"reflect"
	"testing"

	"github.com/IBM/sarama"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

func TestKeepLastAnswers(t *testing.T) {
	known := func(b int32, end int64) snapshot.ReplicaLogEnd {
		return snapshot.ReplicaLogEnd{Broker: b, Known: true, LogEnd: end}
	}
	topic := func(id byte, ends ...snapshot.ReplicaLogEnd) []snapshot.Topic {
		t := snapshot.Topic{Name: "t", Partitions: []snapshot.Partition{{ID: 0, Leader: 1, LogEnds: ends}}}
		t.ID[0] = id
		return []snapshot.Topic{t}
	}
	unanswered := snapshot.ReplicaLogEnd{Broker: 3}
	for _, tc := range []struct {
		name      string
		cur, last []snapshot.Topic
		want      []snapshot.ReplicaLogEnd
	}{
		{"no previous poll", topic(1, known(1, 10), unanswered), nil,
			[]snapshot.ReplicaLogEnd{known(1, 10), unanswered}},
		{"a live broker that did not answer keeps its last answer, stale", topic(1, known(1, 10), unanswered), topic(1, known(1, 5), known(3, 4)),
			[]snapshot.ReplicaLogEnd{known(1, 10), {Broker: 3, Known: true, LogEnd: 4, Stale: true}}},
		{"an answer with a Kafka error is kept as it is", topic(1, known(1, 10), snapshot.ReplicaLogEnd{Broker: 3, Err: sarama.ErrKafkaStorageError}), topic(1, known(1, 5), known(3, 4)),
			[]snapshot.ReplicaLogEnd{known(1, 10), {Broker: 3, Err: sarama.ErrKafkaStorageError}}},
		{"a re-created topic keeps nothing", topic(2, known(1, 10), unanswered), topic(1, known(1, 5), known(3, 4)),
			[]snapshot.ReplicaLogEnd{known(1, 10), unanswered}},
		{"the broker had not answered before either", topic(1, known(1, 10), unanswered), topic(1, known(1, 5), unanswered),
			[]snapshot.ReplicaLogEnd{known(1, 10), unanswered}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			keepLastAnswers(tc.cur, tc.last)
			if got := tc.cur[0].Partitions[0].LogEnds; !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}
