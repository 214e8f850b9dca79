import { BUSINESS_KEYS, businessKeyOf, SOURCE_ID, type Document, type Entity } from '../entities/entities.js';

export type Validated = { ok: true; document: Document } | { ok: false; reason: string };

/**
 * Parses one document and checks what loading needs: a JSON object with its business key.
 * Other defects (missing fields, odd phones) are loaded as they are: the operational store
 * keeps what the tills sent, and later stages judge it. A document without a source id gets
 * one from where it was read, so that reloading the same file stays idempotent.
 */
export function validateDocument(entity: Entity, text: string, file: string, line: number): Validated {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `not valid JSON: ${(error as Error).message}` };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { ok: false, reason: `expected a JSON object, got ${Array.isArray(parsed) ? 'an array' : parsed === null ? 'null' : typeof parsed}` };
  }
  const document = parsed as Document;
  if (businessKeyOf(entity, document) === undefined) {
    return { ok: false, reason: `missing business key ${BUSINESS_KEYS[entity]}` };
  }
  const sourceId = document[SOURCE_ID];
  if (sourceId !== undefined && (typeof sourceId !== 'string' || sourceId.trim() === '')) {
    return { ok: false, reason: `${SOURCE_ID} must be a non-empty string` };
  }
  if (sourceId === undefined) document[SOURCE_ID] = `${file}:${line}`;
  return { ok: true, document };
}
