-- RAW: products envelopes parsed once into a tuple with the first refusal that holds (products_envelopes, Null); accepted ones typed (products_from_envelopes_typed, Null) into piccha_raw.products, their parse errors listed only for rows that have any (…_unclean); refused ones into rejected (products_refused); each view writing a table only with offsets it does not hold yet.
-- Grain: one message of the products topic (purchase_items: one item of one).
-- Rendered by pipeline/ingest/envelope-sql.ts (npm run sql:envelopes) from raw-tables.ts; decode.ts is the
-- specification it ports, and test/integration/envelope-parity.test.ts holds the two together.
CREATE TABLE piccha_raw.products_envelopes (kafka_topic LowCardinality(String), kafka_partition UInt32, kafka_offset UInt64, kafka_key String, kafka_timestamp DateTime64(3, 'UTC'), payload String, e Tuple(`_piccha_array_probe` Dynamic, `schema_version` Dynamic, `entity` Dynamic, `source_id` Dynamic, `op` Dynamic, `emitted_at` Dynamic, `loaded_at` Dynamic, `pii_key_id` Dynamic, `content_hash` Dynamic, `document` Tuple(`_piccha_array_probe` Dynamic, `id` Dynamic, `name` Dynamic, `group` Dynamic, `description` Dynamic, `kbju` Tuple(`_piccha_array_probe` Dynamic, `calories` Dynamic, `protein` Dynamic, `fat` Dynamic, `carbohydrates` Dynamic), `price` Dynamic, `unit` Dynamic, `origin_country` Dynamic, `expiry_days` Dynamic, `is_organic` Dynamic, `barcode` Dynamic, `manufacturer` Tuple(`_piccha_array_probe` Dynamic, `name` Dynamic, `country` Dynamic, `website` Dynamic, `inn` Dynamic))), refusal UInt8) ENGINE = Null;

CREATE MATERIALIZED VIEW piccha_raw.products_envelopes_mv TO piccha_raw.products_envelopes AS
SELECT kafka_topic, kafka_partition, kafka_offset, kafka_key, kafka_timestamp, payload, e, multiIf(NOT (NOT isNull(tupleElement(e, 'schema_version')) OR isValidJSON(payload)), 1,
    NOT (isNull(tupleElement(e, '_piccha_array_probe')) AND (NOT isNull(tupleElement(e, 'schema_version')) OR JSONType(payload) = 'Object')), 2,
    NOT (dynamicType(tupleElement(e, 'schema_version')) IN ('Int64', 'UInt64', 'Float64') AND toFloat64(tupleElement(e, 'schema_version')) = 1), 3,
    dynamicType(tupleElement(e, 'entity')) != 'String' OR toString(tupleElement(e, 'entity')) = '', 4,
    toString(tupleElement(e, 'entity')) != 'products', 5,
    dynamicType(tupleElement(e, 'source_id')) != 'String' OR toString(tupleElement(e, 'source_id')) = '', 6,
    NOT isNull(tupleElement(tupleElement(e, 'document'), '_piccha_array_probe')) OR (isNull(tupleElement(tupleElement(e, 'document'), 'id')) AND JSONType(payload, 'document') != 'Object'), 7,
    dynamicType(tupleElement(tupleElement(e, 'document'), 'id')) != 'String' OR replaceRegexpAll(toString(tupleElement(tupleElement(e, 'document'), 'id')), '^[\\s\\x{0B}\\x{A0}\\x{FEFF}\\p{Zs}\\x{2028}\\x{2029}]+|[\\s\\x{0B}\\x{A0}\\x{FEFF}\\p{Zs}\\x{2028}\\x{2029}]+$', '') = '', 8,
    (NOT isNull(tupleElement(tupleElement(tupleElement(e, 'document'), 'kbju'), '_piccha_array_probe')) OR (isNull(tupleElement(tupleElement(tupleElement(e, 'document'), 'kbju'), 'calories')) AND isNull(tupleElement(tupleElement(tupleElement(e, 'document'), 'kbju'), 'protein')) AND isNull(tupleElement(tupleElement(tupleElement(e, 'document'), 'kbju'), 'fat')) AND isNull(tupleElement(tupleElement(tupleElement(e, 'document'), 'kbju'), 'carbohydrates')) AND JSONType(payload, 'document', 'kbju') NOT IN ('Object', 'Null'))), 9,
    (NOT isNull(tupleElement(tupleElement(tupleElement(e, 'document'), 'manufacturer'), '_piccha_array_probe')) OR (isNull(tupleElement(tupleElement(tupleElement(e, 'document'), 'manufacturer'), 'name')) AND isNull(tupleElement(tupleElement(tupleElement(e, 'document'), 'manufacturer'), 'country')) AND isNull(tupleElement(tupleElement(tupleElement(e, 'document'), 'manufacturer'), 'website')) AND isNull(tupleElement(tupleElement(tupleElement(e, 'document'), 'manufacturer'), 'inn')) AND JSONType(payload, 'document', 'manufacturer') NOT IN ('Object', 'Null'))), 10, 0) AS refusal
