// Command setup creates the demo scenario on a local Kafka: a safe topic, an
// RF 1 topic, a topic with unclean leader election enabled, some traffic, and
// a consumer group that lags behind. It is idempotent.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/IBM/sarama"
)

type topic struct {
	name       string
	partitions int32
	rf         int16
	configs    map[string]*string
}

func str(s string) *string { return &s }

func main() {
	bootstrap := flag.String("bootstrap", "127.0.0.1:49091", "comma-separated Kafka bootstrap servers")
	flag.Parse()
	if err := run(strings.Split(*bootstrap, ",")); err != nil {
		fmt.Fprintln(os.Stderr, "demo setup:", err)
		os.Exit(1)
	}
}

func run(servers []string) error {
	conf := sarama.NewConfig()
	conf.Version = sarama.V3_6_0_0
	conf.ClientID = "kafka-loss-exporter-demo"
	conf.Producer.RequiredAcks = sarama.WaitForAll
	conf.Producer.Return.Successes = true
	client, err := sarama.NewClient(servers, conf)
	if err != nil {
		return err
	}
	defer client.Close()
	admin, err := sarama.NewClusterAdminFromClient(client)
	if err != nil {
		return err
	}
	topics := []topic{
		{"orders", 6, 3, map[string]*string{"min.insync.replicas": str("2")}},
		{"clickstream-rf1", 3, 1, nil},
		{"legacy-unclean", 3, 3, map[string]*string{"min.insync.replicas": str("2"), "unclean.leader.election.enable": str("true")}},
	}
	for _, t := range topics {
		err := admin.CreateTopic(t.name, &sarama.TopicDetail{NumPartitions: t.partitions, ReplicationFactor: t.rf, ConfigEntries: t.configs}, false)
		if err != nil && !errors.Is(err, sarama.ErrTopicAlreadyExists) {
			return fmt.Errorf("creating %s: %w", t.name, err)
		}
		fmt.Printf("topic %s: %d partitions, replication factor %d\n", t.name, t.partitions, t.rf)
	}
	if err := client.RefreshMetadata(); err != nil {
		return err
	}
	producer, err := sarama.NewSyncProducerFromClient(client)
	if err != nil {
		return err
	}
	defer producer.Close()
	msgs := make([]*sarama.ProducerMessage, 0, 600)
	for i := 0; i < 600; i++ {
		msgs = append(msgs, &sarama.ProducerMessage{Topic: "orders", Value: sarama.StringEncoder(fmt.Sprintf("order-%d", i))})
	}
	if err := producer.SendMessages(msgs); err != nil {
		return fmt.Errorf("producing to orders: %w", err)
	}
	// A group that read only the first 10 messages of each partition.
	om, err := sarama.NewOffsetManagerFromClient("billing", client)
	if err != nil {
		return err
	}
	for p := int32(0); p < 6; p++ {
		pom, err := om.ManagePartition("orders", p)
		if err != nil {
			return err
		}
		pom.MarkOffset(10, "")
		defer pom.Close()
	}
	om.Commit()
	fmt.Println("consumer group billing: committed offset 10 on every partition of orders (lagging)")
	return om.Close()
}
