import type { Document, Entity } from '../entities/entities.js';
import { containerOf } from '../entities/paths.js';
import { blindIndex, decrypt, encrypt, isToken, PiiDecryptionError, type PiiContext } from './cipher.js';
import { looksLikePii } from './detect.js';
import type { PiiKeyring } from './keys.js';
import { mask, normalize, type PiiKind } from './normalize.js';
import { matchesAny, NOT_PII, PII_POLICY } from './policy.js';

/** What a PII field holds once protected; the plaintext is only in `ciphertext`. */
export interface ProtectedValue {
  readonly ciphertext: string;
  /** See blindIndex: HMAC of `<kind>:<normalised value>`; count and join on it without the plaintext. */
  readonly blind_index: string;
  readonly masked: string;
  /** False when the value could not be normalised (not a phone, not an email). */
  readonly valid: boolean;
}

export function protectValue(kind: PiiKind, raw: string, keyring: PiiKeyring, context: PiiContext): ProtectedValue {
  const normalized = normalize(kind, raw);
  return {
    ciphertext: encrypt(kind, normalized.value, keyring, context),
    blind_index: blindIndex(kind, normalized.value, keyring),
    masked: mask(kind, normalized),
    valid: normalized.valid,
  };
}

function isProtected(value: unknown): value is ProtectedValue {
  return typeof value === 'object' && value !== null && isToken((value as Record<string, unknown>).ciphertext) && 'blind_index' in value;
}

/** Every value under `value` that looks like an email or phone, protected where it stands. */
function protectLookalikes(value: unknown, path: string, entity: Entity, sourceId: string, keyring: PiiKeyring): unknown {
  if (matchesAny(path, NOT_PII[entity]) || isProtected(value)) return value;
  if (Array.isArray(value)) return value.map((item, index) => protectLookalikes(item, path === '' ? String(index) : `${path}.${index}`, entity, sourceId, keyring));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, protectLookalikes(inner, path === '' ? key : `${path}.${key}`, entity, sourceId, keyring)]));
  }
  const kind = looksLikePii(value);
  return kind === undefined ? value : protectValue(kind, String(value), keyring, { entity, sourceId, path });
}

/**
 * A copy of the document with every policy field protected, and then every other value that
 * looks like an email or a phone, wherever it is (a `customer` sent as a string or an array,
 * a phone typed into a comment). Absent, null and empty policy values stay as they are; any
 * other value in a policy field (a number typed into a phone field, say) is protected as its
 * text, so nothing personal passes through unprotected.
 */
export function protectDocument(entity: Entity, sourceId: string, document: Document, keyring: PiiKeyring): Document {
  const copy = structuredClone(document);
  for (const { path, kind } of PII_POLICY[entity]) {
    const { parent, field } = containerOf(copy, path);
    const value = parent?.[field];
    if (parent === undefined || value === undefined || value === null || value === '') continue;
    parent[field] = protectValue(kind, typeof value === 'string' ? value : JSON.stringify(value), keyring, { entity, sourceId, path });
  }
  return protectLookalikes(copy, '', entity, sourceId, keyring) as Document;
}

/** The document with every protected value replaced by its plaintext, for an operator holding the keys. */
export function revealDocument(entity: string, sourceId: string, document: unknown, keyring: PiiKeyring, path = ''): unknown {
  const context = { entity, sourceId, path };
  if (isToken(document)) return decrypt(document, keyring, context).plaintext;
  if (isProtected(document)) return decrypt(document.ciphertext, keyring, context).plaintext;
  if (Array.isArray(document)) return document.map((item, index) => revealDocument(entity, sourceId, item, keyring, path === '' ? String(index) : `${path}.${index}`));
  if (typeof document !== 'object' || document === null) return document;
  return Object.fromEntries(Object.entries(document).map(([key, inner]) => [key, revealDocument(entity, sourceId, inner, keyring, path === '' ? key : `${path}.${key}`)]));
}

/** A message (an envelope or a dead letter) with its document revealed. */
export function revealMessage(message: unknown, keyring: PiiKeyring): unknown {
  const record = message as Record<string, unknown> | null;
  if (typeof record?.entity !== 'string' || typeof record.source_id !== 'string' || !('document' in record)) {
    throw new PiiDecryptionError('expected a message with entity, source_id and document (an envelope or a dead letter)');
  }
  return { ...record, document: revealDocument(record.entity, record.source_id, record.document, keyring) };
}
