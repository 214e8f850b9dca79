-- MART: document_status. Grain: one row per source document (entity, source_id), judged on its
-- latest version. The one place the cleaning rules and the duplicate definition live; every
-- MART table, rejected_rows and the data-quality logs are read from it.
--
-- Versions: one source document may arrive several times (an edit, a producer resend). All its
-- messages share a business key, hence a Kafka partition, and are sent in order, so the highest
-- (topic, partition, offset) is its latest version; a transport redelivery never reaches RAW twice.
--
-- Rules (a document breaking any is `rejected`, with every rule it broke):
--   missing_key              the business key is empty, or the producer refused the document for it
--   missing_required         a required field is absent or empty (see each entity below)
--   future_date              a purchase or registration time later than when the operational store
--                            received the document (loaded_at, 5 minutes' clock tolerance), or a
--                            birth date after that day
--   nonpositive_total        a purchase total of zero or less
--   purchase_total_mismatch  the purchase total differs from the sum of its item totals
--   item_total_mismatch      an item total differs from quantity × unit price
--   unreadable               the ingest or the producer could not read the message (their reason kept)
--
-- Duplicates: among the documents that break no rule, the first to arrive for a business key
-- (lowest Kafka position of its first version) is `kept`; every other source document with the
-- same business key is a `duplicate` of it.
CREATE DATABASE IF NOT EXISTS piccha_mart;

CREATE TABLE piccha_mart.document_status
(
    entity LowCardinality(String),
    source_id String,
    business_key String,
    status Enum8('kept' = 1, 'duplicate' = 2, 'rejected' = 3),
    broken_rules Array(LowCardinality(String)),
    -- Who rejected it: 'mart' (a rule above), 'ingest' or 'producer' (never became a RAW row); '' otherwise.
    rejected_by LowCardinality(String),
    error String,
    -- For a duplicate: the source id of the document kept for its business key.
    kept_source_id String,
    versions UInt32,
    kafka_topic LowCardinality(String),
    kafka_partition UInt32,
    kafka_offset UInt64,
    loaded_at Nullable(DateTime64(3, 'UTC')),
    first_ingested_at DateTime64(3, 'UTC'),
    last_ingested_at DateTime64(3, 'UTC')
)
ENGINE = MergeTree
ORDER BY (entity, status, business_key, source_id);

CREATE MATERIALIZED VIEW piccha_mart.document_status_rmv
REFRESH EVERY 1 MINUTE
TO piccha_mart.document_status
AS
WITH
    stores AS
    (
        SELECT
            'stores' AS entity, kafka_topic, kafka_partition, kafka_offset, source_id, store_id AS business_key,
            loaded_at, ingested_at,
            arrayFilter(rule -> rule != '', [
                if(store_id = '', 'missing_key', ''),
                if(store_name IS NULL OR store_network IS NULL OR city IS NULL, 'missing_required', '')
            ]) AS broken_rules
        FROM piccha_staging.stg_stores
    ),
    products AS
    (
        SELECT
            'products' AS entity, kafka_topic, kafka_partition, kafka_offset, source_id, product_id AS business_key,
            loaded_at, ingested_at,
            arrayFilter(rule -> rule != '', [
                if(product_id = '', 'missing_key', ''),
                if(product_name IS NULL OR category IS NULL OR price IS NULL, 'missing_required', '')
            ]) AS broken_rules
        FROM piccha_staging.stg_products
    ),
    customers AS
    (
        SELECT
            'customers' AS entity, kafka_topic, kafka_partition, kafka_offset, source_id, customer_id AS business_key,
            loaded_at, ingested_at,
            arrayFilter(rule -> rule != '', [
                if(customer_id = '', 'missing_key', ''),
                if(first_name IS NULL OR last_name IS NULL OR NOT has_email OR NOT has_phone, 'missing_required', ''),
                if(birth_date > toDate(ifNull(loaded_at, ingested_at), 'Europe/Moscow')
                   OR registration_date > ifNull(loaded_at, ingested_at) + INTERVAL 5 MINUTE, 'future_date', '')
            ]) AS broken_rules
        FROM piccha_staging.stg_customers
    ),
    item_checks AS
    (
        SELECT
            kafka_topic, kafka_partition, kafka_offset,
            sum(total_price) AS items_total,
            countIf(total_price != quantity * price_per_unit) AS broken_items
        FROM piccha_staging.stg_purchase_items
        GROUP BY kafka_topic, kafka_partition, kafka_offset
    ),
    purchases AS
    (
        SELECT
            'purchases' AS entity, kafka_topic, kafka_partition, kafka_offset, source_id, purchase_id AS business_key,
            loaded_at, ingested_at,
            arrayFilter(rule -> rule != '', [
                if(purchase_id = '', 'missing_key', ''),
                if(customer_id IS NULL OR store_id IS NULL OR ifNull(item_count, 0) = 0 OR total_amount IS NULL
                   OR purchase_datetime IS NULL, 'missing_required', ''),
                if(purchase_datetime > ifNull(loaded_at, ingested_at) + INTERVAL 5 MINUTE, 'future_date', ''),
                if(total_amount <= 0, 'nonpositive_total', ''),
                if(ifNull(item_count, 0) > 0 AND total_amount != items_total, 'purchase_total_mismatch', ''),
                if(broken_items > 0, 'item_total_mismatch', '')
            ]) AS broken_rules
        FROM piccha_staging.stg_purchases AS p
        LEFT JOIN item_checks AS i USING (kafka_topic, kafka_partition, kafka_offset)
    ),
    messages AS
    (
        SELECT * FROM stores
        UNION ALL SELECT * FROM products
        UNION ALL SELECT * FROM customers
        UNION ALL SELECT * FROM purchases
    ),
    documents AS
    (
        SELECT
            entity,
            source_id,
            argMax(business_key, (kafka_topic, kafka_partition, kafka_offset)) AS business_key,
            argMax(broken_rules, (kafka_topic, kafka_partition, kafka_offset)) AS broken_rules,
            argMax(loaded_at, (kafka_topic, kafka_partition, kafka_offset)) AS loaded_at,
            max((kafka_topic, kafka_partition, kafka_offset)) AS latest,
            min((kafka_topic, kafka_partition, kafka_offset)) AS first,
            count() AS versions,
            min(ingested_at) AS first_ingested_at,
            max(ingested_at) AS last_ingested_at
        FROM messages
        GROUP BY entity, source_id
    ),
    judged AS
    (
        SELECT
            entity,
            source_id,
            business_key,
            multiIf(notEmpty(broken_rules), 'rejected', row_number() OVER by_key = 1, 'kept', 'duplicate') AS status,
            broken_rules,
            if(notEmpty(broken_rules), 'mart', '') AS rejected_by,
            '' AS error,
            if(empty(broken_rules) AND row_number() OVER by_key > 1, first_value(source_id) OVER by_key, '') AS kept_source_id,
            versions,
            latest.1 AS kafka_topic,
            latest.2 AS kafka_partition,
            latest.3 AS kafka_offset,
            loaded_at,
            first_ingested_at,
            last_ingested_at
        FROM documents
        WINDOW by_key AS (PARTITION BY entity, business_key, empty(broken_rules) ORDER BY first ASC, source_id ASC
                          ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
    ),
    -- Documents that never became a RAW row: the producer's dead letters and the ingest's poison.
    refused AS
    (
        SELECT
            entity,
            -- A message without a source id is a document of its own, named by its Kafka position.
            if(source_id = '', concat(kafka_topic, ':', toString(kafka_partition), ':', toString(kafka_offset)), source_id) AS document_id,
            argMax(kafka_key, (kafka_topic, kafka_partition, kafka_offset)) AS refused_key,
            argMax(origin, (kafka_topic, kafka_partition, kafka_offset)) AS refused_by,
            argMax(error, (kafka_topic, kafka_partition, kafka_offset)) AS refusal,
            max((kafka_topic, kafka_partition, kafka_offset)) AS latest,
            count() AS refusals,
            min(ingested_at) AS first_refused_at,
            max(ingested_at) AS last_refused_at
        FROM piccha_raw.rejected
        -- A document that reached RAW after all (a fixed resend) is judged there instead.
        WHERE (entity, source_id) NOT IN
        (
            SELECT 'stores', source_id FROM piccha_raw.stores
            UNION ALL SELECT 'products', source_id FROM piccha_raw.products
            UNION ALL SELECT 'customers', source_id FROM piccha_raw.customers
            UNION ALL SELECT 'purchases', source_id FROM piccha_raw.purchases
        )
        GROUP BY entity, document_id
    )
SELECT * FROM judged
UNION ALL
SELECT
    entity,
    document_id AS source_id,
    refused_key AS business_key,
    'rejected' AS status,
    [if(refused_by = 'producer' AND startsWith(refusal, 'missing business key'), 'missing_key', 'unreadable')] AS broken_rules,
    refused_by AS rejected_by,
    refusal AS error,
    '' AS kept_source_id,
    toUInt32(refusals) AS versions,
    latest.1 AS kafka_topic,
    latest.2 AS kafka_partition,
    latest.3 AS kafka_offset,
    CAST(NULL, 'Nullable(DateTime64(3, \'UTC\'))') AS loaded_at,
    first_refused_at AS first_ingested_at,
    last_refused_at AS last_ingested_at
FROM refused
-- RAW tables and item checks are both sorted by Kafka position: a merge join needs no hash table.
SETTINGS join_algorithm = 'full_sorting_merge';
