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
import { appendToOutbox, existingSegments, readSegment } from '../../../pipeline/outbox/outbox.js';
import { generateKeys, keyringFrom, type PiiKeyring } from '../../../pipeline/pii/keys.js';
import { PII_POLICY } from '../../../pipeline/pii/policy.js';
import type { Envelope } from '../../../pipeline/produce/envelope.js';
import { toMessage } from '../../../pipeline/produce/message.js';
import { produce, PRODUCER_CONFIG, SEND_SETTINGS } from '../../../pipeline/produce/producer.js';
import { ensureTopics, topicNames } from '../../../pipeline/produce/topics.js';
import { forEachMessage } from '../../helpers/kafka.js';
import { withLocalServices } from '../../helpers/local-services.js';
import { percentile, scaled, timed, type Benchmark, type BenchResult } from '../harness.js';
import { cpuMeter, servicePid } from '../service-process.js';

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
 * What was sent, checked by reading the topics back: each stored purchase once per drain (no
 * dead letters), and PII fields protected in every envelope or absent from every one.
 */
async function checkSent(context: Context, theCase: ProducerCase, stored: number, drains: number): Promise<{ note: string; sourceIds: Set<string> }> {
  const topics = topicNames(theCase.topicPrefix);
  const perSourceId = new Map<string, number>();
  let withProtectedPolicyFields = 0;
  let withPolicyFields = 0;
  let withAnyProtectedValue = 0;
  const envelopes = await forEachMessage(context.kafka, [topics.entities.purchases], ({ value }) => {
    const text = value.toString('utf8');
    const envelope = JSON.parse(text) as Envelope;
    perSourceId.set(envelope.source_id, (perSourceId.get(envelope.source_id) ?? 0) + 1);
    const policyValues = PII_POLICY.purchases.map(({ path }) => getPath(envelope.document, path));
    if (policyValues.some((policyValue) => policyValue !== undefined)) withPolicyFields += 1;
    if (policyValues.every(isProtectedValue)) withProtectedPolicyFields += 1;
    if (text.includes('"ciphertext"')) withAnyProtectedValue += 1;
  });
  const deadLetters = await forEachMessage(context.kafka, [topics.deadLetter], () => undefined);
  const notOncePerDrain = [...perSourceId.values()].filter((count) => count !== drains).length;
  const problems = [
    envelopes === stored * drains ? '' : `${envelopes} envelopes for ${stored} purchases drained ${drains} times`,
    perSourceId.size === stored ? '' : `${perSourceId.size} distinct source ids for ${stored} purchases`,
    notOncePerDrain === 0 ? '' : `${notOncePerDrain} source ids not sent once per drain`,
    deadLetters === 0 ? '' : `${deadLetters} dead letters`,
    theCase.withPii && withProtectedPolicyFields !== envelopes ? `${envelopes - withProtectedPolicyFields} envelopes without their PII fields protected` : '',
    !theCase.withPii && withPolicyFields > 0 ? `${withPolicyFields} envelopes carry PII fields` : '',
    !theCase.withPii && withAnyProtectedValue > 0 ? `${withAnyProtectedValue} envelopes carry a protected value` : '',
  ].filter((problem) => problem !== '');
  if (problems.length > 0) throw new Error(`${theCase.label}: the producer's topic is not what was stored: ${problems.join('; ')}`);
  const what = theCase.withPii ? 'PII fields protected in each' : 'none with a PII field or a protected value';
  return { note: `checked: ${envelopes} envelopes, each purchase once a drain, ${what}`, sourceIds: new Set(perSourceId.keys()) };
}

/** Rounds of reading alone, bare send and producer per case: each row is the median round. */
const ROUNDS = 3;

/** A case's payloads, protected once beforehand, and the rows measured only once. */
interface Prepared {
  readonly theCase: ProducerCase;
  readonly payloads: readonly Buffer[];
  readonly keys: readonly string[];
  readonly rows: BenchResult[];
}

/** Protection and serialisation alone, and the payloads the bare send sends. */
async function prepare(context: Context, theCase: ProducerCase): Promise<Prepared> {
  const { db, label } = theCase;
  const group = label;
  const payloads: Buffer[] = [];
  const keys: string[] = [];
  const stored = await db.collection<Document>('purchases').find({}, { batchSize: 10_000 }).toArray();
  const protectMs = await timed(() => {
    const now = new Date().toISOString();
    for (const document of stored) {
      const { message } = toMessage('purchases', document, context.keyring, now);
      payloads.push(Buffer.from(message.value as string));
      keys.push(String(message.key));
    }
    return Promise.resolve();
  });
  const bytes = payloads.reduce((sum, payload) => sum + payload.length, 0);
  const admin = context.kafka.admin();
  await admin.connect();
  await ensureTopics(admin, topicNames(`${theCase.topicPrefix}-bare`), 3);
  await admin.disconnect();
  return {
    theCase,
    payloads,
    keys,
    rows: [
      { case: `${label}: PII protection and serialisation alone, in process (once)`, size: payloads.length, unit: 'docs', seconds: protectMs / 1000, group, note: `${Math.round(bytes / Math.max(1, payloads.length))} bytes an envelope` },
    ],
  };
}

