package report

import (
	"github.com/kafka-loss-exporter/kafka-loss-exporter/alerts"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/risk"
)

// The live-state risks: what a poll saw happening now, beside the
// configuration risks of the risk package.
const (
	// RiskOffline: the partition has no live leader.
	RiskOffline = "offline"
	// RiskUnderMinISR: a partition that lost replicas has fewer in sync
	// than min.insync.replicas.
	RiskUnderMinISR = "under_min_isr"
	// RiskSingleInSync: more than one replica, one in sync.
	RiskSingleInSync = "single_in_sync_replica"
	// RiskAtMinISR: a partition that lost replicas has exactly
	// min.insync.replicas in sync.
	RiskAtMinISR = "at_min_isr"
	// RiskUnderReplicated: fewer replicas in sync than assigned.
	RiskUnderReplicated = "under_replicated"
	// RiskBrokerDown: a broker that hosts replicas is not live.
	RiskBrokerDown = "broker_down"
	// RiskBehindLogStart: retention (or DeleteRecords) deleted messages
	// the group had not read.
	RiskBehindLogStart = "messages_behind_log_start"
	// RiskHeadroomLow: retention deletes unread messages of the group
	// within the hour.
	RiskHeadroomLow = "retention_headroom_low"
	// RiskBrokerUnresponsive: a broker let a request time out and has not
	// answered since (kafka_broker_responding 0): it is hung, not down.
	RiskBrokerUnresponsive = "broker_unresponsive"
	// RiskLeaderUnresponsive: the partition's leader is an unresponsive
	// broker (kafka_topic_partition_leader_unresponsive 1): writes stall.
	RiskLeaderUnresponsive = "leader_unresponsive"
	// RiskTransactionHanging: a transaction writing the topic is open past
	// its own transaction.timeout.ms (kafka_topic_hanging_transactions).
	RiskTransactionHanging = "transaction_hanging"
	// RiskTransactionOpenTooLong: the oldest open transaction writing the
	// topic is older than a minute
	// (kafka_topic_oldest_open_transaction_seconds).
	RiskTransactionOpenTooLong = "transaction_open_too_long"
	// RiskOffsetsExpiring: a group without active members, with unread
	// messages, loses its committed offsets within a day
	// (kafka_consumergroup_offsets_expiry_seconds).
	RiskOffsetsExpiring = "offsets_expiring"
	// RiskOffsetsExpiredUnread: Kafka deleted the group's committed offsets
	// while messages were unread, within the last 30 minutes
	// (kafka_consumergroup_expired_unread_messages_total).
	RiskOffsetsExpiredUnread = "offsets_expired_unread"
	// RiskSkippedMessages: the group's committed offsets moved past unread
	// messages within the last 30 minutes
	// (kafka_consumergroup_skipped_messages_total).
	RiskSkippedMessages = "skipped_messages"
	// RiskPartFailed: a part of the poll failed, so the findings that
	// need it are missing.
	RiskPartFailed = "poll_part_failed"
)

// rule is how a risk is reported: its severity, the one-line fix (a
// format with the subject's name where %s appears) and the alert whose
// runbook explains it.
type rule struct {
	severity Severity
	fix      string
	alert    string
}

