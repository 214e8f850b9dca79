import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultMigrationsDir, MigrationError, readMigrations } from '../../pipeline/clickhouse/migrations.js';
import { makeTempDir } from '../helpers/temp-dir.js';

describe('readMigrations', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => cleanups.splice(0).forEach((remove) => remove()));
  const folder = (files: Record<string, string>) => {
    const dir = makeTempDir('sql');
    cleanups.push(dir.remove);
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir.path, name), text);
    return dir.path;
  };

  it('orders files by name and reads each one’s layer and statements', () => {
    const dir = folder({
      '010_staging_purchases.sql': 'CREATE VIEW s AS SELECT 1;',
      '002_raw_purchases.sql': 'CREATE DATABASE IF NOT EXISTS raw;\nCREATE TABLE raw.p (x UInt8) ENGINE = Memory;',
      'README.md': 'not a migration',
    });
    const migrations = readMigrations(dir);
    expect(migrations.map((m) => [m.name, m.layer, m.statements.length])).toEqual([
      ['002_raw_purchases.sql', 'raw', 2],
      ['010_staging_purchases.sql', 'staging', 1],
    ]);
    expect(migrations[0]?.checksum).toMatch(/^[0-9a-f]{64}$/);
  });

  it('rejects a badly named file and an empty one, naming the file', () => {
    expect(() => readMigrations(folder({ 'purchases.sql': 'SELECT 1' }))).toThrow(/purchases\.sql: migration files are named NNN_<layer>_<name>\.sql/);
    expect(() => readMigrations(folder({ '001_raw_empty.sql': '-- nothing yet' }))).toThrow(/001_raw_empty\.sql: holds no statement/);
    expect(() => readMigrations('/nonexistent/sql')).toThrow(MigrationError);
  });

  it('reads the project’s own sql/ folder without error', () => {
    expect(() => readMigrations(defaultMigrationsDir())).not.toThrow();
  });
});
