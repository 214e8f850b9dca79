-- MART: data_quality_log. Grain: one row per entity per refresh, over every document received
-- so far (not windowed): how many were kept, duplicated, rejected, and how many broke each rule
-- (a document breaking two rules counts under both), plus freshness: the newest arrival of the
-- entity in ClickHouse and the seconds from it to the refresh.
CREATE TABLE piccha_mart.data_quality_log
(
    timestamp DateTime64(3, 'UTC'),
    entity LowCardinality(String),
    documents UInt64,
    kept UInt64,
    duplicates UInt64,
    rejected UInt64,
    missing_key UInt64,
    missing_required UInt64,
    future_date UInt64,
    nonpositive_total UInt64,
    purchase_total_mismatch UInt64,
    item_total_mismatch UInt64,
    unreadable UInt64,
    newest_arrival Nullable(DateTime64(3, 'UTC')),
    freshness_seconds Nullable(Float64)
)
ENGINE = MergeTree
ORDER BY (timestamp, entity);

CREATE MATERIALIZED VIEW piccha_mart.data_quality_log_rmv
REFRESH EVERY 1 MINUTE DEPENDS ON piccha_mart.document_status_rmv APPEND
TO piccha_mart.data_quality_log
AS
WITH
    ['stores', 'products', 'customers', 'purchases'] AS entities,
    now64(3, 'UTC') AS refreshed_at
SELECT
    refreshed_at AS timestamp,
    e.entity AS entity,
    c.documents AS documents,
    c.kept AS kept,
    c.duplicates AS duplicates,
    c.rejected AS rejected,
    c.missing_key AS missing_key,
    c.missing_required AS missing_required,
    c.future_date AS future_date,
    c.nonpositive_total AS nonpositive_total,
    c.purchase_total_mismatch AS purchase_total_mismatch,
    c.item_total_mismatch AS item_total_mismatch,
    c.unreadable AS unreadable,
    if(c.documents = 0, NULL, c.newest_arrival) AS newest_arrival,
    if(c.documents = 0, NULL, dateDiff('millisecond', c.newest_arrival, refreshed_at) / 1000) AS freshness_seconds
FROM (SELECT arrayJoin(entities) AS entity) AS e
LEFT JOIN
(
    SELECT
        entity,
        count() AS documents,
        countIf(status = 'kept') AS kept,
        countIf(status = 'duplicate') AS duplicates,
        countIf(status = 'rejected') AS rejected,
        countIf(has(broken_rules, 'missing_key')) AS missing_key,
        countIf(has(broken_rules, 'missing_required')) AS missing_required,
        countIf(has(broken_rules, 'future_date')) AS future_date,
        countIf(has(broken_rules, 'nonpositive_total')) AS nonpositive_total,
        countIf(has(broken_rules, 'purchase_total_mismatch')) AS purchase_total_mismatch,
        countIf(has(broken_rules, 'item_total_mismatch')) AS item_total_mismatch,
        countIf(has(broken_rules, 'unreadable')) AS unreadable,
        max(last_ingested_at) AS newest_arrival
    FROM piccha_mart.document_status
    GROUP BY entity
) AS c
ON e.entity = c.entity;
