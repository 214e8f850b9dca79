import { CompressionTypes, type Kafka, type Message } from 'kafkajs';
import { DIRTY_PROFILES } from '../../pipeline/generate/defects.js';
import { generateDocuments } from '../../pipeline/generate/generator.js';
import { newManifest } from '../../pipeline/generate/manifest.js';
import { contentHash } from '../../pipeline/load/mongo-writer.js';
import { generateKeys, keyringFrom } from '../../pipeline/pii/keys.js';
import { protectDocument } from '../../pipeline/pii/protect.js';
import { SCHEMA_VERSION, type Envelope } from '../../pipeline/produce/envelope.js';
import { ensureTopics, type TopicNames } from '../../pipeline/produce/topics.js';

export interface FilledPurchases {
  readonly purchases: number;
  /** The generated purchases' total_amount summed in kopecks, from the documents themselves. */
  readonly kopecks: number;
  readonly items: number;
}

/**
 * Generated purchase envelopes exactly as the producer writes them (PII protected), sent
 * straight to the purchases topic (created with `partitions`), without MongoDB in between.
 */
export async function fillPurchases(kafka: Kafka, topics: TopicNames, purchases: number, seed: number, partitions: number): Promise<FilledPurchases> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await ensureTopics(admin, topics, partitions);
  } finally {
    await admin.disconnect();
  }
  const keys = generateKeys();
  const keyring = keyringFrom({ PICCHA_PII_KEYS: `${keys.keyId}:${keys.key}`, PICCHA_PII_INDEX_KEY: keys.indexKey });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  let messages: Message[] = [];
  const flush = async () => {
    if (messages.length > 0) await producer.send({ topic: topics.entities.purchases, messages, acks: -1, compression: CompressionTypes.GZIP });
    messages = [];
  };
  let kopecks = 0;
  let items = 0;
  try {
    const now = new Date().toISOString();
    const options = { seed, now: Date.now(), days: 90, counts: { stores: 45, products: 20, customers: 45, purchases }, defects: DIRTY_PROFILES.none ?? { rates: {}, maxCopies: 1 } };
    for (const { entity, document } of generateDocuments(options, newManifest({ seed, now, days: 90, profile: 'none', rates: {}, max_copies: 1 }))) {
      if (entity !== 'purchases') continue;
      kopecks += Math.round(Number(document.total_amount) * 100);
      items += Array.isArray(document.items) ? document.items.length : 0;
      const sourceId = String(document.source_id);
      const envelope: Envelope = { schema_version: SCHEMA_VERSION, entity, source_id: sourceId, op: 'upsert', emitted_at: now, loaded_at: now, pii_key_id: keyring.active.id, content_hash: contentHash(document), document: protectDocument(entity, sourceId, document, keyring) };
      messages.push({ key: String(document.purchase_id), value: JSON.stringify(envelope) });
      if (messages.length >= 1000) await flush();
    }
    await flush();
  } finally {
    await producer.disconnect();
  }
  return { purchases, kopecks, items };
}
