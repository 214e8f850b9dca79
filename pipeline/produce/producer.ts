import { setTimeout as sleep } from 'node:timers/promises';
import { CompressionTypes, Partitioners, type Kafka, type Message, type ProducerConfig, type TopicMessages } from 'kafkajs';
import { MongoServerError, type Db, type ObjectId } from 'mongodb';
import type { Document, Entity } from '../entities/entities.js';
import { isKafkaConnectionError, isMongoConnectionError } from '../errors/service-errors.js';
import { UserError } from '../errors/user-error.js';
import { DeadlineExceeded, retryUntilDeadline } from '../system/retry.js';
import { WRITER_LEASE } from '../load/mongo-writer.js';
import type { Logger } from '../log/logger.js';
import { Lease, type LeaseHolder } from '../mongo/lease.js';
import { appendToOutbox, dropSegment, readSegment, sealSegments, type OutboxEntry } from '../outbox/outbox.js';
import { readAhead } from '../system/read-ahead.js';
import type { PiiKeyring } from '../pii/keys.js';
import { readCheckpoint, writeCheckpoint, type CheckpointState } from './checkpoints.js';
import { FencedSender, ProducerFenced } from './fenced-sender.js';
import { MessageBuilder } from './message-builder.js';
import { ensureTopics, type TopicNames } from './topics.js';

export interface ProduceOptions {
  readonly entities: readonly Entity[];
  readonly topics: TopicNames;
  readonly partitions: number;
  /** Messages per acknowledged send; also the most a restart can send twice. */
  readonly batchSize: number;
  /** Keep draining the outbox until `signal` aborts. */
  readonly follow: boolean;
  /** With `follow`: the pause between passes. */
  readonly pollMs: number;
  /** Send every stored document again (a replay), then go on as usual. */
  readonly fromScratch: boolean;
  /** Protects emails and phones; there is no way to produce without it. */
  readonly keyring: PiiKeyring;
  /** Wait for another producer of the same topics to finish instead of refusing. */
  readonly wait?: boolean;
  /** Named in the leases it holds, for whoever is refused or waits (default `piccha produce`). */
  readonly command?: string;
  readonly leaseTtlMs?: number;
  /** How long MongoDB or Kafka may stay unreachable mid-run before the run gives up (default 120 s). */
  readonly deadlineMs?: number;
  readonly signal?: AbortSignal;
  readonly onSent?: (entity: Entity, messages: number) => void;
  readonly onWaiting?: (holder: LeaseHolder) => void;
}

export interface EntityTotals {
  sent: number;
  deadLettered: number;
  passes: number;
}

export type ProduceSummary = Record<Entity, EntityTotals>;

/**
 * The delivery settings: idempotent, one request in flight (order per partition), retried with
 * backoff. The first retry comes soon: a transaction's first send right after the previous
 * commit is answered CONCURRENT_TRANSACTIONS until the broker has written that commit's markers,
 * a few milliseconds (a 300 ms first retry made every batch take 120 ms instead of 20). kafkajs
 * gives up after about 20 s of retries; a longer outage is the pass's to wait out (its deadline).
 */
export const PRODUCER_CONFIG: ProducerConfig = {
  idempotent: true,
  maxInFlightRequests: 1,
  createPartitioner: Partitioners.DefaultPartitioner,
  retry: { retries: 10, initialRetryTime: 20, maxRetryTime: 30_000 },
};
/** Acknowledged by every in-sync replica, gzip-compressed. */
export const SEND_SETTINGS = { acks: -1, compression: CompressionTypes.GZIP } as const;

export const DEFAULT_DEADLINE_MS = 120_000;

/** With `follow` and nothing to send, how often the broker is asked whether it is still there. */
const BROKER_CHECK_MS = 5000;

/** The transactional id of every producer of a topic: starting one fences the others (see fenced-sender.ts). */
export const transactionalIdOf = (topic: string): string => `piccha produce ${topic}`;

interface Run {
  readonly db: Db;
  readonly senders: ReadonlyMap<Entity, FencedSender>;
  readonly builder: MessageBuilder;
  readonly options: ProduceOptions;
  readonly leases: ReadonlyMap<Entity, Lease>;
  readonly summary: ProduceSummary;
  readonly logger: Logger;
}

