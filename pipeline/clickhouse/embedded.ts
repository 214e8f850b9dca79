import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Session } from 'chdb';
import { UserError } from '../errors/user-error.js';
import { isZombie } from '../system/processes.js';
import {
  assertColumnNames,
  assertTableName,
  parseJsonEachRow,
  SHARED_SETTINGS,
  toJsonCompactEachRow,
  toJsonEachRow,
  type BinaryRows,
  type ClickHouse,
  type CompactRows,
  type InsertSettings,
  type QueryParams,
  type Row,
} from './clickhouse.js';
import { makeFifo, openFifoWriter } from './fifo.js';
import { sqlString } from './statements.js';

export class DataDirectoryInUseError extends UserError {}

const STREAMING_REFUSED = /Streaming query is not supported/;
const SETTING_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function assertSettingName(name: string): string {
  if (!SETTING_NAME.test(name)) throw new Error(`not a setting name: ${JSON.stringify(name)}`);
  return name;
}

const settingValue = (value: string | number | boolean) => (typeof value === 'string' ? sqlString(value) : typeof value === 'boolean' ? (value ? '1' : '0') : String(value));
/** Faster than Buffer.from for a large body (SIMD on Node ≥ 20); the engine takes a Uint8Array as it is. */
const UTF8 = new TextEncoder();

/**
 * The live process, other than this one, that holds the data directory. ClickHouse writes its
 * process id into `status` and removes the file on a clean exit; after a crash the file stays,
 * with the id of a process that no longer runs, or of a zombie its parent has not reaped yet.
 */
function holderOf(dataPath: string): number | undefined {
  const status = join(dataPath, 'status');
  if (!existsSync(status)) return undefined;
  const pid = Number(/PID:\s*(\d+)/.exec(readFileSync(status, 'utf8'))?.[1]);
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return undefined;
  try {
    process.kill(pid, 0);
  } catch {
    return undefined;
  }
  return isZombie(pid) ? undefined : pid;
}

function inUse(dataPath: string, holder: number | undefined, cause?: unknown): DataDirectoryInUseError {
  return new DataDirectoryInUseError(
    `embedded ClickHouse data directory ${dataPath} is in use by ${holder === undefined ? 'another process' : `process ${holder}`}; ` +
      'stop it (one process may open a data directory at a time) or set CLICKHOUSE_URL to use a server',
    { cause },
  );
}

/**
 * Opens the engine on a data directory no other process holds, with `settings` as this
 * connection's defaults; the one-line refusal names the holder.
 */
export function openEngineSession(dataPath: string, settings: Readonly<Record<string, string | number>>): Session {
  mkdirSync(dataPath, { recursive: true });
  // Checked first: the engine's own refusal is a vague error plus a line it prints to stderr itself.
  const holder = holderOf(dataPath);
  if (holder !== undefined) throw inUse(dataPath, holder);
  const connectionArgs = Object.entries(settings).map(([name, value]) => `--${name}=${value}`);
  try {
    return new Session(dataPath, { connectionArgs });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (message.includes('only one active data directory per process')) {
      throw new DataDirectoryInUseError(`this process already has another embedded ClickHouse data directory open: ${message}`, { cause: error });
    }
    if (message.includes('Cannot lock file') || message.includes('Failed to create connection')) throw inUse(dataPath, holderOf(dataPath), error);
    throw error;
  }
}

/** ClickHouse's engine in this process (chdb), on a data directory only this process may open. */
export class EmbeddedClickHouse implements ClickHouse {
  readonly description: string;
  private readonly session: Session;
  /** The folder of this instance's FIFOs (made with the first), and those no insert is using. */
  private fifoFolder: Promise<string> | undefined;
  private readonly idleFifos: string[] = [];
  private fifoCount = 0;

  constructor(readonly dataPath: string) {
    this.session = openEngineSession(dataPath, SHARED_SETTINGS);
    this.description = `embedded ClickHouse at ${dataPath}`;
  }

  async exec(sql: string, params: QueryParams = {}): Promise<void> {
    await this.session.queryBindAsync(sql, params, { format: 'Null' });
  }

