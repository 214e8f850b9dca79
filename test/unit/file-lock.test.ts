import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { StateLockedError, withStateLock } from '../../infra/local/state-lock.js';
import { AlertStateFile } from '../../pipeline/alerts/state.js';
import { projectRoot } from '../../pipeline/config/project-root.js';
import { tryLockFile, type LockAttempt } from '../../pipeline/system/file-lock.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const dir = makeTempDir('file-lock');
afterAll(() => dir.remove());

let cases = 0;
/** A fresh, empty folder for one case. */
function folder(): string {
  const path = join(dir.path, `case-${++cases}`);
  mkdirSync(path);
  return path;
}

/** A lock path in a fresh folder. */
const lockPath = () => join(folder(), 'the.lock');

/** The release of a lock that was taken; fails the test otherwise. */
function taken(attempt: LockAttempt): () => void {
  if (attempt === 'contended' || !('release' in attempt)) throw new Error(`not taken: ${JSON.stringify(attempt)}`);
  return attempt.release;
}

/** The pid a lock names, in this version's form or as a bare pid. */
function holderPid(lock: string): number | undefined {
  const content = readFileSync(lock, 'utf8');
  return /^\d+$/.test(content) ? Number(content) : (JSON.parse(content) as { pid?: number }).pid;
}

/** The pid of a process that has run and exited. */
async function deadPid(): Promise<number> {
  const child = spawn('true', { stdio: 'ignore' });
  await new Promise((resolve) => child.once('exit', resolve));
  expect(child.pid).toBeGreaterThan(0);
  return child.pid ?? 0;
}

/** A process that stays alive until killed. */
function sleeper(): { pid: number; kill: () => void } {
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  return { pid: child.pid ?? 0, kill: () => child.kill('SIGKILL') };
}

/** Clock ticks after boot at which the process started (Linux), as `ps` reads it. */
const startOf = (pid: number) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[19];

/** The claim on a stale lock file, named as file-lock.ts names it: the file's inode and content. */
const claimOf = (lock: string) => `${lock}.${statSync(lock, { bigint: true }).ino.toString(36)}-${createHash('sha256').update(readFileSync(lock)).digest('hex').slice(0, 16)}`;

