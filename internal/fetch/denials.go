package fetch

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/IBM/sarama"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/kafka"
)

// DeniedError is a step's error when Kafka refused to show it some resources
// (TOPIC_, GROUP_ or CLUSTER_AUTHORIZATION_FAILED) and everything else was
// read: the step is marked failed, since what it reports is incomplete, and
// the error says what the exporter could not see.
type DeniedError struct {
	// Counts is the number of distinct resources refused, by resource type.
	Counts map[string]int
	// Names lists up to maxDeniedNames refused resources per type, sorted.
	Names map[string][]string
}

// maxDeniedNames bounds the names an error lists per resource type.
const maxDeniedNames = 3

// deniedNoun names a resource type in the error, pluralised.
var deniedNoun = map[string]string{"topic": "topic(s)", "group": "group(s)", "cluster": "cluster resource(s)"}

func (e *DeniedError) Error() string {
	types := make([]string, 0, len(e.Counts))
	for rt := range e.Counts {
		types = append(types, rt)
	}
	sort.Strings(types)
	parts := make([]string, len(types))
	for i, rt := range types {
		noun := deniedNoun[rt]
		if noun == "" {
			noun = rt + "(s)"
		}
		names := strings.Join(e.Names[rt], ", ")
		if more := e.Counts[rt] - len(e.Names[rt]); more > 0 {
			names += fmt.Sprintf(" and %d more", more)
		}
		parts[i] = fmt.Sprintf("%d %s [%s]", e.Counts[rt], noun, names)
	}
	return "not authorized to read " + strings.Join(parts, ", ") + ": grant the exporter's principal the ACLs of docs/security.md"
}

// Unwrap gives the Kafka error of one refused resource type, so that
// errors.As finds a sarama.KError (TOPIC_, GROUP_ or
// CLUSTER_AUTHORIZATION_FAILED) in a step's error.
func (e *DeniedError) Unwrap() error {
	for _, rt := range []string{kafka.ResourceCluster, kafka.ResourceGroup, kafka.ResourceTopic} {
		if e.Counts[rt] > 0 {
			return deniedKError[rt]
		}
	}
	return nil
}

var deniedKError = map[string]error{
	kafka.ResourceCluster: sarama.ErrClusterAuthorizationFailed,
	kafka.ResourceGroup:   sarama.ErrGroupAuthorizationFailed,
	kafka.ResourceTopic:   sarama.ErrTopicAuthorizationFailed,
}

// denials collects the resources one step was refused, each counted once
// however many partitions or requests carried the refusal. It is safe for
// concurrent use by a step's parallel requests.
type denials struct {
	mu   sync.Mutex
	seen map[string]map[string]bool // resource type -> resource names
}

func newDenials() *denials { return &denials{seen: map[string]map[string]bool{}} }

// note records err if it is an authorization error about the named resource
// (a topic, a group, a broker id) and reports whether it was one.
func (d *denials) note(err error, name string) bool {
	rt, ok := kafka.AuthorizationResource(err)
	if !ok {
		return false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.seen[rt] == nil {
		d.seen[rt] = map[string]bool{}
	}
	d.seen[rt][name] = true
	return true
}

// finish adds the refused resources to the client's counter and returns a
// *DeniedError naming them, or nil when nothing was refused.
func (d *denials) finish(counter *kafka.AuthorizationCounts) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.seen) == 0 {
		return nil
	}
	e := &DeniedError{Counts: map[string]int{}, Names: map[string][]string{}}
	for rt, names := range d.seen {
		counter.Add(rt, len(names))
		e.Counts[rt] = len(names)
		sorted := make([]string, 0, len(names))
		for n := range names {
			sorted = append(sorted, n)
		}
		sort.Strings(sorted)
		e.Names[rt] = sorted[:min(len(sorted), maxDeniedNames)]
	}
	return e
}

// withDenied joins a step's request error and its denials into one error
// (nil when both are nil).
func withDenied(err, denied error) error {
	switch {
	case denied == nil:
		return err
	case err == nil:
		return denied
	}
	return fmt.Errorf("%w; %w", err, denied)
}

// configDenials records the resources a DescribeConfigs answer refused and
// returns their *DeniedError (nil when none was refused).
func configDenials(resp *sarama.DescribeConfigsResponse, counter *kafka.AuthorizationCounts) error {
	d := newDenials()
	for _, r := range resp.Resources {
		d.note(sarama.KError(r.ErrorCode), r.Name)
	}
	return d.finish(counter)
}
