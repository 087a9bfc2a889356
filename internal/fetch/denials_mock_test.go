package fetch

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/kafka"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

// TestAuthorizationErrorsMarkCollectorsAndCount runs two polls against a
// mock broker that refuses the topic "secret", the group "secret-group" and
// the broker's own configuration, as a principal missing some ACLs sees it:
// everything else is still read, the refused parts carry their Kafka error
// as values, each affected collector reports failure naming what it could
// not see, and the authorization counter counts each refused resource once
// per read.
func TestAuthorizationErrorsMarkCollectorsAndCount(t *testing.T) {
	b := sarama.NewMockBroker(t, 1)
	defer b.Close()
	metadata := sarama.NewMockMetadataResponse(t).SetController(1).SetBroker(b.Addr(), 1).
		SetLeader("orders", 0, 1).SetLeader("secret", 0, 1)

	offsets := &sarama.OffsetResponse{Version: 6}
	offsets.AddTopicPartition("orders", 0, 42)
	offsets.AddTopicPartition("secret", 0, 0)
	offsets.Blocks["secret"][0].Err = sarama.ErrTopicAuthorizationFailed

	configs := &sarama.DescribeConfigsResponse{Version: 4, Resources: []*sarama.ResourceResponse{
		{Type: sarama.BrokerResource, Name: "1", ErrorCode: int16(sarama.ErrClusterAuthorizationFailed)},
		{Type: sarama.TopicResource, Name: "orders", Configs: []*sarama.ConfigEntry{{Name: "min.insync.replicas", Value: "2", Source: sarama.SourceTopic}}},
		{Type: sarama.TopicResource, Name: "secret", ErrorCode: int16(sarama.ErrTopicAuthorizationFailed)},
	}}

	describe := sarama.NewMockDescribeGroupsResponse(t).
		AddGroupDescription("app", &sarama.GroupDescription{GroupId: "app", State: "Empty", ProtocolType: "consumer"}).
		AddGroupDescription("secret-group", &sarama.GroupDescription{GroupId: "secret-group", Err: sarama.ErrGroupAuthorizationFailed})
	committed := &sarama.OffsetFetchResponse{Version: 8, Groups: []sarama.OffsetFetchResponseGroup{
		{GroupId: "app", Blocks: map[string]map[int32]*sarama.OffsetFetchResponseBlock{"orders": {0: {Offset: 40, LeaderEpoch: -1}}}},
		{GroupId: "secret-group", Err: sarama.ErrGroupAuthorizationFailed},
	}}

	b.SetHandlerByMap(map[string]sarama.MockResponse{
		"MetadataRequest":        metadata,
		"OffsetRequest":          sarama.NewMockWrapper(offsets),
		"DescribeConfigsRequest": sarama.NewMockWrapper(configs),
		"ListGroupsRequest":      sarama.NewMockListGroupsResponse(t).AddGroup("app", "consumer").AddGroup("secret-group", "consumer"),
		"DescribeGroupsRequest":  describe,
		"OffsetFetchRequest":     sarama.NewMockWrapper(committed),
	})

	conf := sarama.NewConfig()
	conf.Version = sarama.V3_6_0_0
	conf.Net.ReadTimeout = 2 * time.Second
	conf.ApiVersionsRequest = false
	client := kafka.NewClient(conf, []string{b.Addr()}, nil)
	defer client.Close()
	f := New(client, Options{}, NewOffsets(client), NewConfigs(client, time.Hour), NewConsumerGroups(client, GroupOptions{}))

	wantFailed := map[string]string{
		CollectorOffsets:        "1 topic(s) [secret]",
		CollectorConfigs:        "1 cluster resource(s) [broker 1 config], 1 topic(s) [secret]",
		CollectorConsumerGroups: "1 group(s) [secret-group]",
	}
	// Counts after each poll: the configuration is read once per hour, so
	// its refusals count once; offsets and groups are read every poll.
	wantCounts := []map[string]uint64{
		{kafka.ResourceTopic: 2, kafka.ResourceCluster: 1, kafka.ResourceGroup: 1},
		{kafka.ResourceTopic: 3, kafka.ResourceCluster: 1, kafka.ResourceGroup: 2},
	}
	for poll := range 2 {
		s, err := f.Fetch(context.Background())
		if err != nil {
			t.Fatalf("poll %d: %v", poll+1, err)
		}
		if !s.Succeeded(CollectorMetadata) {
			t.Errorf("poll %d: metadata failed", poll+1)
		}
		for name, what := range wantFailed {
			c, _ := s.Collector(name)
			if c.Success {
				t.Errorf("poll %d: collector %s succeeded, want failed (refused resources)", poll+1, name)
			}
			if !strings.Contains(c.Err, "not authorized to read "+what) || !strings.Contains(c.Err, "docs/security.md") {
				t.Errorf("poll %d: collector %s error %q, want it to name %q and point at docs/security.md", poll+1, name, c.Err, what)
			}
		}
		for rt, want := range wantCounts[poll] {
			if got := client.Denied.Total(rt); got != want {
				t.Errorf("poll %d: %s authorization errors = %d, want %d", poll+1, rt, got, want)
			}
		}

		// What was allowed is read; what was refused says why.
		if o := s.Topic("orders").Partitions[0].Offsets; !o.Known || o.Latest != 42 {
			t.Errorf("poll %d: orders offsets %+v, want known, latest 42", poll+1, o)
		}
		if o := s.Topic("secret").Partitions[0].Offsets; o.Known || !errors.Is(o.Err, sarama.ErrTopicAuthorizationFailed) {
			t.Errorf("poll %d: secret offsets %+v, want TOPIC_AUTHORIZATION_FAILED", poll+1, o)
		}
		if v, ok := s.Configs.Topics["orders"].Get("min.insync.replicas"); !ok || v.Value != "2" {
			t.Errorf("poll %d: orders min.insync.replicas = %+v, %v", poll+1, v, ok)
		}
		if e := s.Configs.Topics["secret"].Err; e != "TOPIC_AUTHORIZATION_FAILED" {
			t.Errorf("poll %d: secret config error %q", poll+1, e)
		}
		if e := s.Configs.Brokers[1].Err; e != "CLUSTER_AUTHORIZATION_FAILED" {
			t.Errorf("poll %d: broker 1 config error %q", poll+1, e)
		}
		groups := map[string]snapshot.Group{}
		for _, g := range s.Groups {
			groups[g.Name] = g
		}
		if g := groups["app"]; !g.OffsetsKnown || len(g.Offsets) != 1 || g.Err != nil {
			t.Errorf("poll %d: group app %+v, want its committed offset", poll+1, g)
		}
		if g := groups["secret-group"]; g.OffsetsKnown || !errors.Is(g.Err, sarama.ErrGroupAuthorizationFailed) {
			t.Errorf("poll %d: group secret-group %+v, want GROUP_AUTHORIZATION_FAILED", poll+1, g)
		}
	}
}

