/**
 * The reference decoder: how a Kafka message becomes RAW rows or a `rejected` row, in
 * JavaScript. The ingest used it before ClickHouse took the parsing over (sql/007–013, rendered
 * by pipeline/ingest/envelope-sql.ts); it stays as the specification those views are held to
 * (test/integration/envelope-parity.test.ts) and as the seed's way in the ingest benchmark.
 */
import { BUSINESS_KEYS, isEntity, type Entity } from '../../../pipeline/entities/entities.js';
import { PII_POLICY } from '../../../pipeline/pii/policy.js';
import { SCHEMA_VERSION } from '../../../pipeline/produce/envelope.js';
import { ENTITY_TABLES, PLAINTEXT_REMOVED, PURCHASE_ITEMS, REJECTED_TABLE, type PiiColumns, type ScalarColumn, type TableSpec } from '../../../pipeline/ingest/raw-tables.js';
import type { LandedMessage } from '../../../pipeline/ingest/landing.js';
import { DEFAULTS, instant, isoUtc, mayEscapeSurrogates, shown, typeValue, wellFormed } from './typing.js';

/** One Kafka message as the ingest lands it. */
export type KafkaRecord = LandedMessage;

export interface TopicRoles {
  /** Which entity each entity topic carries. */
  readonly entityOf: ReadonlyMap<string, Entity>;
  readonly deadLetter: string;
}

export const REJECTION_KINDS = ['not_json', 'bad_envelope', 'unknown_schema_version', 'wrong_shape', 'missing_business_key', 'plaintext_pii', 'dead_letter'] as const;
export type RejectionKind = (typeof REJECTION_KINDS)[number];

/** One RAW row, ready for the table's insert. */
export interface EncodedRow {
  readonly table: string;
  /** The row's values in the order of the table's INSERT_COLUMNS, as one JSON array: a line of JSONCompactEachRow. */
  readonly line: string;
}

/** The rows one message becomes, by table. */
export interface Decoded {
  readonly rows: readonly EncodedRow[];
  readonly rejected?: RejectionKind;
}


