import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { UserError } from '../../pipeline/errors/user-error.js';
import { tryLockFile } from '../../pipeline/system/file-lock.js';

export class StateLockedError extends UserError {}

/**
 * Runs `body` holding the state folder's lock, so that two `services up` (or an `up` and a
 * `down`) never start or stop services on the same data directories at once. A second caller
 * waits up to `waitMs` for the first, then refuses with one line naming it. A lock whose holder
 * is gone is taken over (the rules are tryLockFile's).
 */
export async function withStateLock<T>(stateDir: string, what: string, waitMs: number, body: () => Promise<T>, onWait?: (holder: number) => void): Promise<T> {
  mkdirSync(stateDir, { recursive: true });
  const path = join(stateDir, 'services.lock');
  const deadline = performance.now() + waitMs;
  let told = false;
  for (;;) {
    const lock = tryLockFile(path);
    if (lock !== 'contended' && 'release' in lock) {
      try {
        return await body();
      } finally {
        lock.release();
      }
    }
    if (performance.now() > deadline) {
      throw new StateLockedError(
        lock === 'contended'
          ? `${what}: other \`piccha services\` commands kept taking over the stale lock of ${stateDir}; try again`
          : `${what}: another \`piccha services\` command (process ${lock.holder}) is still working on ${stateDir}; try again when it has finished`,
      );
    }
    if (lock !== 'contended' && !told) {
      onWait?.(lock.holder);
      told = true;
    }
    // 'contended' settles within milliseconds: one of the others holds the lock then.
    await sleep(lock === 'contended' ? 10 : 200);
  }
}
