import { createHash, randomUUID } from 'node:crypto';
import { closeSync, fstatSync, fsyncSync, linkSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { processAlive, startTimeOf } from './processes.js';

/**
 * What tryLockFile got: the lock (`release` lets it go), the pid of the live process that holds
 * it, or 'contended' when other processes are replacing a stale lock right now (try again soon).
 */
export type LockAttempt = { readonly release: () => void } | { readonly holder: number } | 'contended';

/** How long an empty or unparsable lock may stay so before it counts as left by a writer that died. */
const SETTLE_MS = 1000;

/** The tokens of the locks this process holds now. */
const heldHere = new Set<string>();

/**
 * Takes the lock file `path` (an exclusive lock between processes on this host) unless a live
 * process holds it. It holds {pid, start, token}. A holder counts as gone when its pid no longer
 * runs, runs a process that started at another time (the pid was reused), or is this process's
 * own pid without being held here (a restarted container's PID 1): its lock is taken over.
 * An empty or unparsable lock is waited for up to SETTLE_MS (blocking) before it counts as gone.
 */
export function tryLockFile(path: string): LockAttempt {
  const token = randomUUID();
  const taken = take(path, JSON.stringify({ pid: process.pid, start: startTimeOf(process.pid) ?? null, token }));
  if (taken === 'contended') return 'contended';
  if (taken !== 'taken') return { holder: taken.pid };
  heldHere.add(token);
  return {
    release: () => {
      if (!heldHere.delete(token)) return;
      // Only our own lock: one taken over by another process (it judged us dead) is theirs now.
      if (readEntry(path)?.holder?.token === token) rmSync(path, { force: true });
    },
  };
}

/** Blocks this thread for `ms`: for a synchronous caller's wait before it tries again after 'contended'. */
export function pauseSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

interface Holder {
  readonly pid: number;
  /** The process's start time (Linux: clock ticks after boot, /proc/<pid>/stat), which a reused pid does not share. */
  readonly start?: string;
  readonly token?: string;
}

interface Entry {
  /** Names this very file: its inode and content. */
  readonly id: string;
  /** Undefined when the file holds no holder (yet). */
  readonly holder: Holder | undefined;
}

function parseHolder(raw: string): Holder | undefined {
  // A bare pid is what earlier versions wrote.
  const text = raw.trim();
  if (/^\d+$/.test(text)) return Number.isSafeInteger(Number(text)) && Number(text) > 0 ? { pid: Number(text) } : undefined;
  try {
    const parsed = JSON.parse(text) as { pid?: unknown; start?: unknown; token?: unknown };
    if (typeof parsed.pid !== 'number' || !Number.isSafeInteger(parsed.pid) || parsed.pid <= 0 || typeof parsed.token !== 'string') return undefined;
    return { pid: parsed.pid, token: parsed.token, ...(typeof parsed.start === 'string' ? { start: parsed.start } : {}) };
  } catch {
    return undefined;
  }
}

/** The file as it is now, or undefined when there is none. */
function readEntry(path: string): Entry | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const raw = readFileSync(fd, 'utf8');
    const id = `${fstatSync(fd, { bigint: true }).ino.toString(36)}-${createHash('sha256').update(raw).digest('hex').slice(0, 16)}`;
    return { id, holder: parseHolder(raw) };
  } finally {
    closeSync(fd);
  }
}

/** Like readEntry, but an empty or unparsable file is watched for a while: its writer may be at work. */
function settledEntry(path: string): Entry | undefined {
  let entry = readEntry(path);
  const deadline = performance.now() + SETTLE_MS;
  while (entry !== undefined && entry.holder === undefined && performance.now() < deadline) {
    pauseSync(25);
    entry = readEntry(path);
  }
  return entry;
}

function holderAlive(holder: Holder): boolean {
  if (holder.pid === process.pid) return holder.token !== undefined && heldHere.has(holder.token);
  if (!processAlive(holder.pid)) return false;
  const start = holder.start === undefined ? undefined : startTimeOf(holder.pid);
  return start === undefined || start === holder.start;
}

/** A new file beside `path` holding `content`, complete and on disk before anything links to it. */
function prepared(path: string, content: string): string {
  const temporary = `${path}.${randomUUID()}.tmp`;
  const fd = openSync(temporary, 'wx', 0o600);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return temporary;
}

/**
 * Puts `content` at `path` unless a live holder has it. A file appears there only whole (link
 * of a written file, which fails if one exists). A stale file is replaced (rename over it) only
 * by the contender that first claimed that very file, by taking `<path>.<its id>` the same way;
 * so no two contenders both replace it, and `path` never goes missing while they try.
 * 'contended': another live contender is replacing it now.
 */
function take(path: string, content: string): 'taken' | 'contended' | Holder {
  for (;;) {
    const temporary = prepared(path, content);
    try {
      linkSync(temporary, path);
      return 'taken';
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      rmSync(temporary, { force: true });
    }
    const seen = settledEntry(path);
    if (seen === undefined) continue;
    // No holder even after SETTLE_MS: its writer died between creating and writing it.
    if (seen.holder !== undefined && holderAlive(seen.holder)) return seen.holder;
    const claim = `${path}.${seen.id}`;
    if (take(claim, content) !== 'taken') return 'contended';
    try {
      // Unchanged since it was judged: nobody else may replace it while we hold the claim.
      if (readEntry(path)?.id === seen.id) {
        renameSync(prepared(path, content), path);
        return 'taken';
      }
    } finally {
      rmSync(claim, { force: true });
    }
  }
}
