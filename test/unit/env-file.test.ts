import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatEnvFile, readEnvFile } from '../../pipeline/config/env-file.js';
import { makeTempDir } from '../helpers/temp-dir.js';

describe('env files', () => {
  it('round-trips KEY=value lines under a comment header', () => {
    const dir = makeTempDir('env');
    const path = join(dir.path, 'services.env');
    writeFileSync(path, formatEnvFile('two lines\nof header', { KAFKA_BROKERS: '127.0.0.1:1', MONGO_URL: 'mongodb://h:2/?a=b' }));
    expect(readEnvFile(path)).toEqual({ KAFKA_BROKERS: '127.0.0.1:1', MONGO_URL: 'mongodb://h:2/?a=b' });
    dir.remove();
  });

  it('treats a missing file as empty and names a malformed line', () => {
    const dir = makeTempDir('env');
    expect(readEnvFile(join(dir.path, 'absent.env'))).toEqual({});
    const path = join(dir.path, 'bad.env');
    writeFileSync(path, 'A=1\nnot a pair\n');
    expect(() => readEnvFile(path)).toThrow(`${path}:2: expected KEY=value`);
    dir.remove();
  });

  it('names the file it cannot read (a folder where the file should be)', () => {
    const dir = makeTempDir('env');
    const path = join(dir.path, 'pii.env');
    mkdirSync(path);
    expect(() => readEnvFile(path)).toThrow(`cannot read ${path}: EISDIR`);
    dir.remove();
  });
});