class Rejection extends Error {
  constructor(
    readonly kind: RejectionKind,
    message: string,
  ) {
    super(message);
  }
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The value at a path (its parts), undefined when absent or null; a path through something
 * that is not an object is the wrong shape.
 */
function valueAt(document: Json, parts: readonly string[], where: string): unknown {
  let current: unknown = document;
  for (let index = 0; index < parts.length; index++) {
    if (current === undefined || current === null) return undefined;
    if (!isObject(current)) throw new Rejection('wrong_shape', `${where}${parts.slice(0, index).join('.')} should be an object, got ${shown(current)}`);
    current = current[parts[index] as string];
  }
  return current === null ? undefined : current;
}

const isProtected = (value: unknown): value is Json => isObject(value) && typeof value.ciphertext === 'string' && typeof value.blind_index === 'string' && typeof value.masked === 'string' && typeof value.valid === 'boolean';

/** Appends one column's (or a PII field's four columns') values read from `source`; what cannot be typed is listed in `errors`. */
type ColumnReader = (source: Json, values: unknown[], errors: string[], where: string) => void;

function scalarReader({ path, type, nullable }: ScalarColumn): ColumnReader {
  const parts = path.split('.');
  const missing = nullable ? null : DEFAULTS[type];
  return (source, values, errors, where) => {
    const value = valueAt(source, parts, where);
    if (value === undefined) {
      values.push(missing);
      if (!nullable) errors.push(`${where}${path}: absent`);
      return;
    }
    const typed = typeValue(type, value);
    if (typed.ok) values.push(typed.value);
    else {
      values.push(missing);
      errors.push(`${where}${path}: ${typed.reason}`);
    }
  };
}

function piiReader({ path, nullable }: PiiColumns): ColumnReader {
  const parts = path.split('.');
  return (source, values, errors, where) => {
    const value = valueAt(source, parts, where);
    if (isProtected(value)) {
      values.push(value.ciphertext, value.blind_index, value.masked, value.valid);
    } else if (value === undefined || value === '') {
      // Absent, or delivered empty (the producer leaves an empty value as it is): nothing to protect.
      if (value === '' || !nullable) values.push('', '', '', false);
      else values.push(null, null, null, null);
      if (value === undefined && !nullable) errors.push(`${where}${path}: absent`);
    } else if (typeof value === 'string' || typeof value === 'number') {
      throw new Rejection('plaintext_pii', `${where}${path} arrived unprotected; its value was removed from the payload`);
    } else {
      throw new Rejection('wrong_shape', `${where}${path} should be a protected value {ciphertext, blind_index, masked, valid}, got ${shown(value)}`);
    }
  };
}

/**
 * A table's spec compiled once into one reader per column, each with its path split and its
 * type and default bound: per message, only property reads and typing are left.
 */
const readersOf = (spec: TableSpec): readonly ColumnReader[] => [...spec.scalars.map(scalarReader), ...spec.pii.map(piiReader)];
const ENTITY_READERS: Readonly<Record<Entity, readonly ColumnReader[]>> = {
  stores: readersOf(ENTITY_TABLES.stores),
  products: readersOf(ENTITY_TABLES.products),
  customers: readersOf(ENTITY_TABLES.customers),
  purchases: readersOf(ENTITY_TABLES.purchases),
};
const ITEM_READERS = readersOf(PURCHASE_ITEMS);

function readColumns(readers: readonly ColumnReader[], source: Json, values: unknown[], errors: string[], where = ''): void {
  for (let index = 0; index < readers.length; index++) (readers[index] as ColumnReader)(source, values, errors, where);
}

/** Replaces plaintext found at the entity's PII paths, so that `rejected` never stores it. */
function withoutPlaintext(entity: Entity | undefined, document: unknown): boolean {
  if (entity === undefined || !isObject(document)) return false;
  let removed = false;
  for (const { path } of PII_POLICY[entity]) {
    const parts = path.split('.');
    const field = parts.pop() ?? path;
    let parent: unknown = document;
    for (const part of parts) parent = isObject(parent) ? parent[part] : undefined;
    if (!isObject(parent)) continue;
    const value = parent[field];
    if ((typeof value === 'string' && value !== '') || typeof value === 'number') {
      parent[field] = PLAINTEXT_REMOVED;
      removed = true;
    }
  }
  return removed;
}

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/** The row as a line of JSONCompactEachRow: its values, in the table's INSERT_COLUMNS order, as one JSON array. */
const line = (values: readonly unknown[]): string => JSON.stringify(values);

function kafkaValues(record: KafkaRecord): unknown[] {
  return [record.topic, record.partition, Number(record.offset), record.key?.toString('utf8') ?? '', isoUtc(Number(record.timestamp))];
}

function rejectedRow(record: KafkaRecord, kind: RejectionKind, error: string, payload: string, envelope: Json | undefined, failedAt?: string): Decoded {
  const values = kafkaValues(record);
  values.push(kind === 'dead_letter' ? 'producer' : 'ingest', kind, error, text(envelope?.entity), text(envelope?.source_id), text(envelope?.pii_key_id), payload, failedAt ?? isoUtc(Date.now()));
  return { rejected: kind, rows: [{ table: REJECTED_TABLE, line: line(values) }] };
}

/** The transport block every entity row starts with; an unreadable optional envelope field is an error, not a refusal. */
function transportValues(record: KafkaRecord, envelope: Json, errors: string[]): unknown[] {
  const emittedAt = instant(envelope.emitted_at);
  if (emittedAt === undefined) errors.push(`emitted_at: not an ISO 8601 date and time: ${shown(envelope.emitted_at)}`);
  const loadedAt = envelope.loaded_at === '' || envelope.loaded_at === undefined ? null : (instant(envelope.loaded_at) ?? null);
  if (loadedAt === null && envelope.loaded_at !== '' && envelope.loaded_at !== undefined) errors.push(`loaded_at: not an ISO 8601 date and time: ${shown(envelope.loaded_at)}`);
  if (typeof envelope.op !== 'string') errors.push(`op: not text: ${shown(envelope.op)}`);
  const values = kafkaValues(record);
  values.push(envelope.schema_version, envelope.source_id, text(envelope.op), emittedAt ?? DEFAULTS.datetime, loadedAt, text(envelope.pii_key_id), text(envelope.content_hash));
  return values;
}

function entityRows(record: KafkaRecord, entity: Entity, envelope: Json): Decoded {
  const document = envelope.document;
  if (!isObject(document)) throw new Rejection('wrong_shape', `document should be an object, got ${shown(document)}`);
  const key = document[BUSINESS_KEYS[entity]];
  if (typeof key !== 'string' || key.trim() === '') throw new Rejection('missing_business_key', `document has no business key ${BUSINESS_KEYS[entity]}`);
  const errors: string[] = [];
  const transport = transportValues(record, envelope, errors);
  const values = transport.slice();
  readColumns(ENTITY_READERS[entity], document, values, errors);
  if (entity !== 'purchases') {
    values.push(errors);
    return { rows: [{ table: ENTITY_TABLES[entity].table, line: line(values) }] };
  }
  const items = document.items;
  if (items !== undefined && items !== null && !Array.isArray(items)) throw new Rejection('wrong_shape', `items should be an array, got ${shown(items)}`);
  values.push(Array.isArray(items) ? items.length : null, errors);
  const rows: EncodedRow[] = [{ table: ENTITY_TABLES.purchases.table, line: line(values) }];
  if (!Array.isArray(items) || items.length === 0) return { rows };
  // Every item line starts with the same transport values: written once, `[…,` without its closing bracket.
  const transportJson = line(transport);
  const itemStart = `${transportJson.slice(0, -1)},`;
  for (let index = 0; index < items.length; index++) {
    const item: unknown = items[index];
    if (!isObject(item)) throw new Rejection('wrong_shape', `items[${index}] should be an object, got ${shown(item)}`);
    const itemErrors: string[] = [];
    const itemValues: unknown[] = [key, index];
    readColumns(ITEM_READERS, item, itemValues, itemErrors, `items[${index}].`);
    itemValues.push(itemErrors);
    rows.push({ table: PURCHASE_ITEMS.table, line: itemStart + line(itemValues).slice(1) });
  }
  return { rows };
}

function deadLetter(record: KafkaRecord, letter: Json, payload: string): Decoded {
  const entity = typeof letter.entity === 'string' && isEntity(letter.entity) ? letter.entity : undefined;
  const copy = structuredClone(letter);
  const removed = withoutPlaintext(entity, copy.document);
  const reason = typeof letter.reason === 'string' && letter.reason !== '' ? letter.reason : 'dead letter without a reason';
  return rejectedRow(record, 'dead_letter', removed ? `${reason}; plaintext PII removed by ingest` : reason, removed ? JSON.stringify(copy) : payload, letter, instant(letter.failed_at));
}

/**
 * Turns one message into its RAW rows, or into one row of `rejected` saying why it cannot be
 * one: never throws for what a message holds, so one bad message never stops the ingest.
 */
export function decode(record: KafkaRecord, roles: TopicRoles): Decoded {
  const payload = record.value?.toString('utf8') ?? '';
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch (error) {
    return rejectedRow(record, 'not_json', `not JSON: ${(error as Error).message}`, payload, undefined);
  }
  if (mayEscapeSurrogates(payload)) parsed = wellFormed(parsed);
  if (!isObject(parsed)) return rejectedRow(record, 'bad_envelope', `the message should be a JSON object, got ${shown(parsed)}`, payload, undefined);
  if (record.topic === roles.deadLetter) return deadLetter(record, parsed, payload);
  const topicEntity = roles.entityOf.get(record.topic);
  try {
    if (parsed.schema_version !== SCHEMA_VERSION) throw new Rejection('unknown_schema_version', `unknown schema_version ${shown(parsed.schema_version)}; this ingest reads ${SCHEMA_VERSION}`);
    if (typeof parsed.entity !== 'string' || parsed.entity === '') throw new Rejection('bad_envelope', 'the envelope has no entity');
    if (parsed.entity !== topicEntity) throw new Rejection('bad_envelope', `entity ${shown(parsed.entity)} on topic ${record.topic}, which carries ${topicEntity ?? 'no entity'}`);
    if (typeof parsed.source_id !== 'string' || parsed.source_id === '') throw new Rejection('bad_envelope', 'the envelope has no source_id');
    return entityRows(record, topicEntity, parsed);
  } catch (error) {
    if (!(error instanceof Rejection)) throw error;
    const copy = structuredClone(parsed);
    const removed = withoutPlaintext(topicEntity, copy.document);
    return rejectedRow(record, error.kind, error.message, removed ? JSON.stringify(copy) : payload, parsed);
  }
}
