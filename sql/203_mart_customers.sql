-- MART: customers (dimension). Grain: one row per customer_id: the latest version of the
-- document kept for it (document_status). Email and phone stay protected: ciphertext, blind
-- index (count and join on it), mask, validity.
CREATE TABLE piccha_mart.customers
(
    customer_id String,
    first_name String,
    last_name String,
    email_ciphertext String,
    email_blind_index String,
    email_masked String,
    email_valid Bool,
    phone_ciphertext String,
    phone_blind_index String,
    phone_masked String,
    phone_valid Bool,
    birth_date Date32,
    gender LowCardinality(Nullable(String)),
    registration_date DateTime64(3, 'Europe/Moscow'),
    is_loyalty_member Bool,
    loyalty_card_number Nullable(String),
    home_store_city Nullable(String),
    delivery_city Nullable(String),
    delivery_street Nullable(String),
    delivery_house Nullable(String),
    delivery_apartment Nullable(String),
    delivery_postal_code Nullable(String),
    preferred_language LowCardinality(Nullable(String)),
    preferred_payment_method LowCardinality(Nullable(String)),
    receive_promotions Bool,
    source_id String,
    kafka_topic LowCardinality(String),
    kafka_partition UInt32,
    kafka_offset UInt64,
    loaded_at Nullable(DateTime64(3, 'UTC')),
    ingested_at DateTime64(3, 'UTC')
)
ENGINE = MergeTree
ORDER BY customer_id;

CREATE MATERIALIZED VIEW piccha_mart.customers_rmv
REFRESH EVERY 1 MINUTE DEPENDS ON piccha_mart.document_status_rmv
TO piccha_mart.customers
AS
SELECT
    customer_id,
    assumeNotNull(first_name) AS first_name,
    assumeNotNull(last_name) AS last_name,
    assumeNotNull(email_ciphertext) AS email_ciphertext,
    ifNull(email_blind_index, '') AS email_blind_index,
    ifNull(email_masked, '') AS email_masked,
    ifNull(email_valid, false) AS email_valid,
    assumeNotNull(phone_ciphertext) AS phone_ciphertext,
    ifNull(phone_blind_index, '') AS phone_blind_index,
    ifNull(phone_masked, '') AS phone_masked,
    ifNull(phone_valid, false) AS phone_valid,
    birth_date,
    gender,
    registration_date,
    is_loyalty_member,
    loyalty_card_number,
    home_store_city,
    delivery_city,
    delivery_street,
    delivery_house,
    delivery_apartment,
    delivery_postal_code,
    preferred_language,
    preferred_payment_method,
    receive_promotions,
    source_id,
    kafka_topic,
    kafka_partition,
    kafka_offset,
    loaded_at,
    ingested_at
FROM piccha_staging.stg_customers
WHERE (kafka_topic, kafka_partition, kafka_offset) IN
    (SELECT kafka_topic, kafka_partition, kafka_offset FROM piccha_mart.document_status WHERE entity = 'customers' AND status = 'kept');
