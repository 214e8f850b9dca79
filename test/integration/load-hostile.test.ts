import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFolder, REJECTED_COLLECTION } from '../../pipeline/load/load.js';
import { connectMongo, type MongoConnection } from '../../pipeline/mongo/client.js';
import { runCli } from '../helpers/cli.js';
import { testConfig, testEnv } from '../helpers/services.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const line = (document: object) => JSON.stringify(document);
const purchase = (n: number, extra: object = {}) => ({ source_id: `p-${n}`, purchase_id: `ord-${n}`, total_amount: n, ...extra });

async function rejections(db: Db): Promise<{ file: string; line: number; reason: string }[]> {
  return db.collection<{ file: string; line: number; reason: string }>(REJECTED_COLLECTION).find({}, { projection: { _id: 0, file: 1, line: 1, reason: 1 } }).sort({ file: 1, line: 1 }).toArray();
}

describe('load with hostile input (FerretDB)', () => {
  const temp = makeTempDir('load-hostile');
  let connection: MongoConnection;
  const database = () => connection.client.db(`hostile_${randomUUID().slice(0, 8)}`);
  const folder = (name: string) => {
    const dir = join(temp.path, name);
    mkdirSync(dir, { recursive: true });
    return dir;
  };

  beforeAll(async () => {
    connection = await connectMongo(testConfig().mongo);
  });
  afterAll(async () => {
    await connection.client.close();
    temp.remove();
  });

  it('rejects documents with $ or dotted field names, alone, and loads the rest without interpreting any operator', async () => {
    const dir = folder('operators');
    const lines = [
      purchase(1),
      purchase(2, { $where: 'sleep(1000)' }),
      purchase(3, { 'a.b': 1 }),
      purchase(4, { items: [{ name: 'x', detail: { $set: { total_amount: 0 } } }] }),
      purchase(5, { note: '$not a key', 'ключ': '.' }),
    ];
    // More lines than one batch on both sides of the bad ones: a failed batch must not take good documents with it.
    for (let n = 6; n <= 30; n++) lines.push(purchase(n));
    writeFileSync(join(dir, 'purchases.ndjson'), `${lines.map(line).join('\n')}\n`);
    const db = database();
    const summary = await loadFolder(db, dir, { batchSize: 4 });
    expect(summary.entities.purchases).toEqual({ read: 30, inserted: 27, updated: 0, unchanged: 0, rejected: 3 });
    expect(await rejections(db)).toEqual([
      { file: 'purchases.ndjson', line: 2, reason: 'field "$where" starts with $ (MongoDB operator syntax)' },
      { file: 'purchases.ndjson', line: 3, reason: 'field "a.b" contains a dot (MongoDB path syntax)' },
      { file: 'purchases.ndjson', line: 4, reason: 'field "$set" in items[0].detail starts with $ (MongoDB operator syntax)' },
    ]);
    expect(await db.collection('purchases').findOne({ _id: 'p-5' as never })).toMatchObject({ note: '$not a key', 'ключ': '.' });
    expect(await db.collection('purchases').countDocuments({ total_amount: 0 })).toBe(0);
    await db.dropDatabase();
  });

  it('rejects a whole number a double cannot hold exactly, naming its field, instead of storing it rounded', async () => {
    const dir = folder('big-numbers');
    // Raw text: a JavaScript literal would already be rounded before it reached the file.
    const lines = [
      '{"source_id":"p-1","purchase_id":"ord-1","total_amount":10,"barcode":46001234567890123}',
      '{"source_id":"p-2","purchase_id":"ord-2","total_amount":10,"items":[{"quantity":1},{"quantity":-99999999999999999999}]}',
      '{"source_id":"p-3","purchase_id":"ord-3","total_amount":1e300}',
      '{"source_id":"p-4","purchase_id":"ord-4","total_amount":10,"barcode":9007199254740991,"weight":-9007199254740991,"ratio":1.5e-300}',
    ];
    writeFileSync(join(dir, 'purchases.ndjson'), `${lines.join('\n')}\n`);
    const db = database();
    const summary = await loadFolder(db, dir);
    expect(summary.entities.purchases).toEqual({ read: 4, inserted: 1, updated: 0, unchanged: 0, rejected: 3 });
    const beyond = 'a number beyond ±9007199254740991 (2^53 − 1) is not kept exactly; send it as a string';
    expect(await rejections(db)).toEqual([
      { file: 'purchases.ndjson', line: 1, reason: `field barcode: ${beyond}` },
      { file: 'purchases.ndjson', line: 2, reason: `field items[1].quantity: ${beyond}` },
      { file: 'purchases.ndjson', line: 3, reason: `field total_amount: ${beyond}` },
    ]);
    // The largest exact values load as they are.
    expect(await db.collection('purchases').findOne({ _id: 'p-4' as never })).toMatchObject({ barcode: 9007199254740991, weight: -9007199254740991, ratio: 1.5e-300 });
    await db.dropDatabase();
  });

  it('rejects a document over 16 MiB of BSON with its size, even when its JSON is smaller, and goes on', async () => {
    const dir = folder('huge');
    const bigString = purchase(2, { blob: 'x'.repeat(17 * 1024 * 1024) });
    // 3 million zeros: 6 MB of JSON, over 30 MB of BSON (each array element carries its index as a name and 4 bytes).
    const manyNumbers = purchase(3, { numbers: new Array<number>(3_000_000).fill(0) });
    expect(line(manyNumbers).length).toBeLessThan(16 * 1024 * 1024);
    writeFileSync(join(dir, 'purchases.ndjson'), [purchase(1), bigString, manyNumbers, purchase(4)].map(line).join('\n'));
    const db = database();
    const summary = await loadFolder(db, dir);
    expect(summary.entities.purchases).toEqual({ read: 4, inserted: 2, updated: 0, unchanged: 0, rejected: 2 });
    const rejected = await rejections(db);
    expect(rejected.map((r) => r.line)).toEqual([2, 3]);
    for (const r of rejected) expect(r.reason).toMatch(/^\d+ bytes as BSON \(\d+\.\d MiB\): over MongoDB's 16\.0 MiB document limit$/);
    expect(Number(/^(\d+)/.exec(rejected[1]?.reason ?? '')?.[1])).toBeGreaterThan(30 * 1024 * 1024);
    await db.dropDatabase();
  }, 120_000);

  it('rejects a line longer than 64 MiB from its size alone', async () => {
    const dir = folder('longline');
    const long = `{"purchase_id":"${'y'.repeat(65 * 1024 * 1024)}"}`;
    writeFileSync(join(dir, 'purchases.ndjson'), `${line(purchase(1))}\n${long}\n${line(purchase(3))}\n`);
    const db = database();
    const summary = await loadFolder(db, dir);
    expect(summary.entities.purchases).toMatchObject({ read: 3, inserted: 2, rejected: 1 });
    const [rejected] = await rejections(db);
    expect(rejected).toEqual({ file: 'purchases.ndjson', line: 2, reason: expect.stringMatching(new RegExp(`^${long.length} bytes of JSON \\(65\\.0 MiB\\): too large`)) as unknown });
    await db.dropDatabase();
  }, 120_000);

  it('rejects invalid UTF-8 instead of loading U+FFFD, in NDJSON and in document files', async () => {
    const dir = folder('utf8');
    const bad = Buffer.concat([Buffer.from('{"source_id":"p-2","purchase_id":"ord-2","note":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}')]);
    writeFileSync(join(dir, 'purchases.ndjson'), Buffer.concat([Buffer.from(`${line(purchase(1))}\n`), bad, Buffer.from(`\n${line(purchase(3, { note: 'Пикча ✓' }))}\r\n`)]));
    mkdirSync(join(dir, 'stores'));
    writeFileSync(join(dir, 'stores', 's-1.json'), Buffer.concat([Buffer.from('{"store_id":"s-1","store_name":"'), Buffer.from([0xe2, 0x82]), Buffer.from('"}')]));
    // A byte-order mark is valid UTF-8 and not part of the document.
    writeFileSync(join(dir, 'stores', 's-2.json'), `\uFEFF${line({ store_id: 's-2', store_name: 'Маленькая Пикча' })}`);
    const db = database();
    const summary = await loadFolder(db, dir);
    expect(summary.entities.purchases).toMatchObject({ read: 3, inserted: 2, rejected: 1 });
    expect(summary.entities.stores).toMatchObject({ read: 2, inserted: 1, rejected: 1 });
    expect(await rejections(db)).toEqual([
      { file: 'purchases.ndjson', line: 2, reason: 'not valid UTF-8' },
      { file: 'stores/s-1.json', line: 1, reason: 'not valid UTF-8' },
    ]);
    expect(await db.collection('purchases').findOne({ _id: 'p-3' as never })).toMatchObject({ note: 'Пикча ✓' });
    expect(await db.collection('purchases').countDocuments({ note: { $regex: '\uFFFD' } })).toBe(0);
    await db.dropDatabase();
  });

  it('skips a FIFO and a folder named *.json, saying so, instead of hanging', async () => {
    const dir = folder('fifo');
    mkdirSync(join(dir, 'stores'));
    writeFileSync(join(dir, 'stores', 's-1.json'), line({ store_id: 's-1' }));
    execFileSync('mkfifo', [join(dir, 'stores', 's-2.json')]);
    mkdirSync(join(dir, 'stores', 's-3.json'));
    execFileSync('mkfifo', [join(dir, 'purchases.ndjson')]);
    const db = `cli_${randomUUID().slice(0, 8)}`;
    const result = await runCli(['load', dir, '--db', db], testEnv());
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/stores\s+1\s+1\s+0\s+0\s+0/);
    expect(result.stdout).toContain('3 name(s) skipped, not regular files: stores/s-2.json (a FIFO); stores/s-3.json (a folder); purchases.ndjson (a FIFO)');
    await connection.client.db(db).dropDatabase();
  });

  it('an NDJSON line without source_id gets an id from its content: inserting a line above it changes nothing', async () => {
    const dir = folder('no-source-id');
    const plain = [{ purchase_id: 'ord-1', total_amount: 1 }, { purchase_id: 'ord-2', total_amount: 2 }];
    writeFileSync(join(dir, 'purchases.ndjson'), plain.map(line).join('\n'));
    const db = database();
    expect((await loadFolder(db, dir)).entities.purchases).toMatchObject({ inserted: 2 });
    const ids = await db.collection('purchases').distinct('_id');
    writeFileSync(join(dir, 'purchases.ndjson'), [{ purchase_id: 'ord-0', total_amount: 0 }, ...plain].map(line).join('\n'));
    expect((await loadFolder(db, dir)).entities.purchases).toMatchObject({ read: 3, inserted: 1, updated: 0, unchanged: 2 });
    expect(await db.collection('purchases').countDocuments()).toBe(3);
    // Key order and spacing do not make another document.
    writeFileSync(join(dir, 'purchases.ndjson'), '{ "total_amount": 1,  "purchase_id": "ord-1" }');
    expect((await loadFolder(db, dir)).entities.purchases).toMatchObject({ read: 1, inserted: 0 });
    expect(await db.collection('purchases').countDocuments()).toBe(3);
    const stored = await db.collection<{ _id: string; source_id: string }>('purchases').find({ purchase_id: { $in: ['ord-1', 'ord-2'] } }).toArray();
    expect(stored.map((document) => document._id).sort()).toEqual([...ids].map(String).sort());
    for (const document of stored) expect(document.source_id).toMatch(/^content-[0-9a-f]{32}$/);
    await db.dropDatabase();
  });

  it('a rejection that cannot be recorded fails the load loudly instead of being counted as recorded before', async () => {
    const dir = folder('rejected-error');
    writeFileSync(join(dir, 'purchases.ndjson'), ['{', line(purchase(2)), '['].join('\n'));
    const db = database();
    // Any write error but a duplicate _id: here another unique index refuses the second rejection of the file.
    await db.collection(REJECTED_COLLECTION).createIndex({ file: 1 }, { unique: true, name: 'one_per_file' });
    await expect(loadFolder(db, dir)).rejects.toThrow(/^recording rejected documents in rejected: /);
    await db.dropDatabase();
  });

  it('`--db` is checked like MONGO_DB, before connecting', async () => {
    const dir = folder('db-flag');
    writeFileSync(join(dir, 'purchases.ndjson'), line(purchase(1)));
    for (const [name, problem] of [['a/b', 'plain identifier'], ['admin', 'system database'], ['', 'must not be empty']] as const) {
      const result = await runCli(['load', dir, '--db', name], { ...testEnv(), MONGO_URL: 'mongodb://127.0.0.1:1/' });
      expect(result.code, name).toBe(1);
      expect(result.stderr, name).toMatch(new RegExp(`^piccha: --db .*${problem}.*\\n$`));
      expect(result.stderr).not.toContain('cannot reach');
    }
    const env = await runCli(['load', dir], { ...testEnv(), MONGO_DB: 'admin' });
    expect(env.stderr).toMatch(/^piccha: invalid configuration: MONGO_DB must not be a MongoDB system database/);
  });
});
