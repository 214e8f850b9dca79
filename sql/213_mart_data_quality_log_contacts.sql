-- MART: data_quality_log (212), extended with invalid contacts. Grain unchanged: one row per
-- entity per refresh.
--   invalid_email  documents in the MART (kept) whose email (stores: the manager's, purchases:
--                  the customer's) is present but not an email, as the producer's PII validation
--                  judged it (the *_email_valid column); an absent one is not counted
--   invalid_phone  the same for the phone
-- Products carry no contacts: always 0. An invalid contact is not a cleaning rule: the document
-- stays in the MART with its validity flag, so these counts say how many of the stores, customers
-- and purchases the dashboards count cannot be reached. Counted on the MART, not on every
-- document: duplicates repeat a kept document's person, rejected ones are counted under their
-- rule, and the MART already holds each kept document's latest version (a scan of one flag column,
-- where judging every document's latest version again would re-read RAW).
-- Rows logged before this migration hold 0 in both columns.
ALTER TABLE piccha_mart.data_quality_log
    ADD COLUMN invalid_email UInt64 AFTER unreadable,
    ADD COLUMN invalid_phone UInt64 AFTER invalid_email;

ALTER TABLE piccha_mart.data_quality_log_rmv MODIFY QUERY
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
    ifNull(v.invalid_email, 0) AS invalid_email,
    ifNull(v.invalid_phone, 0) AS invalid_phone,
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
ON e.entity = c.entity
LEFT JOIN
(
    SELECT
        'stores' AS entity,
        countIf(manager_email_ciphertext != '' AND NOT manager_email_valid) AS invalid_email,
        countIf(manager_phone_ciphertext != '' AND NOT manager_phone_valid) AS invalid_phone
    FROM piccha_mart.stores
    UNION ALL
    SELECT 'customers', countIf(NOT email_valid), countIf(NOT phone_valid)
    FROM piccha_mart.customers
    UNION ALL
    -- NULL when the purchase came without that contact.
    SELECT 'purchases', countIf(customer_email_valid = false), countIf(customer_phone_valid = false)
    FROM piccha_mart.purchases
) AS v
ON e.entity = v.entity;

-- It now reads the MART tables too: refreshed after them.
ALTER TABLE piccha_mart.data_quality_log_rmv MODIFY REFRESH EVERY 1 MINUTE
DEPENDS ON piccha_mart.document_status_rmv, piccha_mart.stores_rmv, piccha_mart.customers_rmv, piccha_mart.purchases_rmv APPEND;
