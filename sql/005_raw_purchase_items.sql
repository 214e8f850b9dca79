-- RAW: one row per item of a purchase message, exploded by the ingest; (kafka_topic,
-- kafka_partition, kafka_offset) is the purchase row it belongs to, item_index its place in
-- the items array. Quantity is signed: a negative one is delivered data for cleaning to judge.
CREATE TABLE piccha_raw.purchase_items
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

    purchase_id String,
    item_index UInt32,
    product_id String,
    name String,
    category LowCardinality(String),
    quantity Int32,
    unit LowCardinality(String),
    price_per_unit Decimal(12, 2),
    total_price Decimal(12, 2),
    kbju_calories Float64,
    kbju_protein Float64,
    kbju_fat Float64,
    kbju_carbohydrates Float64,
    manufacturer_name String,
    manufacturer_country LowCardinality(String),
    manufacturer_website String,
    manufacturer_inn String,

    parse_errors Array(String)
)
ENGINE = MergeTree
ORDER BY (kafka_topic, kafka_partition, kafka_offset, item_index);
