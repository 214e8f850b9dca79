import { Binary, BSON, ObjectId, type Db } from 'mongodb';
import type { Document, Entity } from '../entities/entities.js';

/**
 * The outbox: every write of a document also appends the written version to its entity's
 * outbox, which the producer drains. Nothing depends on clocks or on how long a write takes,
 * and a pass costs what was written since the last one, not a scan of the whole collection.
 *
 * MongoDB-protocol servers without transactions (FerretDB) cannot write a document and its
 * outbox entry atomically, so the outbox is written first: a writer that dies between the two
 * leaves a version in Kafka that the collection does not hold yet (a retried load writes it
 * and it is sent again, with the same content hash), never a document that Kafka misses.
 *
 * The outbox is split into numbered segments, one collection each (`outbox_<entity>_<n>`),
 * because the server cannot delete drained entries cheaply (every delete scans). Writers
 * append to the open segment; the producer seals it by moving `open` on, drains every sealed
 * segment in order, then drops it. A writer that appended to segment n checks that n is still
 * open afterwards: if it is, the seal comes later, so the producer's drain reads the entries;
 * if it is not, the writer appends the same entries to the new open segment and checks again.
 * The copy in the sealed segment may or may not have been read by then (FerretDB creates the
 * collection before it inserts, so the producer can seal and drain a segment whose insert is
 * still in flight), so every entry carries its append's `batch` id and its `index` in it, the
 * same in every copy: the producer skips a copy of an entry it has sent already (see
 * pipeline/produce/producer.ts). An entry is so sent once, never not at all (twice only when a
 * producer resumes from its checkpoint after a crash).
 *
 * An entry holds its document as BSON bytes, not as a nested document: FerretDB converts a stored
 * document value by value, which made reading the outbox the producer's ceiling (about 700 µs of
 * its CPU per purchase), while opaque bytes cost it about 120 µs and the producer decodes them
 * itself in a few tens. The bytes are what the driver would have sent for the nested document,
 * so the producer reads back exactly what the writer appended.
 */
export interface OutboxEntry {
  readonly _id?: ObjectId;
  /** The stored document as it was written, storage fields included, as BSON. */
  readonly bytes: Uint8Array;
  /** The same, decoded (on first use). */
  readonly document: Document;
  /** The append the entry belongs to, the same in each copy (absent in entries of older versions). */
  readonly batch?: ObjectId;
  /** The entry's place in its append, from 0. */
  readonly index?: number;
}

/** An entry as stored. `document` is the nested form appended before the bytes; it is still read, so an upgrade drains what an older writer left. */
interface StoredEntry {
  readonly _id?: ObjectId;
  readonly payload?: Binary;
  readonly document?: Document;
  readonly batch?: ObjectId;
  readonly index?: number;
}

/** Decodes its bytes only when asked: the producer hands them on undecoded, to the thread that builds the messages. */
class ReadEntry implements OutboxEntry {
  #document: Document | undefined;
  constructor(
    readonly bytes: Uint8Array,
    readonly _id: ObjectId | undefined,
    readonly batch: ObjectId | undefined,
    readonly index: number | undefined,
  ) {}

  get document(): Document {
    this.#document ??= BSON.deserialize(this.bytes);
    return this.#document;
  }
}

function toEntry({ _id, payload, document, batch, index }: StoredEntry, segment: string): OutboxEntry {
  if (payload !== undefined) return new ReadEntry(payload.buffer, _id, batch, index);
  if (document !== undefined) return new ReadEntry(BSON.serialize(document), _id, batch, index);
  throw new Error(`outbox entry ${String(_id)} of ${segment} holds no document`);
}

interface OutboxState {
  readonly _id: Entity;
  /** The segment writers append to; every lower one is sealed. */
  readonly open: number;
}

export const OUTBOX_STATE_COLLECTION = 'outbox_state';
const SEGMENT_PREFIX = 'outbox_';

export function segmentName(entity: Entity, segment: number): string {
  return `${SEGMENT_PREFIX}${entity}_${segment}`;
}

async function openSegment(db: Db, entity: Entity): Promise<number> {
  const state = await db.collection<OutboxState>(OUTBOX_STATE_COLLECTION).findOne({ _id: entity });
  return state?.open ?? 1;
}

/** Appends the documents, in order, where the producer is certain to read them. */
export async function appendToOutbox(db: Db, entity: Entity, documents: readonly Document[]): Promise<void> {
  if (documents.length === 0) return;
  const batch = new ObjectId();
  let segment = await openSegment(db, entity);
  for (;;) {
    try {
      // Fresh entries each time: the driver stamps an _id into what it inserts.
      await db.collection<StoredEntry>(segmentName(entity, segment)).insertMany(
        documents.map((document, index) => ({ payload: new Binary(BSON.serialize(document)), batch, index })),
        { ordered: true },
      );
    } catch (error) {
      // FerretDB fails an insert that races the producer dropping the segment it has just
      // sealed and drained ("no such table"): the segment is closed, so append to the open one.
      if ((await openSegment(db, entity)) === segment) throw error;
    }
    const open = await openSegment(db, entity);
    if (open === segment) return;
    segment = open;
  }
}

/** Every segment of the entity that exists, ascending. */
export async function existingSegments(db: Db, entity: Entity): Promise<number[]> {
  const prefix = `${SEGMENT_PREFIX}${entity}_`;
  const names = await db.listCollections({}, { nameOnly: true }).toArray();
  return names
    .map(({ name }) => name)
    .filter((name) => name.startsWith(prefix) && /^\d+$/.test(name.slice(prefix.length)))
    .map((name) => Number(name.slice(prefix.length)))
    .sort((a, b) => a - b);
}

/**
 * Seals the open segment when it holds anything, and returns the sealed segments to drain,
 * ascending: everything appended before this call is in one of them.
 */
export async function sealSegments(db: Db, entity: Entity): Promise<number[]> {
  const states = db.collection<OutboxState>(OUTBOX_STATE_COLLECTION);
  await states.updateOne({ _id: entity }, { $setOnInsert: { open: 1 } }, { upsert: true });
  let open = await openSegment(db, entity);
  let segments = await existingSegments(db, entity);
  if (segments.some((segment) => segment >= open)) {
    const before = await states.findOneAndUpdate({ _id: entity }, { $inc: { open: 1 } }, { returnDocument: 'before' });
    open = (before?.open ?? open) + 1;
    segments = await existingSegments(db, entity);
  }
  return segments.filter((segment) => segment < open);
}

/** A sealed segment's entries in the order they were appended. */
export function readSegment(db: Db, entity: Entity, segment: number, batchSize: number) {
  const name = segmentName(entity, segment);
  return db.collection<StoredEntry>(name).find({}, { batchSize }).map((stored) => toEntry(stored, name));
}

export async function dropSegment(db: Db, entity: Entity, segment: number): Promise<void> {
  await db.collection(segmentName(entity, segment)).drop().catch((error: unknown) => {
    if ((error as { codeName?: string }).codeName !== 'NamespaceNotFound') throw error;
  });
}
