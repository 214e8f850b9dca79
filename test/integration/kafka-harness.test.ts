import { randomUUID } from 'node:crypto';
import { CompressionTypes, Partitioners, type Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka } from '../../pipeline/kafka/client.js';
import { quietLogger, testConfig } from '../helpers/services.js';

/** kafkajs against a real Kafka 4 broker: the protocol versions 4.x kept are the ones kafkajs speaks. */
describe('Kafka broker (kafkajs)', () => {
  let kafka: Kafka;
  const topic = `harness.${randomUUID()}`;

  beforeAll(async () => {
    kafka = createKafka(testConfig().kafka, quietLogger);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    await admin.disconnect();
  });

  afterAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic] });
    await admin.disconnect();
  });

  it('creates topics with the admin client and describes them', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      expect(topics[0]?.partitions).toHaveLength(3);
      expect(await admin.listTopics()).toContain(topic);
    } finally {
      await admin.disconnect();
    }
  });

  it('produces with an idempotent, compressed producer and consumes in a group, in order per key', async () => {
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const sent = Array.from({ length: 30 }, (_, i) => ({ key: `store-${String(i % 3).padStart(3, '0')}`, value: JSON.stringify({ seq: i, city: 'Москва' }) }));
    await producer.send({ topic, acks: -1, compression: CompressionTypes.GZIP, messages: sent });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: `harness-${randomUUID()}` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received: { key: string; seq: number; city: string }[] = [];
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: ({ message }) => {
          const value = JSON.parse(message.value?.toString() ?? '{}') as { seq: number; city: string };
          received.push({ key: message.key?.toString() ?? '', ...value });
          if (received.length === sent.length) resolve();
          return Promise.resolve();
        },
      });
    });
    await consumer.disconnect();

    expect(received.map((m) => m.seq).sort((a, b) => a - b)).toEqual(sent.map((_, i) => i));
    expect(received.every((m) => m.city === 'Москва')).toBe(true);
    for (const key of ['store-000', 'store-001', 'store-002']) {
      const seqs = received.filter((m) => m.key === key).map((m) => m.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    }
  });

  it('commits consumer offsets explicitly, and the admin client reads them back', async () => {
    const groupId = `harness-offsets-${randomUUID()}`;
    const consumer = kafka.consumer({ groupId });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const next = new Map<number, string>();
    let seen = 0;
    await new Promise<void>((resolve, reject) => {
      void consumer.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          next.set(partition, String(Number(message.offset) + 1));
          seen += 1;
          if (seen === 30) {
            await consumer.commitOffsets([...next].map(([p, offset]) => ({ topic, partition: p, offset }))).then(resolve, reject);
          }
        },
      });
    });
    await consumer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    await admin.disconnect();
    // A partition no key hashed to has no committed offset (-1).
    expect(offsets?.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0)).toBe(30);
  });
});