FROM (
    SELECT *, JSONExtract(payload, 'Tuple(`_piccha_array_probe` Dynamic, `schema_version` Dynamic, `entity` Dynamic, `source_id` Dynamic, `op` Dynamic, `emitted_at` Dynamic, `loaded_at` Dynamic, `pii_key_id` Dynamic, `content_hash` Dynamic, `document` Tuple(`_piccha_array_probe` Dynamic, `id` Dynamic, `name` Dynamic, `group` Dynamic, `description` Dynamic, `kbju` Tuple(`_piccha_array_probe` Dynamic, `calories` Dynamic, `protein` Dynamic, `fat` Dynamic, `carbohydrates` Dynamic), `price` Dynamic, `unit` Dynamic, `origin_country` Dynamic, `expiry_days` Dynamic, `is_organic` Dynamic, `barcode` Dynamic, `manufacturer` Tuple(`_piccha_array_probe` Dynamic, `name` Dynamic, `country` Dynamic, `website` Dynamic, `inn` Dynamic)))') AS e
    FROM piccha_raw.envelopes
    WHERE role = 'products'
    SETTINGS input_format_try_infer_dates = 0, input_format_try_infer_datetimes = 0
);

CREATE TABLE piccha_raw.products_from_envelopes_typed ENGINE = Null EMPTY AS
SELECT *,
    ifNull(_document_datetime_typed[1], toDateTime64(0, 3, 'UTC')) AS emitted_at,
    _document_datetime_typed[2] AS loaded_at,
    ifNull(_document_string_typed[1], '') AS `id`,
    _document_string_typed[2] AS `name`,
    _document_string_typed[3] AS `group`,
    ifNull(_document_string_typed[4], '') AS `description`,
    ifNull(_document_float_typed[1], toFloat64(0)) AS `kbju_calories`,
    ifNull(_document_float_typed[2], toFloat64(0)) AS `kbju_protein`,
    ifNull(_document_float_typed[3], toFloat64(0)) AS `kbju_fat`,
    ifNull(_document_float_typed[4], toFloat64(0)) AS `kbju_carbohydrates`,
    _document_decimal_typed[1] AS `price`,
    ifNull(_document_string_typed[5], '') AS `unit`,
    ifNull(_document_string_typed[6], '') AS `origin_country`,
    ifNull(_document_uint16_typed[1], toUInt16(0)) AS `expiry_days`,
    ifNull(_document_bool_typed[1], false) AS `is_organic`,
    ifNull(_document_string_typed[7], '') AS `barcode`,
    ifNull(_document_string_typed[8], '') AS `manufacturer_name`,
    ifNull(_document_string_typed[9], '') AS `manufacturer_country`,
    ifNull(_document_string_typed[10], '') AS `manufacturer_website`,
    ifNull(_document_string_typed[11], '') AS `manufacturer_inn`,
    CAST(isNotNull(_document_datetime_typed[1]) AND (isNotNull(_document_datetime_typed[2]) OR NOT (JSONHas(payload, 'loaded_at') AND NOT (JSONType(payload, 'loaded_at') = 'String' AND JSONExtractString(payload, 'loaded_at') = ''))) AND _op_is_text AND arrayAll((t, v, n, c) -> NOT c OR isNotNull(t) OR (n AND isNull(v)), _document_datetime_typed, _document_datetime_values, [false, true], [false, false]) AND arrayAll((t, v, n, c) -> NOT c OR isNotNull(t) OR (n AND isNull(v)), _document_string_typed, _document_string_values, [false, true, true, false, false, false, false, false, false, false, false], [true, true, true, true, true, true, true, true, true, true, true]) AND arrayAll((t, v, n, c) -> NOT c OR isNotNull(t) OR (n AND isNull(v)), _document_float_typed, _document_float_values, [false, false, false, false], [true, true, true, true]) AND arrayAll((t, v, n, c) -> NOT c OR isNotNull(t) OR (n AND isNull(v)), _document_decimal_typed, _document_decimal_values, [true], [true]) AND arrayAll((t, v, n, c) -> NOT c OR isNotNull(t) OR (n AND isNull(v)), _document_uint16_typed, _document_uint16_values, [false], [true]) AND arrayAll((t, v, n, c) -> NOT c OR isNotNull(t) OR (n AND isNull(v)), _document_bool_typed, _document_bool_values, [false], [true]), 'Bool') AS _clean
