package fetch

import (
	"context"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/kafka"
)

// TestFetchBatchesPerLeader runs a whole poll against two sarama mock
// brokers and checks both what the snapshot holds and that ListOffsets went
// out twice per leader broker, not once per partition.
func TestFetchBatchesPerLeader(t *testing.T) {
	b1 := sarama.NewMockBroker(t, 1)
	b2 := sarama.NewMockBroker(t, 2)
	defer b1.Close()
	defer b2.Close()

	metadata := sarama.NewMockMetadataResponse(t).
		SetBroker(b1.Addr(), 1).
		SetBroker(b2.Addr(), 2).
		SetController(1).
		SetLeader("orders", 0, 1).
		SetLeader("orders", 1, 1).
		SetLeader("orders", 2, 2).
		SetLeader("audit", 0, 2)
	offsets := func() *sarama.MockOffsetResponse {
		return sarama.NewMockOffsetResponse(t).
			SetOffset("orders", 0, sarama.OffsetOldest, 3).SetOffset("orders", 0, sarama.OffsetNewest, 30).
			SetOffset("orders", 1, sarama.OffsetOldest, 0).SetOffset("orders", 1, sarama.OffsetNewest, 10).
			SetOffset("orders", 2, sarama.OffsetOldest, 7).SetOffset("orders", 2, sarama.OffsetNewest, 70).
			SetOffset("audit", 0, sarama.OffsetOldest, 1).SetOffset("audit", 0, sarama.OffsetNewest, 2)
	}
	for _, b := range []*sarama.MockBroker{b1, b2} {
		b.SetHandlerByMap(map[string]sarama.MockResponse{
			"MetadataRequest": metadata,
			"OffsetRequest":   offsets(),
		})
	}

	conf := sarama.NewConfig()
	conf.Version = sarama.V3_6_0_0
	conf.Net.ReadTimeout = 2 * time.Second
	conf.ApiVersionsRequest = false // the mock brokers do not negotiate versions
	client := kafka.NewClient(conf, []string{b1.Addr()}, nil)
	defer client.Close()
	f := New(client, Options{}, NewOffsets(client))

	s, err := f.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range s.Collectors {
		if !c.Success {
			t.Fatalf("collector %s failed: %s", c.Name, c.Err)
		}
	}
	if len(s.Brokers) != 2 || s.ControllerID != 1 {
		t.Fatalf("brokers %+v controller %d", s.Brokers, s.ControllerID)
	}
	orders := s.Topic("orders")
	if orders == nil || len(orders.Partitions) != 3 {
		t.Fatalf("orders: %+v", orders)
	}
	if o := orders.Partitions[2].Offsets; !o.Known || o.Oldest != 7 || o.Latest != 70 {
		t.Fatalf("orders/2 offsets %+v", o)
	}
	if o := s.Topic("audit").Partitions[0].Offsets; !o.Known || o.Latest != 2 {
		t.Fatalf("audit/0 offsets %+v", o)
	}
	if n := client.Requests.Total(kafka.APIMetadata); n != 1 {
		t.Errorf("Metadata requests: %d, want 1", n)
	}
	// Two leaders, two timestamps each: 4 ListOffsets for 4 partitions; the
	// count stays 4 however many partitions the leaders have.
	if n := client.Requests.Total(kafka.APIListOffsets); n != 4 {
		t.Errorf("ListOffsets requests: %d, want 4 (2 per leader broker)", n)
	}
}

// TestFetchWithoutCluster checks that a poll with no reachable broker fails
// cleanly, marks every collector failed and says why.
func TestFetchWithoutCluster(t *testing.T) {
	conf := sarama.NewConfig()
	conf.Net.DialTimeout = 500 * time.Millisecond
	client := kafka.NewClient(conf, []string{"127.0.0.1:1"}, nil)
	defer client.Close()
	f := New(client, Options{}, NewOffsets(client))
	s, err := f.Fetch(context.Background())
	if err == nil {
		t.Fatal("want an error")
	}
	if len(s.Collectors) != 2 || s.Collectors[0].Success || s.Collectors[1].Success || s.Collectors[1].Err == "" {
		t.Fatalf("collectors %+v", s.Collectors)
	}
	if len(s.Topics) != 0 {
		t.Fatal("a failed poll must hold no cluster state")
	}
}
