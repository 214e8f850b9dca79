/**
 * Values bound to `{name:Type}` placeholders. ClickHouse parses each one as the declared
 * type on its side, so user input never becomes SQL text.
 */
export type QueryParams = Readonly<Record<string, unknown>>;

export type Row = Record<string, unknown>;

/** Rows as JSONCompactEachRow: one JSON array per line, holding the values of `columns` in that order. */
export interface CompactRows {
  readonly columns: readonly string[];
  readonly body: string;
}

/** Rows as RowBinary: each row's values of `columns`, in that order, in ClickHouse's binary encoding. */
export interface BinaryRows {
  readonly columns: readonly string[];
  readonly body: Uint8Array;
}

/** ClickHouse settings for one statement, e.g. `{ async_insert: 0 }`. */
export type InsertSettings = Readonly<Record<string, string | number | boolean>>;

/** The ClickHouse access the whole pipeline uses; embedded (chdb) and server (HTTP) alike. */
export interface ClickHouse {
  /** `embedded` or `server`, and where: a data directory or a URL without credentials. */
  readonly description: string;
  /** Runs one SELECT and yields its rows a block at a time, so that memory does not grow with the result. */
  queryBatches<T extends Row = Row>(sql: string, params?: QueryParams): AsyncIterable<T[]>;
  /** Runs one statement (DDL, INSERT … SELECT, SYSTEM …) and discards any result. */
  exec(sql: string, params?: QueryParams): Promise<void>;
  /** Runs one SELECT and returns its rows as objects (64-bit integers as strings). */
  query<T extends Row = Row>(sql: string, params?: QueryParams): Promise<T[]>;
  /** Inserts a batch of rows in one INSERT; keys are column names. */
  insert(table: string, rows: readonly Row[], settings?: InsertSettings): Promise<void>;
  /** Inserts rows already written as JSONCompactEachRow in one INSERT. */
  insertCompact(table: string, rows: CompactRows, settings?: InsertSettings): Promise<void>;
  /** Inserts rows already written as RowBinary in one INSERT: bytes pass through unparsed and unescaped. */
  insertRowBinary(table: string, rows: BinaryRows, settings?: InsertSettings): Promise<void>;
  close(): Promise<void>;
}

/**
 * Settings both implementations apply to every query, so that their results are identical:
 * 64-bit integers as strings (JavaScript numbers would round them), decimals as numbers.
 */
export const SHARED_SETTINGS = {
  output_format_json_quote_64bit_integers: 1,
  output_format_json_quote_decimals: 0,
  date_time_input_format: 'best_effort',
} as const;

const TABLE_NAME = /^([A-Za-z_][A-Za-z0-9_]*\.)?[A-Za-z_][A-Za-z0-9_]*$/;

/** Table names are ours, never user input, but a typo should fail loudly rather than reach SQL. */
export function assertTableName(table: string): void {
  if (!TABLE_NAME.test(table)) throw new Error(`not a table name: ${JSON.stringify(table)}`);
}

export function toJsonEachRow(rows: readonly Row[]): string {
  let body = '';
  for (const row of rows) body += `${JSON.stringify(row)}\n`;
  return body;
}

/**
 * Rows that all name the same columns in the same order, with no undefined value, as
 * JSONCompactEachRow (one JSON array per row): half the bytes of JSONEachRow for RAW's
 * rows, and less for ClickHouse to parse. Undefined when the rows differ, since an absent
 * key means the column's default, which an array cannot say. Column names are listed
 * unquoted, so only plain ones qualify.
 */
const PLAIN_COLUMN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Column names listed in an INSERT are ours too, and listed unquoted. */
export function assertColumnNames(columns: readonly string[]): void {
  for (const column of columns) if (!PLAIN_COLUMN.test(column)) throw new Error(`not a column name: ${JSON.stringify(column)}`);
}

export function toJsonCompactEachRow(rows: readonly Row[]): CompactRows | undefined {
  const first = rows[0];
  if (first === undefined) return undefined;
  const columns = Object.keys(first);
  if (!columns.every((column) => PLAIN_COLUMN.test(column))) return undefined;
  const values: unknown[] = new Array<unknown>(columns.length);
  let body = '';
  for (const row of rows) {
    let index = 0;
    for (const key in row) {
      const value = row[key];
      if (key !== columns[index] || value === undefined) return undefined;
      values[index++] = value;
    }
    if (index !== columns.length) return undefined;
    body += `${JSON.stringify(values)}\n`;
  }
  return { columns, body };
}

export function parseJsonEachRow<T>(text: string): T[] {
  const rows: T[] = [];
  for (const line of text.split('\n')) if (line !== '') rows.push(JSON.parse(line) as T);
  return rows;
}
