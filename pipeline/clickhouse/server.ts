import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { assertTableName, SHARED_SETTINGS, type ClickHouse, type InsertSettings, type QueryParams, type Row } from './clickhouse.js';

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

  constructor(options: ServerClickHouseOptions) {
    this.client = createClient({
      url: options.url,
      username: options.user,
      password: options.password,
      database: options.database,
      clickhouse_settings: SHARED_SETTINGS,
      // Its failures reach the caller as errors; its own console logging would only repeat them.
      log: { level: ClickHouseLogLevel.OFF },
    });
    const where = new URL(options.url);
    this.description = `ClickHouse server at ${where.protocol}//${where.host}`;
  }

  async exec(sql: string, params: QueryParams = {}): Promise<void> {
    await this.client.command({ query: sql, query_params: params });
  }

  async query<T extends Row = Row>(sql: string, params: QueryParams = {}): Promise<T[]> {
    const result = await this.client.query({ query: sql, query_params: params, format: 'JSONEachRow' });
    return result.json<T>();
  }

  async insert(table: string, rows: readonly Row[], settings: InsertSettings = {}): Promise<void> {
    assertTableName(table);
    if (rows.length === 0) return;
    await this.client.insert({ table, values: rows as Row[], format: 'JSONEachRow', clickhouse_settings: settings });
  }

  close(): Promise<void> {
    return this.client.close();
  }
}
