import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isOurProcess } from '../../infra/local/processes.js';
import type { ServiceRecord } from '../../infra/local/service.js';
import { servicesDown, servicesStatus, servicesUp } from '../../infra/local/services.js';
import { readEnvFile } from '../../pipeline/config/env-file.js';
import { projectRoot } from '../../pipeline/config/project-root.js';
import { localServiceContext } from '../helpers/local-services.js';
import { quietLogger } from '../helpers/services.js';
import { makeTempDir } from '../helpers/temp-dir.js';

/** A ClickHouse service of its own, so that its memory and its death concern this file alone. */
describe('ClickHouse service process', () => {
  const state = makeTempDir('ch-service');
  const context = localServiceContext(state.path, quietLogger);
  const record = (): ServiceRecord => (JSON.parse(readFileSync(context.layout.runFile, 'utf8')) as Record<string, ServiceRecord>).clickhouse as ServiceRecord;
  const open = (): ClickHouseClient => {
    const env = readEnvFile(context.layout.envFile);
    return createClient({ url: env.CLICKHOUSE_URL, username: env.CLICKHOUSE_USER, password: env.CLICKHOUSE_PASSWORD, request_timeout: 300_000 });
  };
  const statusField = (pid: number, field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) * 1024;
  const peakRssBytes = (pid: number) => statusField(pid, 'VmHWM');
  const rssBytes = (pid: number) => statusField(pid, 'VmRSS');

  beforeAll(async () => {
    await servicesUp(context, { only: ['clickhouse'], ports: 'random' });
  });
  afterAll(async () => {
    await servicesDown(context, { purge: true });
    state.remove();
  });

  it('takes 1M purchase-shaped rows in one request, streamed: no more memory than the engine needs to load them from a file', async () => {
    const client = open();
    const files = makeTempDir('bulk');
    const table = `CREATE TABLE bulk (purchase_id String, store_id LowCardinality(String), customer_id String, amount Decimal(12, 2), purchased_at DateTime64(3, 'UTC'), items Array(String))
                   ENGINE = MergeTree ORDER BY purchase_id`;
    try {
      await client.command({ query: table });
      const total = 1_000_000;
      let expectedCents = 0;
      const lines: string[] = [];
      const file = join(files.path, 'bulk.json');
      const out = openSync(file, 'w');
      function* rows() {
        for (let i = 0; i < total; i += 1) {
          const cents = (i * 7919) % 100_000;
          expectedCents += cents;
          const row = { purchase_id: `ord-${String(i).padStart(8, '0')}`, store_id: `st-${i % 45}`, customer_id: `cus-${i % 50_000}`, amount: cents / 100, purchased_at: '2026-11-01 10:15:30.123', items: [`prd-${i % 3000}`, `prd-${(i + 1) % 3000}`] };
          lines.push(JSON.stringify(row));
          if (lines.length === 10_000) writeSync(out, `${lines.splice(0).join('\n')}\n`);
          yield row;
        }
      }
      const before = rssBytes(record().pid);
      await client.insert({ table: 'bulk', values: Readable.from(rows(), { objectMode: true }), format: 'JSONEachRow' });
      const serviceGrowth = peakRssBytes(record().pid) - before;
      writeSync(out, `${lines.join('\n')}\n`);
      closeSync(out);
      const [result] = await (await client.query({ query: 'SELECT count() AS n, toString(sum(amount) * 100) AS cents FROM bulk', format: 'JSONEachRow' })).json<{ n: number; cents: string }>();
      expect(result).toEqual({ n: total, cents: String(expectedCents) });

      // The same rows loaded by the engine alone, in a process of its own, from the file: its memory is the yardstick.
      const probe = spawnSync(process.execPath, ['--input-type=module', '-e', `
        import { Session } from 'chdb';
        import { readFileSync } from 'node:fs';
        const rss = (field) => Number(new RegExp(field + ':\\\\s+(\\\\d+)').exec(readFileSync('/proc/self/status', 'utf8'))[1]) * 1024;
        const session = new Session(${JSON.stringify(join(files.path, 'engine'))});
        session.query(${JSON.stringify(table)});
        const before = rss('VmRSS');
        await session.queryAsync("INSERT INTO bulk FROM INFILE '${file}' FORMAT JSONEachRow", { format: 'TSV' });
        process.stdout.write(String(rss('VmHWM') - before));
        session.close();
      `], { cwd: projectRoot(), encoding: 'utf8' });
      expect(probe.stderr).toBe('');
      const engineGrowth = Number(probe.stdout);
      const bodyBytes = statSync(file).size;
      process.stderr.write(`1M-row insert: body ${(bodyBytes / 2 ** 20).toFixed(0)} MiB; peak RSS growth: service ${(serviceGrowth / 2 ** 20).toFixed(0)} MiB, engine alone from a file ${(engineGrowth / 2 ** 20).toFixed(0)} MiB\n`);
      expect(engineGrowth).toBeGreaterThan(0);
      expect(serviceGrowth).toBeLessThan(engineGrowth * 1.25 + 32 * 2 ** 20);
    } finally {
      await client.close();
      files.remove();
    }
  }, 300_000);

  it('survives SIGKILL in the middle of inserts: every acknowledged insert is there, no batch half-written', async () => {
    let client = open();
    const batchRows = 20_000;
    await client.command({ query: 'CREATE TABLE crash (batch UInt32, n UInt32, payload String) ENGINE = MergeTree ORDER BY (batch, n)' });
    const acknowledged: number[] = [];
    const insertBatch = (batch: number) =>
      client.insert({ table: 'crash', values: Array.from({ length: batchRows }, (_, n) => ({ batch, n, payload: `batch ${batch} row ${n} ${'x'.repeat(40)}` })), format: 'JSONEachRow' }).then(() => {
        acknowledged.push(batch);
      });
    const { pid } = record();
    let killed = false;
    const writers = [0, 1].map(async (lane) => {
      for (let batch = lane; !killed; batch += 2) {
        if (acknowledged.length >= 6 && lane === 0) {
          // Killed while lane 1's insert (and this one's, started just before) are in flight.
          const inFlight = insertBatch(batch).catch(() => undefined);
          await new Promise((resolve) => setTimeout(resolve, 30));
          process.kill(pid, 'SIGKILL');
          killed = true;
          await inFlight;
          return;
        }
        await insertBatch(batch).catch(() => undefined);
      }
    });
    await Promise.all(writers);
    await client.close();
    while (isOurProcess(pid, record().marker)) await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await servicesStatus(context)).find((status) => status.name === 'clickhouse')?.state).toBe('stopped');

    const [again] = await servicesUp(context, { only: ['clickhouse'], ports: 'random' });
    expect(again).toMatchObject({ state: 'answering' });
    expect(again?.reused).toBeUndefined();
    client = open();
    try {
      const batches = await (await client.query({ query: 'SELECT batch, count() AS rows, uniqExact(n) AS distinct_rows FROM crash GROUP BY batch ORDER BY batch', format: 'JSONEachRow' })).json<{ batch: number; rows: number; distinct_rows: number }>();
      const present = new Map(batches.map((row) => [row.batch, row]));
      for (const batch of acknowledged) expect(present.get(batch)).toEqual({ batch, rows: batchRows, distinct_rows: batchRows });
      for (const row of batches) expect(row).toEqual({ batch: row.batch, rows: batchRows, distinct_rows: batchRows });
      expect(await (await client.query({ query: 'CHECK TABLE crash SETTINGS check_query_single_value_result = 1', format: 'JSONEachRow' })).json()).toEqual([{ result: 1 }]);
    } finally {
      await client.close();
    }
  }, 300_000);

  it('stops cleanly on services down, and --purge deletes its data', async () => {
    const { pid, dataDir, marker } = record();
    expect(await servicesDown(context, { purge: true })).toEqual(['clickhouse']);
    expect(isOurProcess(pid, marker)).toBe(false);
    expect(readFileSync(context.layout.logFile('clickhouse'), 'utf8')).toMatch(/SIGTERM: closing\n.*closed\n$/);
    expect(existsSync(dataDir)).toBe(false);
  });
});
