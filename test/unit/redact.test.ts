import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, PII_ENV_FILE, SERVICES_ENV_FILE } from '../../pipeline/config/config.js';
import { redact, secretsOf } from '../../pipeline/errors/redact.js';
import { createLogger } from '../../pipeline/log/logger.js';
import { makeTempDir } from '../helpers/temp-dir.js';

describe('redact', () => {
  it('cuts the password out of any URL in a text, whatever the scheme', () => {
    expect(redact('failed: mongodb://piccha:s3cret@db:27017/x and http://u:p%40ss@ch:8123/', [])).toBe('failed: mongodb://piccha:***@db:27017/x and http://u:***@ch:8123/');
  });

  it('cuts every known secret out, also where a library quoted it without its URL', () => {
    const env = {
      MONGO_URL: 'mongodb://piccha:pa%24%24word@db/',
      CLICKHOUSE_URL: 'http://reader:ch-secret@ch:8123/',
      CLICKHOUSE_PASSWORD: 'other-secret',
      PICCHA_PII_KEYS: 'k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA,k0:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB',
    };
    const secrets = secretsOf(env);
    const text = 'user piccha password pa$$word (pa%24%24word), ch-secret, other-secret, key BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB';
    const cleaned = redact(text, secrets);
    for (const secret of ['pa$$word', 'pa%24%24word', 'ch-secret', 'other-secret', 'BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB']) expect(cleaned).not.toContain(secret);
    expect(cleaned).toContain('user piccha password ***');
  });

  it('also cuts the secrets that came from the state folder (services.env, pii.env) once the configuration has been read', () => {
    const state = makeTempDir('redact');
    try {
      const key = 'CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC';
      const indexKey = 'DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD';
      writeFileSync(join(state.path, PII_ENV_FILE), `PICCHA_PII_KEYS=k9:${key}\nPICCHA_PII_INDEX_KEY=${indexKey}\n`);
      writeFileSync(join(state.path, SERVICES_ENV_FILE), 'CLICKHOUSE_URL=http://127.0.0.1:1\nCLICKHOUSE_PASSWORD=from-services-env\n');
      const text = `keys ${key} ${indexKey}, password from-services-env`;
      const logPath = join(state.path, 'log.jsonl');
      const fd = openSync(logPath, 'w');
      try {
        // Made before the configuration is read: what it cuts out is looked up per line.
        const logger = createLogger('info', { fd, isTTY: false } as NodeJS.WriteStream & { fd: number });
        // Not in process.env: unknown until the configuration is read.
        expect(redact(text)).toBe(text);
        loadConfig({ PICCHA_STATE_DIR: state.path });
        expect(redact(text)).toBe('keys *** ***, password ***');
        logger.info({ detail: text }, `failed: ${text}`);
      } finally {
        closeSync(fd);
      }
      const logged = readFileSync(logPath, 'utf8');
      expect(logged).toContain('password ***');
      for (const secret of [key, indexKey, 'from-services-env']) expect(logged).not.toContain(secret);
    } finally {
      state.remove();
    }
  });
});
