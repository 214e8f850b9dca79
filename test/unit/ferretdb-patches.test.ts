import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { patchedModFile, readPatches } from '../../infra/local/ferretdb/patched-module.js';
import { projectRoot } from '../../pipeline/config/project-root.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const launcherDir = join(projectRoot(), 'infra', 'local', 'ferretdb');
const env = { ...process.env, GOTOOLCHAIN: 'local' };

describe('the FerretDB module the launcher builds against', () => {
  it('is a copy of the pinned module with every edit of patches.json applied, and a go.mod that replaces the module with it', () => {
    const dir = makeTempDir('ferretdb-patch');
    const patches = readPatches(join(launcherDir, 'patches.json'));
    const modFile = patchedModFile(launcherDir, dir.path, patches, env);
    for (const edit of patches.edits) {
      const patched = readFileSync(join(dir.path, 'module', edit.file), 'utf8');
      expect(patched).toContain(edit.replace);
      expect(patched).not.toContain(edit.find);
    }
    expect(readFileSync(modFile, 'utf8')).toBe(`${readFileSync(join(launcherDir, 'go.mod'), 'utf8')}\nreplace ${patches.module} => ${join(dir.path, 'module')}\n`);
    expect(readFileSync(join(dir.path, 'launcher.sum'), 'utf8')).toBe(readFileSync(join(launcherDir, 'go.sum'), 'utf8'));
    dir.remove();
  });

  it('refuses an edit whose text the module does not contain, naming the file', () => {
    const dir = makeTempDir('ferretdb-patch');
    const patches = readPatches(join(launcherDir, 'patches.json'));
    const stale = { ...patches, edits: [{ file: 'internal/backends/sqlite/metadata/metadata.go', find: 'IDColumn = "not in this version"', replace: 'x' }] };
    expect(() => patchedModFile(launcherDir, dir.path, stale, env)).toThrow('internal/backends/sqlite/metadata/metadata.go no longer contains IDColumn = "not in this version"');
    dir.remove();
  });
});
