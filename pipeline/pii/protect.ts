import type { Document, Entity } from '../entities/entities.js';
import { blindIndex, decrypt, encrypt, isToken, PiiDecryptionError, type PiiContext } from './cipher.js';
import { looksLikePii } from './detect.js';
import type { PiiKeyring } from './keys.js';
import { mask, normalize, type PiiKind } from './normalize.js';
import { NOT_PII, PII_POLICY, pathMatcher } from './policy.js';

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

/** An entity's rules, built once: the kind of each policy path, and whether a path is one the scan leaves alone. */
const rulesOf = (entity: Entity) => ({
  policy: new Map<string, PiiKind>(PII_POLICY[entity].map(({ path, kind }) => [path, kind])),
  notPii: pathMatcher(NOT_PII[entity]),
});
const RULES: Readonly<Record<Entity, ReturnType<typeof rulesOf>>> = { stores: rulesOf('stores'), products: rulesOf('products'), customers: rulesOf('customers'), purchases: rulesOf('purchases') };

interface Walk {
  readonly entity: Entity;
  readonly sourceId: string;
  readonly keyring: PiiKeyring;
  readonly rules: (typeof RULES)[Entity];
}

/** Only plain objects and arrays are walked into; a Date or another BSON value is not text anyone typed and leaves as it is. */
const isPlainObject = (value: object) => {
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
};

/** A copy of `value` with its policy fields and every lookalike below it protected. */
function protectedCopy(value: unknown, path: string, walk: Walk): unknown {
  const kind = walk.rules.policy.get(path);
  if (kind !== undefined) {
    if (value === undefined || value === null || value === '') return value;
    return protectValue(kind, typeof value === 'string' ? value : JSON.stringify(value), walk.keyring, { entity: walk.entity, sourceId: walk.sourceId, path });
  }
  if (walk.rules.notPii(path)) return value;
  const prefix = path === '' ? '' : `${path}.`;
  if (Array.isArray(value)) {
    const copy: unknown[] = new Array<unknown>(value.length);
    for (let index = 0; index < value.length; index++) copy[index] = protectedCopy(value[index], `${prefix}${index}`, walk);
    return copy;
  }
  if (typeof value === 'object' && value !== null) {
    if (!isPlainObject(value)) return value;
    const copy: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) {
      const protectedInner = protectedCopy(inner, `${prefix}${key}`, walk);
      // Defined, not assigned: a field named __proto__ stays a field instead of setting the copy's prototype.
      if (key === '__proto__') Object.defineProperty(copy, key, { value: protectedInner, enumerable: true, writable: true, configurable: true });
      else copy[key] = protectedInner;
    }
    return copy;
  }
  const lookalike = looksLikePii(value);
  return lookalike === undefined ? value : protectValue(lookalike, String(value), walk.keyring, { entity: walk.entity, sourceId: walk.sourceId, path });
}

/**
 * A copy of the document with every policy field protected, and every other value that looks
 * like an email or a phone, wherever it is (a `customer` sent as a string or an array, a phone
 * typed into a comment). Absent, null and empty policy values stay as they are; any other value
 * in a policy field (a number typed into a phone field, say) is protected as its text, so
 * nothing personal passes through unprotected. One walk: the document is never copied twice.
 */
export function protectDocument(entity: Entity, sourceId: string, document: Document, keyring: PiiKeyring): Document {
  return protectedCopy(document, '', { entity, sourceId, keyring, rules: RULES[entity] }) as Document;
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
