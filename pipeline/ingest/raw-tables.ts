import type { Entity } from '../entities/entities.js';

/**
 * How a document becomes RAW rows: the one place, besides the migrations in sql/ (001–006),
 * that names RAW's columns. A unit test holds the two together.
 */

export const RAW_DATABASE = 'piccha_raw';

export type ValueType = 'string' | 'decimal' | 'datetime' | 'date' | 'date32' | 'bool' | 'uint16' | 'uint32' | 'int32' | 'float' | 'strings';

export interface ScalarColumn {
  readonly column: string;
  /** Dotted path into the document (or, for purchase_items, into one item). */
  readonly path: string;
  readonly type: ValueType;
  /** The source really omits or nulls this field: absent is NULL, not a default and an error. */
  readonly nullable: boolean;
}

/** A protected PII field: `<prefix>_ciphertext`, `_blind_index`, `_masked`, `_valid`. */
export interface PiiColumns {
  readonly prefix: string;
  readonly path: string;
  readonly nullable: boolean;
}

export interface TableSpec {
  readonly table: string;
  readonly scalars: readonly ScalarColumn[];
  readonly pii: readonly PiiColumns[];
}

export const PII_PARTS = ['ciphertext', 'blind_index', 'masked', 'valid'] as const;

const N = true;
const column = (path: string, type: ValueType, nullable = false, name = path.replaceAll('.', '_')): ScalarColumn => ({ column: name, path, type, nullable });
const pii = (path: string, nullable = false): PiiColumns => ({ prefix: path.replaceAll('.', '_'), path, nullable });
const place = (prefix: string, nullable: boolean): ScalarColumn[] => [
  column(`${prefix}.country`, 'string', nullable),
  column(`${prefix}.city`, 'string', nullable),
  column(`${prefix}.street`, 'string', nullable),
  column(`${prefix}.house`, 'string', nullable),
  column(`${prefix}.postal_code`, 'string', nullable),
  column(`${prefix}.coordinates.latitude`, 'float', nullable, `${prefix.replaceAll('.', '_')}_latitude`),
  column(`${prefix}.coordinates.longitude`, 'float', nullable, `${prefix.replaceAll('.', '_')}_longitude`),
];
const kbju = ['calories', 'protein', 'fat', 'carbohydrates'].map((part) => column(`kbju.${part}`, 'float'));
const manufacturer = ['name', 'country', 'website', 'inn'].map((part) => column(`manufacturer.${part}`, 'string'));
const address = (prefix: string) => ['country', 'city', 'street', 'house', 'apartment', 'postal_code'].map((part) => column(`${prefix}.${part}`, 'string'));

export const ENTITY_TABLES: Readonly<Record<Entity, TableSpec>> = {
  stores: {
    table: `${RAW_DATABASE}.stores`,
    scalars: [
      column('store_id', 'string'),
      column('store_name', 'string', N),
      column('store_network', 'string', N),
      column('store_type_description', 'string'),
      column('type', 'string'),
      column('categories', 'strings'),
      column('manager.name', 'string'),
      ...place('location', N),
      column('opening_hours.mon_fri', 'string'),
      column('opening_hours.sat', 'string'),
      column('opening_hours.sun', 'string'),
      column('accepts_online_orders', 'bool'),
      column('delivery_available', 'bool'),
      column('warehouse_connected', 'bool'),
      column('last_inventory_date', 'date'),
    ],
    pii: [pii('manager.email'), pii('manager.phone')],
  },
  products: {
    table: `${RAW_DATABASE}.products`,
    scalars: [
      column('id', 'string'),
      column('name', 'string', N),
      column('group', 'string', N),
      column('description', 'string'),
      ...kbju,
      column('price', 'decimal', N),
      column('unit', 'string'),
      column('origin_country', 'string'),
      column('expiry_days', 'uint16'),
      column('is_organic', 'bool'),
      column('barcode', 'string'),
      ...manufacturer,
    ],
    pii: [],
  },
  customers: {
    table: `${RAW_DATABASE}.customers`,
    scalars: [
      column('customer_id', 'string'),
      column('first_name', 'string', N),
      column('last_name', 'string', N),
      column('birth_date', 'date32'),
      column('gender', 'string'),
      column('registration_date', 'datetime'),
      column('is_loyalty_member', 'bool'),
      column('loyalty_card_number', 'string'),
      ...place('purchase_location', false),
      ...address('delivery_address'),
      column('preferences.preferred_language', 'string'),
      column('preferences.preferred_payment_method', 'string'),
      column('preferences.receive_promotions', 'bool'),
    ],
    pii: [pii('email', N), pii('phone', N)],
  },
  purchases: {
    table: `${RAW_DATABASE}.purchases`,
    scalars: [
      column('purchase_id', 'string'),
      column('customer.customer_id', 'string', N, 'customer_id'),
      column('customer.first_name', 'string', N),
      column('customer.last_name', 'string', N),
      column('customer.is_loyalty_member', 'bool', N),
      column('customer.loyalty_card_number', 'string', N),
      column('store.store_id', 'string', N, 'store_id'),
      column('store.store_name', 'string', N, 'store_name'),
      column('store.store_network', 'string', N, 'store_network'),
      ...place('store.location', N),
      column('total_amount', 'decimal', N),
      column('payment_method', 'string'),
      column('is_delivery', 'bool'),
      ...address('delivery_address'),
      column('purchase_datetime', 'datetime', N),
    ],
    pii: [pii('customer.email', N), pii('customer.phone', N)],
  },
};