  async query<T extends Row = Row>(sql: string, params: QueryParams = {}): Promise<T[]> {
    const result = await this.session.queryBindAsync(sql, params, { format: 'JSONEachRow' });
    return parseJsonEachRow<T>(result.text());
  }

  async insert(table: string, rows: readonly Row[], settings: InsertSettings = {}): Promise<void> {
    assertTableName(table);
    if (rows.length === 0) return;
    const compact = toJsonCompactEachRow(rows);
    if (compact !== undefined) await this.insertCompact(table, compact, settings);
    else await this.session.insert({ table, values: Buffer.from(toJsonEachRow(rows)), format: 'JSONEachRow', settings: { ...settings } });
  }

  async insertCompact(table: string, rows: CompactRows, settings: InsertSettings = {}): Promise<void> {
    assertTableName(table);
    assertColumnNames(rows.columns);
    if (rows.body === '') return;
    await this.session.insert({ table, values: UTF8.encode(rows.body), format: 'JSONCompactEachRow', columns: [...rows.columns], settings: { ...settings } });
  }

  /**
   * The engine's insert API takes text formats only, so the rows go through a FIFO of this
   * process's own, read by `FROM INFILE` (as the local service does), never through a file: a
   * message's bytes may hold what should not rest on disk (plaintext a hostile producer sent,
   * which the views scrub), and a process killed mid-insert leaves only empty pipes behind.
   * The pipes are kept for the next inserts (making one costs a process) and go with close().
   */
  async insertRowBinary(table: string, rows: BinaryRows, settings: InsertSettings = {}): Promise<void> {
    assertTableName(table);
    assertColumnNames(rows.columns);
    if (rows.body.length === 0) return;
    const fifo = await this.takeFifo();
    // Another insert may use the pipe once both its ends are closed: once the statement has
    // ended, having opened it or not. A pipe whose writing end could not be opened is not.
    let reusable = false;
    try {
      const applied = Object.entries(settings).map(([name, value]) => `${assertSettingName(name)} = ${settingValue(value)}`);
      const settingsClause = applied.length > 0 ? ` SETTINGS ${applied.join(', ')}` : '';
      let finished = false;
      // The engine runs the statement off the event loop, which meanwhile feeds the pipe.
      const running = this.session.queryAsync(`INSERT INTO ${table} (${rows.columns.join(', ')}) FROM INFILE ${sqlString(fifo)}${settingsClause} FORMAT RowBinary`, { format: 'Null' }).finally(() => {
        finished = true;
      });
      // Observed below, possibly only after the rows are written: an early failure must not count as unhandled.
      running.catch(() => undefined);
      const writer = await openFifoWriter(fifo, () => finished);
      reusable = true;
      if (writer !== undefined) {
        // The engine closing its end early (bad data) shows here as EPIPE; its own error says why.
        await new Promise<void>((resolve) => {
          writer.once('error', () => resolve());
          writer.end(rows.body, () => resolve());
        });
        writer.destroy();
      }
      await running;
    } finally {
      if (reusable) this.idleFifos.push(fifo);
      else await rm(fifo, { force: true });
    }
  }

  private async takeFifo(): Promise<string> {
    const idle = this.idleFifos.pop();
    if (idle !== undefined) return idle;
    this.fifoFolder ??= mkdtemp(join(tmpdir(), 'piccha-insert-'));
    const fifo = join(await this.fifoFolder, `rows-${(this.fifoCount += 1)}`);
    await makeFifo(fifo);
    return fifo;
  }

  async close(): Promise<void> {
    this.session.close();
    if (this.fifoFolder !== undefined) await rm(await this.fifoFolder, { recursive: true, force: true });
  }

  async *queryBatches<T extends Row = Row>(sql: string, params: QueryParams = {}): AsyncIterable<T[]> {
    let streamed = false;
    try {
      for await (const chunk of this.session.queryStreamBind(sql, params, { format: 'JSONEachRow' })) {
        streamed = true;
        yield chunk.rows<T>();
      }
    } catch (error) {
      // The engine streams only queries; a statement (DDL, INSERT … SELECT) returns no rows, so it may run whole.
      if (streamed || !STREAMING_REFUSED.test(error instanceof Error ? error.message : '')) throw error;
      yield await this.query<T>(sql, params);
    }
  }
}