FROM (
SELECT *,
        arrayMap((v, ms) -> if(dynamicType(v) = 'String' AND ifNull(ms >= -2208988800000 AND ms < 10413792000000, false), fromUnixTimestamp64Milli(assumeNotNull(ms), 'UTC'), NULL), _document_datetime_values, _document_datetime_ms) AS _document_datetime_typed,
        arrayMap(v -> if(dynamicType(v) IN ('String', 'Int64', 'UInt64', 'Float64', 'Bool'), toString(v), NULL), _document_string_values) AS _document_string_typed,
        arrayMap(v -> if(dynamicType(v) IN ('Int64', 'UInt64', 'Float64'), toFloat64(v), NULL), _document_float_values) AS _document_float_typed,
        arrayMap(v -> if(match(multiIf(dynamicType(v) = 'String', replaceRegexpAll(toString(v), '^[\\s\\x{0B}\\x{A0}\\x{FEFF}\\p{Zs}\\x{2028}\\x{2029}]+|[\\s\\x{0B}\\x{A0}\\x{FEFF}\\p{Zs}\\x{2028}\\x{2029}]+$', ''), dynamicType(v) IN ('Int64', 'UInt64', 'Float64'), toString(v), ''), '^-?\\d{1,10}(\\.\\d{1,2})?$'), toDecimal64(multiIf(dynamicType(v) = 'String', replaceRegexpAll(toString(v), '^[\\s\\x{0B}\\x{A0}\\x{FEFF}\\p{Zs}\\x{2028}\\x{2029}]+|[\\s\\x{0B}\\x{A0}\\x{FEFF}\\p{Zs}\\x{2028}\\x{2029}]+$', ''), dynamicType(v) IN ('Int64', 'UInt64', 'Float64'), toString(v), ''), 2), NULL), _document_decimal_values) AS _document_decimal_typed,
        arrayMap(v -> if(((dynamicType(v) IN ('Int64', 'UInt64') OR (dynamicType(v) = 'Float64' AND toFloat64(v) = floor(toFloat64(v)))) AND if(dynamicType(v) IN ('Int64', 'UInt64', 'Float64'), toFloat64(v), 0) BETWEEN 0 AND 65535), toUInt16(if(dynamicType(v) IN ('Int64', 'UInt64', 'Float64'), toFloat64(v), 0)), NULL), _document_uint16_values) AS _document_uint16_typed,
        arrayMap(v -> if(dynamicType(v) = 'Bool', toBool(v), NULL), _document_bool_values) AS _document_bool_typed
FROM (
SELECT *,
        arrayMap(v -> if(dynamicType(v) = 'String', arrayMap(g -> if(length(g) = 11 AND toInt64OrZero(g[2]) BETWEEN 1 AND 12 AND toInt64OrZero(g[3]) BETWEEN 1 AND 31 AND (toInt64OrZero(g[4]) <= 23 OR (toInt64OrZero(g[4]) = 24 AND toInt64OrZero(g[5]) = 0 AND toInt64OrZero(g[6]) = 0 AND toInt64OrZero(rightPad(g[7], 3, '0')) = 0)) AND toInt64OrZero(g[5]) <= 59 AND toInt64OrZero(g[6]) <= 59 AND (g[8] = 'Z' OR (toInt64OrZero(g[10]) <= 23 AND toInt64OrZero(g[11]) <= 59)), toNullable((intDiv((toInt64OrZero(g[1]) - if(toInt64OrZero(g[2]) <= 2, 1, 0)), 400) * 146097 + ((toInt64OrZero(g[1]) - if(toInt64OrZero(g[2]) <= 2, 1, 0)) - intDiv((toInt64OrZero(g[1]) - if(toInt64OrZero(g[2]) <= 2, 1, 0)), 400) * 400) * 365 + intDiv(((toInt64OrZero(g[1]) - if(toInt64OrZero(g[2]) <= 2, 1, 0)) - intDiv((toInt64OrZero(g[1]) - if(toInt64OrZero(g[2]) <= 2, 1, 0)), 400) * 400), 4) - intDiv(((toInt64OrZero(g[1]) - if(toInt64OrZero(g[2]) <= 2, 1, 0)) - intDiv((toInt64OrZero(g[1]) - if(toInt64OrZero(g[2]) <= 2, 1, 0)), 400) * 400), 100) + (intDiv(153 * ((toInt64OrZero(g[2]) + 9) % 12) + 2, 5) + toInt64OrZero(g[3]) - 1) - 719468) * 86400000 + toInt64OrZero(g[4]) * 3600000 + toInt64OrZero(g[5]) * 60000 + toInt64OrZero(g[6]) * 1000 + toInt64OrZero(substring(rightPad(g[7], 3, '0'), 1, 3)) - if(g[9] = '-', -1, 1) * (toInt64OrZero(g[10]) * 60 + toInt64OrZero(g[11])) * 60000), NULL), [extractGroups(replaceRegexpAll(toString(v), '^[\\s\\x{0B}\\x{A0}\\x{FEFF}\\p{Zs}\\x{2028}\\x{2029}]+|[\\s\\x{0B}\\x{A0}\\x{FEFF}\\p{Zs}\\x{2028}\\x{2029}]+$', ''), '^(\\d{4})-(\\d{2})-(\\d{2})[T ](\\d{2}):(\\d{2})(?::(\\d{2})(?:\\.(\\d{1,9}))?)?(Z|([+-])(\\d{2}):?(\\d{2}))$')])[1], NULL), _document_datetime_values) AS _document_datetime_ms
FROM (
SELECT kafka_topic, kafka_partition, kafka_offset, kafka_key, kafka_timestamp,
        payload,
        toUInt16(tupleElement(e, 'schema_version')) AS schema_version,
        toString(tupleElement(e, 'source_id')) AS source_id,
        if(dynamicType(tupleElement(e, 'op')) = 'String', toString(tupleElement(e, 'op')), '') AS op,
        CAST(dynamicType(tupleElement(e, 'op')) = 'String', 'Bool') AS _op_is_text,
        if(dynamicType(tupleElement(e, 'pii_key_id')) = 'String', toString(tupleElement(e, 'pii_key_id')), '') AS pii_key_id,
        if(dynamicType(tupleElement(e, 'content_hash')) = 'String', toString(tupleElement(e, 'content_hash')), '') AS content_hash,
        [tupleElement(e, 'emitted_at'), tupleElement(e, 'loaded_at')] AS _document_datetime_values,
        [tupleElement(tupleElement(e, 'document'), 'id'), tupleElement(tupleElement(e, 'document'), 'name'), tupleElement(tupleElement(e, 'document'), 'group'), tupleElement(tupleElement(e, 'document'), 'description'), tupleElement(tupleElement(e, 'document'), 'unit'), tupleElement(tupleElement(e, 'document'), 'origin_country'), tupleElement(tupleElement(e, 'document'), 'barcode'), tupleElement(tupleElement(tupleElement(e, 'document'), 'manufacturer'), 'name'), tupleElement(tupleElement(tupleElement(e, 'document'), 'manufacturer'), 'country'), tupleElement(tupleElement(tupleElement(e, 'document'), 'manufacturer'), 'website'), tupleElement(tupleElement(tupleElement(e, 'document'), 'manufacturer'), 'inn')] AS _document_string_values,
        [tupleElement(tupleElement(tupleElement(e, 'document'), 'kbju'), 'calories'), tupleElement(tupleElement(tupleElement(e, 'document'), 'kbju'), 'protein'), tupleElement(tupleElement(tupleElement(e, 'document'), 'kbju'), 'fat'), tupleElement(tupleElement(tupleElement(e, 'document'), 'kbju'), 'carbohydrates')] AS _document_float_values,
        [tupleElement(tupleElement(e, 'document'), 'price')] AS _document_decimal_values,
        [tupleElement(tupleElement(e, 'document'), 'expiry_days')] AS _document_uint16_values,
        [tupleElement(tupleElement(e, 'document'), 'is_organic')] AS _document_bool_values
FROM piccha_raw.products_envelopes
WHERE refusal = 0
)
)
);

