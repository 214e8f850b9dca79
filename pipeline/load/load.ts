import { MongoBulkWriteError, type Db, type WriteError } from 'mongodb';
import { ENTITIES, SOURCE_ID, type Entity } from '../entities/entities.js';
import { bulkWriteChunked } from '../mongo/bulk-write.js';
import type { Progress } from '../progress/progress.js';
import { ensureIndexes, MongoDocumentWriter } from './mongo-writer.js';
import { readSources, type SourceFailure, type SourceSkipped } from './sources.js';
import { derivedSourceId, validateDocument } from './validate.js';

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
  /** Names that looked like data but were no regular files (FIFOs, folders, devices). */
  readonly skipped: readonly SourceSkipped[];
}

const DUPLICATE_KEY = 11000;
const RAW_CHARS = 2000;

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
export async function loadFolder(db: Db, dir: string, options: { batchSize?: number; progress?: Progress; onWaiting?: (holder: string) => void } = {}): Promise<LoadSummary> {
  await ensureIndexes(db);
  const writer = new MongoDocumentWriter(db, { batchSize: options.batchSize ?? 1000, onWaiting: options.onWaiting });
  const entities = Object.fromEntries(ENTITIES.map((entity) => [entity, { read: 0, inserted: 0, updated: 0, unchanged: 0, rejected: 0 }])) as Record<Entity, EntitySummary>;
  const unreadable: SourceFailure[] = [];
  const skipped: SourceSkipped[] = [];
  const rejections: Rejection[] = [];
  const flushRejections = async () => {
    const batch = rejections.splice(0);
    if (batch.length === 0) return;
    const collection = db.collection<Rejection>(REJECTED_COLLECTION);
    try {
      await collection.insertMany(batch, { ordered: false });
    } catch (error) {
      if (!(error instanceof MongoBulkWriteError)) throw error;
      const writeErrors = ([] as WriteError[]).concat(error.writeErrors);
      const other = writeErrors.find((writeError) => writeError.code !== DUPLICATE_KEY);
      if (other) throw new Error(`recording rejected documents in ${REJECTED_COLLECTION}: ${other.errmsg ?? `write error ${other.code}`}`, { cause: error });
      // Rejected before, by an earlier load of the same file: record this load's reason instead.
      const again = new Set(writeErrors.map((writeError) => writeError.index));
      const replaced = await bulkWriteChunked(collection, batch.filter((_, index) => again.has(index)).map((rejection) => ({ replaceOne: { filter: { _id: rejection._id }, replacement: rejection } })));
      if (replaced.matched < again.size) throw new Error(`recording rejected documents in ${REJECTED_COLLECTION}: ${again.size - replaced.matched} refused as duplicates, but no earlier rejection has their _id (a unique index other than _id?)`, { cause: error });
    }
  };

  for await (const item of readSources(dir)) {
    if (item.kind === 'failure') {
      unreadable.push(item);
      continue;
    }
    if (item.kind === 'skipped') {
      skipped.push(item);
      continue;
    }
    entities[item.entity].read += 1;
    options.progress?.increment();
    const result = validateDocument(item);
    if (result.ok) {
      result.document[SOURCE_ID] ??= derivedSourceId(item, result.document);
      await writer.write(item.entity, result.document);
      continue;
    }
    entities[item.entity].rejected += 1;
    rejections.push({ _id: `${item.file}:${item.line}`, entity: item.entity, file: item.file, line: item.line, reason: result.reason, raw: item.bytes.subarray(0, RAW_CHARS * 4).toString('utf8').slice(0, RAW_CHARS), rejected_at: new Date() });
    if (rejections.length >= 1000) await flushRejections();
  }
  await writer.close();
  await flushRejections();
  for (const entity of ENTITIES) Object.assign(entities[entity], writer.counts[entity]);
  return { entities, unreadable, skipped };
}
