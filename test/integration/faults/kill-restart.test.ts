import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Admin, Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouse } from '../../../pipeline/clickhouse/clickhouse.js';
import { openClickHouse } from '../../../pipeline/clickhouse/connect.js';
import { loadConfig } from '../../../pipeline/config/config.js';
import { createKafka } from '../../../pipeline/kafka/client.js';
import { connectMongo, type MongoConnection } from '../../../pipeline/mongo/client.js';
import { Lease, LEASES_COLLECTION } from '../../../pipeline/mongo/lease.js';
import { generateKeys } from '../../../pipeline/pii/keys.js';
import { topicNames } from '../../../pipeline/produce/topics.js';
import { runCli, spawnCli, type CliProcess } from '../../helpers/cli.js';
import { FlowJobs, faultSuiteSize, generateFlowing, topicOffsets, waitFor, type FlowingGeneration } from '../../helpers/fault-flow.js';
import { FAULT_CLASSES, recordFault } from '../../helpers/fault-tally.js';
import { readAll } from '../../helpers/kafka.js';
import { startLocalServices, type StartedServices } from '../../helpers/local-services.js';
import { expectMartEqualsSource } from '../../helpers/mart-audit.js';
import { personalValues, piiInTables, plaintextPii, plaintextPiiInMessages } from '../../helpers/pii-scan.js';
import { quietLogger, testConfig, testEnv } from '../../helpers/services.js';

const { purchases: PURCHASES, perSecond: RATE } = faultSuiteSize();
/** The longest any one stage of the flow may take: generous for a busy two-core machine, still bounded. */
const STEP_MS = 60_000 + (PURCHASES / RATE) * 3000;

/**
 * The producer and the ingest as users run them (`--follow`, CLI child processes), SIGKILLed
 * separately and together at several points while purchases are written, restarted each time;
 * then the MART must equal the source exactly and hold no plaintext contact.
 */
