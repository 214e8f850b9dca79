import { createReadStream, mkdirSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Db } from 'mongodb';
import { join } from 'node:path';
import { DIRTY_PROFILES } from '../../../pipeline/generate/defects.js';
import { runGeneration } from '../../../pipeline/generate/run.js';
import { ndjsonSink } from '../../../pipeline/generate/sinks.js';
import { loadFolder } from '../../../pipeline/load/load.js';
import { LOOKUP_COST_IN_STREAMED_DOCUMENTS, StoredHashes } from '../../../pipeline/load/stored-hashes.js';
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

/** Purchases in the small load: a file of a day's changes, say, into a loaded collection. */
const SMALL_LOAD = 1_000;

/**
 * A small load into the loaded collection (half of it changed purchases, half new ones), and
 * what the writer's choice between looking documents up and reading the whole collection rests
 * on: the cost of one lookup by _id, in documents streamed by the whole read
 * (LOOKUP_COST_IN_STREAMED_DOCUMENTS).
 */
async function smallLoadCases(db: Db, workDir: string): Promise<BenchResult[]> {
  const collection = db.collection<{ _id: string; _content_hash: string }>('purchases');
  const lines = await firstLines(join(workDir, 'data', 'purchases.ndjson'), SMALL_LOAD / 2);
  const changes = join(workDir, 'changes');
  mkdirSync(changes, { recursive: true });
  writeFileSync(join(changes, 'purchases.ndjson'), lines.flatMap((line, i) => {
    const document = JSON.parse(line) as Record<string, unknown>;
    const fresh = { ...document, source_id: `bench-new-${i}`, purchase_id: `bench-new-${i}` };
    return [JSON.stringify({ ...document, payment_method: 'bench-changed' }), JSON.stringify(fresh)];
  }).join('\n'));
  let small: Awaited<ReturnType<typeof loadFolder>> | undefined;
  const smallMs = await timed(async () => {
    small = await loadFolder(db, changes);
  });
  const { inserted, updated } = small?.entities.purchases ?? { inserted: 0, updated: 0 };
  if (inserted !== SMALL_LOAD / 2 || updated !== SMALL_LOAD / 2) throw new Error(`the small load inserted ${inserted} and updated ${updated} purchases, not ${SMALL_LOAD / 2} each`);

  const ids = lines.map((line) => String((JSON.parse(line) as { source_id: unknown }).source_id));
  const lookupMs = await timed(() => new StoredHashes(collection, '_content_hash').lookUp(ids));
  let held = 0;
  const readMs = await timed(async () => {
    held = (await new StoredHashes(collection, '_content_hash').readAll()).size;
  });
  const lookupCost = (lookupMs / ids.length) / (readMs / held);
  return [
    { case: `small load: ${SMALL_LOAD.toLocaleString('en-US')} purchases (half changed, half new) into the loaded collection`, size: SMALL_LOAD, unit: 'docs', seconds: smallMs / 1000, group: 'small load', baseline: true, note: `the loader used to read every stored hash before its first write: ${(readMs / 1000).toFixed(1)} s (below)` },
    { case: 'lookups by _id, 8 at a time', size: ids.length, unit: 'docs', seconds: lookupMs / 1000, group: 'small load' },
    { case: 'read of every stored hash', size: held, unit: 'docs', seconds: readMs / 1000, group: 'small load', note: `one lookup costs ${lookupCost.toFixed(1)} streamed documents (LOOKUP_COST_IN_STREAMED_DOCUMENTS is ${LOOKUP_COST_IN_STREAMED_DOCUMENTS})` },
  ];
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
          results.push(...await smallLoadCases(db, dir.path));
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
