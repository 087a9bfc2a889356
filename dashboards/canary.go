package dashboards

// canaryRate is the per-second rate of a canary counter per exporter target.
func canaryRate(metric string) string {
	return perTarget("rate(" + sel(metric) + "[$__rate_interval])")
}

// canaryQuantile is a latency percentile of a canary histogram per target.
func canaryQuantile(q, metric string) string {
	return "histogram_quantile(" + q + ", sum by (job, cluster, instance, le) (rate(" + sel(metric+"_bucket") +
		"[$__rate_interval])))"
}

// Canary is the "Canary" dashboard: messages the exporter itself produces
// and reads back, the end-to-end proof that the cluster keeps what it
// acknowledges.
func Canary() *Dashboard {
	l := &layout{}
	l.row("Does the cluster keep what it acknowledges?")
	down := alert("KafkaCanaryDown")
	l.add(4, 5, valueText(stat("Canary up",
		"1 when the canary topic is usable and the canary produces and consumes. While it is DOWN the canary "+
			"proves nothing: a loss would go unseen. "+down.Sentence(),
		"none", down.Steps(), query(sel("kafka_canary_up"), "{{instance}}")), map[string]string{"0": "DOWN", "1": "UP"}))
	lost := alert("KafkaCanaryMessagesLost")
	l.add(4, 5, stat("Lost",
		"Canary messages acknowledged by the cluster (acks=all) but never read back within --canary.loss-timeout, in "+
			"the time range: acknowledged messages the cluster lost. Any is an incident. "+lost.Sentence(),
		"none", lost.Steps(), query(perTarget("increase("+sel("kafka_canary_messages_lost_total")+"[$__range])"), "{{instance}}")))
	l.add(4, 5, stat("Duplicated",
		"Canary messages read back more than once in the time range: producer retries without idempotence or "+
			"consumer replays. Not loss, but the same failures (leader changes, timeouts) cause both.",
		"none", above(orange, 1), query(perTarget("increase("+sel("kafka_canary_messages_duplicated_total")+"[$__range])"), "{{instance}}")))
	l.add(4, 5, stat("Out of order",
		"Canary messages read back out of their produce order within a partition in the time range: retries "+
			"reordered writes, the sign of a leader change under load. Not loss by itself, but the same retries are "+
			"when producers without idempotence lose or duplicate messages.",
		"none", above(orange, 1), query(perTarget("increase("+sel("kafka_canary_messages_out_of_order_total")+"[$__range])"), "{{instance}}")))
	l.add(4, 5, stat("Since last message read",
		"Time since the canary last read back one of its messages, on its slowest partition. Growing while the "+
			"canary sends means its messages are not coming back: they are delayed, or lost once "+
			"--canary.loss-timeout passes.",
		"s", noSteps(),
		query("max by (job, cluster, instance) (time() - "+sel("kafka_canary_last_received_timestamp_seconds")+")", "{{instance}}")))

	l.add(4, 5, stat("Canary topic findings",
		"Problems of the canary topic itself (replication factor below 3, min.insync.replicas below 2, unclean "+
			"election enabled, replicas not spread over racks, a broker leading none of its partitions, cannot "+
			"create, describe or repair it): a canary on an unsafe topic can lose messages that real topics keep, "+
			"or miss brokers that lose them.",
		"none", above(orange, 1), query(perTarget(sel("kafka_canary_topic_finding")), "{{instance}}")))

	l.row("Flow and errors")
	l.add(12, 8, minZero(timeseries("Canary messages",
		"Canary messages per second: sent, acknowledged by the cluster, read back, and lost. Acked below sent means "+
			"writes fail (see produce errors); received below acked for longer than the loss timeout ends as lost.",
		"cps", noSteps(),
		query(canaryRate("kafka_canary_messages_sent_total"), "sent {{instance}}"),
		query(canaryRate("kafka_canary_messages_acked_total"), "acked {{instance}}"),
		query(canaryRate("kafka_canary_messages_received_total"), "received {{instance}}"),
		query(canaryRate("kafka_canary_messages_lost_total"), "lost {{instance}}"))))
	l.add(12, 8, minZero(timeseries("Produce errors by error",
		"Canary writes the cluster refused, per Kafka error per second: NOT_ENOUGH_REPLICAS (under min ISR), "+
			"NOT_LEADER_OR_FOLLOWER / LEADER_NOT_AVAILABLE (elections, offline partitions), timeouts. Producers "+
			"of real data see the same errors and drop messages when their retries run out.",
		"cps", noSteps(),
		query("sum by (job, cluster, instance, error) (rate("+sel("kafka_canary_produce_errors_total")+"[$__rate_interval]))",
			"{{error}} {{instance}}"))))
	failing := alert("KafkaCanaryProduceFailing")
	l.add(12, 8, minZero(timeseries("Produce failure ratio",
		"Share of canary messages whose write failed after the producer's retries (0 until the first error). Producers of real data with "+
			"acks=all fail the same way and drop messages once their retries run out. "+failing.Sentence(),
		"percentunit", failing.Steps(),
		query("("+perTarget("rate("+sel("kafka_canary_produce_errors_total")+"[$__rate_interval])")+
			" or 0 * "+canaryRate("kafka_canary_messages_sent_total")+") / "+
			canaryRate("kafka_canary_messages_sent_total"), "{{instance}}"))))
	notReceiving := alert("KafkaCanaryNotReceiving")
	l.add(12, 8, minZero(timeseries("Read back in 5 minutes per partition",
		"Canary messages read back per partition of the canary topic in the last 5 minutes (the alert's window). "+
			"0 on a partition whose messages are acknowledged means delivery from it is broken: consumers of its "+
			"leader are stuck and the canary cannot tell loss from delay. "+notReceiving.Sentence(),
		"short", notReceiving.Steps(),
		query("increase("+sel("kafka_canary_messages_received_total")+"[5m])", "partition {{partition}} {{instance}}"))))
	l.add(12, 8, minZero(timeseries("Produce latency",
		"Time from send to acknowledgement (acks=all) of canary messages, 50th and 99th percentile. Rising latency "+
			"means replicas are slow to follow: the ISR is about to shrink and producers about to time out and drop messages.",
		"s", noSteps(),
		query(canaryQuantile("0.5", "kafka_canary_produce_latency_seconds"), "p50 {{instance}}"),
		query(canaryQuantile("0.99", "kafka_canary_produce_latency_seconds"), "p99 {{instance}}"))))
	l.add(12, 8, minZero(timeseries("End-to-end latency",
		"Time from send to read-back of canary messages, 50th and 99th percentile: how late consumers see what "+
			"producers write. Approaching --canary.loss-timeout turns delays into reported losses.",
		"s", noSteps(),
		query(canaryQuantile("0.5", "kafka_canary_end_to_end_latency_seconds"), "p50 {{instance}}"),
		query(canaryQuantile("0.99", "kafka_canary_end_to_end_latency_seconds"), "p99 {{instance}}"))))

	return newDashboard(CanaryUID, "canary.json", "Kafka canary",
		"The exporter's canary (--canary.enable) produces messages with acks=all and reads them back: sent, acked, "+
			"received, lost, duplicated, produce errors and latency. Lost canary messages are measured loss.", l)
}
