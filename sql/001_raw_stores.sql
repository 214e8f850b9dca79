-- RAW: stores as Kafka delivered them, one row per message of <prefix>.stores.
-- Every RAW table starts with the same transport block (where the message was in Kafka and what
-- its envelope said) and ends with parse_errors: the fields that were absent or could not be
-- typed ("path: reason"), which then hold their type's default. Nullable columns are the fields
-- the source really omits or nulls (the required fields and everything beneath them).
-- A PII field is four columns: ciphertext, blind index, mask, validity; never plaintext.
CREATE DATABASE IF NOT EXISTS piccha_raw;

CREATE TABLE piccha_raw.stores
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

    store_id String,
    store_name Nullable(String),
    store_network LowCardinality(Nullable(String)),
    store_type_description String,
    type LowCardinality(String),
    categories Array(String),
    manager_name String,
    manager_email_ciphertext String,
    manager_email_blind_index String,
    manager_email_masked String,
    manager_email_valid Bool,
    manager_phone_ciphertext String,
    manager_phone_blind_index String,
    manager_phone_masked String,
    manager_phone_valid Bool,
    location_country LowCardinality(Nullable(String)),
    location_city Nullable(String),
    location_street Nullable(String),
    location_house Nullable(String),
    location_postal_code Nullable(String),
    location_latitude Nullable(Float64),
    location_longitude Nullable(Float64),
    opening_hours_mon_fri String,
    opening_hours_sat String,
    opening_hours_sun String,
    accepts_online_orders Bool,
    delivery_available Bool,
    warehouse_connected Bool,
    last_inventory_date Date,

    parse_errors Array(String)
)
ENGINE = MergeTree
ORDER BY (kafka_topic, kafka_partition, kafka_offset);
