import { randomUUID } from 'node:crypto';
import { Partitioners } from 'kafkajs';
import type { ClickHouse } from '../clickhouse/clickhouse.js';
import type { Config } from '../config/config.js';
import { createKafka } from '../kafka/client.js';
import type { Logger } from '../log/logger.js';
import { connectMongo } from '../mongo/client.js';

export const SMOKE_TOPIC = 'piccha.smoke';

export interface SmokeResult {
  readonly check: string;
  readonly result: string;
}

/** One message through the broker and back, read by a consumer group as the pipeline will. */
async function kafkaRoundTrip(config: Config, logger: Logger): Promise<string> {
  const kafka = createKafka(config.kafka, logger);
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic: SMOKE_TOPIC, numPartitions: 1 }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
  const id = randomUUID();
  const producer = kafka.producer({ idempotent: true, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  await producer.send({ topic: SMOKE_TOPIC, acks: -1, messages: [{ key: id, value: JSON.stringify({ id, at: new Date().toISOString() }) }] });
  await producer.disconnect();

  const consumer = kafka.consumer({ groupId: `piccha-smoke-${id}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: SMOKE_TOPIC, fromBeginning: true });
    const started = Date.now();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`message ${id} did not come back from ${SMOKE_TOPIC} within 30 s`)), 30_000);
      void consumer.run({
        eachMessage: async ({ message }) => {
          if (message.key?.toString() === id) {
            clearTimeout(timer);
            resolve();
          }
          return Promise.resolve();
        },
      });
    });
    return `produced and consumed one message on ${SMOKE_TOPIC} in ${Date.now() - started} ms`;
  } finally {
    await consumer.disconnect();
  }
}

async function mongoRoundTrip(config: Config): Promise<string> {
  const { client, db } = await connectMongo(config.mongo);
  try {
    const id = randomUUID();
    const collection = db.collection<{ _id: string; at: Date }>('smoke');
    await collection.insertOne({ _id: id, at: new Date() });
    const found = await collection.findOne({ _id: id });
    await collection.deleteOne({ _id: id });
    if (!found) throw new Error('a document written to MongoDB could not be read back');
    return `wrote and read a document in ${config.mongo.database}`;
  } finally {
    await client.close();
  }
}

async function clickhouseVersion(clickhouse: ClickHouse): Promise<string> {
  const [row] = await clickhouse.query<{ version: string }>('SELECT version() AS version');
  return `${clickhouse.description}, version ${row?.version ?? '?'}`;
}

/** Proves each part of the stack answers: Kafka, MongoDB protocol, ClickHouse. */
export async function smokeCheck(config: Config, clickhouse: ClickHouse, logger: Logger): Promise<SmokeResult[]> {
  return [
    { check: 'Kafka', result: await kafkaRoundTrip(config, logger) },
    { check: 'MongoDB', result: await mongoRoundTrip(config) },
    { check: 'ClickHouse', result: await clickhouseVersion(clickhouse) },
  ];
}
