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
    -- One row per source document: its latest version decides. All versions of a document share
    -- a key, hence a partition, so Kafka offset order is version order; the partition is put in
    -- front only to keep the order total.
    -- One row per source document: its latest version decides. All versions of a document share
    -- a key, hence a partition, so Kafka offset order is version order; the partition is put in
    -- front only to keep the order total.
    documents AS
    (
        SELECT
            entity,
            source_id,
            latest_version.1 AS business_key,
            latest_version.2 AS broken_rules,
            latest_version.3 AS loaded_at,
            (latest_version.4, latest_version.5, latest_version.6) AS latest,
            first,
            versions,
            first_ingested_at,
            last_ingested_at
        FROM
        (
            SELECT
                entity,
                source_id,
                argMax((business_key, broken_rules, loaded_at, kafka_topic, kafka_partition, kafka_offset), position) AS latest_version,
                min(position) AS first,
                toUInt32(count()) AS versions,
                min(ingested_at) AS first_ingested_at,
                max(ingested_at) AS last_ingested_at
            FROM (SELECT *, bitOr(bitShiftLeft(toUInt64(kafka_partition), 48), kafka_offset) AS position FROM messages)
            GROUP BY entity, source_id
        )
    ),
    -- Per business key, its documents in arrival order (first version's Kafka position); the
    -- first that breaks no rule is kept. Grouping, not a window, so no global sort is needed.
    judged AS
    (
        SELECT
            entity,
            document.2 AS source_id,
            business_key,
            multiIf(NOT valid, 'rejected', position = 1, 'kept', 'duplicate') AS status,
            document.3 AS broken_rules,
            if(valid, '', 'mart') AS rejected_by,
            '' AS error,
            if(valid AND position > 1, documents_of_key[1].2, '') AS kept_source_id,
            document.4 AS versions,
            document.5.1 AS kafka_topic,
            document.5.2 AS kafka_partition,
            document.5.3 AS kafka_offset,
            document.6 AS loaded_at,
            document.7 AS first_ingested_at,
            document.8 AS last_ingested_at
        FROM
        (
            SELECT
                entity,
                business_key,
                empty(broken_rules) AS valid,
                arraySort(d -> (d.1, d.2), groupArray((first, source_id, broken_rules, versions, latest, loaded_at, first_ingested_at, last_ingested_at))) AS documents_of_key
            FROM documents
            GROUP BY entity, business_key, valid
        )
        ARRAY JOIN documents_of_key AS document, arrayEnumerate(documents_of_key) AS position
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
