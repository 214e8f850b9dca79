import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultMigrationsDir, readMigrations } from '../../pipeline/clickhouse/migrations.js';
import { envelopeMigrations } from '../../pipeline/ingest/envelope-sql.js';

describe('the envelope migrations (sql/007–013)', () => {
  it('are what envelope-sql.ts renders from raw-tables.ts: run `npm run sql:envelopes` after changing either', () => {
    const rendered = envelopeMigrations();
    expect([...rendered.keys()]).toEqual(['007_raw_envelopes.sql', '008_raw_envelopes_stores.sql', '009_raw_envelopes_products.sql', '010_raw_envelopes_customers.sql', '011_raw_envelopes_purchases.sql', '012_raw_envelopes_dead_letters.sql', '013_raw_landing_by_role.sql']);
    for (const [name, sql] of rendered) expect(readFileSync(join(defaultMigrationsDir(), name), 'utf8'), name).toBe(sql);
  });

  it('come after the RAW tables they fill and before the staging layer', () => {
    const names = readMigrations(defaultMigrationsDir()).map(({ name }) => name);
    const at = (name: string) => names.indexOf(name);
    expect(at('006_raw_rejected.sql')).toBeLessThan(at('007_raw_envelopes.sql'));
    expect(at('013_raw_landing_by_role.sql')).toBeLessThan(names.findIndex((name) => name.includes('_staging_')));
  });
});
