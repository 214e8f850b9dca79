import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedClickHouse } from '../../pipeline/clickhouse/embedded.js';
import { defaultMigrationsDir, migrate, readMigrations } from '../../pipeline/clickhouse/migrations.js';
import { ENTITIES, type Document, type Entity } from '../../pipeline/entities/entities.js';
import { DIRTY_PROFILES } from '../../pipeline/generate/defects.js';
import { generateDocuments } from '../../pipeline/generate/generator.js';
import { newManifest } from '../../pipeline/generate/manifest.js';
import { decode, type KafkaRecord, type TopicRoles } from '../helpers/ingest-reference/decode.js';
import { landingInserts, type LandedMessage } from '../../pipeline/ingest/landing.js';
import { INGEST_TABLES, insertColumnsOf, PURCHASE_ITEMS, RAW_DATABASE, REJECTED_TABLE } from '../../pipeline/ingest/raw-tables.js';
import { CONTENT_HASH, contentHash, LOADED_AT } from '../../pipeline/load/mongo-writer.js';
import { generateKeys, keyringFrom } from '../../pipeline/pii/keys.js';
import { toMessage } from '../../pipeline/produce/message.js';
import { makeTempDir } from '../helpers/temp-dir.js';

/**
 * Parity of the two ways a Kafka message becomes RAW rows: today's JavaScript decode
 * (decode.ts, typing.ts) and ClickHouse parsing the envelopes itself (the views of
 * sql/007–013). decode.ts is the specification being ported: every expected value here
 * comes from the JavaScript path, and the SQL path must give the same rows, column by
 * column, in every RAW table and in `rejected` (reasons included). The SQL path runs in a
 * second database, `piccha_raw_sql`, built from the same migration files.
 *
 * Where SQL cannot give decode.ts's exact text, SQL_TEXTS below names the case and the
 * exact text SQL gives instead; nothing else is allowed to differ.
 */

const SQL_DATABASE = 'piccha_raw_sql';
const state = makeTempDir('envelope-parity');

const roles: TopicRoles = { entityOf: new Map(ENTITIES.map((entity): [string, Entity] => [`p.${entity}`, entity])), deadLetter: 'p.dlq' };
const roleOf = (topic: string): string => (topic === roles.deadLetter ? 'dead_letter' : (roles.entityOf.get(topic) ?? ''));

interface Case {
  /** What the case is: one `it` each, and the Kafka key of its message. */
  readonly name: string;
  readonly topic: string;
  readonly value: string;
}

const now = '2026-11-25T12:00:00.000Z';
const keys = generateKeys();
const keyring = keyringFrom({ PICCHA_PII_KEYS: `${keys.keyId}:${keys.key}`, PICCHA_PII_INDEX_KEY: keys.indexKey });

/** Generated documents of every entity (the heavy defect profile, so some are dead letters), as the producer's toMessage sends them. */
function generatedCases(): Case[] {
  const options = { seed: 23, now: Date.parse(now), days: 90, counts: { stores: 12, products: 12, customers: 24, purchases: 60 }, defects: DIRTY_PROFILES.heavy ?? { rates: {}, maxCopies: 1 } };
  const cases: Case[] = [];
  let index = 0;
  for (const { entity, document } of generateDocuments(options, newManifest({ seed: 23, now, days: 90, profile: 'heavy', rates: {}, max_copies: 2 }))) {
    const stored: Document = { ...document, [LOADED_AT]: new Date(Date.parse(now) - 1000), [CONTENT_HASH]: contentHash(document) };
    const { message, dead } = toMessage(entity, stored, keyring, now);
    index += 1;
    cases.push({ name: `generated ${entity} #${index}${dead ? ' (dead letter)' : ''}`, topic: dead ? roles.deadLetter : `p.${entity}`, value: String(message.value) });
  }
  return cases;
}

