import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { DIRTY_PROFILES } from '../../../pipeline/generate/defects.js';
import { runGeneration } from '../../../pipeline/generate/run.js';
import { ndjsonSink } from '../../../pipeline/generate/sinks.js';
import { loadFolder } from '../../../pipeline/load/load.js';
import { connectMongo } from '../../../pipeline/mongo/client.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { withLocalServices } from '../../helpers/local-services.js';
import { scaled, timed, type Benchmark, type BenchResult } from '../harness.js';

async function firstLines(path: string, count: number): Promise<string[]> {
  const lines: string[] = [];
  for await (const line of createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity })) {
    lines.push(line);
    if (lines.length === count) break;
  }
  return lines;
}

export const loadBenchmark: Benchmark = {
  name: 'load',
  description: 'purchases loaded into MongoDB (FerretDB) per second: one insert per document (the seed\'s way) vs the batched, idempotent loader',
  async run(options) {
    const purchases = scaled(1_000_000, options);
    const singles = scaled(10_000, options);
    const dir = makeTempDir('bench-load');
    try {
      const generation = { seed: 1, now: Date.parse('2026-11-25T12:00:00Z'), days: 90, counts: { stores: 45, products: 20, customers: 45, purchases }, profile: 'none', defects: DIRTY_PROFILES.none ?? { rates: {}, maxCopies: 1 } };
      await runGeneration(generation, ndjsonSink(join(dir.path, 'data')));
      return await withLocalServices(['mongo'], async (env) => {
        const { client, db } = await connectMongo({ url: env.MONGO_URL ?? '', database: 'bench_load' });
        try {
          const results: BenchResult[] = [];
          const lines = await firstLines(join(dir.path, 'data', 'purchases.ndjson'), singles);
          const one = db.collection('purchases_one_by_one');
          const latencies: number[] = [];
          for (const line of lines) latencies.push(await timed(() => one.insertOne(JSON.parse(line) as Record<string, unknown>)));
          results.push({ case: 'insertOne per document', size: lines.length, unit: 'docs', seconds: latencies.reduce((a, b) => a + b, 0) / 1000, latenciesMs: latencies, baseline: true });

          const ms = await timed(() => loadFolder(db, join(dir.path, 'data')));
          const total = purchases + 45 + 20 + 45;
          results.push({ case: 'load, batches of 1,000', size: total, unit: 'docs', seconds: ms / 1000 });
          const reloadMs = await timed(() => loadFolder(db, join(dir.path, 'data')));
          results.push({ case: 'reload, all unchanged', size: total, unit: 'docs', seconds: reloadMs / 1000 });
          return results;
        } finally {
          await client.close();
        }
      });
    } finally {
      dir.remove();
    }
  },
};
