-- MART: duplicates_log (data quality). Grain: one row per entity per refresh; the log grows by
-- four rows a refresh and is never rewritten.
--
-- A duplicate is a second source document with the same business key (a different source id);
-- a new version of the same document and a transport redelivery are not. Over the window (the
-- documents whose first version arrived in the 24 hours before the refresh):
--   documents            source documents of the entity, rejected ones included
--   unique_keys          distinct non-empty business keys among them
--   duplicates           those judged `duplicate` in document_status
--   duplicate_percentage duplicates ÷ documents × 100 (0 when there are no documents)
-- The seed's alert query (ORDER BY timestamp DESC LIMIT 1) returns the purchases figure: within a
-- refresh, each entity's row is stamped 1 ms apart, stores first and purchases last.
CREATE TABLE piccha_mart.duplicates_log
(
    timestamp DateTime64(3, 'UTC'),
    entity LowCardinality(String),
    window_start DateTime64(3, 'UTC'),
    window_end DateTime64(3, 'UTC'),
    documents UInt64,
    unique_keys UInt64,
    duplicates UInt64,
    duplicate_percentage Float64
)
ENGINE = MergeTree
ORDER BY (timestamp, entity);

CREATE MATERIALIZED VIEW piccha_mart.duplicates_log_rmv
REFRESH EVERY 1 MINUTE DEPENDS ON piccha_mart.document_status_rmv APPEND
TO piccha_mart.duplicates_log
AS
WITH
    ['stores', 'products', 'customers', 'purchases'] AS entities,
    now64(3, 'UTC') AS refreshed_at,
    refreshed_at - INTERVAL 24 HOUR AS since
SELECT
    refreshed_at - toIntervalMillisecond(length(entities) - indexOf(entities, e.entity)) AS timestamp,
    e.entity AS entity,
    since AS window_start,
    refreshed_at AS window_end,
    c.documents AS documents,
    c.unique_keys AS unique_keys,
    c.duplicates AS duplicates,
    if(c.documents = 0, 0, c.duplicates / c.documents * 100) AS duplicate_percentage
FROM (SELECT arrayJoin(entities) AS entity) AS e
LEFT JOIN
(
    SELECT
        entity,
        count() AS documents,
        uniqExactIf(business_key, business_key != '') AS unique_keys,
        countIf(status = 'duplicate') AS duplicates
    FROM piccha_mart.document_status
    WHERE first_ingested_at > since
    GROUP BY entity
) AS c
ON e.entity = c.entity;
