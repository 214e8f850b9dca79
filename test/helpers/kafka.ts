import type { Kafka } from 'kafkajs';
import { readToEnd } from '../../pipeline/kafka/read-to-end.js';

export interface ReadMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: string;
  readonly value: Buffer;
  readonly headers: Record<string, string>;
}

/**
 * Hands every message on the topics up to their current ends to `onMessage`, read by a fresh
 * consumer group, without holding them (a benchmark's million envelopes); returns how many.
 */
export async function forEachMessage(kafka: Kafka, topics: readonly string[], onMessage: (message: ReadMessage) => void): Promise<number> {
  const counts = await readToEnd(kafka, topics, {
    groupPrefix: 'test-read',
    onMessage: (topic, partition, message) => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(message.headers ?? {})) headers[name] = String(value);
      onMessage({ topic, partition, offset: message.offset, key: message.key?.toString() ?? '', value: message.value ?? Buffer.alloc(0), headers });
    },
  });
  return [...counts.values()].reduce((sum, count) => sum + count, 0);
}

/** Every message on the topics up to their current ends, read by a fresh consumer group. */
export async function readAll(kafka: Kafka, topics: readonly string[]): Promise<ReadMessage[]> {
  const messages: ReadMessage[] = [];
  await forEachMessage(kafka, topics, (message) => messages.push(message));
  return messages;
}
