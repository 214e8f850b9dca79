import { createHash } from 'node:crypto';
import { MongoBulkWriteError, type Db, type WriteError } from 'mongodb';
import { BUSINESS_KEYS, ENTITIES, SOURCE_ID, type Document, type Entity } from '../entities/entities.js';
import { bulkWriteChunked } from '../mongo/bulk-write.js';

/** Stored next to each document: when it was loaded, and a hash of its content. */
export const LOADED_AT = '_loaded_at';
export const CONTENT_HASH = '_content_hash';

export interface WriteCounts {
  inserted: number;
  updated: number;
  unchanged: number;
}

type StoredDocument = Document & { _id: string; [LOADED_AT]: Date; [CONTENT_HASH]: string };

const DUPLICATE_KEY = 11000;

/** Business keys, the loader's time (the producer reads incrementally by it) and the rejects' origin. */
export async function ensureIndexes(db: Db): Promise<void> {
  for (const entity of ENTITIES) {
    const collection = db.collection(entity);
    await collection.createIndex({ [BUSINESS_KEYS[entity]]: 1 }, { name: `${BUSINESS_KEYS[entity]}_1` });
    await collection.createIndex({ [LOADED_AT]: 1, _id: 1 }, { name: 'loaded_at_1_id_1' });
  }
  await db.collection('rejected').createIndex({ entity: 1, file: 1 }, { name: 'entity_1_file_1' });
}

/**
 * Writes documents into their entity's collection in unordered batches, idempotently: a
 * document's source id is its _id, so loading it again inserts nothing, and a changed one
 * (its content hash differs) is replaced.
 *
 * FerretDB's SQLite backend scans the whole collection for every query, _id equality
 * included (its plan says SCAN), so looking loaded documents up one by one is quadratic.
 * Instead, the first time a batch meets documents that are already there, the writer reads
 * every stored _id and hash of that collection in one pass and compares in memory (about
 * 100 bytes a document).
 */
export class MongoDocumentWriter {
  private readonly pending = new Map<Entity, StoredDocument[]>();
  private readonly storedHashes = new Map<Entity, Map<string, string>>();
  readonly counts: Record<Entity, WriteCounts>;

  constructor(
    private readonly db: Db,
    private readonly batchSize = 1000,
  ) {
    this.counts = Object.fromEntries(ENTITIES.map((entity) => [entity, { inserted: 0, updated: 0, unchanged: 0 }])) as Record<Entity, WriteCounts>;
  }

  async write(entity: Entity, document: Document): Promise<void> {
    const sourceId = document[SOURCE_ID];
    if (typeof sourceId !== 'string' || sourceId === '') throw new Error(`a ${entity} document without ${SOURCE_ID} cannot be written`);
    const batch = this.pending.get(entity) ?? [];
    this.pending.set(entity, batch);
    const hash = createHash('sha256').update(JSON.stringify(document)).digest('hex');
    batch.push({ ...document, _id: sourceId, [LOADED_AT]: new Date(0), [CONTENT_HASH]: hash });
    if (batch.length >= this.batchSize) await this.flushEntity(entity);
  }

  async flush(): Promise<void> {
    for (const entity of this.pending.keys()) await this.flushEntity(entity);
  }

  private async hashesOf(entity: Entity): Promise<Map<string, string>> {
    let hashes = this.storedHashes.get(entity);
    if (!hashes) {
      hashes = new Map();
      const cursor = this.db.collection<StoredDocument>(entity).find({}, { projection: { [CONTENT_HASH]: 1 }, batchSize: 10_000 });
      for await (const stored of cursor) hashes.set(stored._id, stored[CONTENT_HASH]);
      this.storedHashes.set(entity, hashes);
    }
    return hashes;
  }

  private async flushEntity(entity: Entity): Promise<void> {
    const batch = this.pending.get(entity) ?? [];
    if (batch.length === 0) return;
    this.pending.set(entity, []);
    // Stamped right before the write, so that a document becomes visible within moments of its
    // stamp: the producer's watermark relies on that (pipeline/produce/watermark.ts).
    const stampedAt = new Date();
    for (const document of batch) document[LOADED_AT] = stampedAt;
    const collection = this.db.collection<StoredDocument>(entity);
    let existing: StoredDocument[] = [];
    try {
      const result = await collection.insertMany(batch, { ordered: false });
      this.counts[entity].inserted += result.insertedCount;
    } catch (error) {
      if (!(error instanceof MongoBulkWriteError)) throw error;
      const writeErrors: WriteError[] = ([] as WriteError[]).concat(error.writeErrors);
      const other = writeErrors.find((writeError) => writeError.code !== DUPLICATE_KEY);
      if (other) throw new Error(`writing ${entity}: ${other.errmsg ?? 'write error'}`, { cause: error });
      this.counts[entity].inserted += error.insertedCount;
      const duplicates = new Set(writeErrors.map((writeError) => writeError.index));
      existing = batch.filter((_, index) => duplicates.has(index));
    }
    const known = this.storedHashes.get(entity);
    if (existing.length === 0) {
      for (const document of batch) known?.set(document._id, document[CONTENT_HASH]);
      return;
    }
    const hashes = await this.hashesOf(entity);
    const changed = existing.filter((document) => hashes.get(document._id) !== document[CONTENT_HASH]);
    await bulkWriteChunked(collection, changed.map((document) => ({ replaceOne: { filter: { _id: document._id }, replacement: document, upsert: true } })));
    for (const document of batch) hashes.set(document._id, document[CONTENT_HASH]);
    this.counts[entity].updated += changed.length;
    this.counts[entity].unchanged += existing.length - changed.length;
  }
}
