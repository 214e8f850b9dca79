import type { Document, Entity } from '../entities/entities.js';
import { containerOf } from '../entities/paths.js';
import { blindIndex, decrypt, encrypt, isToken } from './cipher.js';
import type { PiiKeyring } from './keys.js';
import { mask, normalize, type PiiKind } from './normalize.js';
import { PII_POLICY } from './policy.js';

/** What a PII field holds once protected; the plaintext is only in `ciphertext`. */
export interface ProtectedValue {
  readonly ciphertext: string;
  /** HMAC of the normalised value: count and join on it without the plaintext. */
  readonly blind_index: string;
  readonly masked: string;
  /** False when the value could not be normalised (not a phone, not an email). */
  readonly valid: boolean;
}

export function protectValue(kind: PiiKind, raw: string, keyring: PiiKeyring): ProtectedValue {
  const normalized = normalize(kind, raw);
  return {
    ciphertext: encrypt(kind, normalized.value, keyring),
    blind_index: blindIndex(kind, normalized.value, keyring),
    masked: mask(kind, normalized),
    valid: normalized.valid,
  };
}

/**
 * A copy of the document with every policy field protected. Absent, null and empty values
 * stay as they are; any other value (a number typed into a phone field, say) is protected as
 * its text, so nothing personal passes through unprotected.
 */
export function protectDocument(entity: Entity, document: Document, keyring: PiiKeyring): Document {
  const copy = structuredClone(document);
  for (const { path, kind } of PII_POLICY[entity]) {
    const { parent, field } = containerOf(copy, path);
    const value = parent?.[field];
    if (parent === undefined || value === undefined || value === null || value === '') continue;
    parent[field] = protectValue(kind, typeof value === 'string' ? value : JSON.stringify(value), keyring);
  }
  return copy;
}

/** Replaces every protected value anywhere in `value` with its plaintext, for an operator with the key. */
export function revealAll(value: unknown, keyring: PiiKeyring): unknown {
  if (isToken(value)) return decrypt(value, keyring).plaintext;
  if (Array.isArray(value)) return value.map((item) => revealAll(item, keyring));
  if (typeof value !== 'object' || value === null) return value;
  const record = value as Record<string, unknown>;
  if (isToken(record.ciphertext) && 'blind_index' in record) return decrypt(record.ciphertext, keyring).plaintext;
  return Object.fromEntries(Object.entries(record).map(([key, inner]) => [key, revealAll(inner, keyring)]));
}
