import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClickHouse } from '../../../pipeline/clickhouse/clickhouse.js';
import { EmbeddedClickHouse } from '../../../pipeline/clickhouse/embedded.js';
import { ServerClickHouse } from '../../../pipeline/clickhouse/server.js';
import { defaultMigrationsDir, migrate, readMigrations } from '../../../pipeline/clickhouse/migrations.js';
import { ENTITIES, type Entity } from '../../../pipeline/entities/entities.js';
import { decode, type TopicRoles } from '../../helpers/ingest-reference/decode.js';
import { DEFAULT_CONSUMERS, DEFAULT_MAX_BATCH_ROWS, ingest } from '../../../pipeline/ingest/ingest.js';
import { INSERT_SETTINGS } from '../../../pipeline/ingest/raw-writer.js';
import { insertColumnsOf, RAW_DATABASE } from '../../../pipeline/ingest/raw-tables.js';
import { createKafka } from '../../../pipeline/kafka/client.js';
import { createLogger } from '../../../pipeline/log/logger.js';
import { SCHEMA_VERSION } from '../../../pipeline/produce/envelope.js';
import { ensureTopics, topicNames, type TopicNames } from '../../../pipeline/produce/topics.js';
import type { Kafka } from 'kafkajs';
import { startLocalServices, withLocalServices } from '../../helpers/local-services.js';
import { cpuMeter, servicePid } from '../service-process.js';
import { fillPurchases } from '../../helpers/purchase-envelopes.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { scaled, timed, type Benchmark, type BenchResult } from '../harness.js';
import { nativeKafkaEngine } from './native-kafka-engine.js';

const PARTITIONS = 3;
const logger = createLogger('warn');

async function countOf(clickhouse: ClickHouse, table: string, topic: string): Promise<number> {
  const [row] = await clickhouse.query<{ n: string }>(`SELECT count() AS n FROM ${table} WHERE kafka_topic = {topic:String}`, { topic });
  return Number(row?.n);
}