/** Sends one batch as a transaction and waits for all in-sync replicas to acknowledge it. */
async function send(run: Run, entity: Entity, messages: Message[], dead: Message[]): Promise<void> {
  const topicMessages: TopicMessages[] = [];
  if (messages.length > 0) topicMessages.push({ topic: run.options.topics.entities[entity], messages });
  if (dead.length > 0) topicMessages.push({ topic: run.options.topics.deadLetter, messages: dead });
  if (topicMessages.length === 0) return;
  // A producer that lost its lease to another must not send on its behalf. The check cannot
  // cover a send that stalls after it: Kafka's fencing does (fenced-sender.ts).
  await run.leases.get(entity)?.assertHeld();
  await withSender(run, entity, (sender) => sender.send(topicMessages));
}

/**
 * Runs `use` with the entity's sender. Fenced by Kafka, it reports the lease's loss if the lease
 * was lost; fenced while the lease is still ours, it throws ProducerFenced, and the pass is
 * retried with a new transaction.
 */
async function withSender(run: Run, entity: Entity, use: (sender: FencedSender) => Promise<void>): Promise<void> {
  const sender = run.senders.get(entity);
  if (sender === undefined) throw new Error(`no Kafka sender for ${entity}`);
  try {
    await use(sender);
  } catch (error) {
    if (error instanceof ProducerFenced) await run.leases.get(entity)?.assertHeld();
    throw error;
  }
}

type LastSent = Pick<CheckpointState, 'last_batch' | 'last_index'>;

/**
 * Whether the entry, or a later one of its append, was sent already: it is a copy its writer
 * appended again after finding its segment sealed. One writer appends at a time, each copy in
 * the same order, so what was sent of an append is the start of it.
 */
function sentAlready(entry: OutboxEntry, last: LastSent): boolean {
  return entry.batch !== undefined && entry.index !== undefined && last.last_batch !== null && entry.batch.equals(last.last_batch) && entry.index <= last.last_index;
}

/** One batch ready to send, and where the checkpoint stands once the broker acknowledged it. */
interface Batch {
  readonly messages: Message[];
  readonly dead: Message[];
  readonly position: number;
  readonly lastId: ObjectId | null;
  readonly lastSent: LastSent;
}

/**
 * Sends one sealed segment from where the checkpoint says, then drops it. The resume position
 * is trusted only when the entry found there is the one recorded; otherwise the whole segment
 * is sent again (duplicates, never a gap). Copies of entries sent already are skipped.
 *
 * A batch is sent while the next one is read and protected, so the broker's round trip and
 * the protection overlap instead of adding up. One batch at most is in flight: the next is sent
 * only once the broker acknowledged it and its checkpoint is written, so batches reach Kafka in
 * order and a restart still sends at most one batch twice.
 */