CREATE MATERIALIZED VIEW piccha_raw.products_from_envelopes_typed_mv TO piccha_raw.products_from_envelopes_typed AS
SELECT *,
    ifNull(_document_datetime_typed[1], toDateTime64(0, 3, 'UTC')) AS emitted_at,
    _document_datetime_typed[2] AS loaded_at,
    ifNull(_document_string_typed[1], '') AS `id`,
    _document_string_typed[2] AS `name`,
    _document_string_typed[3] AS `group`,
    ifNull(_document_string_typed[4], '') AS `description`,
    ifNull(_document_float_typed[1], toFloat64(0)) AS `kbju_calories`,
    ifNull(_document_float_typed[2], toFloat64(0)) AS `kbju_protein`,
    ifNull(_document_float_typed[3], toFloat64(0)) AS `kbju_fat`,
    ifNull(_document_float_typed[4], toFloat64(0)) AS `kbju_carbohydrates`,
    _document_decimal_typed[1] AS `price`,
    ifNull(_document_string_typed[5], '') AS `unit`,
    ifNull(_document_string_typed[6], '') AS `origin_country`,
    ifNull(_document_uint16_typed[1], toUInt16(0)) AS `expiry_days`,
    ifNull(_document_bool_typed[1], false) AS `is_organic`,
    ifNull(_document_string_typed[7], '') AS `barcode`,
    ifNull(_document_string_typed[8], '') AS `manufacturer_name`,
    ifNull(_document_string_typed[9], '') AS `manufacturer_country`,
    ifNull(_document_string_typed[10], '') AS `manufacturer_website`,
    ifNull(_document_string_typed[11], '') AS `manufacturer_inn`,
    CAST(isNotNull(_document_datetime_typed[1]) AND (isNotNull(_document_datetime_typed[2]) OR NOT (JSONHas(payload, 'loaded_at') AND NOT (JSONType(payload, 'loaded_at') = 'String' AND JSONExtractString(payload, 'loaded_at') = ''))) AND _op_is_text AND arrayAll((t, v, n, c) -> NOT c OR isNotNull(t) OR (n AND isNull(v)), _document_datetime_typed, _document_datetime_values, [false, true], [false, false]) AND arrayAll((t, v, n, c) -> NOT c OR isNotNull(t) OR (n AND isNull(v)), _document_string_typed, _document_string_values, [false, true, true, false, false, false, false, false, false, false, false], [true, true, true, true, true, true, true, true, true, true, true]) AND arrayAll((t, v, n, c) -> NOT c OR isNotNull(t) OR (n AND isNull(v)), _document_float_typed, _document_float_values, [false, false, false, false], [true, true, true, true]) AND arrayAll((t, v, n, c) -> NOT c OR isNotNull(t) OR (n AND isNull(v)), _document_decimal_typed, _document_decimal_values, [true], [true]) AND arrayAll((t, v, n, c) -> NOT c OR isNotNull(t) OR (n AND isNull(v)), _document_uint16_typed, _document_uint16_values, [false], [true]) AND arrayAll((t, v, n, c) -> NOT c OR isNotNull(t) OR (n AND isNull(v)), _document_bool_typed, _document_bool_values, [false], [true]), 'Bool') AS _clean
