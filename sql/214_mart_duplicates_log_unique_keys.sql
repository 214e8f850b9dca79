-- MART: duplicates_log (data quality), unique_keys corrected. Grain unchanged: one row per entity
-- per refresh.
--
-- A document refused for having no business key carries its Kafka message key in
-- document_status.business_key, and the producer keys such a dead letter by its source id: 211
-- counted that source id as one more business key. unique_keys now leaves documents judged
-- missing_key out, as its definition says (distinct non-empty business keys).
ALTER TABLE piccha_mart.duplicates_log_rmv MODIFY QUERY
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
        uniqExactIf(business_key, business_key != '' AND NOT has(broken_rules, 'missing_key')) AS unique_keys,
        countIf(status = 'duplicate') AS duplicates
    FROM piccha_mart.document_status
    WHERE first_ingested_at > since
    GROUP BY entity
) AS c
ON e.entity = c.entity
