import { randomUUID } from 'node:crypto';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENTITIES } from '../../pipeline/entities/entities.js';
import { DIRTY_PROFILES } from '../../pipeline/generate/defects.js';
import { DEFAULT_COUNTS } from '../../pipeline/generate/generator.js';
import { runGeneration } from '../../pipeline/generate/run.js';
import { filesSink, mongoSink, ndjsonSink } from '../../pipeline/generate/sinks.js';
import { loadFolder, REJECTED_COLLECTION } from '../../pipeline/load/load.js';
import { connectMongo, type MongoConnection } from '../../pipeline/mongo/client.js';
import { runCli } from '../helpers/cli.js';
import { testConfig, testEnv } from '../helpers/services.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const NOW = Date.parse('2026-11-25T12:00:00Z');
const generation = (profile: keyof typeof DIRTY_PROFILES, counts = DEFAULT_COUNTS) => ({
  seed: 11, now: NOW, days: 90, counts, profile, defects: DIRTY_PROFILES[profile] ?? { rates: {}, maxCopies: 1 },
});

/** Every document of every collection, without the loader's timestamp, keyed by _id. */
async function snapshot(db: Db): Promise<Map<string, unknown>> {
  const all = new Map<string, unknown>();
  for (const entity of ENTITIES) {
    for (const document of await db.collection<{ _id: string }>(entity).find({}, { projection: { _loaded_at: 0 } }).toArray()) all.set(`${entity}/${document._id}`, document);
  }
  return all;
}

