/**
 * The MART tables the dashboards and alert rules read, with the columns they use. Queries take
 * names from here (a typo is a compile error), and a test checks every one against the tables the
 * migrations create, so a schema change fails there first.
 */
export interface MartTable<C extends string> {
  /** `database.table`, ready to put after FROM. */
  readonly name: string;
  readonly columns: readonly C[];
  /** Column name by column name: `purchases.c.store_id`. */
  readonly c: { readonly [K in C]: K };
}

function martTable<const C extends string>(name: string, columns: readonly C[]): MartTable<C> {
  const c = Object.fromEntries(columns.map((column) => [column, column])) as { [K in C]: K };
  return { name, columns, c };
}

export const MART_DATABASE = 'piccha_mart';

export const purchases = martTable(`${MART_DATABASE}.purchases`, [
  'purchase_id',
  'purchased_at',
  'store_id',
  'store_name',
  'store_network',
  'store_city',
  'customer_id',
  'is_loyalty_member',
  'total_amount',
  'payment_method',
  'is_delivery',
  'ingested_at',
]);

export const purchaseItems = martTable(`${MART_DATABASE}.purchase_items`, [
  'purchase_id',
  'purchased_at',
  'store_id',
  'store_network',
  'store_city',
  'product_id',
  'product_name',
  'category',
  'quantity',
  'total_price',
]);

export const stores = martTable(`${MART_DATABASE}.stores`, ['store_id', 'store_name', 'store_network', 'store_city']);

export const duplicatesLog = martTable(`${MART_DATABASE}.duplicates_log`, [
  'timestamp',
  'entity',
  'window_start',
  'window_end',
  'documents',
  'unique_keys',
  'duplicates',
  'duplicate_percentage',
]);

export const rejectedRows = martTable(`${MART_DATABASE}.rejected_rows`, ['rejected_at', 'entity', 'rule']);

export const MART_TABLES: readonly MartTable<string>[] = [purchases, purchaseItems, stores, duplicatesLog, rejectedRows];

/** Pipeline layers whose row counts the quality dashboard shows (from system.tables, not by reading RAW). */
export const LAYER_DATABASES = ['piccha_raw', 'piccha_staging', 'piccha_mart'] as const;
