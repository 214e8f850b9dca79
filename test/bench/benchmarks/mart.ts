import { EmbeddedClickHouse } from '../../../pipeline/clickhouse/embedded.js';
import { defaultMigrationsDir, migrate, readMigrations } from '../../../pipeline/clickhouse/migrations.js';
import { appendingViews, refreshableViews, refreshViews } from '../../../pipeline/mart/refresh.js';
import { purchaseItems, purchases, salesDailyStore } from '../../../dashboards/marts.js';
import { lookbackMs } from '../../../dashboards/preview/render.js';
import { expandMacros, type VariableValue } from '../../../dashboards/query/macros.js';
import { salesDashboard } from '../../../dashboards/sales/dashboard.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { percentile, scaled, timed, type Benchmark, type BenchResult } from '../harness.js';

const TRANSPORT = `'bench.purchases' AS kafka_topic, toUInt32(cityHash64(purchase_id) % 3) AS kafka_partition, toUInt64(n) AS kafka_offset,
  purchase_id AS kafka_key, now64(3) AS kafka_timestamp, 1 AS schema_version, source_id, 'upsert' AS op, now64(3) AS emitted_at,
  toNullable(now64(3)) AS loaded_at, 'k1' AS pii_key_id, '' AS content_hash`;

/**
 * Synthetic purchase messages straight into RAW, the ingest's shape: purchase k has 1 to 3
 * items; every 50th purchase is sent a second time under a new source id (a duplicate).
 */
function purchasesSql(purchases: number): string {
  const copies = Math.floor(purchases / 50);
  return `
    WITH
      number AS n,
      toUInt64(if(n < ${purchases}, n, (n - ${purchases}) * 50)) AS k,
      concat('ord-', leftPad(toString(k), 9, '0')) AS purchase_id,
      if(n < ${purchases}, concat('purchases-1-', toString(k)), concat('purchases-1-', toString(k), '-resent-1')) AS source_id,
      arrayMap(i -> toUInt32((k * 7 + i * 3) % 20), range(1 + k % 3)) AS products,
      arrayMap(i -> toInt32(1 + (k + i) % 5), range(1 + k % 3)) AS quantities,
      arrayMap(p -> toDecimal64(30 + p * 7.5, 2), products) AS prices
    SELECT ${TRANSPORT},
      purchase_id,
      toNullable(concat('cus-', toString(1000 + k % 5000))) AS customer_id,
      toNullable(hex(cityHash64('email', k % 5000))) AS customer_email_blind_index,
      toNullable('ciphertext') AS customer_email_ciphertext,
      toNullable(k % 5000 % 3 != 0) AS customer_is_loyalty_member,
      toNullable(concat('store-', leftPad(toString(1 + k % 45), 3, '0'))) AS store_id,
      toNullable(concat('Пикча №', toString(1 + k % 45))) AS store_name,
      toNullable(if(k % 45 < 30, 'Большая Пикча', 'Маленькая Пикча')) AS store_network,
      toNullable(concat('Город ', toString(k % 45 % 12))) AS store_location_city,
      toNullable(toUInt32(length(products))) AS item_count,
      toNullable(toDecimal64(arraySum(arrayMap((p, q) -> p * q, prices, quantities)), 2)) AS total_amount,
      if(k % 3 = 0, 'cash', 'card') AS payment_method,
      k % 4 = 0 AS is_delivery,
      toNullable(toDateTime64(now() - toIntervalSecond(k * 7919 % (90 * 86400)), 3, 'Europe/Moscow')) AS purchase_datetime,
      products, quantities, prices
    FROM numbers(${purchases + copies})`;
}

