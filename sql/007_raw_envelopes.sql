-- RAW: the landing table of the envelopes ClickHouse parses itself: each Kafka message's bytes as received, with its topic, partition, offset, key and timestamp, and its topic's role (an entity, or dead_letter). Engine Null: the views of 008–012 read each insert; nothing is stored here.
-- Grain: one Kafka message.
-- Rendered by pipeline/ingest/envelope-sql.ts (npm run sql:envelopes) from raw-tables.ts; decode.ts is the
-- specification it ports, and test/integration/envelope-parity.test.ts holds the two together.
CREATE TABLE piccha_raw.envelopes (kafka_topic LowCardinality(String), kafka_partition UInt32, kafka_offset UInt64, kafka_key String, kafka_timestamp DateTime64(3, 'UTC'), role LowCardinality(String), payload String) ENGINE = Null;
