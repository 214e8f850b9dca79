-- MART: category_nutrition (business mart). Grain: one row per category. КБЖУ (calories,
-- protein, fat, carbohydrates per 100 g) averaged over the category's products in the
-- catalogue, and over what was sold (each product weighted by units sold), with units and revenue.
CREATE TABLE piccha_mart.category_nutrition
(
    category LowCardinality(String),
    products UInt64,
    avg_calories Float64,
    avg_protein Float64,
    avg_fat Float64,
    avg_carbohydrates Float64,
    units_sold Int64,
    revenue Decimal(18, 2),
    sold_avg_calories Nullable(Float64),
    sold_avg_protein Nullable(Float64),
    sold_avg_fat Nullable(Float64),
    sold_avg_carbohydrates Nullable(Float64)
)
ENGINE = MergeTree
ORDER BY category;

CREATE MATERIALIZED VIEW piccha_mart.category_nutrition_rmv
REFRESH EVERY 1 MINUTE DEPENDS ON piccha_mart.products_rmv, piccha_mart.purchase_items_rmv
TO piccha_mart.category_nutrition
AS
SELECT
    c.category AS category,
    c.products AS products,
    c.avg_calories AS avg_calories,
    c.avg_protein AS avg_protein,
    c.avg_fat AS avg_fat,
    c.avg_carbohydrates AS avg_carbohydrates,
    s.units_sold AS units_sold,
    s.revenue AS revenue,
    if(s.units_sold = 0, NULL, s.calories / s.units_sold) AS sold_avg_calories,
    if(s.units_sold = 0, NULL, s.protein / s.units_sold) AS sold_avg_protein,
    if(s.units_sold = 0, NULL, s.fat / s.units_sold) AS sold_avg_fat,
    if(s.units_sold = 0, NULL, s.carbohydrates / s.units_sold) AS sold_avg_carbohydrates
FROM
(
    SELECT category, count() AS products, avg(calories) AS avg_calories, avg(protein) AS avg_protein,
           avg(fat) AS avg_fat, avg(carbohydrates) AS avg_carbohydrates
    FROM piccha_mart.products
    GROUP BY category
) AS c
LEFT JOIN
(
    SELECT category, sum(toInt64(quantity)) AS units_sold, toDecimal128(sum(total_price), 2) AS revenue,
           sum(calories * quantity) AS calories, sum(protein * quantity) AS protein,
           sum(fat * quantity) AS fat, sum(carbohydrates * quantity) AS carbohydrates
    FROM piccha_mart.purchase_items
    GROUP BY category
) AS s
ON c.category = s.category;