// rules covers every risk the report can name; a test checks that each
// topic and cluster risk of the risk package has one and that each runbook
// exists.
var rules = map[string]rule{
	RiskOffline:         {Critical, "start the brokers of its replicas; an unclean election brings it back but loses acknowledged messages", "KafkaPartitionOffline"},
	RiskUnderMinISR:     {Critical, "bring the missing replicas back (restart their broker, check its disk and network): acks=all writes fail until then", "KafkaPartitionUnderMinISR"},
	RiskSingleInSync:    {Warning, "bring the out-of-sync replicas back before the one in-sync broker fails", "KafkaPartitionSingleInSyncReplica"},
	RiskAtMinISR:        {Warning, "bring the missing replica back: one more failure stops acks=all writes", "KafkaPartitionAtMinISR"},
	RiskUnderReplicated: {Warning, "bring the missing replica back (its broker is down or falling behind)", "KafkaPartitionUnderReplicated"},
	RiskBrokerDown:      {Warning, "restart the broker: its replicas are out of sync until it returns", "KafkaBrokerDown"},
	RiskBehindLogStart:  {Critical, "the deleted messages are gone for this group: restart its consumers, and raise the topic's retention.ms", "KafkaConsumerGroupRetentionLoss"},
	RiskHeadroomLow:     {Critical, "scale up or restart the group's consumers, or raise the topic's retention.ms, now", "KafkaConsumerGroupRetentionHeadroomLow"},
	RiskPartFailed:      {Warning, "give the exporter's principal access to the cluster (see the error): findings that need this part are missing", "KafkaLossExporterCollectorFailing"},

	RiskBrokerUnresponsive:     {Critical, "stop the hung broker (kill -TERM, then -KILL) so that its partitions elect new leaders, then find the cause", "KafkaBrokerUnresponsive"},
	RiskLeaderUnresponsive:     {Critical, "its leader is hung: stop that broker so that leadership moves to an in-sync replica", "KafkaBrokerUnresponsive"},
	RiskTransactionHanging:     {Critical, "abort it: kafka-transactions find-hanging, then kafka-transactions abort --topic %s --partition <p> --start-offset <offset>", "KafkaTransactionHanging"},
	RiskTransactionOpenTooLong: {Warning, "find its producer (kafka-transactions describe) and why it does not commit; restarting it aborts the transaction", "KafkaTransactionOpenTooLong"},
	RiskOffsetsExpiring:        {Warning, "start the group's consumers before then, or note its offsets (kafka-consumer-groups --describe) to restore them", "KafkaConsumerGroupOffsetsExpiring"},
	RiskOffsetsExpiredUnread:   {Critical, "set its position back before its consumers start: kafka-consumer-groups --reset-offsets --to-datetime <when it stopped>", "KafkaConsumerGroupOffsetsExpiredUnread"},
	RiskSkippedMessages:        {Critical, "if they must be processed: kafka-consumer-groups --reset-offsets --to-datetime <before the skip>, with no member", "KafkaConsumerGroupSkippedMessages"},

	risk.RiskReplicationFactorBelow3: {Warning, "add replicas on other brokers with kafka-reassign-partitions", "KafkaTopicLossRisk"},
	risk.RiskMinInsyncReplicasBelow2: {Warning, "kafka-configs --alter --entity-type topics --entity-name %s --add-config min.insync.replicas=2", "KafkaTopicLossRisk"},
	risk.RiskNoWriteFaultTolerance:   {Warning, "make the replication factor larger than min.insync.replicas (3 and 2)", "KafkaTopicLossRisk"},
	risk.RiskUncleanLeaderElection:   {Warning, "kafka-configs --alter --entity-type topics --entity-name %s --add-config unclean.leader.election.enable=false", "KafkaTopicLossRisk"},
	risk.RiskReplicasInOneRack:       {Warning, "reassign the replicas so that each partition spans racks (kafka-reassign-partitions)", "KafkaTopicLossRisk"},
	risk.RiskNonIdempotentWrites:     {Warning, "set enable.idempotence=true and acks=all in the topic's producers", "KafkaTopicLossRisk"},

	risk.ClusterRiskConsumerOffsetsRF:        {Warning, "reassign __consumer_offsets to 3 replicas and set offsets.topic.replication.factor=3", "KafkaClusterLossRisk"},
	risk.ClusterRiskConsumerOffsetsMinISR:    {Warning, "set min.insync.replicas=2 on __consumer_offsets (kafka-configs --entity-type topics)", "KafkaClusterLossRisk"},
	risk.ClusterRiskTransactionStateRF:       {Warning, "set transaction.state.log.replication.factor=3 (and reassign __transaction_state if it exists)", "KafkaClusterLossRisk"},
	risk.ClusterRiskTransactionStateMinISR:   {Warning, "set transaction.state.log.min.isr=2 (and min.insync.replicas=2 on __transaction_state)", "KafkaClusterLossRisk"},
	risk.ClusterRiskDefaultReplicationFactor: {Warning, "set default.replication.factor=3, or auto.create.topics.enable=false, on every broker", "KafkaClusterLossRisk"},
	risk.ClusterRiskUncleanDefault:           {Warning, "set unclean.leader.election.enable=false on every broker (kafka-configs --entity-type brokers)", "KafkaClusterLossRisk"},
	risk.ClusterRiskMinISRDefault:            {Warning, "set min.insync.replicas=2 on every broker (kafka-configs --entity-type brokers --entity-default)", "KafkaClusterLossRisk"},
	risk.ClusterRiskBrokersDisagree:          {Warning, "give every broker the same min.insync.replicas, unclean.leader.election.enable and default.replication.factor", "KafkaClusterLossRisk"},
}

// clusterDetails says what each cluster risk means, in one line.
var clusterDetails = map[string]string{
	risk.ClusterRiskConsumerOffsetsRF:        "__consumer_offsets has (or will be created with) fewer replicas than the policy's minimum",
	risk.ClusterRiskConsumerOffsetsMinISR:    "__consumer_offsets has min.insync.replicas below the policy's minimum: committed offsets can be lost",
	risk.ClusterRiskTransactionStateRF:       "__transaction_state has (or will be created with) fewer replicas than the policy's minimum",
	risk.ClusterRiskTransactionStateMinISR:   "__transaction_state has (or will be created with) min.insync.replicas below the policy's minimum",
	risk.ClusterRiskDefaultReplicationFactor: "auto.create.topics.enable is on with default.replication.factor below the minimum: a typo creates an unsafe topic",
	risk.ClusterRiskUncleanDefault:           "a broker's default unclean.leader.election.enable is true: topics without an override may truncate acked messages",
	risk.ClusterRiskMinISRDefault:            "a broker's default min.insync.replicas is below the minimum: topics without an override inherit it",
	risk.ClusterRiskBrokersDisagree:          "live brokers give topics different defaults: a topic's safety depends on which broker leads it",
}

// runbook returns the runbook URL of an alert.
func runbook(alert string) string { return alerts.RunbookBase + alert + ".md" }
