import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';

/**
 * Returns the cache folder for a build of `inputs`, running `build` into it only when no
 * finished build of the same inputs exists. The folder's name carries a hash of the inputs,
 * so editing a pom or a Go file rebuilds; a build that fails leaves nothing behind.
 */
export async function cachedBuild(cacheDir: string, name: string, inputs: readonly string[], build: (outDir: string) => Promise<void>): Promise<string> {
  const hash = createHash('sha256');
  for (const input of inputs) hash.update(basename(input)).update('\0').update(readFileSync(input)).update('\0');
  const target = join(cacheDir, `${name}-${hash.digest('hex').slice(0, 16)}`);
  if (existsSync(target)) return target;
  mkdirSync(cacheDir, { recursive: true });
  const partial = `${target}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial);
  try {
    await build(partial);
    if (existsSync(target)) rmSync(partial, { recursive: true, force: true });
    else renameSync(partial, target);
  } catch (error) {
    rmSync(partial, { recursive: true, force: true });
    throw error;
  }
  return target;
}
