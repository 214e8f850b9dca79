-- MART: stores (dimension). Grain: one row per store_id: the latest version of the document
-- kept for it (document_status). Rebuilt whole on every refresh, so no query needs FINAL.
CREATE TABLE piccha_mart.stores
(
    store_id String,
    store_name String,
    store_network LowCardinality(String),
    store_type_description Nullable(String),
    store_type LowCardinality(Nullable(String)),
    categories Array(String),
    manager_name Nullable(String),
    manager_email_ciphertext String,
    manager_email_blind_index String,
    manager_email_masked String,
    manager_email_valid Bool,
    manager_phone_ciphertext String,
    manager_phone_blind_index String,
    manager_phone_masked String,
    manager_phone_valid Bool,
    country LowCardinality(Nullable(String)),
    city String,
    street Nullable(String),
    house Nullable(String),
    postal_code Nullable(String),
    latitude Nullable(Float64),
    longitude Nullable(Float64),
    accepts_online_orders Bool,
    delivery_available Bool,
    warehouse_connected Bool,
    last_inventory_date Date,
    source_id String,
    kafka_topic LowCardinality(String),
    kafka_partition UInt32,
    kafka_offset UInt64,
    loaded_at Nullable(DateTime64(3, 'UTC')),
    ingested_at DateTime64(3, 'UTC')
)
ENGINE = MergeTree
ORDER BY store_id;

CREATE MATERIALIZED VIEW piccha_mart.stores_rmv
REFRESH EVERY 1 MINUTE DEPENDS ON piccha_mart.document_status_rmv
TO piccha_mart.stores
AS
SELECT
    store_id,
    assumeNotNull(store_name) AS store_name,
    assumeNotNull(store_network) AS store_network,
    store_type_description,
    store_type,
    categories,
    manager_name,
    manager_email_ciphertext,
    manager_email_blind_index,
    manager_email_masked,
    manager_email_valid,
    manager_phone_ciphertext,
    manager_phone_blind_index,
    manager_phone_masked,
    manager_phone_valid,
    country,
    assumeNotNull(city) AS city,
    street,
    house,
    postal_code,
    latitude,
    longitude,
    accepts_online_orders,
    delivery_available,
    warehouse_connected,
    last_inventory_date,
    source_id,
    kafka_topic,
    kafka_partition,
    kafka_offset,
    loaded_at,
    ingested_at
FROM piccha_staging.stg_stores
WHERE (kafka_topic, kafka_partition, kafka_offset) IN
    (SELECT kafka_topic, kafka_partition, kafka_offset FROM piccha_mart.document_status WHERE entity = 'stores' AND status = 'kept');
