import { randomUUID } from 'node:crypto';
import kafkajs, { type Admin, type Kafka, type KafkaMessage } from 'kafkajs';
import { DeadlineExceeded, retryUntilDeadline } from '../system/retry.js';

// kafkajs is CommonJS and spreads its errors into its exports, which Node's ES module loader
// cannot name: take them from the default export.
const { KafkaJSProtocolError } = kafkajs;

export interface ReadToEndOptions {
  /** Handed every message read, in each partition's order. */
  readonly onMessage?: (topic: string, partition: number, message: KafkaMessage) => void;
  /** Names the consumer group, which is deleted afterwards. */
  readonly groupPrefix?: string;
}

/** A topic's offsets, waiting (up to 5 s) for its leaders when it was only just created. */
async function offsetsOf(admin: Admin, topic: string): Promise<{ partition: number; high: string; low: string }[]> {
  try {
    return await retryUntilDeadline(
      () => admin.fetchTopicOffsets(topic),
      { deadlineMs: 5000, initialDelayMs: 100, maxDelayMs: 100 },
      (error) => {
        if (!(error instanceof KafkaJSProtocolError) || !error.retriable) throw error;
      },
    );
  } catch (error) {
    throw error instanceof DeadlineExceeded ? error.cause : error;
  }
}

/**
 * Reads every committed message of the topics, up to their ends when the call began, with a
 * consumer group of its own; returns how many each topic holds. Offsets do not count messages:
 * each producer transaction's commit marker takes one, and so does every aborted record. So a
 * partition counts as read once the consumer's position has passed its end, which kafkajs
 * reports for every batch it processed, also for one whose records were all filtered out.
 */
export async function readToEnd(kafka: Kafka, topics: readonly string[], options: ReadToEndOptions = {}): Promise<Map<string, number>> {
  const counts = new Map(topics.map((topic) => [topic, 0]));
  const ends = new Map<string, number>();
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `${options.groupPrefix ?? 'piccha-read'}-${randomUUID()}`;
  try {
    const existing = new Set(await admin.listTopics());
    const present = topics.filter((topic) => existing.has(topic));
    for (const topic of present) {
      for (const { partition, high, low } of await offsetsOf(admin, topic)) if (Number(high) > Number(low)) ends.set(`${topic}/${partition}`, Number(high));
    }
    if (ends.size === 0) return counts;
    const consumer = kafka.consumer({ groupId, maxBytes: 50 * 1024 * 1024 });
    const remaining = new Set(ends.keys());
    try {
      await new Promise<void>((resolve, reject) => {
        consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
          const key = `${payload.topic}/${payload.partition}`;
          if (Number(payload.lastOffset) + 1 >= (ends.get(key) ?? 0)) remaining.delete(key);
          if (remaining.size === 0) resolve();
        });
        consumer.on(consumer.events.CRASH, ({ payload }) => {
          if (!payload.restart) reject(payload.error);
        });
        consumer
          .connect()
          .then(() => consumer.subscribe({ topics: present, fromBeginning: true }))
          .then(() =>
            consumer.run({
              autoCommit: false,
              eachBatch: ({ batch }) => {
                // Messages written since the call began are not counted.
                const end = ends.get(`${batch.topic}/${batch.partition}`) ?? 0;
                const before = batch.messages.filter((message) => Number(message.offset) < end);
                counts.set(batch.topic, (counts.get(batch.topic) ?? 0) + before.length);
                try {
                  if (options.onMessage !== undefined) for (const message of before) options.onMessage(batch.topic, batch.partition, message);
                } catch (error) {
                  reject(error instanceof Error ? error : new Error(String(error)));
                }
                return Promise.resolve();
              },
            }),
          )
          .catch(reject);
      });
    } finally {
      await consumer.disconnect();
    }
    // The group held no offsets (nothing was committed); leaving it would only clutter the broker's list.
    await admin.deleteGroups([groupId]).catch(() => undefined);
    return counts;
  } finally {
    await admin.disconnect();
  }
}
