import { describe, expect, it } from 'vitest';
import { salesDashboard } from '../../dashboards/sales/dashboard.js';
import { martBenchmark } from '../bench/benchmarks/mart.js';

/**
 * The MART benchmark at a tiny size: not its speed, which only `npm run bench` measures, but
 * that it still compares what it claims (it throws when a mart and RAW answer differently), so a
 * dashboard change cannot quietly leave a panel out or turn the comparison into a wrong one.
 */
describe('the mart benchmark, small', () => {
  it('times every sales panel on MART facts and business marts against RAW, after both gave the same answer', async () => {
    const results = await martBenchmark.run({ scale: 0.0005 });
    const onTheMart = salesDashboard.panels.filter((panel) => !panel.sql.includes('piccha_mart.stores'));
    expect(onTheMart.length).toBeGreaterThan(10);
    for (const panel of onTheMart) {
      const group = results.filter((result) => result.group === `«${panel.title}»`);
      expect(group.map((result) => [result.case, result.baseline === true]), panel.title).toEqual([
        [`«${panel.title}»: from RAW`, true],
        [`«${panel.title}»: from the mart`, false],
      ]);
    }
    // Purchase k of the synthetic data has 1 + k % 3 items; every 50th is resent (a duplicate).
    const items = Array.from({ length: 5000 }, (_, k) => 1 + (k % 3)).reduce((sum, n) => sum + n, 0);
    expect(results.filter((result) => result.group === 'refresh').map((result) => result.case)).toEqual([
      expect.stringMatching(/^refresh: whole staging → MART chain \(\d+ views\)$/),
      'refresh: document_status (5,100 rows)',
      'refresh: purchases (5,000 rows)',
      `refresh: purchase_items (${items.toLocaleString('en-US')} rows)`,
      'refresh: duplicates_log (4 rows)',
    ]);
  }, 300_000);
});
