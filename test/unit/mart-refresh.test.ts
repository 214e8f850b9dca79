import { describe, expect, it } from 'vitest';
import { defaultMigrationsDir, readMigrations, type Migration } from '../../pipeline/clickhouse/migrations.js';
import { EmbeddedClickHouse } from '../../pipeline/clickhouse/embedded.js';
import { RefreshError, refreshableViews, refreshViews } from '../../pipeline/mart/refresh.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const migration = (name: string, statements: string[]): Migration => ({ name, layer: 'mart', checksum: '', statements });

describe('refreshableViews', () => {
  it('finds refreshable views in file order, not plain views or ones named in comments', () => {
    const views = refreshableViews([
      migration('200_mart_a.sql', [
        'CREATE TABLE m.a (x UInt8) ENGINE = Memory',
        '-- reads m.b_rmv, which CREATE MATERIALIZED VIEW m.b_rmv REFRESH builds\nCREATE MATERIALIZED VIEW m.a_rmv\nREFRESH EVERY 1 MINUTE TO m.a AS SELECT 1 AS x',
      ]),
      migration('201_mart_b.sql', ['CREATE MATERIALIZED VIEW m.incremental TO m.a AS SELECT 1 AS x', 'create materialized view if not exists m.b_rmv refresh every 1 minute depends on m.a_rmv to m.a as select 1 as x']),
    ]);
    expect(views).toEqual(['m.a_rmv', 'm.b_rmv']);
  });

  it('orders the project’s views so that each comes after every view it depends on', () => {
    const migrations = readMigrations(defaultMigrationsDir());
    const views = refreshableViews(migrations);
    expect(views[0]).toBe('piccha_mart.document_status_rmv');
    for (const migration of migrations) {
      for (const statement of migration.statements) {
        const own = /MATERIALIZED VIEW\s+(\S+)\s+REFRESH/.exec(statement)?.[1];
        const dependsOn = /DEPENDS ON ([\w., ]+?)\s+(?:APPEND\s+)?TO\b/.exec(statement)?.[1];
        if (own === undefined || dependsOn === undefined) continue;
        for (const dependency of dependsOn.split(',').map((name) => name.trim())) {
          expect(views.indexOf(dependency), `${own} depends on ${dependency}`).toBeGreaterThanOrEqual(0);
          expect(views.indexOf(dependency)).toBeLessThan(views.indexOf(own));
        }
      }
    }
  });
});

describe('refreshViews', () => {
  it('refuses a stopped view, which would otherwise take the refresh silently and stay stale', async () => {
    const dir = makeTempDir('mart-refresh-stopped');
    const clickhouse = new EmbeddedClickHouse(dir.path);
    try {
      await clickhouse.exec('CREATE DATABASE m');
      await clickhouse.exec('CREATE TABLE m.source (x UInt8) ENGINE = MergeTree ORDER BY x');
      await clickhouse.exec('CREATE TABLE m.copy (x UInt8) ENGINE = MergeTree ORDER BY x');
      await clickhouse.exec('CREATE MATERIALIZED VIEW m.copy_rmv REFRESH EVERY 1 MINUTE TO m.copy AS SELECT x FROM m.source');
      await clickhouse.exec('INSERT INTO m.source VALUES (1)');
      await refreshViews(clickhouse, ['m.copy_rmv']);
      expect(await clickhouse.query('SELECT x FROM m.copy')).toEqual([{ x: 1 }]);

      await clickhouse.exec('SYSTEM STOP VIEW m.copy_rmv');
      await clickhouse.exec('INSERT INTO m.source VALUES (2)');
      await expect(refreshViews(clickhouse, ['m.copy_rmv'])).rejects.toThrow(new RefreshError('m.copy_rmv is stopped (SYSTEM STOP VIEW); SYSTEM START VIEW m.copy_rmv lets it refresh again'));
    } finally {
      await clickhouse.close();
      dir.remove();
    }
  }, 60_000);
});