/** Fills RAW with `purchases` synthetic purchase messages and their items (see purchasesSql). */
export async function loadSyntheticPurchases(clickhouse: EmbeddedClickHouse, purchases: number): Promise<void> {
  const staged = `bench_source_${purchases}`;
  await clickhouse.exec(`CREATE TABLE default.${staged} ENGINE = MergeTree ORDER BY kafka_offset AS ${purchasesSql(purchases)}`);
  const purchaseColumns = 'kafka_topic, kafka_partition, kafka_offset, kafka_key, kafka_timestamp, schema_version, source_id, op, emitted_at, loaded_at, pii_key_id, content_hash, purchase_id, customer_id, customer_email_blind_index, customer_email_ciphertext, customer_is_loyalty_member, store_id, store_name, store_network, store_location_city, item_count, total_amount, payment_method, is_delivery, purchase_datetime';
  await clickhouse.exec(`INSERT INTO piccha_raw.purchases (${purchaseColumns}) SELECT ${purchaseColumns} FROM default.${staged}`);
  await clickhouse.exec(`INSERT INTO piccha_raw.purchase_items (kafka_topic, kafka_partition, kafka_offset, kafka_key, kafka_timestamp, schema_version, source_id, op, emitted_at, loaded_at, pii_key_id, content_hash,
      purchase_id, item_index, product_id, name, category, quantity, price_per_unit, total_price)
    SELECT kafka_topic, kafka_partition, kafka_offset, kafka_key, kafka_timestamp, schema_version, source_id, op, emitted_at, loaded_at, pii_key_id, content_hash,
      purchase_id, toUInt32(i - 1), concat('prd-', toString(1000 + products[i])), concat('Товар ', toString(products[i])), concat('Категория ', toString(products[i] % 5)), quantities[i], prices[i], prices[i] * quantities[i]
    FROM default.${staged} ARRAY JOIN arrayEnumerate(products) AS i`);
  await clickhouse.exec(`DROP TABLE default.${staged}`);
}

/**
 * The MART tables the sales dashboard reads, each as the same rows computed on the fly from RAW
 * (through the staging views, which only type and normalise it): a purchase document is kept when
 * it breaks none of the row rules and is the first of its purchase_id to arrive. The item-total
 * rules are left out, which makes the RAW side cheaper than the MART's real work, not dearer.
 */
const KEPT_PURCHASES_FROM_RAW = `(
  SELECT
    purchase_id,
    kept.1 AS purchase_date, kept.2 AS store_id, kept.3 AS store_name, ifNull(kept.4, '') AS store_network, ifNull(kept.5, '') AS store_city,
    kept.6 AS customer_key, ifNull(kept.7, false) AS customer_is_loyalty_member, ifNull(kept.8, '') AS payment_method, kept.9 AS is_delivery,
    kept.10 AS total_amount, kept.11 AS kafka_topic, kept.12 AS kafka_partition, kept.13 AS kafka_offset
  FROM
  (
    SELECT
      purchase_id,
      argMin((assumeNotNull(purchase_date), assumeNotNull(store_id), store_name, store_network, store_city,
              coalesce(customer_email_blind_index, customer_phone_blind_index, concat('customer_id:', assumeNotNull(customer_id))),
              customer_is_loyalty_member, payment_method, is_delivery, assumeNotNull(total_amount), kafka_topic, kafka_partition, kafka_offset),
             (kafka_partition, kafka_offset)) AS kept
    FROM piccha_staging.stg_purchases
    WHERE purchase_id != '' AND customer_id IS NOT NULL AND store_id IS NOT NULL AND ifNull(item_count, 0) > 0 AND total_amount > 0
      AND purchase_datetime <= ifNull(loaded_at, ingested_at) + INTERVAL 5 MINUTE
    GROUP BY purchase_id
  ))`;

const KEPT_ITEMS_FROM_RAW = `(
  SELECT p.purchase_date AS purchase_date, p.store_id AS store_id, p.store_network AS store_network, p.store_city AS store_city,
    i.product_name AS product_name, ifNull(i.category, '') AS category, i.quantity AS quantity, i.total_price AS total_price
  FROM piccha_staging.stg_purchase_items AS i
  INNER JOIN ${KEPT_PURCHASES_FROM_RAW} AS p
  ON i.kafka_topic = p.kafka_topic AND i.kafka_partition = p.kafka_partition AND i.kafka_offset = p.kafka_offset)`;

