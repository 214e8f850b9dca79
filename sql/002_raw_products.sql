-- RAW: products as Kafka delivered them, one row per message of <prefix>.products
-- (conventions in 001_raw_stores.sql).
CREATE TABLE piccha_raw.products
(
    kafka_topic LowCardinality(String),
    kafka_partition UInt32,
    kafka_offset UInt64,
    kafka_key String,
    kafka_timestamp DateTime64(3, 'UTC'),
    schema_version UInt16,
    source_id String,
    op LowCardinality(String),
    emitted_at DateTime64(3, 'UTC'),
    loaded_at Nullable(DateTime64(3, 'UTC')),
    pii_key_id LowCardinality(String),
    content_hash String,
    ingested_at DateTime64(3, 'UTC') DEFAULT now64(3),

    id String,
    name Nullable(String),
    `group` LowCardinality(Nullable(String)),
    description String,
    kbju_calories Float64,
    kbju_protein Float64,
    kbju_fat Float64,
    kbju_carbohydrates Float64,
    price Nullable(Decimal(12, 2)),
    unit LowCardinality(String),
    origin_country LowCardinality(String),
    expiry_days UInt16,
    is_organic Bool,
    barcode String,
    manufacturer_name String,
    manufacturer_country LowCardinality(String),
    manufacturer_website String,
    manufacturer_inn String,

    parse_errors Array(String)
)
ENGINE = MergeTree
ORDER BY (kafka_topic, kafka_partition, kafka_offset);
