package main

import (
	"regexp"

	"github.com/IBM/sarama"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/consumers"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/fetch"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/kafka"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/risk"
)

// kafkaSettings are the flags that say how to read and judge the cluster,
// checked and compiled; serve and audit share them.
type kafkaSettings struct {
	sarama                    *sarama.Config
	topicFilter, topicExclude *regexp.Regexp
	riskPolicy                risk.Policy
	groups                    fetch.GroupOptions
}

// readKafkaSettings reads the password file, builds the sarama config,
// compiles the filters and loads the policy file; every error names its
// flag and is a usage error.
func readKafkaSettings(f *flags, lookupEnv func(string) (string, bool)) (*kafkaSettings, error) {
	if err := f.sasl.apply(&f.kafka, lookupEnv); err != nil {
		return nil, err
	}
	st := &kafkaSettings{}
	var err error
	if st.sarama, err = f.kafka.SaramaConfig(); err != nil {
		return nil, flagError(err)
	}
	if st.topicFilter, err = compileFilter("topic.filter", f.topicFilter); err != nil {
		return nil, err
	}
	if st.topicExclude, err = compileFilter("topic.exclude", f.topicExclude); err != nil {
		return nil, err
	}
	if st.riskPolicy, err = loadRiskPolicy(f.riskConfigFile); err != nil {
		return nil, err
	}
	if st.groups, err = f.consumer.groupOptions(); err != nil {
		return nil, err
	}
	return st, nil
}

// pollSteps are the fetch steps after Metadata that every poll runs.
func pollSteps(client *kafka.Client, f *flags, groups fetch.GroupOptions) []fetch.Step {
	steps := []fetch.Step{
		fetch.NewOffsets(client),
		fetch.NewConfigs(client, f.configPollInterval),
		fetch.NewElections(client),
		fetch.NewReassignments(client),
		fetch.NewConsumerGroups(client, groups),
		fetch.NewControllerQuorum(client),
	}
	if f.producersPollInterval > 0 {
		steps = append(steps, fetch.NewProducers(client, f.producersPollInterval))
	}
	return steps
}

// trackerOptions are the consumer tracker's settings.
func (f *consumerFlags) trackerOptions() consumers.Options {
	return consumers.Options{TablePoints: f.tablePoints, StatusWindow: f.statusWindow, ReadTimestamps: f.readTimestamps}
}
