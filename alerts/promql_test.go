package alerts

import (
	"reflect"
	"testing"
	"time"
)

func TestMetricNames(t *testing.T) {
	cases := []struct {
		name, expr string
		want       []string
	}{
		{"selector", `kafka_broker_up == 0`, []string{"kafka_broker_up"}},
		{"matchers are not metrics", `kafka_consumergroup_status{status="STALL", consumergroup=~"a|b"} == 1`,
			[]string{"kafka_consumergroup_status"}},
		{"aggregation with grouping before", `sum without (partition) (kafka_topic_partition_offline) > 0`,
			[]string{"kafka_topic_partition_offline"}},
		{"aggregation with grouping after", `sum(kafka_topic_partition_offline) by (job, topic)`,
			[]string{"kafka_topic_partition_offline"}},
		{"functions and ranges", `increase(kafka_topic_truncated_messages_total[30m]) > 0`,
			[]string{"kafka_topic_truncated_messages_total"}},
		{"subquery and offset", `max_over_time(rate(x_total[5m])[1h:1m]) - y offset 1h`, []string{"x_total", "y"}},
		{"vector matching", `a > on (job, instance) group_left (topic) b and ignoring(consumergroup) c unless d or e`,
			[]string{"a", "b", "c", "d", "e"}},
		{"multi-line with time()", "time() - (\n  last > 0\n  or\n  (start and on (job, instance) last)\n) > 300",
			[]string{"last", "start"}},
		{"recorded series kept", `sum without (topic) (instance_topic:x:sum)`, []string{"instance_topic:x:sum"}},
		{"numbers and keywords", `x > bool 1e3 and y < Inf`, []string{"x", "y"}},
		{"strings", `label_replace(x, "dst", "$1", "src", "(.*)")`, []string{"x"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := MetricNames(c.expr); !reflect.DeepEqual(got, c.want) {
				t.Errorf("MetricNames(%q) = %q, want %q", c.expr, got, c.want)
			}
		})
	}
}

func TestShortenFor(t *testing.T) {
	in := `groups:
  - name: g
    rules:
      - alert: A
        expr: x > 0
        for: 15m
        annotations:
          description: for: 15m stays in text
      - alert: B
        expr: y > 0
        for: 2s
      - alert: C
        expr: z > 0
`
	want := `groups:
  - name: g
    rules:
      - alert: A
        expr: x > 0
        for: 5s
        annotations:
          description: for: 15m stays in text
      - alert: B
        expr: y > 0
        for: 2s
      - alert: C
        expr: z > 0
`
	if got := string(ShortenFor([]byte(in), 5*time.Second)); got != want {
		t.Errorf("ShortenFor:\n%s\nwant:\n%s", got, want)
	}
}

func TestMatcherLabels(t *testing.T) {
	got := MatcherLabels(`a{status="STALL", x=~"y|z"} == 1 and on (job) b{job!="n"} or a{w!~"v,}"}`)
	want := map[string][]string{"a": {"status", "w", "x"}, "b": {"job"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("MatcherLabels = %v, want %v", got, want)
	}
}
