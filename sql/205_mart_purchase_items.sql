-- MART: purchase_items (fact). Grain: one row per item of a purchase in piccha_mart.purchases
-- (purchase_id, item_index), with the purchase's day and store for grouping. КБЖУ per 100 g.
CREATE TABLE piccha_mart.purchase_items
(
    purchase_id String,
    item_index UInt32,
    purchase_datetime DateTime64(3, 'Europe/Moscow'),
    purchase_date Date,
    store_id String,
    store_network LowCardinality(String),
    store_city String,
    product_id String,
    product_name Nullable(String),
    category LowCardinality(String),
    quantity Int32,
    unit LowCardinality(Nullable(String)),
    price_per_unit Decimal(12, 2),
    total_price Decimal(12, 2),
    calories Float64,
    protein Float64,
    fat Float64,
    carbohydrates Float64,
    manufacturer_name Nullable(String),
    source_id String
)
ENGINE = MergeTree
ORDER BY (purchase_date, product_id, purchase_id, item_index);

CREATE MATERIALIZED VIEW piccha_mart.purchase_items_rmv
REFRESH EVERY 1 MINUTE DEPENDS ON piccha_mart.purchases_rmv
TO piccha_mart.purchase_items
AS
SELECT
    i.purchase_id AS purchase_id,
    i.item_index AS item_index,
    p.purchase_datetime AS purchase_datetime,
    p.purchase_date AS purchase_date,
    p.store_id AS store_id,
    p.store_network AS store_network,
    p.store_city AS store_city,
    ifNull(i.product_id, '') AS product_id,
    i.product_name AS product_name,
    ifNull(i.category, '') AS category,
    i.quantity AS quantity,
    i.unit AS unit,
    i.price_per_unit AS price_per_unit,
    i.total_price AS total_price,
    i.calories AS calories,
    i.protein AS protein,
    i.fat AS fat,
    i.carbohydrates AS carbohydrates,
    i.manufacturer_name AS manufacturer_name,
    i.source_id AS source_id
FROM piccha_staging.stg_purchase_items AS i
INNER JOIN
(
    SELECT kafka_topic, kafka_partition, kafka_offset, purchase_datetime, purchase_date, store_id, store_network, store_city
    FROM piccha_mart.purchases
) AS p
ON i.kafka_topic = p.kafka_topic AND i.kafka_partition = p.kafka_partition AND i.kafka_offset = p.kafka_offset;
