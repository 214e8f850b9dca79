import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Entity } from '../../pipeline/entities/entities.js';
import { DIRTY_PROFILES } from '../../pipeline/generate/defects.js';
import { generateDocuments } from '../../pipeline/generate/generator.js';
import { newManifest, type DefectEntry } from '../../pipeline/generate/manifest.js';
import { runGeneration } from '../../pipeline/generate/run.js';
import { MANIFEST_DEFECTS_COLLECTION, MANIFESTS_COLLECTION, mongoSink, runIdOf, type DocumentSink } from '../../pipeline/generate/sinks.js';
import { connectMongo, type MongoConnection } from '../../pipeline/mongo/client.js';
import { testConfig } from '../helpers/services.js';

describe('generate into MongoDB with the duplicates profile: the defect list is streamed, the manifest keeps counts', () => {
  let connection: MongoConnection;
  beforeAll(async () => {
    connection = await connectMongo(testConfig().mongo);
  });
  afterAll(async () => {
    await connection.client.close();
  });

  it('writes generation_defects in batches during the run, exactly the generated defects, and marks the run complete at the end', async () => {
    const db = connection.client.db(`genmanifest_${randomUUID().slice(0, 8)}`);
    const options = { seed: 21, now: Date.parse('2026-11-25T12:00:00Z'), days: 90, counts: { stores: 45, products: 20, customers: 45, purchases: 6000 }, defects: DIRTY_PROFILES.duplicates ?? { rates: {}, maxCopies: 1 }, profile: 'duplicates' };
    const expected: DefectEntry[] = [];
    const offline = newManifest({ seed: options.seed, now: new Date(options.now).toISOString(), days: options.days, profile: options.profile, rates: options.defects.rates, max_copies: options.defects.maxCopies });
    for (const { defect } of generateDocuments(options, offline)) if (defect) expected.push(defect);
    const run = runIdOf(offline);

    const inner = mongoSink(db, 500);
    let purchases = 0;
    let midRun: { listed: number; complete: unknown } | undefined;
    const sink: DocumentSink = {
      ...inner,
      async write(entity: Entity, document) {
        await inner.write(entity, document);
        if (entity === 'purchases' && ++purchases === 6000) {
          midRun = {
            listed: await db.collection(MANIFEST_DEFECTS_COLLECTION).countDocuments({ run }),
            complete: (await db.collection<{ _id: string; complete?: boolean }>(MANIFESTS_COLLECTION).findOne({ _id: run }))?.complete,
          };
        }
      },
    };
    const manifest = await runGeneration(options, sink);

    // Half-way through the purchases, thousands of entries are already stored: none waits in memory for the end.
    expect(midRun?.listed).toBeGreaterThan(2000);
    expect(midRun?.listed).toBeLessThan(expected.length);
    expect(midRun?.complete).toBe(false);
    expect(JSON.stringify(manifest).length).toBeLessThan(4096);

    const stored = await db.collection<DefectEntry & { _id: string; run: string }>(MANIFEST_DEFECTS_COLLECTION).find({ run }, { projection: { _id: 0, run: 0 } }).toArray();
    const bySourceId = (a: DefectEntry, b: DefectEntry) => a.source_id.localeCompare(b.source_id);
    expect(stored.sort(bySourceId)).toEqual([...expected].sort(bySourceId));
    const copies = expected.filter((entry) => entry.entity === 'purchases' && (entry.kind === 'exact_duplicate' || entry.kind === 'key_duplicate')).length;
    expect(copies / manifest.documents.purchases).toBeGreaterThan(0.5);
    expect(manifest.defects.exact_duplicate?.purchases?.count ?? 0).toBe(expected.filter((entry) => entry.entity === 'purchases' && entry.kind === 'exact_duplicate').length);
    const summary = await db.collection<{ _id: string }>(MANIFESTS_COLLECTION).findOne({ _id: run });
    expect(summary).toMatchObject({ complete: true, documents: manifest.documents, defect_counts: { key_duplicate: { purchases: manifest.defects.key_duplicate?.purchases?.count } } });
    await db.dropDatabase();
  }, 300_000);
});
