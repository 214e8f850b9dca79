-- STAGING: stg_purchase_items. Grain: one row per item of a RAW purchases message;
-- (kafka_topic, kafka_partition, kafka_offset) names the purchase message it came in.
-- Typed and normalised (conventions in 101_staging_stores.sql).
CREATE VIEW piccha_staging.stg_purchase_items AS
SELECT
    kafka_topic,
    kafka_partition,
    kafka_offset,
    source_id,
    trimBoth(purchase_id) AS purchase_id,
    item_index,
    nullIf(trimBoth(product_id), '') AS product_id,
    nullIf(trimBoth(name), '') AS product_name,
    nullIf(trimBoth(toString(category)), '') AS category,
    quantity,
    nullIf(lowerUTF8(trimBoth(toString(unit))), '') AS unit,
    price_per_unit,
    total_price,
    kbju_calories AS calories,
    kbju_protein AS protein,
    kbju_fat AS fat,
    kbju_carbohydrates AS carbohydrates,
    nullIf(trimBoth(manufacturer_name), '') AS manufacturer_name
FROM piccha_raw.purchase_items;
