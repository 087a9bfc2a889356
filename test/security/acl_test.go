package security

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
)

// grant is one kafka-acls --add: operations on one resource.
type grant struct {
	resource   sarama.AclResourceType
	name       string // "kafka-cluster" for the cluster
	operations []sarama.AclOperation
}

// limitedACLs lack Describe on groups and DescribeConfigs on the cluster.
var limitedACLs = []grant{
	{sarama.AclResourceCluster, "kafka-cluster", []sarama.AclOperation{sarama.AclOperationDescribe}},
	{sarama.AclResourceTopic, "*", []sarama.AclOperation{sarama.AclOperationDescribe, sarama.AclOperationDescribeConfigs}},
}

// exporterACLs and canaryACLs are read from docs/security.md at start, so
// the tests prove the documented commands are enough.
var exporterACLs, canaryACLs []grant

func init() {
	var err error
	if exporterACLs, err = documentedACLs("User:"+userExporter, false); err != nil {
		panic(err)
	}
	if canaryACLs, err = documentedACLs("User:"+userExporter, true); err != nil {
		panic(err)
	}
}

// documentedACLs parses the kafka-acls.sh commands of docs/security.md that
// grant principal its permissions: the canary's, or all the others.
func documentedACLs(principal string, canary bool) ([]grant, error) {
	_, file, _, _ := runtime.Caller(0)
	path := filepath.Join(filepath.Dir(file), "..", "..", "docs", "security.md")
	doc, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	// Join continuation lines, then read each command.
	text := strings.ReplaceAll(string(doc), "\\\n", " ")
	ops := map[string]sarama.AclOperation{
		"Describe": sarama.AclOperationDescribe, "DescribeConfigs": sarama.AclOperationDescribeConfigs,
		"Read": sarama.AclOperationRead, "Write": sarama.AclOperationWrite, "Create": sarama.AclOperationCreate,
		"Alter": sarama.AclOperationAlter, "AlterConfigs": sarama.AclOperationAlterConfigs,
	}
	var out []grant
	for _, line := range strings.Split(text, "\n") {
		if !strings.HasPrefix(line, "kafka-acls.sh ") || !strings.Contains(line, "--allow-principal "+principal+" ") ||
			strings.Contains(line, "canary") != canary {
			continue
		}
		f := strings.Fields(strings.ReplaceAll(line, "'", ""))
		var g grant
		for i := 0; i < len(f); i++ {
			switch f[i] {
			case "--operation":
				i++
				op, ok := ops[f[i]]
				if !ok {
					return nil, fmt.Errorf("%s: unexpected operation %q in %q", path, f[i], line)
				}
				g.operations = append(g.operations, op)
			case "--cluster":
				g.resource, g.name = sarama.AclResourceCluster, "kafka-cluster"
			case "--topic":
				i++
				g.resource, g.name = sarama.AclResourceTopic, f[i]
			case "--group":
				i++
				g.resource, g.name = sarama.AclResourceGroup, f[i]
			case "--transactional-id":
				i++
				g.resource, g.name = sarama.AclResourceTransactionalID, f[i]
			}
		}
		if g.name == "" || len(g.operations) == 0 {
			return nil, fmt.Errorf("%s: cannot read %q", path, line)
		}
		out = append(out, g)
	}
	if want := map[bool]int{false: 5, true: 1}[canary]; len(out) != want {
		return nil, fmt.Errorf("%s: want %d kafka-acls.sh commands for %s (canary %v), found %d", path, want, principal, canary, len(out))
	}
	return out, nil
}

// createACLs grants principal the grants, allowed from any host.
func createACLs(admin sarama.ClusterAdmin, principal string, grants []grant) error {
	var acls []*sarama.ResourceAcls
	for _, g := range grants {
		ra := &sarama.ResourceAcls{Resource: sarama.Resource{ResourceType: g.resource, ResourceName: g.name, ResourcePatternType: sarama.AclPatternLiteral}}
		for _, op := range g.operations {
			ra.Acls = append(ra.Acls, &sarama.Acl{Principal: principal, Host: "*", Operation: op, PermissionType: sarama.AclPermissionAllow})
		}
		acls = append(acls, ra)
	}
	return admin.CreateACLs(acls)
}

