import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { UserError } from '../errors/user-error.js';
import { dirname } from 'node:path';
import { processAlive } from '../system/processes.js';

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
   * A lock left by a process that no longer runs is taken over.
   */
  lock(): () => void {
    mkdirSync(dirname(this.path), { recursive: true });
    const lockPath = `${this.path}.lock`;
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(lockPath, 'wx', 0o600);
        writeSync(fd, String(process.pid));
        closeSync(fd);
        return () => rmSync(lockPath, { force: true });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const holder = Number(readFileSync(lockPath, 'utf8'));
        if (Number.isInteger(holder) && holder > 0 && processAlive(holder)) throw new UserError(`another alerts check (process ${holder}) is using ${this.path}`);
        rmSync(lockPath, { force: true });
      }
    }
    throw new UserError(`could not lock ${this.path}`);
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
