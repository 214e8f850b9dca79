import { SOURCE_ID, type Document, type Entity } from '../entities/entities.js';
import { CONTENT_HASH, LOADED_AT } from '../load/mongo-writer.js';

/** Bumped when the envelope's shape changes in a way consumers must know about. */
export const SCHEMA_VERSION = 1;

/**
 * Every message's value: what the document is, where it came from, which PII key protected
 * it, and the document itself with its personal data protected.
 */
export interface Envelope {
  readonly schema_version: typeof SCHEMA_VERSION;
  readonly entity: Entity;
  readonly source_id: string;
  /** `upsert`: the document as it is now; the operational store never deletes. */
  readonly op: 'upsert';
  readonly emitted_at: string;
  /** When the loader wrote this version into MongoDB. */
  readonly loaded_at: string;
  readonly pii_key_id: string;
  /** sha256 of the source document's content: equal hashes are the same version. */
  readonly content_hash: string;
  readonly document: Document;
}

/** A dead letter: a document the producer refused, and why. */
export interface DeadLetter {
  readonly schema_version: typeof SCHEMA_VERSION;
  readonly entity: Entity;
  readonly source_id: string;
  readonly reason: string;
  readonly failed_at: string;
  readonly pii_key_id: string;
  /** The document with its personal data protected; null when even that failed (the reason says why). */
  readonly document: Document | null;
}

export const HEADERS = { entity: 'entity', schemaVersion: 'schema-version', contentType: 'content-type' } as const;

/** MongoDB's own fields: not part of the document the chain's systems sent. */
const STORAGE_FIELDS = ['_id', LOADED_AT, CONTENT_HASH];

export function withoutStorageFields(stored: Document): Document {
  const document = Object.fromEntries(Object.entries(stored).filter(([field]) => !STORAGE_FIELDS.includes(field)));
  return { ...document, [SOURCE_ID]: document[SOURCE_ID] ?? stored._id };
}
