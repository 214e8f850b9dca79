import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createKafka } from '../../pipeline/kafka/client.js';
import { FencedSender, ProducerFenced } from '../../pipeline/produce/fenced-sender.js';
import { PRODUCER_CONFIG, SEND_SETTINGS, transactionalIdOf } from '../../pipeline/produce/producer.js';
import { ensureTopics, topicNames } from '../../pipeline/produce/topics.js';
import { readAll } from '../helpers/kafka.js';
import { quietLogger, testConfig } from '../helpers/services.js';

describe('produce: a producer that lost its place to another cannot land anything after it', () => {
  let kafka: Kafka;

  beforeAll(() => {
    kafka = createKafka(testConfig().kafka, quietLogger);
  });
  /** Fresh topics, and the sender every producer of the purchases topic would use. */
  const setUp = async () => {
    const topics = topicNames(`fence${randomUUID().slice(0, 8)}`);
    const admin = kafka.admin();
    await admin.connect();
    try {
      await ensureTopics(admin, topics, 2);
    } finally {
      await admin.disconnect();
    }
    const topic = topics.entities.purchases;
    const sender = () => new FencedSender(kafka, { transactionalId: transactionalIdOf(topic), config: PRODUCER_CONFIG, sendSettings: SEND_SETTINGS });
    const values = async () => (await readAll(kafka, [topic])).map((message) => message.value.toString()).sort();
    return { topic, sender, values };
  };

  it("a successor aborts its predecessor's open transaction and refuses the predecessor's later sends: only the successor's versions are read", async () => {
    const { topic, sender, values } = await setUp();
    const message = (value: string) => ({ key: 'purchase-1', value, partition: 0 });

    // The predecessor, paused mid-send: its batch reached the broker, its commit did not.
    const stalled = kafka.producer({ ...PRODUCER_CONFIG, transactionalId: transactionalIdOf(topic) });
    await stalled.connect();
    const open = await stalled.transaction();
    await open.sendBatch({ topicMessages: [{ topic, messages: [message('v1 sent before the takeover')] }], ...SEND_SETTINGS });
    // Another predecessor, started before the successor, whose send comes late.
    const late = sender();
    await late.start();

    const successor = sender();
    try {
      await successor.start();
      await successor.send([{ topic, messages: [message('v2 by the successor')] }]);
      await expect(open.commit()).rejects.toThrow(/old epoch/);
      const refused = late.send([{ topic, messages: [message('v1 sent after the takeover')] }]);
      await expect(refused).rejects.toBeInstanceOf(ProducerFenced);
      await expect(refused).rejects.toThrow(`Kafka fenced the transactional producer ${transactionalIdOf(topic)}`);
      // The successor goes on as before.
      await successor.send([{ topic, messages: [message('v3 by the successor')] }]);
      expect(await values()).toEqual(['v2 by the successor', 'v3 by the successor']);
    } finally {
      await Promise.all([stalled.disconnect(), late.close(), successor.close()]);
    }
  });

  it('a sender that failed starts again in a new transaction on its next send, and fences the one it replaced', async () => {
    const { topic, sender, values } = await setUp();
    const first = sender();
    const other = sender();
    try {
      await first.start();
      await other.start();
      // Fenced once (here by another sender; in production also when the broker expires a
      // transaction): the next send starts afresh, which in turn fences the other one.
      await expect(first.send([{ topic, messages: [{ key: 'k', value: 'refused' }] }])).rejects.toBeInstanceOf(ProducerFenced);
      await first.send([{ topic, messages: [{ key: 'k', value: 'sent again' }] }]);
      await expect(other.send([{ topic, messages: [{ key: 'k', value: 'from the replaced one' }] }])).rejects.toBeInstanceOf(ProducerFenced);
      expect(await values()).toEqual(['sent again']);
    } finally {
      await Promise.all([first.close(), other.close()]);
    }
  });
});
