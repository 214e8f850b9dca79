import { describe, expect, it } from 'vitest';
import { defaultMigrationsDir, readMigrations, type Migration } from '../../pipeline/clickhouse/migrations.js';
import { refreshableViews } from '../../pipeline/mart/refresh.js';

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
