import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../../pipeline/config/project-root.js';
import { splitStatements } from '../../../pipeline/clickhouse/statements.js';
import { ENTITY_TABLES, PURCHASE_ITEMS, RAW_DATABASE, type TableSpec, type ValueType } from '../../../pipeline/ingest/raw-tables.js';

/**
 * ClickHouse's own Kafka table engine doing what `piccha ingest` does for purchases: the same
 * RAW tables (the migrations' DDL in another database), the envelope parsed once by the
 * JSONEachRow format into typed named tuples (derived from the ingest's own column spec), and
 * materialized views flattening them into purchases and purchase_items.
 */

/** The type a JSON value is parsed as inside the Kafka table; dates stay text and are parsed in the view. */
const TUPLE_TYPES: Readonly<Record<ValueType, string>> = {
  string: 'String',
  decimal: 'Decimal(12, 2)',
  datetime: 'String',
  date: 'String',
  date32: 'String',
  bool: 'Bool',
  uint16: 'UInt16',
  uint32: 'UInt32',
  int32: 'Int32',
  float: 'Float64',
  strings: 'Array(String)',
};

const PII_TUPLE = 'Tuple(ciphertext String, blind_index String, masked String, valid Bool)';

interface Node {
  type?: string;
  children: Map<string, Node>;
}

function tupleOf(spec: TableSpec): Node {
  const root: Node = { children: new Map() };
  const place = (path: string, type: string) => {
    let node = root;
    for (const part of path.split('.')) {
      let child = node.children.get(part);
      if (child === undefined) node.children.set(part, (child = { children: new Map() }));
      node = child;
    }
    node.type = type;
  };
  for (const { path, type } of spec.scalars) place(path, TUPLE_TYPES[type]);
  for (const { path } of spec.pii) place(path, PII_TUPLE);
  return root;
}

const quote = (name: string) => `\`${name}\``;

function render(node: Node): string {
  if (node.type !== undefined) return node.type;
  return `Tuple(${[...node.children].map(([name, child]) => `${quote(name)} ${render(child)}`).join(', ')})`;
}

/** The view's expression for one scalar column, read from the parsed tuple at `source`. */
function expression(source: string, path: string, type: ValueType, nullable: boolean): string {
  const value = `${source}.${path.split('.').map(quote).join('.')}`;
  switch (type) {
    case 'datetime':
      return `parseDateTime64BestEffort${nullable ? 'OrNull' : 'OrZero'}(${value}, 3, 'UTC')`;
    case 'date':
      return `toDateOrZero(${value})`;
    case 'date32':
      return `toDate32OrZero(${value})`;
    default:
      return value;
  }
}

function selectColumns(spec: TableSpec, source: string): string[] {
  const columns = spec.scalars.map(({ column, path, type, nullable }) => `${expression(source, path, type, nullable)} AS ${quote(column)}`);
  for (const { prefix, path } of spec.pii) {
    for (const part of ['ciphertext', 'blind_index', 'masked', 'valid']) columns.push(`${source}.${path.split('.').map(quote).join('.')}.${part} AS ${quote(`${prefix}_${part}`)}`);
  }
  return columns;
}

export interface NativeSetup {
  readonly statements: readonly string[];
  readonly database: string;
}

/** DDL for the RAW copies, the Kafka engine table and the two views, in order. */
export function nativeKafkaEngine(database: string, options: { brokers: string; topic: string; group: string; consumers: number }): NativeSetup {
  const purchases = ENTITY_TABLES.purchases;
  const ddl = ['004_raw_purchases.sql', '005_raw_purchase_items.sql'].flatMap((file) => splitStatements(readFileSync(join(projectRoot(), 'sql', file), 'utf8').replaceAll(`${RAW_DATABASE}.`, `${database}.`)));
  const documentType = render(tupleOf(purchases)).replace(/\)$/, `, items Array(${render(tupleOf(PURCHASE_ITEMS))}))`);
  const transport = [
    '_topic AS kafka_topic',
    '_partition AS kafka_partition',
    '_offset AS kafka_offset',
    '_key AS kafka_key',
    'ifNull(_timestamp_ms, toDateTime64(0, 3)) AS kafka_timestamp',
    'schema_version',
    'source_id',
    'op',
    "parseDateTime64BestEffortOrZero(emitted_at, 3, 'UTC') AS emitted_at",
    "parseDateTime64BestEffortOrNull(loaded_at, 3, 'UTC') AS loaded_at",
    'pii_key_id',
    'content_hash',
  ];
  return {
    database,
    statements: [
      `CREATE DATABASE IF NOT EXISTS ${database}`,
      ...ddl,
      `CREATE TABLE ${database}.queue (schema_version UInt16, entity String, source_id String, op String, emitted_at String, loaded_at String, pii_key_id String, content_hash String, document ${documentType})
       ENGINE = Kafka SETTINGS kafka_broker_list = '${options.brokers}', kafka_topic_list = '${options.topic}', kafka_group_name = '${options.group}',
         kafka_format = 'JSONEachRow', kafka_num_consumers = ${options.consumers}, kafka_thread_per_consumer = 1, kafka_max_block_size = 65536, kafka_flush_interval_ms = 1000`,
      `CREATE MATERIALIZED VIEW ${database}.purchases_mv TO ${database}.purchases AS
       SELECT ${[...transport, ...selectColumns(purchases, 'document'), 'length(document.items) AS item_count'].join(', ')} FROM ${database}.queue`,
      `CREATE MATERIALIZED VIEW ${database}.purchase_items_mv TO ${database}.purchase_items AS
       SELECT ${[...transport, 'document.purchase_id AS purchase_id', 'item_index - 1 AS item_index', ...selectColumns(PURCHASE_ITEMS, 'item')].join(', ')}
       FROM ${database}.queue ARRAY JOIN document.items AS item, arrayEnumerate(document.items) AS item_index`,
    ],
  };
}
