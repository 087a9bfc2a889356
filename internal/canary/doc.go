// Package canary is the end-to-end durability canary: it writes sequence-
// numbered messages to its own topic with an idempotent acks=all producer,
// reads them back, and counts the acknowledged messages that never arrive
// (lost), arrive twice (duplicated) or arrive out of order.
//
// The pieces, one per file: the message codec (codec.go), the topic layout
// plan (layout.go, pure), the topic manager that creates and repairs the
// topic (topic.go), the loss detector (detector.go, pure), the producer
// (producer.go), the consumer (consumer.go), the metrics (metrics.go) and
// the runner that ties them together (canary.go).
package canary
