import { randomUUID } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { DIRTY_PROFILES } from '../../pipeline/generate/defects.js';
import { runGeneration } from '../../pipeline/generate/run.js';
import { mongoSink, type DocumentSink } from '../../pipeline/generate/sinks.js';
import { connectMongo } from '../../pipeline/mongo/client.js';
import { testConfig } from '../helpers/services.js';

setFlagsFromString('--expose-gc');
/** A full collection on demand, so that what the heap holds is measured, not garbage not yet collected. */
const collectGarbage = runInNewContext('gc') as () => void;
const retainedHeap = () => {
  collectGarbage();
  return process.memoryUsage().heapUsed;
};

describe('generate into MongoDB at scale', () => {
  it('the duplicates profile into the mongo sink: neither the defect list nor the writer keeps a thing per document', async () => {
    const { client, db } = await connectMongo({ ...testConfig().mongo, database: `memory_${randomUUID().slice(0, 8)}` });
    try {
      const inner = mongoSink(db);
      const samples: number[] = [];
      let written = 0;
      // Sampled from inside the run: once everything is set up, and near its end.
      const sink: DocumentSink = {
        ...inner,
        async write(entity, document) {
          await inner.write(entity, document);
          written += 1;
          if (written === 10_000 || written === 60_000) samples.push(retainedHeap());
        },
      };
      const manifest = await runGeneration({ seed: 3, now: Date.parse('2026-11-25T12:00:00Z'), days: 90, counts: { stores: 45, products: 20, customers: 45, purchases: 30_000 }, profile: 'duplicates', defects: DIRTY_PROFILES.duplicates ?? { rates: {}, maxCopies: 1 } }, sink);
      expect(written).toBeGreaterThan(60_000);
      expect(await db.collection('purchases').countDocuments()).toBe(manifest.documents.purchases);
      // 50,000 documents between the samples: a hash and an id kept for each would be about 10 MB.
      const [early = 0, late = 0] = samples;
      expect(samples).toHaveLength(2);
      expect(late - early).toBeLessThan(4 * 1024 * 1024);
      await db.dropDatabase();
    } finally {
      await client.close();
    }
  }, 600_000);
});