async function drainSegment(run: Run, entity: Entity, segment: number, stored: CheckpointState | null): Promise<CheckpointState | null> {
  const { db, options } = run;
  const topic = options.topics.entities[entity];
  const totals = run.summary[entity];
  // A segment the checkpoint is past (or done with) is one a late append recreated after it was
  // dropped: that writer found it sealed and appended the same entries again further on.
  if (stored !== null && (segment < stored.segment || (segment === stored.segment && stored.done))) {
    await dropSegment(db, entity, segment);
    return stored;
  }
  const resume = stored?.segment === segment ? stored : null;
  let checkpoint = stored;
  let skip = resume?.position ?? 0;
  // The last entry sent, carried from segment to segment.
  let lastSent: LastSent = { last_batch: stored?.last_batch ?? null, last_index: stored?.last_index ?? -1 };
  const deliver = async (batch: Batch) => {
    await send(run, entity, batch.messages, batch.dead);
    totals.sent += batch.messages.length;
    totals.deadLettered += batch.dead.length;
    options.onSent?.(entity, batch.messages.length + batch.dead.length);
    const next: CheckpointState = { segment, position: batch.position, last_id: batch.lastId, done: false, ...batch.lastSent };
    if (batch.position > 0 && (checkpoint === null || checkpoint.segment !== segment || batch.position > checkpoint.position)) {
      await writeCheckpoint(db, topic, entity, checkpoint, next);
      checkpoint = next;
    }
  };
  for (;;) {
    let position = 0;
    let entries: OutboxEntry[] = [];
    let lastId: ObjectId | null = null;
    let mismatch = false;
    let stopped = false;
    let inFlight: Promise<void> = Promise.resolve();
    /**
     * Hands the batch to the message builder and queues its delivery after the one before. The
     * reading goes on meanwhile, but only once the batch before this one has been delivered: one
     * batch is sent while the next is built and the one after is read.
     */
    const flush = async () => {
      const batch = { position, lastId, lastSent };
      const built = run.builder.build(entity, entries, now);
      built.catch(() => undefined);
      entries = [];
      const previous = inFlight;
      const delivery = (async () => {
        const results = await built;
        await previous;
        const messages: Message[] = [];
        const dead: Message[] = [];
        for (const result of results) (result.dead ? dead : messages).push(result.message);
        await deliver({ ...batch, messages, dead });
      })();
      // Awaited at the next flush or before returning; until then its failure must not count as unhandled.
      delivery.catch(() => undefined);
      inFlight = delivery;
      await previous;
    };
    const now = new Date().toISOString();
    const cursor = readSegment(db, entity, segment, options.batchSize);
    try {
      // The next batch is fetched while this one is built and sent: FerretDB's reading
      // should never wait for our work, nor ours for it.
      for await (const entry of readAhead(cursor[Symbol.asyncIterator](), options.batchSize)) {
        position += 1;
        lastId = entry._id ?? null;
        if (position < skip) continue;
        if (position === skip) {
          mismatch = resume?.last_id == null || entry._id === undefined || !entry._id.equals(resume.last_id);
          if (mismatch) break;
          continue;
        }
        if (sentAlready(entry, lastSent)) continue;
        entries.push(entry);
        if (entry.batch !== undefined && entry.index !== undefined) lastSent = { last_batch: entry.batch, last_index: entry.index };
        if (entries.length >= options.batchSize) {
          await flush();
          stopped = options.signal?.aborted === true;
          if (stopped) break;
        }
      }
      await flush();
      await inFlight;
    } catch (error) {
      // A batch still in flight finishes (or fails) before the pass is retried from the checkpoint it may write.
      await inFlight.catch(() => undefined);
      throw error;
    } finally {
      await cursor.close();
    }
    if (stopped) return checkpoint;
    if (mismatch || (skip > 0 && position < skip)) {
      run.logger.warn({ entity, segment, position: skip }, 'the outbox segment changed since the checkpoint; sending it again from its start');
      skip = 0;
      continue;
    }
    const done: CheckpointState = { segment, position, last_id: lastId, done: true, ...lastSent };
    await writeCheckpoint(db, topic, entity, checkpoint, done);
    await dropSegment(db, entity, segment);
    return done;
  }
}

/** One pass: seals the entity's open outbox segment and sends every sealed one, in order. */
async function drainEntity(run: Run, entity: Entity): Promise<void> {
  const segments = await sealSegments(run.db, entity);
  let checkpoint = await readCheckpoint(run.db, run.options.topics.entities[entity]);
  for (const segment of segments) {
    if (run.options.signal?.aborted === true) return;
    checkpoint = await drainSegment(run, entity, segment, checkpoint);
  }
  run.summary[entity].passes += 1;
}

/** A server restarted mid-read has forgotten the cursor being read. */
const CURSOR_NOT_FOUND = 43;
const isMongoOutage = (error: unknown) => isMongoConnectionError(error) || (error instanceof MongoServerError && error.code === CURSOR_NOT_FOUND);

/**
 * A pass (or the idle check of the broker), tried again while MongoDB or Kafka cannot be reached
 * (a restart, a lost connection, a cursor the restarted server no longer knows): a pass resumes
 * from the checkpoint, so a retry re-sends at most one batch. Past the deadline the last
 * connection error is thrown, for the caller to name the service.
 */
async function retryingOutages<T>(run: Run, attempt: () => Promise<T>): Promise<T> {
  try {
    return await retryUntilDeadline(
      attempt,
      { deadlineMs: run.options.deadlineMs ?? DEFAULT_DEADLINE_MS, initialDelayMs: 200, maxDelayMs: 5000 },
      (error, count) => {
        if (error instanceof ProducerFenced) {
          // The broker expired a transaction, or a producer of the same topics for another MongoDB database started.
          run.logger.warn({ attempt: count }, `Kafka fenced this producer while it still holds its lease; retrying: ${error.message}`);
          return;
        }
        const service = isMongoOutage(error) ? 'MongoDB' : isKafkaConnectionError(error) ? 'Kafka' : undefined;
        if (service === undefined) throw error;
        run.logger.warn({ attempt: count }, `${service} unreachable, retrying: ${(error as Error).message}`);
      },
      () => run.options.signal?.aborted === true,
    );
  } catch (error) {
    throw error instanceof DeadlineExceeded ? error.cause : error;
  }
}

