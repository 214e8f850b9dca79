import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { UserError } from '../../pipeline/errors/user-error.js';

export class StateLockedError extends UserError {}

function holderOf(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

/**
 * Runs `body` holding the state folder's lock, so that two `services up` (or an `up` and a
 * `down`) never start or stop services on the same data directories at once. A second caller
 * waits up to `waitMs` for the first, then refuses with one line naming it. A lock left by a
 * process that no longer runs is taken over.
 */
export async function withStateLock<T>(stateDir: string, what: string, waitMs: number, body: () => Promise<T>, onWait?: (holder: number) => void): Promise<T> {
  mkdirSync(stateDir, { recursive: true });
  const path = join(stateDir, 'services.lock');
  const deadline = Date.now() + waitMs;
  let told = false;
  for (;;) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = holderOf(path);
    if (holder === undefined) {
      // Its writer died (or is between creating and writing it: then its pid shows up at once).
      await sleep(50);
      if (holderOf(path) === undefined) rmSync(path, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new StateLockedError(`${what}: another \`piccha services\` command (process ${holder}) is still working on ${stateDir}; try again when it has finished`);
    }
    if (!told) onWait?.(holder);
    told = true;
    await sleep(200);
  }
  try {
    return await body();
  } finally {
    rmSync(path, { force: true });
  }
}