const SALES_DAILY_STORE_FROM_RAW = `(
  SELECT p.purchase_date AS purchase_date, p.store_id AS store_id, ifNull(any(p.store_name), '') AS store_name,
    any(p.store_network) AS store_network, any(p.store_city) AS store_city,
    count() AS purchases, sum(p.total_amount) AS revenue, sum(i.units) AS units
  FROM ${KEPT_PURCHASES_FROM_RAW} AS p
  LEFT JOIN
  (
    SELECT kafka_topic, kafka_partition, kafka_offset, sum(toInt64(quantity)) AS units
    FROM piccha_staging.stg_purchase_items GROUP BY kafka_topic, kafka_partition, kafka_offset
  ) AS i
  ON p.kafka_topic = i.kafka_topic AND p.kafka_partition = i.kafka_partition AND p.kafka_offset = i.kafka_offset
  GROUP BY purchase_date, store_id)`;

const FROM_RAW: Readonly<Record<string, string>> = {
  [salesDailyStore.name]: SALES_DAILY_STORE_FROM_RAW,
  [purchases.name]: KEPT_PURCHASES_FROM_RAW,
  [purchaseItems.name]: KEPT_ITEMS_FROM_RAW,
};

const MART_TABLE = /\bpiccha_mart\.[A-Za-z_]\w*\b/g;

interface Question {
  readonly name: string;
  readonly mart: string;
  readonly raw: string;
}

/**
 * The sales dashboard's panels as Grafana sends them on first load (its default range, every
 * filter «Все»), each next to the same query with its MART tables replaced by their RAW
 * computation. Panels on a table the synthetic data does not fill (the stores dimension) are left out.
 */
function dashboardQuestions(now: Date): Question[] {
  const from = new Date(now.getTime() - lookbackMs(salesDashboard.timeFrom));
  const variables: Record<string, VariableValue> = Object.fromEntries(salesDashboard.variables.map((variable) => [variable.name, { all: true }]));
  return salesDashboard.panels.flatMap((panel) => {
    const mart = expandMacros(panel.sql, { from, to: now, intervalMs: 3_600_000, variables });
    const tables = mart.match(MART_TABLE) ?? [];
    if (tables.length === 0 || !tables.every((table) => table in FROM_RAW)) return [];
    return [{ name: `«${panel.title}»`, mart, raw: mart.replace(MART_TABLE, (table) => FROM_RAW[table] ?? table) }];
  });
}

/**
 * Moves every view's schedule a year away, so that only the refreshes timed here run: at this size
 * a scheduled one (every minute) would run beside them and double the work. SYSTEM STOP VIEWS
 * would not do: a stopped view ignores SYSTEM REFRESH VIEW.
 */
async function parkSchedule(clickhouse: EmbeddedClickHouse, views: readonly string[]): Promise<void> {
  await refreshViews(clickhouse, views);
  const logs = await appendingViews(clickhouse, views);
  // ClickHouse cannot add or remove APPEND in MODIFY REFRESH: the log views keep theirs.
  for (const view of views) await clickhouse.exec(`ALTER TABLE ${view} MODIFY REFRESH EVERY 1 YEAR${logs.includes(view) ? ' APPEND' : ''}`);
}

async function latencies(clickhouse: EmbeddedClickHouse, sql: string, runs: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(await timed(() => clickhouse.query(sql)));
  return times;
}

const total = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / 1000;

