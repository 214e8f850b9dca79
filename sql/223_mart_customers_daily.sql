-- MART: customers_daily (business mart). Grain: one row per purchase_date × store_network ×
-- store_city. Customers are people told apart by blind index (purchases.customer_key), never
-- by plaintext. `customers` is that day's distinct count; for any range or roll-up use
-- uniqExactMerge(customer_keys), which counts each person once across rows.
CREATE TABLE piccha_mart.customers_daily
(
    purchase_date Date,
    store_network LowCardinality(String),
    store_city String,
    customers UInt64,
    customer_keys AggregateFunction(uniqExact, String),
    purchases UInt64,
    loyalty_purchases UInt64
)
ENGINE = MergeTree
ORDER BY (purchase_date, store_network, store_city);

CREATE MATERIALIZED VIEW piccha_mart.customers_daily_rmv
REFRESH EVERY 1 MINUTE DEPENDS ON piccha_mart.purchases_rmv
TO piccha_mart.customers_daily
AS
SELECT
    purchase_date,
    store_network,
    store_city,
    uniqExact(customer_key) AS customers,
    uniqExactState(customer_key) AS customer_keys,
    count() AS purchases,
    countIf(customer_is_loyalty_member) AS loyalty_purchases
FROM piccha_mart.purchases
GROUP BY purchase_date, store_network, store_city;
