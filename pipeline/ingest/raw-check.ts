import type { ClickHouse } from '../clickhouse/clickhouse.js';
import { UserError } from '../errors/user-error.js';
import { INGEST_TABLES, RAW_DATABASE } from './raw-tables.js';

/** The ingest writes only into tables the migrations created: a missing one means `piccha migrate` has not run. */
export async function assertRawTables(clickhouse: ClickHouse): Promise<void> {
  const rows = await clickhouse.query<{ name: string }>('SELECT name FROM system.tables WHERE database = {database:String}', { database: RAW_DATABASE });
  const present = new Set(rows.map((row) => `${RAW_DATABASE}.${row.name}`));
  const missing = INGEST_TABLES.filter((table) => !present.has(table));
  if (missing.length > 0) throw new UserError(`ClickHouse (${clickhouse.description}) lacks ${missing.join(', ')}; run \`piccha migrate\` first`);
}