/** What the producer reads: every outbox segment of the purchases, entries decoded, none dropped. */
async function readOutboxAlone(db: Db): Promise<{ count: number; ms: number }> {
  let count = 0;
  const ms = await timed(async () => {
    for (const segment of await existingSegments(db, 'purchases')) {
      for await (const entry of readSegment(db, 'purchases', segment, BATCH)) if (entry.document._id !== undefined) count += 1;
    }
  });
  return { count, ms };
}

/** The documents themselves, read from their collection. */
async function readAlone(db: Db): Promise<{ count: number; ms: number }> {
  let count = 0;
  const ms = await timed(async () => {
    for await (const stored of db.collection<Document>('purchases').find({}, { batchSize: BATCH })) if (stored._id !== undefined) count += 1;
  });
  return { count, ms };
}

/** The prepared payloads sent by a bare kafkajs producer, in the producer's batches and settings. */
async function bareSend(context: Context, prepared: Prepared): Promise<number> {
  const topic = topicNames(`${prepared.theCase.topicPrefix}-bare`).entities.purchases;
  const producer = context.kafka.producer(PRODUCER_CONFIG);
  await producer.connect();
  try {
    return await timed(async () => {
      for (let start = 0; start < prepared.payloads.length; start += BATCH) {
        const messages: Message[] = prepared.payloads.slice(start, start + BATCH).map((value, index) => ({ key: prepared.keys[start + index] ?? '', value }));
        await producer.send({ topic, messages, ...SEND_SETTINGS });
      }
    });
  } finally {
    await producer.disconnect();
  }
}

async function drain(context: Context, theCase: ProducerCase): Promise<{ sent: number; ms: number }> {
  let sent = 0;
  const ms = await timed(async () => {
    const summary = await produce(theCase.db, context.kafka, { entities: ['purchases'], partitions: 3, batchSize: BATCH, follow: false, pollMs: 500, fromScratch: false, topics: topicNames(theCase.topicPrefix), keyring: context.keyring }, context.logger);
    sent = summary.purchases.sent;
  });
  return { sent, ms };
}

/** Every stored purchase appended to the outbox again, as a writer appends (untimed): the next round's drain. */
async function appendAgain(db: Db): Promise<void> {
  let batch: Document[] = [];
  for await (const stored of db.collection<Document>('purchases').find({}, { batchSize: BATCH })) {
    batch.push(stored);
    if (batch.length >= BATCH) {
      await appendToOutbox(db, 'purchases', batch);
      batch = [];
    }
  }
  await appendToOutbox(db, 'purchases', batch);
}

interface Rounds {
  readonly read: { count: number; ms: number }[];
  readonly outbox: { count: number; ms: number }[];
  readonly bareMs: number[];
  readonly produced: { sent: number; ms: number }[];
  /** Per round, the CPU each process spent per document (`cpuMeter`). */
  readonly readCpu: string[];
  readonly outboxCpu: string[];
  readonly producedCpu: string[];
}

const median = (values: readonly number[]) => percentile(values, 50);
const perSecond = (count: number, ms: number) => Math.round(count / (ms / 1000)).toLocaleString('en-US');

/**
 * A case's rows: the medians of its rounds and the once-measured protection: reading the
 * collection alone, reading the outbox alone (what the producer reads), the bare send, the
 * ceiling as the slower of the outbox read and the bare send, and the producer, each round's
 * rate in the note.
 */
