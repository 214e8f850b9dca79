import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouse } from '../../pipeline/clickhouse/clickhouse.js';
import { EmbeddedClickHouse } from '../../pipeline/clickhouse/embedded.js';
import { defaultMigrationsDir, migrate, readMigrations } from '../../pipeline/clickhouse/migrations.js';
import { ENTITY_TABLES, PII_PARTS, PURCHASE_ITEMS, TRANSPORT_COLUMNS, type TableSpec } from '../../pipeline/ingest/raw-tables.js';
import { makeTempDir } from '../helpers/temp-dir.js';

/** The columns the ingest writes into a table, with whether each may be NULL, from its spec. */
function expectedColumns(spec: TableSpec, extra: [string, boolean][]): [string, boolean][] {
  return [
    ...TRANSPORT_COLUMNS.map((column): [string, boolean] => [column, column === 'loaded_at']),
    ...extra,
    ...spec.scalars.map(({ column, nullable }): [string, boolean] => [column, nullable]),
    ...spec.pii.flatMap(({ prefix, nullable }) => PII_PARTS.map((part): [string, boolean] => [`${prefix}_${part}`, nullable])),
    ['parse_errors', false],
  ];
}

describe('RAW migrations and the ingest’s column spec', () => {
  const data = makeTempDir('raw-schema');
  let clickhouse: ClickHouse;
  beforeAll(async () => {
    clickhouse = new EmbeddedClickHouse(data.path);
    await migrate(clickhouse, readMigrations(defaultMigrationsDir()));
  });
  afterAll(async () => {
    await clickhouse.close();
    data.remove();
  });

  const columnsOf = async (table: string) => {
    const [database, name] = table.split('.');
    const rows = await clickhouse.query<{ name: string; type: string }>('SELECT name, type FROM system.columns WHERE database = {database:String} AND table = {name:String}', { database, name });
    return rows.map((row): [string, boolean] => [row.name, /^(LowCardinality\()?Nullable\(/.test(row.type)]);
  };
  const sorted = (columns: [string, boolean][]) => [...columns].sort(([a], [b]) => a.localeCompare(b));

  it('every entity table has exactly the columns the ingest fills, Nullable where the spec says', async () => {
    for (const spec of Object.values(ENTITY_TABLES)) {
      const extra: [string, boolean][] = spec === ENTITY_TABLES.purchases ? [['item_count', true]] : [];
      expect(sorted(await columnsOf(spec.table)), spec.table).toEqual(sorted(expectedColumns(spec, extra)));
    }
    expect(sorted(await columnsOf(PURCHASE_ITEMS.table))).toEqual(sorted(expectedColumns(PURCHASE_ITEMS, [['purchase_id', false], ['item_index', false]])));
  });

  it('money is Decimal, times carry a time zone, flags are Bool, PII never has a plaintext column', async () => {
    const types = new Map((await clickhouse.query<{ table: string; name: string; type: string }>("SELECT table, name, type FROM system.columns WHERE database = 'piccha_raw'")).map((row) => [`${row.table}.${row.name}`, row.type]));
    expect(types.get('purchases.total_amount')).toBe('Nullable(Decimal(12, 2))');
    expect(types.get('purchase_items.total_price')).toBe('Decimal(12, 2)');
    expect(types.get('purchases.purchase_datetime')).toBe("Nullable(DateTime64(3, 'Europe/Moscow'))");
    expect(types.get('stores.kafka_timestamp')).toBe("DateTime64(3, 'UTC')");
    expect(types.get('customers.birth_date')).toBe('Date32');
    expect(types.get('stores.categories')).toBe('Array(String)');
    expect(types.get('products.is_organic')).toBe('Bool');
    for (const name of ['customers.email', 'customers.phone', 'purchases.customer_email', 'stores.manager_phone']) expect(types.has(name), name).toBe(false);
  });
});