FROM (
SELECT *,
        arrayMap((v, ms) -> if(dynamicType(v) = 'String' AND ifNull(ms >= -2208988800000 AND ms < 10413792000000, false), fromUnixTimestamp64Milli(assumeNotNull(ms), 'UTC'), NULL), _document_datetime_values, _document_datetime_ms) AS _document_datetime_typed,
        arrayMap(v -> if(dynamicType(v) IN ('String', 'Int64', 'UInt64', 'Float64', 'Bool'), toString(v), NULL), _document_string_values) AS _document_string_typed,
        arrayMap(v -> if(dynamicType(v) IN ('Int64', 'UInt64', 'Float64'), toFloat64(v), NULL), _document_float_values) AS _document_float_typed,
        arrayMap(v -> if(match(multiIf(dynamicType(v) = 'String', replaceRegexpAll(toString(v), '^[\\s\\x{0B}\\x{A0}\\x{FEFF}\\p{Zs}\\x{2028}\\x{2029}]+|[\\s\\x{0B}\\x{A0}\\x{FEFF}\\p{Zs}\\x{2028}\\x{2029}]+$', ''), dynamicType(v) IN ('Int64', 'UInt64', 'Float64'), toString(v), ''), '^-?\\d{1,10}(\\.\\d{1,2})?$'), toDecimal64(multiIf(dynamicType(v) = 'String', replaceRegexpAll(toString(v), '^[\\s\\x{0B}\\x{A0}\\x{FEFF}\\p{Zs}\\x{2028}\\x{2029}]+|[\\s\\x{0B}\\x{A0}\\x{FEFF}\\p{Zs}\\x{2028}\\x{2029}]+$', ''), dynamicType(v) IN ('Int64', 'UInt64', 'Float64'), toString(v), ''), 2), NULL), _document_decimal_values) AS _document_decimal_typed,
        arrayMap(v -> if(((dynamicType(v) IN ('Int64', 'UInt64') OR (dynamicType(v) = 'Float64' AND toFloat64(v) = floor(toFloat64(v)))) AND if(dynamicType(v) IN ('Int64', 'UInt64', 'Float64'), toFloat64(v), 0) BETWEEN 0 AND 65535), toUInt16(if(dynamicType(v) IN ('Int64', 'UInt64', 'Float64'), toFloat64(v), 0)), NULL), _document_uint16_values) AS _document_uint16_typed,
        arrayMap(v -> if(dynamicType(v) = 'Bool', toBool(v), NULL), _document_bool_values) AS _document_bool_typed
FROM (
SELECT *,
        arrayMap(v -> if(dynamicType(v) = 'String', arrayMap(g -> if(length(g) = 11 AND toInt64OrZero(g[2]) BETWEEN 1 AND 12 AND toInt64OrZero(g[3]) BETWEEN 1 AND 31 AND (toInt64OrZero(g[4]) <= 23 OR (toInt64OrZero(g[4]) = 24 AND toInt64OrZero(g[5]) = 0 AND toInt64OrZero(g[6]) = 0 AND toInt64OrZero(rightPad(g[7], 3, '0')) = 0)) AND toInt64OrZero(g[5]) <= 59 AND toInt64OrZero(g[6]) <= 59 AND (g[8] = 'Z' OR (toInt64OrZero(g[10]) <= 23 AND toInt64OrZero(g[11]) <= 59)), toNullable((intDiv((toInt64OrZero(g[1]) - if(toInt64OrZero(g[2]) <= 2, 1, 0)), 400) * 146097 + ((toInt64OrZero(g[1]) - if(toInt64OrZero(g[2]) <= 2, 1, 0)) - intDiv((toInt64OrZero(g[1]) - if(toInt64OrZero(g[2]) <= 2, 1, 0)), 400) * 400) * 365 + intDiv(((toInt64OrZero(g[1]) - if(toInt64OrZero(g[2]) <= 2, 1, 0)) - intDiv((toInt64OrZero(g[1]) - if(toInt64OrZero(g[2]) <= 2, 1, 0)), 400) * 400), 4) - intDiv(((toInt64OrZero(g[1]) - if(toInt64OrZero(g[2]) <= 2, 1, 0)) - intDiv((toInt64OrZero(g[1]) - if(toInt64OrZero(g[2]) <= 2, 1, 0)), 400) * 400), 100) + (intDiv(153 * ((toInt64OrZero(g[2]) + 9) % 12) + 2, 5) + toInt64OrZero(g[3]) - 1) - 719468) * 86400000 + toInt64OrZero(g[4]) * 3600000 + toInt64OrZero(g[5]) * 60000 + toInt64OrZero(g[6]) * 1000 + toInt64OrZero(substring(rightPad(g[7], 3, '0'), 1, 3)) - if(g[9] = '-', -1, 1) * (toInt64OrZero(g[10]) * 60 + toInt64OrZero(g[11])) * 60000), NULL), [extractGroups(replaceRegexpAll(toString(v), '^[\\s\\x{0B}\\x{A0}\\x{FEFF}\\p{Zs}\\x{2028}\\x{2029}]+|[\\s\\x{0B}\\x{A0}\\x{FEFF}\\p{Zs}\\x{2028}\\x{2029}]+$', ''), '^(\\d{4})-(\\d{2})-(\\d{2})[T ](\\d{2}):(\\d{2})(?::(\\d{2})(?:\\.(\\d{1,9}))?)?(Z|([+-])(\\d{2}):?(\\d{2}))$')])[1], NULL), _document_datetime_values) AS _document_datetime_ms
FROM (
SELECT kafka_topic, kafka_partition, kafka_offset, kafka_key, kafka_timestamp,
        payload,
        toUInt16(tupleElement(e, 'schema_version')) AS schema_version,
        toString(tupleElement(e, 'source_id')) AS source_id,
        if(dynamicType(tupleElement(e, 'op')) = 'String', toString(tupleElement(e, 'op')), '') AS op,
        CAST(dynamicType(tupleElement(e, 'op')) = 'String', 'Bool') AS _op_is_text,
        if(dynamicType(tupleElement(e, 'pii_key_id')) = 'String', toString(tupleElement(e, 'pii_key_id')), '') AS pii_key_id,
        if(dynamicType(tupleElement(e, 'content_hash')) = 'String', toString(tupleElement(e, 'content_hash')), '') AS content_hash,
        [tupleElement(e, 'emitted_at'), tupleElement(e, 'loaded_at')] AS _document_datetime_values,
        [tupleElement(tupleElement(e, 'document'), 'id'), tupleElement(tupleElement(e, 'document'), 'name'), tupleElement(tupleElement(e, 'document'), 'group'), tupleElement(tupleElement(e, 'document'), 'description'), tupleElement(tupleElement(e, 'document'), 'unit'), tupleElement(tupleElement(e, 'document'), 'origin_country'), tupleElement(tupleElement(e, 'document'), 'barcode'), tupleElement(tupleElement(tupleElement(e, 'document'), 'manufacturer'), 'name'), tupleElement(tupleElement(tupleElement(e, 'document'), 'manufacturer'), 'country'), tupleElement(tupleElement(tupleElement(e, 'document'), 'manufacturer'), 'website'), tupleElement(tupleElement(tupleElement(e, 'document'), 'manufacturer'), 'inn')] AS _document_string_values,
        [tupleElement(tupleElement(tupleElement(e, 'document'), 'kbju'), 'calories'), tupleElement(tupleElement(tupleElement(e, 'document'), 'kbju'), 'protein'), tupleElement(tupleElement(tupleElement(e, 'document'), 'kbju'), 'fat'), tupleElement(tupleElement(tupleElement(e, 'document'), 'kbju'), 'carbohydrates')] AS _document_float_values,
        [tupleElement(tupleElement(e, 'document'), 'price')] AS _document_decimal_values,
        [tupleElement(tupleElement(e, 'document'), 'expiry_days')] AS _document_uint16_values,
        [tupleElement(tupleElement(e, 'document'), 'is_organic')] AS _document_bool_values
FROM piccha_raw.products_envelopes
WHERE refusal = 0
)
)
);

