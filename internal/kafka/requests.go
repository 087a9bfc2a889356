package kafka

import (
	"sort"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// Kafka API names, as the protocol guide spells them, used to count requests.
const (
	APIMetadata        = "Metadata"
	APIListOffsets     = "ListOffsets"
	APIDescribeConfigs = "DescribeConfigs"
	APIListGroups      = "ListGroups"
	APIDescribeGroups  = "DescribeGroups"
	APIOffsetFetch     = "OffsetFetch"
	APIFindCoordinator = "FindCoordinator"
	APIFetch           = "Fetch"
	// APIConsumerGroupDescribe describes KIP-848 consumer groups.
	APIConsumerGroupDescribe = "ConsumerGroupDescribe"
	// APIApiVersions is the request that probes a broker that stopped
	// answering (health.go).
	APIApiVersions = "ApiVersions"
	// APIDescribeProducers lists a partition's active producers (KIP-664).
	APIDescribeProducers = "DescribeProducers"
	// APIListTransactions lists the transactions a coordinator holds.
	APIListTransactions = "ListTransactions"
	// APIDescribeTransactions describes transactions at their coordinator.
	APIDescribeTransactions = "DescribeTransactions"
)

// selfPrefix is the prefix of the exporter's own metrics.
const selfPrefix = "kafka_loss_exporter_"

// bootstrapLabel is the broker label of requests to a bootstrap address,
// whose broker id is not known yet.
const bootstrapLabel = "bootstrap"

// requestDurationBuckets are the upper bounds, in seconds, of
// kafka_loss_exporter_kafka_request_duration_seconds. Few on purpose: the
// series count is brokers x APIs x (buckets + 3) (docs/metrics.md). The
// last ones bracket --kafka.timeout's usual values, so a request that timed
// out lands above them.
var requestDurationBuckets = []float64{0.005, 0.025, 0.1, 0.5, 2.5, 10}

// RequestCounts counts the Kafka requests the exporter sent, by API, and
// the connections it opened, as client_golang counters:
// kafka_loss_exporter_kafka_requests_total{api} and
// kafka_loss_exporter_kafka_connections_opened_total. It also times every
// request by broker and API (kafka_loss_exporter_kafka_request_duration_seconds).
// It is safe for concurrent use.
type RequestCounts struct {
	requests *prometheus.CounterVec
	opens    prometheus.Counter
	duration *prometheus.HistogramVec
}

// NewRequestCounts returns zeroed counters, registered with reg unless reg is
// nil.
func NewRequestCounts(reg prometheus.Registerer) *RequestCounts {
	r := &RequestCounts{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: selfPrefix + "kafka_requests_total",
			Help: "Number of Kafka requests the exporter sent, by API.",
		}, []string{"api"}),
		opens: prometheus.NewCounter(prometheus.CounterOpts{
			Name: selfPrefix + "kafka_connections_opened_total",
			Help: "Number of broker connections the exporter opened.",
		}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: selfPrefix + "kafka_request_duration_seconds",
			Help: "Time from sending a Kafka request to its answer, or to giving up on it (--kafka.timeout), in seconds, by broker id " +
				"(\"bootstrap\" before the first Metadata) and API. Requests not sent because the broker is unresponsive are not counted.",
			Buckets: requestDurationBuckets,
		}, []string{"broker", "api"}),
	}
	if reg != nil {
		reg.MustRegister(r.requests, r.opens, r.duration)
	}
	return r
}

func (r *RequestCounts) add(api string) { r.requests.WithLabelValues(api).Inc() }

func (r *RequestCounts) addOpen() { r.opens.Inc() }

// observe records how long one request to broker id (-1: a bootstrap
// address) took.
func (r *RequestCounts) observe(id int32, api string, d time.Duration) {
	broker := bootstrapLabel
	if id >= 0 {
		broker = strconv.Itoa(int(id))
	}
	r.duration.WithLabelValues(broker, api).Observe(d.Seconds())
}

// APICount is the number of requests sent for one API.
type APICount struct {
	API   string
	Count uint64
}

// Counts returns the requests sent so far, sorted by API name.
func (r *RequestCounts) Counts() []APICount {
	var out []APICount
	for _, m := range collect(r.requests) {
		out = append(out, APICount{API: m.GetLabel()[0].GetValue(), Count: uint64(m.GetCounter().GetValue())})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].API < out[j].API })
	return out
}

// Total returns the number of requests sent for one API.
func (r *RequestCounts) Total(api string) uint64 {
	for _, c := range r.Counts() {
		if c.API == api {
			return c.Count
		}
	}
	return 0
}

// ConnectionsOpened returns how many broker connections were opened.
func (r *RequestCounts) ConnectionsOpened() uint64 {
	var m dto.Metric
	if err := r.opens.Write(&m); err != nil {
		return 0
	}
	return uint64(m.GetCounter().GetValue())
}

// DurationCount returns how many requests to broker id for api were timed
// (-1: bootstrap addresses).
func (r *RequestCounts) DurationCount(id int32, api string) uint64 {
	broker := bootstrapLabel
	if id >= 0 {
		broker = strconv.Itoa(int(id))
	}
	for _, m := range collect(r.duration) {
		if labelValue(m, "broker") == broker && labelValue(m, "api") == api {
			return m.GetHistogram().GetSampleCount()
		}
	}
	return 0
}

// collect reads the current samples of a collector.
func collect(c prometheus.Collector) []*dto.Metric {
	ch := make(chan prometheus.Metric)
	go func() {
		c.Collect(ch)
		close(ch)
	}()
	var out []*dto.Metric
	for m := range ch {
		var d dto.Metric
		if err := m.Write(&d); err == nil {
			out = append(out, &d)
		}
	}
	return out
}

func labelValue(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}
