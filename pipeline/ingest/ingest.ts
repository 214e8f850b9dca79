import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin, Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { ClickHouse } from '../clickhouse/clickhouse.js';
import { ENTITIES, type Entity } from '../entities/entities.js';
import { UserError } from '../errors/user-error.js';
import type { Logger } from '../log/logger.js';
import { ensureTopics, type TopicNames } from '../produce/topics.js';
import { DEAD_LETTER_ROLE, type LandedMessage } from './landing.js';
import { ClickHouseUnavailable, RawWriter, type Fault } from './raw-writer.js';
import { retryUntilDeadline } from '../system/retry.js';

export interface IngestOptions {
  readonly topics: TopicNames;
  /** Partitions of the topics, if the ingest has to create them. */
  readonly partitions: number;
  readonly groupId: string;
  /** Keep consuming until `signal` aborts; otherwise stop once caught up with the ends seen at start. */
  readonly follow: boolean;
  /** A flush is due once this many messages wait. */
  readonly maxBatchRows: number;
  /** The broker answers a fetch after at most this long even with less than a batch: the most a quiet message waits. */
  readonly maxBatchMs: number;
  /** Members of the group in this process (default 2): each fetches while the others' inserts run. */
  readonly consumers?: number;
  /** How long Kafka or ClickHouse may stay unreachable before the ingest gives up. */
  readonly deadlineMs: number;
  readonly signal?: AbortSignal;
  readonly fault?: Fault;
  readonly onProgress?: (progress: IngestProgress) => void;
}

export interface TopicCounts {
  messages: number;
  rejected: number;
  /** Redelivered messages RAW already held, not written again. */
  skipped: number;
}

export interface IngestProgress {
  /** Per topic: messages written and the lag (messages behind the partitions' ends). */
  readonly topics: ReadonlyMap<string, TopicCounts & { lag: number }>;
}

export interface IngestSummary {
  readonly topics: Readonly<Record<string, TopicCounts>>;
  /** Rows this run added to `rejected`, by error kind. */
  readonly rejectedByKind: Readonly<Record<string, number>>;
}

interface Waiting {
  readonly topic: string;
  readonly partition: number;
  readonly records: readonly LandedMessage[];
  readonly lastOffset: string;
  readonly done: Deferred;
}

interface Deferred {
  readonly promise: Promise<void>;
  resolve(): void;
  reject(error: unknown): void;
}

function deferred(): Deferred {
  let resolve: () => void = () => undefined;
  let reject: (error: unknown) => void = () => undefined;
  const promise = new Promise<void>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  return { promise, resolve, reject };
}

export class KafkaUnavailable extends UserError {}

/**
 * Group members in one process unless told otherwise. Two keep ClickHouse and the fetches busy
 * on two cores; measured on 300,000 purchases, 2 members gave 16,000–17,200 purchases/s, 3 gave
 * 15,000–15,700 and 1 gave 13,600.
 */
export const DEFAULT_CONSUMERS = 2;
/**
 * Messages a flush holds at most unless told otherwise. ClickHouse plans the envelope views once
 * per insert (about 0.17 s of CPU), so larger inserts cost less a row: ClickHouse's CPU per
 * purchase fell from 64 to 50 µs between flushes of 10,000 and 50,000.
 */
export const DEFAULT_MAX_BATCH_ROWS = 50_000;
/** How long a failing ingest waits for the Kafka clients to disconnect. */
const GIVING_UP_GRACE_MS = 5000;

const kafkaSetup = (error: unknown) => new KafkaUnavailable(`cannot reach Kafka (KAFKA_BROKERS): ${((error as Error).cause as Error | undefined)?.message ?? (error as Error).message}`, { cause: error });

/**
 * Where each group member should stop without --follow: the partitions' ends at start, 0 for a
 * partition that holds nothing to read (never written, or every record past retention), where no
 * offset will ever be committed.
 */
async function endOffsets(admin: Admin, topics: readonly string[]): Promise<Map<string, number>> {
  const ends = new Map<string, number>();
  for (const topic of topics) for (const { partition, high, low } of await admin.fetchTopicOffsets(topic)) ends.set(`${topic}/${partition}`, Number(high) > Number(low) ? Number(high) : 0);
  return ends;
}

async function caughtUp(admin: Admin, groupId: string, ends: ReadonlyMap<string, number>): Promise<boolean> {
  const topics = [...new Set([...ends.keys()].map((key) => key.slice(0, key.lastIndexOf('/'))))];
  const committed = await admin.fetchOffsets({ groupId, topics });
  const at = new Map<string, number>();
  for (const { topic, partitions } of committed) for (const { partition, offset } of partitions) at.set(`${topic}/${partition}`, Number(offset));
  return [...ends].every(([key, end]) => end === 0 || (at.get(key) ?? -1) >= end);
}