describe('fault suite: produce and ingest killed while purchases flow', () => {
  let clickhouseService: StartedServices;
  let connection: MongoConnection;
  let kafka: Kafka;
  let admin: Admin;

  beforeAll(async () => {
    // A ClickHouse of its own: the MART's databases have fixed names, and the jobs and this test query it at once.
    clickhouseService = await startLocalServices(['clickhouse']);
    connection = await connectMongo(testConfig().mongo);
    kafka = createKafka(testConfig().kafka, quietLogger);
    admin = kafka.admin();
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.disconnect();
    await connection?.client.close();
    await clickhouseService?.stop();
  });

  it('a producer stopped by SIGTERM while it waits for the lease of another exits 0, having sent nothing', async () => {
    const prefix = `f${randomUUID().slice(0, 8)}`;
    const keys = generateKeys();
    const env = testEnv({ PICCHA_TOPIC_PREFIX: prefix, MONGO_DB: `faults_${prefix}`, PICCHA_PII_KEYS: `${keys.keyId}:${keys.key}`, PICCHA_PII_INDEX_KEY: keys.indexKey });
    const db = connection.client.db(env.MONGO_DB);
    const holder = await Lease.acquire(db, `produce ${topicNames(prefix).entities.stores}`, { command: 'the test' });
    try {
      const waiting = spawnCli(['produce', '--follow', '--wait'], env);
      await waitFor(() => Promise.resolve(waiting.output().stderr.includes('waiting for `the test`')), 'the producer to wait for the lease', 60_000);
      waiting.kill('SIGTERM');
      const exit = await waiting.exited;
      expect(exit, waiting.output().stderr).toEqual({ code: 0, signal: null });
      expect(await topicOffsets(admin, topicNames(prefix).entities.stores)).toBe(0);
    } finally {
      await holder.release();
      await db.dropDatabase();
    }
  });

  it(`loses nothing and repeats nothing: ${PURCHASES} purchases, MART equal to the source, no plaintext PII anywhere`, async (context) => {
    const prefix = `f${randomUUID().slice(0, 8)}`;
    const keys = generateKeys();
    const env = testEnv({
      PICCHA_TOPIC_PREFIX: prefix,
      MONGO_DB: `faults_${prefix}`,
      PICCHA_PII_KEYS: `${keys.keyId}:${keys.key}`,
      PICCHA_PII_INDEX_KEY: keys.indexKey,
      CLICKHOUSE_URL: clickhouseService.env.CLICKHOUSE_URL ?? '',
      CLICKHOUSE_USER: 'default',
      CLICKHOUSE_PASSWORD: clickhouseService.env.CLICKHOUSE_PASSWORD ?? '',
      // More log lines to scan for personal data than the default level writes.
      PICCHA_LOG_LEVEL: 'info',
    });
    const topics = topicNames(prefix);
    const db = connection.client.db(env.MONGO_DB);
    const clickhouse: ClickHouse = openClickHouse(loadConfig({ ...env, PICCHA_CACHE_DIR: process.env.PICCHA_CACHE_DIR }).clickhouse);
    const jobs = new FlowJobs(env);
    const { logs } = jobs;
    const finished = (job: CliProcess) => jobs.finished(job);
    const kill = async (job: CliProcess) => {
      job.kill('SIGKILL');
      expect((await finished(job)).signal).toBe('SIGKILL');
    };
    const producer = () => jobs.start(['produce', '--follow', '--batch-size', '100', '--poll-ms', '100']);
    const ingester = (fault?: string) => jobs.start(['ingest', '--follow', '--max-batch-rows', '200', '--max-batch-ms', '200'], fault === undefined ? {} : { PICCHA_INGEST_FAULT: fault });
    let flow: FlowingGeneration | undefined;
    const inKafka = () => {
      flow?.check();
      return topicOffsets(admin, topics.entities.purchases);
    };
    const producing = async (job: CliProcess) => (await db.collection<{ holder: { pid: number } }>(LEASES_COLLECTION).countDocuments({ 'holder.pid': job.pid })) === 4;
    const inRaw = async () => Number((await clickhouse.query<{ n: string }>('SELECT count() AS n FROM piccha_raw.purchases'))[0]?.n);

    try {
      const migrated = await runCli(['migrate'], env);
      expect(migrated.code, migrated.stderr).toBe(0);

      let produce = producer();
      let ingest = ingester();
      flow = generateFlowing(db, { stores: 45, products: 20, customers: Math.max(45, Math.round(PURCHASES / 20)), purchases: PURCHASES }, { seed: 14, perSecond: RATE });

      // The producer mid-stream.
      await waitFor(async () => (await inKafka()) >= PURCHASES * 0.1, 'a tenth of the purchases in Kafka', STEP_MS);
      await kill(produce);
      recordFault(context, FAULT_CLASSES.producerKilled);
      produce = producer();

      // The ingest mid-stream, from outside, then at each of its own crash points: before an
      // insert, and after the insert before the offsets are committed (twice).
      await waitFor(async () => (await inRaw()) >= PURCHASES * 0.15, 'purchases reaching RAW', STEP_MS);
      await kill(ingest);
      recordFault(context, FAULT_CLASSES.ingestKilled);
      for (const point of ['before-insert:3', 'after-insert:2', 'after-insert:3']) {
        const crashing = ingester(point);
        const exit = await finished(crashing);
        expect(exit.signal, `${point}: ${exit.stderr}`).toBe('SIGKILL');
        recordFault(context, FAULT_CLASSES.ingestKilled);
      }
      ingest = ingester();

      // Both at once.
      await waitFor(async () => (await inKafka()) >= PURCHASES * 0.6, 'six tenths of the purchases in Kafka', STEP_MS);
      await Promise.all([kill(produce), kill(ingest)]);
      recordFault(context, FAULT_CLASSES.bothKilled);
      produce = producer();
      ingest = ingester();

      // The producer again, late in the stream.
      await waitFor(async () => (await inKafka()) >= PURCHASES * 0.85, 'most purchases in Kafka', STEP_MS);
      await kill(produce);
      recordFault(context, FAULT_CLASSES.producerKilled);
      produce = producer();

      await flow.done;
      // Stopped as an operator would once the followers have caught up and are past their start
      // (a SIGTERM before a process set up its handlers ends it as a kill would: the producer holds
      // its leases, the ingest has its partitions); then one plain run of each sends and ingests
      // whatever is left.
      let seen = { kafka: -1, raw: -1, since: Date.now() };
      await waitFor(
        async () => {
          const now = { kafka: await inKafka(), raw: await inRaw() };
          if (now.kafka !== seen.kafka || now.raw !== seen.raw) seen = { ...now, since: Date.now() };
          return now.raw > 0 && Date.now() - seen.since >= 3000 && (await producing(produce)) && ingest.output().stderr.includes('partitions assigned');
        },
        'the followers to catch up',
        STEP_MS,
      );
      produce.kill('SIGTERM');
      ingest.kill('SIGTERM');
      for (const job of [produce, ingest]) {
        const exit = await finished(job);
        expect(exit, `${job === produce ? "produce" : "ingest"}: ${exit.stderr.slice(-3000)}`).toMatchObject({ code: 0, signal: null });
      }
      for (const args of [['produce'], ['ingest'], ['refresh']]) {
        const result = await runCli(args, env);
        logs.push(result.stdout, result.stderr);
        expect(result.code, `${args[0] ?? ''}: ${result.stderr}`).toBe(0);
      }

      await expectMartEqualsSource(clickhouse, flow.generated, flow.defects);

      const people = personalValues(flow.generated);
      expect(people.emails.size).toBeGreaterThan(0);
      expect(people.phones.size).toBeGreaterThan(0);
      const messages = await readAll(kafka, [...Object.values(topics.entities), topics.deadLetter]);
      expect(messages.length).toBeGreaterThanOrEqual(PURCHASES);
      const onTopics = plaintextPiiInMessages(messages, people);
      expect(onTopics, 'plaintext on the topics').toEqual([]);
      const inTables = await piiInTables(clickhouse, people);
      expect(inTables.tables).toBeGreaterThanOrEqual(20);
      expect(inTables.found, 'plaintext in ClickHouse').toEqual({});
      const serviceLog = readFileSync(`${clickhouseService.stateDir}/logs/clickhouse.log`, 'utf8');
      expect(plaintextPii([...logs, serviceLog].join('\n'), people), 'plaintext in the jobs’ output and logs').toEqual([]);
      recordFault(context, FAULT_CLASSES.piiScan);
      await db.dropDatabase();
    } finally {
      // A failed step leaves no job running behind it.
      jobs.killAll();
      await clickhouse.close();
    }
  }, 120_000 + STEP_MS * 6);
});
