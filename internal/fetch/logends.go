package fetch

import (
	"context"
	"fmt"
	"sort"

	"github.com/IBM/sarama"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/kafka"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

// debuggingReplicaID is the replica id of a ListOffsets request that every
// replica answers, leader or follower, with its own log end offset (Kafka's
// ListOffsetsRequest.DEBUGGING_REPLICA_ID). A consumer's id (-1) is answered
// only by the leader, with the high watermark.
const debuggingReplicaID = -2

// replicaRef points at one replica's entry inside the snapshot being built.
type replicaRef struct {
	topic     string
	partition int32
	entry     *snapshot.ReplicaLogEnd
}

// fetchLogEnds reads the log end offset of every replica hosted on a live
// broker with one ListOffsets request per broker (all brokers in parallel)
// into Partition.LogEnds. A
// replica on a broker that is down gets no entry; a broker that does not
// answer leaves its entries unknown and is named in the error.
func fetchLogEnds(ctx context.Context, client *kafka.Client, brokers []snapshot.Broker, topics []snapshot.Topic) error {
	live := make(map[int32]bool, len(brokers))
	for _, b := range brokers {
		live[b.ID] = true
	}
	total := 0
	for ti := range topics {
		for pi := range topics[ti].Partitions {
			for _, r := range topics[ti].Partitions[pi].Replicas {
				if live[r] {
					total++
				}
			}
		}
	}
	// One backing array for every partition's entries: one allocation per
	// poll, not one per partition.
	entries := make([]snapshot.ReplicaLogEnd, 0, total)
	byBroker := map[int32][]replicaRef{}
	for ti := range topics {
		t := &topics[ti]
		for pi := range t.Partitions {
			p := &t.Partitions[pi]
			first := len(entries)
			for _, r := range p.Replicas {
				if live[r] {
					entries = append(entries, snapshot.ReplicaLogEnd{Broker: r})
				}
			}
			p.LogEnds = entries[first:len(entries):len(entries)]
			for i := range p.LogEnds {
				e := &p.LogEnds[i]
				byBroker[e.Broker] = append(byBroker[e.Broker], replicaRef{topic: t.Name, partition: p.ID, entry: e})
			}
		}
	}

	ids := make([]int32, 0, len(byBroker))
	for id := range byBroker {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	errs := make([]error, len(ids))
	parallel(len(ids), func(i int) { errs[i] = logEndsFromBroker(ctx, client, ids[i], byBroker[ids[i]]) })

	var failed []error
	for _, err := range errs {
		if err != nil {
			failed = append(failed, err)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("replica log ends (ListOffsets) failed on %d of %d brokers: %w", len(failed), len(ids), kafka.JoinErrors(failed))
	}
	return nil
}

// logEndsFromBroker asks one broker for the log end of every replica it
// hosts. Per-replica Kafka errors (NOT_LEADER_OR_FOLLOWER for a replica not
// created yet, KAFKA_STORAGE_ERROR, ...) are kept on the replica's entry.
func logEndsFromBroker(ctx context.Context, client *kafka.Client, id int32, refs []replicaRef) error {
	req := sarama.NewOffsetRequest(client.Version())
	req.SetReplicaID(debuggingReplicaID)
	for _, ref := range refs {
		req.AddBlock(ref.topic, ref.partition, sarama.OffsetNewest, 1)
	}
	resp, err := kafka.OnBroker(ctx, client, id, kafka.APIListOffsets, func(b *sarama.Broker) (*sarama.OffsetResponse, error) {
		return b.GetAvailableOffsets(req)
	})
	if err != nil {
		return err
	}
	for _, ref := range refs {
		b := resp.GetBlock(ref.topic, ref.partition)
		switch {
		case b == nil:
			ref.entry.Err = sarama.ErrUnknownTopicOrPartition
		case b.Err != sarama.ErrNoError:
			ref.entry.Err = b.Err
		default:
			ref.entry.LogEnd, ref.entry.Known = blockOffset(b), true
		}
	}
	return nil
}

// setLeaderLogEnds copies each partition's leader's log end into its
// Offsets, once both the offsets and the log ends are read.
func setLeaderLogEnds(topics []snapshot.Topic) {
	for ti := range topics {
		for pi := range topics[ti].Partitions {
			p := &topics[ti].Partitions[pi]
			if p.Leader == snapshot.NoLeader {
				continue
			}
			for _, r := range p.LogEnds {
				if r.Broker == p.Leader && r.Known && !r.Stale {
					p.Offsets.LogEnd, p.Offsets.LogEndKnown = r.LogEnd, true
				}
			}
		}
	}
}

// keepLastAnswers gives the replicas whose live broker did not answer this
// poll the log end their broker answered at the previous poll (last), marked
// Stale. Replicas on brokers that are down have no entry and stay absent.
func keepLastAnswers(topics, last []snapshot.Topic) {
	if len(last) == 0 {
		return
	}
	lastPoll := &snapshot.Snapshot{Topics: last}
	for ti := range topics {
		t := &topics[ti]
		var lt *snapshot.Topic
		for pi := range t.Partitions {
			p := &t.Partitions[pi]
			for i := range p.LogEnds {
				r := &p.LogEnds[i]
				if r.Known || r.Err != sarama.ErrNoError {
					continue
				}
				if lt == nil {
					if lt = lastPoll.Topic(t.Name); lt == nil || !sameTopicID(lt, t) {
						break
					}
				}
				if lp := partitionOf(lt, p.ID); lp != nil {
					for _, x := range lp.LogEnds {
						if x.Broker == r.Broker && x.Known {
							r.LogEnd, r.Known, r.Stale = x.LogEnd, true, true
						}
					}
				}
			}
		}
	}
}

// sameTopicID reports whether a and b are the same topic, not one deleted
// and re-created under the same name (ids decide when both have one).
func sameTopicID(a, b *snapshot.Topic) bool {
	var zero [16]byte
	return a.ID == zero || b.ID == zero || a.ID == b.ID
}
