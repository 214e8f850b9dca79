import { createHash } from 'node:crypto';
import { MongoBulkWriteError, type Db, type WriteError } from 'mongodb';
import { BUSINESS_KEYS, ENTITIES, SOURCE_ID, type Document, type Entity } from '../entities/entities.js';
import { bulkWriteChunked } from '../mongo/bulk-write.js';
import { Lease } from '../mongo/lease.js';
import { appendToOutbox } from '../outbox/outbox.js';
import { StoredHashes } from './stored-hashes.js';

/** Stored next to each document: when it was loaded (for people and freshness), and a hash of its content. */
export const LOADED_AT = '_loaded_at';
export const CONTENT_HASH = '_content_hash';

/** One writer per database at a time: the outbox's order is then the order of the writes. */
export const WRITER_LEASE = 'writer';

export interface WriteCounts {
  inserted: number;
  updated: number;
  unchanged: number;
}

export interface WriterOptions {
  /** Documents per bulk write. */
  readonly batchSize?: number;
  /** Named in the writer lease, for whoever waits on it. */
  readonly command?: string;
  readonly onWaiting?: (holder: string) => void;
  /** Never read a whole collection to learn what it holds, only look documents up (see StoredHashes): for a writer beside a live stream. */
  readonly lookupsOnly?: boolean;
  /** Stamps `_loaded_at`: the MART's future_date rule takes it as when the store received the document; nothing orders versions by it. */
  readonly clock?: () => Date;
}

type StoredDocument = Document & { _id: string; [LOADED_AT]: Date; [CONTENT_HASH]: string };

const DUPLICATE_KEY = 11000;

/** Business keys and the rejects' origin. */
export async function ensureIndexes(db: Db): Promise<void> {
  for (const entity of ENTITIES) {
    await db.collection(entity).createIndex({ [BUSINESS_KEYS[entity]]: 1 }, { name: `${BUSINESS_KEYS[entity]}_1` });
  }
  await db.collection('rejected').createIndex({ entity: 1, file: 1 }, { name: 'entity_1_file_1' });
}

export function contentHash(document: Document): string {
  return createHash('sha256').update(JSON.stringify(document)).digest('hex');
}

/**
 * Writes documents into their entity's collection in unordered batches, idempotently: a
 * document's source id is its _id, so loading it again inserts nothing, and a changed one
 * (its content hash differs) is replaced. Every version written is appended to the outbox
 * first (pipeline/outbox/outbox.ts), which is how the producer learns of it.
 *
 * Which documents are stored already, and with which hash, is learnt per collection by
 * `StoredHashes`: by _id lookups while the load is small beside the collection, by one read of
 * the whole collection once it is not, and not at all when the collection started empty.
 *
 * The writer holds the database's writer lease from its first write to `close()`: a second
 * load waits for the first instead of interleaving with it.
 */
export class MongoDocumentWriter {
  private readonly pending = new Map<Entity, StoredDocument[]>();
  private readonly storedHashes = new Map<Entity, StoredHashes<StoredDocument>>();
  private lease: Lease | undefined;
  readonly counts: Record<Entity, WriteCounts>;

  private readonly batchSize: number;

  constructor(
    private readonly db: Db,
    private readonly options: WriterOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 1000;
    this.counts = Object.fromEntries(ENTITIES.map((entity) => [entity, { inserted: 0, updated: 0, unchanged: 0 }])) as Record<Entity, WriteCounts>;
  }

  async write(entity: Entity, document: Document): Promise<void> {
    const sourceId = document[SOURCE_ID];
    if (typeof sourceId !== 'string' || sourceId === '') throw new Error(`a ${entity} document without ${SOURCE_ID} cannot be written`);
    const batch = this.pending.get(entity) ?? [];
    this.pending.set(entity, batch);
    batch.push({ ...document, _id: sourceId, [LOADED_AT]: new Date(0), [CONTENT_HASH]: contentHash(document) });
    if (batch.length >= this.batchSize) await this.releasingOnError(() => this.flushEntity(entity));
  }

