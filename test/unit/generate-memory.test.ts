import { describe, expect, it } from 'vitest';
import { DIRTY_PROFILES } from '../../pipeline/generate/defects.js';
import { generateDocuments } from '../../pipeline/generate/generator.js';
import { newManifest } from '../../pipeline/generate/manifest.js';

describe('generate at scale', () => {
  it('streams 1,000,000 purchases with bounded heap growth', () => {
    const options = { seed: 7, now: Date.parse('2026-11-25T12:00:00Z'), days: 90, counts: { stores: 45, products: 20, customers: 45, purchases: 1_000_000 }, defects: DIRTY_PROFILES.none ?? { rates: {}, maxCopies: 1 } };
    const manifest = newManifest({ seed: 7, now: '2026-11-25T12:00:00.000Z', days: 90, profile: 'none', rates: {}, max_copies: 1 });
    const baseline = process.memoryUsage().heapUsed;
    let peak = baseline;
    let bytes = 0;
    let count = 0;
    for (const { document } of generateDocuments(options, manifest)) {
      bytes += JSON.stringify(document).length;
      count += 1;
      if (count % 10_000 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
    }
    expect(manifest.documents.purchases).toBe(1_000_000);
    expect(bytes).toBeGreaterThan(1_000_000_000);
    // Everything generated is over a gigabyte of JSON; the heap may grow by garbage not yet collected, never by the data.
    expect(peak - baseline).toBeLessThan(96 * 1024 * 1024);
  }, 600_000);
});
