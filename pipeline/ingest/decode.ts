import { BUSINESS_KEYS, isEntity, type Entity } from '../entities/entities.js';
import type { Row } from '../clickhouse/clickhouse.js';
import { PII_POLICY } from '../pii/policy.js';
import { SCHEMA_VERSION } from '../produce/envelope.js';
import { ENTITY_TABLES, PII_PARTS, PURCHASE_ITEMS, REJECTED_TABLE, type TableSpec } from './raw-tables.js';
import { DEFAULTS, instant, shown, typeValue } from './typing.js';

/** One Kafka message as the ingest sees it. */
export interface KafkaRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** Milliseconds since the epoch, as kafkajs gives it. */
  readonly timestamp: string;
}

export interface TopicRoles {
  /** Which entity each entity topic carries. */
  readonly entityOf: ReadonlyMap<string, Entity>;
  readonly deadLetter: string;
}

export const REJECTION_KINDS = ['not_json', 'bad_envelope', 'unknown_schema_version', 'wrong_shape', 'missing_business_key', 'plaintext_pii', 'dead_letter'] as const;
export type RejectionKind = (typeof REJECTION_KINDS)[number];

/** The rows one message becomes, by table. */
export interface Decoded {
  readonly rows: readonly { readonly table: string; readonly row: Row }[];
  readonly rejected?: RejectionKind;
}

/** Stands where a PII value arrived unprotected: RAW never holds plaintext, not even in `rejected`. */
export const PLAINTEXT_REMOVED = '[plaintext removed by ingest]';

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

type Found = { readonly present: true; readonly value: unknown } | { readonly present: false };

/** The value at a dotted path; a path through something that is not an object is the wrong shape. */
const ABSENT: Found = { present: false };
const pathParts = new Map<string, readonly string[]>();

function find(document: Json, path: string, where: string): Found {
  let parts = pathParts.get(path);
  if (parts === undefined) pathParts.set(path, (parts = path.split('.')));
  let current: unknown = document;
  for (let index = 0; index < parts.length; index++) {
    if (current === undefined || current === null) return ABSENT;
    if (!isObject(current)) throw new Rejection('wrong_shape', `${where}${parts.slice(0, index).join('.')} should be an object, got ${shown(current)}`);
    current = current[parts[index] ?? ''];
  }
  return current === undefined || current === null ? ABSENT : { present: true, value: current };
}

const isProtected = (value: unknown): value is Json => isObject(value) && typeof value.ciphertext === 'string' && typeof value.blind_index === 'string' && typeof value.masked === 'string' && typeof value.valid === 'boolean';