describe('a lock file', () => {
  it('has one holder at a time, and is free again once released', () => {
    const lock = lockPath();
    const release = taken(tryLockFile(lock));
    expect(tryLockFile(lock)).toEqual({ holder: process.pid });
    release();
    expect(existsSync(lock)).toBe(false);
    taken(tryLockFile(lock))();
  });

  it('takes over a lock naming this process that this process does not hold (a restarted PID 1)', () => {
    for (const content of [String(process.pid), JSON.stringify({ pid: process.pid, start: startOf(process.pid) ?? null, token: 'an earlier run' })]) {
      const lock = lockPath();
      writeFileSync(lock, content);
      const release = taken(tryLockFile(lock));
      expect(readFileSync(lock, 'utf8'), content).not.toBe(content);
      expect(holderPid(lock)).toBe(process.pid);
      release();
      expect(existsSync(lock)).toBe(false);
    }
  });

  it('takes over a lock of a process that has exited', async () => {
    const pid = await deadPid();
    for (const content of [String(pid), JSON.stringify({ pid, start: '1', token: 'dead' })]) {
      const lock = lockPath();
      writeFileSync(lock, content);
      taken(tryLockFile(lock));
      expect(holderPid(lock), content).toBe(process.pid);
    }
  });

  it.runIf(existsSync('/proc/self/stat'))('takes over a lock whose pid now belongs to a process that started later, and respects the one that holds it', () => {
    const other = sleeper();
    try {
      const reused = lockPath();
      writeFileSync(reused, JSON.stringify({ pid: other.pid, start: '1', token: 'before a reboot' }));
      taken(tryLockFile(reused));
      expect(holderPid(reused)).toBe(process.pid);

      const held = lockPath();
      writeFileSync(held, JSON.stringify({ pid: other.pid, start: startOf(other.pid), token: 'alive' }));
      expect(tryLockFile(held)).toEqual({ holder: other.pid });
    } finally {
      other.kill();
    }
  });

  it('waits for an empty lock to be written instead of taking it', async () => {
    const lock = lockPath();
    // A writer that creates the lock and writes its pid a moment later, as earlier versions did.
    const writer = spawn(process.execPath, ['-e', `
      const fs = require('node:fs');
      fs.closeSync(fs.openSync(process.argv[1], 'wx'));
      console.log('created');
      setTimeout(() => fs.writeFileSync(process.argv[1], String(process.pid)), 300);
      setTimeout(() => {}, 60000);
    `, lock], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise((resolve) => writer.stdout.once('data', resolve));
      expect(readFileSync(lock, 'utf8')).toBe('');
      expect(tryLockFile(lock)).toEqual({ holder: writer.pid });
      expect(readFileSync(lock, 'utf8')).toBe(String(writer.pid));
    } finally {
      writer.kill('SIGKILL');
    }
  });

  it('takes over an empty lock that stays empty (its writer died before writing), after a short wait', () => {
    const lock = lockPath();
    writeFileSync(lock, '');
    const started = performance.now();
    taken(tryLockFile(lock));
    expect(performance.now() - started).toBeGreaterThanOrEqual(500);
    expect(holderPid(lock)).toBe(process.pid);
  });

  it('takes over a stale lock whose previous claimant died before replacing it', async () => {
    const lock = lockPath();
    const pid = await deadPid();
    writeFileSync(lock, JSON.stringify({ pid, start: '1', token: 'dead holder' }));
    writeFileSync(claimOf(lock), JSON.stringify({ pid, start: '1', token: 'dead claimant' }));
    const release = taken(tryLockFile(lock));
    expect(holderPid(lock)).toBe(process.pid);
    expect(readdirSync(dirname(lock))).toEqual(['the.lock']);
    release();
  });

  it.runIf(existsSync('/proc/self/stat'))('says contended, and leaves the lock alone, while a live process replaces a stale lock', async () => {
    const lock = lockPath();
    const stale = JSON.stringify({ pid: await deadPid(), start: '1', token: 'dead holder' });
    writeFileSync(lock, stale);
    const claimant = sleeper();
    try {
      writeFileSync(claimOf(lock), JSON.stringify({ pid: claimant.pid, start: startOf(claimant.pid), token: 'replacing it' }));
      expect(tryLockFile(lock)).toBe('contended');
      expect(readFileSync(lock, 'utf8')).toBe(stale);
    } finally {
      claimant.kill();
    }
  });

  it('leaves a lock that another process took over when released', () => {
    const lock = lockPath();
    const release = taken(tryLockFile(lock));
    const theirs = JSON.stringify({ pid: 2147483646, start: '1', token: 'theirs' });
    writeFileSync(lock, theirs);
    release();
    expect(readFileSync(lock, 'utf8')).toBe(theirs);
  });
});

type Contender = ChildProcessByStdio<Writable, Readable, null>;

