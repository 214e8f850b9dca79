import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
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

  it('refuses bad flags with one line saying what is wrong', async () => {
    const cases: [string[], RegExp][] = [
      [['generate', '--defect', 'typo=0.1', '--format', 'ndjson', '--out', temp.path], /unknown defect "typo"; known: exact_duplicate/],
      [['generate', '--defect', 'missing_key=2', '--format', 'ndjson', '--out', temp.path], /--defect missing_key takes a rate from 0 to 1/],
      [['generate', '--format', 'files'], /--format files needs --out <dir>/],
      [['generate', '--stores', 'many'], /--stores takes a whole number ≥ 0, got "many"/],
      [['generate', '--now', 'yesterday', '--format', 'ndjson', '--out', temp.path], /--now takes an ISO date-time/],
      [['generate', '--dirty', 'filthy'], /Allowed choices are none, light, heavy, duplicates/],
      [['generate', '--defect', 'missing_key=0.6', '--defect', 'messy_text=0.6', '--format', 'ndjson', '--out', temp.path], /defect rates for stores add up to 1\.200/],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(args);
      expect(result.code, args.join(' ')).toBe(1);
      expect(result.stderr, args.join(' ')).toMatch(message);
    }
  });
});