/** One row per element of a purchase's `items`; paths are inside the item. */
export const PURCHASE_ITEMS: TableSpec = {
  table: `${RAW_DATABASE}.purchase_items`,
  scalars: [
    column('product_id', 'string'),
    column('name', 'string'),
    column('category', 'string'),
    column('quantity', 'int32'),
    column('unit', 'string'),
    column('price_per_unit', 'decimal'),
    column('total_price', 'decimal'),
    ...kbju,
    ...manufacturer,
  ],
  pii: [],
};

/** Stands where a PII value arrived unprotected: RAW never holds plaintext, not even in `rejected`. */
export const PLAINTEXT_REMOVED = '[plaintext removed by ingest]';

export const REJECTED_TABLE = `${RAW_DATABASE}.rejected`;

/** Every table the ingest writes, in the order a flush writes them. */
export const INGEST_TABLES: readonly string[] = [...Object.values(ENTITY_TABLES).map((spec) => spec.table), PURCHASE_ITEMS.table, REJECTED_TABLE];

/** The transport block every entity table and purchase_items start with. */
export const TRANSPORT_COLUMNS = [
  'kafka_topic',
  'kafka_partition',
  'kafka_offset',
  'kafka_key',
  'kafka_timestamp',
  'schema_version',
  'source_id',
  'op',
  'emitted_at',
  'loaded_at',
  'pii_key_id',
  'content_hash',
  'ingested_at',
] as const;

/** The columns of `rejected` the ingest writes, in the order of a row's values. */
const REJECTED_COLUMNS = ['kafka_topic', 'kafka_partition', 'kafka_offset', 'kafka_key', 'kafka_timestamp', 'origin', 'error_kind', 'error', 'entity', 'source_id', 'pii_key_id', 'payload', 'failed_at'] as const;

/** The transport columns a row's values start with: all but ingested_at, which is the time ClickHouse writes the row. */
const TRANSPORT_VALUES = TRANSPORT_COLUMNS.filter((column) => column !== 'ingested_at');

function specColumns(spec: TableSpec): string[] {
  return [...spec.scalars.map(({ column }) => column), ...spec.pii.flatMap(({ prefix }) => PII_PARTS.map((part) => `${prefix}_${part}`))];
}

/**
 * Each table's insert columns, in the order the ingest writes a row's values: the transport
 * block, the spec's scalars then its PII columns (purchase_items put the purchase's key and the
 * item's place first; purchases end with item_count), and parse_errors.
 */
export const INSERT_COLUMNS: ReadonlyMap<string, readonly string[]> = new Map<string, readonly string[]>([
  ...Object.values(ENTITY_TABLES).map((spec): [string, string[]] => [spec.table, [...TRANSPORT_VALUES, ...specColumns(spec), ...(spec === ENTITY_TABLES.purchases ? ['item_count'] : []), 'parse_errors']]),
  [PURCHASE_ITEMS.table, [...TRANSPORT_VALUES, 'purchase_id', 'item_index', ...specColumns(PURCHASE_ITEMS), 'parse_errors']],
  [REJECTED_TABLE, [...REJECTED_COLUMNS]],
]);

/** A table's insert columns; a table the ingest does not write is a programming error, never a silent skip. */
export function insertColumnsOf(table: string): readonly string[] {
  const columns = INSERT_COLUMNS.get(table);
  if (columns === undefined) throw new Error(`the ingest does not write ${table}`);
  return columns;
}

export interface PiiLocation {
  readonly entity: Entity;
  /** The field's dotted path in the source document: what its ciphertext is bound to. */
  readonly path: string;
  /** The RAW columns' common prefix. */
  readonly prefix: string;
}

/** Which source field each RAW table's PII columns came from: for revealing a RAW row. */
export function piiLocations(table: string): PiiLocation[] {
  for (const [entity, spec] of Object.entries(ENTITY_TABLES) as [Entity, TableSpec][]) {
    if (spec.table === table) return spec.pii.map(({ path, prefix }) => ({ entity, path, prefix }));
  }
  return [];
}
