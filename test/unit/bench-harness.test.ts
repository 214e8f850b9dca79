import { describe, expect, it } from 'vitest';
import { percentile, tableRows } from '../bench/harness.js';

describe('bench harness', () => {
  it('takes nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 95)).toBe(95);
    expect(percentile([], 50)).toBeNaN();
  });

  it('reports throughput and a ratio to the baseline of the same run', () => {
    const rows = tableRows('insert', [
      { case: 'single', size: 1000, unit: 'rows', seconds: 2, latenciesMs: [1, 2, 3], baseline: true },
      { case: 'batched', size: 100_000, unit: 'rows', seconds: 1 },
      { case: 'slower', size: 1000, unit: 'rows', seconds: 26, note: 'peak RSS 80 MiB' },
    ]);
    expect(rows).toEqual([
      { benchmark: 'insert', case: 'single', size: '1,000 rows', throughput: '500 rows/s', p50: '2.00 ms', p95: '3.00 ms', ratio: 'baseline', note: '' },
      { benchmark: 'insert', case: 'batched', size: '100,000 rows', throughput: '100,000 rows/s', p50: '', p95: '', ratio: '200.0×', note: '' },
      { benchmark: 'insert', case: 'slower', size: '1,000 rows', throughput: '38 rows/s', p50: '', p95: '', ratio: '0.077×', note: 'peak RSS 80 MiB' },
    ]);
  });

  it('compares each group of cases with its own baseline', () => {
    const rows = tableRows('queries', [
      { case: 'a from RAW', size: 10, unit: 'queries', seconds: 10, baseline: true, group: 'a' },
      { case: 'a from MART', size: 10, unit: 'queries', seconds: 1, group: 'a' },
      { case: 'b from RAW', size: 10, unit: 'queries', seconds: 4, baseline: true, group: 'b' },
      { case: 'b from MART', size: 10, unit: 'queries', seconds: 1, group: 'b' },
    ]);
    expect(rows.map((row) => row.ratio)).toEqual(['baseline', '10.0×', 'baseline', '4.0×']);
  });
});
