package dashboards

// UIDs of the dashboards (fixed, so links and bookmarks survive re-imports).
const (
	OverviewUID = "kle-loss-overview"
	TopicUID    = "kle-topic-detail"
	GroupUID    = "kle-consumer-group-detail"
	CanaryUID   = "kle-canary"
)

// perTarget sums a metric per exporter target (replica of a cluster).
func perTarget(expr string) string { return "sum by (" + byTarget + ") (" + expr + ")" }

// alertStat is a stat panel counting what an alert watches: its text ends
// with the alert's sentence and its thresholds are the alert's steps.
type alertStat struct {
	alert string
	width int
	title string
	text  string
	// expr is summed per exporter target.
	expr string
}

// alertStats adds one stat panel per entry, 5 high.
func (l *layout) alertStats(stats []alertStat) {
	for _, st := range stats {
		a := alert(st.alert)
		l.add(st.width, 5, stat(st.title, st.text+a.Sentence(), "none", a.Steps(), query(perTarget(st.expr), "{{instance}}")))
	}
}

// perCluster sums a metric per cluster, counting what two replicas of one
// cluster both report once (the larger value), as the alerts do.
func perCluster(expr string) string {
	return "sum by (job, cluster) (max without (instance, pod) (" + expr + "))"
}

// fleet is the overview's first row: one line per cluster (per job when
// no cluster label is attached) with what needs attention.
func fleet(l *layout) {
	l.row("Fleet: every cluster")
	t := table("Clusters",
		"One row per cluster (the cluster label attached to the exporter's targets; per job without one), the "+
			"replicas of one cluster counted once: loss-risk findings on topics and cluster-wide settings, "+
			"partitions under min.insync.replicas now, and the suspected unclean leader elections and truncated "+
			"(vanished) messages of the time range. Pick a cluster in the variable above to see it alone.",
		"none", nil,
		[]string{"topic findings", "cluster findings", "under min ISR", "unclean elections", "truncated messages"}, nil,
		tableQuery(perCluster(sel("kafka_topic_loss_risk"))),
		tableQuery(perCluster(sel("kafka_cluster_loss_risk"))),
		tableQuery(perCluster(sel("kafka_topic_under_min_isr_partitions"))),
		tableQuery(perCluster("increase("+sel("kafka_topic_unclean_leader_elections_suspected_total")+"[$__range])")),
		tableQuery(perCluster("increase("+sel("kafka_topic_truncated_messages_total")+"[$__range])")))
	column(t, "topic findings", "none", above(blue, 1))
	column(t, "cluster findings", "none", above(blue, 1))
	column(t, "under min ISR", "none", alert("KafkaPartitionUnderMinISR").Steps())
	column(t, "unclean elections", "none", alert("KafkaUncleanLeaderElectionSuspected").Steps())
	column(t, "truncated messages", "none", alert("KafkaMessagesTruncated").Steps())
	l.add(24, 6, t)
}

