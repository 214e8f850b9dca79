import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { servicesUp } from '../../infra/local/services.js';
import type { ClickHouse } from '../../pipeline/clickhouse/clickhouse.js';
import { openClickHouse } from '../../pipeline/clickhouse/connect.js';
import { CONFIG_VARIABLES, loadConfig } from '../../pipeline/config/config.js';
import { projectRoot } from '../../pipeline/config/project-root.js';
import { INGEST_TABLES, PURCHASE_ITEMS } from '../../pipeline/ingest/raw-tables.js';
import { createKafka } from '../../pipeline/kafka/client.js';
import { topicNames, type TopicNames } from '../../pipeline/produce/topics.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { localServiceContext, startLocalServices, type StartedServices } from '../helpers/local-services.js';
import { fillPurchases, type FilledPurchases } from '../helpers/purchase-envelopes.js';
import { quietLogger } from '../helpers/services.js';
import { makeTempDir } from '../helpers/temp-dir.js';

/**
 * A broker or a ClickHouse service that goes away while `piccha ingest` runs. These tests stop and
 * restart services, so they run on a Kafka broker and a ClickHouse service of their own, never on
 * the ones the other test files share.
 */

type Lost = 'kafka' | 'clickhouse';

/** `piccha ingest` as its own process, as runCli runs it, but killed if it outlives `limitMs`: each test stays bounded. */
function runIngest(args: readonly string[], env: Record<string, string>, limitMs: number): Promise<CliResult & { killed: boolean }> {
  const base = { ...process.env };
  for (const name of CONFIG_VARIABLES) if (name !== 'PICCHA_CACHE_DIR') delete base[name];
  const child = spawn(process.execPath, ['--import', 'tsx', join(projectRoot(), 'pipeline/cli/main.ts'), 'ingest', ...args], { cwd: projectRoot(), env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let killed = false;
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const timer = setTimeout(() => {
    killed = true;
    child.kill('SIGKILL');
  }, limitMs);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, killed });
    });
  });
}