/** Fills `row` with the spec's columns from `source`; what cannot be typed is listed in `errors`. */
function flatten(spec: TableSpec, source: Json, row: Row, errors: string[], where = ''): void {
  for (const { column, path, type, nullable } of spec.scalars) {
    const found = find(source, path, where);
    if (!found.present) {
      row[column] = nullable ? null : DEFAULTS[type];
      if (!nullable) errors.push(`${where}${path}: absent`);
      continue;
    }
    const typed = typeValue(type, found.value);
    if (typed.ok) row[column] = typed.value;
    else {
      row[column] = nullable ? null : DEFAULTS[type];
      errors.push(`${where}${path}: ${typed.reason}`);
    }
  }
  for (const { prefix, path, nullable } of spec.pii) {
    const found = find(source, path, where);
    const value = found.present ? found.value : undefined;
    if (isProtected(value)) {
      for (const part of PII_PARTS) row[`${prefix}_${part}`] = value[part];
    } else if (value === undefined || value === '') {
      // Absent, or delivered empty (the producer leaves an empty value as it is): nothing to protect.
      const empty = value === '' || !nullable;
      for (const part of PII_PARTS) row[`${prefix}_${part}`] = empty ? (part === 'valid' ? false : '') : null;
      if (value === undefined && !nullable) errors.push(`${where}${path}: absent`);
    } else if (typeof value === 'string' || typeof value === 'number') {
      throw new Rejection('plaintext_pii', `${where}${path} arrived unprotected; its value was removed from the payload`);
    } else {
      throw new Rejection('wrong_shape', `${where}${path} should be a protected value {ciphertext, blind_index, masked, valid}, got ${shown(value)}`);
    }
  }
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

function kafkaColumns(record: KafkaRecord): Row {
  return {
    kafka_topic: record.topic,
    kafka_partition: record.partition,
    kafka_offset: Number(record.offset),
    kafka_key: record.key?.toString('utf8') ?? '',
    kafka_timestamp: new Date(Number(record.timestamp)).toISOString(),
  };
}

function rejectedRow(record: KafkaRecord, kind: RejectionKind, error: string, payload: string, envelope: Json | undefined, failedAt?: string): Decoded {
  return {
    rejected: kind,
    rows: [
      {
        table: REJECTED_TABLE,
        row: {
          ...kafkaColumns(record),
          origin: kind === 'dead_letter' ? 'producer' : 'ingest',
          error_kind: kind,
          error,
          entity: text(envelope?.entity),
          source_id: text(envelope?.source_id),
          pii_key_id: text(envelope?.pii_key_id),
          payload,
          failed_at: failedAt ?? new Date().toISOString(),
        },
      },
    ],
  };
}

/** The envelope's fields every entity row carries; an unreadable optional one is an error, not a refusal. */
function envelopeColumns(envelope: Json, errors: string[]): Row {
  const emittedAt = instant(envelope.emitted_at);
  if (emittedAt === undefined) errors.push(`emitted_at: not an ISO 8601 date and time: ${shown(envelope.emitted_at)}`);
  const loadedAt = envelope.loaded_at === '' || envelope.loaded_at === undefined ? null : (instant(envelope.loaded_at) ?? null);
  if (loadedAt === null && envelope.loaded_at !== '' && envelope.loaded_at !== undefined) errors.push(`loaded_at: not an ISO 8601 date and time: ${shown(envelope.loaded_at)}`);
  if (typeof envelope.op !== 'string') errors.push(`op: not text: ${shown(envelope.op)}`);
  return {
    schema_version: envelope.schema_version,
    source_id: envelope.source_id,
    op: text(envelope.op),
    emitted_at: emittedAt ?? DEFAULTS.datetime,
    loaded_at: loadedAt,
    pii_key_id: text(envelope.pii_key_id),
    content_hash: text(envelope.content_hash),
  };
}

function entityRows(record: KafkaRecord, entity: Entity, envelope: Json): Decoded {
  const document = envelope.document;
  if (!isObject(document)) throw new Rejection('wrong_shape', `document should be an object, got ${shown(document)}`);
  const key = document[BUSINESS_KEYS[entity]];
  if (typeof key !== 'string' || key.trim() === '') throw new Rejection('missing_business_key', `document has no business key ${BUSINESS_KEYS[entity]}`);
  const errors: string[] = [];
  const base = { ...kafkaColumns(record), ...envelopeColumns(envelope, errors) };
  const row: Row = { ...base };
  flatten(ENTITY_TABLES[entity], document, row, errors);
  const rows: { table: string; row: Row }[] = [];
  if (entity === 'purchases') {
    const items = document.items;
    if (items !== undefined && items !== null && !Array.isArray(items)) throw new Rejection('wrong_shape', `items should be an array, got ${shown(items)}`);
    row.item_count = Array.isArray(items) ? items.length : null;
    for (const [index, item] of (Array.isArray(items) ? items : []).entries()) {
      if (!isObject(item)) throw new Rejection('wrong_shape', `items[${index}] should be an object, got ${shown(item)}`);
      const itemErrors: string[] = [];
      const itemRow: Row = { ...base, purchase_id: key, item_index: index };
      flatten(PURCHASE_ITEMS, item, itemRow, itemErrors, `items[${index}].`);
      itemRow.parse_errors = itemErrors;
      rows.push({ table: PURCHASE_ITEMS.table, row: itemRow });
    }
  }
  row.parse_errors = errors;
  rows.unshift({ table: ENTITY_TABLES[entity].table, row });
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
