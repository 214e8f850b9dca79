-- MART: purchases (fact). Grain: one row per purchase_id: the latest version of the document
-- kept for it (document_status). Store network and city are the store as the till recorded it
-- in the purchase. customer_key identifies the person without plaintext: the email's blind
-- index, or the phone's when the email is missing; distinct customers are counted on it.
CREATE TABLE piccha_mart.purchases
(
    purchase_id String,
    purchase_datetime DateTime64(3, 'Europe/Moscow'),
    purchase_date Date,
    customer_id String,
    customer_key String,
    customer_email_ciphertext Nullable(String),
    customer_email_blind_index Nullable(String),
    customer_email_masked Nullable(String),
    customer_email_valid Nullable(Bool),
    customer_phone_ciphertext Nullable(String),
    customer_phone_blind_index Nullable(String),
    customer_phone_masked Nullable(String),
    customer_phone_valid Nullable(Bool),
    customer_is_loyalty_member Bool,
    customer_loyalty_card_number Nullable(String),
    store_id String,
    store_name Nullable(String),
    store_network LowCardinality(String),
    store_city String,
    item_count UInt32,
    total_amount Decimal(12, 2),
    payment_method LowCardinality(String),
    is_delivery Bool,
    delivery_city Nullable(String),
    delivery_street Nullable(String),
    delivery_house Nullable(String),
    delivery_apartment Nullable(String),
    delivery_postal_code Nullable(String),
    source_id String,
    kafka_topic LowCardinality(String),
    kafka_partition UInt32,
    kafka_offset UInt64,
    loaded_at Nullable(DateTime64(3, 'UTC')),
    ingested_at DateTime64(3, 'UTC')
)
ENGINE = MergeTree
ORDER BY (purchase_date, store_id, purchase_id);

CREATE MATERIALIZED VIEW piccha_mart.purchases_rmv
REFRESH EVERY 1 MINUTE DEPENDS ON piccha_mart.document_status_rmv
TO piccha_mart.purchases
AS
SELECT
    purchase_id,
    assumeNotNull(purchase_datetime) AS purchase_datetime,
    assumeNotNull(purchase_date) AS purchase_date,
    assumeNotNull(customer_id) AS customer_id,
    coalesce(customer_email_blind_index, customer_phone_blind_index, concat('customer_id:', customer_id)) AS customer_key,
    customer_email_ciphertext,
    customer_email_blind_index,
    customer_email_masked,
    customer_email_valid,
    customer_phone_ciphertext,
    customer_phone_blind_index,
    customer_phone_masked,
    customer_phone_valid,
    ifNull(customer_is_loyalty_member, false) AS customer_is_loyalty_member,
    customer_loyalty_card_number,
    assumeNotNull(store_id) AS store_id,
    store_name,
    ifNull(store_network, '') AS store_network,
    ifNull(store_city, '') AS store_city,
    assumeNotNull(item_count) AS item_count,
    assumeNotNull(total_amount) AS total_amount,
    ifNull(payment_method, '') AS payment_method,
    is_delivery,
    delivery_city,
    delivery_street,
    delivery_house,
    delivery_apartment,
    delivery_postal_code,
    source_id,
    kafka_topic,
    kafka_partition,
    kafka_offset,
    loaded_at,
    ingested_at
FROM piccha_staging.stg_purchases
WHERE (kafka_topic, kafka_partition, kafka_offset) IN
    (SELECT kafka_topic, kafka_partition, kafka_offset FROM piccha_mart.document_status WHERE entity = 'purchases' AND status = 'kept');
