import type { Kafka, Message } from 'kafkajs';
import type { Db } from 'mongodb';
import type { Document } from '../../../pipeline/entities/entities.js';
import { containerOf, getPath } from '../../../pipeline/entities/paths.js';
import { DIRTY_PROFILES } from '../../../pipeline/generate/defects.js';
import { runGeneration } from '../../../pipeline/generate/run.js';
import { mongoSink, type DocumentSink } from '../../../pipeline/generate/sinks.js';
import { createKafka } from '../../../pipeline/kafka/client.js';
import { createLogger, type Logger } from '../../../pipeline/log/logger.js';
import { connectMongo } from '../../../pipeline/mongo/client.js';
import { existingSegments, readSegment } from '../../../pipeline/outbox/outbox.js';
import { generateKeys, keyringFrom, type PiiKeyring } from '../../../pipeline/pii/keys.js';
import { PII_POLICY } from '../../../pipeline/pii/policy.js';
import type { Envelope } from '../../../pipeline/produce/envelope.js';
import { produce, PRODUCER_CONFIG, SEND_SETTINGS, toMessage } from '../../../pipeline/produce/producer.js';
import { ensureTopics, topicNames } from '../../../pipeline/produce/topics.js';
import { forEachMessage } from '../../helpers/kafka.js';
import { withLocalServices } from '../../helpers/local-services.js';
import { scaled, timed, type Benchmark, type BenchResult } from '../harness.js';

const BATCH = 1000;

/** The purchase with the PII policy's fields removed: nothing left for the producer to encrypt. */
function withoutPolicyFields(document: Document): Document {
  const copy = structuredClone(document);
  for (const { path } of PII_POLICY.purchases) {
    const { parent, field } = containerOf(copy, path);
    if (parent !== undefined) delete parent[field];
  }
  return copy;
}

/** Writes the purchases without their PII fields, through the same loader's writer and outbox. */
function withoutPiiSink(sink: DocumentSink): DocumentSink {
  return { ...sink, write: (entity, document) => sink.write(entity, entity === 'purchases' ? withoutPolicyFields(document) : document) };
}

const isProtectedValue = (value: unknown) => typeof value === 'object' && value !== null && typeof (value as { ciphertext?: unknown }).ciphertext === 'string';

/** One producer case: its own database of purchases, its topics, and what its envelopes must carry. */
interface ProducerCase {
  /** Names the case's rows and its group (its own ceiling). */
  readonly label: string;
  readonly db: Db;
  readonly topicPrefix: string;
  /** True: every envelope carries the policy's fields, protected; false: none carries them, nor any protected value. */
  readonly withPii: boolean;
}

interface Context {
  readonly kafka: Kafka;
  readonly keyring: PiiKeyring;
  readonly logger: Logger;
}

/**
 * What was sent, checked by reading the topics back: one envelope per stored purchase (no dead
 * letters), and PII fields protected in every envelope or absent from every one.
 */
async function checkSent(context: Context, theCase: ProducerCase, expected: number): Promise<{ note: string; sourceIds: Set<string> }> {
  const topics = topicNames(theCase.topicPrefix);
  const sourceIds = new Set<string>();
  let withProtectedPolicyFields = 0;
  let withPolicyFields = 0;
  let withAnyProtectedValue = 0;
  const envelopes = await forEachMessage(context.kafka, [topics.entities.purchases], ({ value }) => {
    const text = value.toString('utf8');
    const envelope = JSON.parse(text) as Envelope;
    sourceIds.add(envelope.source_id);
    const policyValues = PII_POLICY.purchases.map(({ path }) => getPath(envelope.document, path));
    if (policyValues.some((policyValue) => policyValue !== undefined)) withPolicyFields += 1;
    if (policyValues.every(isProtectedValue)) withProtectedPolicyFields += 1;
    if (text.includes('"ciphertext"')) withAnyProtectedValue += 1;
  });
  const deadLetters = await forEachMessage(context.kafka, [topics.deadLetter], () => undefined);
  const problems = [
    envelopes === expected ? '' : `${envelopes} envelopes for ${expected} purchases`,
    sourceIds.size === expected ? '' : `${sourceIds.size} distinct source ids for ${expected} purchases`,
    deadLetters === 0 ? '' : `${deadLetters} dead letters`,
    theCase.withPii && withProtectedPolicyFields !== envelopes ? `${envelopes - withProtectedPolicyFields} envelopes without their PII fields protected` : '',
    !theCase.withPii && withPolicyFields > 0 ? `${withPolicyFields} envelopes carry PII fields` : '',
    !theCase.withPii && withAnyProtectedValue > 0 ? `${withAnyProtectedValue} envelopes carry a protected value` : '',
  ].filter((problem) => problem !== '');
  if (problems.length > 0) throw new Error(`${theCase.label}: the producer's topic is not what was stored: ${problems.join('; ')}`);
  const note = theCase.withPii ? `checked: ${envelopes} envelopes, 1 per purchase, PII fields protected in each` : `checked: ${envelopes} envelopes, 1 per purchase, none with a PII field or a protected value`;
  return { note, sourceIds };
}

/**
 * One case's rows, measured back to back: reading its purchases alone, their outbox segment
 * alone, protection and serialisation alone, a bare send of the same payloads, the ceiling
 * (the slower of reading and the bare send: the producer can beat neither), and the producer.
 */
