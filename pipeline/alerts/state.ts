import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

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
    const parsed = JSON.parse(readFileSync(this.path, 'utf8')) as Partial<AlertState>;
    return { rules: parsed.rules ?? {}, outbox: parsed.outbox ?? [] };
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
