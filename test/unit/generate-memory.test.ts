import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Entity } from '../../pipeline/entities/entities.js';
import { DIRTY_PROFILES } from '../../pipeline/generate/defects.js';
import { generateDocuments } from '../../pipeline/generate/generator.js';
import { newManifest } from '../../pipeline/generate/manifest.js';
import { runGeneration } from '../../pipeline/generate/run.js';
import { ndjsonSink, type DocumentSink } from '../../pipeline/generate/sinks.js';
import { makeTempDir } from '../helpers/temp-dir.js';

setFlagsFromString('--expose-gc');
/** A full collection on demand, so that what the heap holds is measured, not garbage not yet collected. */
const collectGarbage = runInNewContext('gc') as () => void;
const retainedHeap = () => {
  collectGarbage();
  return process.memoryUsage().heapUsed;
};

describe('generate at scale', () => {
  const temp = makeTempDir('generate-memory');
  afterAll(() => temp.remove());

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

  it('the duplicates profile streams its defect list: what the heap retains does not grow with the run', async () => {
    const purchases = 300_000;
    const options = { seed: 7, now: Date.parse('2026-11-25T12:00:00Z'), days: 90, counts: { stores: 45, products: 20, customers: 45, purchases }, defects: DIRTY_PROFILES.duplicates ?? { rates: {}, maxCopies: 1 }, profile: 'duplicates' };
    const inner = ndjsonSink(join(temp.path, 'duplicates'));
    const samples: number[] = [];
    let written = 0;
    // Measured from inside the run: after a tenth of it (everything is set up) and at its end.
    const sink: DocumentSink = {
      ...inner,
      async write(entity: Entity, document) {
        await inner.write(entity, document);
        written += 1;
        if (entity === 'purchases' && (written === 50_000 || written === 400_000)) samples.push(retainedHeap());
      },
    };
    const manifest = await runGeneration(options, sink);
    const copies = (manifest.defects.exact_duplicate?.purchases?.count ?? 0) + (manifest.defects.key_duplicate?.purchases?.count ?? 0);
    // Well over 350,000 listed copies between the two samples, at about 150 bytes each if they were kept.
    expect(copies).toBeGreaterThan(purchases * 1.2);
    expect(samples).toHaveLength(2);
    const [early = 0, late = 0] = samples;
    expect(late - early).toBeLessThan(8 * 1024 * 1024);
    expect(JSON.stringify(manifest).length).toBeLessThan(4096);
  }, 600_000);
});
