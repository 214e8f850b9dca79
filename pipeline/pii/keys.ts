import { randomBytes } from 'node:crypto';
import { ConfigError } from '../config/config.js';

export const KEYS_VARIABLE = 'PICCHA_PII_KEYS';
export const INDEX_KEY_VARIABLE = 'PICCHA_PII_INDEX_KEY';

export interface PiiKey {
  readonly id: string;
  readonly key: Buffer;
}

/** Encryption keys by id (the first is the active one) and the blind-index key. */
export interface PiiKeyring {
  readonly active: PiiKey;
  readonly byId: ReadonlyMap<string, PiiKey>;
  readonly indexKey: Buffer;
}

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const KEY_BYTES = 32;

function decodeKey(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(text)) return undefined;
  const key = Buffer.from(text, 'base64url');
  return key.length === KEY_BYTES ? key : undefined;
}

/**
 * Reads the keys from the environment. PICCHA_PII_KEYS is `id:key[,id:key…]`, each key 32
 * bytes in URL-safe base64; the first encrypts new values, all of them decrypt. Errors name
 * the variable and never include a key.
 */
export function keyringFrom(env: NodeJS.ProcessEnv): PiiKeyring {
  const problems: string[] = [];
  const keys: PiiKey[] = [];
  const keysText = env[KEYS_VARIABLE]?.trim() ?? '';
  if (keysText === '') problems.push(`${KEYS_VARIABLE} is not set (create keys with \`piccha pii keygen\`)`);
  else {
    for (const [index, entry] of keysText.split(',').entries()) {
      const [id = '', encoded = '', ...rest] = entry.trim().split(':');
      const key = decodeKey(encoded);
      if (!KEY_ID.test(id) || key === undefined || rest.length > 0) problems.push(`${KEYS_VARIABLE} entry ${index + 1} is not id:key (an id of letters, digits, _ or -, and ${KEY_BYTES} bytes in URL-safe base64)`);
      else if (keys.some((existing) => existing.id === id)) problems.push(`${KEYS_VARIABLE} names key id ${id} twice`);
      else keys.push({ id, key });
    }
  }
  const indexText = env[INDEX_KEY_VARIABLE]?.trim() ?? '';
  const indexKey = decodeKey(indexText);
  if (indexText === '') problems.push(`${INDEX_KEY_VARIABLE} is not set (create it with \`piccha pii keygen\`)`);
  else if (indexKey === undefined) problems.push(`${INDEX_KEY_VARIABLE} must be ${KEY_BYTES} bytes in URL-safe base64`);
  if (problems.length > 0 || keys.length === 0 || indexKey === undefined) throw new ConfigError(`invalid PII keys: ${problems.join('; ')} (read from the environment, else from pii.env in the state folder)`);
  return keyringOf(keys, indexKey);
}

/** The keyring of these keys, the first one active (the producer's worker thread rebuilds its copy with it). */
export function keyringOf(keys: readonly PiiKey[], indexKey: Buffer): PiiKeyring {
  const [active] = keys;
  if (active === undefined) throw new Error('a PII keyring needs at least one key');
  return { active, byId: new Map(keys.map((key) => [key.id, key])), indexKey };
}

/** A fresh key id (date and a random suffix) and key, and a fresh blind-index key. */
export function generateKeys(now = new Date()): { keyId: string; key: string; indexKey: string } {
  const keyId = `k${now.toISOString().slice(0, 10).replaceAll('-', '')}${randomBytes(2).toString('hex')}`;
  return { keyId, key: randomBytes(KEY_BYTES).toString('base64url'), indexKey: randomBytes(KEY_BYTES).toString('base64url') };
}
