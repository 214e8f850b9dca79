import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Admin, Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouse } from '../../../pipeline/clickhouse/clickhouse.js';
import { openClickHouse } from '../../../pipeline/clickhouse/connect.js';
import { loadConfig } from '../../../pipeline/config/config.js';
import { createKafka } from '../../../pipeline/kafka/client.js';
import { connectMongo, type MongoConnection } from '../../../pipeline/mongo/client.js';
import { LEASES_COLLECTION } from '../../../pipeline/mongo/lease.js';
import { generateKeys } from '../../../pipeline/pii/keys.js';
import { topicNames } from '../../../pipeline/produce/topics.js';
import { runCli, spawnCli, type CliProcess } from '../../helpers/cli.js';
import { FlowJobs, faultSuiteSize, generateFlowing, topicMessages, topicOffsets, waitFor } from '../../helpers/fault-flow.js';
import { FAULT_CLASSES, recordFault } from '../../helpers/fault-tally.js';
import { readAll } from '../../helpers/kafka.js';
import { startLocalServices, type StartedServices } from '../../helpers/local-services.js';
import { expectMartEqualsSource } from '../../helpers/mart-audit.js';
import { personalValues, piiInTables, plaintextPii, plaintextPiiInMessages } from '../../helpers/pii-scan.js';
import { quietLogger } from '../../helpers/services.js';
import { ServiceOutage } from '../../helpers/service-outage.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

const { purchases: PURCHASES } = faultSuiteSize();
const STEP_MS = 90_000 + PURCHASES * 20;
/** How long the restarted service stays down: longer than one retry, far shorter than the jobs' deadline. */
const DOWN_MS = 3000;

/**
 * A private Kafka, FerretDB and ClickHouse service (the run's shared ones are left alone), each
 * stopped and started again on its ports under the running jobs.
 */
