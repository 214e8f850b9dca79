-- RAW: messages that could not become a row of an entity table, kept as received with the
-- reason: poison found by the ingest (origin 'ingest') and the producer's dead letters
-- (origin 'producer', from <prefix>.dlq, reason as the producer gave it). The payload carries
-- only protected PII; a value found in plaintext at a PII path is replaced before it is stored.
CREATE TABLE piccha_raw.rejected
(
    kafka_topic LowCardinality(String),
    kafka_partition UInt32,
    kafka_offset UInt64,
    kafka_key String,
    kafka_timestamp DateTime64(3, 'UTC'),
    origin LowCardinality(String),
    error_kind LowCardinality(String),
    error String,
    entity LowCardinality(String),
    source_id String,
    pii_key_id LowCardinality(String),
    payload String,
    failed_at DateTime64(3, 'UTC'),
    ingested_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = MergeTree
ORDER BY (kafka_topic, kafka_partition, kafka_offset);
