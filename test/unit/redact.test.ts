import { describe, expect, it } from 'vitest';
import { redact, secretsOf } from '../../pipeline/errors/redact.js';

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
});
