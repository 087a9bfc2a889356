package snapshot

// Names of the parts of a poll (CollectorResult.Name), shared by the fetch
// steps that produce them and by everything that reads their outcome, so
// that readers need not import the fetch package.
const (
	// CollectorMetadata is the Metadata request every poll starts with.
	CollectorMetadata = "metadata"
	// CollectorOffsets reads every partition's log start and end.
	CollectorOffsets = "offsets"
	// CollectorConfigs reads topic and broker configuration.
	CollectorConfigs = "configs"
	// CollectorConsumerGroups lists and describes consumer groups and their
	// committed offsets.
	CollectorConsumerGroups = "consumer_groups"
	// CollectorProducers reads the producer side: idempotent producers and
	// open transactions.
	CollectorProducers = "producers"
	// CollectorRecordTimestamps reads record timestamps for lag in seconds.
	CollectorRecordTimestamps = "record_timestamps"
	// CollectorControllerQuorum reads the KRaft controller quorum.
	CollectorControllerQuorum = "controller_quorum"
)
