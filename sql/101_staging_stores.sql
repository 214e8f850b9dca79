-- STAGING: stg_stores. Grain: one row per RAW stores message (every version of every document).
-- Typed and normalised, nothing dropped: text trimmed, empty strings read as missing (NULL),
-- city and street lower-cased as the seed's cleaning does; PII passed through protected.
-- A view, so it holds whatever RAW holds, from the first message on.
CREATE DATABASE IF NOT EXISTS piccha_staging;

CREATE VIEW piccha_staging.stg_stores AS
SELECT
    kafka_topic,
    kafka_partition,
    kafka_offset,
    source_id,
    loaded_at,
    ingested_at,
    trimBoth(store_id) AS store_id,
    nullIf(trimBoth(ifNull(store_name, '')), '') AS store_name,
    nullIf(trimBoth(ifNull(toString(store_network), '')), '') AS store_network,
    nullIf(trimBoth(store_type_description), '') AS store_type_description,
    nullIf(lowerUTF8(trimBoth(toString(type))), '') AS store_type,
    categories,
    nullIf(trimBoth(manager_name), '') AS manager_name,
    manager_email_ciphertext,
    manager_email_blind_index,
    manager_email_masked,
    manager_email_valid,
    manager_phone_ciphertext,
    manager_phone_blind_index,
    manager_phone_masked,
    manager_phone_valid,
    nullIf(trimBoth(ifNull(toString(location_country), '')), '') AS country,
    nullIf(lowerUTF8(trimBoth(ifNull(location_city, ''))), '') AS city,
    nullIf(lowerUTF8(trimBoth(ifNull(location_street, ''))), '') AS street,
    nullIf(trimBoth(ifNull(location_house, '')), '') AS house,
    nullIf(trimBoth(ifNull(location_postal_code, '')), '') AS postal_code,
    location_latitude AS latitude,
    location_longitude AS longitude,
    accepts_online_orders,
    delivery_available,
    warehouse_connected,
    last_inventory_date
FROM piccha_raw.stores;
