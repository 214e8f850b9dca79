import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Manifest } from '../../pipeline/generate/manifest.js';
import { connectMongo } from '../../pipeline/mongo/client.js';
import { runCli } from '../helpers/cli.js';
import { testConfig, testEnv } from '../helpers/services.js';
import { makeTempDir } from '../helpers/temp-dir.js';

describe('piccha generate', () => {
  const temp = makeTempDir('generate-cli');
  afterAll(() => temp.remove());

  it('writes files with a manifest and prints a summary per entity', async () => {
    const out = join(temp.path, 'files');
    const result = await runCli(['generate', '--format', 'files', '--out', out, '--seed', '5', '--now', '2026-11-25T12:00:00Z', '--dirty', 'light', '--purchases', '500']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as Manifest;
    expect(manifest).toMatchObject({ seed: 5, now: '2026-11-25T12:00:00.000Z', profile: 'light' });
    expect(result.stdout).toMatch(new RegExp(`purchases\\s+${manifest.documents.purchases}\\s`));
  });

  it('writes straight into MongoDB by default, and again without a change', async () => {
    const db = `gen_${randomUUID().slice(0, 8)}`;
    const args = ['generate', '--seed', '9', '--now', '2026-11-25T12:00:00Z', '--dirty', 'heavy'];
    expect((await runCli(args, testEnv({ MONGO_DB: db }))).code).toBe(0);
    const { client, db: mongo } = await connectMongo({ ...testConfig().mongo, database: db });
    try {
      const [manifest] = await mongo.collection('generation_manifests').find().toArray();
      const purchases = await mongo.collection('purchases').countDocuments();
      expect(manifest?.documents).toMatchObject({ purchases });
      expect((await runCli(args, testEnv({ MONGO_DB: db }))).code).toBe(0);
      expect(await mongo.collection('purchases').countDocuments()).toBe(purchases);
    } finally {
      await mongo.dropDatabase();
      await client.close();
    }
  });

  it('refuses bad flags with one line saying what is wrong, before writing anything', async () => {
    const out = join(temp.path, 'never-written');
    const ndjson = ['--format', 'ndjson', '--out', out];
    const cases: [string[], RegExp][] = [
      [['generate', '--defect', 'typo=0.1', ...ndjson], /unknown defect "typo"; known: exact_duplicate/],
      [['generate', '--defect', 'missing_key=2', ...ndjson], /--defect missing_key takes a rate from 0 to 1/],
      [['generate', '--defect', 'missing_key=0.5=0.9', ...ndjson], /--defect missing_key takes a rate from 0 to 1 as a decimal/],
      [['generate', '--defect', 'missing_key=0x1', ...ndjson], /--defect missing_key takes a rate from 0 to 1 as a decimal/],
      [['generate', '--defect', 'missing_key=', ...ndjson], /--defect missing_key takes a rate/],
      [['generate', '--format', 'files'], /--format files needs --out <dir>/],
      [['generate', '--out', out], /--out is for --format files or ndjson/],
      [['generate', '--stores', 'many'], /--stores takes a whole number from 0 to 100000, got "many"/],
      [['generate', '--purchases', '99999999999999999999', ...ndjson], /--purchases takes a whole number from 0 to 100000000, got "99999999999999999999"/],
      [['generate', '--purchases', '100000001', ...ndjson], /--purchases takes a whole number from 0 to 100000000/],
      [['generate', '--seed', '1e23', ...ndjson], /--seed takes a whole number from 0 to 9007199254740991, got "1e23"/],
      [['generate', '--seed', '100000000000000000000000', ...ndjson], /--seed takes a whole number from 0 to 9007199254740991/],
      [['generate', '--seed', '-1', ...ndjson], /--seed takes a whole number/],
      [['generate', '--days', '0', ...ndjson], /--days takes a whole number from 1 to 3650/],
      [['generate', '--max-copies', '4', ...ndjson], /--max-copies takes a whole number from 1 to 3/],
      [['generate', '--now', 'yesterday', ...ndjson], /--now takes an ISO-8601 date-time with a zone/],
      [['generate', '--now', '0', ...ndjson], /--now takes an ISO-8601 date-time/],
      [['generate', '--now', 'March 7', ...ndjson], /--now takes an ISO-8601 date-time/],
      [['generate', '--now', '+275760-01-01T00:00:00Z', ...ndjson], /--now takes an ISO-8601 date-time/],
      [['generate', '--now', '2026-02-30T12:00:00Z', ...ndjson], /--now takes an ISO-8601 date-time/],
      [['generate', '--now', '2026-11-25T12:00:00', ...ndjson], /--now takes an ISO-8601 date-time with a zone/],
      [['generate', '--now', '2026-11-25T24:00:00Z', ...ndjson], /--now takes an ISO-8601 date-time/],
      [['generate', '--dirty', 'filthy'], /Allowed choices are none, light, heavy, duplicates/],
      [['generate', '--defect', 'missing_key=0.6', '--defect', 'messy_text=0.6', ...ndjson], /defect rates for stores add up to 1\.200/],
    ];
    // A few at a time: each is a process start, and none may wait on the others.
    for (let start = 0; start < cases.length; start += 6) {
      const batch = cases.slice(start, start + 6);
      const results = await Promise.all(batch.map(([args]) => runCli(args, testEnv({ MONGO_URL: 'mongodb://127.0.0.1:1/' }))));
      batch.forEach(([args, message], index) => {
        expect(results[index]?.code, args.join(' ')).toBe(1);
        expect(results[index]?.stderr, args.join(' ')).toMatch(new RegExp(`^piccha: .*${message.source}.*\\n$`));
      });
    }
    expect(existsSync(out)).toBe(false);
  }, 300_000);

  it('takes --now with an offset and milliseconds, and records it exactly', async () => {
    const out = join(temp.path, 'offset');
    const result = await runCli(['generate', '--format', 'ndjson', '--out', out, '--now', '2026-11-25T15:00:00.250+03:00', '--seed', '9007199254740991', '--purchases', '3']);
    expect(result.stderr).toBe('');
    expect(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'))).toMatchObject({ now: '2026-11-25T12:00:00.250Z', seed: 9007199254740991 });
  });

  it('refuses an --out folder that holds an earlier run unless --force, which replaces it', async () => {
    const out = join(temp.path, 'rerun');
    const args = ['generate', '--format', 'files', '--out', out, '--seed', '1', '--now', '2026-11-25T12:00:00Z'];
    expect((await runCli([...args, '--purchases', '50'])).code).toBe(0);
    expect(readdirSync(join(out, 'purchases'))).toHaveLength(50);
    const refused = await runCli([...args, '--purchases', '5']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^piccha: --out .*rerun is not empty \(6 entries\); use an empty folder, or --force to replace an earlier run's output\n$/);
    expect(readdirSync(join(out, 'purchases'))).toHaveLength(50);
    const forced = await runCli([...args, '--purchases', '5', '--force', '--format', 'ndjson']);
    expect(forced.stderr).toBe('');
    expect(forced.code).toBe(0);
    // Nothing of the earlier run is left beside the new manifest.
    expect(readdirSync(out).sort()).toEqual(['customers.ndjson', 'manifest-defects.ndjson', 'manifest.json', 'products.ndjson', 'purchases.ndjson', 'stores.ndjson']);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as Manifest;
    expect(readFileSync(join(out, 'purchases.ndjson'), 'utf8').trim().split('\n')).toHaveLength(manifest.documents.purchases);
    expect(manifest.documents.purchases).toBe(5);
    // What generate did not write is never removed.
    writeFileSync(join(out, 'notes.txt'), 'mine');
    const foreign = await runCli([...args, '--force']);
    expect(foreign.code).toBe(1);
    expect(foreign.stderr).toMatch(/^piccha: --out .* holds files generate did not write \(notes\.txt\); --force removes only an earlier run's output\n$/);
    expect(readFileSync(join(out, 'notes.txt'), 'utf8')).toBe('mine');
    expect(existsSync(join(out, 'manifest.json'))).toBe(true);
  }, 120_000);

  it('refuses an --out that is a file or cannot be created or written, in one line and at once', async () => {
    const file = join(temp.path, 'a-file');
    writeFileSync(file, 'x');
    const cases: [string, RegExp][] = [
      [file, /^piccha: --out .*a-file exists and is not a folder\n$/],
      ['/proc/nope', /^piccha: --out \/proc\/nope: cannot create the folder \(ENOENT\)\n$/],
      [join(file, 'below'), /^piccha: --out .*a-file\/below: cannot (inspect it|create the folder) \(ENOTDIR\)\n$/],
      ['/proc/self', /^piccha: --out \/proc\/self is not empty/],
    ];
    for (const [out, message] of cases) {
      const result = await runCli(['generate', '--format', 'ndjson', '--out', out, '--purchases', '3']);
      expect(result.code, out).toBe(1);
      expect(result.stderr, out).toMatch(message);
    }
    // An empty folder of sysfs: it exists, and nobody, root included, may create a file in it.
    const unwritable = readdirSync('/sys/kernel', { withFileTypes: true }).map((entry) => join('/sys/kernel', entry.name)).find((path) => statSync(path).isDirectory() && readdirSync(path).length === 0);
    expect(unwritable).toBeDefined();
    const result = await runCli(['generate', '--format', 'ndjson', '--out', unwritable ?? '', '--purchases', '3']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^piccha: --out \/sys\/kernel\/.*: cannot write there \([A-Z]+\)\n$/);
  }, 60_000);
});
