package dashboards

// selT selects a metric of the chosen topics.
func selT(metric string) string { return sel(metric, topicMatcher) }

// TopicDetail is the "Topic detail" dashboard: one topic's partition states,
// replication over time, settings and findings, produce rate, consumers.
func TopicDetail() *Dashboard {
	l := &layout{}
	l.row("Partition states now")
	l.add(3, 5, stat("Loss-risk score",
		"0-100: 0 meets the policy and is fully in sync, 100 has an offline partition, 40 and more a partition "+
			"under min.insync.replicas; configuration findings add up (docs/risks.md). The higher, the closer the "+
			"topic is to losing messages.",
		"none", above(yellow, 1, orange, 20, red, 40), query(selT("kafka_topic_loss_risk_score"), "{{topic}}")))
	l.add(3, 5, stat("Partitions",
		"Number of partitions of the topic: the denominator of the state panels. Each partition is a log of its own that can lose messages on its own.",
		"none", noSteps(), query(selT("kafka_topic_partitions"), "{{topic}}")))
	offline := alert("KafkaPartitionOffline")
	l.add(3, 5, stat("Offline",
		"Partitions without a live leader: no writes, no reads; bringing back a stale replica loses acknowledged "+
			"messages. "+offline.Sentence(),
		"none", offline.Steps(), query(selT("kafka_topic_offline_partitions"), "{{topic}}")))
	underMin := alert("KafkaPartitionUnderMinISR")
	l.add(3, 5, stat("Under min ISR",
		"Partitions with fewer in-sync replicas than min.insync.replicas: acks=all writes fail with "+
			"NOT_ENOUGH_REPLICAS and producers drop messages when their retries run out. "+underMin.Sentence(),
		"none", underMin.Steps(), query(selT("kafka_topic_under_min_isr_partitions"), "{{topic}}")))
	atMin := alert("KafkaPartitionAtMinISR")
	l.add(3, 5, stat("At min ISR",
		"Partitions with exactly min.insync.replicas in-sync replicas: one more replica out of sync stops acks=all "+
			"writes and producers drop messages when their retries run out. Always counts healthy partitions when the "+
			"replication factor equals min.insync.replicas. "+atMin.Sentence(),
		"none", atMin.Steps(), query(selT("kafka_topic_at_min_isr_partitions"), "{{topic}}")))
	single := alert("KafkaPartitionSingleInSyncReplica")
	l.add(3, 5, stat("Single in-sync replica",
		"Partitions whose messages exist on one disk only: losing that broker or disk loses them. "+single.Sentence(),
		"none", single.Steps(), query(selT("kafka_topic_single_in_sync_replica_partitions"), "{{topic}}")))
	urp := alert("KafkaPartitionUnderReplicated")
	l.add(3, 5, stat("Under-replicated",
		"Partitions with fewer in-sync than assigned replicas: new messages have fewer copies than planned. "+
			urp.Sentence(),
		"none", urp.Steps(), query(selT("kafka_topic_under_replicated_partitions"), "{{topic}}")))

	l.row("Settings and findings")
	settings := table("Effective settings",
		"The topic's effective loss-relevant configuration (topic override, else broker default). Replication "+
			"factor below 3, min.insync.replicas below 2 or unclean leader election enabled let acknowledged messages "+
			"be lost when a broker fails; retention deletes messages whether consumed or not (-1: infinite).",
		"none", nil,
		[]string{"replication factor", "min.insync.replicas", "unclean election", "retention", "retention bytes"},
		[]string{"job"},
		tableQuery(selT("kafka_topic_replication_factor")),
		tableQuery(selT("kafka_topic_min_insync_replicas")),
		tableQuery(selT("kafka_topic_unclean_leader_election_enabled")),
		tableQuery(selT("kafka_topic_retention_seconds")),
		tableQuery(selT("kafka_topic_retention_bytes")))
	column(settings, "replication factor", "none", []Step{{Color: red}, {Color: green, Value: ptr(3.0)}})
	column(settings, "min.insync.replicas", "none", []Step{{Color: red}, {Color: green, Value: ptr(2.0)}})
	column(settings, "unclean election", "none", above(red, 1))
	column(settings, "retention", "s", nil)
	column(settings, "retention bytes", "bytes", nil)
	l.add(14, 6, settings)
	l.add(10, 6, table("Loss-risk findings",
		"Configuration and placement findings that make loss possible (replication_factor_below_3, "+
			"min_insync_replicas_below_2, no_write_fault_tolerance, unclean_leader_election_enabled, "+
			"replicas_in_one_rack, non_idempotent_writes); docs/risks.md explains each and its fix. Alert KafkaTopicLossRisk (info). An "+
			"empty table means no finding.",
		"none", nil, []string{""}, []string{"job"}, tableQuery(selT("kafka_topic_loss_risk")+" == 1")))

	l.row("Replication over time")
	l.add(12, 8, minZero(timeseries("In-sync replicas per partition",
		"In-sync replicas of each partition over time, with the topic's min.insync.replicas: an acknowledged "+
			"(acks=all) message exists on this many brokers. Below min.insync.replicas acks=all writes fail; at 1 "+
			"one disk holds the only copy. With --partition.series=at-risk only partitions that are not fully in "+
			"sync have a series.",
		"none", noSteps(),
		query(selT("kafka_topic_partition_in_sync_replica"), "{{topic}}/{{partition}}"),
		query(selT("kafka_topic_min_insync_replicas"), "{{topic}} min.insync.replicas"))))
	l.add(12, 8, minZero(timeseries("Partitions by state",
		"The topic's partitions per state over time: since when it has been at risk of losing messages (the state panels above say what each state loses).",
		"none", noSteps(),
		query(selT("kafka_topic_offline_partitions"), "offline {{topic}}"),
		query(selT("kafka_topic_under_min_isr_partitions"), "under min ISR {{topic}}"),
		query(selT("kafka_topic_at_min_isr_partitions"), "at min ISR {{topic}}"),
		query(selT("kafka_topic_under_replicated_partitions"), "under-replicated {{topic}}"),
		query(selT("kafka_topic_single_in_sync_replica_partitions"), "single in-sync replica {{topic}}"))))
	l.add(12, 8, minZero(timeseries("ISR changes and leader elections",
		"Per second: ISR shrinks (a copy of new messages fewer), expands (a replica caught up) and leader elections "+
			"(producers retry; acks=1 writes the old leader had not replicated are lost).",
		"cps", noSteps(),
		query("rate("+selT("kafka_topic_isr_shrinks_total")+"[$__rate_interval])", "shrinks {{topic}}"),
		query("rate("+selT("kafka_topic_isr_expands_total")+"[$__rate_interval])", "expands {{topic}}"),
		query("rate("+selT("kafka_topic_leader_changes_total")+"[$__rate_interval])", "leader changes {{topic}}"))))
	truncated := alert("KafkaMessagesTruncated")
	l.add(12, 8, minZero(timeseries("Loss events",
		"Messages that vanished from the log (high watermark went backwards) and suspected unclean leader "+
			"elections, per poll interval: measured loss and its usual cause. "+truncated.Sentence(),
		"none", truncated.Steps(),
		query("increase("+selT("kafka_topic_truncated_messages_total")+"[$__rate_interval])", "truncated {{topic}}"),
		query("increase("+selT("kafka_topic_unclean_leader_elections_suspected_total")+"[$__rate_interval])",
			"unclean elections {{topic}}"))))

	l.row("Producers and transactions")
	l.add(4, 8, stat("Idempotent producers",
		"Active idempotent or transactional producers of the topic (DescribeProducers, read every "+
			"--producers.poll.interval). 0 on a topic that is written means its writers are not idempotent: retries "+
			"may duplicate or reorder messages and acks=0 or 1 loses acknowledged messages when a leader fails "+
			"(finding non_idempotent_writes, docs/risks.md).",
		"none", []Step{{Color: orange}, {Color: green, Value: ptr(1.0)}},
		query(selT("kafka_topic_idempotent_producers"), "{{topic}}")))
	hanging := alert("KafkaTransactionHanging")
	l.add(4, 8, stat("Hanging transactions",
		"Transactions writing the topic that are open past their own transaction.timeout.ms: read_committed "+
			"consumers, compaction and retention are stuck behind them until they are aborted. "+hanging.Sentence(),
		"none", hanging.Steps(), query(selT("kafka_topic_hanging_transactions"), "{{topic}}")))
	openTxn := alert("KafkaTransactionOpenTooLong")
	l.add(8, 8, minZero(timeseries("Oldest open transaction",
		"Age of the oldest open transaction writing the topic, as of the last producer-side read; no line means "+
			"none is open. read_committed consumers see nothing written after it began; if it never ends, "+
			"retention deletes messages they have not read. "+openTxn.Sentence(),
		"s", openTxn.Steps(), query(selT("kafka_topic_oldest_open_transaction_seconds"), "{{topic}}"))))
	l.add(8, 8, minZero(timeseries("Messages hidden from read_committed consumers",
		"High watermark minus last stable offset per partition: messages read_committed consumers cannot read yet "+
			"because a transaction before them is open; while it grows, retention may delete messages they never read. "+
			"Only partitions with a transactional producer have a line.",
		"short", noSteps(),
		query(selT("kafka_topic_partition_last_stable_offset_lag"), "{{topic}}/{{partition}}"))))

	l.row("Producers and consumers")
	l.add(8, 8, minZero(timeseries("Produce rate",
		"Messages appended per second (from the partitions' latest offsets, not from producers): what is at stake "+
			"when the topic loses a replica, and what a lagging consumer must catch up with. A drop to 0 while "+
			"partitions are offline or under min ISR is producers failing to write.",
		"cps", noSteps(),
		query("sum by (job, cluster, instance, topic) (rate("+selT("kafka_topic_messages_in_total")+"[$__rate_interval]))",
			"{{topic}}"))))
	lag := alert("KafkaConsumerGroupLagHigh")
	l.add(8, 8, minZero(timeseries("Consumer lag in seconds",
		"Age of the oldest message each consumer group has not consumed from the topic. Retention deletes messages "+
			"older than retention.ms whether read or not, so this must stay well below the topic's retention. "+
			lag.Sentence(),
		"s", lag.Steps(), query(selT("kafka_consumergroup_max_lag_seconds"), "{{consumergroup}} {{topic}}"))))
	headroom := alert("KafkaConsumerGroupRetentionHeadroomLow")
	l.add(8, 8, timeseries("Retention headroom",
		"Time left before retention deletes messages each consumer group has not read yet (retention.ms minus the "+
			"group's lag in seconds); below 0 it already does. "+headroom.Sentence(),
		"s", headroom.Steps(),
		query(selT("kafka_consumergroup_retention_headroom_seconds"), "{{consumergroup}} {{topic}}")))
	groups := table("Consumer groups on this topic",
		"Every consumer group with committed offsets on the topic: lag in messages and seconds, retention headroom "+
			"(time before unread messages are deleted) and status (STOP: no consumer while messages wait; STALL: "+
			"consumers do not progress). Click a group for its detail.",
		"none", nil, []string{"lag", "lag seconds", "headroom", ""}, []string{"job"},
		tableQuery(selT("kafka_consumergroup_lag_sum")),
		tableQuery(selT("kafka_consumergroup_max_lag_seconds")),
		tableQuery(selT("kafka_consumergroup_retention_headroom_seconds")),
		tableQuery(selT("kafka_consumergroup_topic_status")+" == 1"))
	column(groups, "lag", "short", nil)
	column(groups, "lag seconds", "s", lag.Steps())
	column(groups, "headroom", "s", headroom.Steps())
	l.add(24, 8, linkColumn(groups, "consumergroup", "Consumer group detail", GroupUID, "consumergroup"))

	return newDashboard(TopicUID, "topic-detail.json", "Kafka topic detail",
		"One topic: partition states now and over time, in-sync replicas per partition, effective settings and "+
			"loss-risk findings, produce rate, and the consumer groups reading it.", l, topicVariable())
}
