import type { ClickHouse, Row } from '../clickhouse/clickhouse.js';
import { UserError } from '../errors/user-error.js';
import { decrypt, PiiDecryptionError } from '../pii/cipher.js';
import type { PiiKeyring } from '../pii/keys.js';
import type { TopicNames } from '../produce/topics.js';
import { ENTITY_TABLES, piiLocations, type PiiLocation } from './raw-tables.js';

/** `piccha_raw.customers:1:42`: a RAW table, a partition and an offset of the table's topic. */
export interface RawRowAddress {
  readonly table: string;
  readonly partition: number;
  readonly offset: number;
}

export function parseRawRowAddress(text: string): RawRowAddress {
  const match = /^([a-z_]+\.[a-z_]+):(\d+):(\d+)$/.exec(text);
  const tables = Object.values(ENTITY_TABLES).map((spec) => spec.table);
  if (!match || !tables.includes(match[1] ?? '')) throw new UserError(`--row takes <table>:<partition>:<offset> with a table among ${tables.join(', ')}, got ${JSON.stringify(text)}`);
  return { table: match[1] ?? '', partition: Number(match[2]), offset: Number(match[3]) };
}

/**
 * The plaintext of a protected value in RAW. The ciphertext is bound to the source document's
 * entity, source id and field path; this is the one place that maps a RAW row's columns to them.
 */
function revealValue(token: string, location: PiiLocation, sourceId: string, keyring: PiiKeyring): string {
  try {
    return decrypt(token, keyring, { entity: location.entity, sourceId, path: location.path }).plaintext;
  } catch (error) {
    if (error instanceof PiiDecryptionError) throw new PiiDecryptionError(`${location.entity} ${location.path}: ${error.message}`, { cause: error });
    throw error;
  }
}

/** A RAW row with each PII field's four columns replaced by its plaintext, for an operator holding the keys. */
export async function revealRawRow(clickhouse: ClickHouse, topics: TopicNames, address: RawRowAddress, keyring: PiiKeyring): Promise<Row> {
  const entity = (Object.entries(ENTITY_TABLES) as [keyof typeof ENTITY_TABLES, { table: string }][]).find(([, spec]) => spec.table === address.table)?.[0];
  if (entity === undefined) throw new UserError(`${address.table} is not a RAW entity table`);
  const rows = await clickhouse.query(`SELECT * FROM ${address.table} WHERE kafka_topic = {topic:String} AND kafka_partition = {partition:UInt32} AND kafka_offset = {offset:UInt64}`, {
    topic: topics.entities[entity],
    partition: address.partition,
    offset: address.offset,
  });
  const row = rows[0];
  if (row === undefined) throw new UserError(`${address.table} holds no row from ${topics.entities[entity]} partition ${address.partition} offset ${address.offset}`);
  const revealed: Row = {};
  const locations = piiLocations(address.table);
  const hidden = new Set(locations.flatMap(({ prefix }) => ['ciphertext', 'blind_index', 'masked', 'valid'].map((part) => `${prefix}_${part}`)));
  for (const [column, value] of Object.entries(row)) {
    const location = locations.find(({ prefix }) => column === `${prefix}_ciphertext`);
    if (location !== undefined) revealed[location.prefix] = typeof value === 'string' && value !== '' ? revealValue(value, location, String(row.source_id), keyring) : value;
    else if (!hidden.has(column)) revealed[column] = value;
  }
  return revealed;
}
