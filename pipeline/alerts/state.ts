import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { UserError } from '../errors/user-error.js';
import { dirname } from 'node:path';
import { pauseSync, tryLockFile } from '../system/file-lock.js';

export type InstanceStatus = 'pending' | 'firing';

export interface InstanceState {
  readonly status: InstanceStatus;
  /** When the condition started to hold (ISO). */
  readonly since: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number | null;
}

/** A message decided but not yet delivered; kept until Telegram took it. */
export interface PendingNotification {
  readonly ruleUid: string;
  readonly kind: 'firing' | 'resolved';
  readonly text: string;
  readonly decidedAt: string;
}

export interface AlertState {
  /** Rule uid → instance key → state. */
  readonly rules: Record<string, Record<string, InstanceState>>;
  readonly outbox: PendingNotification[];
}

const EMPTY: AlertState = { rules: {}, outbox: [] };

/** How long lock() keeps trying while other processes are replacing a stale lock. */
const TAKE_OVER_MS = 5000;

/** The evaluator's state on disk: read at start, replaced atomically (write, fsync, rename) after each change. */
export class AlertStateFile {
  constructor(readonly path: string) {}

  read(): AlertState {
    if (!existsSync(this.path)) return structuredClone(EMPTY);
    let parsed: Partial<AlertState>;
    try {
      parsed = JSON.parse(readFileSync(this.path, 'utf8')) as Partial<AlertState>;
    } catch (error) {
      throw new UserError(`alert state ${this.path} is not readable JSON (${error instanceof Error ? error.message : String(error)}); move it away to start from no alerts`);
    }
    return { rules: parsed.rules ?? {}, outbox: parsed.outbox ?? [] };
  }

  /**
   * Holds the state for this process: two evaluators on one state would both send every change.
   * A lock left by a process that no longer runs is taken over, as is one that names this
   * process's own pid without being held here (a restarted container's evaluator is PID 1 again).
   */
  lock(): () => void {
    mkdirSync(dirname(this.path), { recursive: true });
    const deadline = performance.now() + TAKE_OVER_MS;
    for (;;) {
      const lock = tryLockFile(`${this.path}.lock`);
      if (lock !== 'contended') {
        if ('release' in lock) return lock.release;
        throw new UserError(`another alert evaluator (\`alerts check\` or \`demo\`, process ${lock.holder}) is using ${this.path}`);
      }
      if (performance.now() > deadline) throw new UserError(`could not lock ${this.path}: other alert evaluators kept taking over its stale lock for ${TAKE_OVER_MS / 1000} s`);
      // Synchronous like the rest of the evaluator's start: contention lasts milliseconds.
      pauseSync(10);
    }
  }

  write(state: AlertState): void {
    mkdirSync(dirname(this.path), { recursive: true });
    const temporary = `${this.path}.${process.pid}.tmp`;
    const fd = openSync(temporary, 'w', 0o600);
    try {
      writeSync(fd, `${JSON.stringify(state, null, 2)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, this.path);
  }
}
