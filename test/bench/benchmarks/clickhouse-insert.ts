import { EmbeddedClickHouse } from '../../../pipeline/clickhouse/embedded.js';
import type { Row } from '../../../pipeline/clickhouse/clickhouse.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { scaled, timed, type Benchmark, type BenchResult } from '../harness.js';

const NETWORKS = ['Большая Пикча', 'Маленькая Пикча'];
const CATEGORIES = ['🥖 Зерновые и хлебобулочные изделия', '🥩 Мясо, рыба, яйца и бобовые', '🥛 Молочные продукты', '🍏 Фрукты и ягоды', '🥦 Овощи и зелень'];

/** A purchase line as the pipeline stores it: ids, a network, money, a time, items. */
export function purchaseRow(i: number): Row {
  const quantity = (i % 5) + 1;
  const price = 30 + ((i * 37) % 27_000) / 100;
  return {
    purchase_id: `ord-${String(i).padStart(8, '0')}`,
    customer_id: `cus-${1000 + (i % 45)}`,
    store_id: `store-${String((i % 45) + 1).padStart(3, '0')}`,
    store_network: NETWORKS[i % 45 < 30 ? 0 : 1],
    product_id: `prd-${1000 + (i % 20)}`,
    category: CATEGORIES[i % 5],
    quantity,
    price_per_unit: price.toFixed(2),
    total_price: (price * quantity).toFixed(2),
    payment_method: i % 2 === 0 ? 'card' : 'cash',
    purchased_at: new Date(Date.UTC(2026, 8, 1) + i * 7_919).toISOString(),
  };
}

export const PURCHASES_DDL = `CREATE TABLE bench.purchases (
  purchase_id String, customer_id String, store_id LowCardinality(String), store_network LowCardinality(String),
  product_id LowCardinality(String), category LowCardinality(String), quantity UInt16,
  price_per_unit Decimal(12, 2), total_price Decimal(12, 2), payment_method LowCardinality(String),
  purchased_at DateTime64(3, 'UTC')
) ENGINE = MergeTree ORDER BY (store_id, purchased_at, purchase_id)`;

export const clickhouseInsertBenchmark: Benchmark = {
  name: 'clickhouse-insert',
  description: 'embedded ClickHouse inserts of purchase-shaped rows: one row per INSERT vs batches of 50,000',
  async run(options) {
    const dir = makeTempDir('bench-chdb');
    const clickhouse = new EmbeddedClickHouse(dir.path);
    try {
      await clickhouse.exec('CREATE DATABASE bench');
      await clickhouse.exec(PURCHASES_DDL);
      const results: BenchResult[] = [];

      const singles = scaled(10_000, options);
      const singleLatencies: number[] = [];
      for (let i = 0; i < singles; i++) {
        const row = purchaseRow(i);
        singleLatencies.push(await timed(() => clickhouse.insert('bench.purchases', [row])));
      }
      results.push({ case: 'one row per INSERT', size: singles, unit: 'rows', seconds: singleLatencies.reduce((a, b) => a + b, 0) / 1000, latenciesMs: singleLatencies, baseline: true });

      const total = scaled(1_000_000, options);
      const batchSize = Math.min(50_000, total);
      const batchLatencies: number[] = [];
      for (let start = 0; start < total; start += batchSize) {
        const rows = Array.from({ length: Math.min(batchSize, total - start) }, (_, k) => purchaseRow(singles + start + k));
        batchLatencies.push(await timed(() => clickhouse.insert('bench.purchases', rows)));
      }
      results.push({ case: `batches of ${batchSize.toLocaleString('en-US')}`, size: total, unit: 'rows', seconds: batchLatencies.reduce((a, b) => a + b, 0) / 1000, latenciesMs: batchLatencies });

      const [count] = await clickhouse.query<{ n: string }>('SELECT count() AS n FROM bench.purchases');
      if (Number(count?.n) !== singles + total) throw new Error(`expected ${singles + total} rows, found ${count?.n ?? 'none'}`);
      return results;
    } finally {
      await clickhouse.close();
      dir.remove();
    }
  },
};
