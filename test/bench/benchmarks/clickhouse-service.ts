import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { ClickHouse } from '../../../pipeline/clickhouse/clickhouse.js';
import { EmbeddedClickHouse } from '../../../pipeline/clickhouse/embedded.js';
import { ServerClickHouse } from '../../../pipeline/clickhouse/server.js';
import { projectRoot } from '../../../pipeline/config/project-root.js';
import { startLocalServices, type StartedServices } from '../../helpers/local-services.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { scaled, timed, type Benchmark, type BenchResult } from '../harness.js';
import { purchaseRow, PURCHASES_DDL } from './clickhouse-insert.js';

const BATCH = 50_000;
const SMALL_SELECT = "SELECT count() AS n, sum(total_price) AS revenue FROM bench.purchases WHERE store_id = 'store-001'";

async function insertInBatches(clickhouse: ClickHouse, from: number, total: number): Promise<number[]> {
  const latencies: number[] = [];
  for (let start = 0; start < total; start += BATCH) {
    const rows = Array.from({ length: Math.min(BATCH, total - start) }, (_, k) => purchaseRow(from + start + k));
    latencies.push(await timed(() => clickhouse.insert('bench.purchases', rows)));
  }
  return latencies;
}

async function expectRows(clickhouse: ClickHouse, expected: number): Promise<void> {
  const [count] = await clickhouse.query<{ n: string | number }>('SELECT count() AS n FROM bench.purchases');
  if (Number(count?.n) !== expected) throw new Error(`expected ${expected} rows, found ${String(count?.n ?? 'none')}`);
}

/** The local ClickHouse service with the bench table, for `body`; stopped afterwards. */
async function withService<T>(body: (services: StartedServices, clickhouse: ClickHouse) => Promise<T>): Promise<T> {
  const services = await startLocalServices(['clickhouse']);
  const clickhouse = new ServerClickHouse({ url: services.env.CLICKHOUSE_URL ?? '', user: 'default', password: services.env.CLICKHOUSE_PASSWORD ?? '', database: 'default' });
  try {
    await clickhouse.exec('CREATE DATABASE bench');
    await clickhouse.exec(PURCHASES_DDL);
    return await body(services, clickhouse);
  } finally {
    await clickhouse.close();
    await services.stop();
  }
}

export const clickhouseServiceInsertBenchmark: Benchmark = {
  name: 'clickhouse-service-insert',
  description: 'purchase-shaped rows in batches of 50,000: through the ClickHouse service (@clickhouse/client over HTTP) vs in-process into the same engine',
  async run(options) {
    const total = scaled(1_000_000, options);
    const results: BenchResult[] = [];
    const dir = makeTempDir('bench-inprocess');
    const embedded = new EmbeddedClickHouse(dir.path);
    try {
      await embedded.exec('CREATE DATABASE bench');
      await embedded.exec(PURCHASES_DDL);
      const latencies = await insertInBatches(embedded, 0, total);
      await expectRows(embedded, total);
      results.push({ case: 'in-process (chdb)', size: total, unit: 'rows', seconds: latencies.reduce((a, b) => a + b, 0) / 1000, latenciesMs: latencies, baseline: true });
    } finally {
      await embedded.close();
      dir.remove();
    }
    await withService(async (_services, clickhouse) => {
      const latencies = await insertInBatches(clickhouse, 0, total);
      await expectRows(clickhouse, total);
      results.push({ case: 'service over HTTP', size: total, unit: 'rows', seconds: latencies.reduce((a, b) => a + b, 0) / 1000, latenciesMs: latencies });
    });
    return results;
  },
};

export const clickhouseServiceSelectBenchmark: Benchmark = {
  name: 'clickhouse-service-select',
  description: 'a small SELECT through the ClickHouse service: idle vs while another client streams a bulk insert',
  async run(options) {
    const queries = scaled(200, options);
    const bulk = scaled(2_000_000, options);
    return withService(async (services, clickhouse) => {
      await insertInBatches(clickhouse, 0, Math.min(bulk, 200_000));
      const idle: number[] = [];
      for (let i = 0; i < queries; i += 1) idle.push(await timed(() => clickhouse.query(SMALL_SELECT)));

      // The bulk insert from a process of its own (as another command would be), one streamed request, while the SELECTs run.
      const loader = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `
        import { Readable } from 'node:stream';
        import { createClient } from '@clickhouse/client';
        import { purchaseRow } from ${JSON.stringify(join(projectRoot(), 'test', 'bench', 'benchmarks', 'clickhouse-insert.ts'))};
        const client = createClient({ url: process.env.CLICKHOUSE_URL, username: 'default', password: process.env.CLICKHOUSE_PASSWORD, request_timeout: 600000 });
        function* rows() { for (let i = 0; i < ${bulk}; i += 1) yield purchaseRow(10000000 + i); }
        await client.insert({ table: 'bench.purchases', values: Readable.from(rows(), { objectMode: true }), format: 'JSONEachRow' });
        await client.close();
      `], { cwd: projectRoot(), env: { ...process.env, CLICKHOUSE_URL: services.env.CLICKHOUSE_URL, CLICKHOUSE_PASSWORD: services.env.CLICKHOUSE_PASSWORD }, stdio: ['ignore', 'ignore', 'inherit'] });
      let loading = true;
      const loaded = new Promise<number | null>((resolve) => loader.on('exit', (code) => {
        loading = false;
        resolve(code);
      }));
      const busy: number[] = [];
      while (loading) busy.push(await timed(() => clickhouse.query(SMALL_SELECT)));
      if ((await loaded) !== 0) throw new Error('the bulk insert failed');
      await expectRows(clickhouse, Math.min(bulk, 200_000) + bulk);
      const seconds = (latencies: number[]) => latencies.reduce((a, b) => a + b, 0) / 1000;
      return [
        { case: 'small SELECT, idle', size: idle.length, unit: 'queries', seconds: seconds(idle), latenciesMs: idle, baseline: true },
        { case: `small SELECT during a ${bulk.toLocaleString('en-US')}-row insert`, size: busy.length, unit: 'queries', seconds: seconds(busy), latenciesMs: busy },
      ];
    });
  },
};
