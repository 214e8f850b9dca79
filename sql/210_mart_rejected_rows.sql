-- MART: rejected_rows. Grain: one row per rejected source document (its latest version), or per
-- message the producer or the ingest refused before it became a RAW row. Nothing is dropped
-- silently: per entity, documents = MART rows + duplicates + rejected rows.
CREATE TABLE piccha_mart.rejected_rows
(
    entity LowCardinality(String),
    business_key String,
    source_id String,
    -- Every rule the document broke (rule names: 200_mart_document_status.sql).
    broken_rules Array(LowCardinality(String)),
    -- 'mart' (a cleaning rule), 'ingest' or 'producer' (refused before RAW).
    rejected_by LowCardinality(String),
    -- The ingest's or the producer's reason; empty for a cleaning rule.
    error String,
    kafka_topic LowCardinality(String),
    kafka_partition UInt32,
    kafka_offset UInt64,
    loaded_at Nullable(DateTime64(3, 'UTC')),
    -- When the rejected version arrived in ClickHouse.
    ingested_at DateTime64(3, 'UTC')
)
ENGINE = MergeTree
ORDER BY (entity, ingested_at, source_id);

CREATE MATERIALIZED VIEW piccha_mart.rejected_rows_rmv
REFRESH EVERY 1 MINUTE DEPENDS ON piccha_mart.document_status_rmv
TO piccha_mart.rejected_rows
AS
SELECT
    entity,
    business_key,
    source_id,
    broken_rules,
    rejected_by,
    error,
    kafka_topic,
    kafka_partition,
    kafka_offset,
    loaded_at,
    last_ingested_at AS ingested_at
FROM piccha_mart.document_status
WHERE status = 'rejected';
