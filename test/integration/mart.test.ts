import { randomUUID } from 'node:crypto';
import { copyFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import type { Db } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedClickHouse } from '../../pipeline/clickhouse/embedded.js';
import { defaultMigrationsDir, migrate, readMigrations } from '../../pipeline/clickhouse/migrations.js';
import { ENTITIES, type Document, type Entity } from '../../pipeline/entities/entities.js';
import { DIRTY_PROFILES } from '../../pipeline/generate/defects.js';
import { DEFAULT_COUNTS, type EntityCounts } from '../../pipeline/generate/generator.js';
import type { DefectEntry, Manifest } from '../../pipeline/generate/manifest.js';
import { runGeneration } from '../../pipeline/generate/run.js';
import { mongoSink } from '../../pipeline/generate/sinks.js';
import { ingest } from '../../pipeline/ingest/ingest.js';
import { createKafka } from '../../pipeline/kafka/client.js';
import { MongoDocumentWriter } from '../../pipeline/load/mongo-writer.js';
import { fillCreatedViews, refreshableViews, refreshViews } from '../../pipeline/mart/refresh.js';
import { connectMongo, type MongoConnection } from '../../pipeline/mongo/client.js';
import { generateKeys, keyringFrom } from '../../pipeline/pii/keys.js';
import { produce } from '../../pipeline/produce/producer.js';
import { topicNames } from '../../pipeline/produce/topics.js';
import {
  categoryNutrition,
  distinctCustomers,
  expectedDuplicates,
  expectedInvalidContacts,
  expectedKept,
  expectedRejections,
  kopecks,
  capturingSink,
  productSalesDaily,
  purchaseMixDaily,
  salesDailyStore,
  type Generated,
} from '../helpers/mart-expectations.js';
import { quietLogger, testConfig } from '../helpers/services.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const RAW_TABLES = ['stores', 'products', 'customers', 'purchases', 'purchase_items', 'rejected'];
const MART_TABLES: Readonly<Record<Entity, string>> = { stores: 'stores', products: 'products', customers: 'customers', purchases: 'purchases' };

interface Run {
  readonly db: Db;
  readonly prefix: string;
  readonly manifest: Manifest;
  /** The generator's list of every defect it injected: the ground truth. */
  readonly defects: readonly DefectEntry[];
  readonly generated: Generated;
}

