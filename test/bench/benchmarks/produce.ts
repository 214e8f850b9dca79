import type { Message } from 'kafkajs';
import type { Document } from '../../../pipeline/entities/entities.js';
import { DIRTY_PROFILES } from '../../../pipeline/generate/defects.js';
import { runGeneration } from '../../../pipeline/generate/run.js';
import { mongoSink } from '../../../pipeline/generate/sinks.js';
import { createKafka } from '../../../pipeline/kafka/client.js';
import { createLogger } from '../../../pipeline/log/logger.js';
import { connectMongo } from '../../../pipeline/mongo/client.js';
import { generateKeys, keyringFrom } from '../../../pipeline/pii/keys.js';
import { existingSegments, readSegment } from '../../../pipeline/outbox/outbox.js';
import { produce, PRODUCER_CONFIG, SEND_SETTINGS, toMessage } from '../../../pipeline/produce/producer.js';
import { ensureTopics, topicNames } from '../../../pipeline/produce/topics.js';
import { withLocalServices } from '../../helpers/local-services.js';
import { scaled, timed, type Benchmark, type BenchResult } from '../harness.js';

const BATCH = 1000;

export const produceBenchmark: Benchmark = {
  name: 'produce',
  description: 'purchases MongoDB (FerretDB) → Kafka per second: the producer draining the outbox, against its ceiling (the slower of reading the same documents alone and a bare kafkajs send of the same payloads), and PII protection alone',
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
        const results: BenchResult[] = [];

        // Reading alone: the documents, and the outbox segment the producer will drain.
        let read = 0;
        const readMs = await timed(async () => {
          for await (const stored of db.collection<Document>('purchases').find({}, { batchSize: BATCH })) if (stored._id !== undefined) read += 1;
        });
        results.push({ case: 'read the purchases from MongoDB alone', size: read, unit: 'docs', seconds: readMs / 1000 });
        const [segment] = await existingSegments(db, 'purchases');
        let entries = 0;
        const outboxMs = await timed(async () => {
          for await (const entry of readSegment(db, 'purchases', segment ?? 1, BATCH)) if (entry.document !== undefined) entries += 1;
        });
        results.push({ case: 'read their outbox segment alone', size: entries, unit: 'docs', seconds: outboxMs / 1000 });

        // The same envelopes, protected and serialised beforehand (timed: PII protection alone), sent in the same batches.
        const payloads: Buffer[] = [];
        const keysOf: string[] = [];
        const stored = await db.collection<Document>('purchases').find({}, { batchSize: 10_000 }).toArray();
        const protectMs = await timed(() => {
          const now = new Date().toISOString();
          for (const document of stored) {
            const { message } = toMessage('purchases', document, keyring, now);
            payloads.push(Buffer.from(message.value as string));
            keysOf.push(String(message.key));
          }
          return Promise.resolve();
        });
        stored.length = 0;
        results.push({ case: 'PII protection and serialisation alone, in process', size: payloads.length, unit: 'docs', seconds: protectMs / 1000 });
        const bareTopics = topicNames('bench-bare');
        const admin = kafka.admin();
        await admin.connect();
        await ensureTopics(admin, bareTopics, 3);
        await admin.disconnect();
        const producer = kafka.producer(PRODUCER_CONFIG);
        await producer.connect();
        const bareMs = await timed(async () => {
          for (let start = 0; start < payloads.length; start += BATCH) {
            const messages: Message[] = payloads.slice(start, start + BATCH).map((value, index) => ({ key: keysOf[start + index] ?? '', value }));
            await producer.send({ topic: bareTopics.entities.purchases, messages, ...SEND_SETTINGS });
          }
        });
        await producer.disconnect();
        payloads.length = 0;
        results.push({ case: 'bare kafkajs send of the payloads', size: purchases, unit: 'docs', seconds: bareMs / 1000 });
        // The ceiling is the slower of reading and sending: the producer cannot beat either.
        const ceilingSeconds = Math.max(readMs, bareMs) / 1000;
        results.push({ case: 'ceiling: the slower of reading alone and the bare send', size: purchases, unit: 'docs', seconds: ceilingSeconds, baseline: true });

        const producedMs = await timed(() => produce(db, kafka, { entities: ['purchases'], partitions: 3, batchSize: BATCH, follow: false, pollMs: 500, fromScratch: false, topics: topicNames('bench-pii'), keyring }, logger));
        results.push({ case: 'producer draining the outbox, PII protected', size: purchases, unit: 'docs', seconds: producedMs / 1000 });
        return results;
      } finally {
        await db.dropDatabase();
        await client.close();
      }
    });
  },
};
