package fetch

import "github.com/IBM/sarama"

// since is one row of a request's version table: from Kafka version kafka
// on, the exporter sends request version version (sarama refuses to send a
// version newer than the configured --kafka.version allows).
type since struct {
	kafka   sarama.KafkaVersion
	version int16
}

// requestVersion is the version of the first row (newest first) that v
// reaches, oldest when it reaches none.
func requestVersion(v sarama.KafkaVersion, oldest int16, rows ...since) int16 {
	for _, r := range rows {
		if v.IsAtLeast(r.kafka) {
			return r.version
		}
	}
	return oldest
}

// listGroupsVersion: v4 (2.6) adds the group state, v5 (3.8) the group type.
func listGroupsVersion(v sarama.KafkaVersion) int16 {
	return requestVersion(v, 1, since{sarama.V3_8_0_0, 5}, since{sarama.V2_6_0_0, 4}, since{sarama.V2_4_0_0, 3}, since{sarama.V2_0_0_0, 2})
}

// describeGroupsVersion: v4 (2.4) adds static member instance ids.
func describeGroupsVersion(v sarama.KafkaVersion) int16 {
	return requestVersion(v, 1, since{sarama.V2_4_0_0, 5}, since{sarama.V2_3_0_0, 3}, since{sarama.V2_0_0_0, 2})
}

// describeConfigsVersion: v1 (1.1) adds config sources.
func describeConfigsVersion(v sarama.KafkaVersion) int16 {
	return requestVersion(v, 0, since{sarama.V2_8_0_0, 4}, since{sarama.V2_6_0_0, 3}, since{sarama.V2_0_0_0, 2}, since{sarama.V1_1_0_0, 1})
}
