import { MongoBulkWriteError, type Db, type WriteError } from 'mongodb';
import { ENTITIES, type Entity } from '../entities/entities.js';
import { bulkWriteChunked } from '../mongo/bulk-write.js';
import type { Progress } from '../progress/progress.js';
import { ensureIndexes, MongoDocumentWriter } from './mongo-writer.js';
import { readSources, type SourceFailure } from './sources.js';
import { validateDocument } from './validate.js';

export const REJECTED_COLLECTION = 'rejected';

export interface EntitySummary {
  read: number;
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: number;
}

export interface LoadSummary {
  readonly entities: Record<Entity, EntitySummary>;
  readonly unreadable: readonly SourceFailure[];
}

interface Rejection {
  _id: string;
  entity: Entity;
  file: string;
  line: number;
  reason: string;
  /** The start of what was read, to see what was wrong without opening the file. */
  raw: string;
  rejected_at: Date;
}

/**
 * Loads a folder (the seed's layout or NDJSON) into MongoDB. Documents that cannot be loaded
 * go to the `rejected` collection with file, line and reason; a bad file never stops the rest.
 */
export async function loadFolder(db: Db, dir: string, options: { batchSize?: number; progress?: Progress } = {}): Promise<LoadSummary> {
  await ensureIndexes(db);
  const writer = new MongoDocumentWriter(db, { batchSize: options.batchSize ?? 1000 });
  const entities = Object.fromEntries(ENTITIES.map((entity) => [entity, { read: 0, inserted: 0, updated: 0, unchanged: 0, rejected: 0 }])) as Record<Entity, EntitySummary>;
  const unreadable: SourceFailure[] = [];
  const rejections: Rejection[] = [];
  const flushRejections = async () => {
    const batch = rejections.splice(0);
    if (batch.length === 0) return;
    const collection = db.collection<Rejection>(REJECTED_COLLECTION);
    try {
      await collection.insertMany(batch, { ordered: false });
    } catch (error) {
      if (!(error instanceof MongoBulkWriteError)) throw error;
      // Rejected before, by an earlier load of the same file: record this load's reason instead.
      const again = new Set(([] as WriteError[]).concat(error.writeErrors).map((writeError) => writeError.index));
      await bulkWriteChunked(collection, batch.filter((_, index) => again.has(index)).map((rejection) => ({ replaceOne: { filter: { _id: rejection._id }, replacement: rejection } })));
    }
  };

  for await (const item of readSources(dir)) {
    if (item.kind === 'failure') {
      unreadable.push(item);
      continue;
    }
    entities[item.entity].read += 1;
    options.progress?.increment();
    const result = validateDocument(item.entity, item.text, item.file, item.line);
    if (result.ok) {
      await writer.write(item.entity, result.document);
      continue;
    }
    entities[item.entity].rejected += 1;
    rejections.push({ _id: `${item.file}:${item.line}`, entity: item.entity, file: item.file, line: item.line, reason: result.reason, raw: item.text.slice(0, 2000), rejected_at: new Date() });
    if (rejections.length >= 1000) await flushRejections();
  }
  await writer.close();
  await flushRejections();
  for (const entity of ENTITIES) Object.assign(entities[entity], writer.counts[entity]);
  return { entities, unreadable };
}
