-- MART: product_sales_daily (business mart). Grain: one row per purchase_date × product_id ×
-- store_network; category sales are its sums by category.
CREATE TABLE piccha_mart.product_sales_daily
(
    purchase_date Date,
    product_id String,
    product_name String,
    category LowCardinality(String),
    store_network LowCardinality(String),
    purchases UInt64,
    units Int64,
    revenue Decimal(18, 2)
)
ENGINE = MergeTree
ORDER BY (purchase_date, category, product_id, store_network);

CREATE MATERIALIZED VIEW piccha_mart.product_sales_daily_rmv
REFRESH EVERY 1 MINUTE DEPENDS ON piccha_mart.purchase_items_rmv
TO piccha_mart.product_sales_daily
AS
SELECT
    purchase_date,
    product_id,
    ifNull(argMax(product_name, purchase_datetime), '') AS product_name,
    argMax(category, purchase_datetime) AS category,
    store_network,
    uniqExact(purchase_id) AS purchases,
    sum(toInt64(quantity)) AS units,
    toDecimal128(sum(total_price), 2) AS revenue
FROM piccha_mart.purchase_items
GROUP BY purchase_date, product_id, store_network;