// Overview is the "Loss risk overview": are we losing messages, where, since
// when.
func Overview() *Dashboard {
	l := &layout{}
	fleet(l)
	l.row("Are messages being lost or at risk right now?")
	l.alertStats([]alertStat{
		{"KafkaPartitionOffline", 4, "Offline partitions",
			"Partitions with no live leader, summed over the cluster's topics. Producers cannot write to them (messages are " +
				"dropped once their retries run out) and consumers cannot read them; electing a stale replica to bring them " +
				"back loses acknowledged messages. ",
			sel("kafka_topic_offline_partitions")},
		{"KafkaPartitionUnderMinISR", 4, "Partitions under min ISR",
			"Partitions with fewer in-sync replicas than min.insync.replicas. acks=all producers get NOT_ENOUGH_REPLICAS " +
				"and drop messages when their retries run out; acks=0/1 producers write to fewer copies than promised. " +
				"Includes topics whose replication factor is below their min.insync.replicas (a configuration finding); " +
				"the alert only counts partitions that lost a replica. ",
			sel("kafka_topic_under_min_isr_partitions")},
		{"KafkaPartitionAtMinISR", 4, "Partitions at min ISR",
			"Partitions with exactly min.insync.replicas in-sync replicas: one more replica falling out of sync stops " +
				"acks=all writes, and producers drop messages when their retries run out. Always counts healthy partitions of topics whose replication factor equals their " +
				"min.insync.replicas (no write fault tolerance). ",
			sel("kafka_topic_at_min_isr_partitions")},
		{"KafkaPartitionUnderReplicated", 4, "Under-replicated partitions",
			"Partitions with fewer in-sync replicas than assigned replicas: new messages have fewer copies than " +
				"planned, so one more failure may block writes or lose data. Short blips during broker restarts are " +
				"normal. ",
			sel("kafka_topic_under_replicated_partitions")},
		{"KafkaPartitionSingleInSyncReplica", 4, "Single in-sync replica",
			"Partitions with more than one replica but only one in sync: their messages exist on one disk only, and " +
				"losing that broker or disk loses them for good. ",
			sel("kafka_topic_single_in_sync_replica_partitions")},
		{"KafkaBrokerDown", 4, "Brokers down",
			"Brokers that host replicas but are missing from the live broker list: every partition they host has one " +
				"copy fewer until they return. ",
			sel("kafka_broker_up") + " == bool 0"},
	})

	l.row("Loss that happened in the selected time range")
	l.alertStats([]alertStat{
		{"KafkaBrokerUnresponsive", 4, "Brokers not answering",
			"Brokers that are registered or host replicas but let the exporter's requests time out: hung, not down. " +
				"Writes to the partitions they lead stall, and producers drop messages when their retries run out, until " +
				"leadership moves. ",
			sel("kafka_broker_responding") + " == bool 0"},
		{"KafkaUncleanLeaderElectionSuspected", 4, "Suspected unclean elections",
			"Leader elections in the time range where the new leader was outside the previous ISR, or the high " +
				"watermark fell with the election: acknowledged messages the old leader had may be gone. ",
			"increase(" + sel("kafka_topic_unclean_leader_elections_suspected_total") + "[$__range])"},
		{"KafkaMessagesTruncated", 5, "Truncated messages",
			"Measured loss in the time range: offsets consumers could read that vanished because a partition's high " +
				"watermark went backwards (typically after an unclean election). ",
			"increase(" + sel("kafka_topic_truncated_messages_total") + "[$__range])"},
		{"KafkaConsumerGroupRetentionLoss", 5, "Messages lost to retention",
			"Messages retention deleted in the time range before a consumer group read them, summed over groups and " +
				"topics: they are gone for that group. ",
			"increase(" + sel("kafka_consumergroup_retention_lost_messages_total") + "[$__range])"},
		{"KafkaCanaryMessagesLost", 5, "Canary lost messages",
			"Messages the exporter's canary produced and had acknowledged (acks=all) but never read back within " +
				"--canary.loss-timeout, in the time range: end-to-end proof of loss on this cluster. Needs --canary.enable. ",
			"increase(" + sel("kafka_canary_messages_lost_total") + "[$__range])"},
	})
	l.add(5, 5, stat("Cluster-wide loss-risk findings",
		"Cluster-wide settings that make loss possible (internal topics' replication, broker defaults, brokers that "+
			"disagree): each one lets committed offsets, transactions or new topics' messages be lost when a broker "+
			"fails. Alert KafkaClusterLossRisk (info) lists them.",
		"none", above(blue, 1), query(perTarget(sel("kafka_cluster_loss_risk")), "{{instance}}")))

	l.row("Where: topics and consumer groups")
	risky := table("Riskiest topics",
		"Topics ranked by loss-risk score (0-100: 100 has an offline partition, 40 and more a partition under "+
			"min.insync.replicas; findings add up, see docs/risks.md), with each configuration finding. Click a topic "+
			"for its detail. Only topics with a score above 0 are listed: an empty table is an all-clear.",
		"none", nil, []string{"score", ""}, []string{"job"},
		tableQuery("topk(20, "+sel("kafka_topic_loss_risk_score")+" > 0)"),
		tableQuery(sel("kafka_topic_loss_risk")+" == 1 and on (job, cluster, instance, topic) topk(20, "+
			sel("kafka_topic_loss_risk_score")+" > 0)"))
	column(risky, "score", "none", above(yellow, 1, orange, 20, red, 40))
	l.add(12, 9, linkColumn(risky, "topic", "Topic detail", TopicUID, "topic"))
	headroomAlert := alert("KafkaConsumerGroupRetentionHeadroomLow")
	lagAlert := alert("KafkaConsumerGroupLagHigh")
	headroom := table("Least retention headroom",
		"Consumer groups closest to losing messages to retention: the time left before retention deletes messages "+
			"the group has not read (retention.ms minus the age of its oldest unread message), smallest first, with "+
			"that age. Negative headroom: retention already deletes unread messages. "+headroomAlert.Sentence()+" "+
			lagAlert.Sentence(),
		"s", nil, []string{"headroom", "max lag"}, []string{"job"},
		tableQuery("bottomk(20, "+sel("kafka_consumergroup_retention_headroom_seconds")+")"),
		tableQuery(sel("kafka_consumergroup_max_lag_seconds")+" and on (job, cluster, instance, consumergroup, topic) bottomk(20, "+
			sel("kafka_consumergroup_retention_headroom_seconds")+")"))
	column(headroom, "headroom", "s", headroomAlert.Steps())
	column(headroom, "max lag", "s", lagAlert.Steps())
	linkColumn(headroom, "consumergroup", "Consumer group detail", GroupUID, "consumergroup")
	l.add(12, 9, sortAscending(linkColumn(headroom, "topic", "Topic detail", TopicUID, "topic")))

	l.row("Since when: replication over time")
	l.add(12, 8, minZero(timeseries("Partitions in a risky state",
		"Partitions per state over time, summed over topics: when the cluster lost redundancy (under-replicated, "+
			"single in-sync replica), write availability for acks=all (at/under min ISR) or availability (offline). "+
			"The stats above carry the alert thresholds.",
		"none", noSteps(),
		query(perTarget(sel("kafka_topic_offline_partitions")), "offline {{instance}}"),
		query(perTarget(sel("kafka_topic_under_min_isr_partitions")), "under min ISR {{instance}}"),
		query(perTarget(sel("kafka_topic_at_min_isr_partitions")), "at min ISR {{instance}}"),
		query(perTarget(sel("kafka_topic_under_replicated_partitions")), "under-replicated {{instance}}"),
		query(perTarget(sel("kafka_topic_single_in_sync_replica_partitions")), "single in-sync replica {{instance}}"))))
	l.add(12, 8, minZero(timeseries("Out-of-sync replicas by broker",
		"Replicas hosted on each broker that are outside their partition's ISR: which broker is falling behind or "+
			"down, i.e. where the missing copies are.",
		"none", noSteps(), query(sel("kafka_broker_out_of_sync_replicas"), "broker {{id}} {{instance}}"))))
	l.add(12, 8, minZero(timeseries("ISR shrinks and expands",
		"Partitions losing (shrink) and regaining (expand) an in-sync replica, per second. Each shrink leaves new "+
			"messages with one copy fewer; shrinks and expands that keep alternating are a flapping replica "+
			"(alert KafkaPartitionISRFlapping).",
		"cps", noSteps(),
		query(perTarget("rate("+sel("kafka_topic_isr_shrinks_total")+"[$__rate_interval])"), "shrinks {{instance}}"),
		query(perTarget("rate("+sel("kafka_topic_isr_expands_total")+"[$__rate_interval])"), "expands {{instance}}"))))
	l.add(12, 8, minZero(timeseries("Leader changes",
		"Leader elections per second. Each election makes producers retry (acks=1 producers can lose what the old "+
			"leader had not replicated); a burst without a planned restart means brokers are failing.",
		"cps", noSteps(),
		query(perTarget("rate("+sel("kafka_topic_leader_changes_total")+"[$__rate_interval])"), "{{instance}}"))))

	l.row("Can we trust this dashboard? Exporter health")
	exporterDown := alert("KafkaLossExporterDown")
	l.add(6, 5, valueText(stat("Exporter up",
		"scrape: Prometheus can scrape the exporter; poll: the exporter's last poll read the cluster. While either is "+
			"DOWN every panel here is blind: no data is not an all-clear. "+exporterDown.Sentence(),
		"none", exporterDown.Steps(),
		query(sel("up"), "scrape {{instance}}"),
		query(sel("kafka_loss_exporter_up"), "poll {{instance}}")), map[string]string{"0": "DOWN", "1": "UP"}))
	stale := alert("KafkaLossExporterPollStale")
	l.add(6, 5, stat("Poll age",
		"Age of what the exporter shows: time since its last successful poll of the cluster. Above a few poll "+
			"intervals, losses happening now are not visible yet. "+stale.Sentence(),
		"s", stale.Steps(),
		query("time() - "+sel("kafka_loss_exporter_last_poll_success_timestamp_seconds"), "{{instance}}")))
	failing := alert("KafkaLossExporterCollectorFailing")
	l.add(12, 5, valueText(stat("Collectors",
		"Each part of the poll (metadata, offsets, configs, consumer groups...): FAIL means its metrics are missing "+
			"or incomplete, so panels and alerts built on them may stay silent while messages are lost. "+
			failing.Sentence(),
		"none", failing.Steps(),
		query(sel("kafka_loss_exporter_collector_success"), "{{collector}} {{instance}}")), map[string]string{"0": "FAIL", "1": "OK"}))

	return newDashboard(OverviewUID, "loss-risk-overview.json", "Kafka loss risk overview",
		"Are we losing Kafka messages, where, and since when? Partition states, loss events, the riskiest topics and "+
			"consumer groups, and the health of kafka-loss-exporter.", l)
}
