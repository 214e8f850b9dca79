import type { Message } from 'kafkajs';
import { businessKeyOf, SOURCE_ID, type Document, type Entity } from '../entities/entities.js';
import { CONTENT_HASH, LOADED_AT } from '../load/mongo-writer.js';
import type { PiiKeyring } from '../pii/keys.js';
import { protectDocument } from '../pii/protect.js';
import { HEADERS, SCHEMA_VERSION, withoutStorageFields, type DeadLetter, type Envelope } from './envelope.js';
import { rejectionReason } from './validate.js';

export const headers = (entity: Entity) => ({ [HEADERS.entity]: entity, [HEADERS.schemaVersion]: String(SCHEMA_VERSION), [HEADERS.contentType]: 'application/json' });

/**
 * The message for one stored document: validated on the plain document, then protected. A
 * document that fails either becomes a dead letter, protected too (or without its document
 * when protection itself failed), so nothing personal leaves in plaintext and nothing stops the run.
 */
export function toMessage(entity: Entity, stored: Document, keyring: PiiKeyring, now: string): { message: Message; dead: boolean } {
  const plain = withoutStorageFields(stored);
  const sourceId = String(plain[SOURCE_ID]);
  let reason = rejectionReason(entity, plain);
  let document: Document | null;
  try {
    document = protectDocument(entity, sourceId, plain, keyring);
  } catch (error) {
    document = null;
    reason = `personal data could not be protected: ${(error as Error).message}`;
  }
  if (reason !== undefined || document === null) {
    const letter: DeadLetter = { schema_version: SCHEMA_VERSION, entity, source_id: sourceId, reason: reason ?? 'unknown', failed_at: now, pii_key_id: keyring.active.id, document };
    return { dead: true, message: { key: sourceId, value: JSON.stringify(letter), headers: headers(entity) } };
  }
  const loadedAt = stored[LOADED_AT] instanceof Date ? stored[LOADED_AT].toISOString() : '';
  const contentHash = typeof stored[CONTENT_HASH] === 'string' ? stored[CONTENT_HASH] : '';
  const envelope: Envelope = { schema_version: SCHEMA_VERSION, entity, source_id: sourceId, op: 'upsert', emitted_at: now, loaded_at: loadedAt, pii_key_id: keyring.active.id, content_hash: contentHash, document };
  return { dead: false, message: { key: businessKeyOf(entity, plain) ?? sourceId, value: JSON.stringify(envelope), headers: headers(entity) } };
}