export const martBenchmark: Benchmark = {
  name: 'mart',
  description:
    '10,000,000 synthetic purchases (at --scale 1) written straight into RAW by INSERT … SELECT FROM numbers(), not through generate → load → produce → ingest: ' +
    'the refresh of the staging → MART chain and of duplicates_log, then each sales-dashboard panel query on its mart vs the same answer from RAW',
  async run(options) {
    const size = scaled(10_000_000, options);
    const dir = makeTempDir('bench-mart');
    const clickhouse = new EmbeddedClickHouse(dir.path);
    try {
      const migrations = readMigrations(defaultMigrationsDir());
      await migrate(clickhouse, migrations);
      const views = refreshableViews(migrations);
      await parkSchedule(clickhouse, views);
      // A run at full size takes tens of minutes: say where it is.
      const step = (text: string) => process.stderr.write(`mart: ${text}\n`);
      const loading = await timed(() => loadSyntheticPurchases(clickhouse, size));
      step(`${size.toLocaleString('en-US')} purchases in RAW after ${(loading / 1000).toFixed(1)} s`);

      const results: BenchResult[] = [];
      const chain = await refreshViews(clickhouse, views);
      step(`chain refreshed: ${chain.map((r) => `${r.view.replace(/^piccha_mart\./, '')} ${(r.milliseconds / 1000).toFixed(1)} s`).join(', ')}`);
      results.push({ case: `refresh: whole staging → MART chain (${views.length} views)`, size, unit: 'purchases', seconds: total(chain.map((r) => r.milliseconds)), group: 'refresh' });
      for (const view of ['piccha_mart.document_status_rmv', 'piccha_mart.purchases_rmv', 'piccha_mart.purchase_items_rmv', 'piccha_mart.duplicates_log_rmv']) {
        const refreshed = chain.find((r) => r.view === view);
        results.push({ case: `refresh: ${view.replace(/^piccha_mart\.|_rmv$/g, '')} (${(refreshed?.rows ?? 0).toLocaleString('en-US')} rows)`, size, unit: 'purchases', seconds: (refreshed?.milliseconds ?? Number.NaN) / 1000, group: 'refresh' });
      }
      const logRefreshes: number[] = [];
      for (let i = 0; i < 5; i++) logRefreshes.push((await refreshViews(clickhouse, ['piccha_mart.duplicates_log_rmv']))[0]?.milliseconds ?? Number.NaN);
      results.push({ case: 'refresh: duplicates_log alone, 5 times', size: logRefreshes.length, unit: 'refreshes', seconds: total(logRefreshes), latenciesMs: logRefreshes, group: 'refresh-log' });

      const [kept] = await clickhouse.query<{ n: string }>('SELECT count() AS n FROM piccha_mart.purchases');
      if (Number(kept?.n) !== size) throw new Error(`expected ${size} purchases in MART, found ${kept?.n ?? 'none'}`);
      const runs = { mart: 20, raw: 3 };
      for (const question of dashboardQuestions(new Date())) {
        // The first run of each is the check that both answer the same: a warm-up for the mart,
        // and timed for RAW, whose runs take minutes at full size and gain nothing from warming.
        const fromMart = await clickhouse.query(question.mart);
        const rawStarted = performance.now();
        const fromRaw = await clickhouse.query(question.raw);
        const firstRaw = performance.now() - rawStarted;
        if (JSON.stringify(fromMart) !== JSON.stringify(fromRaw)) {
          throw new Error(`${question.name}: the mart and RAW disagree: ${JSON.stringify(fromMart).slice(0, 300)} vs ${JSON.stringify(fromRaw).slice(0, 300)}`);
        }
        if (fromMart.length === 0) throw new Error(`${question.name}: no rows, so the comparison proves nothing`);
        step(`${question.name}: both give ${fromMart.length} row(s); timing`);
        const raw = [firstRaw, ...(await latencies(clickhouse, question.raw, runs.raw - 1))];
        const mart = await latencies(clickhouse, question.mart, runs.mart);
        step(`${question.name}: p50 from RAW ${percentile(raw, 50).toFixed(1)} ms, from the mart ${percentile(mart, 50).toFixed(1)} ms`);
        results.push({ case: `${question.name}: from RAW`, size: raw.length, unit: 'queries', seconds: total(raw), latenciesMs: raw, baseline: true, group: question.name });
        results.push({ case: `${question.name}: from the mart`, size: mart.length, unit: 'queries', seconds: total(mart), latenciesMs: mart, group: question.name });
      }
      return results;
    } finally {
      await clickhouse.close();
      dir.remove();
    }
  },
};
