import { createCipheriv, createDecipheriv, createHmac, randomFillSync } from 'node:crypto';
import type { PiiKeyring } from './keys.js';
import type { PiiKind } from './normalize.js';

/** pii2.<kind>.<key id>.<nonce>.<ciphertext and tag>, parts in URL-safe base64 without padding. */
const TOKEN = /^pii2\.(email|phone)\.([A-Za-z0-9_-]{1,32})\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{22,})$/;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export class PiiDecryptionError extends Error {}

/**
 * Where a protected value belongs: the entity, the source document and the dotted field path
 * (array positions as numbers: `customer.0`). The ciphertext is bound to it, so a value
 * moved to another field or another document no longer decrypts.
 */
export interface PiiContext {
  readonly entity: string;
  readonly sourceId: string;
  readonly path: string;
}

/**
 * Random nonces are cut from a buffer the system's CSPRNG refills once every 1,024 of them: each
 * is used once, and asking the CSPRNG for 12 bytes at a time cost more than the encryption.
 */
const noncePool = Buffer.alloc(NONCE_BYTES * 1024);
let nonceAt = noncePool.length;
function freshNonce(): Buffer {
  if (nonceAt + NONCE_BYTES > noncePool.length) {
    randomFillSync(noncePool);
    nonceAt = 0;
  }
  const nonce = Buffer.from(noncePool.subarray(nonceAt, nonceAt + NONCE_BYTES));
  nonceAt += NONCE_BYTES;
  return nonce;
}

const additionalData = (kind: PiiKind, keyId: string, context: PiiContext) => Buffer.from(JSON.stringify(['pii2', kind, keyId, context.entity, context.sourceId, context.path]));

/** AES-256-GCM under the active key, with a random nonce, bound to kind, key id and context. */
export function encrypt(kind: PiiKind, plaintext: string, keyring: PiiKeyring, context: PiiContext): string {
  const nonce = freshNonce();
  const cipher = createCipheriv('aes-256-gcm', keyring.active.key, nonce);
  cipher.setAAD(additionalData(kind, keyring.active.id, context));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `pii2.${kind}.${keyring.active.id}.${nonce.toString('base64url')}.${body.toString('base64url')}`;
}

export function isToken(value: unknown): value is string {
  return typeof value === 'string' && TOKEN.test(value);
}

/** Decodes URL-safe base64 only in its one canonical spelling (no spare bits set). */
function canonicalBase64(text: string): Buffer | undefined {
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : undefined;
}

/**
 * Decrypts with the key the token names, in the context it was bound to; a missing key, a
 * non-canonical encoding or a failed authentication (a changed value, or one moved from
 * another field or document) is an error.
 */
export function decrypt(token: string, keyring: PiiKeyring, context: PiiContext): { kind: PiiKind; keyId: string; plaintext: string } {
  const match = TOKEN.exec(token);
  if (!match) throw new PiiDecryptionError('not a protected value (expected pii2.<kind>.<key id>.<nonce>.<data>)');
  const [, kind, keyId = '', nonceText = '', data = ''] = match as unknown as [string, PiiKind, string, string, string];
  const key = keyring.byId.get(keyId);
  if (!key) throw new PiiDecryptionError(`key id ${keyId} is not among PICCHA_PII_KEYS`);
  const nonce = canonicalBase64(nonceText);
  const body = canonicalBase64(data);
  if (nonce?.length !== NONCE_BYTES || body === undefined || body.length < TAG_BYTES) throw new PiiDecryptionError('not a canonical protected value: its base64 parts were altered');
  const decipher = createDecipheriv('aes-256-gcm', key.key, nonce);
  decipher.setAAD(additionalData(kind, keyId, context));
  decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
  try {
    const plaintext = Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    return { kind, keyId, plaintext };
  } catch {
    throw new PiiDecryptionError(`authentication failed under key id ${keyId} for ${context.entity} ${context.sourceId} field ${context.path}: a wrong key, a changed value, or a value moved from elsewhere`);
  }
}

/**
 * HMAC-SHA256, keyed with the blind-index key, of the UTF-8 text `<kind>:<normalised value>`
 * (`email:ivan@mail.ru`, `phone:+79161234567`), in URL-safe base64 without padding. Not bound
 * to a field: the same person matches across entities.
 */
export function blindIndex(kind: PiiKind, normalized: string, keyring: PiiKeyring): string {
  return createHmac('sha256', keyring.indexKey).update(`${kind}:${normalized}`, 'utf8').digest('base64url');
}