/** A replay: every stored document appended to the outbox again, with writers held off meanwhile. */
async function enqueueEverything(db: Db, entities: readonly Entity[], batchSize: number, options: ProduceOptions): Promise<void> {
  const writers = await Lease.acquire(db, WRITER_LEASE, { command: `${options.command ?? 'piccha produce'} --from-scratch`, wait: true, signal: options.signal, onWaiting: options.onWaiting });
  try {
    for (const entity of entities) {
      let batch: Document[] = [];
      for await (const stored of db.collection<Document>(entity).find({}, { batchSize })) {
        batch.push(stored);
        if (batch.length >= batchSize) {
          await appendToOutbox(db, entity, batch);
          batch = [];
        }
      }
      await appendToOutbox(db, entity, batch);
    }
  } finally {
    await writers.release();
  }
}

/**
 * Streams what the writers put in the outbox to Kafka: once (everything written before the
 * run started), or with `follow` until `signal` aborts. One producer per topic at a time.
 */
export async function produce(db: Db, kafka: Kafka, options: ProduceOptions, logger: Logger): Promise<ProduceSummary> {
  // Its thread loads while the services are reached.
  const builder = new MessageBuilder(options.keyring);
  builder.start();
  const admin = kafka.admin();
  try {
    await admin.connect();
    await ensureTopics(admin, options.topics, options.partitions);
  } catch (error) {
    await admin.disconnect();
    await builder.close();
    throw new UserError(`cannot reach Kafka or create its topics (KAFKA_BROKERS): ${(error as Error).message}`, { cause: error });
  }
  const leases = new Map<Entity, Lease>();
  const senders = new Map<Entity, FencedSender>();
  try {
    for (const entity of options.entities) {
      const name = `produce ${options.topics.entities[entity]}`;
      leases.set(entity, await Lease.acquire(db, name, { command: options.command ?? 'piccha produce', wait: options.wait, ttlMs: options.leaseTtlMs, signal: options.signal, onWaiting: options.onWaiting }));
    }
    if (options.fromScratch) await enqueueEverything(db, options.entities, options.batchSize, options);
    for (const entity of options.entities) senders.set(entity, new FencedSender(kafka, { transactionalId: transactionalIdOf(options.topics.entities[entity]), config: PRODUCER_CONFIG, sendSettings: SEND_SETTINGS }));
    const run: Run = { db, senders, builder, options, leases, logger, summary: Object.fromEntries(options.entities.map((entity) => [entity, { sent: 0, deadLettered: 0, passes: 0 }])) as ProduceSummary };
    // At once, not at the first send: a predecessor's open transaction holds back every consumer of its partitions until it is aborted.
    for (const entity of options.entities) await retryingOutages(run, () => withSender(run, entity, (sender) => sender.start()));
    let lastSent = -1;
    let lastContact = performance.now();
    for (;;) {
      for (const entity of options.entities) {
        if (options.signal?.aborted === true) break;
        await retryingOutages(run, () => drainEntity(run, entity));
      }
      if (!options.follow || options.signal?.aborted === true) break;
      // An idle producer sends nothing, so it asks the broker now and then: a lost broker is
      // reported while following, not only at the next write.
      const sent = Object.values(run.summary).reduce((sum, totals) => sum + totals.sent + totals.deadLettered, 0);
      if (sent !== lastSent) lastContact = performance.now();
      else if (performance.now() - lastContact >= BROKER_CHECK_MS) {
        await retryingOutages(run, () => admin.describeCluster());
        lastContact = performance.now();
      }
      lastSent = sent;
      await sleep(options.pollMs, undefined, { signal: options.signal }).catch(() => undefined);
    }
    return run.summary;
  } finally {
    await admin.disconnect();
    for (const sender of senders.values()) await sender.close().catch(() => undefined);
    await builder.close();
    for (const lease of leases.values()) await lease.release().catch(() => undefined);
  }
}