describe('MART and data quality, from generated documents through produce and the real ingest', () => {
  const data = makeTempDir('mart');
  const extraSql = makeTempDir('mart-sql');
  const migrations = readMigrations(defaultMigrationsDir());
  const views = refreshableViews(migrations);
  const keys = generateKeys();
  const keyring = keyringFrom({ PICCHA_PII_KEYS: `${keys.keyId}:${keys.key}`, PICCHA_PII_INDEX_KEY: keys.indexKey });
  let clickhouse: EmbeddedClickHouse;
  let connection: MongoConnection;
  let kafka: Kafka;

  beforeAll(async () => {
    clickhouse = new EmbeddedClickHouse(data.path);
    // Every layer exists before the first message arrives.
    await migrate(clickhouse, migrations);
    connection = await connectMongo(testConfig().mongo);
    kafka = createKafka(testConfig().kafka, quietLogger);
  });
  afterAll(async () => {
    await clickhouse.close();
    await connection.client.close();
    data.remove();
    extraSql.remove();
  });

  const rows = <T extends Record<string, unknown>>(sql: string) => clickhouse.query<T>(sql);
  const count = async (sql: string) => Number((await rows<{ n: string }>(sql))[0]?.n);

  async function produceAndIngest(run: Pick<Run, 'db' | 'prefix'>): Promise<void> {
    const topics = topicNames(run.prefix);
    await produce(run.db, kafka, { entities: ENTITIES, topics, partitions: 3, batchSize: 500, follow: false, pollMs: 100, fromScratch: false, keyring }, quietLogger);
    await ingest(kafka, clickhouse, { topics, partitions: 3, groupId: `mart-${run.prefix}`, follow: false, maxBatchRows: 2000, maxBatchMs: 200, deadlineMs: 30_000 }, quietLogger);
    await refreshViews(clickhouse, views);
  }

  /** Generates into a fresh MongoDB database, produces to fresh topics, ingests into an emptied RAW, refreshes the MART. */
  async function pipeline(profile: string, counts: EntityCounts): Promise<Run> {
    for (const table of RAW_TABLES) await clickhouse.exec(`TRUNCATE TABLE piccha_raw.${table}`);
    const prefix = `m${randomUUID().slice(0, 8)}`;
    const db = connection.client.db(`mart_${prefix}`);
    const { sink, generated, defects } = capturingSink(mongoSink(db));
    // A minute back, so that every clean date is in the past when it reaches the MART.
    const now = Date.now() - 60_000;
    const manifest = await runGeneration({ seed: 11, now, days: 90, counts, profile, defects: DIRTY_PROFILES[profile] ?? { rates: {}, maxCopies: 1 } }, sink);
    await produceAndIngest({ db, prefix });
    return { db, prefix, manifest, defects, generated };
  }

  const money = (rows: readonly Record<string, unknown>[], ...fields: string[]) =>
    rows.map((row) => ({ ...row, ...Object.fromEntries(fields.map((field) => [field, kopecks(row[field])])) }));

  describe('seed-default clean data', () => {
    let run: Run;
    beforeAll(async () => {
      run = await pipeline('none', DEFAULT_COUNTS);
    }, 180_000);
    afterAll(async () => {
      await run.db.dropDatabase();
    });

    it('holds 45 stores, 20 products, 45 customers, 200 purchases and every item, revenue to the kopeck', async () => {
      const purchases = run.generated.purchases;
      expect(await count('SELECT count() AS n FROM piccha_mart.stores')).toBe(45);
      expect(await count('SELECT count() AS n FROM piccha_mart.products')).toBe(20);
      expect(await count('SELECT count() AS n FROM piccha_mart.customers')).toBe(45);
      expect(await count('SELECT count() AS n FROM piccha_mart.purchases')).toBe(200);
      expect(await count('SELECT count() AS n FROM piccha_mart.purchase_items')).toBe(purchases.reduce((sum, p) => sum + (p.items as unknown[]).length, 0));
      const revenue = purchases.reduce((sum, p) => sum + kopecks(p.total_amount), 0);
      expect(await count('SELECT toString(sum(total_amount) * 100) AS n FROM piccha_mart.purchases')).toBe(revenue);
      expect(await count('SELECT toString(sum(total_price) * 100) AS n FROM piccha_mart.purchase_items')).toBe(revenue);
      expect(await count('SELECT count() AS n FROM piccha_mart.rejected_rows')).toBe(0);
      expect(await count("SELECT count() AS n FROM piccha_mart.document_status WHERE status != 'kept'")).toBe(0);
    });

    it('gives each business mart the figures computed from the generated documents', async () => {
      const purchases = run.generated.purchases;
      const sales = await rows('SELECT toString(purchase_date) AS purchase_date, store_id, store_network, store_city, toUInt32(purchases) AS purchases, revenue, toUInt32(items) AS items, toInt32(units) AS units FROM piccha_mart.sales_daily_store');
      expect(money(sales, 'revenue').sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))).toEqual(salesDailyStore(purchases));

      const products = await rows('SELECT toString(purchase_date) AS purchase_date, product_id, toString(category) AS category, store_network, toUInt32(purchases) AS purchases, toInt32(units) AS units, revenue FROM piccha_mart.product_sales_daily');
      expect(money(products, 'revenue').sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))).toEqual(productSalesDaily(purchases));

      const mix = await rows('SELECT toString(purchase_date) AS purchase_date, store_network, store_city, payment_method, is_delivery, is_loyalty_member, toUInt32(purchases) AS purchases, revenue FROM piccha_mart.purchase_mix_daily');
      expect(money(mix, 'revenue').sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))).toEqual(purchaseMixDaily(purchases));

      const customers = distinctCustomers(purchases);
      const daily = await rows('SELECT toString(purchase_date) AS purchase_date, store_network, store_city, toUInt32(customers) AS customers, toUInt32(purchases) AS purchases FROM piccha_mart.customers_daily');
      expect(daily.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))).toEqual(customers.daily);
      expect(await count('SELECT uniqExactMerge(customer_keys) AS n FROM piccha_mart.customers_daily')).toBe(customers.overall);

      const nutrition = await rows<Record<string, number | string>>('SELECT toString(category) AS category, toUInt32(products) AS products, avg_calories, avg_protein, avg_fat, avg_carbohydrates, toInt32(units_sold) AS units_sold FROM piccha_mart.category_nutrition ORDER BY category');
      const expected = categoryNutrition(run.generated.products, purchases);
      expect(nutrition.map((row) => row.category)).toEqual(expected.map((row) => row.category));
      for (const [index, row] of nutrition.entries()) {
        const want = expected[index];
        expect(row).toMatchObject({ category: want?.category, products: want?.products, units_sold: want?.units_sold });
        for (const field of ['avg_calories', 'avg_protein', 'avg_fat', 'avg_carbohydrates'] as const) expect(row[field]).toBeCloseTo(want?.[field] ?? NaN, 9);
      }
    });

    it('replaces a document by its later version, which is neither a duplicate nor a second row', async () => {
      const changed = run.generated.purchases.slice(0, 3);
      const writer = new MongoDocumentWriter(run.db, { batchSize: 50 });
      for (const purchase of changed) await writer.write('purchases', { ...purchase, payment_method: purchase.payment_method === 'card' ? 'cash' : 'card' });
      await writer.close();
      await produceAndIngest(run);

      expect(await count('SELECT count() AS n FROM piccha_raw.purchases')).toBe(203);
      expect(await count('SELECT count() AS n FROM piccha_mart.purchases')).toBe(200);
      expect(await count("SELECT count() AS n FROM piccha_mart.document_status WHERE status != 'kept'")).toBe(0);
      const now = await rows<{ purchase_id: string; payment_method: string }>(`SELECT purchase_id, payment_method FROM piccha_mart.purchases WHERE purchase_id IN (${changed.map((p) => `'${String(p.purchase_id)}'`).join(', ')}) ORDER BY purchase_id`);
      expect(now).toEqual(changed.map((p) => ({ purchase_id: p.purchase_id, payment_method: p.payment_method === 'card' ? 'cash' : 'card' })).sort((a, b) => String(a.purchase_id).localeCompare(String(b.purchase_id))));
      const [latest] = await rows<{ duplicates: string; documents: string }>("SELECT duplicates, documents FROM piccha_mart.duplicates_log WHERE entity = 'purchases' ORDER BY timestamp DESC LIMIT 1");
      expect(latest).toEqual({ duplicates: '0', documents: '200' });
    }, 120_000);

    it('fills a mart added by a migration after the data arrived', async () => {
      for (const file of readdirSync(defaultMigrationsDir()).filter((name) => name.endsWith('.sql'))) copyFileSync(join(defaultMigrationsDir(), file), join(extraSql.path, file));
      writeFileSync(
        join(extraSql.path, '900_mart_network_revenue.sql'),
        `CREATE TABLE piccha_mart.network_revenue (store_network String, purchases UInt64, revenue Decimal(18, 2)) ENGINE = MergeTree ORDER BY store_network;
         CREATE MATERIALIZED VIEW piccha_mart.network_revenue_rmv REFRESH EVERY 1 HOUR DEPENDS ON piccha_mart.purchases_rmv TO piccha_mart.network_revenue
         AS SELECT store_network, count() AS purchases, sum(total_amount) AS revenue FROM piccha_mart.purchases GROUP BY store_network;`,
      );
      const withExtra = readMigrations(extraSql.path);
      const report = await migrate(clickhouse, withExtra);
      expect(report.applied).toEqual(['900_mart_network_revenue.sql']);
      await fillCreatedViews(clickhouse, withExtra, report.applied);

      const expected = new Map<string, { purchases: number; revenue: number }>();
      for (const p of run.generated.purchases) {
        const network = (p.store as Document).store_network as string;
        const totals = expected.get(network) ?? { purchases: 0, revenue: 0 };
        expected.set(network, { purchases: totals.purchases + 1, revenue: totals.revenue + kopecks(p.total_amount) });
      }
      const got = await rows<{ store_network: string; purchases: string; revenue: number }>('SELECT store_network, purchases, revenue FROM piccha_mart.network_revenue ORDER BY store_network');
      expect(got.map((row) => [row.store_network, Number(row.purchases), kopecks(row.revenue)])).toEqual([...expected].sort(([a], [b]) => a.localeCompare(b)).map(([network, totals]) => [network, totals.purchases, totals.revenue]));
    });
  });

  const dirtyCounts: EntityCounts = { stores: 45, products: 20, customers: 45, purchases: 1500 };

  describe.each(['light', 'heavy', 'duplicates'])('the %s profile', (profile) => {
    let run: Run;
    beforeAll(async () => {
      run = await pipeline(profile, dirtyCounts);
    }, 240_000);
    afterAll(async () => {
      await run.db.dropDatabase();
    });

    it('accounts for every document: RAW = MART + duplicates + rejected, per entity', async () => {
      for (const entity of ENTITIES) {
        const statuses = Object.fromEntries(
          (await rows<{ status: string; n: string }>(`SELECT toString(status) AS status, count() AS n FROM piccha_mart.document_status WHERE entity = '${entity}' GROUP BY status`)).map((row) => [row.status, Number(row.n)]),
        );
        const raw = await count(`SELECT count() AS n FROM piccha_raw.${entity}`);
        const refused = await count(`SELECT count() AS n FROM piccha_raw.rejected WHERE entity = '${entity}'`);
        const mart = await count(`SELECT count() AS n FROM piccha_mart.${MART_TABLES[entity]}`);
        const rejected = await count(`SELECT count() AS n FROM piccha_mart.rejected_rows WHERE entity = '${entity}'`);
        expect(statuses.kept ?? 0, entity).toBe(mart);
        expect(raw + refused, entity).toBe(mart + (statuses.duplicate ?? 0) + rejected);
        expect(raw + refused, entity).toBe(run.manifest.documents[entity]);
      }
    });

    it('rejects exactly the documents the manifest says broke a rule, under that rule', async () => {
      // The run must hold the defects it is about, or the comparison below proves nothing.
      if (profile !== 'duplicates') expect([...expectedRejections(run.defects, 'purchases').keys()].sort()).toEqual(['future_date', 'missing_key', 'missing_required', 'nonpositive_total', 'purchase_total_mismatch']);
      for (const entity of ENTITIES) {
        const expected = expectedRejections(run.defects, entity);
        const got = await rows<{ rule: string; ids: string[] }>(
          `SELECT toString(rule) AS rule, arraySort(groupArray(source_id)) AS ids FROM piccha_mart.rejected_rows ARRAY JOIN broken_rules AS rule WHERE entity = '${entity}' GROUP BY rule`,
        );
        expect(new Map(got.map((row) => [row.rule, row.ids])), entity).toEqual(expected);
      }
    });

    it('counts exactly the manifest’s duplicates in duplicates_log, and keeps the first document of each key', async () => {
      const latest = await rows<{ entity: string; documents: string; duplicates: string; duplicate_percentage: number }>(
        'SELECT entity, documents, duplicates, duplicate_percentage FROM piccha_mart.duplicates_log ORDER BY timestamp DESC LIMIT 4',
      );
      expect(latest.map((row) => row.entity).sort()).toEqual([...ENTITIES].sort());
      expect(expectedDuplicates(run.defects, 'purchases').length).toBeGreaterThan(0);
      for (const entity of ENTITIES) {
        const duplicates = expectedDuplicates(run.defects, entity);
        const ids = (await rows<{ source_id: string }>(`SELECT source_id FROM piccha_mart.document_status WHERE entity = '${entity}' AND status = 'duplicate' ORDER BY source_id`)).map((row) => row.source_id);
        expect(ids, entity).toEqual(duplicates);
        const row = latest.find((r) => r.entity === entity);
        expect(row, entity).toMatchObject({ documents: String(run.manifest.documents[entity]), duplicates: String(duplicates.length) });
        expect(row?.duplicate_percentage).toBeCloseTo((duplicates.length / run.manifest.documents[entity]) * 100, 9);
      }
      const kept = await rows<{ source_id: string }>("SELECT source_id FROM piccha_mart.purchases WHERE source_id LIKE '%-resent-%'");
      expect(kept).toEqual([]);

      const [alert] = await rows<{ duplicate_percentage: number }>('SELECT duplicate_percentage FROM piccha_mart.duplicates_log ORDER BY timestamp DESC LIMIT 1');
      const purchases = latest.find((r) => r.entity === 'purchases');
      expect(alert?.duplicate_percentage).toBe(purchases?.duplicate_percentage);
      if (profile === 'duplicates') expect(alert?.duplicate_percentage).toBeGreaterThan(50);
      if (profile === 'light') expect(alert?.duplicate_percentage).toBeLessThan(50);
    });

    it('logs the rule counts per entity in data_quality_log', async () => {
      const latest = await rows<Record<string, string>>('SELECT * FROM piccha_mart.data_quality_log ORDER BY timestamp DESC LIMIT 4');
      for (const entity of ENTITIES) {
        const row = latest.find((r) => r.entity === entity);
        const expected = expectedRejections(run.defects, entity);
        for (const rule of ['missing_key', 'missing_required', 'future_date', 'nonpositive_total', 'purchase_total_mismatch', 'item_total_mismatch', 'unreadable']) {
          expect(Number(row?.[rule]), `${entity} ${rule}`).toBe(expected.get(rule)?.length ?? 0);
        }
        expect(Number(row?.duplicates)).toBe(expectedDuplicates(run.defects, entity).length);
        expect(Number(row?.freshness_seconds)).toBeGreaterThanOrEqual(0);
      }
    });

    it('counts invalid emails and phones per entity in data_quality_log, exactly the contacts the generator spoiled', async () => {
      const latest = await rows<Record<string, string>>('SELECT entity, invalid_email, invalid_phone FROM piccha_mart.data_quality_log ORDER BY timestamp DESC LIMIT 4');
      let spoiled = 0;
      for (const entity of ENTITIES) {
        const invalid = expectedInvalidContacts(run.generated, entity);
        const defects = run.defects.filter((defect) => defect.kind === 'invalid_contact' && defect.entity === entity).map((defect) => defect.source_id);
        // The test's own judgement and the generator's defect list name the same documents.
        expect([...invalid.email, ...invalid.phone].sort(), entity).toEqual([...defects].sort());
        // Counted on the MART: among the documents kept.
        const kept = expectedInvalidContacts({ ...run.generated, [entity]: expectedKept(run.defects, run.generated, entity) }, entity);
        expect(latest.find((row) => row.entity === entity), entity).toEqual({ entity, invalid_email: String(kept.email.length), invalid_phone: String(kept.phone.length) });
        spoiled += defects.length;
      }
      if (profile !== 'duplicates') expect(spoiled).toBeGreaterThan(0);
      // Validity is not a cleaning rule: a document with a spoiled contact stays in the MART, flagged.
      const customers = expectedInvalidContacts(run.generated, 'customers');
      expect(await count('SELECT count() AS n FROM piccha_mart.customers WHERE NOT email_valid')).toBe(customers.email.length);
      expect(await count('SELECT count() AS n FROM piccha_mart.customers WHERE NOT phone_valid')).toBe(customers.phone.length);
    });
  });
});
