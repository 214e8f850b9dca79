import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cachedBuild } from '../../infra/local/build-cache.js';
import { makeTempDir } from '../helpers/temp-dir.js';

describe('cachedBuild', () => {
  it('builds once per content of its inputs, and again when they change', async () => {
    const dir = makeTempDir('cache');
    const input = join(dir.path, 'pom.xml');
    writeFileSync(input, 'v1');
    let builds = 0;
    const build = (out: string) => {
      builds += 1;
      writeFileSync(join(out, 'artifact'), readFileSync(input));
      return Promise.resolve();
    };
    const first = await cachedBuild(join(dir.path, 'cache'), 'kafka', [input], build);
    const again = await cachedBuild(join(dir.path, 'cache'), 'kafka', [input], build);
    writeFileSync(input, 'v2');
    const changed = await cachedBuild(join(dir.path, 'cache'), 'kafka', [input], build);
    expect(again).toBe(first);
    expect(changed).not.toBe(first);
    expect(builds).toBe(2);
    expect(readFileSync(join(changed, 'artifact'), 'utf8')).toBe('v2');
    dir.remove();
  });

  it('leaves nothing behind when the build fails', async () => {
    const dir = makeTempDir('cache');
    const input = join(dir.path, 'main.go');
    writeFileSync(input, 'package main');
    const cache = join(dir.path, 'cache');
    await expect(cachedBuild(cache, 'ferretdb', [input], () => Promise.reject(new Error('go build failed')))).rejects.toThrow('go build failed');
    expect(existsSync(cache) ? readdirSync(cache) : []).toEqual([]);
    dir.remove();
  });
});
