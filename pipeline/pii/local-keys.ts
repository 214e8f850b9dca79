import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PII_ENV_FILE } from '../config/config.js';
import { formatEnvFile } from '../config/env-file.js';
import { generateKeys, INDEX_KEY_VARIABLE, KEYS_VARIABLE } from './keys.js';

/**
 * For the local mode only: when no PII keys are configured, creates them once in the state
 * folder's pii.env, readable by its owner alone, where the configuration finds them. Nothing
 * is printed. Returns the file when it was created.
 */
export function ensureLocalPiiKeys(stateDir: string, configured: { PICCHA_PII_KEYS?: string; PICCHA_PII_INDEX_KEY?: string }): string | undefined {
  const file = join(stateDir, PII_ENV_FILE);
  if ((configured.PICCHA_PII_KEYS ?? '') !== '' || (configured.PICCHA_PII_INDEX_KEY ?? '') !== '' || existsSync(file)) return undefined;
  const keys = generateKeys();
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(
    file,
    formatEnvFile('Local-mode PII keys, created by `piccha demo`. Secret: keep them, or old messages cannot be decrypted.', {
      [KEYS_VARIABLE]: `${keys.keyId}:${keys.key}`,
      [INDEX_KEY_VARIABLE]: keys.indexKey,
    }),
    { mode: 0o600 },
  );
  return file;
}
