-- STAGING: stg_products. Grain: one row per RAW products message (every version of every document).
-- Typed and normalised (conventions in 101_staging_stores.sql); `group` is called category here.
CREATE VIEW piccha_staging.stg_products AS
SELECT
    kafka_topic,
    kafka_partition,
    kafka_offset,
    source_id,
    loaded_at,
    ingested_at,
    trimBoth(id) AS product_id,
    nullIf(trimBoth(ifNull(name, '')), '') AS product_name,
    nullIf(trimBoth(ifNull(toString(`group`), '')), '') AS category,
    nullIf(trimBoth(description), '') AS description,
    kbju_calories AS calories,
    kbju_protein AS protein,
    kbju_fat AS fat,
    kbju_carbohydrates AS carbohydrates,
    price,
    nullIf(lowerUTF8(trimBoth(toString(unit))), '') AS unit,
    nullIf(trimBoth(toString(origin_country)), '') AS origin_country,
    expiry_days,
    is_organic,
    nullIf(trimBoth(barcode), '') AS barcode,
    nullIf(trimBoth(manufacturer_name), '') AS manufacturer_name,
    nullIf(trimBoth(toString(manufacturer_country)), '') AS manufacturer_country,
    nullIf(trimBoth(manufacturer_website), '') AS manufacturer_website,
    nullIf(trimBoth(manufacturer_inn), '') AS manufacturer_inn
FROM piccha_raw.products;
