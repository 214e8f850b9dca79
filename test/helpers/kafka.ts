import { randomUUID } from 'node:crypto';
import kafkajs, { type Admin, type Kafka } from 'kafkajs';

// kafkajs is CommonJS and spreads its errors into its exports, which Node's ES module loader
// cannot name (the benchmarks run under plain tsx): take them from the default export.
const { KafkaJSProtocolError } = kafkajs;

export interface ReadMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: string;
  readonly value: Buffer;
  readonly headers: Record<string, string>;
}

/** A topic's offsets, waiting for its leaders when it was only just created. */
async function offsetsOf(admin: Admin, topic: string): Promise<{ partition: number; high: string }[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await admin.fetchTopicOffsets(topic);
    } catch (error) {
      if (attempt >= 50 || !(error instanceof KafkaJSProtocolError) || !error.retriable) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/**
 * Hands every message on the topics up to their current ends to `onMessage`, read by a fresh
 * consumer group, without holding them (a benchmark's million envelopes); returns how many.
 */
export async function forEachMessage(kafka: Kafka, topics: readonly string[], onMessage: (message: ReadMessage) => void): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  const existing = new Set(await admin.listTopics());
  const present = topics.filter((topic) => existing.has(topic));
  const ends = new Map<string, number>();
  for (const topic of present) {
    for (const partition of await offsetsOf(admin, topic)) {
      if (Number(partition.high) > 0) ends.set(`${topic}/${partition.partition}`, Number(partition.high));
    }
  }
  await admin.disconnect();
  let count = 0;
  if (ends.size === 0) return count;
  const consumer = kafka.consumer({ groupId: `test-read-${randomUUID()}`, maxBytes: 50 * 1024 * 1024 });
  await consumer.connect();
  await consumer.subscribe({ topics: present, fromBeginning: true });
  const remaining = new Set(ends.keys());
  try {
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: ({ topic, partition, message }) => {
            const headers: Record<string, string> = {};
            for (const [name, value] of Object.entries(message.headers ?? {})) headers[name] = String(value);
            try {
              onMessage({ topic, partition, offset: message.offset, key: message.key?.toString() ?? '', value: message.value ?? Buffer.alloc(0), headers });
            } catch (error) {
              reject(error instanceof Error ? error : new Error(String(error)));
            }
            count += 1;
            if (Number(message.offset) + 1 >= (ends.get(`${topic}/${partition}`) ?? 0)) remaining.delete(`${topic}/${partition}`);
            if (remaining.size === 0) resolve();
            return Promise.resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return count;
}

/** Every message on the topics up to their current ends, read by a fresh consumer group. */
export async function readAll(kafka: Kafka, topics: readonly string[]): Promise<ReadMessage[]> {
  const messages: ReadMessage[] = [];
  await forEachMessage(kafka, topics, (message) => messages.push(message));
  return messages;
}
