package fetch

import "github.com/IBM/sarama"

// listGroupsVersion is the highest ListGroups version the configured Kafka
// version allows (sarama refuses to send a newer one): v4 (2.6) adds the
// group state, v5 (3.8) the group type.
func listGroupsVersion(v sarama.KafkaVersion) int16 {
	switch {
	case v.IsAtLeast(sarama.V3_8_0_0):
		return 5
	case v.IsAtLeast(sarama.V2_6_0_0):
		return 4
	case v.IsAtLeast(sarama.V2_4_0_0):
		return 3
	case v.IsAtLeast(sarama.V2_0_0_0):
		return 2
	}
	return 1
}

// describeGroupsVersion is the highest DescribeGroups version the
// configured Kafka version speaks (v4, 2.4: static member instance ids).
func describeGroupsVersion(v sarama.KafkaVersion) int16 {
	switch {
	case v.IsAtLeast(sarama.V2_4_0_0):
		return 5
	case v.IsAtLeast(sarama.V2_3_0_0):
		return 3
	case v.IsAtLeast(sarama.V2_0_0_0):
		return 2
	}
	return 1
}
