import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ModulePatches {
  readonly module: string;
  readonly why: string;
  readonly edits: readonly { readonly file: string; readonly find: string; readonly replace: string }[];
}

export function readPatches(file: string): ModulePatches {
  return JSON.parse(readFileSync(file, 'utf8')) as ModulePatches;
}

/**
 * Copies the module the launcher requires (at the version its go.mod and go.sum pin) into
 * `workDir`, applies the edits, and writes a go.mod/go.sum pair that builds against the copy.
 * An edit whose text is not found fails the build: a version bump must look at it again.
 * Returns the go.mod to pass as `-modfile`.
 */
export function patchedModFile(sourceDir: string, workDir: string, patches: ModulePatches, env: NodeJS.ProcessEnv): string {
  const downloaded = JSON.parse(execFileSync('go', ['mod', 'download', '-json', patches.module], { cwd: sourceDir, env, encoding: 'utf8' })) as { Dir?: string; Error?: string };
  if (downloaded.Dir === undefined) throw new Error(`go mod download ${patches.module}: ${downloaded.Error ?? 'no directory'}`);
  const copy = join(workDir, 'module');
  cpSync(downloaded.Dir, copy, { recursive: true });
  // The module cache's files and folders are read-only, and the copy keeps their modes.
  execFileSync('chmod', ['-R', 'u+w', copy]);
  for (const edit of patches.edits) {
    const file = join(copy, edit.file);
    const text = readFileSync(file, 'utf8');
    if (!text.includes(edit.find)) throw new Error(`patching ${patches.module}: ${edit.file} no longer contains ${edit.find}`);
    writeFileSync(file, text.replace(edit.find, edit.replace));
  }
  const modFile = join(workDir, 'launcher.mod');
  writeFileSync(modFile, `${readFileSync(join(sourceDir, 'go.mod'), 'utf8')}\nreplace ${patches.module} => ${copy}\n`);
  // Go reads the checksums of a -modfile from the .sum beside it.
  copyFileSync(join(sourceDir, 'go.sum'), join(workDir, 'launcher.sum'));
  return modFile;
}
