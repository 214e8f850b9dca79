import { CompressionTypes, Partitioners, type Message } from 'kafkajs';
import type { Document } from '../../../pipeline/entities/entities.js';
import { DIRTY_PROFILES } from '../../../pipeline/generate/defects.js';
import { runGeneration } from '../../../pipeline/generate/run.js';
import { mongoSink } from '../../../pipeline/generate/sinks.js';
import { createKafka } from '../../../pipeline/kafka/client.js';
import { createLogger } from '../../../pipeline/log/logger.js';
import { connectMongo } from '../../../pipeline/mongo/client.js';
import { generateKeys, keyringFrom } from '../../../pipeline/pii/keys.js';
import { protectDocument } from '../../../pipeline/pii/protect.js';
import { SCHEMA_VERSION, withoutStorageFields } from '../../../pipeline/produce/envelope.js';
import { produce } from '../../../pipeline/produce/producer.js';
import { ensureTopics, topicNames } from '../../../pipeline/produce/topics.js';
import { withLocalServices } from '../../helpers/local-services.js';
import { scaled, timed, type Benchmark, type BenchResult } from '../harness.js';

const BATCH = 1000;

export const produceBenchmark: Benchmark = {
  name: 'produce',
  description: 'purchases MongoDB (FerretDB) → Kafka per second: the producer with and without PII protection, and a bare kafkajs send of the same payloads (the ceiling)',
  async run(options) {
    const purchases = scaled(1_000_000, options);
    const logger = createLogger('warn');
    return withLocalServices(['kafka', 'mongo'], async (env) => {
      const { client, db } = await connectMongo({ url: env.MONGO_URL ?? '', database: 'bench_produce' });
      const kafka = createKafka({ brokers: [env.KAFKA_BROKERS ?? ''], clientId: 'bench' }, logger);
      try {
        await runGeneration({ seed: 1, now: Date.now(), days: 90, counts: { stores: 45, products: 20, customers: 45, purchases }, profile: 'none', defects: DIRTY_PROFILES.none ?? { rates: {}, maxCopies: 1 } }, mongoSink(db));
        const keys = generateKeys();
        const keyring = keyringFrom({ PICCHA_PII_KEYS: `${keys.keyId}:${keys.key}`, PICCHA_PII_INDEX_KEY: keys.indexKey });
        const base = { entities: ['purchases'] as const, partitions: 3, batchSize: BATCH, follow: false, pollMs: 500, lagMs: 500, fromScratch: true };
        const results: BenchResult[] = [];

        // The ceiling: the same envelopes, serialised beforehand, sent in the same batches.
        const payloads: Buffer[] = [];
        const keysOf: string[] = [];
        for await (const stored of db.collection<Document>('purchases').find({}, { batchSize: 10_000 })) {
          const document = protectDocument('purchases', withoutStorageFields(stored), keyring);
          payloads.push(Buffer.from(JSON.stringify({ schema_version: SCHEMA_VERSION, entity: 'purchases', source_id: document.source_id, op: 'upsert', emitted_at: new Date().toISOString(), pii_key_id: keyring.active.id, document })));
          keysOf.push(String(document.purchase_id));
        }
        const bareTopics = topicNames('bench-bare');
        const admin = kafka.admin();
        await admin.connect();
        await ensureTopics(admin, bareTopics, 3);
        await admin.disconnect();
        const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
        await producer.connect();
        const bareMs = await timed(async () => {
          for (let start = 0; start < payloads.length; start += BATCH) {
            const messages: Message[] = payloads.slice(start, start + BATCH).map((value, index) => ({ key: keysOf[start + index] ?? '', value }));
            await producer.send({ topic: bareTopics.entities.purchases, messages, acks: -1, compression: CompressionTypes.GZIP });
          }
        });
        await producer.disconnect();
        payloads.length = 0;
        results.push({ case: 'bare kafkajs send of the payloads (ceiling)', size: purchases, unit: 'docs', seconds: bareMs / 1000, baseline: true });

        const plainMs = await timed(() => produce(db, kafka, { ...base, entities: [...base.entities], topics: topicNames('bench-plain'), keyring: undefined }, logger));
        results.push({ case: 'producer, no PII protection', size: purchases, unit: 'docs', seconds: plainMs / 1000 });
        const protectedMs = await timed(() => produce(db, kafka, { ...base, entities: [...base.entities], topics: topicNames('bench-pii'), keyring }, logger));
        results.push({ case: 'producer, PII protected', size: purchases, unit: 'docs', seconds: protectedMs / 1000 });
        return results;
      } finally {
        await db.dropDatabase();
        await client.close();
      }
    });
  },
};

