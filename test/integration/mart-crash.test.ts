import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedClickHouse } from '../../pipeline/clickhouse/embedded.js';
import { ENTITIES, type Entity } from '../../pipeline/entities/entities.js';
import { DIRTY_PROFILES } from '../../pipeline/generate/defects.js';
import { runGeneration } from '../../pipeline/generate/run.js';
import { mongoSink } from '../../pipeline/generate/sinks.js';
import { createKafka } from '../../pipeline/kafka/client.js';
import { connectMongo, type MongoConnection } from '../../pipeline/mongo/client.js';
import { generateKeys, keyringFrom } from '../../pipeline/pii/keys.js';
import { produce } from '../../pipeline/produce/producer.js';
import { topicNames } from '../../pipeline/produce/topics.js';
import { runCli } from '../helpers/cli.js';
import { expectedDuplicates, expectedKept, expectedRejections, kopecks, capturingSink } from '../helpers/mart-expectations.js';
import { quietLogger, testConfig, testEnv } from '../helpers/services.js';
import { makeTempDir } from '../helpers/temp-dir.js';

describe('MART after the ingest is killed mid-stream and restarted', () => {
  const state = makeTempDir('mart-crash');
  const dataPath = join(state.path, 'clickhouse');
  let connection: MongoConnection;
  let kafka: Kafka;

  beforeAll(async () => {
    connection = await connectMongo(testConfig().mongo);
    kafka = createKafka(testConfig().kafka, quietLogger);
  });
  afterAll(async () => {
    await connection.client.close();
    state.remove();
  });

  it('holds the same figures as the documents say, with every Kafka message in RAW once', async () => {
    const prefix = `c${randomUUID().slice(0, 8)}`;
    const keys = generateKeys();
    const env = testEnv({ CLICKHOUSE_DATA_PATH: dataPath, PICCHA_TOPIC_PREFIX: prefix, MONGO_DB: `mart_${prefix}`, PICCHA_PII_KEYS: `${keys.keyId}:${keys.key}`, PICCHA_PII_INDEX_KEY: keys.indexKey });
    expect((await runCli(['migrate'], env)).code).toBe(0);

    const db = connection.client.db(env.MONGO_DB);
    const { sink, generated, defects } = capturingSink(mongoSink(db));
    const manifest = await runGeneration({ seed: 5, now: Date.now() - 60_000, days: 90, counts: { stores: 45, products: 20, customers: 45, purchases: 1000 }, profile: 'heavy', defects: DIRTY_PROFILES.heavy ?? { rates: {}, maxCopies: 1 } }, sink);
    await produce(db, kafka, { entities: ENTITIES, topics: topicNames(prefix), partitions: 3, batchSize: 500, follow: false, pollMs: 100, fromScratch: false, keyring: keyringFrom(env) }, quietLogger);

    // Killed right after its second insert, before those offsets were committed: Kafka delivers them again.
    const crashed = await runCli(['ingest', '--max-batch-rows', '100', '--max-batch-ms', '100'], { ...env, PICCHA_INGEST_FAULT: 'after-insert:2' });
    expect(crashed.code, crashed.stderr).toBeNull();
    const finished = await runCli(['ingest', '--max-batch-rows', '100', '--max-batch-ms', '100'], env);
    expect(finished.code, finished.stderr).toBe(0);
    const refreshed = await runCli(['refresh'], env);
    expect(refreshed.code, refreshed.stderr).toBe(0);
    await db.dropDatabase();

    const clickhouse = new EmbeddedClickHouse(dataPath);
    try {
      const count = async (sql: string) => Number((await clickhouse.query<{ n: string }>(sql))[0]?.n);
      for (const table of ['stores', 'products', 'customers', 'purchases']) {
        expect(await count(`SELECT count() - uniqExact(kafka_topic, kafka_partition, kafka_offset) AS n FROM piccha_raw.${table}`), table).toBe(0);
      }
      const marts: Readonly<Record<Entity, string>> = { stores: 'store_id', products: 'product_id', customers: 'customer_id', purchases: 'purchase_id' };
      for (const entity of ENTITIES) {
        const kept = expectedKept(defects, generated, entity);
        expect(await count(`SELECT count() AS n FROM piccha_mart.${entity}`), entity).toBe(kept.length);
        expect(await count(`SELECT uniqExact(${marts[entity]}) AS n FROM piccha_mart.${entity}`), entity).toBe(kept.length);
        expect(await count(`SELECT count() AS n FROM piccha_mart.document_status WHERE entity = '${entity}' AND status = 'duplicate'`), entity).toBe(expectedDuplicates(defects, entity).length);
        const rejected = new Set([...expectedRejections(defects, entity).values()].flat());
        expect(await count(`SELECT count() AS n FROM piccha_mart.rejected_rows WHERE entity = '${entity}'`), entity).toBe(rejected.size);
      }
      // The messages Kafka delivered twice are neither duplicates nor extra documents in the data-quality logs.
      for (const entity of ENTITIES) {
        const [logged] = await clickhouse.query<{ documents: string; duplicates: string }>(
          'SELECT documents, duplicates FROM piccha_mart.duplicates_log WHERE entity = {entity:String} ORDER BY timestamp DESC LIMIT 1',
          { entity },
        );
        expect(logged, entity).toEqual({ documents: String(manifest.documents[entity]), duplicates: String(expectedDuplicates(defects, entity).length) });
      }
      const revenue = expectedKept(defects, generated, 'purchases').reduce((sum, purchase) => sum + kopecks(purchase.total_amount), 0);
      expect(await count('SELECT toString(sum(total_amount) * 100) AS n FROM piccha_mart.purchases')).toBe(revenue);
      expect(await count('SELECT toString(sum(revenue) * 100) AS n FROM piccha_mart.sales_daily_store')).toBe(revenue);
    } finally {
      await clickhouse.close();
    }
  }, 300_000);
});
