import { execFile } from 'node:child_process';
import { copyFile, cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * What Go builds the launcher with: the local toolchain (a toolchain download is impossible
 * offline; fail with the local Go's own message instead), and no go.work from above the project.
 */
export function goBuildEnv(): NodeJS.ProcessEnv {
  return { ...process.env, GOTOOLCHAIN: 'local', GOWORK: 'off', CGO_ENABLED: '0' };
}

export interface ModulePatches {
  readonly module: string;
  readonly why: string;
  readonly edits: readonly { readonly file: string; readonly find: string; readonly replace: string }[];
}

export async function readPatches(file: string): Promise<ModulePatches> {
  return JSON.parse(await readFile(file, 'utf8')) as ModulePatches;
}

/** Where the module cache holds `module` at the version the launcher's go.mod pins, downloading it if need be. */
async function moduleDir(sourceDir: string, module: string, env: NodeJS.ProcessEnv): Promise<string> {
  let stdout: string;
  try {
    ({ stdout } = await run('go', ['mod', 'download', '-json', module], { cwd: sourceDir, env }));
  } catch (error) {
    // With -json, Go reports the reason on stdout as {"Error": …} and exits 1.
    stdout = (error as { stdout?: string }).stdout ?? '';
    const reason = (JSON.parse(stdout || '{}') as { Error?: string }).Error;
    throw new Error(`go mod download ${module}: ${reason ?? (error as Error).message}`, { cause: error });
  }
  const { Dir } = JSON.parse(stdout) as { Dir?: string };
  if (Dir === undefined) throw new Error(`go mod download ${module}: no directory in its answer`);
  return Dir;
}

/**
 * Copies the module the launcher requires (at the version its go.mod and go.sum pin) into
 * `workDir`, applies the edits, and writes a go.mod/go.sum pair that builds against the copy.
 * An edit whose text is not found exactly once fails the build: a version bump must look at it
 * again. Returns the go.mod to pass as `-modfile`.
 */
export async function patchedModFile(sourceDir: string, workDir: string, patches: ModulePatches, env: NodeJS.ProcessEnv): Promise<string> {
  const copy = join(workDir, 'module');
  await cp(await moduleDir(sourceDir, patches.module, env), copy, { recursive: true });
  // The module cache's files and folders are read-only, and the copy keeps their modes.
  await run('chmod', ['-R', 'u+w', copy]);
  for (const edit of patches.edits) {
    const file = join(copy, edit.file);
    const parts = (await readFile(file, 'utf8')).split(edit.find);
    if (parts.length !== 2) throw new Error(`patching ${patches.module}: ${edit.file} contains ${edit.find} ${parts.length - 1} times, not once`);
    await writeFile(file, parts.join(edit.replace));
  }
  const modFile = join(workDir, 'launcher.mod');
  // Quoted: the path may hold spaces.
  await writeFile(modFile, `${await readFile(join(sourceDir, 'go.mod'), 'utf8')}\nreplace ${patches.module} => ${JSON.stringify(copy)}\n`);
  // Go reads the checksums of a -modfile from the .sum beside it.
  await copyFile(join(sourceDir, 'go.sum'), join(workDir, 'launcher.sum'));
  return modFile;
}