async function measureCase(context: Context, theCase: ProducerCase): Promise<{ results: BenchResult[]; sourceIds: Set<string> }> {
  const { db, label } = theCase;
  const group = label;
  const results: BenchResult[] = [];

  let read = 0;
  const readMs = await timed(async () => {
    for await (const stored of db.collection<Document>('purchases').find({}, { batchSize: BATCH })) if (stored._id !== undefined) read += 1;
  });
  results.push({ case: `${label}: read the purchases from MongoDB alone`, size: read, unit: 'docs', seconds: readMs / 1000, group });
  const [segment] = await existingSegments(db, 'purchases');
  let entries = 0;
  const outboxMs = await timed(async () => {
    for await (const entry of readSegment(db, 'purchases', segment ?? 1, BATCH)) if (entry.document !== undefined) entries += 1;
  });
  results.push({ case: `${label}: read their outbox segment alone`, size: entries, unit: 'docs', seconds: outboxMs / 1000, group });

  // The same envelopes, protected and serialised beforehand (timed: protection alone), sent in the same batches.
  const payloads: Buffer[] = [];
  const keysOf: string[] = [];
  const stored = await db.collection<Document>('purchases').find({}, { batchSize: 10_000 }).toArray();
  const protectMs = await timed(() => {
    const now = new Date().toISOString();
    for (const document of stored) {
      const { message } = toMessage('purchases', document, context.keyring, now);
      payloads.push(Buffer.from(message.value as string));
      keysOf.push(String(message.key));
    }
    return Promise.resolve();
  });
  stored.length = 0;
  results.push({ case: `${label}: PII protection and serialisation alone, in process`, size: payloads.length, unit: 'docs', seconds: protectMs / 1000, group });
  const payloadBytes = payloads.reduce((sum, payload) => sum + payload.length, 0);
  const bareTopics = topicNames(`${theCase.topicPrefix}-bare`);
  const admin = context.kafka.admin();
  await admin.connect();
  await ensureTopics(admin, bareTopics, 3);
  await admin.disconnect();
  const producer = context.kafka.producer(PRODUCER_CONFIG);
  await producer.connect();
  const bareMs = await timed(async () => {
    for (let start = 0; start < payloads.length; start += BATCH) {
      const messages: Message[] = payloads.slice(start, start + BATCH).map((value, index) => ({ key: keysOf[start + index] ?? '', value }));
      await producer.send({ topic: bareTopics.entities.purchases, messages, ...SEND_SETTINGS });
    }
  });
  await producer.disconnect();
  const sent = payloads.length;
  payloads.length = 0;
  results.push({ case: `${label}: bare kafkajs send of the payloads`, size: sent, unit: 'docs', seconds: bareMs / 1000, group, note: `${Math.round(payloadBytes / Math.max(1, sent))} bytes an envelope` });
  results.push({ case: `${label}: ceiling, the slower of reading alone and the bare send`, size: read, unit: 'docs', seconds: Math.max(readMs, bareMs) / 1000, baseline: true, group });

  const topics = topicNames(theCase.topicPrefix);
  let producedSent = 0;
  const producedMs = await timed(async () => {
    const summary = await produce(db, context.kafka, { entities: ['purchases'], partitions: 3, batchSize: BATCH, follow: false, pollMs: 500, fromScratch: false, topics, keyring: context.keyring }, context.logger);
    producedSent = summary.purchases.sent;
  });
  const { note, sourceIds } = await checkSent(context, theCase, read);
  results.push({ case: `${label}: producer draining the outbox`, size: producedSent, unit: 'docs', seconds: producedMs / 1000, group, note });
  return { results, sourceIds };
}

export const produceBenchmark: Benchmark = {
  name: 'produce',
  description:
    'purchases MongoDB (FerretDB) → Kafka per second: the producer draining the outbox against its ceiling (the slower of reading the same documents alone and a bare kafkajs send of the same payloads), for the purchases with PII and for the same purchases loaded without their PII fields, each case with its own ceiling; and protection alone',
  async run(options) {
    const purchases = scaled(1_000_000, options);
    const logger = createLogger('warn');
    return withLocalServices(['kafka', 'mongo'], async (env) => {
      const withPii = await connectMongo({ url: env.MONGO_URL ?? '', database: 'bench_produce' });
      const withoutPii = await connectMongo({ url: env.MONGO_URL ?? '', database: 'bench_produce_no_pii' });
      const kafka = createKafka({ brokers: [env.KAFKA_BROKERS ?? ''], clientId: 'bench' }, logger);
      try {
        // The same purchases twice (the same seed and clock), through the loader's writer and its outbox.
        const generation = { seed: 1, now: Date.now(), days: 90, counts: { stores: 45, products: 20, customers: 45, purchases }, profile: 'none', defects: DIRTY_PROFILES.none ?? { rates: {}, maxCopies: 1 } };
        await runGeneration(generation, mongoSink(withPii.db));
        await runGeneration(generation, withoutPiiSink(mongoSink(withoutPii.db)));
        const keys = generateKeys();
        const context: Context = { kafka, logger, keyring: keyringFrom({ PICCHA_PII_KEYS: `${keys.keyId}:${keys.key}`, PICCHA_PII_INDEX_KEY: keys.indexKey }) };
        const protectedCase = await measureCase(context, { label: 'with PII', db: withPii.db, topicPrefix: 'bench-pii', withPii: true });
        const plainCase = await measureCase(context, { label: 'without PII', db: withoutPii.db, topicPrefix: 'bench-no-pii', withPii: false });
        const unmatched = [...protectedCase.sourceIds].filter((sourceId) => !plainCase.sourceIds.has(sourceId)).length;
        if (unmatched > 0 || protectedCase.sourceIds.size !== plainCase.sourceIds.size) {
          throw new Error(`the two cases sent different purchases: ${protectedCase.sourceIds.size} with PII, ${plainCase.sourceIds.size} without, ${unmatched} only with PII`);
        }
        return [...protectedCase.results, ...plainCase.results];
      } finally {
        await withPii.db.dropDatabase();
        await withoutPii.db.dropDatabase();
        await withPii.client.close();
        await withoutPii.client.close();
      }
    });
  },
};
