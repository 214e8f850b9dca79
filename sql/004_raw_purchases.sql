-- RAW: purchases as Kafka delivered them, one row per message of <prefix>.purchases
-- (conventions in 001_raw_stores.sql); their items are in purchase_items. item_count is the
-- number of items delivered, NULL when the purchase came without an items array.
CREATE TABLE piccha_raw.purchases
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
    customer_id Nullable(String),
    customer_first_name Nullable(String),
    customer_last_name Nullable(String),
    customer_email_ciphertext Nullable(String),
    customer_email_blind_index Nullable(String),
    customer_email_masked Nullable(String),
    customer_email_valid Nullable(Bool),
    customer_phone_ciphertext Nullable(String),
    customer_phone_blind_index Nullable(String),
    customer_phone_masked Nullable(String),
    customer_phone_valid Nullable(Bool),
    customer_is_loyalty_member Nullable(Bool),
    customer_loyalty_card_number Nullable(String),
    store_id Nullable(String),
    store_name Nullable(String),
    store_network LowCardinality(Nullable(String)),
    store_location_country LowCardinality(Nullable(String)),
    store_location_city Nullable(String),
    store_location_street Nullable(String),
    store_location_house Nullable(String),
    store_location_postal_code Nullable(String),
    store_location_latitude Nullable(Float64),
    store_location_longitude Nullable(Float64),
    item_count Nullable(UInt32),
    total_amount Nullable(Decimal(12, 2)),
    payment_method LowCardinality(String),
    is_delivery Bool,
    delivery_address_country LowCardinality(String),
    delivery_address_city String,
    delivery_address_street String,
    delivery_address_house String,
    delivery_address_apartment String,
    delivery_address_postal_code String,
    purchase_datetime Nullable(DateTime64(3, 'Europe/Moscow')),

    parse_errors Array(String)
)
ENGINE = MergeTree
ORDER BY (kafka_topic, kafka_partition, kafka_offset);
