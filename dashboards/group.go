package dashboards

// selG selects a metric of the chosen consumer groups.
func selG(metric string) string { return sel(metric, groupMatcher) }

// GroupDetail is the "Consumer group detail" dashboard: lag in messages and
// seconds, retention headroom, status, members, rebalances, committed vs
// latest offsets.
func GroupDetail() *Dashboard {
	l := &layout{}
	l.row("Status now")
	l.add(6, 5, textStat("Status",
		"The group's status over the last --group.status-window polls, worst over its partitions: OK; WARN (lag's "+
			"floor rising); REWIND (offsets went back: replay); SKIP (offsets moved past unread messages); STALL (members but no progress); STOP (no member "+
			"while messages wait). STALL and STOP end in retention deleting unread messages. Alerts "+
			"KafkaConsumerGroupStalled and KafkaConsumerGroupStopped.",
		query(selG("kafka_consumergroup_status")+" == 1", "{{consumergroup}}: {{status}}")))
	l.add(6, 5, textStat("State",
		"The coordinator's view of the group: Stable (consuming), PreparingRebalance/CompletingRebalance (not "+
			"consuming while it rebalances), Empty (no member: nobody reads, and retention deletes what waits), Dead.",
		query(selG("kafka_consumergroup_state")+" == 1", "{{consumergroup}}: {{state}}")))
	l.add(4, 5, stat("Members",
		"Consumers in the group. 0 while messages wait means nobody consumes, and retention will delete what it "+
			"has not read (status STOP).",
		"none", []Step{{Color: orange}, {Color: green, Value: ptr(1.0)}},
		query(selG("kafka_consumergroup_members"), "{{consumergroup}}")))
	retention := alert("KafkaConsumerGroupRetentionLoss")
	l.add(4, 5, stat("Lost to retention",
		"Messages retention deleted in the time range before the group read them: lost for this group. "+
			retention.Sentence(),
		"none", retention.Steps(),
		query("sum by (job, cluster, instance, consumergroup) (increase("+selG("kafka_consumergroup_retention_lost_messages_total")+
			"[$__range]))", "{{consumergroup}}")))
	l.add(4, 5, stat("Unassigned partitions",
		"Partitions of subscribed topics that no member of a Stable group is assigned: nobody reads them, so "+
			"their messages wait until retention deletes them.",
		"none", above(red, 1),
		query("sum by (job, cluster, instance, consumergroup) ("+selG("kafka_consumergroup_unassigned_partitions")+")",
			"{{consumergroup}}")))

	l.row("Offsets expiring, expired and skipped")
	expiring := alert("KafkaConsumerGroupOffsetsExpiring")
	l.add(8, 6, timeseries("Offsets expire in",
		"For a group with no member: time left before Kafka deletes its committed offsets "+
			"(offsets.retention.minutes after it became Empty). Then auto.offset.reset decides where it restarts: "+
			"with latest it skips every unread message. Absent when the exporter did not see the group leave. "+
			expiring.Sentence(),
		"s", expiring.Steps(), query(selG("kafka_consumergroup_offsets_expiry_seconds"), "{{consumergroup}}")))
	expired := alert("KafkaConsumerGroupOffsetsExpiredUnread")
	l.add(8, 6, minZero(timeseries("Unread when offsets expired",
		"Messages the group had not read when Kafka deleted its committed offsets, per 30 minutes: skipped on its "+
			"return with auto.offset.reset=latest. "+expired.Sentence(),
		"short", expired.Steps(),
		query("increase("+selG("kafka_consumergroup_expired_unread_messages_total")+"[30m])", "{{consumergroup}} {{topic}}"))))
	skipped := alert("KafkaConsumerGroupSkippedMessages")
	l.add(8, 6, minZero(timeseries("Skipped messages",
		"Messages the group's committed offset moved past while no member could read them (a reset to the log "+
			"end, a return after expiry), per 30 minutes: lost for this group, never processed. "+skipped.Sentence(),
		"short", skipped.Steps(),
		query("increase("+selG("kafka_consumergroup_skipped_messages_total")+"[30m])", "{{consumergroup}} {{topic}}"))))

	l.row("Lag and retention headroom")
	lag := alert("KafkaConsumerGroupLagHigh")
	l.add(12, 8, minZero(timeseries("Lag in seconds per partition",
		"Age of the oldest message the group has not consumed, per partition. When it reaches the topic's "+
			"retention, retention deletes unread messages. "+lag.Sentence(),
		"s", lag.Steps(), query(selG("kafka_consumergroup_lag_seconds"), "{{consumergroup}} {{topic}}/{{partition}}"))))
	headroom := alert("KafkaConsumerGroupRetentionHeadroomLow")
	l.add(12, 8, timeseries("Retention headroom per topic",
		"Time left before retention deletes messages the group has not read (retention.ms minus its lag in "+
			"seconds); negative: it already does. Size-based retention can make it shorter. "+headroom.Sentence(),
		"s", headroom.Steps(),
		query(selG("kafka_consumergroup_retention_headroom_seconds"), "{{consumergroup}} {{topic}}")))
	l.add(12, 8, minZero(timeseries("Lag in messages per partition",
		"Messages between the group's committed offset and the log end, per partition: what it still has to read. "+
			"Rising steadily means it consumes slower than producers write, until retention deletes what it has not read.",
		"short", noSteps(), query(selG("kafka_consumergroup_lag"), "{{consumergroup}} {{topic}}/{{partition}}"))))
	l.add(12, 8, minZero(timeseries("Committed vs latest offset per topic",
		"The group's committed offsets and the log end offsets, summed over each topic's partitions. The gap is "+
			"the lag; a committed line that stops moving while the latest one climbs is a stopped or stalled group, whose unread messages retention will delete.",
		"short", noSteps(),
		query(selG("kafka_consumergroup_current_offset_sum"), "committed {{consumergroup}} {{topic}}"),
		query(selG("kafka_consumergroup_current_offset_sum")+" + "+selG("kafka_consumergroup_lag_sum"),
			"latest {{topic}} ({{consumergroup}})"))))
	l.add(12, 8, minZero(timeseries("Messages behind log start",
		"Messages retention (or DeleteRecords) already deleted before the group read them, per partition: the "+
			"group's committed offset is below the log start. Anything above 0 is loss for this group.",
		"short", above(red, 1),
		query(selG("kafka_consumergroup_messages_behind_log_start"), "{{consumergroup}} {{topic}}/{{partition}}"))))
	storm := alert("KafkaConsumerGroupRebalanceStorm")
	l.add(12, 8, minZero(timeseries("Rebalances in 10 minutes",
		"Rebalances in the last 10 minutes (the alert's window). While the group rebalances it consumes nothing, and "+
			"consumers that commit before processing can skip messages: lost for the group. "+storm.Sentence(),
		"short", storm.Steps(),
		query("increase("+selG("kafka_consumergroup_rebalances_total")+"[10m])", "{{consumergroup}}"))))

	l.row("Per topic")
	topics := table("Status per topic",
		"For each topic the group reads: status, lag in messages and seconds, and retention headroom. STALL and "+
			"STOP on a topic with little headroom are the next messages to be lost. Click a topic for its detail.",
		"none", nil, []string{"", "lag", "lag seconds", "headroom"}, []string{"job"},
		tableQuery(selG("kafka_consumergroup_topic_status")+" == 1"),
		tableQuery(selG("kafka_consumergroup_lag_sum")),
		tableQuery(selG("kafka_consumergroup_max_lag_seconds")),
		tableQuery(selG("kafka_consumergroup_retention_headroom_seconds")))
	column(topics, "lag", "short", nil)
	column(topics, "lag seconds", "s", lag.Steps())
	column(topics, "headroom", "s", headroom.Steps())
	l.add(24, 8, linkColumn(topics, "topic", "Topic detail", TopicUID, "topic"))

	return newDashboard(GroupUID, "consumer-group-detail.json", "Kafka consumer group detail",
		"One consumer group: status, members, lag in messages and seconds per partition, retention headroom, "+
			"messages lost to retention, rebalances, committed vs latest offsets.", l, groupVariable())
}