// TestFewerPermissions runs the exporter as a principal without Describe
// on groups, without DescribeConfigs on the cluster and without Read on
// topics (producer side off): it must keep
// exporting what it may read, mark the collectors it could not complete,
// and count the refusals by resource type.
func TestFewerPermissions(t *testing.T) {
	requireSecured(t)
	t.Parallel()
	// The limited principal has no Read on topics either: the producer
	// side is turned off, as docs/security.md says for such principals.
	e := startExporter(t, exporterOpts{args: append(saslArgs(t, certs.CA, "scram-sha-512", userLimited, passwords.Limited), "--producers.poll.interval=0")})
	s := e.WaitFor(t, 60*time.Second, "refusals of groups and broker configuration counted", func(s *scrape) (bool, string) {
		g, _ := s.Value("kafka_loss_exporter_authorization_errors_total", map[string]string{"resource_type": "group"})
		c, _ := s.Value("kafka_loss_exporter_authorization_errors_total", map[string]string{"resource_type": "cluster"})
		// The refusals are counted as they happen; the poll's outcome is
		// published when the whole poll has run.
		up, _ := s.Value("kafka_loss_exporter_up", nil)
		return g > 0 && c > 0 && up == 1, fmt.Sprintf("group %v, cluster %v, up %v", g, c, up)
	})
	want := map[string]float64{"metadata": 1, "offsets": 1, "controller_quorum": 1, "configs": 0, "consumer_groups": 0}
	if _, ok := s.Value("kafka_loss_exporter_collector_success", map[string]string{"collector": "producers"}); ok {
		t.Errorf("the producers collector ran with --producers.poll.interval=0")
	}
	for c, w := range want {
		if v, _ := s.Value("kafka_loss_exporter_collector_success", map[string]string{"collector": c}); v != w {
			t.Errorf("collector_success{collector=%q} = %v, want %v", c, v, w)
		}
	}
	if v, _ := s.Value("kafka_loss_exporter_up", nil); v != 1 {
		t.Errorf("up = %v, want 1: the cluster was read", v)
	}
	if v, _ := s.Value("kafka_loss_exporter_authorization_errors_total", map[string]string{"resource_type": "topic"}); v != 0 {
		t.Errorf("topic authorization errors = %v, want 0 (topics are allowed)", v)
	}
	// What it may read is exported.
	for _, m := range []struct {
		name   string
		labels map[string]string
	}{
		{"kafka_topic_partition_current_offset", map[string]string{"topic": fixtureTopic, "partition": "0"}},
		{"kafka_topic_min_insync_replicas", map[string]string{"topic": fixtureTopic}},
		{"kafka_brokers", nil},
	} {
		if !s.Has(m.name, m.labels) {
			t.Errorf("no %s%v: what the principal may read must still be exported", m.name, m.labels)
		}
	}
	// What it may not read is absent, not made up.
	if s.Has("kafka_consumergroup_lag", map[string]string{"consumergroup": fixtureGroup}) {
		t.Errorf("kafka_consumergroup_lag of %s exported although the group may not be described", fixtureGroup)
	}
}

// TestCanaryLeastPrivilege runs the durability canary as the exporter's
// principal with the canary ACLs of docs/security.md: it must create its
// topic, write and read it back, with no finding about permissions, while
// every collector keeps succeeding.
func TestCanaryLeastPrivilege(t *testing.T) {
	requireSecured(t)
	t.Parallel()
	e := startExporter(t, exporterOpts{args: append(saslArgs(t, certs.CA, "scram-sha-512", userExporter, passwords.ExporterSCRAM),
		"--canary.enable", "--canary.interval=200ms")})
	s := e.WaitFor(t, 90*time.Second, "the canary up with messages acknowledged and read back", func(s *scrape) (bool, string) {
		up, _ := s.Value("kafka_canary_up", nil)
		acked, received := sumOf(s, "kafka_canary_messages_acked_total"), sumOf(s, "kafka_canary_messages_received_total")
		return up == 1 && acked > 0 && received > 0, fmt.Sprintf("up %v, acked %v, received %v", up, acked, received)
	})
	// Findings about permissions. (cannot_describe can be left over for a
	// minute from reading the configuration of the topic just created, before
	// every broker knows it; that is not about ACLs, which the log shows.)
	for _, f := range []string{"not_authorized", "cannot_create", "cannot_repair"} {
		if v, _ := s.Value("kafka_canary_topic_finding", map[string]string{"finding": f}); v != 0 {
			t.Errorf("kafka_canary_topic_finding{finding=%q} = %v, want 0", f, v)
		}
	}
	for _, line := range strings.Split(e.Logs(), "\n") {
		if strings.Contains(line, "component=canary") && (strings.Contains(line, "AUTHORIZATION") || strings.Contains(line, "authoriz")) {
			t.Errorf("the canary was refused something: %s", line)
		}
	}
	if v, _ := s.Value("kafka_canary_topic_finding", map[string]string{"finding": "cannot_describe"}); v != 0 {
		for _, line := range strings.Split(e.Logs(), "\n") {
			if strings.Contains(line, "component=canary") && strings.Contains(line, "level=warn") {
				t.Logf("canary: %s", line)
			}
		}
	}
	if v := sumOf(s, "kafka_canary_produce_errors_total"); v != 0 {
		t.Errorf("%v produce errors, want 0", v)
	}
	waitAllCollectorsOK(t, e)
}

// sumOf sums every series of a counter or gauge family.
func sumOf(s *scrape, name string) float64 {
	var sum float64
	for _, x := range s.Series(name) {
		sum += x.Value
	}
	return sum
}