const protectedValue = (name: string) => ({ ciphertext: `pii1.${name}.k1.AAAA.BBBB`, blind_index: `bi-${name}`, masked: 'i***@mail.ru', valid: true });
const basePurchase: Document = {
  purchase_id: 'ord-1',
  customer: { customer_id: 'cus-1', first_name: 'Иван', last_name: 'Петров', email: protectedValue('email'), phone: protectedValue('phone'), is_loyalty_member: true, loyalty_card_number: 'LC-1' },
  store: { store_id: 'store-001', store_name: 'Большая Пикча №1', store_network: 'Большая Пикча', location: { country: 'Россия', city: 'Тверь', street: 'ул. Ленина', house: '1', postal_code: '170000', coordinates: { latitude: 56.85, longitude: 35.9 } } },
  items: [
    { product_id: 'prd-1', name: 'Хлеб', category: 'Выпечка', quantity: 2, unit: 'шт', price_per_unit: 45.5, total_price: 91, kbju: { calories: 250, protein: 8, fat: 1.5, carbohydrates: 50 }, manufacturer: { name: 'ООО Хлеб', country: 'Россия', website: 'https://bread.example', inn: '7701234567' } },
    { product_id: 'prd-2', name: 'Молоко', category: 'Молочные', quantity: 1, unit: 'л', price_per_unit: 80.99, total_price: 80.99, kbju: { calories: 60, protein: 3, fat: 3.2, carbohydrates: 4.7 }, manufacturer: { name: 'АО Молоко', country: 'Россия', website: 'https://milk.example', inn: '7707654321' } },
  ],
  total_amount: 171.99,
  payment_method: 'card',
  is_delivery: true,
  delivery_address: { country: 'Россия', city: 'Тверь', street: 'ул. Советская', house: '5', apartment: '12', postal_code: '170001' },
  purchase_datetime: '2026-11-20T14:33:00+03:00',
};
const envelopeOf = (entity: Entity, document: unknown, changes: Record<string, unknown> = {}) =>
  JSON.stringify({ schema_version: 1, entity, source_id: `${entity}-1-0`, op: 'upsert', emitted_at: '2026-11-25T12:00:01.000Z', loaded_at: '2026-11-25T12:00:00.500Z', pii_key_id: 'k1', content_hash: 'abc', document, ...changes });
const purchase = (changes: Record<string, unknown>, envelope: Record<string, unknown> = {}) => envelopeOf('purchases', { ...basePurchase, ...changes }, envelope);
const withItem = (changes: Record<string, unknown>) => purchase({ items: [{ ...(basePurchase.items as Document[])[0], ...changes }] });
const customer = (basePurchase.customer as Document);

/** Plaintext in a payload not in JSON.stringify's form: decode.ts re-serialises it, SQL replaces the value where it stands. */
const PRETTY_PLAINTEXT = purchase({}).replace('"document":', '"document" : ').replace(/"email":\{[^}]*\}/, '"email" : "ivan.petrov@mail.ru"');
/** A key spelt with an escape: SQL cannot find the value in the text, so the payload is withheld rather than stored with it. */
const ESCAPED_KEY_PLAINTEXT = purchase({}).replace(/"email":\{[^}]*\}/, '"em\\u0061il":"ivan.petrov@mail.ru"');

/** The texts SQL gives where decode.ts's cannot be reproduced: by case name, column and the exact SQL value. */
const LONE_SURROGATE_REJECTED = envelopeOf('purchases', { ...basePurchase, store: { store_id: 'store-001', store_name: 'Пикча \ud800' } }, { schema_version: 9 });

const SQL_TEXTS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'plaintext in a pretty-printed payload': { payload: PRETTY_PLAINTEXT.replace('"ivan.petrov@mail.ru"', '"[plaintext removed by ingest]"') },
  'plaintext under an escaped key': { payload: '{"payload_withheld":"plaintext PII at document.customer.email could not be removed in place"}' },
  // V8's JSON.parse message (position, expected token) has no counterpart in ClickHouse.
  'not JSON: cut short': { error: 'not JSON: the payload does not parse as JSON' },
  'not JSON: empty payload': { error: 'not JSON: the payload is empty' },
  'dead letter: not JSON': { error: 'not JSON: the payload does not parse as JSON' },
  // The ingest lands a lone surrogate escape as \ufffd (landing.ts), so a rejected payload shows that.
  'lone surrogate escape, rejected for its version': { payload: LONE_SURROGATE_REJECTED.replace('\\ud800', '\\ufffd') },
};