CREATE MATERIALIZED VIEW piccha_raw.products_from_envelopes_mv TO piccha_raw.products AS
SELECT kafka_topic, kafka_partition, kafka_offset, kafka_key, kafka_timestamp, schema_version, source_id, op, emitted_at, loaded_at, pii_key_id, content_hash, `id`, `name`, `group`, `description`, `kbju_calories`, `kbju_protein`, `kbju_fat`, `kbju_carbohydrates`, `price`, `unit`, `origin_country`, `expiry_days`, `is_organic`, `barcode`, `manufacturer_name`, `manufacturer_country`, `manufacturer_website`, `manufacturer_inn`, CAST([], 'Array(String)') AS parse_errors
FROM piccha_raw.products_from_envelopes_typed
WHERE _clean
  AND (kafka_topic, kafka_partition, kafka_offset) NOT IN (SELECT kafka_topic, kafka_partition, kafka_offset FROM piccha_raw.products WHERE (kafka_topic, kafka_partition, kafka_offset) IN (SELECT kafka_topic, kafka_partition, kafka_offset FROM piccha_raw.products_from_envelopes_typed));

CREATE TABLE piccha_raw.products_from_envelopes_unclean AS piccha_raw.products_from_envelopes_typed;

CREATE MATERIALIZED VIEW piccha_raw.products_from_envelopes_unclean_mv TO piccha_raw.products_from_envelopes_unclean AS
SELECT * FROM piccha_raw.products_from_envelopes_typed WHERE NOT _clean;

