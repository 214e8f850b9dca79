import { accessSync, constants, existsSync, mkdirSync, readdirSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UserError } from '../errors/user-error.js';

const codeOf = (error: unknown) => (error as NodeJS.ErrnoException).code ?? (error as Error).message;

/**
 * mkdir -p, one level at a time: Node's recursive mkdir loops forever where a parent exists but
 * refuses new entries with ENOENT (/proc/nope), and this reports that parent's error instead.
 */
function createFolder(dir: string): void {
  const missing: string[] = [];
  for (let path = dir; !existsSync(path); path = dirname(path)) {
    missing.unshift(path);
    if (dirname(path) === path) break;
  }
  for (const path of missing) mkdirSync(path);
}

/**
 * Makes `dir` ready for a run before anything is generated: created if missing, writable, and
 * empty, so that an earlier run's files never sit beside a new manifest. With `force`, what an
 * earlier run wrote (the names in `generated`) is removed; anything else makes it refuse, since
 * it is not generate's to delete.
 */
export function prepareOutputFolder(dir: string, generated: readonly string[], force: boolean): void {
  let isFolder = false;
  try {
    isFolder = statSync(dir).isDirectory();
    if (!isFolder) throw new UserError(`--out ${dir} exists and is not a folder`);
  } catch (error) {
    if (error instanceof UserError) throw error;
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new UserError(`--out ${dir}: cannot inspect it (${codeOf(error)})`, { cause: error });
  }
  if (!isFolder) {
    try {
      createFolder(resolve(dir));
    } catch (error) {
      throw new UserError(`--out ${dir}: cannot create the folder (${codeOf(error)})`, { cause: error });
    }
  }
  const entries = readdirSync(dir);
  if (entries.length > 0) {
    const foreign = entries.filter((name) => !generated.includes(name));
    if (!force) throw new UserError(`--out ${dir} is not empty (${entries.length} entries); use an empty folder, or --force to replace an earlier run's output`);
    if (foreign.length > 0) throw new UserError(`--out ${dir} holds files generate did not write (${foreign.slice(0, 5).join(', ')}${foreign.length > 5 ? ', …' : ''}); --force removes only an earlier run's output`);
    for (const name of entries) rmSync(join(dir, name), { recursive: true, force: true });
  }
  // A folder can exist and still refuse writes (read-only mounts, /proc): find out now, not mid-run.
  const probe = join(dir, `.piccha-write-check-${process.pid}`);
  try {
    accessSync(dir, constants.W_OK);
    writeFileSync(probe, '');
    unlinkSync(probe);
  } catch (error) {
    throw new UserError(`--out ${dir}: cannot write there (${codeOf(error)})`, { cause: error });
  }
}
