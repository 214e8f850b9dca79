import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { goBuildEnv, patchedModFile, readPatches } from '../../infra/local/ferretdb/patched-module.js';
import { projectRoot } from '../../pipeline/config/project-root.js';
import { makeTempDir } from '../helpers/temp-dir.js';

// Go and its module cache (or the module proxy, on a cold cache) are needed, as for the service's own build.
const launcherDir = join(projectRoot(), 'infra', 'local', 'ferretdb');
const env = goBuildEnv();

async function withTempDir(work: (path: string) => Promise<void>): Promise<void> {
  const dir = makeTempDir('ferretdb patch');
  try {
    await work(dir.path);
  } finally {
    dir.remove();
  }
}

describe('the FerretDB module the launcher builds against', () => {
  it('is a copy of the pinned module with every edit of patches.json applied, and a go.mod that replaces the module with it', async () => {
    await withTempDir(async (path) => {
      const patches = await readPatches(join(launcherDir, 'patches.json'));
      const modFile = await patchedModFile(launcherDir, path, patches, env);
      for (const edit of patches.edits) {
        const patched = readFileSync(join(path, 'module', edit.file), 'utf8');
        expect(patched).toContain(edit.replace);
        expect(patched).not.toContain(edit.find);
      }
      // The temporary folder's name holds a space: the replace directive must quote it.
      expect(readFileSync(modFile, 'utf8')).toBe(`${readFileSync(join(launcherDir, 'go.mod'), 'utf8')}\nreplace ${patches.module} => "${join(path, 'module')}"\n`);
      expect(readFileSync(join(path, 'launcher.sum'), 'utf8')).toBe(readFileSync(join(launcherDir, 'go.sum'), 'utf8'));
    });
  }, 120_000);

  it('refuses an edit whose text the module does not contain once, naming the file', async () => {
    await withTempDir(async (path) => {
      const patches = await readPatches(join(launcherDir, 'patches.json'));
      const stale = { ...patches, edits: [{ file: 'internal/backends/sqlite/metadata/metadata.go', find: 'IDColumn = "not in this version"', replace: 'x' }] };
      await expect(patchedModFile(launcherDir, path, stale, env)).rejects.toThrow('internal/backends/sqlite/metadata/metadata.go contains IDColumn = "not in this version" 0 times, not once');
    });
  }, 120_000);

  it('names the module and Go\'s reason when the module cannot be downloaded', async () => {
    await withTempDir(async (path) => {
      const patches = await readPatches(join(launcherDir, 'patches.json'));
      await expect(patchedModFile(launcherDir, path, { ...patches, module: 'example.invalid/not-required' }, env)).rejects.toThrow(/^go mod download example\.invalid\/not-required: .+/);
    });
  }, 120_000);
});
