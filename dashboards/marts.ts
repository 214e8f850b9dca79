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

/** Business mart: day × store (purchases, revenue, item lines, units). */
export const salesDailyStore = martTable(`${MART_DATABASE}.sales_daily_store`, [
  'purchase_date',
  'store_id',
  'store_name',
  'store_network',
  'store_city',
  'purchases',
  'revenue',
  'units',
]);

/** MART dimension: one row per store. */
export const stores = martTable(`${MART_DATABASE}.stores`, ['store_id', 'store_name', 'store_network', 'city']);

/**
 * MART facts, cleaned and deduplicated, one row per purchase / item. Read where a question needs
 * the store grain that the daily business marts above it do not keep (distinct customers,
 * products, categories and the purchase mix under the store filter).
 */
export const purchases = martTable(`${MART_DATABASE}.purchases`, [
  'purchase_date',
  'store_id',
  'store_network',
  'store_city',
  'customer_key',
  'customer_is_loyalty_member',
  'payment_method',
  'is_delivery',
]);

export const purchaseItems = martTable(`${MART_DATABASE}.purchase_items`, [
  'purchase_date',
  'store_id',
  'store_network',
  'store_city',
  'product_name',
  'category',
  'quantity',
  'total_price',
]);

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

export const dataQualityLog = martTable(`${MART_DATABASE}.data_quality_log`, ['timestamp', 'entity', 'documents', 'kept', 'duplicates', 'rejected', 'invalid_email', 'invalid_phone', 'newest_arrival']);

export const rejectedRows = martTable(`${MART_DATABASE}.rejected_rows`, ['entity', 'broken_rules', 'rejected_by', 'ingested_at']);

export const MART_TABLES: readonly MartTable<string>[] = [salesDailyStore, stores, purchases, purchaseItems, duplicatesLog, dataQualityLog, rejectedRows];

/** Pipeline layers whose row counts the quality dashboard shows (from system.tables, not by reading RAW). */
export const LAYER_DATABASES = ['piccha_raw', 'piccha_staging', 'piccha_mart'] as const;
