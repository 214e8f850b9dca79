import { expect } from 'vitest';
import type { ClickHouse } from '../../pipeline/clickhouse/clickhouse.js';
import { ENTITIES, type Entity } from '../../pipeline/entities/entities.js';
import type { DefectEntry } from '../../pipeline/generate/manifest.js';
import { expectedDuplicates, expectedKept, expectedRejections, kopecks, type Generated } from './mart-expectations.js';

/** Each entity's business key in the generated documents, and its name in the MART. */
const KEYS: Readonly<Record<Entity, { document: string; mart: string }>> = {
  stores: { document: 'store_id', mart: 'store_id' },
  products: { document: 'id', mart: 'product_id' },
  customers: { document: 'customer_id', mart: 'customer_id' },
  purchases: { document: 'purchase_id', mart: 'purchase_id' },
};

const sorted = (values: Iterable<string>) => [...values].sort();

/**
 * Holds a refreshed MART to the source, all figures computed here from the generated documents
 * and the generator's defect list: every (topic, partition, offset) once in RAW; per entity the
 * kept documents (by source id), the duplicates and the rejected; every item; revenue to the
 * kopeck; and the latest duplicates_log row of each entity.
 */
export async function expectMartEqualsSource(clickhouse: ClickHouse, generated: Generated, defects: readonly DefectEntry[]): Promise<void> {
  const ids = async (sql: string, params: Record<string, unknown> = {}) => sorted((await clickhouse.query<{ id: string }>(sql, params)).map((row) => row.id));
  const number = async (sql: string) => Number((await clickhouse.query<{ n: string }>(sql))[0]?.n);

  for (const entity of ENTITIES) {
    expect(await number(`SELECT count() - uniqExact(kafka_topic, kafka_partition, kafka_offset) AS n FROM piccha_raw.${entity}`), `RAW ${entity} repeats an offset`).toBe(0);
  }
  expect(await number('SELECT count() - uniqExact(kafka_topic, kafka_partition, kafka_offset, item_index) AS n FROM piccha_raw.purchase_items'), 'RAW purchase_items repeats an item').toBe(0);

  const latestLog = await clickhouse.query<{ entity: string; documents: string; unique_keys: string; duplicates: string }>(
    `SELECT entity, argMax(documents, timestamp) AS documents, argMax(unique_keys, timestamp) AS unique_keys, argMax(duplicates, timestamp) AS duplicates
     FROM piccha_mart.duplicates_log GROUP BY entity`,
  );
  for (const entity of ENTITIES) {
    const kept = expectedKept(defects, generated, entity);
    const duplicates = expectedDuplicates(defects, entity);
    const rejected = new Set([...expectedRejections(defects, entity).values()].flat());
    expect(await ids(`SELECT source_id AS id FROM piccha_mart.${entity}`), `MART ${entity}`).toEqual(sorted(kept.map((document) => String(document.source_id))));
    expect(await number(`SELECT uniqExact(${KEYS[entity].mart}) AS n FROM piccha_mart.${entity}`), `MART ${entity} keys`).toBe(kept.length);
    expect(await ids(`SELECT source_id AS id FROM piccha_mart.document_status WHERE entity = {entity:String} AND status = 'duplicate'`, { entity }), `${entity} duplicates`).toEqual(sorted(duplicates));
    expect(await ids(`SELECT source_id AS id FROM piccha_mart.rejected_rows WHERE entity = {entity:String}`, { entity }), `${entity} rejected`).toEqual(sorted(rejected));

    const documents = generated[entity];
    const keys = new Set(documents.map((document) => document[KEYS[entity].document]).filter((key) => typeof key === 'string' && key.trim() !== '').map((key) => String(key).trim()));
    const log = latestLog.find((row) => row.entity === entity);
    expect({ documents: Number(log?.documents), unique_keys: Number(log?.unique_keys), duplicates: Number(log?.duplicates) }, `duplicates_log ${entity}`).toEqual({
      documents: documents.length,
      unique_keys: keys.size,
      duplicates: duplicates.length,
    });
  }

  const purchases = expectedKept(defects, generated, 'purchases');
  const revenue = purchases.reduce((sum, purchase) => sum + kopecks(purchase.total_amount), 0);
  expect(await number('SELECT toString(sum(total_amount) * 100) AS n FROM piccha_mart.purchases'), 'revenue, kopecks').toBe(revenue);
  expect(await number('SELECT toString(sum(revenue) * 100) AS n FROM piccha_mart.sales_daily_store'), 'sales_daily_store revenue, kopecks').toBe(revenue);
  const items = purchases.reduce((sum, purchase) => sum + (purchase.items as unknown[]).length, 0);
  expect(await number('SELECT count() AS n FROM piccha_mart.purchase_items'), 'MART purchase_items').toBe(items);
}