func TestAuthorizationResource(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{sarama.ErrTopicAuthorizationFailed, kafka.ResourceTopic},
		{sarama.ErrGroupAuthorizationFailed, kafka.ResourceGroup},
		{sarama.ErrClusterAuthorizationFailed, kafka.ResourceCluster},
		{errors.Join(errors.New("DescribeConfigs"), sarama.ErrClusterAuthorizationFailed), kafka.ResourceCluster},
		{sarama.ErrNoError, ""},
		{sarama.ErrSASLAuthenticationFailed, ""},
		{nil, ""},
	} {
		got, ok := kafka.AuthorizationResource(tc.err)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("AuthorizationResource(%v) = %q, %v; want %q", tc.err, got, ok, tc.want)
		}
	}
}

// TestDenialsCountEachResourceOnce checks that many partitions of one
// refused topic count as one refused topic.
func TestDenialsCountEachResourceOnce(t *testing.T) {
	d := newDenials()
	for range 5 {
		d.note(sarama.ErrTopicAuthorizationFailed, "orders")
	}
	for _, g := range []string{"d", "c", "b", "a"} {
		d.note(sarama.ErrGroupAuthorizationFailed, g)
	}
	d.note(sarama.ErrNotLeaderForPartition, "payments")
	counter := kafka.NewAuthorizationCounts(nil)
	var denied *DeniedError
	if err := d.finish(counter); !errors.As(err, &denied) || denied.Counts[kafka.ResourceTopic] != 1 {
		t.Fatalf("finish = %v, want one refused topic", err)
	}
	if got := counter.Total(kafka.ResourceTopic); got != 1 {
		t.Fatalf("counter = %d, want 1", got)
	}
	if rt, ok := kafka.AuthorizationResource(denied); !ok || rt != kafka.ResourceGroup {
		t.Fatalf("the error unwraps to %q, %v; want the group authorization error", rt, ok)
	}
	want := "not authorized to read 4 group(s) [a, b, c and 1 more], 1 topic(s) [orders]: grant the exporter's principal the ACLs of docs/security.md"
	if denied.Error() != want {
		t.Fatalf("error %q, want %q", denied.Error(), want)
	}
	if err := newDenials().finish(counter); err != nil {
		t.Fatalf("no refusals: finish = %v, want nil", err)
	}
}