/** Every poison kind of ingest-decode.test.ts and ingest.test.ts, and values RAW keeps for the cleaning layer. */
function handWrittenCases(): Case[] {
  const onPurchases = (name: string, value: string): Case => ({ name, topic: 'p.purchases', value });
  const store = { store_id: 'store-7', store_name: 'Маленькая Пикча', store_network: 'Маленькая Пикча', store_type_description: 'у дома', type: 'small', categories: ['Выпечка'], manager: { name: 'Анна', email: protectedValue('m-email'), phone: protectedValue('m-phone') }, opening_hours: { mon_fri: '8-22', sat: '9-22', sun: '9-21' }, accepts_online_orders: true, delivery_available: false, warehouse_connected: true, last_inventory_date: '2026-11-01' };
  const product = { id: 'prd-9', name: 'Сыр', group: 'Молочные', description: 'твёрдый', kbju: { calories: 350, protein: 25, fat: 27, carbohydrates: 0 }, price: 899.9, unit: 'кг', origin_country: 'Россия', expiry_days: 60, is_organic: false, barcode: '4600000000001', manufacturer: { name: 'Сыровар', country: 'Россия', website: 'https://cheese.example', inn: '7700000001' } };
  const person = { customer_id: 'cus-9', first_name: 'Олег', last_name: 'Сидоров', email: protectedValue('c-email'), phone: protectedValue('c-phone'), birth_date: '1985-04-12', gender: 'male', registration_date: '2024-01-02T10:00:00Z', is_loyalty_member: false, loyalty_card_number: '', purchase_location: { country: 'Россия', city: 'Тверь', street: 'ул. Ленина', house: '1', postal_code: '170000', coordinates: { latitude: 56.8, longitude: 35.9 } }, delivery_address: { country: 'Россия', city: 'Тверь', street: 'ул. Мира', house: '3', apartment: '7', postal_code: '170002' }, preferences: { preferred_language: 'ru', preferred_payment_method: 'card', receive_promotions: true } };
  const big = 16 * 1024 * 1024;
  return [
    onPurchases('valid purchase', purchase({})),
    onPurchases('not JSON: cut short', '{"schema_version": 1, "enti'),
    onPurchases('not JSON: empty payload', ''),
    onPurchases('top-level array', '[1, 2, 3]'),
    onPurchases('top-level empty array', '[]'),
    onPurchases('top-level text', '"text"'),
    onPurchases('top-level null', 'null'),
    onPurchases('unknown schema_version 2', purchase({}, { schema_version: 2 })),
    onPurchases('schema_version as text', purchase({}, { schema_version: '1' })),
    onPurchases('schema_version absent', purchase({}, { schema_version: undefined })),
    onPurchases('entity absent', purchase({}, { entity: undefined })),
    onPurchases('entity of another topic', purchase({}, { entity: 'stores' })),
    onPurchases('entity a number', purchase({}, { entity: 42 })),
    onPurchases('source_id empty', purchase({}, { source_id: '' })),
    onPurchases('source_id absent', purchase({}, { source_id: undefined })),
    onPurchases('document text', envelopeOf('purchases', 'text')),
    onPurchases('document null', envelopeOf('purchases', null)),
    onPurchases('document absent', envelopeOf('purchases', undefined)),
    onPurchases('document an array', envelopeOf('purchases', [1, 2])),
    onPurchases('business key blank', purchase({ purchase_id: ' ' })),
    onPurchases('business key absent', purchase({ purchase_id: undefined })),
    onPurchases('business key a number', purchase({ purchase_id: 42 })),
    onPurchases('store as text', purchase({ store: 'store-001' })),
    onPurchases('customer a number', purchase({ customer: 42 })),
    onPurchases('store.location an array', purchase({ store: { store_id: 'store-001', location: [1, 2] } })),
    onPurchases('items text', purchase({ items: 'three apples' })),
    onPurchases('items an object', purchase({ items: { a: 1 } })),
    onPurchases('items with a number', purchase({ items: [1] })),
    onPurchases('items with null second', purchase({ items: [(basePurchase.items as Document[])[0], null] })),
    onPurchases('items with an array second', purchase({ items: [(basePurchase.items as Document[])[0], [5]] })),
    onPurchases('item kbju text', withItem({ kbju: 'много' })),
    onPurchases('email not protected shape', purchase({ customer: { ...customer, email: { ciphertext: 1 } } })),
    onPurchases('email a flag', purchase({ customer: { ...customer, email: true } })),
    onPurchases('plaintext phone', purchase({ customer: { ...customer, phone: '+79161234567' } })),
    onPurchases('plaintext email number', purchase({ customer: { ...customer, email: 79161234567 } })),
    onPurchases('plaintext spelt with an escape', purchase({ customer: { ...customer, email: 'PLACEHOLDER' } }).replace('"PLACEHOLDER"', '"ivan.petrov\\u0040mail.ru"')),
    onPurchases('plaintext in a pretty-printed payload', PRETTY_PLAINTEXT),
    onPurchases('plaintext under an escaped key', ESCAPED_KEY_PLAINTEXT),
    onPurchases('plaintext with schema_version 2', purchase({ customer: { ...customer, email: 'ivan.petrov@mail.ru' } }, { schema_version: 2 })),
    onPurchases('kept: bad dates and negative total', purchase({ purchase_datetime: 'вчера', total_amount: -12.5 })),
    onPurchases('kept: no such day, rolled over by Date.parse', purchase({ purchase_datetime: '2026-02-30T10:00:00+03:00' })),
    onPurchases('kept: date without offset', purchase({ purchase_datetime: '2026-11-20T14:33:00' })),
    onPurchases('kept: space, offset without colon', purchase({ purchase_datetime: ' 2026-11-20 14:33:00.1234+0300 ' })),
    onPurchases('kept: 24:00', purchase({ purchase_datetime: '2026-01-01T24:00:00Z' })),
    onPurchases('kept: before 1900', purchase({ purchase_datetime: '1899-12-31T23:00:00Z' })),
    onPurchases('kept: envelope times', purchase({}, { emitted_at: 'вчера', loaded_at: null, op: 7, content_hash: undefined })),
    onPurchases('kept: loaded_at empty', purchase({}, { loaded_at: '' })),
    onPurchases('kept: negative quantity', withItem({ quantity: -1 })),
    onPurchases('kept: untypeable item values', withItem({ quantity: 1.5, total_price: 1e10, price_per_unit: -45.5, kbju: { calories: 'много', protein: 1, fat: 2, carbohydrates: 3 }, manufacturer: { name: 'ООО', country: 'Россия', website: null, inn: 1234567890 } })),
    onPurchases('kept: untypeable purchase values', purchase({ customer: { customer_id: 42, email: '', is_loyalty_member: 'no' }, store: { store_id: 'store-001', location: { coordinates: { latitude: '56.85' } } }, total_amount: '12.345', is_delivery: null, delivery_address: { country: 'Россия', city: ['Тверь'], street: 'ул. "Новая" \\ 1', house: 7, apartment: true, postal_code: '170000' } })),
    onPurchases('kept: money as text and out of range', purchase({ total_amount: ' 99.5 ', items: [{ ...(basePurchase.items as Document[])[0], total_price: '1e3', price_per_unit: 12345678901 }] })),
    onPurchases('kept: no items, no customer', purchase({ items: null, customer: null })),
    onPurchases('kept: empty items', purchase({ items: [] })),
    onPurchases('unicode and emoji', purchase({ customer: { ...customer, first_name: 'Zoë 🥖 ✓' }, total_amount: '🥖🥖', items: [{ ...(basePurchase.items as Document[])[0], name: 'Хлеб 🥖', quantity: '🥖' }] })),
    onPurchases('long untypeable value, cut', purchase({ total_amount: `много ${'денег '.repeat(30)}` })),
    onPurchases('long emoji value, cut between characters', purchase({ total_amount: '🥖'.repeat(40) })),
    onPurchases('lone surrogate escapes, kept', purchase({ store: { ...(basePurchase.store as Document), store_name: 'Пикча \ud800' }, items: [{ ...(basePurchase.items as Document[])[0], name: '\udc00Хлеб\ud83d\ude00' }] })),
    onPurchases('lone surrogate escape, rejected for its version', LONE_SURROGATE_REJECTED),
    onPurchases('16 MB payload', purchase({ customer: { ...customer, first_name: 'x'.repeat(big) } })),
    onPurchases('16 MB untypeable value', purchase({ total_amount: 'y'.repeat(big) })),
    { name: 'valid store', topic: 'p.stores', value: envelopeOf('stores', store) },
    { name: 'store: manager as text', topic: 'p.stores', value: envelopeOf('stores', { ...store, manager: 'Анна' }) },
    { name: 'store: manager absent', topic: 'p.stores', value: envelopeOf('stores', { ...store, manager: undefined }) },
    { name: 'store: untypeable values', topic: 'p.stores', value: envelopeOf('stores', { ...store, categories: ['a', 1], last_inventory_date: '2026-02-30', accepts_online_orders: 'yes' }) },
    { name: 'store: dates out of range', topic: 'p.stores', value: envelopeOf('stores', { ...store, categories: ['a', null], last_inventory_date: '1960-01-01' }) },
    { name: 'store: plaintext manager email', topic: 'p.stores', value: envelopeOf('stores', { ...store, manager: { name: 'Анна', email: 'anna@mail.ru' } }) },
    { name: 'store: missing key', topic: 'p.stores', value: envelopeOf('stores', { ...store, store_id: '' }) },
    { name: 'valid product', topic: 'p.products', value: envelopeOf('products', product) },
    { name: 'product: untypeable values', topic: 'p.products', value: envelopeOf('products', { ...product, price: '12.345', expiry_days: 70_000, group: undefined, is_organic: null, kbju: { calories: '1', protein: null } }) },
    { name: 'product: whole numbers as floats', topic: 'p.products', value: envelopeOf('products', { ...product, expiry_days: 60.5, price: 1e-7 }) },
    { name: 'product: missing key', topic: 'p.products', value: envelopeOf('products', { ...product, id: undefined }) },
    { name: 'valid customer', topic: 'p.customers', value: envelopeOf('customers', person) },
    { name: 'customer: untypeable values', topic: 'p.customers', value: envelopeOf('customers', { ...person, birth_date: '1850-01-01', registration_date: '2024-13-02T10:00:00Z', purchase_location: undefined, email: undefined, phone: '' }) },
    { name: 'customer: bad birth dates', topic: 'p.customers', value: envelopeOf('customers', { ...person, birth_date: '12.04.1985', registration_date: 1_700_000_000 }) },
    { name: 'customer: plaintext email', topic: 'p.customers', value: envelopeOf('customers', { ...person, email: 'oleg@mail.ru' }) },
    { name: 'customer: preferences a list', topic: 'p.customers', value: envelopeOf('customers', { ...person, preferences: ['ru'] }) },
    { name: 'dead letter: plaintext removed', topic: 'p.dlq', value: JSON.stringify({ schema_version: 1, entity: 'customers', source_id: 'dlq-1', reason: 'missing business key customer_id', failed_at: '2026-11-25T12:00:01.000Z', pii_key_id: 'k1', document: { first_name: 'Иван', email: 'leaked@mail.ru', phone: 79161234567 } }) },
    { name: 'dead letter: no reason, bad time', topic: 'p.dlq', value: JSON.stringify({ schema_version: 1, entity: 'stores', source_id: 'dlq-2', failed_at: 'вчера', document: null }) },
    { name: 'dead letter: unknown entity', topic: 'p.dlq', value: JSON.stringify({ entity: 'orders', source_id: 7, reason: '', document: { email: 'x@y.z' } }) },
    { name: 'dead letter: not JSON', topic: 'p.dlq', value: '{"reason": ' },
    { name: 'dead letter: top-level array', topic: 'p.dlq', value: '["reason"]' },
  ];
}