/**
 * Kafka → ClickHouse RAW. Each fetch's batches wait in their eachBatch call until the flush
 * that holds them has been written to RAW and committed, so nothing is ever buffered outside
 * kafkajs's own processing: a rebalance (which waits for eachBatch to return) never hands a
 * partition over with rows still to be written here, and a crash loses only what Kafka will
 * deliver again. Redelivered messages are recognised by the offsets RAW already holds.
 */
export async function ingest(kafka: Kafka, clickhouse: ClickHouse, options: IngestOptions, logger: Logger): Promise<IngestSummary> {
  const entityTopics = ENTITIES.map((entity) => options.topics.entities[entity]);
  const allTopics = [...entityTopics, options.topics.deadLetter];
  const roles = new Map<string, string>([...ENTITIES.map((entity): [string, Entity] => [options.topics.entities[entity], entity]), [options.topics.deadLetter, DEAD_LETTER_ROLE]]);
  const roleOf = (topic: string) => roles.get(topic) ?? '';

  const admin = kafka.admin();
  let partitionCount = 1;
  let ends = new Map<string, number>();
  try {
    await retryUntilDeadline(
      async () => {
        await admin.connect();
        await ensureTopics(admin, options.topics, options.partitions);
        const metadata = await admin.fetchTopicMetadata({ topics: allTopics });
        partitionCount = metadata.topics.reduce((sum, topic) => sum + topic.partitions.length, 0);
        if (!options.follow) ends = await endOffsets(admin, allTopics);
      },
      { deadlineMs: options.deadlineMs, initialDelayMs: 300, maxDelayMs: 5000 },
      (error, attempt) => logger.info({ attempt, error: (error as Error).message }, 'Kafka not reachable yet; retrying'),
    );
  } catch (error) {
    await admin.disconnect();
    throw kafkaSetup(error);
  }

  const counts = new Map(allTopics.map((topic) => [topic, { messages: 0, rejected: 0, skipped: 0 }]));
  const lags = new Map<string, number>();
  const rejectedByKind: Record<string, number> = {};
  // Set from callbacks (a crash, a failed flush); the main loop reports it.
  const failure: { error?: Error } = {};
  let lastKafkaContact = performance.now();
  const touched = () => (lastKafkaContact = performance.now());
  const writer = new RawWriter(clickhouse, roleOf, { deadlineMs: options.deadlineMs, initialDelayMs: 200, maxDelayMs: 5000 }, logger, options.fault);

  /**
   * One member of the group, with a flush queue of its own. kafkajs fetches the next batches
   * of a member only once its eachBatch calls have returned, so with one member Kafka and
   * ClickHouse would take turns; several members in one process fetch while the others insert.
   */
  const startMember = () => {
    let rebalancing = false;
    const consumer: Consumer = kafka.consumer({
      groupId: options.groupId,
      // A member that dies (SIGKILL) holds its partitions until this passes.
      sessionTimeout: 10_000,
      rebalanceTimeout: 60_000,
      heartbeatInterval: 1000,
      // The broker holds a fetch until about a batch of messages has arrived or maxBatchMs has passed.
      minBytes: Math.min(16 * 1024 * 1024, options.maxBatchRows * 512),
      maxWaitTimeInMs: options.maxBatchMs,
      maxBytes: 64 * 1024 * 1024,
      // About a batch per partition and fetch (the broker sends at least one whole record batch), so that
      // max-batch-rows also bounds memory.
      maxBytesPerPartition: Math.min(16 * 1024 * 1024, Math.max(16 * 1024, options.maxBatchRows * 2048)),
      retry: { initialRetryTime: 300, maxRetryTime: 5000, retries: 10 },
    });
    consumer.on(consumer.events.FETCH, touched);
    consumer.on(consumer.events.HEARTBEAT, touched);
    consumer.on(consumer.events.COMMIT_OFFSETS, touched);
    consumer.on(consumer.events.REBALANCING, () => (rebalancing = true));
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      touched();
      rebalancing = false;
      writer.reassigned();
      logger.info({ assignment: event.payload.memberAssignment }, 'partitions assigned');
    });
    consumer.on(consumer.events.CRASH, (event) => {
      if (!event.payload.restart) failure.error ??= kafkaSetup(event.payload.error);
    });
    const abandoned = () => rebalancing || failure.error !== undefined;
    // A batch whose records are all filtered out (the commit marker of a producer's transaction
    // fetched on its own, an aborted transaction) never reaches eachBatch: its offsets are
    // committed here, or a partition that ends with one would never count as read. Every batch
    // before it in its partition was written and committed already (eachBatch waits for that).
    consumer.on(consumer.events.END_BATCH_PROCESS, (event) => {
      const { topic, partition, batchSize, lastOffset, highWatermark } = event.payload;
      if (batchSize !== 0 || abandoned()) return;
      lags.set(`${topic}/${partition}`, Math.max(0, Number(highWatermark) - Number(lastOffset) - 1));
      consumer.commitOffsets([{ topic, partition, offset: String(Number(lastOffset) + 1) }]).catch((error: unknown) => logger.info({ error: (error as Error).message }, 'offset commit past filtered records refused (a rebalance); they are filtered again'));
    });

    // One flush at a time, of everything that is waiting when it starts.
    let waiting: Waiting[] = [];
    let waitingMessages = 0;
    let flushing = false;
    let scheduled = false;

    const flush = async (): Promise<void> => {
      const taken = waiting;
      waiting = [];
      waitingMessages = 0;
      const started = performance.now();
      try {
        const result = await writer.write(
          taken.flatMap(({ records }) => records),
          abandoned,
        );
        try {
          await consumer.commitOffsets(taken.map(({ topic, partition, lastOffset }) => ({ topic, partition, offset: String(Number(lastOffset) + 1) })));
        } catch (error) {
          // RAW holds the rows: whoever reads these offsets again skips them.
          logger.info({ error: (error as Error).message }, 'offset commit refused (a rebalance); RAW already holds the rows');
        }
        for (const { topic, records } of taken) {
          const topicCounts = counts.get(topic);
          if (topicCounts !== undefined) topicCounts.messages += records.length;
        }
        for (const [topic, kinds] of result.rejected) {
          const topicCounts = counts.get(topic);
          for (const [kind, rows] of kinds) {
            if (topicCounts !== undefined) topicCounts.rejected += rows;
            rejectedByKind[kind] = (rejectedByKind[kind] ?? 0) + rows;
          }
        }
        for (const [topic, skipped] of result.skipped) {
          const topicCounts = counts.get(topic);
          if (topicCounts !== undefined) topicCounts.skipped += skipped;
        }
        logger.debug({ messages: taken.reduce((sum, item) => sum + item.records.length, 0), batches: taken.length, ms: Math.round(performance.now() - started) }, 'flushed');
        for (const item of taken) item.done.resolve();
      } catch (error) {
        if (error instanceof ClickHouseUnavailable && !rebalancing) failure.error ??= new UserError(error.message, { cause: error });
        for (const item of taken) item.done.reject(error);
      }
    };

    const schedule = () => {
      if (flushing || scheduled) return;
      scheduled = true;
      // The batches of one fetch reach eachBatch together: let them all arrive, then flush them as one.
      setImmediate(() => {
        scheduled = false;
        // A flush that started meanwhile (a full batch) reschedules when it ends.
        if (waiting.length === 0 || flushing) return;
        startFlush();
      });
    };

    const startFlush = () => {
      flushing = true;
      void flush().finally(() => {
        flushing = false;
        touched();
        if (waiting.length > 0) schedule();
      });
    };

    /** Hands messages to the flush queue; settles once they are written and committed. */
    const enqueue = (topic: string, partition: number, records: LandedMessage[], lastOffset: string): Deferred => {
      const item: Waiting = { topic, partition, records, lastOffset, done: deferred() };
      waiting.push(item);
      waitingMessages += records.length;
      if (waitingMessages >= options.maxBatchRows && !flushing) startFlush();
      else schedule();
      return item.done;
    };

    /**
     * A batch is cut into chunks of at most --max-batch-rows messages. Chunks of a partition are
     * written in offset order, one after the other: a chunk joins the queue once the previous one
     * is written, and none follows a chunk that was not written. The batch's eachBatch call lasts
     * until its last chunk is written and committed, so a rebalance never finds a write of this
     * member in flight.
     */
    const eachBatch = async (payload: EachBatchPayload): Promise<void> => {
      const { batch } = payload;
      if (batch.isEmpty() || failure.error !== undefined) return;
      lags.set(`${batch.topic}/${batch.partition}`, Math.max(0, Number(batch.highWatermark) - Number(batch.lastOffset()) - 1));
      const messages = batch.messages;
      let pending: { done: Deferred; lastOffset: string } | undefined;
      const settle = async (): Promise<boolean> => {
        if (pending === undefined) return true;
        if (!(await written(pending.done, payload))) return false;
        payload.resolveOffset(pending.lastOffset);
        pending = undefined;
        return true;
      };
      for (let start = 0; start < messages.length; start += options.maxBatchRows) {
        const chunk = messages.slice(start, start + options.maxBatchRows);
        if (!(await settle())) return;
        // Stop early in a rebalance or a failure: what is not written yet is fetched again by whoever owns the partition.
        if (failure.error !== undefined || rebalancing || !payload.isRunning() || payload.isStale()) return;
        const records = chunk.map(({ offset, key, value, timestamp }): LandedMessage => ({ topic: batch.topic, partition: batch.partition, offset, key, value, timestamp }));
        // The batch's own last offset for its last chunk: it may lie past the last message (a transaction marker).
        const lastOffset = start + chunk.length >= messages.length ? batch.lastOffset() : (chunk[chunk.length - 1]?.offset ?? batch.lastOffset());
        pending = { done: enqueue(batch.topic, batch.partition, records, lastOffset), lastOffset };
      }
      await settle();
    };

    return { consumer, eachBatch, busy: () => flushing || waiting.length > 0 };
  };

  /** Waits for a chunk's flush, heartbeating meanwhile so that the group keeps the partitions here; false if it was not written. */
  const written = async (done: Deferred, payload: EachBatchPayload): Promise<boolean> => {
    let settled = false;
    const settledPromise = done.promise.then(
      () => true,
      () => false,
    ).finally(() => (settled = true));
    while (!settled) {
      await Promise.race([settledPromise, sleep(1000)]);
      if (!settled) await payload.heartbeat().catch(() => undefined);
    }
    return settledPromise;
  };

  const members = Array.from({ length: options.consumers ?? DEFAULT_CONSUMERS }, startMember);

  const progressTimer = setInterval(() => {
    if (options.onProgress === undefined) return;
    const topics = new Map<string, TopicCounts & { lag: number }>();
    for (const [topic, topicCounts] of counts) {
      const lag = [...lags].filter(([key]) => key.startsWith(`${topic}/`)).reduce((sum, [, value]) => sum + value, 0);
      topics.set(topic, { ...topicCounts, lag });
    }
    options.onProgress({ topics });
  }, 1000);

  let givingUp = false;
  try {
    try {
      for (const { consumer, eachBatch } of members) {
        await consumer.connect();
        await consumer.subscribe({ topics: allTopics, fromBeginning: true });
        await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: Math.max(1, partitionCount), eachBatch });
      }
    } catch (error) {
      throw kafkaSetup(error);
    }
    touched();
    for (;;) {
      if (failure.error) throw failure.error;
      if (options.signal?.aborted === true) break;
      // Only while idle: during a flush the ingest is not talking to Kafka, which is no fault of Kafka's.
      const busy = members.some((member) => member.busy());
      if (!busy && performance.now() - lastKafkaContact > options.deadlineMs) {
        throw new KafkaUnavailable(`Kafka (KAFKA_BROKERS) has not answered for ${Math.round((performance.now() - lastKafkaContact) / 1000)} s; giving up (the deadline is ${options.deadlineMs} ms); nothing unwritten was committed`);
      }
      if (!options.follow && !busy) {
        const done = await caughtUp(admin, options.groupId, ends).catch(() => false);
        if (done) break;
      }
      await sleep(200, undefined, { signal: options.signal }).catch(() => undefined);
    }
  } catch (error) {
    givingUp = true;
    throw error;
  } finally {
    clearInterval(progressTimer);
    // disconnect() waits for eachBatch calls in progress, hence for their flush and commit.
    const disconnected = Promise.all([
      ...members.map(({ consumer }) => consumer.disconnect().catch((error: unknown) => logger.warn({ error: (error as Error).message }, 'Kafka consumer did not disconnect cleanly'))),
      admin.disconnect().catch(() => undefined),
    ]);
    // Giving up, a consumer still reconnecting to a broker that is gone may never finish leaving
    // its group: nothing unwritten was committed, so stop waiting after a while.
    if (givingUp) await Promise.race([disconnected, new Promise((resolve) => setTimeout(resolve, GIVING_UP_GRACE_MS).unref())]);
    else await disconnected;
  }
  // Set by a callback while disconnecting, which control flow analysis cannot see.
  const late = failure.error as Error | undefined;
  if (late) throw late;
  return { topics: Object.fromEntries(counts), rejectedByKind };
}