  async flush(): Promise<void> {
    for (const entity of this.pending.keys()) await this.releasingOnError(() => this.flushEntity(entity));
  }

  /** A writer that failed is done: it lets the next one in rather than hold the lease until exit. */
  private async releasingOnError(work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (error) {
      await this.lease?.release().catch(() => undefined);
      this.lease = undefined;
      throw error;
    }
  }

  /** Flushes what is pending and lets the next writer in. */
  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      await this.lease?.release();
      this.lease = undefined;
    }
  }

  private storedHashesOf(entity: Entity): StoredHashes<StoredDocument> {
    let hashes = this.storedHashes.get(entity);
    if (hashes === undefined) {
      hashes = new StoredHashes(this.db.collection<StoredDocument>(entity), CONTENT_HASH, this.options.lookupsOnly === true);
      this.storedHashes.set(entity, hashes);
    }
    return hashes;
  }

  private async flushEntity(entity: Entity): Promise<void> {
    const queued = this.pending.get(entity) ?? [];
    if (queued.length === 0) return;
    this.pending.set(entity, []);
    this.lease ??= await Lease.acquire(this.db, WRITER_LEASE, { command: this.options.command ?? 'piccha load', wait: true, onWaiting: (holder) => this.options.onWaiting?.(`${holder.command} (pid ${holder.pid})`) });
    await this.lease.assertHeld();
    // The same source id twice in one batch: the later version is the one that counts.
    const latest = new Map(queued.map((document) => [document._id, document]));
    const batch = [...latest.values()];
    this.counts[entity].updated += queued.length - batch.length;
    const stored = this.storedHashesOf(entity);
    const hashes = await stored.of(batch.map((document) => document._id));
    const loadedAt = this.options.clock?.() ?? new Date();
    for (const document of batch) document[LOADED_AT] = loadedAt;
    const fresh = batch.filter((document) => !hashes?.has(document._id));
    const changed = batch.filter((document) => hashes?.has(document._id) === true && hashes.get(document._id) !== document[CONTENT_HASH]);
    this.counts[entity].unchanged += batch.length - fresh.length - changed.length;
    // The outbox first: a crash between the two writes re-sends a version, never loses one.
    await appendToOutbox(this.db, entity, [...fresh, ...changed]);
    const taken = await this.insertFresh(entity, fresh);
    if (hashes === null) {
      // Without a map, a document written earlier in this run shows up here: replace it only if it changed.
      const takenHashes = await stored.lookUp(taken.map((document) => document._id));
      for (const document of taken) {
        if (takenHashes.get(document._id) === document[CONTENT_HASH]) this.counts[entity].unchanged += 1;
        else changed.push(document);
      }
    } else changed.push(...taken);
    await bulkWriteChunked(this.db.collection<StoredDocument>(entity), changed.map((document) => ({ replaceOne: { filter: { _id: document._id }, replacement: document, upsert: true } })));
    this.counts[entity].updated += changed.length;
    stored.remember(batch);
  }

  /** Inserts the documents, counts those inserted, and returns those whose _id was taken already. */
  private async insertFresh(entity: Entity, documents: StoredDocument[]): Promise<StoredDocument[]> {
    if (documents.length === 0) return [];
    try {
      this.counts[entity].inserted += (await this.db.collection<StoredDocument>(entity).insertMany(documents, { ordered: false })).insertedCount;
      return [];
    } catch (error) {
      if (!(error instanceof MongoBulkWriteError)) throw error;
      const writeErrors: WriteError[] = ([] as WriteError[]).concat(error.writeErrors);
      const other = writeErrors.find((writeError) => writeError.code !== DUPLICATE_KEY);
      if (other) throw new Error(`writing ${entity}: ${other.errmsg ?? 'write error'}`, { cause: error });
      this.counts[entity].inserted += error.insertedCount;
      const taken = new Set(writeErrors.map((writeError) => writeError.index));
      return documents.filter((_, index) => taken.has(index));
    }
  }
}