describe('a lock file under contention', () => {
  const CONTENDERS = 4;
  const ROUNDS = 15;

  it(`admits exactly one of ${CONTENDERS} processes that try at the same moment, whatever lock they find`, async () => {
    const lock = lockPath();
    const dead = await deadPid();
    const live = sleeper();
    // What each round starts from: no lock, locks of an exited process, of a reused pid, an empty one.
    const starts: Record<string, string | undefined> = {
      none: undefined,
      dead: JSON.stringify({ pid: dead, start: '1', token: 'dead' }),
      'dead, bare pid': String(dead),
      'reused pid': JSON.stringify({ pid: live.pid, start: '1', token: 'reused' }),
      empty: '',
    };
    const kinds = Object.keys(starts);
    const contenders: Contender[] = Array.from({ length: CONTENDERS }, () =>
      spawn(process.execPath, ['--import', 'tsx', join(projectRoot(), 'test', 'helpers', 'file-lock-contender.ts'), lock], { cwd: projectRoot(), stdio: ['pipe', 'pipe', 'inherit'] }),
    );
    const lines = contenders.map((child) => createInterface({ input: child.stdout })[Symbol.asyncIterator]());
    const answer = async (index: number): Promise<string[]> => {
      const next = await lines[index]?.next();
      if (next === undefined || next.done === true) throw new Error(`contender ${index} ended`);
      return next.value.split(' ');
    };
    try {
      const outcomes: string[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const kind = kinds[round % kinds.length] ?? 'none';
        const start = starts[kind];
        if (start !== undefined) writeFileSync(lock, start);
        // Far enough ahead for every contender to be spinning when it comes.
        const at = Date.now() + 400;
        for (const child of contenders) child.stdin.write(`go ${round} ${at}\n`);
        const answers = await Promise.all(contenders.map((_, index) => answer(index)));
        for (const [, outcome, detail] of answers) expect(outcome, `round ${round} (${kind}): ${detail}`).not.toBe('failed');
        const winners = answers.filter(([, outcome]) => outcome === 'won').map(([, , pid]) => Number(pid));
        outcomes.push(`${kind}: ${winners.length} won`);
        expect(winners, `round ${round} (${kind}) winners`).toHaveLength(1);
        expect(holderPid(lock), `round ${round} (${kind}): the lock names its winner`).toBe(winners[0]);
        for (const child of contenders) child.stdin.write(`release ${round}\n`);
        await Promise.all(contenders.map((_, index) => answer(index)));
        expect(existsSync(lock), `round ${round}: released`).toBe(false);
      }
      expect(outcomes).toEqual(Array.from({ length: ROUNDS }, (_, round) => `${kinds[round % kinds.length]}: 1 won`));
      // Claims and temporary files are gone.
      expect(readdirSync(dirname(lock))).toEqual([]);
    } finally {
      for (const child of contenders) child.kill('SIGKILL');
      live.kill();
    }
  }, 120_000);
});

describe('the users of a lock file', () => {
  it('AlertStateFile.lock refuses at once while another holds the state, naming it', () => {
    const state = join(folder(), 'state.json');
    const release = new AlertStateFile(state).lock();
    const started = performance.now();
    expect(() => new AlertStateFile(state).lock()).toThrow(new RegExp(`^another alert evaluator \\(\`alerts check\` or \`demo\`, process ${process.pid}\\) is using .*state\\.json$`));
    expect(performance.now() - started).toBeLessThan(500);
    release();
    expect(existsSync(`${state}.lock`)).toBe(false);
    new AlertStateFile(state).lock()();
  });

  it('withStateLock waits for a live holder, telling once, then refuses with one line', async () => {
    const stateDir = folder();
    const holder = sleeper();
    try {
      // A bare pid, as earlier versions wrote services.lock.
      writeFileSync(join(stateDir, 'services.lock'), `${holder.pid}\n`);
      const told: number[] = [];
      let ran = false;
      const started = performance.now();
      const refused = withStateLock(stateDir, 'services up', 600, () => {
        ran = true;
        return Promise.resolve();
      }, (pid) => told.push(pid));
      await expect(refused).rejects.toThrow(new StateLockedError(`services up: another \`piccha services\` command (process ${holder.pid}) is still working on ${stateDir}; try again when it has finished`));
      expect(performance.now() - started).toBeGreaterThanOrEqual(600);
      expect(told).toEqual([holder.pid]);
      expect(ran).toBe(false);
    } finally {
      holder.kill();
    }
  });

  it('withStateLock runs its body once the holder lets go, and releases the lock after it', async () => {
    const stateDir = folder();
    const lock = join(stateDir, 'services.lock');
    const release = taken(tryLockFile(lock));
    setTimeout(release, 300);
    const told: number[] = [];
    const result = await withStateLock(stateDir, 'services down', 10_000, () => Promise.resolve(holderPid(lock)), (pid) => told.push(pid));
    expect(result).toBe(process.pid);
    expect(told).toEqual([process.pid]);
    expect(existsSync(lock)).toBe(false);
  });
});
