-- MART: purchase_mix_daily (business mart). Grain: one row per purchase_date × store_network ×
-- store_city × payment_method × is_delivery × is_loyalty_member: the payment-method, delivery
-- and loyalty shares are its sums over the other columns.
CREATE TABLE piccha_mart.purchase_mix_daily
(
    purchase_date Date,
    store_network LowCardinality(String),
    store_city String,
    payment_method LowCardinality(String),
    is_delivery Bool,
    is_loyalty_member Bool,
    purchases UInt64,
    revenue Decimal(18, 2)
)
ENGINE = MergeTree
ORDER BY (purchase_date, store_network, store_city, payment_method, is_delivery, is_loyalty_member);

CREATE MATERIALIZED VIEW piccha_mart.purchase_mix_daily_rmv
REFRESH EVERY 1 MINUTE DEPENDS ON piccha_mart.purchases_rmv
TO piccha_mart.purchase_mix_daily
AS
SELECT
    purchase_date,
    store_network,
    store_city,
    payment_method,
    is_delivery,
    customer_is_loyalty_member AS is_loyalty_member,
    count() AS purchases,
    toDecimal128(sum(total_amount), 2) AS revenue
FROM piccha_mart.purchases
GROUP BY purchase_date, store_network, store_city, payment_method, is_delivery, is_loyalty_member;