function caseRows(prepared: Prepared, rounds: Rounds, checked: string): BenchResult[] {
  const { label } = prepared.theCase;
  const group = label;
  const read = rounds.read[0]?.count ?? 0;
  const sent = prepared.payloads.length;
  const readMs = median(rounds.read.map((round) => round.ms));
  const outboxMs = median(rounds.outbox.map((round) => round.ms));
  const producedMs = median(rounds.produced.map((round) => round.ms));
  const bareMs = median(rounds.bareMs);
  const produced = rounds.produced[0]?.sent ?? 0;
  const eachRound = (counts: readonly number[], ms: readonly number[]) => `rounds: ${ms.map((value, index) => perSecond(counts[index] ?? 0, value)).join(', ')} docs/s`;
  return [
    { case: `${label}: read the purchases from their collection alone`, size: read, unit: 'docs', seconds: readMs / 1000, group, note: `${eachRound(rounds.read.map((round) => round.count), rounds.read.map((round) => round.ms))}; ${rounds.readCpu.join(' / ')}` },
    { case: `${label}: read their outbox alone (what the producer reads)`, size: rounds.outbox[0]?.count ?? 0, unit: 'docs', seconds: outboxMs / 1000, group, note: `${eachRound(rounds.outbox.map((round) => round.count), rounds.outbox.map((round) => round.ms))}; ${rounds.outboxCpu.join(' / ')}` },
    ...prepared.rows,
    { case: `${label}: bare kafkajs send of the payloads`, size: sent, unit: 'docs', seconds: bareMs / 1000, group, note: eachRound(rounds.bareMs.map(() => sent), rounds.bareMs) },
    { case: `${label}: ceiling, the slower of reading the outbox alone and the bare send`, size: read, unit: 'docs', seconds: Math.max(outboxMs, bareMs) / 1000, baseline: true, group },
    {
      case: `${label}: producer draining the outbox`,
      size: produced,
      unit: 'docs',
      seconds: producedMs / 1000,
      group,
      note: `${(readMs / producedMs).toFixed(2)}× reading the collection alone; ${eachRound(rounds.produced.map((round) => round.sent), rounds.produced.map((round) => round.ms))}; ${rounds.producedCpu.join(' / ')}; ${checked}`,
    },
  ];
}

export const produceBenchmark: Benchmark = {
  name: 'produce',
  description:
    'purchases MongoDB (FerretDB) → Kafka per second: the producer draining the outbox against its ceiling (the slower of reading the same outbox alone and a bare kafkajs send of the same payloads), and against reading the documents from their collection alone, for the purchases with PII and for the same purchases loaded without their PII fields, each case with its own ceiling, medians of three rounds; and protection alone',
  async run(options) {
    const purchases = scaled(1_000_000, options);
    const logger = createLogger('warn');
    return withLocalServices(['kafka', 'mongo'], async (env, services) => {
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
        const cases: ProducerCase[] = [
          { label: 'with PII', db: withPii.db, topicPrefix: 'bench-pii', withPii: true },
          { label: 'without PII', db: withoutPii.db, topicPrefix: 'bench-no-pii', withPii: false },
        ];
        const prepared: Prepared[] = [];
        for (const theCase of cases) prepared.push(await prepare(context, theCase));
        const rounds: Rounds[] = cases.map(() => ({ read: [], outbox: [], bareMs: [], produced: [], readCpu: [], outboxCpu: [], producedCpu: [] }));
        // Where the CPU goes: FerretDB decoding, the broker, and this process (which runs the producer).
        const cpu = cpuMeter({ FerretDB: servicePid(services.stateDir, 'mongo'), Kafka: servicePid(services.stateDir, 'kafka') }, 'doc');
        // The cases alternate within each round, so that the machine's load drifts over both alike.
        for (let round = 0; round < ROUNDS; round++) {
          for (const [index, theCase] of cases.entries()) {
            const caseRounds = rounds[index];
            const casePrepared = prepared[index];
            if (caseRounds === undefined || casePrepared === undefined) continue;
            if (round > 0) await appendAgain(theCase.db);
            let used = cpu.start();
            const outbox = await readOutboxAlone(theCase.db);
            caseRounds.outbox.push(outbox);
            caseRounds.outboxCpu.push(used(outbox.count));
            used = cpu.start();
            const read = await readAlone(theCase.db);
            caseRounds.read.push(read);
            caseRounds.readCpu.push(used(read.count));
            caseRounds.bareMs.push(await bareSend(context, casePrepared));
            used = cpu.start();
            const produced = await drain(context, theCase);
            caseRounds.produced.push(produced);
            caseRounds.producedCpu.push(used(produced.sent));
          }
        }
        const results: BenchResult[] = [];
        const sourceIds: Set<string>[] = [];
        for (const [index, theCase] of cases.entries()) {
          const caseRounds = rounds[index];
          const casePrepared = prepared[index];
          if (caseRounds === undefined || casePrepared === undefined) continue;
          const checked = await checkSent(context, theCase, caseRounds.read[0]?.count ?? 0, ROUNDS);
          sourceIds.push(checked.sourceIds);
          results.push(...caseRows(casePrepared, caseRounds, checked.note));
        }
        const [withIds = new Set<string>(), withoutIds = new Set<string>()] = sourceIds;
        const unmatched = [...withIds].filter((sourceId) => !withoutIds.has(sourceId)).length;
        if (unmatched > 0 || withIds.size !== withoutIds.size) {
          throw new Error(`the two cases sent different purchases: ${withIds.size} with PII, ${withoutIds.size} without, ${unmatched} only with PII`);
        }
        return results;
      } finally {
        await withPii.db.dropDatabase();
        await withoutPii.db.dropDatabase();
        await withPii.client.close();
        await withoutPii.client.close();
      }
    });
  },
};
