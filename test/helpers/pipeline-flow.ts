import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import type { Db, MongoClient } from 'mongodb';
import { ENTITIES, type Document, type Entity } from '../../pipeline/entities/entities.js';
import { DIRTY_PROFILES } from '../../pipeline/generate/defects.js';
import type { EntityCounts } from '../../pipeline/generate/generator.js';
import type { Manifest } from '../../pipeline/generate/manifest.js';
import { runGeneration } from '../../pipeline/generate/run.js';
import { ndjsonSink } from '../../pipeline/generate/sinks.js';
import { loadFolder } from '../../pipeline/load/load.js';
import { generateKeys, keyringFrom } from '../../pipeline/pii/keys.js';
import { produce, type ProduceSummary } from '../../pipeline/produce/producer.js';
import { topicNames, type TopicNames } from '../../pipeline/produce/topics.js';
import { quietLogger } from './services.js';
import { makeTempDir } from './temp-dir.js';

export const FLOW_NOW = Date.parse('2026-11-25T12:00:00Z');

/** One isolated pipeline: its own topics (by prefix), MongoDB database and PII keys. */
export interface Flow {
  readonly prefix: string;
  readonly topics: TopicNames;
  readonly db: Db;
  /** Variables for the CLI: prefix, database, keys. */
  readonly env: Record<string, string>;
}

export function newFlow(client: MongoClient, extra: Record<string, string> = {}): Flow {
  const prefix = `t${randomUUID().slice(0, 8)}`;
  const keys = generateKeys();
  const env = { PICCHA_TOPIC_PREFIX: prefix, MONGO_DB: `flow_${prefix}`, PICCHA_PII_KEYS: `${keys.keyId}:${keys.key}`, PICCHA_PII_INDEX_KEY: keys.indexKey, ...extra };
  return { prefix, topics: topicNames(prefix), db: client.db(env.MONGO_DB), env };
}

export interface Generated {
  readonly manifest: Manifest;
  /** The documents as generated, per entity: the ground truth tests compute expectations from. */
  readonly documents: Readonly<Record<Entity, readonly Document[]>>;
  readonly produced: ProduceSummary;
}

/** generate (into files) → load (into MongoDB) → produce (to Kafka), through the real code. */
/** A smaller `produceBatch` makes smaller record batches on the topics, hence smaller fetches for a consumer. */
export async function generateLoadProduce(flow: Flow, kafka: Kafka, counts: EntityCounts, { profile = 'none', partitions = 3, produceBatch = 500 } = {}): Promise<Generated> {
  const dir = makeTempDir('flow');
  try {
    const manifest = await runGeneration({ seed: 11, now: FLOW_NOW, days: 90, counts, profile, defects: DIRTY_PROFILES[profile] ?? { rates: {}, maxCopies: 1 } }, ndjsonSink(dir.path));
    await loadFolder(flow.db, dir.path);
    const documents = Object.fromEntries(
      ENTITIES.map((entity) => [
        entity,
        readFileSync(join(dir.path, `${entity}.ndjson`), 'utf8')
          .split('\n')
          .filter((line) => line !== '')
          .map((line) => JSON.parse(line) as Document),
      ]),
    ) as Record<Entity, Document[]>;
    const produced = await produce(
      flow.db,
      kafka,
      { entities: ENTITIES, topics: flow.topics, partitions, batchSize: produceBatch, follow: false, pollMs: 100, fromScratch: false, keyring: keyringFrom(flow.env) },
      quietLogger,
    );
    return { manifest, documents, produced };
  } finally {
    dir.remove();
  }
}

/** Sum of purchase totals in kopecks, from the generated documents. */
export function totalKopecks(purchases: readonly Document[]): number {
  return purchases.reduce((sum, purchase) => sum + (typeof purchase.total_amount === 'number' ? Math.round(purchase.total_amount * 100) : 0), 0);
}