describe('fault suite: services restarted under the running jobs', () => {
  let stack: StartedServices;
  let outage: ServiceOutage;
  let connection: MongoConnection;
  let kafka: Kafka;
  let admin: Admin;
  const state = makeTempDir('faults-state');

  beforeAll(async () => {
    stack = await startLocalServices();
    outage = new ServiceOutage(stack.stateDir);
    connection = await connectMongo({ url: stack.env.MONGO_URL ?? '', database: 'admin_unused' });
    kafka = createKafka({ brokers: [stack.env.KAFKA_BROKERS ?? ''], clientId: 'faults' }, quietLogger);
    admin = kafka.admin();
    await admin.connect();
  }, 300_000);
  afterAll(async () => {
    await admin?.disconnect().catch(() => undefined);
    await connection?.client.close().catch(() => undefined);
    await stack?.stop();
    state.remove();
  });

  function flowEnv(): Record<string, string> {
    const prefix = `r${randomUUID().slice(0, 8)}`;
    const keys = generateKeys();
    return {
      ...stack.env,
      PICCHA_STATE_DIR: state.path,
      PICCHA_TOPIC_PREFIX: prefix,
      MONGO_DB: `faults_${prefix}`,
      PICCHA_PII_KEYS: `${keys.keyId}:${keys.key}`,
      PICCHA_PII_INDEX_KEY: keys.indexKey,
      PICCHA_LOG_LEVEL: 'info',
    };
  }

  it(`FerretDB mid-snapshot, ClickHouse mid-ingest, Kafka mid-stream: ${PURCHASES} purchases, nothing lost, MART equal to the source`, async (context) => {
    const env = flowEnv();
    const topics = topicNames(env.PICCHA_TOPIC_PREFIX ?? '');
    const db = connection.client.db(env.MONGO_DB);
    const clickhouse: ClickHouse = openClickHouse(loadConfig({ ...env, PICCHA_CACHE_DIR: process.env.PICCHA_CACHE_DIR }).clickhouse);
    const jobs = new FlowJobs(env);
    const { logs } = jobs;
    const start = (args: string[]) => jobs.start(args);
    const finished = (job: CliProcess) => jobs.finished(job);
    // Progress (offsets, never below the messages: a transaction's commit marker takes one too), and the count.
    const inKafka = () => topicOffsets(admin, topics.entities.purchases);
    const messagesInKafka = () => topicMessages(kafka, topics.entities.purchases);
    const inRaw = async () => Number((await clickhouse.query<{ n: string }>('SELECT count() AS n FROM piccha_raw.purchases')).at(0)?.n ?? 0);
    try {
      const migrated = await runCli(['migrate'], env);
      expect(migrated.code, migrated.stderr).toBe(0);
      const flow = generateFlowing(db, { stores: 45, products: 20, customers: Math.max(45, Math.round(PURCHASES / 20)), purchases: PURCHASES }, { seed: 15, perSecond: 1_000_000 });
      await flow.done;

      const ingest = start(['ingest', '--follow', '--max-batch-rows', '200', '--max-batch-ms', '200']);
      // The snapshot: a plain run over everything stored, in small batches so that it lasts.
      const snapshot = start(['produce', '--batch-size', '50']);
      await waitFor(async () => (await inKafka()) >= PURCHASES * 0.2, 'a fifth of the snapshot in Kafka', STEP_MS);
      expect(await inKafka(), 'the snapshot is still under way').toBeLessThan(PURCHASES);
      await outage.restart('mongo', 'crash', DOWN_MS);
      recordFault(context, FAULT_CLASSES.mongoRestarted);

      // ClickHouse mid-ingest: with part of the snapshot written and part still to write. (Whether
      // the snapshot is still being produced by then depends on the two jobs' relative speed, which
      // this fault does not need.)
      await waitFor(async () => (await inRaw()) >= PURCHASES * 0.3, 'purchases reaching RAW', STEP_MS);
      expect(await inRaw(), 'the ingest still has part of the snapshot to write').toBeLessThan(PURCHASES);
      await outage.restart('clickhouse', 'crash', DOWN_MS);
      recordFault(context, FAULT_CLASSES.clickhouseRestarted);
      const snapshotExit = await finished(snapshot);
      expect(snapshotExit.code, snapshotExit.stderr).toBe(0);
      expect(snapshotExit.stderr).toMatch(/MongoDB unreachable, retrying/);

      // A replay puts a second copy of every version on the topics (the same documents: the MART does not change).
      const sentBefore = await inKafka();
      const replay = start(['produce', '--from-scratch', '--batch-size', '50']);
      await waitFor(async () => (await inKafka()) >= sentBefore + PURCHASES * 0.2, 'the replay under way', STEP_MS);
      expect(await inKafka(), 'the replay is still under way').toBeLessThan(sentBefore + PURCHASES);
      await outage.restart('kafka', 'stop', DOWN_MS);
      recordFault(context, FAULT_CLASSES.kafkaRestarted);
      const replayExit = await finished(replay);
      expect(replayExit.code, replayExit.stderr).toBe(0);
      // It felt the broker gone: a short outage is absorbed by the Kafka client's own send
      // retries (a refused connection, logged), a longer one by a retried pass.
      expect(replayExit.stderr).toMatch(/Kafka unreachable, retrying|Connection error: connect ECONNREFUSED/);

      const sent = await messagesInKafka();
      await waitFor(async () => (await inRaw()) >= sent, 'the ingest to catch up', STEP_MS);
      await waitFor(() => Promise.resolve(ingest.output().stderr.includes('partitions assigned')), 'the ingest to be past its start', STEP_MS);
      ingest.kill('SIGTERM');
      const ingestExit = await finished(ingest);
      expect(ingestExit, ingestExit.stderr).toMatchObject({ code: 0, signal: null });
      for (const args of [['ingest'], ['refresh']]) {
        const result = await runCli(args, env);
        logs.push(result.stdout, result.stderr);
        expect(result.code, `${args[0] ?? ''}: ${result.stderr}`).toBe(0);
      }
      expect(await inRaw()).toBe(await messagesInKafka());

      await expectMartEqualsSource(clickhouse, flow.generated, flow.defects);

      const people = personalValues(flow.generated);
      const messages = await readAll(kafka, [...Object.values(topics.entities), topics.deadLetter]);
      expect(plaintextPiiInMessages(messages, people), 'plaintext on the topics').toEqual([]);
      expect((await piiInTables(clickhouse, people)).found, 'plaintext in ClickHouse').toEqual({});
      const serviceLogs = ['kafka', 'mongo', 'clickhouse'].map((name) => readFileSync(join(stack.stateDir, 'logs', `${name}.log`), 'utf8'));
      expect(plaintextPii([...logs, ...serviceLogs].join('\n'), people), 'plaintext in the jobs’ and services’ logs').toEqual([]);
      recordFault(context, FAULT_CLASSES.piiScan);
      await db.dropDatabase();
    } finally {
      jobs.killAll();
      await clickhouse.close();
    }
  }, 120_000 + STEP_MS * 8);

  it('a dependency down past the deadline: one line naming it, no secret, non-zero exit', async (context) => {
    const env = flowEnv();
    const db = connection.client.db(env.MONGO_DB);
    const oneLine = (stderr: string) => stderr.split('\n').filter((line) => line.startsWith('piccha:'));
    const password = env.CLICKHOUSE_PASSWORD ?? '';
    expect(password.length).toBeGreaterThan(8);

    // MongoDB, under a following producer.
    const flow = generateFlowing(db, { stores: 5, products: 5, customers: 5, purchases: 50 }, { seed: 16, perSecond: 1_000_000, profile: 'none' });
    await flow.done;
    const producer = spawnCli(['produce', '--follow', '--poll-ms', '100', '--deadline-ms', '5000'], env);
    try {
      await waitFor(async () => (await db.collection<{ holder: { pid: number } }>(LEASES_COLLECTION).countDocuments({ 'holder.pid': producer.pid })) === 4, 'the producer to hold its topics', 60_000);
      await outage.stop('mongo', 'crash');
      recordFault(context, FAULT_CLASSES.dependencyGone);
      const exit = await producer.exited;
      const { stderr } = producer.output();
      expect(exit.code, stderr).toBe(1);
      expect(oneLine(stderr), stderr).toHaveLength(1);
      expect(oneLine(stderr)[0]).toMatch(/^piccha: lost MongoDB at 127\.0\.0\.1:\d+ \(MONGO_URL\): /);
    } finally {
      producer.kill('SIGKILL');
      await outage.start('mongo');
    }

    // ClickHouse, under a following ingest that has messages to write.
    const ingest = spawnCli(['ingest', '--follow', '--max-batch-ms', '200', '--deadline-ms', '5000'], env);
    try {
      await waitFor(() => Promise.resolve(ingest.output().stderr.includes('partitions assigned')), 'the ingest to have its partitions', 60_000);
      await outage.stop('clickhouse', 'crash');
      recordFault(context, FAULT_CLASSES.dependencyGone);
      const produced = await runCli(['produce'], env);
      expect(produced.code, produced.stderr).toBe(0);
      const exit = await ingest.exited;
      const { stderr } = ingest.output();
      expect(exit.code, stderr).toBe(1);
      expect(oneLine(stderr), stderr).toHaveLength(1);
      expect(oneLine(stderr)[0]).toMatch(/ClickHouse/);
      expect(stderr).not.toContain(password);
    } finally {
      ingest.kill('SIGKILL');
      await outage.start('clickhouse');
    }

    await db.dropDatabase();
  }, 300_000);
});
