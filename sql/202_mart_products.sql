-- MART: products (dimension). Grain: one row per product_id: the latest version of the
-- document kept for it (document_status). КБЖУ per 100 g, price in roubles.
CREATE TABLE piccha_mart.products
(
    product_id String,
    product_name String,
    category LowCardinality(String),
    description Nullable(String),
    calories Float64,
    protein Float64,
    fat Float64,
    carbohydrates Float64,
    price Decimal(12, 2),
    unit LowCardinality(Nullable(String)),
    origin_country LowCardinality(Nullable(String)),
    expiry_days UInt16,
    is_organic Bool,
    barcode Nullable(String),
    manufacturer_name Nullable(String),
    manufacturer_country LowCardinality(Nullable(String)),
    manufacturer_website Nullable(String),
    manufacturer_inn Nullable(String),
    source_id String,
    kafka_topic LowCardinality(String),
    kafka_partition UInt32,
    kafka_offset UInt64,
    loaded_at Nullable(DateTime64(3, 'UTC')),
    ingested_at DateTime64(3, 'UTC')
)
ENGINE = MergeTree
ORDER BY product_id;

CREATE MATERIALIZED VIEW piccha_mart.products_rmv
REFRESH EVERY 1 MINUTE DEPENDS ON piccha_mart.document_status_rmv
TO piccha_mart.products
AS
SELECT
    product_id,
    assumeNotNull(product_name) AS product_name,
    assumeNotNull(category) AS category,
    description,
    calories,
    protein,
    fat,
    carbohydrates,
    assumeNotNull(price) AS price,
    unit,
    origin_country,
    expiry_days,
    is_organic,
    barcode,
    manufacturer_name,
    manufacturer_country,
    manufacturer_website,
    manufacturer_inn,
    source_id,
    kafka_topic,
    kafka_partition,
    kafka_offset,
    loaded_at,
    ingested_at
FROM piccha_staging.stg_products
WHERE (kafka_topic, kafka_partition, kafka_offset) IN
    (SELECT kafka_topic, kafka_partition, kafka_offset FROM piccha_mart.document_status WHERE entity = 'products' AND status = 'kept');
