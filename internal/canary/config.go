package canary

import (
	"time"

	"github.com/IBM/sarama"
)

// Producer settings: bounded retries so a failed produce is reported within
// seconds, never retried for minutes.
const (
	produceRetries      = 5
	produceRetryBackoff = 300 * time.Millisecond
	// maxInFlight bounds the messages of one partition sent and not yet
	// acknowledged or failed; the canary skips a partition's tick while it
	// is at the bound.
	maxInFlight = 30
)

// producerConfig derives the canary producer's sarama configuration from the
// exporter's (network, TLS, SASL, version): idempotent, acks=all, one request
// in flight per connection, bounded retries, explicit partitions.
func producerConfig(base *sarama.Config) *sarama.Config {
	c := clientConfig(base)
	c.ClientID = base.ClientID + "-canary-producer"
	c.Producer.Idempotent = true
	c.Producer.RequiredAcks = sarama.WaitForAll
	c.Net.MaxOpenRequests = 1
	c.Producer.Retry.Max = produceRetries
	c.Producer.Retry.Backoff = produceRetryBackoff
	c.Producer.Return.Successes = true
	c.Producer.Return.Errors = true
	c.Producer.Partitioner = sarama.NewManualPartitioner
	// The broker's wait for the in-sync replicas must end before the
	// client's read timeout does.
	c.Producer.Timeout = max(time.Second, base.Net.ReadTimeout*2/3)
	c.Producer.Flush.Frequency = 0
	return c
}

// consumerConfig is the configuration of the canary's consumer: no consumer
// group, errors returned, quick retries.
func consumerConfig(base *sarama.Config, interval time.Duration) *sarama.Config {
	c := clientConfig(base)
	c.ClientID = base.ClientID + "-canary-consumer"
	c.Consumer.Return.Errors = true
	c.Consumer.Retry.Backoff = 250 * time.Millisecond
	// A fetch returns as soon as a message arrives, so the wait does not
	// delay delivery; waiting about one interval makes it one fetch per
	// message per leader instead of two or more.
	c.Consumer.MaxWaitTime = max(100*time.Millisecond, min(interval, base.Net.ReadTimeout/2))
	return c
}

// adminConfig is the configuration of the topic manager's admin client. The
// admin needs the controller, which sarama learns from a metadata request
// for all topics; there is no background refresh (a topic check asks for
// the metadata it needs).
func adminConfig(base *sarama.Config) *sarama.Config {
	c := clientConfig(base)
	c.ClientID = base.ClientID + "-canary-admin"
	c.Metadata.Full = true
	c.Metadata.RefreshFrequency = 0
	c.Admin.Timeout = max(5*time.Second, base.Net.ReadTimeout)
	c.Admin.Retry.Max = 2
	return c
}

// clientConfig copies base with metadata settings fit for a long-lived
// client: refreshed every minute, never creating topics.
func clientConfig(base *sarama.Config) *sarama.Config {
	c := *base
	c.Metadata.Retry.Max = 3
	c.Metadata.Retry.Backoff = 250 * time.Millisecond
	c.Metadata.RefreshFrequency = time.Minute
	c.Metadata.Full = false
	c.Metadata.AllowAutoTopicCreation = false
	return &c
}