CREATE MATERIALIZED VIEW piccha_raw.products_from_envelopes_explained_mv TO piccha_raw.products AS
SELECT kafka_topic, kafka_partition, kafka_offset, kafka_key, kafka_timestamp, schema_version, source_id, op, emitted_at, loaded_at, pii_key_id, content_hash, `id`, `name`, `group`, `description`, `kbju_calories`, `kbju_protein`, `kbju_fat`, `kbju_carbohydrates`, `price`, `unit`, `origin_country`, `expiry_days`, `is_organic`, `barcode`, `manufacturer_name`, `manufacturer_country`, `manufacturer_website`, `manufacturer_inn`, arrayMap(x -> concat(tupleElement(x, 2), if(empty(tupleElement(x, 3)), '', arrayMap(p -> arrayMap(r -> if(lengthUTF8(r) + countMatches(r, '[\x{10000}-\x{10FFFF}]') > 60, concat(arrayStringConcat(arrayFilter((c, u) -> u <= 57, extractAll(r, '(?s).'), arrayCumSum(arrayMap(c -> if(length(c) = 4, 2, 1), extractAll(r, '(?s).'))))), '…'), r), [arrayMap(j -> if(j = '', 'undefined', j), [multiIf(length(p) = 1, JSONExtractRaw(payload, p[1]), length(p) = 2, JSONExtractRaw(payload, p[1], p[2]), length(p) = 3, JSONExtractRaw(payload, p[1], p[2], p[3]), '')])[1]])[1], [tupleElement(x, 3)])[1])), arraySort(x -> tupleElement(x, 1), arrayFilter(x -> tupleElement(x, 1) > 0, arrayConcat([if(isNotNull(_document_datetime_typed[1]), (toUInt32(0), '', CAST([], 'Array(String)')), (toUInt32(1), 'emitted_at: not an ISO 8601 date and time: ', ['emitted_at']))], [if((isNotNull(_document_datetime_typed[2]) OR NOT (JSONHas(payload, 'loaded_at') AND NOT (JSONType(payload, 'loaded_at') = 'String' AND JSONExtractString(payload, 'loaded_at') = ''))), (toUInt32(0), '', CAST([], 'Array(String)')), (toUInt32(2), 'loaded_at: not an ISO 8601 date and time: ', ['loaded_at']))], [if(_op_is_text, (toUInt32(0), '', CAST([], 'Array(String)')), (toUInt32(3), 'op: not text: ', ['op']))], arrayMap((v, t, n, l, p, i) -> multiIf(i = 0 OR isNotNull(t) OR (n AND isNull(v)), (toUInt32(0), '', CAST([], 'Array(String)')), isNull(v), (toUInt32(i), concat('', l, ': absent'), CAST([], 'Array(String)')), (toUInt32(i), concat('', l, ': ', 'not text: '), p)), _document_string_values, _document_string_typed, [false, true, true, false, false, false, false, false, false, false, false], ['id', 'name', 'group', 'description', 'unit', 'origin_country', 'barcode', 'manufacturer.name', 'manufacturer.country', 'manufacturer.website', 'manufacturer.inn'], [['document', 'id'], ['document', 'name'], ['document', 'group'], ['document', 'description'], ['document', 'unit'], ['document', 'origin_country'], ['document', 'barcode'], ['document', 'manufacturer', 'name'], ['document', 'manufacturer', 'country'], ['document', 'manufacturer', 'website'], ['document', 'manufacturer', 'inn']], [10, 11, 12, 13, 19, 20, 23, 24, 25, 26, 27]), arrayMap((v, t, n, l, p, i) -> multiIf(i = 0 OR isNotNull(t) OR (n AND isNull(v)), (toUInt32(0), '', CAST([], 'Array(String)')), isNull(v), (toUInt32(i), concat('', l, ': absent'), CAST([], 'Array(String)')), (toUInt32(i), concat('', l, ': ', 'not a number: '), p)), _document_float_values, _document_float_typed, [false, false, false, false], ['kbju.calories', 'kbju.protein', 'kbju.fat', 'kbju.carbohydrates'], [['document', 'kbju', 'calories'], ['document', 'kbju', 'protein'], ['document', 'kbju', 'fat'], ['document', 'kbju', 'carbohydrates']], [14, 15, 16, 17]), arrayMap((v, t, n, l, p, i) -> multiIf(i = 0 OR isNotNull(t) OR (n AND isNull(v)), (toUInt32(0), '', CAST([], 'Array(String)')), isNull(v), (toUInt32(i), concat('', l, ': absent'), CAST([], 'Array(String)')), (toUInt32(i), concat('', l, ': ', multiIf(dynamicType(v) NOT IN ('String', 'Int64', 'UInt64', 'Float64') OR multiIf(dynamicType(v) = 'String', replaceRegexpAll(toString(v), '^[\\s\\x{0B}\\x{A0}\\x{FEFF}\\p{Zs}\\x{2028}\\x{2029}]+|[\\s\\x{0B}\\x{A0}\\x{FEFF}\\p{Zs}\\x{2028}\\x{2029}]+$', ''), dynamicType(v) IN ('Int64', 'UInt64', 'Float64'), toString(v), '') = '' OR NOT isFinite(ifNull(toFloat64OrNull(multiIf(dynamicType(v) = 'String', replaceRegexpAll(toString(v), '^[\\s\\x{0B}\\x{A0}\\x{FEFF}\\p{Zs}\\x{2028}\\x{2029}]+|[\\s\\x{0B}\\x{A0}\\x{FEFF}\\p{Zs}\\x{2028}\\x{2029}]+$', ''), dynamicType(v) IN ('Int64', 'UInt64', 'Float64'), toString(v), '')), nan)), 'not a number: ', abs(toFloat64OrZero(multiIf(dynamicType(v) = 'String', replaceRegexpAll(toString(v), '^[\\s\\x{0B}\\x{A0}\\x{FEFF}\\p{Zs}\\x{2028}\\x{2029}]+|[\\s\\x{0B}\\x{A0}\\x{FEFF}\\p{Zs}\\x{2028}\\x{2029}]+$', ''), dynamicType(v) IN ('Int64', 'UInt64', 'Float64'), toString(v), ''))) >= 1e10, 'out of range for Decimal(12, 2): ', 'more than two decimal places: ')), p)), _document_decimal_values, _document_decimal_typed, [true], ['price'], [['document', 'price']], [18]), arrayMap((v, t, n, l, p, i) -> multiIf(i = 0 OR isNotNull(t) OR (n AND isNull(v)), (toUInt32(0), '', CAST([], 'Array(String)')), isNull(v), (toUInt32(i), concat('', l, ': absent'), CAST([], 'Array(String)')), (toUInt32(i), concat('', l, ': ', if(NOT (dynamicType(v) IN ('Int64', 'UInt64') OR (dynamicType(v) = 'Float64' AND toFloat64(v) = floor(toFloat64(v)))), 'not a whole number: ', 'outside 0–65535: ')), p)), _document_uint16_values, _document_uint16_typed, [false], ['expiry_days'], [['document', 'expiry_days']], [21]), arrayMap((v, t, n, l, p, i) -> multiIf(i = 0 OR isNotNull(t) OR (n AND isNull(v)), (toUInt32(0), '', CAST([], 'Array(String)')), isNull(v), (toUInt32(i), concat('', l, ': absent'), CAST([], 'Array(String)')), (toUInt32(i), concat('', l, ': ', 'not true or false: '), p)), _document_bool_values, _document_bool_typed, [false], ['is_organic'], [['document', 'is_organic']], [22]))))) AS parse_errors
FROM piccha_raw.products_from_envelopes_unclean
WHERE true
  AND (kafka_topic, kafka_partition, kafka_offset) NOT IN (SELECT kafka_topic, kafka_partition, kafka_offset FROM piccha_raw.products WHERE (kafka_topic, kafka_partition, kafka_offset) IN (SELECT kafka_topic, kafka_partition, kafka_offset FROM piccha_raw.products_from_envelopes_unclean));

CREATE TABLE piccha_raw.products_refused AS piccha_raw.products_envelopes;

CREATE MATERIALIZED VIEW piccha_raw.products_refused_mv TO piccha_raw.products_refused AS
SELECT * FROM piccha_raw.products_envelopes WHERE refusal > 0;