describe('load into MongoDB (FerretDB)', () => {
  const temp = makeTempDir('load');
  let connection: MongoConnection;
  const database = () => connection.client.db(`load_${randomUUID().slice(0, 8)}`);

  beforeAll(async () => {
    connection = await connectMongo(testConfig().mongo);
  });
  afterAll(async () => {
    await connection.client.close();
    temp.remove();
  });

  it('loads the seed layout, and loading it again leaves exactly the same documents', async () => {
    const dir = join(temp.path, 'files');
    const manifest = await runGeneration(generation('heavy'), filesSink(dir));
    const db = database();
    const first = await loadFolder(db, dir);
    const rejectedKeys = manifest.defects.missing_key ?? {};
    for (const entity of ENTITIES) {
      const rejected = rejectedKeys[entity]?.count ?? 0;
      expect(first.entities[entity]).toEqual({ read: manifest.documents[entity], inserted: manifest.documents[entity] - rejected, updated: 0, unchanged: 0, rejected });
    }
    const before = await snapshot(db);
    const second = await loadFolder(db, dir);
    for (const entity of ENTITIES) expect(second.entities[entity]).toMatchObject({ inserted: 0, updated: 0, unchanged: first.entities[entity].inserted });
    expect(await snapshot(db)).toEqual(before);
    // Duplicates sent by the tills are all kept: catching them is a later stage's job.
    const duplicates = (manifest.defects.exact_duplicate?.purchases?.count ?? 0) + (manifest.defects.key_duplicate?.purchases?.count ?? 0);
    expect(duplicates).toBeGreaterThan(0);
    const keys = await db.collection('purchases').distinct('purchase_id');
    expect(await db.collection('purchases').countDocuments()).toBe(keys.length + duplicates);
    await db.dropDatabase();
  });

  it('records broken lines in `rejected` with file, line and reason, and loads everything else', async () => {
    const dir = join(temp.path, 'broken');
    await runGeneration(generation('none', { stores: 3, products: 2, customers: 3, purchases: 5 }), ndjsonSink(dir));
    writeFileSync(join(dir, 'purchases.ndjson'), [
      '{"source_id":"p-1","purchase_id":"ord-90001","total_amount":10}',
      '{"source_id":"p-2","purchase_id":',
      '',
      '["not", "an", "object"]',
      '{"source_id":"p-3","total_amount":5}',
      '{"source_id":"p-4","purchase_id":"  "}',
      '{"source_id":"p-5","purchase_id":"ord-90005","total_amount":12}',
    ].join('\n'));
    const db = database();
    const summary = await loadFolder(db, dir);
    expect(summary.entities.purchases).toEqual({ read: 6, inserted: 2, updated: 0, unchanged: 0, rejected: 4 });
    expect(summary.entities.stores).toMatchObject({ read: 3, inserted: 3, rejected: 0 });
    const rejected = await db.collection(REJECTED_COLLECTION).find({}, { projection: { _id: 0, rejected_at: 0, raw: 0 } }).sort({ line: 1 }).toArray();
    expect(rejected).toEqual([
      { entity: 'purchases', file: 'purchases.ndjson', line: 2, reason: expect.stringMatching(/^not valid JSON: /) as unknown },
      { entity: 'purchases', file: 'purchases.ndjson', line: 4, reason: 'expected a JSON object, got an array' },
      { entity: 'purchases', file: 'purchases.ndjson', line: 5, reason: 'missing business key purchase_id' },
      { entity: 'purchases', file: 'purchases.ndjson', line: 6, reason: 'missing business key purchase_id' },
    ]);
    await loadFolder(db, dir);
    expect(await db.collection(REJECTED_COLLECTION).countDocuments()).toBe(4);
    await db.dropDatabase();
  });

  it('replaces a document whose file changed, and gives files without a source id one from their place', async () => {
    const dir = join(temp.path, 'changed');
    mkdirSync(join(dir, 'stores'), { recursive: true });
    writeFileSync(join(dir, 'stores', 'store-001.json'), JSON.stringify({ store_id: 'store-001', store_name: 'Большая Пикча — Магазин на Ленина' }));
    const db = database();
    expect((await loadFolder(db, dir)).entities.stores).toMatchObject({ inserted: 1 });
    writeFileSync(join(dir, 'stores', 'store-001.json'), JSON.stringify({ store_id: 'store-001', store_name: 'Большая Пикча — Магазин на Мира' }));
    expect((await loadFolder(db, dir)).entities.stores).toMatchObject({ inserted: 0, updated: 1, unchanged: 0 });
    expect(await db.collection<{ _id: string }>('stores').findOne({ _id: 'stores/store-001.json' })).toMatchObject({ store_name: 'Большая Пикча — Магазин на Мира', source_id: 'stores/store-001.json' });
    await db.dropDatabase();
  });

  it('generates straight into MongoDB idempotently, with the manifest beside the data', async () => {
    const db = database();
    const options = generation('light', { stores: 45, products: 20, customers: 45, purchases: 400 });
    const sink = mongoSink(db);
    const manifest = await runGeneration(options, sink);
    for (const entity of ENTITIES) expect(await db.collection(entity).countDocuments()).toBe(manifest.documents[entity]);
    const before = await snapshot(db);
    const again = mongoSink(db);
    await runGeneration(options, again);
    expect(again.counts.purchases).toEqual({ inserted: 0, updated: 0, unchanged: manifest.documents.purchases });
    expect(await snapshot(db)).toEqual(before);
    const recorded = await db.collection('generation_defects').countDocuments({ run: `seed-11-${manifest.now}` });
    const expected = Object.values(manifest.defects).flatMap((byEntity) => Object.values(byEntity)).reduce((sum, record) => sum + record.count, 0);
    expect(recorded).toBe(expected);
    await db.dropDatabase();
  });

  it('`piccha load` prints a per-collection summary and exits non-zero when a file cannot be read', async () => {
    const dir = join(temp.path, 'cli');
    await runGeneration(generation('none', { stores: 2, products: 2, customers: 2, purchases: 3 }), filesSink(dir));
    const db = `cli_${randomUUID().slice(0, 8)}`;
    const ok = await runCli(['load', dir, '--db', db], testEnv());
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/purchases\s+3\s+3\s+0\s+0\s+0/);
    // A link to nothing where a document file should be: unreadable, whoever runs the test.
    symlinkSync(join(dir, 'nowhere'), join(dir, 'stores', 'store-999.json'));
    const unreadable = await runCli(['load', dir, '--db', db], { ...testEnv(), PICCHA_LOG_LEVEL: 'silent' });
    expect(unreadable.code).toBe(1);
    expect(unreadable.stderr).toMatch(/^piccha: could not read 1 file\(s\): stores\/store-999\.json \(ENOENT/);
    expect(unreadable.stdout).toMatch(/purchases\s+3\s+0\s+0\s+3\s+0/);
    await connection.client.db(db).dropDatabase();
  });

  it('two loads of one folder at once: the second waits for the first, then rewrites nothing and sends nothing again', async () => {
    const dir = join(temp.path, 'twice');
    const manifest = await runGeneration(generation('none', { stores: 45, products: 20, customers: 45, purchases: 600 }), filesSink(dir));
    const name = `twice_${randomUUID().slice(0, 8)}`;
    const [first, second] = await Promise.all([runCli(['load', dir, '--db', name], testEnv()), runCli(['load', dir, '--db', name], testEnv())]);
    expect([first.code, second.code]).toEqual([0, 0]);
    const purchases = manifest.documents.purchases;
    // Columns: read, inserted, updated, unchanged, rejected. One load wrote everything; the other found it all there.
    const rows = [first, second].map((result) => /purchases\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)/.exec(result.stdout)?.slice(1).map(Number));
    expect(rows).toContainEqual([purchases, purchases, 0, 0, 0]);
    expect(rows).toContainEqual([purchases, 0, 0, purchases, 0]);
    expect(first.stderr + second.stderr).toMatch(/load: waiting for piccha load \(pid \d+\), which is writing to twice_/);
    // Each document once in the outbox: the producer sends each version once.
    const db = connection.client.db(name);
    const segments = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name).filter((c) => c.startsWith('outbox_purchases_'));
    let entries = 0;
    for (const segment of segments) entries += await db.collection(segment).countDocuments();
    expect(entries).toBe(purchases);
    await db.dropDatabase();
  }, 180_000);
});
