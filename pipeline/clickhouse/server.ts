import { ClickHouseError, ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { UserError } from '../errors/user-error.js';
import { Readable } from 'node:stream';
import { assertColumnNames, assertTableName, SHARED_SETTINGS, type BinaryRows, type ClickHouse, type CompactRows, type InsertSettings, type QueryParams, type Row } from './clickhouse.js';

/** ClickHouse's code for a wrong user or password. */
const AUTHENTICATION_FAILED = '516';

export interface ServerClickHouseOptions {
  readonly url: string;
  readonly user: string;
  readonly password: string;
  readonly database: string;
}

/** A ClickHouse server over HTTP, through the official client. */
export class ServerClickHouse implements ClickHouse {
  readonly description: string;
  private readonly client: ClickHouseClient;

  private readonly where: string;

  constructor(options: ServerClickHouseOptions) {
    // Credentials in the URL are taken out of it, so that no message can quote them.
    const url = new URL(options.url);
    const user = url.username === '' ? options.user : decodeURIComponent(url.username);
    const password = url.password === '' ? options.password : decodeURIComponent(url.password);
    url.username = '';
    url.password = '';
    this.where = `${url.protocol}//${url.host}`;
    this.client = createClient({
      url: url.toString(),
      username: user,
      password,
      database: options.database,
      clickhouse_settings: SHARED_SETTINGS,
      // The client logs every failure with its arguments; the caller reports it once instead.
      log: { level: ClickHouseLogLevel.OFF },
    });
    this.description = `ClickHouse server at ${this.where}`;
  }

  /** Server-side errors (bad SQL, a missing table) as they are; a refused login or an unreachable server as one line naming ClickHouse. */
  private async call<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      if (error instanceof ClickHouseError && error.code === AUTHENTICATION_FAILED) throw new UserError(`ClickHouse at ${this.where} refused the user or password (CLICKHOUSE_USER, CLICKHOUSE_PASSWORD)`, { cause: error });
      if (error instanceof ClickHouseError || !(error instanceof Error)) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      throw new UserError(`cannot reach ClickHouse at ${this.where} (CLICKHOUSE_URL): ${code ?? error.message.split('\n')[0] ?? 'connection failed'}`, { cause: error });
    }
  }

  async exec(sql: string, params: QueryParams = {}): Promise<void> {
    await this.call(() => this.client.command({ query: sql, query_params: params }));
  }

  async query<T extends Row = Row>(sql: string, params: QueryParams = {}): Promise<T[]> {
    return this.call(async () => (await this.client.query({ query: sql, query_params: params, format: 'JSONEachRow' })).json<T>());
  }

  async insert(table: string, rows: readonly Row[], settings: InsertSettings = {}): Promise<void> {
    assertTableName(table);
    if (rows.length === 0) return;
    await this.call(() => this.client.insert({ table, values: rows as Row[], format: 'JSONEachRow', clickhouse_settings: settings }));
  }

  async insertCompact(table: string, rows: CompactRows, settings: InsertSettings = {}): Promise<void> {
    assertTableName(table);
    assertColumnNames(rows.columns);
    if (rows.body === '') return;
    // The client's insert() serialises values itself; exec() sends a stream of bytes as it is: the rows are JSON already.
    const result = await this.call(() =>
      this.client.exec({ query: `INSERT INTO ${table} (${rows.columns.join(', ')}) FORMAT JSONCompactEachRow`, values: Readable.from([Buffer.from(rows.body)]), clickhouse_settings: settings }),
    );
    result.stream.destroy();
  }

  async insertRowBinary(table: string, rows: BinaryRows, settings: InsertSettings = {}): Promise<void> {
    assertTableName(table);
    assertColumnNames(rows.columns);
    if (rows.body.length === 0) return;
    const result = await this.call(() =>
      this.client.exec({ query: `INSERT INTO ${table} (${rows.columns.join(', ')}) FORMAT RowBinary`, values: Readable.from([rows.body]), clickhouse_settings: settings }),
    );
    result.stream.destroy();
  }

  close(): Promise<void> {
    return this.client.close();
  }

  async *queryBatches<T extends Row = Row>(sql: string, params: QueryParams = {}): AsyncIterable<T[]> {
    const result = await this.call(() => this.client.query({ query: sql, query_params: params, format: 'JSONEachRow' }));
    for await (const rows of result.stream<T>()) yield rows.map((row) => row.json<T>());
  }
}
