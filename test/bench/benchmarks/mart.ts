import { EmbeddedClickHouse } from '../../../pipeline/clickhouse/embedded.js';
import { defaultMigrationsDir, migrate, readMigrations } from '../../../pipeline/clickhouse/migrations.js';
import { refreshableViews, refreshViews } from '../../../pipeline/mart/refresh.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { scaled, timed, type Benchmark, type BenchResult } from '../harness.js';

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
      purchase_id, item_index, product_id, category, quantity, price_per_unit, total_price)
    SELECT kafka_topic, kafka_partition, kafka_offset, kafka_key, kafka_timestamp, schema_version, source_id, op, emitted_at, loaded_at, pii_key_id, content_hash,
      purchase_id, toUInt32(i - 1), concat('prd-', toString(1000 + products[i])), concat('Категория ', toString(products[i] % 5)), quantities[i], prices[i], prices[i] * quantities[i]
    FROM default.${staged} ARRAY JOIN arrayEnumerate(products) AS i`);
  await clickhouse.exec(`DROP TABLE default.${staged}`);
}

/** Dashboard questions: the business mart's query, and the same answer computed from RAW. */
const CLEAN_RAW_PURCHASES = `(
  SELECT purchase_id, argMin((purchase_datetime, store_id, store_network, total_amount, payment_method, is_delivery, customer_is_loyalty_member, customer_email_blind_index), kafka_offset) AS p
  FROM piccha_raw.purchases
  WHERE purchase_id != '' AND customer_id IS NOT NULL AND store_id IS NOT NULL AND total_amount > 0 AND purchase_datetime <= loaded_at
  GROUP BY purchase_id)`;

const QUESTIONS: readonly { name: string; mart: string; raw: string }[] = [
  {
    name: 'sales per day × store, last 30 days',
    mart: `SELECT purchase_date, store_id, sum(purchases) AS purchase_count, sum(revenue) AS revenue_sum, revenue_sum / purchase_count AS average_check
           FROM piccha_mart.sales_daily_store WHERE purchase_date >= today() - 30 GROUP BY purchase_date, store_id ORDER BY purchase_date, store_id`,
    raw: `SELECT toDate(p.1) AS purchase_date, p.2 AS store_id, count() AS purchase_count, sum(p.4) AS revenue_sum, revenue_sum / purchase_count AS average_check
          FROM ${CLEAN_RAW_PURCHASES} WHERE toDate(p.1) >= today() - 30 GROUP BY purchase_date, store_id ORDER BY purchase_date, store_id`,
  },
  {
    name: 'revenue per network',
    mart: 'SELECT store_network, sum(revenue) AS revenue_sum FROM piccha_mart.sales_daily_store GROUP BY store_network ORDER BY store_network',
    raw: `SELECT toString(p.3) AS store_network, sum(p.4) AS revenue_sum FROM ${CLEAN_RAW_PURCHASES} GROUP BY store_network ORDER BY store_network`,
  },
  {
    name: 'payment-method share',
    mart: 'SELECT payment_method, sum(purchases) / (SELECT sum(purchases) FROM piccha_mart.purchase_mix_daily) AS share FROM piccha_mart.purchase_mix_daily GROUP BY payment_method ORDER BY payment_method',
    raw: `SELECT toString(p.5) AS payment_method, count() / (SELECT count() FROM ${CLEAN_RAW_PURCHASES}) AS share FROM ${CLEAN_RAW_PURCHASES} GROUP BY payment_method ORDER BY payment_method`,
  },
  {
    name: 'distinct customers, last 30 days',
    mart: 'SELECT uniqExactMerge(customer_keys) AS customers FROM piccha_mart.customers_daily WHERE purchase_date >= today() - 30',
    raw: `SELECT uniqExact(p.8) AS customers FROM ${CLEAN_RAW_PURCHASES} WHERE toDate(p.1) >= today() - 30`,
  },
  {
    name: 'category sales',
    mart: 'SELECT category, sum(units) AS units_sum, sum(revenue) AS revenue_sum FROM piccha_mart.product_sales_daily GROUP BY category ORDER BY category',
    raw: `SELECT toString(category) AS category, sum(quantity) AS units_sum, sum(total_price) AS revenue_sum FROM piccha_raw.purchase_items
          WHERE (kafka_topic, kafka_partition, kafka_offset) IN (
            SELECT 'bench.purchases', toUInt32(cityHash64(purchase_id) % 3), min(kafka_offset) FROM piccha_raw.purchases
            WHERE purchase_id != '' AND customer_id IS NOT NULL AND store_id IS NOT NULL AND total_amount > 0 AND purchase_datetime <= loaded_at
            GROUP BY purchase_id)
          GROUP BY category ORDER BY category`,
  },
];

async function latencies(clickhouse: EmbeddedClickHouse, sql: string, runs: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(await timed(() => clickhouse.query(sql)));
  return times;
}

export const martBenchmark: Benchmark = {
  name: 'mart',
  description: 'dashboard questions on the business marts vs the same answers from RAW (dedup and rules applied), and the refresh of document_status and duplicates_log',
  async run(options) {
    const purchases = scaled(1_000_000, options);
    const dir = makeTempDir('bench-mart');
    const clickhouse = new EmbeddedClickHouse(dir.path);
    try {
      const migrations = readMigrations(defaultMigrationsDir());
      await migrate(clickhouse, migrations);
      await loadSyntheticPurchases(clickhouse, purchases);

      const results: BenchResult[] = [];
      const views = refreshableViews(migrations);
      const refreshed = await refreshViews(clickhouse, views);
      const seconds = (view: string) => (refreshed.find((r) => r.view === view)?.milliseconds ?? Number.NaN) / 1000;
      const chain = refreshed.reduce((sum, r) => sum + r.milliseconds, 0) / 1000;
      results.push({ case: 'refresh: whole staging → MART chain', size: purchases, unit: 'purchases', seconds: chain, group: 'refresh' });
      results.push({ case: 'refresh: document_status (rules, dedup)', size: purchases, unit: 'purchases', seconds: seconds('piccha_mart.document_status_rmv'), group: 'refresh' });
      results.push({ case: 'refresh: duplicates_log', size: purchases, unit: 'purchases', seconds: seconds('piccha_mart.duplicates_log_rmv'), group: 'refresh' });

      // Scheduled refreshes would compete with the timed queries.
      await clickhouse.exec('SYSTEM STOP VIEWS');
      const [kept] = await clickhouse.query<{ n: string }>('SELECT count() AS n FROM piccha_mart.purchases');
      if (Number(kept?.n) !== purchases) throw new Error(`expected ${purchases} purchases in MART, found ${kept?.n ?? 'none'}`);
      const runs = { mart: 30, raw: 5 };
      for (const question of QUESTIONS) {
        const [fromMart, fromRaw] = [await clickhouse.query(question.mart), await clickhouse.query(question.raw)];
        if (JSON.stringify(fromMart) !== JSON.stringify(fromRaw)) throw new Error(`${question.name}: the mart and RAW disagree`);
        const raw = await latencies(clickhouse, question.raw, runs.raw);
        const mart = await latencies(clickhouse, question.mart, runs.mart);
        const total = (values: number[]) => values.reduce((a, b) => a + b, 0) / 1000;
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
