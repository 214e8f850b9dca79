import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { Session } from 'chdb';
import { openEngineSession } from '../../../pipeline/clickhouse/embedded.js';
import { makeFifo, openFifoWriter } from '../../../pipeline/clickhouse/fifo.js';
import { sqlString } from '../../../pipeline/clickhouse/statements.js';
import { ClickHouseException, exception, fromEngineError } from './exceptions.js';
import type { InsertWithData } from './sql-scan.js';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** What one HTTP request asks of the engine besides its statement. */
export interface RequestContext {
  /** URL parameters that are settings, applied to this request only. */
  readonly settings: Readonly<Record<string, string>>;
  /** `param_<name>` values, as the client sent them (TSV-escaped text). */
  readonly params: Readonly<Record<string, string>>;
  readonly database: string | undefined;
  /** GET requests run with readonly=2, as on the server. */
  readonly readonly: boolean;
}

export interface Result {
  readonly bytes: Uint8Array;
  readonly rowsRead: number;
  readonly bytesRead: number;
  readonly elapsedSeconds: number;
}


/** One permit per running statement: each holds a libuv thread for as long as it runs. */
class Permits {
  private waiting: (() => void)[] = [];
  constructor(private free: number) {}
  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free -= 1;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free += 1;
  }
}

/**
 * The embedded engine shared by every request. The first session holds the data directory for
 * the life of the service; each request gets a connection of its own on the same directory,
 * so its settings, parameters and current database never leak into another request and
 * requests run side by side.
 */
export class Engine {
  private readonly permits: Permits;
  private readonly idleFifos: string[] = [];
  private fifoCount = 0;
  private closed = false;

  private constructor(
    readonly dataPath: string,
    private readonly fifoDir: string,
    private readonly holder: Session,
    readonly version: string,
    readonly timezone: string,
    private readonly formats: ReadonlySet<string>,
    maxConcurrent: number,
  ) {
    this.permits = new Permits(maxConcurrent);
  }

  static async open(dataPath: string, runDir: string, maxConcurrent: number): Promise<Engine> {
    const fifoDir = join(runDir, 'fifos');
    // FIFOs of an earlier run are never reused: a killed service may have left one half-written.
    rmSync(fifoDir, { recursive: true, force: true });
    mkdirSync(fifoDir, { recursive: true, mode: 0o700 });
    const holder = openEngineSession(dataPath, {});
    const about = (await holder.queryAsync('SELECT version(), timezone()', { format: 'TSV' })).text().trim().split('\t');
    const formats = (await holder.queryAsync('SELECT name FROM system.formats', { format: 'TSV' })).text().trim().split('\n');
    return new Engine(dataPath, fifoDir, holder, about[0] ?? '', about[1] ?? 'UTC', new Set(formats), maxConcurrent);
  }

  isFormat(name: string): boolean {
    return this.formats.has(name);
  }

  /** Runs one statement and returns its output in `format`. */
  async run(context: RequestContext, sql: string, format: string): Promise<Result> {
    return this.withConnection(context, async (session) => {
      const result = await session.queryAsync(sql, { format });
      return { bytes: result.bytes(), rowsRead: result.rowsRead, bytesRead: result.bytesRead, elapsedSeconds: result.elapsed };
    });
  }