async function until(condition: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** The Kafka table engine with `consumers` consumers, from the create until every purchase is in its RAW copy. */
async function runNative(clickhouse: ClickHouse, brokers: string, topics: TopicNames, purchases: number, consumers: number): Promise<number> {
  const setup = nativeKafkaEngine(`bench_native_${consumers}`, { brokers, topic: topics.entities.purchases, group: `bench-native-${consumers}-${Date.now()}`, consumers });
  const ms = await timed(async () => {
    for (const statement of setup.statements) await clickhouse.exec(statement);
    await until(async () => (await countOf(clickhouse, `${setup.database}.purchases`, topics.entities.purchases)) >= purchases, 30 * 60_000, 'the Kafka engine');
  });
  await clickhouse.exec(`DROP TABLE ${setup.database}.queue SYNC`);
  return ms;
}

/** The seed's consumer: one INSERT per message (per table), offsets auto-committed. */
async function runSeedWay(clickhouse: ClickHouse, kafka: Kafka, topics: TopicNames, messages: number): Promise<number> {
  const database = 'bench_seed';
  await clickhouse.exec(`CREATE DATABASE IF NOT EXISTS ${database}`);
  for (const table of ['purchases', 'purchase_items']) await clickhouse.exec(`CREATE TABLE IF NOT EXISTS ${database}.${table} AS ${RAW_DATABASE}.${table}`);
  const roles: TopicRoles = { entityOf: new Map(ENTITIES.map((entity): [string, Entity] => [topics.entities[entity], entity])), deadLetter: topics.deadLetter };
  const consumer = kafka.consumer({ groupId: `bench-seed-${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topics: [topics.entities.purchases], fromBeginning: true });
  let seen = 0;
  let finished: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finished = resolve));
  const started = process.hrtime.bigint();
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      if (seen >= messages) return;
      const decoded = decode({ topic, partition, offset: message.offset, key: message.key, value: message.value, timestamp: message.timestamp }, roles);
      for (const { table, line } of decoded.rows) await clickhouse.insertCompact(table.replace(`${RAW_DATABASE}.`, `${database}.`), { columns: insertColumnsOf(table), body: `${line}\n` }, INSERT_SETTINGS);
      seen += 1;
      if (seen >= messages) finished();
    },
  });
  await done;
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  await consumer.disconnect();
  return ms;
}

export const ingestBenchmark: Benchmark = {
  name: 'ingest',
  description: 'purchases/s Kafka → ClickHouse RAW (purchases and their items) on the local ClickHouse service, with the CPU time each case cost every process: ClickHouse’s Kafka table engine (consumers = partitions, the baseline; and one consumer), piccha ingest, and the seed’s one insert per message',
  async run(options) {
    const purchases = scaled(1_000_000, options);
    const seedMessages = scaled(10_000, options);
    // The ClickHouse service, as every stage reaches ClickHouse: the Kafka engine runs inside it,
    // and piccha ingest (in this process) sends it its inserts over HTTP.
    const services = await startLocalServices(['kafka', 'clickhouse']);
    const env = services.env;
    const brokers = env.KAFKA_BROKERS ?? '';
    const kafka = createKafka({ brokers: [brokers], clientId: 'bench' }, logger);
    const clickhouse = new ServerClickHouse({ url: env.CLICKHOUSE_URL ?? '', user: env.CLICKHOUSE_USER ?? '', password: env.CLICKHOUSE_PASSWORD ?? '', database: 'default' });
    try {
      await migrate(clickhouse, readMigrations(defaultMigrationsDir()));
      // The MART's scheduled refreshes read RAW: left running, they would bill piccha ingest (whose
      // RAW they read) for MART work that the Kafka engine's copy never causes.
      await clickhouse.exec('SYSTEM STOP VIEWS');
      const topics = topicNames(`bench-ingest-${Date.now()}`);
      await fillPurchases(kafka, topics, purchases, 5, PARTITIONS);
      const cpu = cpuMeter({ ClickHouse: servicePid(services.stateDir, 'clickhouse'), Kafka: servicePid(services.stateDir, 'kafka') }, 'purchase');
      const results: BenchResult[] = [];
      let used = cpu.start();
      const native3 = await runNative(clickhouse, brokers, topics, purchases, PARTITIONS);
      results.push({ case: `ClickHouse Kafka engine, ${PARTITIONS} consumers`, size: purchases, unit: 'purchases', seconds: native3 / 1000, baseline: true, note: used(purchases) });
      used = cpu.start();
      const native1 = await runNative(clickhouse, brokers, topics, purchases, 1);
      results.push({ case: 'ClickHouse Kafka engine, 1 consumer', size: purchases, unit: 'purchases', seconds: native1 / 1000, note: used(purchases) });
      used = cpu.start();
      const ours = await timed(() => ingest(kafka, clickhouse, { topics, partitions: PARTITIONS, groupId: `bench-ingest-${Date.now()}`, follow: false, maxBatchRows: DEFAULT_MAX_BATCH_ROWS, maxBatchMs: 1000, deadlineMs: 60_000 }, logger));
      const oursUsed = used(purchases);
      const written = await countOf(clickhouse, `${RAW_DATABASE}.purchases`, topics.entities.purchases);
      if (written !== purchases) throw new Error(`piccha ingest wrote ${written} purchases of ${purchases}`);
      const [revenue] = await clickhouse.query<{ ours: string; native: string }>(
        `SELECT (SELECT toString(sum(total_amount)) FROM ${RAW_DATABASE}.purchases WHERE kafka_topic = {topic:String}) AS ours,
                (SELECT toString(sum(total_amount)) FROM bench_native_${PARTITIONS}.purchases) AS native`,
        { topic: topics.entities.purchases },
      );
      if (revenue?.ours !== revenue?.native) throw new Error(`revenue differs: piccha ingest ${revenue?.ours}, Kafka engine ${revenue?.native}`);
      results.push({ case: `piccha ingest (${DEFAULT_CONSUMERS} members, flushes of up to ${DEFAULT_MAX_BATCH_ROWS.toLocaleString('en-US')}, exactly once)`, size: purchases, unit: 'purchases', seconds: ours / 1000, note: oursUsed });
      const seedWay = await runSeedWay(clickhouse, kafka, topics, seedMessages);
      results.push({ case: 'the seed’s way: one INSERT per message', size: seedMessages, unit: 'purchases', seconds: seedWay / 1000 });
      return results;
    } finally {
      await clickhouse.close();
      await services.stop();
    }
  },
};

export const ingestFreshnessBenchmark: Benchmark = {
  name: 'ingest-freshness',
  description: 'produce → visible in RAW with purchases produced steadily (200/s) into `ingest --follow`: p50/p95 of kafka_timestamp → ingested_at, as a multiple of --max-batch-ms',
  async run(options) {
    const seconds = Math.max(5, Math.round(20 * options.scale));
    const rate = 200;
    const maxBatchMs = 500;
    return withLocalServices(['kafka'], async (env) => {
      const kafka = createKafka({ brokers: [env.KAFKA_BROKERS ?? ''], clientId: 'bench' }, logger);
      const state = makeTempDir('bench-fresh');
      const clickhouse = new EmbeddedClickHouse(join(state.path, 'clickhouse'));
      try {
        await migrate(clickhouse, readMigrations(defaultMigrationsDir()));
        const topics = topicNames(`bench-fresh-${Date.now()}`);
        const admin = kafka.admin();
        await admin.connect();
        await ensureTopics(admin, topics, PARTITIONS);
        await admin.disconnect();
        const controller = new AbortController();
        const running = ingest(kafka, clickhouse, { topics, partitions: PARTITIONS, groupId: `bench-fresh-${Date.now()}`, follow: true, maxBatchRows: 10_000, maxBatchMs, deadlineMs: 60_000, signal: controller.signal }, logger);
        await sleep(5000);
        const producer = kafka.producer();
        await producer.connect();
        const total = seconds * rate;
        const start = Date.now();
        for (let sent = 0; sent < total; sent += rate / 10) {
          const messages = Array.from({ length: rate / 10 }, (_, i) => {
            const id = `ord-fresh-${sent + i}`;
            const document = { purchase_id: id, total_amount: 100, items: [], purchase_datetime: new Date().toISOString() };
            return { key: id, value: JSON.stringify({ schema_version: SCHEMA_VERSION, entity: 'purchases', source_id: id, op: 'upsert', emitted_at: new Date().toISOString(), loaded_at: '', pii_key_id: 'none', document }) };
          });
          await producer.send({ topic: topics.entities.purchases, messages });
          await sleep(Math.max(0, start + ((sent + rate / 10) / rate) * 1000 - Date.now()));
        }
        await producer.disconnect();
        await until(async () => (await countOf(clickhouse, `${RAW_DATABASE}.purchases`, topics.entities.purchases)) >= total, 60_000, 'every purchase');
        controller.abort();
        await running;
        const rows = await clickhouse.query<{ ms: string }>(`SELECT toString(dateDiff('millisecond', kafka_timestamp, ingested_at)) AS ms FROM ${RAW_DATABASE}.purchases WHERE kafka_topic = {topic:String}`, { topic: topics.entities.purchases });
        const latencies = rows.map((row) => Number(row.ms));
        return [{ case: `piccha ingest --follow --max-batch-ms ${maxBatchMs}, ${rate} purchases/s`, size: total, unit: 'purchases', seconds: (Date.now() - start) / 1000, latenciesMs: latencies }];
      } finally {
        await clickhouse.close();
        state.remove();
      }
    });
  },
};
