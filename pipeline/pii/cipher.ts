import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import type { PiiKeyring } from './keys.js';
import type { PiiKind } from './normalize.js';

/** pii1.<kind>.<key id>.<nonce>.<ciphertext and tag>, parts in URL-safe base64. */
const TOKEN = /^pii1\.(email|phone)\.([A-Za-z0-9_-]{1,32})\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{22,})$/;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export class PiiDecryptionError extends Error {}

/** What the token is bound to: decrypting it as another kind or under another key id fails. */
const additionalData = (kind: PiiKind, keyId: string) => Buffer.from(`pii1.${kind}.${keyId}`);

/** AES-256-GCM under the active key, with a random nonce. */
export function encrypt(kind: PiiKind, plaintext: string, keyring: PiiKeyring): string {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', keyring.active.key, nonce);
  cipher.setAAD(additionalData(kind, keyring.active.id));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `pii1.${kind}.${keyring.active.id}.${nonce.toString('base64url')}.${body.toString('base64url')}`;
}

export function isToken(value: unknown): value is string {
  return typeof value === 'string' && TOKEN.test(value);
}

/** Decrypts with the key the token names; a missing key or a failed authentication is an error. */
export function decrypt(token: string, keyring: PiiKeyring): { kind: PiiKind; keyId: string; plaintext: string } {
  const match = TOKEN.exec(token);
  if (!match) throw new PiiDecryptionError('not a protected value (expected pii1.<kind>.<key id>.<nonce>.<data>)');
  const [, kind, keyId = '', nonce = '', data = ''] = match as unknown as [string, PiiKind, string, string, string];
  const key = keyring.byId.get(keyId);
  if (!key) throw new PiiDecryptionError(`key id ${keyId} is not among PICCHA_PII_KEYS`);
  const body = Buffer.from(data, 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', key.key, Buffer.from(nonce, 'base64url'));
  decipher.setAAD(additionalData(kind, keyId));
  decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
  try {
    const plaintext = Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    return { kind, keyId, plaintext };
  } catch {
    throw new PiiDecryptionError(`authentication failed under key id ${keyId}: a wrong key, or a changed value`);
  }
}

/** A keyed, stable token for a normalised value: equal values match, nothing can be read back. */
export function blindIndex(kind: PiiKind, normalized: string, keyring: PiiKeyring): string {
  return createHmac('sha256', keyring.indexKey).update(`${kind}:${normalized}`).digest('base64url');
}