  /**
   * Runs an INSERT whose data streams in: the engine reads it from a FIFO as one statement,
   * parsing and forming blocks exactly as a server does, so memory stays bounded whatever
   * the size. When `data` fails (the client went away, bad compression), the statement is
   * killed before the engine sees an end of data, so a truncated body is never committed.
   */
  async insert(context: RequestContext, statement: InsertWithData, data: Readable): Promise<Result> {
    if (!this.isFormat(statement.format)) throw exception('BAD_ARGUMENTS', `Unknown input format ${statement.format}`);
    return this.withConnection(context, async (session) => {
      const fifo = await this.takeFifo();
      let finished = false;
      try {
        const sql = `${statement.target} FROM INFILE ${sqlString(fifo)} ${statement.settings} FORMAT ${statement.format}`;
        const running = session.queryAsync(sql, { format: 'TSV' }).finally(() => {
          finished = true;
        });
        // Observed below, possibly only after waiting for the FIFO: an early failure must not count as unhandled.
        running.catch(() => undefined);
        const writer = await openFifoWriter(fifo, () => finished);
        if (writer === undefined) return toResult(await running.catch((error: unknown) => Promise.reject(withoutFifo(fromEngineError(error), fifo))));
        // The engine closing its end early (an error in the data) shows as EPIPE here; its own error says why.
        writer.on('error', () => undefined);
        // Piped by hand: a failed body must not close the FIFO, which the engine would read as a clean end of data.
        const fed = new Promise<Error | undefined>((resolve) => {
          data.once('error', resolve);
          data.once('end', () => {
            writer.end();
            resolve(undefined);
          });
          data.pipe(writer, { end: false });
        });
        const first = await Promise.race([fed, running.then(() => 'ended' as const, () => 'ended' as const)]);
        if (first instanceof Error && !finished) {
          await this.kill(fifo);
          writer.destroy();
          await running.catch(() => undefined);
          throw exception('QUERY_WAS_CANCELLED', `Query was cancelled: the request body broke off (${first.message})`);
        }
        if (first === 'ended') {
          // The engine stopped reading: let the rest of the body go.
          data.unpipe(writer);
          writer.destroy();
          data.resume();
        }
        return toResult(await running.catch((error: unknown) => Promise.reject(withoutFifo(fromEngineError(error), fifo))));
      } finally {
        this.idleFifos.push(fifo);
      }
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.holder.close();
    const { drainPending } = await import('chdb');
    await drainPending();
  }

  private async withConnection<T>(context: RequestContext, body: (session: Session) => Promise<T>): Promise<T> {
    if (this.closed) throw exception('QUERY_WAS_CANCELLED', 'the server is shutting down');
    await this.permits.acquire();
    const session = new Session(this.dataPath);
    try {
      const assignments: string[] = [];
      for (const [name, value] of Object.entries(context.settings)) {
        if (!IDENTIFIER.test(name)) throw exception('UNKNOWN_SETTING', `Unknown setting '${name}'`);
        assignments.push(`${name} = ${sqlString(value)}`);
      }
      for (const [name, value] of Object.entries(context.params)) {
        if (!IDENTIFIER.test(name)) throw exception('BAD_ARGUMENTS', `Bad query parameter name '${name}'`);
        assignments.push(`param_${name} = ${sqlString(value)}`);
      }
      if (assignments.length > 0) await session.queryAsync(`SET ${assignments.join(', ')}`, { format: 'TSV' });
      if (context.readonly && context.settings.readonly === undefined) await session.queryAsync('SET readonly = 2', { format: 'TSV' });
      if (context.database !== undefined && context.database !== '') {
        await session.queryAsync(`USE \`${context.database.replace(/\\/g, '\\\\').replace(/`/g, '\\`')}\``, { format: 'TSV' });
      }
      return await body(session);
    } catch (error) {
      throw fromEngineError(error);
    } finally {
      session.close();
      this.permits.release();
    }
  }

  private async takeFifo(): Promise<string> {
    const idle = this.idleFifos.pop();
    if (idle !== undefined) return idle;
    this.fifoCount += 1;
    const path = join(this.fifoDir, `insert-${this.fifoCount}`);
    await makeFifo(path);
    return path;
  }

  private async kill(fifo: string): Promise<void> {
    const session = new Session(this.dataPath);
    try {
      await session.queryAsync(`KILL QUERY WHERE position(query, ${sqlString(`FROM INFILE '${fifo}'`)}) > 0 AND query NOT LIKE 'KILL%' ASYNC`, { format: 'TSV' });
    } finally {
      session.close();
    }
  }
}

/** The engine's message as a server would word it: the FIFO the data came through is ours, not the client's business. */
function withoutFifo(error: ClickHouseException, fifo: string): ClickHouseException {
  const message = error.message
    .split(`: (in file/uri ${fifo})`)
    .join('')
    .replace(/: While executing File: data for INSERT was parsed from file/g, '');
  return new ClickHouseException(error.code, error.codeName, message);
}

function toResult(result: { bytes(): Uint8Array; rowsRead: number; bytesRead: number; elapsed: number }): Result {
  return { bytes: result.bytes(), rowsRead: result.rowsRead, bytesRead: result.bytesRead, elapsedSeconds: result.elapsed };
}
