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
 * Instead, the first time it writes to a collection that holds anything, the writer reads
 * every stored _id and hash in one pass and compares in memory (about 150 bytes a document):
 * new documents are inserted, changed ones replaced, unchanged ones not sent at all.
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

  /**
   * The _id and content hash of every stored document of the collection, read in one pass the
   * first time the collection is written to, when it holds anything at all.
   */
  private async storedHashesOf(entity: Entity): Promise<Map<string, string>> {
    let hashes = this.storedHashes.get(entity);
    if (!hashes) {
      hashes = new Map();
      const collection = this.db.collection<StoredDocument>(entity);
      if ((await collection.findOne({}, { projection: { _id: 1 } })) !== null) {
        for await (const stored of collection.find({}, { projection: { [CONTENT_HASH]: 1 }, batchSize: 10_000 })) hashes.set(stored._id, stored[CONTENT_HASH]);
      }
      this.storedHashes.set(entity, hashes);
    }
    return hashes;
  }

  private async flushEntity(entity: Entity): Promise<void> {
    const batch = this.pending.get(entity) ?? [];
    if (batch.length === 0) return;
    this.pending.set(entity, []);
    const hashes = await this.storedHashesOf(entity);
    // Stamped right before the write, so that a document becomes visible within moments of its
    // stamp: the producer's watermark relies on that (pipeline/produce/watermark.ts).
    const stampedAt = new Date();
    for (const document of batch) document[LOADED_AT] = stampedAt;
    const collection = this.db.collection<StoredDocument>(entity);
    const fresh = batch.filter((document) => !hashes.has(document._id));
    const changed = batch.filter((document) => hashes.has(document._id) && hashes.get(document._id) !== document[CONTENT_HASH]);
    this.counts[entity].unchanged += batch.length - fresh.length - changed.length;
    if (fresh.length > 0) {
      try {
        this.counts[entity].inserted += (await collection.insertMany(fresh, { ordered: false })).insertedCount;
      } catch (error) {
        if (!(error instanceof MongoBulkWriteError)) throw error;
        const writeErrors: WriteError[] = ([] as WriteError[]).concat(error.writeErrors);
        const other = writeErrors.find((writeError) => writeError.code !== DUPLICATE_KEY);
        if (other) throw new Error(`writing ${entity}: ${other.errmsg ?? 'write error'}`, { cause: error });
        this.counts[entity].inserted += error.insertedCount;
        // Written meanwhile by someone else, or twice in this batch: this version wins.
        const taken = new Set(writeErrors.map((writeError) => writeError.index));
        changed.push(...fresh.filter((_, index) => taken.has(index)));
      }
    }
    await bulkWriteChunked(collection, changed.map((document) => ({ replaceOne: { filter: { _id: document._id }, replacement: document, upsert: true } })));
    this.counts[entity].updated += changed.length;
    for (const document of batch) hashes.set(document._id, document[CONTENT_HASH]);
  }
}
