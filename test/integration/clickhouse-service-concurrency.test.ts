import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { clickhouseServiceOptions, testEnv, testServices } from '../helpers/services.js';
import { makeTempDir } from '../helpers/temp-dir.js';

/** Polls `read` until `done` holds for what it returns, or fails after `timeoutMs` with the last value. */
async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await sleep(250);
  }
}

/** An insert whose body stays open until `finish`: proof that whatever completes meanwhile did not wait for it. */
function heldInsert(client: ClickHouseClient, table: string, firstRows: readonly Record<string, unknown>[]) {
  const rows = new Readable({ objectMode: true, read: () => undefined });
  for (const row of firstRows) rows.push(row);
  let settled = false;
  const done = client.insert({ table, values: rows, format: 'JSONEachRow' }).finally(() => {
    settled = true;
  });
  return {
    get settled() {
      return settled;
    },
    finish: async () => {
      rows.push(null);
      await done;
    },
  };
}

describe('ClickHouse service: several clients at once, and the engine’s background work', () => {
  const service = clickhouseServiceOptions();
  const db = `conc_${randomBytes(4).toString('hex')}`;
  const clients: ClickHouseClient[] = [];
  const client = () => {
    const made = createClient(service);
    clients.push(made);
    return made;
  };
  const count = async (sql: string) => Number((await (await client().query({ query: sql, format: 'JSONEachRow' })).json<{ n: string | number }>())[0]?.n);

  beforeAll(async () => {
    await client().command({ query: `CREATE DATABASE ${db} ENGINE = Atomic` });
    await client().command({ query: `CREATE TABLE ${db}.events (id UInt64, source String) ENGINE = MergeTree ORDER BY id` });
  });
  afterAll(async () => {
    await client().command({ query: `DROP DATABASE IF EXISTS ${db} SYNC` });
    await Promise.all(clients.map((made) => made.close()));
  });

  it('answers SELECTs from other clients while three inserts are still streaming their bodies', async () => {
    const inserts = [0, 1, 2].map((lane) => heldInsert(client(), `${db}.events`, Array.from({ length: 1000 }, (_, i) => ({ id: lane * 1_000_000 + i, source: `lane-${lane}` }))));
    const answers = await Promise.all(Array.from({ length: 5 }, (_, i) => client().query({ query: `SELECT ${i} AS i, count() AS n FROM system.one`, format: 'JSONEachRow' }).then((result) => result.json())));
    expect(answers).toEqual(Array.from({ length: 5 }, (_, i) => [{ i, n: 1 }]));
    expect(inserts.map((insert) => insert.settled)).toEqual([false, false, false]);
    // Rows of an unfinished insert are not visible yet: one INSERT, as on a server.
    expect(await count(`SELECT count() AS n FROM ${db}.events`)).toBe(0);
    await Promise.all(inserts.map((insert) => insert.finish()));
    expect(await count(`SELECT count() AS n FROM ${db}.events`)).toBe(3000);
  });

  it('cancels an INSERT whose client goes away mid-body: none of its rows are committed', async () => {
    await client().command({ query: `CREATE TABLE ${db}.aborted (id UInt64) ENGINE = MergeTree ORDER BY id` });
    const controller = new AbortController();
    const rows = new Readable({ objectMode: true, read: () => undefined });
    // Whole rows: had the engine read a clean end of data, it would commit all of them.
    for (let id = 0; id < 5000; id += 1) rows.push({ id });
    const insert = client().insert({ table: `${db}.aborted`, values: rows, format: 'JSONEachRow', abort_signal: controller.signal });
    await sleep(500);
    controller.abort();
    await expect(insert).rejects.toThrow();
    const running = `SELECT count() AS n FROM system.processes WHERE position(query, '${db}.aborted FROM INFILE') > 0 AND query NOT LIKE '%system.processes%'`;
    expect(await eventually(() => count(running), (n) => n === 0)).toBe(0);
    expect(await count(`SELECT count() AS n FROM ${db}.aborted`)).toBe(0);
  });

  it('runs `piccha sql` and `piccha migrate` while another client holds an insert open', async () => {
    const insert = heldInsert(client(), `${db}.events`, [{ id: 9_000_001, source: 'held' }]);
    const migrations = makeTempDir('sql');
    try {
      const migrated = `mig_${randomBytes(4).toString('hex')}`;
      writeFileSync(join(migrations.path, '001_raw_service_check.sql'), `CREATE DATABASE ${migrated};\nCREATE TABLE ${migrated}.t (id String) ENGINE = MergeTree ORDER BY id;`);
      // The service's address, as services.env gives it to every command after `services up`.
      const viaService = testEnv({ CLICKHOUSE_URL: service.url, CLICKHOUSE_USER: service.username, CLICKHOUSE_PASSWORD: service.password });
      const migrate = await runCli(['migrate', '--dir', migrations.path], viaService);
      expect(migrate.stderr).toBe('');
      expect(migrate.stdout).toBe(`applied  001_raw_service_check.sql\n1 applied, 0 already applied, on ClickHouse server at ${service.url}\n`);
      const sql = await runCli(['sql', `SELECT count() AS n FROM system.tables WHERE database = {db:String}`, '-p', `db=${migrated}`, '-f', 'tsv'], viaService);
      expect([sql.code, sql.stdout]).toEqual([0, 'n\n1\n']);
      expect(insert.settled).toBe(false);
      await client().command({ query: `DROP DATABASE ${migrated}` });
    } finally {
      await insert.finish();
      migrations.remove();
    }
  });

  it('merges parts in the background', async () => {
    await client().command({ query: `CREATE TABLE ${db}.merged (id UInt64) ENGINE = MergeTree ORDER BY id` });
    for (let i = 0; i < 12; i += 1) await client().insert({ table: `${db}.merged`, values: [{ id: i }], format: 'JSONEachRow' });
    const parts = `SELECT count() AS n FROM system.parts WHERE database = '${db}' AND table = 'merged' AND active`;
    // Twelve inserts, twelve parts, until the background merges (the server's merge selector decides how far) run.
    expect(await eventually(() => count(parts), (n) => n < 12, 90_000)).toBeLessThan(12);
    expect(await count(`SELECT count() AS n FROM ${db}.merged`)).toBe(12);
  }, 120_000);

  it('refreshes a refreshable materialized view on its schedule', async () => {
    await client().command({ query: `CREATE TABLE ${db}.source (id UInt64) ENGINE = MergeTree ORDER BY id` });
    await client().command({ query: `CREATE MATERIALIZED VIEW ${db}.source_count REFRESH EVERY 1 SECOND ENGINE = MergeTree ORDER BY tuple() AS SELECT count() AS n FROM ${db}.source` });
    await client().insert({ table: `${db}.source`, values: [{ id: 1 }, { id: 2 }, { id: 3 }], format: 'JSONEachRow' });
    // Only a refresh after the insert can show 3.
    expect(await eventually(() => count(`SELECT max(n) AS n FROM ${db}.source_count`), (n) => n === 3)).toBe(3);
  });

  it('consumes a Kafka topic through a Kafka engine table and a materialized view', async () => {
    const topic = `piccha-ch-service-${randomBytes(4).toString('hex')}`;
    const kafka = new Kafka({ brokers: testServices().kafkaBrokers.split(','), clientId: 'ch-service-test', logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();
    await client().command({ query: `CREATE TABLE ${db}.landing (id UInt64, note String) ENGINE = MergeTree ORDER BY id` });
    await client().command({
      query: `CREATE TABLE ${db}.queue (id UInt64, note String) ENGINE = Kafka
              SETTINGS kafka_broker_list = '${testServices().kafkaBrokers}', kafka_topic_list = '${topic}', kafka_group_name = '${topic}', kafka_format = 'JSONEachRow', kafka_flush_interval_ms = 500`,
    });
    await client().command({ query: `CREATE MATERIALIZED VIEW ${db}.queue_mv TO ${db}.landing AS SELECT id, note FROM ${db}.queue` });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: Array.from({ length: 50 }, (_, id) => ({ value: JSON.stringify({ id, note: `message ${id}` }) })) });
    await producer.disconnect();
    expect(await eventually(() => count(`SELECT count() AS n FROM ${db}.landing`), (n) => n === 50, 90_000)).toBe(50);
    await client().command({ query: `DROP TABLE ${db}.queue_mv SYNC` });
    await client().command({ query: `DROP TABLE ${db}.queue SYNC` });
  }, 120_000);
});
