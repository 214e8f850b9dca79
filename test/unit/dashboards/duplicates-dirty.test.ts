import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { duplicatesRule } from '../../../dashboards/alerting/rules.js';
import { expandMacros } from '../../../dashboards/query/macros.js';
import { panelQuery as panel } from '../../../dashboards/queries.js';
import { evaluateRule } from '../../../pipeline/alerts/evaluate.js';
import { EmbeddedClickHouse } from '../../../pipeline/clickhouse/embedded.js';
import { defaultMigrationsDir, migrate, readMigrations } from '../../../pipeline/clickhouse/migrations.js';
import { refreshableViews, refreshViews } from '../../../pipeline/mart/refresh.js';
import { feedRaw, generateRun } from '../../helpers/raw-feed.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

// One embedded engine per process: the dirty run has its own test file.
const DAY = 86_400_000;
const dir = makeTempDir('dashboard-dirty');
afterAll(() => dir.remove());


describe('the duplicates rule on a dirty run', () => {
  const now = Date.now();
  const run = generateRun('duplicates', 7, now - 60_000, { stores: 45, products: 20, customers: 45, purchases: 200 });
  let clickhouse: EmbeddedClickHouse;
  beforeAll(async () => {
    clickhouse = new EmbeddedClickHouse(dir.path);
    const migrations = readMigrations(defaultMigrationsDir());
    await migrate(clickhouse, migrations);
    await feedRaw(clickhouse, run, now);
    await refreshViews(clickhouse, refreshableViews(migrations));
  }, 180_000);
  afterAll(async () => clickhouse.close());

  it('reads the manifest’s duplicate percentage for purchases, above 50% so the rule breaches', async () => {
    const copies = (run.manifest.defects.exact_duplicate?.purchases?.count ?? 0) + (run.manifest.defects.key_duplicate?.purchases?.count ?? 0);
    const expected = (copies / run.manifest.documents.purchases) * 100;
    expect(expected).toBeGreaterThan(50);
    const instances = await evaluateRule(clickhouse, duplicatesRule, new Date(now));
    const purchases = instances.find((instance) => instance.labels.entity === 'purchases');
    expect(purchases?.labels.window).toBe('24 ч');
    expect(purchases?.value).toBeCloseTo(expected, 9);
    const [row] = await clickhouse.query(expandMacros(panel('Дубликаты сейчас, по сущностям'), { from: new Date(now - DAY), to: new Date(now + DAY), intervalMs: 60_000 }).replace('ORDER BY "Сущность"', `HAVING "Сущность" = 'purchases'`));
    expect(Number(row?.['Дубликаты'])).toBeCloseTo(expected, 9);
  });
});