/**
 * decode.ts cuts a shown value at 57 UTF-16 code units, which can split an emoji's surrogate
 * pair: the lone half makes ClickHouse refuse the whole JSONCompactEachRow insert ("missing
 * second part of surrogate pair"), so the JavaScript path cannot write this message at all.
 * SQL cuts before the character instead; the expectation is computed here.
 */
const SPLIT_PAIR: Case = { name: 'long emoji value, cut inside a character', topic: 'p.purchases', value: purchase({ total_amount: `a${'🥖'.repeat(40)}` }) };
const SPLIT_PAIR_ERROR = `total_amount: not a number: "a${'🥖'.repeat(27)}…`;

type Row = Record<string, unknown>;
interface Landed {
  readonly kase: Case;
  readonly record: KafkaRecord;
}

const cases = [...handWrittenCases(), ...generatedCases()];
const offsets = new Map<string, number>();
const landed: Landed[] = cases.map((kase) => {
  const offset = offsets.get(kase.topic) ?? 0;
  offsets.set(kase.topic, offset + 1);
  return { kase, record: { topic: kase.topic, partition: 0, offset: String(offset), key: Buffer.from(kase.name), value: Buffer.from(kase.value), timestamp: String(Date.parse('2026-11-25T12:00:00.123Z') + offset) } };
});