CREATE MATERIALIZED VIEW piccha_raw.products_rejected_mv TO piccha_raw.rejected AS
SELECT kafka_topic, kafka_partition, kafka_offset, kafka_key, kafka_timestamp,
    'ingest' AS origin, ['not_json', 'bad_envelope', 'unknown_schema_version', 'bad_envelope', 'bad_envelope', 'bad_envelope', 'wrong_shape', 'missing_business_key', 'wrong_shape', 'wrong_shape'][refusal] AS error_kind, concat(tupleElement(multiIf(refusal = 1, (if(payload = '', 'not JSON: the payload is empty', 'not JSON: the payload does not parse as JSON'), '', ''),
    refusal = 2, ('the message should be a JSON object, got ', JSONExtractRaw(payload), ''),
    refusal = 3, ('unknown schema_version ', if(JSONHas(payload, 'schema_version'), JSONExtractRaw(payload, 'schema_version'), 'undefined'), '; this ingest reads 1'),
    refusal = 4, ('the envelope has no entity', '', ''),
    refusal = 5, ('entity ', if(JSONHas(payload, 'entity'), JSONExtractRaw(payload, 'entity'), 'undefined'), concat(' on topic ', kafka_topic, ', which carries products')),
    refusal = 6, ('the envelope has no source_id', '', ''),
    refusal = 7, ('document should be an object, got ', if(JSONHas(payload, 'document'), JSONExtractRaw(payload, 'document'), 'undefined'), ''),
    refusal = 8, ('document has no business key id', '', ''),
    refusal = 9, ('kbju should be an object, got ', if(JSONHas(payload, 'document', 'kbju'), JSONExtractRaw(payload, 'document', 'kbju'), 'undefined'), ''),
    refusal = 10, ('manufacturer should be an object, got ', if(JSONHas(payload, 'document', 'manufacturer'), JSONExtractRaw(payload, 'document', 'manufacturer'), 'undefined'), ''), ('', '', '')), 1), arrayMap(r -> if(lengthUTF8(r) + countMatches(r, '[\x{10000}-\x{10FFFF}]') > 60, concat(arrayStringConcat(arrayFilter((c, u) -> u <= 57, extractAll(r, '(?s).'), arrayCumSum(arrayMap(c -> if(length(c) = 4, 2, 1), extractAll(r, '(?s).'))))), '…'), r), [tupleElement(multiIf(refusal = 1, (if(payload = '', 'not JSON: the payload is empty', 'not JSON: the payload does not parse as JSON'), '', ''),
    refusal = 2, ('the message should be a JSON object, got ', JSONExtractRaw(payload), ''),
    refusal = 3, ('unknown schema_version ', if(JSONHas(payload, 'schema_version'), JSONExtractRaw(payload, 'schema_version'), 'undefined'), '; this ingest reads 1'),
    refusal = 4, ('the envelope has no entity', '', ''),
    refusal = 5, ('entity ', if(JSONHas(payload, 'entity'), JSONExtractRaw(payload, 'entity'), 'undefined'), concat(' on topic ', kafka_topic, ', which carries products')),
    refusal = 6, ('the envelope has no source_id', '', ''),
    refusal = 7, ('document should be an object, got ', if(JSONHas(payload, 'document'), JSONExtractRaw(payload, 'document'), 'undefined'), ''),
    refusal = 8, ('document has no business key id', '', ''),
    refusal = 9, ('kbju should be an object, got ', if(JSONHas(payload, 'document', 'kbju'), JSONExtractRaw(payload, 'document', 'kbju'), 'undefined'), ''),
    refusal = 10, ('manufacturer should be an object, got ', if(JSONHas(payload, 'document', 'manufacturer'), JSONExtractRaw(payload, 'document', 'manufacturer'), 'undefined'), ''), ('', '', '')), 2)])[1], tupleElement(multiIf(refusal = 1, (if(payload = '', 'not JSON: the payload is empty', 'not JSON: the payload does not parse as JSON'), '', ''),
    refusal = 2, ('the message should be a JSON object, got ', JSONExtractRaw(payload), ''),
    refusal = 3, ('unknown schema_version ', if(JSONHas(payload, 'schema_version'), JSONExtractRaw(payload, 'schema_version'), 'undefined'), '; this ingest reads 1'),
    refusal = 4, ('the envelope has no entity', '', ''),
    refusal = 5, ('entity ', if(JSONHas(payload, 'entity'), JSONExtractRaw(payload, 'entity'), 'undefined'), concat(' on topic ', kafka_topic, ', which carries products')),
    refusal = 6, ('the envelope has no source_id', '', ''),
    refusal = 7, ('document should be an object, got ', if(JSONHas(payload, 'document'), JSONExtractRaw(payload, 'document'), 'undefined'), ''),
    refusal = 8, ('document has no business key id', '', ''),
    refusal = 9, ('kbju should be an object, got ', if(JSONHas(payload, 'document', 'kbju'), JSONExtractRaw(payload, 'document', 'kbju'), 'undefined'), ''),
    refusal = 10, ('manufacturer should be an object, got ', if(JSONHas(payload, 'document', 'manufacturer'), JSONExtractRaw(payload, 'document', 'manufacturer'), 'undefined'), ''), ('', '', '')), 3)) AS error,
    if(dynamicType(tupleElement(e, 'entity')) = 'String', toString(tupleElement(e, 'entity')), '') AS entity, if(dynamicType(tupleElement(e, 'source_id')) = 'String', toString(tupleElement(e, 'source_id')), '') AS source_id, if(dynamicType(tupleElement(e, 'pii_key_id')) = 'String', toString(tupleElement(e, 'pii_key_id')), '') AS pii_key_id,
    payload AS payload, now64(3) AS failed_at
FROM piccha_raw.products_refused
WHERE true
  AND (kafka_topic, kafka_partition, kafka_offset) NOT IN (SELECT kafka_topic, kafka_partition, kafka_offset FROM piccha_raw.rejected WHERE (kafka_topic, kafka_partition, kafka_offset) IN (SELECT kafka_topic, kafka_partition, kafka_offset FROM piccha_raw.products_refused));
