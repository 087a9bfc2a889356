package fetch

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/kafka"
)

// describeRequests returns the DescribeConfigs requests a mock broker got.
func describeRequests(b *sarama.MockBroker) []*sarama.DescribeConfigsRequest {
	var out []*sarama.DescribeConfigsRequest
	for _, rr := range b.History() {
		if r, ok := rr.Request.(*sarama.DescribeConfigsRequest); ok {
			out = append(out, r)
		}
	}
	return out
}

// TestConfigsOneRequestPerBroker runs polls against three mock brokers and
// checks that a config read is one DescribeConfigs request per broker
// whatever the number of topics, that all topics go to the lowest-id
// broker, and that the next poll reuses the result.
func TestConfigsOneRequestPerBroker(t *testing.T) {
	brokers := []*sarama.MockBroker{sarama.NewMockBroker(t, 1), sarama.NewMockBroker(t, 2), sarama.NewMockBroker(t, 3)}
	metadata := sarama.NewMockMetadataResponse(t).SetController(1)
	for _, b := range brokers {
		defer b.Close()
		metadata.SetBroker(b.Addr(), b.BrokerID())
	}
	topics := []string{"audit", "orders", "payments", "t1", "t2", "t3", "t4", "t5"}
	for i, name := range topics {
		metadata.SetLeader(name, 0, int32(i%3+1))
	}
	for _, b := range brokers {
		b.SetHandlerByMap(map[string]sarama.MockResponse{
			"MetadataRequest":        metadata,
			"DescribeConfigsRequest": sarama.NewMockDescribeConfigsResponse(t),
		})
	}

	conf := sarama.NewConfig()
	conf.Version = sarama.V3_6_0_0
	conf.Net.ReadTimeout = 2 * time.Second
	conf.ApiVersionsRequest = false
	client := kafka.NewClient(conf, []string{brokers[0].Addr()}, nil)
	defer client.Close()
	f := New(client, Options{}, NewConfigs(client, time.Hour))

	for poll := 1; poll <= 2; poll++ {
		s, err := f.Fetch(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !s.Succeeded(CollectorConfigs) {
			c, _ := s.Collector(CollectorConfigs)
			t.Fatalf("poll %d: configs collector failed: %s", poll, c.Err)
		}
		if got := client.Requests.Total(kafka.APIDescribeConfigs); got != 3 {
			t.Fatalf("after poll %d: %d DescribeConfigs requests, want 3 (one per broker, then reused)", poll, got)
		}
		if len(s.Configs.Topics) != len(topics) || len(s.Configs.Brokers) != 3 {
			t.Fatalf("poll %d: configs of %d topics and %d brokers, want %d and 3", poll, len(s.Configs.Topics), len(s.Configs.Brokers), len(topics))
		}
		if v, ok := s.Configs.Topics["orders"].Get("retention.ms"); !ok || v.Value != "5000" {
			t.Fatalf("poll %d: orders retention.ms = %+v", poll, v)
		}
		if v, ok := s.Configs.Brokers[2].Get("min.insync.replicas"); !ok || v.Value != "2" {
			t.Fatalf("poll %d: broker 2 min.insync.replicas = %+v", poll, v)
		}
	}

	for i, b := range brokers {
		reqs := describeRequests(b)
		if len(reqs) != 1 {
			t.Fatalf("broker %d got %d DescribeConfigs requests, want 1", i+1, len(reqs))
		}
		var brokerRes, topicRes int
		for _, r := range reqs[0].Resources {
			switch r.Type {
			case sarama.BrokerResource:
				brokerRes++
				if r.Name != fmt.Sprint(b.BrokerID()) {
					t.Errorf("broker %d was asked for broker resource %q", b.BrokerID(), r.Name)
				}
			case sarama.TopicResource:
				topicRes++
			}
		}
		wantTopics := 0
		if i == 0 {
			wantTopics = len(topics)
		}
		if brokerRes != 1 || topicRes != wantTopics {
			t.Errorf("broker %d: %d broker and %d topic resources, want 1 and %d", b.BrokerID(), brokerRes, topicRes, wantTopics)
		}
	}
}

// TestConfigsCarriesResourceErrors checks that a per-resource error code (the
// mock answers 83 for every resource) is carried per resource and does
// not fail the step.
func TestConfigsCarriesResourceErrors(t *testing.T) {
	b := sarama.NewMockBroker(t, 1)
	defer b.Close()
	metadata := sarama.NewMockMetadataResponse(t).SetController(1).SetBroker(b.Addr(), 1).SetLeader("orders", 0, 1)
	b.SetHandlerByMap(map[string]sarama.MockResponse{
		"MetadataRequest":        metadata,
		"DescribeConfigsRequest": sarama.NewMockDescribeConfigsResponseWithErrorCode(t),
	})
	conf := sarama.NewConfig()
	conf.Version = sarama.V3_6_0_0
	conf.Net.ReadTimeout = 2 * time.Second
	conf.ApiVersionsRequest = false
	client := kafka.NewClient(conf, []string{b.Addr()}, nil)
	defer client.Close()
	s, err := New(client, Options{}, NewConfigs(client, time.Hour)).Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := kafka.ErrorName(sarama.KError(83))
	if got := s.Configs.Topics["orders"].Err; got != want {
		t.Errorf("topic error %q, want %q", got, want)
	}
	if got := s.Configs.Brokers[1].Err; got != want {
		t.Errorf("broker error %q, want %q", got, want)
	}
}

// TestConfigsTopicsFallBackToAnotherBroker: when the lowest-id broker cannot
// be reached, its own configuration carries the error and the topics are
// asked of the next broker, with one more request.
func TestConfigsTopicsFallBackToAnotherBroker(t *testing.T) {
	b1, b2, b3 := sarama.NewMockBroker(t, 1), sarama.NewMockBroker(t, 2), sarama.NewMockBroker(t, 3)
	defer b2.Close()
	defer b3.Close()
	metadata := sarama.NewMockMetadataResponse(t).SetController(2).
		SetBroker(b1.Addr(), 1).SetBroker(b2.Addr(), 2).SetBroker(b3.Addr(), 3).
		SetLeader("orders", 0, 2).SetLeader("audit", 0, 3)
	for _, b := range []*sarama.MockBroker{b2, b3} {
		b.SetHandlerByMap(map[string]sarama.MockResponse{
			"MetadataRequest":        metadata,
			"DescribeConfigsRequest": sarama.NewMockDescribeConfigsResponse(t),
		})
	}
	b1.Close() // listed in the metadata, but down

	conf := sarama.NewConfig()
	conf.Version = sarama.V3_6_0_0
	conf.Net.DialTimeout = time.Second
	conf.Net.ReadTimeout = 2 * time.Second
	conf.ApiVersionsRequest = false
	client := kafka.NewClient(conf, []string{b2.Addr()}, nil)
	defer client.Close()
	s, err := New(client, Options{}, NewConfigs(client, time.Hour)).Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if s.Succeeded(CollectorConfigs) {
		t.Fatal("configs collector succeeded although broker 1 is down")
	}
	if s.Configs.Brokers[1].Err == "" {
		t.Error("broker 1's configuration carries no error")
	}
	for _, topic := range []string{"orders", "audit"} {
		if rc := s.Configs.Topics[topic]; rc.Err != "" || len(rc.Entries) == 0 {
			t.Errorf("topic %s not read from another broker: %+v", topic, rc)
		}
	}
	if got := client.Requests.Total(kafka.APIDescribeConfigs); got != 4 {
		t.Errorf("%d DescribeConfigs requests sent, want 4 (the failed one to broker 1, brokers 2 and 3, then the topics again on broker 2)", got)
	}
}
