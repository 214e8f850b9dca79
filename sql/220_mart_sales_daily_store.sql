-- MART: sales_daily_store (business mart). Grain: one row per purchase_date (the store's local
-- day) × store_id. Sums add up over any range; the average check of a range is
-- sum(revenue) / sum(purchases), not an average of average_check.
CREATE TABLE piccha_mart.sales_daily_store
(
    purchase_date Date,
    store_id String,
    store_name String,
    store_network LowCardinality(String),
    store_city String,
    purchases UInt64,
    revenue Decimal(18, 2),
    -- Item lines, and units (the sum of their quantities).
    items UInt64,
    units Int64,
    average_check Decimal(18, 2)
)
ENGINE = MergeTree
ORDER BY (purchase_date, store_network, store_id);

CREATE MATERIALIZED VIEW piccha_mart.sales_daily_store_rmv
REFRESH EVERY 1 MINUTE DEPENDS ON piccha_mart.purchase_items_rmv
TO piccha_mart.sales_daily_store
AS
SELECT
    p.purchase_date AS purchase_date,
    p.store_id AS store_id,
    p.store_name AS store_name,
    p.store_network AS store_network,
    p.store_city AS store_city,
    p.purchases AS purchases,
    p.revenue AS revenue,
    i.items AS items,
    i.units AS units,
    p.revenue / p.purchases AS average_check
FROM
(
    SELECT
        purchase_date,
        store_id,
        ifNull(argMax(store_name, purchase_datetime), '') AS store_name,
        argMax(store_network, purchase_datetime) AS store_network,
        argMax(store_city, purchase_datetime) AS store_city,
        count() AS purchases,
        toDecimal128(sum(total_amount), 2) AS revenue
    FROM piccha_mart.purchases
    GROUP BY purchase_date, store_id
) AS p
LEFT JOIN
(
    SELECT purchase_date, store_id, count() AS items, sum(toInt64(quantity)) AS units
    FROM piccha_mart.purchase_items
    GROUP BY purchase_date, store_id
) AS i
ON p.purchase_date = i.purchase_date AND p.store_id = i.store_id;