/** Rows of one table of a database, by their message's Kafka key. */
type Rows = Map<string, Row[]>;
const byTable = { js: new Map<string, Rows>(), sql: new Map<string, Rows>() };
let countsOnce: number[] = [];
let countsTwice: number[] = [];
let countsPartial: number[] = [];
let countsMended: number[] = [];
let started = 0;
let finished = 0;

describe('envelopes parsed by ClickHouse: the same RAW rows as the JavaScript decode', () => {
  beforeAll(async () => {
    const clickhouse = new EmbeddedClickHouse(join(state.path, 'clickhouse'));
    try {
      const raw = readMigrations(defaultMigrationsDir()).filter(({ layer }) => layer === 'raw');
      await migrate(clickhouse, raw);
      for (const { statements } of raw) for (const statement of statements) await clickhouse.exec(statement.replaceAll(/\bpiccha_raw\b/g, SQL_DATABASE));

      started = Date.now();
      // The JavaScript path: decode.ts's rows, one insert per table, as raw-writer.ts writes them.
      const lines = new Map<string, string[]>();
      for (const { record } of landed) {
        for (const { table, line } of decode(record, roles).rows) {
          let list = lines.get(table);
          if (list === undefined) lines.set(table, (list = []));
          list.push(line);
        }
      }
      for (const [table, list] of lines) await clickhouse.insertCompact(table, { columns: insertColumnsOf(table), body: `${list.join('\n')}\n` }, { async_insert: 0 });
      // The SQL path: the landing rows the ingest writes (landing.ts), two inserts, so the views run per block.
      const messages: LandedMessage[] = landed.map(({ record }) => record);
      messages.push({ topic: SPLIT_PAIR.topic, partition: 1, offset: '0', key: Buffer.from(SPLIT_PAIR.name), value: Buffer.from(SPLIT_PAIR.value), timestamp: String(Date.parse(now)) });
      // One insert per role into its landing table, as raw-writer.ts lands a flush.
      const land = async (part: readonly LandedMessage[]) => {
        for (const { table, rows } of landingInserts(part, roleOf)) await clickhouse.insertRowBinary(table.replace(RAW_DATABASE, SQL_DATABASE), rows, { async_insert: 0 });
      };
      const half = Math.floor(messages.length / 2);
      for (const part of [messages.slice(0, half), messages.slice(half)]) await land(part);
      finished = Date.now();
      // Redelivery (a crash between the insert and the offset commit): the same messages again add nothing.
      const counts = async () => Promise.all(INGEST_TABLES.map(async (table) => Number((await clickhouse.query<{ n: string }>(`SELECT count() AS n FROM ${table.replace(RAW_DATABASE, SQL_DATABASE)}`))[0]?.n)));
      countsOnce = await counts();
      await land(messages);
      countsTwice = await counts();
      // A crash inside ClickHouse between two views' writes (purchases written, their items not), and the redelivery that follows.
      await clickhouse.exec(`ALTER TABLE ${SQL_DATABASE}.purchase_items DELETE WHERE kafka_offset % 2 = 0 SETTINGS mutations_sync = 2`);
      countsPartial = await counts();
      await land(messages);
      countsMended = await counts();

      for (const table of INGEST_TABLES) {
        const order = table === PURCHASE_ITEMS.table ? 'kafka_topic, kafka_partition, kafka_offset, item_index' : 'kafka_topic, kafka_partition, kafka_offset';
        for (const [side, database] of [['js', RAW_DATABASE], ['sql', SQL_DATABASE]] as const) {
          const rows = await clickhouse.query(`SELECT * EXCEPT ingested_at FROM ${table.replace(RAW_DATABASE, database)} ORDER BY ${order}`);
          const grouped: Rows = new Map();
          for (const row of rows) {
            const key = String(row.kafka_key);
            grouped.set(key, [...(grouped.get(key) ?? []), row]);
          }
          byTable[side].set(table, grouped);
        }
      }
    } finally {
      await clickhouse.close();
    }
  }, 300_000);
  afterAll(() => state.remove());

  /** A time ClickHouse or the decode took from the clock, at the second it is written with. */
  const duringRun = (value: unknown) => {
    const ms = Date.parse(`${String(value).replace(' ', 'T')}Z`);
    return ms >= Math.floor(started / 1000) * 1000 && ms <= finished + 1000;
  };

  it('covers every entity topic, the dead letters and every rejection kind', () => {
    const kinds = new Set([...(byTable.js.get(REJECTED_TABLE)?.values() ?? [])].flat().map((row) => String(row.error_kind)));
    expect([...kinds].sort()).toEqual(['bad_envelope', 'dead_letter', 'missing_business_key', 'not_json', 'plaintext_pii', 'unknown_schema_version', 'wrong_shape']);
    for (const entity of ENTITIES) expect(cases.some(({ name, topic }) => topic === `p.${entity}` && name.startsWith('generated'))).toBe(true);
    expect(cases.some(({ name }) => name.endsWith('(dead letter)'))).toBe(true);
  });

  it('the same messages landing twice add no row to any table: each view keeps only offsets its table does not hold', () => {
    expect(countsOnce.every((n) => n > 0)).toBe(true);
    expect(countsTwice).toEqual(countsOnce);
  });

  it('a table that missed part of an insert gets exactly its missing rows from the redelivery, the others none', () => {
    const items = INGEST_TABLES.indexOf(PURCHASE_ITEMS.table);
    expect(countsPartial[items]).toBeLessThan(countsOnce[items] ?? 0);
    expect(countsPartial.filter((_, index) => index !== items)).toEqual(countsOnce.filter((_, index) => index !== items));
    expect(countsMended).toEqual(countsOnce);
  });

  it('a value cut inside an emoji (which the JavaScript path cannot insert): SQL cuts before the character', () => {
    const [row] = byTable.sql.get('piccha_raw.purchases')?.get(SPLIT_PAIR.name) ?? [];
    expect(row).toMatchObject({ kafka_partition: 1, kafka_offset: '0', total_amount: null });
    expect(row?.parse_errors).toEqual([SPLIT_PAIR_ERROR]);
    expect(byTable.js.get('piccha_raw.purchases')?.get(SPLIT_PAIR.name)).toBeUndefined();
  });

  it.each(cases.map((kase) => [kase.name, kase] as const))('%s', (_name, kase) => {
    let compared = 0;
    for (const table of INGEST_TABLES) {
      const expected = byTable.js.get(table)?.get(kase.name) ?? [];
      const actual = byTable.sql.get(table)?.get(kase.name) ?? [];
      expect(actual.length, `${table}: rows`).toBe(expected.length);
      for (const [index, want] of expected.entries()) {
        const got = actual[index] ?? {};
        for (const [column, value] of Object.entries(want)) {
          const where = `${table}[${index}].${column}`;
          const sqlText = SQL_TEXTS[kase.name]?.[column];
          if (sqlText !== undefined) {
            expect(typeof value === 'string' && value !== sqlText, `${where}: decode.ts's own text`).toBe(true);
            expect(got[column], where).toBe(sqlText);
          } else if (table === REJECTED_TABLE && column === 'failed_at' && !duringRun(value)) {
            expect(got[column], where).toEqual(value);
          } else if (table === REJECTED_TABLE && column === 'failed_at') {
            // Taken from each side's clock: both within the run.
            expect(duringRun(got[column]), `${where}: ${String(got[column])}`).toBe(true);
          } else {
            expect(got[column], where).toEqual(value);
          }
          compared += 1;
        }
        expect(Object.keys(got).sort(), `${table}[${index}]: columns`).toEqual(Object.keys(want).sort());
      }
    }
    expect(compared).toBeGreaterThan(0);
  });
});
