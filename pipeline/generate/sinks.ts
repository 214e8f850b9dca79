import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { join } from 'node:path';
import type { Db } from 'mongodb';
import { ENTITIES, type Document, type Entity } from '../entities/entities.js';
import { ensureIndexes, MongoDocumentWriter, type WriteCounts } from '../load/mongo-writer.js';
import type { Manifest } from './manifest.js';

/** Where generated documents go; writes apply backpressure, so memory stays bounded. */
export interface DocumentSink {
  write(entity: Entity, document: Document): Promise<void>;
  finish(manifest: Manifest): Promise<void>;
}

export const MANIFEST_FILE = 'manifest.json';

/** The seed's layout: DIR/<entity>/<source id>.json, one pretty-printed document a file. */
export function filesSink(dir: string): DocumentSink {
  for (const entity of ENTITIES) mkdirSync(join(dir, entity), { recursive: true });
  return {
    async write(entity, document) {
      await writeFile(join(dir, entity, `${String(document.source_id)}.json`), `${JSON.stringify(document, null, 2)}\n`);
    },
    async finish(manifest) {
      await writeFile(join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    },
  };
}

/** One NDJSON file per entity, DIR/<entity>.ndjson: the layout for large runs. */
export function ndjsonSink(dir: string): DocumentSink {
  mkdirSync(dir, { recursive: true });
  const streams = new Map<Entity, WriteStream>();
  return {
    async write(entity, document) {
      let stream = streams.get(entity);
      if (!stream) {
        stream = createWriteStream(join(dir, `${entity}.ndjson`));
        streams.set(entity, stream);
      }
      if (!stream.write(`${JSON.stringify(document)}\n`)) await once(stream, 'drain');
    },
    async finish(manifest) {
      for (const entity of ENTITIES) {
        const stream = streams.get(entity) ?? createWriteStream(join(dir, `${entity}.ndjson`));
        stream.end();
        await once(stream, 'finish');
      }
      await writeFile(join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    },
  };
}

export const MANIFESTS_COLLECTION = 'generation_manifests';
export const MANIFEST_DEFECTS_COLLECTION = 'generation_defects';

/**
 * Straight into MongoDB, through the loader's idempotent writer. The manifest's summary goes
 * to generation_manifests; its per-document defect list, which can outgrow one document, to
 * generation_defects (one entry per affected document).
 */
export function mongoSink(db: Db, batchSize = 1000): DocumentSink & { counts: Record<Entity, WriteCounts> } {
  const writer = new MongoDocumentWriter(db, { batchSize, command: 'piccha generate' });
  let indexed = false;
  return {
    counts: writer.counts,
    async write(entity, document) {
      if (!indexed) {
        await ensureIndexes(db);
        indexed = true;
      }
      await writer.write(entity, document);
    },
    async finish(manifest) {
      await writer.close();
      const run = `seed-${manifest.seed}-${manifest.now}`;
      const { defects, ...summary } = manifest;
      const counts = Object.fromEntries(Object.entries(defects).map(([kind, byEntity]) => [kind, Object.fromEntries(Object.entries(byEntity).map(([entity, record]) => [entity, record.count]))]));
      await db.collection<{ _id: string }>(MANIFESTS_COLLECTION).replaceOne({ _id: run }, { ...summary, defect_counts: counts }, { upsert: true });
      const entries = Object.entries(defects).flatMap(([kind, byEntity]) =>
        Object.entries(byEntity).flatMap(([entity, record]) => record.source_ids.map((sourceId, index) => ({ _id: `${run}:${sourceId}`, run, kind, entity, source_id: sourceId, key: record.keys[index] ?? null }))),
      );
      // Replaced as a whole: one scan to delete, then batched inserts (an upsert each would scan each time on FerretDB).
      const collection = db.collection<{ _id: string }>(MANIFEST_DEFECTS_COLLECTION);
      await collection.deleteMany({ run });
      for (let start = 0; start < entries.length; start += batchSize) await collection.insertMany(entries.slice(start, start + batchSize), { ordered: false });
    },
  };
}
