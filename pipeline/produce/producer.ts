import { setTimeout as sleep } from 'node:timers/promises';
import { CompressionTypes, Partitioners, type Kafka, type Message, type Producer } from 'kafkajs';
import type { Db } from 'mongodb';
import { businessKeyOf, SOURCE_ID, type Document, type Entity } from '../entities/entities.js';
import { LOADED_AT } from '../load/mongo-writer.js';
import { UserError } from '../errors/user-error.js';
import type { Logger } from '../log/logger.js';
import type { PiiKeyring } from '../pii/keys.js';
import { protectDocument } from '../pii/protect.js';
import { readCheckpoint, resetCheckpoints, writeCheckpoint, type Checkpoint } from './checkpoints.js';
import { HEADERS, SCHEMA_VERSION, withoutStorageFields, type DeadLetter, type Envelope } from './envelope.js';
import { ensureTopics, type TopicNames } from './topics.js';
import { rejectionReason } from './validate.js';
import { readPass } from './watermark.js';

export interface ProduceOptions {
  readonly entities: readonly Entity[];
  readonly topics: TopicNames;
  readonly partitions: number;
  /** Messages per acknowledged send; also the most a restart can send twice. */
  readonly batchSize: number;
  /** Keep polling for new and changed documents until `signal` aborts. */
  readonly follow: boolean;
  readonly pollMs: number;
  /** How far behind now a pass ends: the longest a write may take to become visible. */
  readonly lagMs: number;
  /** Forget the checkpoints and send everything again. */
  readonly fromScratch: boolean;
  /** Without it, PII is sent in plaintext: for the benchmark's comparison only. */
  readonly keyring: PiiKeyring | undefined;
  readonly signal?: AbortSignal;
  readonly onSent?: (entity: Entity, messages: number) => void;
}

export interface EntityTotals {
  sent: number;
  deadLettered: number;
  passes: number;
}

export type ProduceSummary = Record<Entity, EntityTotals>;

const headers = (entity: Entity) => ({ [HEADERS.entity]: entity, [HEADERS.schemaVersion]: String(SCHEMA_VERSION), [HEADERS.contentType]: 'application/json' });

function toMessages(entity: Entity, stored: Document, options: ProduceOptions, now: string): { message: Message; dead: boolean } {
  const plain = withoutStorageFields(stored);
  const document = options.keyring ? protectDocument(entity, plain, options.keyring) : plain;
  const sourceId = String(plain[SOURCE_ID]);
  const keyId = options.keyring?.active.id ?? 'none';
  const reason = rejectionReason(entity, plain);
  if (reason !== undefined) {
    const letter: DeadLetter = { schema_version: SCHEMA_VERSION, entity, source_id: sourceId, reason, failed_at: now, pii_key_id: keyId, document };
    return { dead: true, message: { key: sourceId, value: JSON.stringify(letter), headers: headers(entity) } };
  }
  const loadedAt = stored[LOADED_AT] instanceof Date ? stored[LOADED_AT].toISOString() : '';
  const envelope: Envelope = { schema_version: SCHEMA_VERSION, entity, source_id: sourceId, op: 'upsert', emitted_at: now, loaded_at: loadedAt, pii_key_id: keyId, document };
  return { dead: false, message: { key: businessKeyOf(entity, plain) ?? sourceId, value: JSON.stringify(envelope), headers: headers(entity) } };
}

/** Sends one batch and waits for all in-sync replicas to acknowledge it. */
async function send(producer: Producer, topics: TopicNames, entity: Entity, messages: Message[], dead: Message[]): Promise<void> {
  const topicMessages = [];
  if (messages.length > 0) topicMessages.push({ topic: topics.entities[entity], messages });
  if (dead.length > 0) topicMessages.push({ topic: topics.deadLetter, messages: dead });
  if (topicMessages.length > 0) await producer.sendBatch({ topicMessages, acks: -1, compression: CompressionTypes.GZIP });
}

async function runPass(db: Db, producer: Producer, entity: Entity, options: ProduceOptions, totals: EntityTotals, logger: Logger): Promise<void> {
  const topic = options.topics.entities[entity];
  const checkpoint = await readCheckpoint(db, topic, entity);
  const pass = checkpoint.pass ?? { until: new Date(Date.now() - options.lagMs), position: 0 };
  if (pass.until <= checkpoint.watermark) return;
  const current: Checkpoint & { pass: typeof pass } = { ...checkpoint, pass };
  let messages: Message[] = [];
  let dead: Message[] = [];
  let position = pass.position;
  const flush = async (through: number) => {
    await send(producer, options.topics, entity, messages, dead);
    totals.sent += messages.length;
    totals.deadLettered += dead.length;
    options.onSent?.(entity, messages.length + dead.length);
    messages = [];
    dead = [];
    position = through;
    await writeCheckpoint(db, { _id: topic, entity, watermark: checkpoint.watermark, pass: { until: pass.until, position } });
  };
  const now = new Date().toISOString();
  let last = position;
  for await (const item of readPass(db, entity, current, options.batchSize)) {
    last = item.position;
    if (item.document !== undefined) {
      const { message, dead: isDead } = toMessages(entity, item.document, options, now);
      (isDead ? dead : messages).push(message);
    }
    if (messages.length + dead.length >= options.batchSize) await flush(item.position);
    if (options.signal?.aborted === true && messages.length + dead.length === 0) return;
  }
  await flush(last);
  await writeCheckpoint(db, { _id: topic, entity, watermark: pass.until, pass: null });
  totals.passes += 1;
  logger.debug({ entity, until: pass.until }, 'pass complete');
}

/**
 * Streams the collections to Kafka: a snapshot first, then (with `follow`) every new or
 * changed document, resuming from the last acknowledged position after a restart.
 */
export async function produce(db: Db, kafka: Kafka, options: ProduceOptions, logger: Logger): Promise<ProduceSummary> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    await ensureTopics(admin, options.topics, options.partitions);
  } catch (error) {
    throw new UserError(`cannot reach Kafka or create its topics (KAFKA_BROKERS): ${(error as Error).message}`, { cause: error });
  } finally {
    await admin.disconnect();
  }
  if (options.fromScratch) await resetCheckpoints(db, options.entities.map((entity) => options.topics.entities[entity]));
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: { retries: 8, initialRetryTime: 300, maxRetryTime: 30_000 },
  });
  await producer.connect();
  const summary = Object.fromEntries(options.entities.map((entity) => [entity, { sent: 0, deadLettered: 0, passes: 0 }])) as ProduceSummary;
  // Without --follow, a run ends once it has sent everything written before it started: its
  // pass must reach the start time, which it may only do a lag after it. Waiting the lag first
  // costs less than a second pass (every pass reads the whole collection on FerretDB).
  const startedAt = Date.now();
  if (!options.follow) await sleep(options.lagMs, undefined, { signal: options.signal }).catch(() => undefined);
  try {
    for (;;) {
      const passStart = Date.now();
      for (const entity of options.entities) {
        if (options.signal?.aborted === true) break;
        await runPass(db, producer, entity, options, summary[entity], logger);
      }
      if (options.signal?.aborted === true) break;
      if (!options.follow && passStart - options.lagMs >= startedAt) break;
      const wait = options.follow ? options.pollMs : Math.max(0, startedAt + options.lagMs - Date.now());
      await sleep(wait, undefined, { signal: options.signal }).catch(() => undefined);
    }
  } finally {
    await producer.disconnect();
  }
  return summary;
}