describe('ingest: Kafka or ClickHouse lost mid-run', () => {
  let services: StartedServices;
  let kafka: Kafka;
  let clickhouse: ClickHouse;

  const env = (prefix: string): Record<string, string> => ({ ...services.env, PICCHA_TOPIC_PREFIX: prefix, PICCHA_STATE_DIR: makeTempDir('state').path });
  const pidOf = (lost: Lost): number => {
    const running = JSON.parse(readFileSync(join(services.stateDir, 'services.json'), 'utf8')) as Record<string, { pid: number; ports: Record<string, number> }>;
    const pid = running[lost]?.pid;
    if (pid === undefined || pid <= 0) throw new Error(`no pid for ${lost} in services.json`);
    return pid;
  };
  const portsOf = (lost: Lost) => (JSON.parse(readFileSync(join(services.stateDir, 'services.json'), 'utf8')) as Record<string, { ports: Record<string, number> }>)[lost]?.ports;
  /** Stops the service dead (SIGKILL): no goodbye to its clients, as when a machine goes away. */
  const kill = (lost: Lost) => process.kill(pidOf(lost), 'SIGKILL');
  /** Starts it again on its data and, as clients expect, on the same port. */
  const restart = async (lost: Lost) => {
    const before = portsOf(lost);
    await servicesUp(localServiceContext(services.stateDir), { only: [lost], ports: 'random', timeoutMs: 180_000 });
    expect(portsOf(lost), `${lost} came back on its port`).toEqual(before);
  };

  const purchasesIn = async (topics: TopicNames): Promise<number> => {
    const [row] = await clickhouse.query<{ n: string }>('SELECT count() AS n FROM piccha_raw.purchases WHERE kafka_topic = {topic:String}', { topic: topics.entities.purchases });
    return Number(row?.n);
  };
  const untilSome = async (topics: TopicNames, run: Promise<CliResult>) => {
    let exited = false;
    void run.finally(() => (exited = true));
    const deadline = Date.now() + 120_000;
    while ((await purchasesIn(topics)) === 0) {
      if (exited) throw new Error(`ingest exited before writing anything: ${(await run).stderr}`);
      if (Date.now() > deadline) throw new Error('timed out waiting for the ingest to write');
      await sleep(20);
    }
  };

  /** RAW after the run: every offset once per table, and the purchases' count, revenue and items equal the generator's. */
  const expectExactlyOnce = async (topics: TopicNames, filled: FilledPurchases) => {
    for (const table of INGEST_TABLES) {
      const key = table === PURCHASE_ITEMS.table ? 'kafka_topic, kafka_partition, kafka_offset, item_index' : 'kafka_topic, kafka_partition, kafka_offset';
      const doubled = await clickhouse.query(`SELECT ${key} FROM ${table} WHERE kafka_topic = {topic:String} GROUP BY ${key} HAVING count() > 1`, { topic: topics.entities.purchases });
      expect(doubled, table).toEqual([]);
    }
    const [row] = await clickhouse.query<{ rows: string; offsets: string; kopecks: string; items: string }>(
      `SELECT count() AS rows, uniqExact(kafka_partition, kafka_offset) AS offsets, toString(sum(total_amount) * 100) AS kopecks,
              (SELECT count() FROM piccha_raw.purchase_items WHERE kafka_topic = {topic:String}) AS items
       FROM piccha_raw.purchases WHERE kafka_topic = {topic:String}`,
      { topic: topics.entities.purchases },
    );
    expect({ rows: Number(row?.rows), offsets: Number(row?.offsets), kopecks: Number(row?.kopecks), items: Number(row?.items) }).toEqual({
      rows: filled.purchases,
      offsets: filled.purchases,
      kopecks: filled.kopecks,
      items: filled.items,
    });
  };

  /** Purchases in Kafka and a fresh topic prefix; the ingest is slowed by small batches so that there is time to pull the plug. */
  const prepare = async (purchases: number) => {
    const prefix = `out${randomUUID().slice(0, 8)}`;
    const topics = topicNames(prefix);
    const filled = await fillPurchases(kafka, topics, purchases, 17, 3);
    return { prefix, topics, filled };
  };

  beforeAll(async () => {
    services = await startLocalServices(['kafka', 'clickhouse']);
    kafka = createKafka({ brokers: [services.env.KAFKA_BROKERS ?? ''], clientId: 'outage-test' }, quietLogger);
    clickhouse = openClickHouse(loadConfig({ ...services.env, PICCHA_STATE_DIR: services.stateDir }).clickhouse);
    const migrated = await runCli(['migrate'], env('unused'));
    expect(migrated.stderr).toBe('');
  }, 300_000);
  afterAll(async () => {
    await clickhouse?.close();
    await services?.stop();
  });

  it('the broker goes away mid-ingest and comes back: the ingest waits, resumes and ends with every offset once', async () => {
    const { prefix, topics, filled } = await prepare(4000);
    const run = runIngest(['--max-batch-rows', '20', '--deadline-ms', '120000'], env(prefix), 300_000);
    await untilSome(topics, run);
    kill('kafka');
    expect(await purchasesIn(topics)).toBeLessThan(filled.purchases);
    // Away for longer than a fetch, a heartbeat and the client's own retries.
    await sleep(8000);
    await restart('kafka');
    const result = await run;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toMatch(/^piccha:/m);
    await expectExactlyOnce(topics, filled);
  }, 400_000);

  it('the ClickHouse service goes away mid-ingest and comes back: the batch is retried, nothing lost or doubled', async () => {
    const { prefix, topics, filled } = await prepare(4000);
    const run = runIngest(['--max-batch-rows', '20', '--deadline-ms', '120000'], env(prefix), 300_000);
    await untilSome(topics, run);
    kill('clickhouse');
    await sleep(5000);
    await restart('clickhouse');
    expect(await purchasesIn(topics)).toBeLessThan(filled.purchases);
    const result = await run;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toMatch(/^piccha:/m);
    await expectExactlyOnce(topics, filled);
  }, 400_000);

  it.each(['kafka', 'clickhouse'] as const)('%s stays away past --deadline-ms: exit 1 with one line naming it and no secret', async (lost) => {
    const { prefix, topics } = await prepare(4000);
    const password = services.env.CLICKHOUSE_PASSWORD ?? '';
    expect(password).not.toBe('');
    const run = runIngest(['--max-batch-rows', '20', '--deadline-ms', '5000'], env(prefix), 120_000);
    await untilSome(topics, run);
    kill(lost);
    const lostAt = Date.now();
    try {
      const result = await run;
      expect(result.killed, `still running two minutes after losing ${lost}: ${result.stderr}`).toBe(false);
      expect(result.code, result.stderr).toBe(1);
      const errors = result.stderr.split('\n').filter((line) => line.startsWith('piccha:'));
      expect(errors, result.stderr).toHaveLength(1);
      expect(errors[0]).toMatch(lost === 'kafka' ? /^piccha: .*Kafka \(KAFKA_BROKERS\)/ : /^piccha: .*ClickHouse \(?.*127\.0\.0\.1:\d+/);
      expect(result.stdout + result.stderr).not.toContain(password);
      // Gave up after about the deadline, not after the default two minutes.
      expect(Date.now() - lostAt).toBeLessThan(100_000);
    } finally {
      await restart(lost);
    }
  }, 400_000);

  it('an idle `ingest --follow` notices the broker gone: exit 1 naming Kafka once the deadline passes', async () => {
    const { prefix, topics, filled } = await prepare(200);
    const run = runIngest(['--follow', '--deadline-ms', '5000'], env(prefix), 120_000);
    const caughtUpBy = Date.now() + 120_000;
    while ((await purchasesIn(topics)) < filled.purchases) {
      if (Date.now() > caughtUpBy) throw new Error('timed out waiting for the ingest to catch up');
      await sleep(100);
    }
    // Caught up and idle for a few heartbeats before the broker goes.
    await sleep(3000);
    kill('kafka');
    const lostAt = Date.now();
    try {
      const result = await run;
      expect(result.killed, `still running two minutes after losing Kafka: ${result.stderr}`).toBe(false);
      expect(result.code, result.stderr).toBe(1);
      const errors = result.stderr.split('\n').filter((line) => line.startsWith('piccha:'));
      expect(errors, result.stderr).toHaveLength(1);
      expect(errors[0]).toMatch(/^piccha: .*Kafka \(KAFKA_BROKERS\)/);
      expect(Date.now() - lostAt).toBeLessThan(100_000);
    } finally {
      await restart('kafka');
    }
    await expectExactlyOnce(topics, filled);
  }, 400_000);
});
