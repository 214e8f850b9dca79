import { join } from 'node:path';
import { DIRTY_PROFILES } from '../../../pipeline/generate/defects.js';
import { runGeneration } from '../../../pipeline/generate/run.js';
import { ndjsonSink } from '../../../pipeline/generate/sinks.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { scaled, timed, type Benchmark, type BenchResult } from '../harness.js';

export const generateBenchmark: Benchmark = {
  name: 'generate',
  description: 'purchases generated per second into NDJSON, clean and with the heavy defect profile',
  async run(options) {
    const purchases = scaled(1_000_000, options);
    const results: BenchResult[] = [];
    for (const profile of ['none', 'heavy'] as const) {
      const dir = makeTempDir('bench-generate');
      try {
        const generation = { seed: 1, now: Date.parse('2026-11-25T12:00:00Z'), days: 90, counts: { stores: 45, products: 20, customers: 45, purchases }, profile, defects: DIRTY_PROFILES[profile] ?? { rates: {}, maxCopies: 1 } };
        const ms = await timed(() => runGeneration(generation, ndjsonSink(join(dir.path, 'out'))));
        results.push({ case: profile === 'none' ? 'clean' : 'heavy defects', size: purchases, unit: 'purchases', seconds: ms / 1000, baseline: profile === 'none' });
      } finally {
        dir.remove();
      }
    }
    return results;
  },
};
