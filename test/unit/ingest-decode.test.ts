import { describe, expect, it } from 'vitest';
import { ENTITIES, type Entity } from '../../pipeline/entities/entities.js';
import { decode as decodeLines, type KafkaRecord, type RejectionKind, type TopicRoles } from '../helpers/ingest-reference/decode.js';
import { DIRTY_PROFILES } from '../../pipeline/generate/defects.js';
import { generateDocuments } from '../../pipeline/generate/generator.js';
import { newManifest } from '../../pipeline/generate/manifest.js';
import { ENTITY_TABLES, INSERT_COLUMNS, PII_PARTS, PLAINTEXT_REMOVED, PURCHASE_ITEMS, type TableSpec, type ValueType } from '../../pipeline/ingest/raw-tables.js';
import { isoUtc, typeValue } from '../helpers/ingest-reference/typing.js';
import { generateKeys, keyringFrom } from '../../pipeline/pii/keys.js';
import { protectDocument } from '../../pipeline/pii/protect.js';

/** A decoded row read back as ClickHouse reads its line: the JSON array's values under the table's insert columns. */
function rowOf(table: string, line: string): Record<string, unknown> {
  const columns = INSERT_COLUMNS.get(table) ?? [];
  const values = JSON.parse(line) as unknown[];
  expect(values).toHaveLength(columns.length);
  return Object.fromEntries(columns.map((column, index) => [column, values[index]]));
}

function decode(record: KafkaRecord, topicRoles: TopicRoles): { rejected?: RejectionKind; rows: { table: string; row: Record<string, unknown> }[] } {
  const decoded = decodeLines(record, topicRoles);
  return { rejected: decoded.rejected, rows: decoded.rows.map(({ table, line }) => ({ table, row: rowOf(table, line) })) };
}

const roles: TopicRoles = { entityOf: new Map(ENTITIES.map((entity): [string, Entity] => [`p.${entity}`, entity])), deadLetter: 'p.dlq' };
const record = (topic: string, value: unknown, offset = 7): KafkaRecord => ({
  topic,
  partition: 2,
  offset: String(offset),
  key: Buffer.from('ord-1'),
  value: typeof value === 'string' ? Buffer.from(value) : Buffer.from(JSON.stringify(value)),
  timestamp: String(Date.parse('2026-11-25T12:00:00.123Z')),
});
const pii = (ciphertext: string) => ({ ciphertext, blind_index: 'bi', masked: 'm***', valid: true });
const envelope = (document: Record<string, unknown>, changes: Record<string, unknown> = {}) => ({
  schema_version: 1,
  entity: 'purchases',
  source_id: 'purchases-1-0',
  op: 'upsert',
  emitted_at: '2026-11-25T12:00:01.000Z',
  loaded_at: '2026-11-25T12:00:00.500Z',
  pii_key_id: 'k1',
  content_hash: 'abc',
  document,
  ...changes,
});
const purchase = {
  purchase_id: 'ord-1',
  customer: { customer_id: 'cus-1', first_name: 'Иван', email: pii('pii1.email.k1.a.b'), phone: pii('pii1.phone.k1.c.d'), is_loyalty_member: true },
  store: { store_id: 'store-001', location: { city: 'Тверь', coordinates: { latitude: 56.85, longitude: 35.9 } } },
  items: [
    { product_id: 'prd-1', name: 'Хлеб', quantity: 2, price_per_unit: 45.5, total_price: 91, kbju: { calories: 250 } },
    { product_id: 'prd-2', name: 'Молоко', quantity: -1, price_per_unit: 80.99, total_price: 80.99 },
  ],
  total_amount: 171.99,
  payment_method: 'card',
  is_delivery: false,
  purchase_datetime: '2026-11-20T14:33:00+03:00',
};

describe('decode: one message → RAW rows', () => {
  it('flattens a purchase and explodes its items, with the transport metadata on every row', () => {
    const decoded = decode(record('p.purchases', envelope(purchase)), roles);
    expect(decoded.rejected).toBeUndefined();
    expect(decoded.rows.map((r) => r.table)).toEqual(['piccha_raw.purchases', 'piccha_raw.purchase_items', 'piccha_raw.purchase_items']);
    const [head, first, second] = decoded.rows.map((r) => r.row);
    expect(head).toMatchObject({
      kafka_topic: 'p.purchases',
      kafka_partition: 2,
      kafka_offset: 7,
      kafka_key: 'ord-1',
      kafka_timestamp: '2026-11-25T12:00:00.123Z',
      schema_version: 1,
      source_id: 'purchases-1-0',
      content_hash: 'abc',
      purchase_id: 'ord-1',
      customer_id: 'cus-1',
      customer_email_ciphertext: 'pii1.email.k1.a.b',
      customer_phone_valid: true,
      store_location_latitude: 56.85,
      store_network: null,
      item_count: 2,
      total_amount: '171.99',
      purchase_datetime: '2026-11-20T11:33:00.000Z',
    });
    // Absent fields that are not Nullable get their default, and say so.
    expect(head?.parse_errors).toEqual(['delivery_address.country: absent', 'delivery_address.city: absent', 'delivery_address.street: absent', 'delivery_address.house: absent', 'delivery_address.apartment: absent', 'delivery_address.postal_code: absent']);
    expect(first).toMatchObject({ purchase_id: 'ord-1', item_index: 0, kafka_offset: 7, quantity: 2, price_per_unit: '45.5', total_price: '91', kbju_calories: 250 });
    expect(second).toMatchObject({ item_index: 1, quantity: -1, total_price: '80.99' });
  });

  it('keeps a row whose values cannot all be typed, listing each with the value that came', () => {
    const decoded = decode(record('p.purchases', envelope({ ...purchase, purchase_datetime: '31.02.2026', total_amount: 'много', is_delivery: 'yes', customer: null, items: null })), roles);
    expect(decoded.rejected).toBeUndefined();
    const row = decoded.rows[0]?.row;
    expect(row).toMatchObject({ purchase_datetime: null, total_amount: null, is_delivery: false, customer_id: null, customer_email_ciphertext: null, item_count: null });
    expect(row?.parse_errors).toEqual(expect.arrayContaining(['purchase_datetime: not an ISO 8601 date and time with an offset: "31.02.2026"', 'total_amount: not a number: "много"', 'is_delivery: not true or false: "yes"']));
    expect(decoded.rows).toHaveLength(1);
  });

  it('rejects each kind of poison with a reason naming what was wrong', () => {
    const cases: [unknown, string, RegExp][] = [
      ['{"schema_version": 1, "enti', 'not_json', /^not JSON/],
      [[1, 2], 'bad_envelope', /should be a JSON object, got \[1,2\]/],
      [envelope(purchase, { schema_version: 2 }), 'unknown_schema_version', /unknown schema_version 2; this ingest reads 1/],
      [envelope(purchase, { entity: undefined }), 'bad_envelope', /has no entity/],
      [envelope(purchase, { entity: 'stores' }), 'bad_envelope', /entity "stores" on topic p.purchases, which carries purchases/],
      [envelope(purchase, { source_id: '' }), 'bad_envelope', /has no source_id/],
      [envelope(purchase, { document: 'text' }), 'wrong_shape', /document should be an object/],
      [envelope({ ...purchase, purchase_id: ' ' }), 'missing_business_key', /no business key purchase_id/],
      [envelope({ ...purchase, store: 'store-001' }), 'wrong_shape', /^store should be an object, got "store-001"/],
      [envelope({ ...purchase, items: [1] }), 'wrong_shape', /items\[0\] should be an object/],
      [envelope({ ...purchase, customer: { email: { ciphertext: 1 } } }), 'wrong_shape', /customer.email should be a protected value/],
    ];
    for (const [value, kind, error] of cases) {
      const decoded = decode(record('p.purchases', value), roles);
      expect(decoded.rejected, String(error)).toBe(kind);
      expect(decoded.rows).toHaveLength(1);
      expect(decoded.rows[0]?.table).toBe('piccha_raw.rejected');
      expect(decoded.rows[0]?.row).toMatchObject({ origin: 'ingest', error_kind: kind, kafka_offset: 7, payload: typeof value === 'string' ? value : JSON.stringify(value) });
      expect(String(decoded.rows[0]?.row.error)).toMatch(error);
    }
  });

  it('writes only text ClickHouse can read: an escaped lone surrogate half becomes U+FFFD, and an error never cuts an emoji in two', () => {
    const emojis = `${'x'.repeat(55)}😀😀`;
    const kept = JSON.stringify(envelope({ ...purchase, store: { ...purchase.store, store_name: 'Пикча \ud800' }, purchase_datetime: emojis }));
    // JSON.stringify escapes the lone half, as a producer in any language may send it.
    expect(kept).toContain('"Пикча \\ud800"');
    const rejected = JSON.stringify(envelope(purchase, { schema_version: emojis }));
    const lines = [...decodeLines(record('p.purchases', kept), roles).rows, ...decodeLines(record('p.purchases', rejected), roles).rows];
    // ClickHouse refuses a whole insert over one lone half, escaped (\ud800) or raw.
    for (const { line } of lines) {
      expect(line).not.toMatch(/\\u[dD][89a-fA-F]/);
      expect(line).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/);
    }
    const row = decode(record('p.purchases', kept), roles).rows[0]?.row;
    expect(row?.store_name).toBe('Пикча \ufffd');
    expect(row?.parse_errors).toContain(`purchase_datetime: not an ISO 8601 date and time with an offset: "${'x'.repeat(55)}…`);
    const refusal = decode(record('p.purchases', rejected), roles);
    expect(refusal.rejected).toBe('unknown_schema_version');
    expect(refusal.rows[0]?.row.error).toBe(`unknown schema_version "${'x'.repeat(55)}…; this ingest reads 1`);
  });

  it('never stores plaintext PII: the value is removed from the rejected payload', () => {
    const decoded = decode(record('p.purchases', envelope({ ...purchase, customer: { ...purchase.customer, phone: '+79161234567' } })), roles);
    expect(decoded.rejected).toBe('plaintext_pii');
    const payload = String(decoded.rows[0]?.row.payload);
    expect(payload).not.toContain('9161234567');
    expect((JSON.parse(payload) as { document: { customer: { phone: string } } }).document.customer.phone).toBe(PLAINTEXT_REMOVED);
    expect(String(decoded.rows[0]?.row.error)).not.toContain('9161234567');
  });

  it('takes a dead letter into rejected with the producer’s reason and time', () => {
    const letter = { schema_version: 1, entity: 'stores', source_id: 'stores-1-4', reason: 'missing business key store_id', failed_at: '2026-11-25T11:00:00Z', pii_key_id: 'k1', document: { manager: { email: pii('x') } } };
    const decoded = decode(record('p.dlq', letter), roles);
    expect(decoded.rejected).toBe('dead_letter');
    expect(decoded.rows[0]?.row).toMatchObject({ origin: 'producer', error_kind: 'dead_letter', error: 'missing business key store_id', entity: 'stores', source_id: 'stores-1-4', failed_at: '2026-11-25T11:00:00.000Z', payload: JSON.stringify(letter) });
  });

  it('ignores unknown envelope fields and stores an absent content_hash as empty', () => {
    const decoded = decode(record('p.purchases', envelope(purchase, { content_hash: undefined, trace_id: 'x' })), roles);
    expect(decoded.rows[0]?.row).toMatchObject({ content_hash: '' });
    expect(decoded.rows[0]?.row).not.toHaveProperty('trace_id');
  });
});

describe('typeValue', () => {
  it('money: exact text for Decimal(12, 2), refusing what it cannot hold', () => {
    expect(typeValue('decimal', 171.99)).toEqual({ ok: true, value: '171.99' });
    expect(typeValue('decimal', '-0.5')).toEqual({ ok: true, value: '-0.5' });
    expect(typeValue('decimal', 0.1 + 0.2)).toEqual({ ok: false, reason: 'more than two decimal places: 0.30000000000000004' });
    expect(typeValue('decimal', 1e12)).toMatchObject({ ok: false, reason: expect.stringMatching(/out of range/) as string });
  });

  it('dates and times: real days only, times only with an offset', () => {
    expect(typeValue('date', '2026-02-28')).toEqual({ ok: true, value: '2026-02-28' });
    expect(typeValue('date', '2026-02-30')).toMatchObject({ ok: false, reason: 'no such day: "2026-02-30"' });
    expect(typeValue('date', '1960-05-01')).toMatchObject({ ok: false });
    expect(typeValue('date32', '1960-05-01')).toEqual({ ok: true, value: '1960-05-01' });
    expect(typeValue('datetime', '2026-11-20T14:33:00+03:00')).toEqual({ ok: true, value: '2026-11-20T11:33:00.000Z' });
    expect(typeValue('datetime', '2026-11-20T14:33:00')).toMatchObject({ ok: false });
  });

  it('numbers and flags by their JSON type', () => {
    expect(typeValue('uint16', 70_000)).toMatchObject({ ok: false });
    expect(typeValue('int32', -3)).toEqual({ ok: true, value: -3 });
    expect(typeValue('bool', 'true')).toMatchObject({ ok: false });
    expect(typeValue('string', 12345)).toEqual({ ok: true, value: '12345' });
    expect(typeValue('strings', ['a', 1])).toMatchObject({ ok: false });
  });
});

describe('decode: every column of every row, against an expectation computed here', () => {
  const keys = generateKeys();
  const keyring = keyringFrom({ PICCHA_PII_KEYS: `${keys.keyId}:${keys.key}`, PICCHA_PII_INDEX_KEY: keys.indexKey });
  const now = '2026-11-25T12:00:00.000Z';
  const at = (document: Record<string, unknown>, path: string): unknown => path.split('.').reduce<unknown>((value, part) => (typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[part] : undefined), document);
  const DEFAULT: Readonly<Record<ValueType, unknown>> = { string: '', decimal: '0', datetime: '1970-01-01T00:00:00.000Z', date: '1970-01-01', date32: '1970-01-01', bool: false, uint16: 0, uint32: 0, int32: 0, float: 0, strings: [] };
  /** A clean value as its column holds it: money as its JSON text, a time as UTC with milliseconds. */
  const typed = (type: ValueType, value: unknown): unknown => (type === 'decimal' ? String(value) : type === 'datetime' ? new Date(Date.parse(String(value))).toISOString() : value);

  /** The columns a clean document gives: absent fields are NULL where Nullable, else the default and an error. */
  function expectedColumns(spec: TableSpec, document: Record<string, unknown>, errors: string[], where = ''): Record<string, unknown> {
    const row: Record<string, unknown> = {};
    for (const { column, path, type, nullable } of spec.scalars) {
      const value = at(document, path);
      if (value !== undefined && value !== null) row[column] = typed(type, value);
      else {
        row[column] = nullable ? null : DEFAULT[type];
        if (!nullable) errors.push(`${where}${path}: absent`);
      }
    }
    for (const { prefix, path, nullable } of spec.pii) {
      const value = at(document, path) as Record<string, unknown> | undefined;
      for (const part of PII_PARTS) row[`${prefix}_${part}`] = value === undefined ? (nullable ? null : part === 'valid' ? false : '') : value[part];
      if (value === undefined && !nullable) errors.push(`${where}${path}: absent`);
    }
    return row;
  }

  it('rows of clean generated documents of every entity, as the producer sends them', () => {
    const options = { seed: 11, now: Date.parse(now), days: 90, counts: { stores: 12, products: 12, customers: 12, purchases: 60 }, defects: DIRTY_PROFILES.none ?? { rates: {}, maxCopies: 1 } };
    let offset = 0;
    const seen = new Set<string>();
    for (const { entity, document } of generateDocuments(options, newManifest({ seed: 11, now, days: 90, profile: 'none', rates: {}, max_copies: 1 }))) {
      const sourceId = String(document.source_id);
      const protectedDocument = protectDocument(entity, sourceId, document, keyring);
      const message = { schema_version: 1, entity, source_id: sourceId, op: 'upsert', emitted_at: now, loaded_at: '2026-11-25T14:59:59.5+03:00', pii_key_id: keyring.active.id, content_hash: 'h', document: protectedDocument };
      offset += 1;
      const decoded = decode(record(`p.${entity}`, message, offset), roles);
      const transport = { kafka_topic: `p.${entity}`, kafka_partition: 2, kafka_offset: offset, kafka_key: 'ord-1', kafka_timestamp: '2026-11-25T12:00:00.123Z', schema_version: 1, source_id: sourceId, op: 'upsert', emitted_at: now, loaded_at: '2026-11-25T11:59:59.500Z', pii_key_id: keyring.active.id, content_hash: 'h' };
      const errors: string[] = [];
      const head = { ...transport, ...expectedColumns(ENTITY_TABLES[entity], protectedDocument, errors) };
      const items = entity === 'purchases' ? (protectedDocument.items as Record<string, unknown>[]) : [];
      const expected = [{ table: ENTITY_TABLES[entity].table, row: { ...head, ...(entity === 'purchases' ? { item_count: items.length } : {}), parse_errors: errors } }];
      for (const [index, item] of items.entries()) {
        const itemErrors: string[] = [];
        const row = { ...transport, purchase_id: protectedDocument.purchase_id, item_index: index, ...expectedColumns(PURCHASE_ITEMS, item, itemErrors, `items[${index}].`) };
        expected.push({ table: PURCHASE_ITEMS.table, row: { ...row, parse_errors: itemErrors } });
      }
      expect(decoded).toEqual({ rejected: undefined, rows: expected });
      seen.add(entity);
    }
    expect([...seen].sort()).toEqual([...ENTITIES].sort());
  });

  it('a defective purchase: each untypeable value is its column’s NULL or default, and one error each', () => {
    const defective = {
      ...purchase,
      customer: { customer_id: 42, email: '', is_loyalty_member: 'no' },
      store: { store_id: 'store-001', location: { coordinates: { latitude: '56.85' } } },
      total_amount: '12.345',
      is_delivery: null,
      delivery_address: { country: 'Россия', city: ['Тверь'], street: 'ул. "Новая" \\ 1', house: 7, apartment: true, postal_code: '170000' },
      purchase_datetime: '2026-11-20 14:33:00+0300',
      items: [{ product_id: 'prd-1', name: 'Хлеб 🥖', category: 'Выпечка', quantity: 1.5, unit: 'шт', price_per_unit: -45.5, total_price: 1e10, kbju: { calories: 'много', protein: 1, fat: 2, carbohydrates: 3 }, manufacturer: { name: 'ООО', country: 'Россия', website: null, inn: 1234567890 } }],
    };
    const decoded = decode(record('p.purchases', envelope(defective, { emitted_at: 'вчера', loaded_at: '', op: 7, content_hash: undefined })), roles);
    const transport = { kafka_topic: 'p.purchases', kafka_partition: 2, kafka_offset: 7, kafka_key: 'ord-1', kafka_timestamp: '2026-11-25T12:00:00.123Z', schema_version: 1, source_id: 'purchases-1-0', op: '', emitted_at: '1970-01-01T00:00:00.000Z', loaded_at: null, pii_key_id: 'k1', content_hash: '' };
    expect(decoded).toEqual({
      rejected: undefined,
      rows: [
        {
          table: 'piccha_raw.purchases',
          row: {
            ...transport,
            purchase_id: 'ord-1',
            customer_id: '42',
            customer_first_name: null,
            customer_last_name: null,
            customer_is_loyalty_member: null,
            customer_loyalty_card_number: null,
            store_id: 'store-001',
            store_name: null,
            store_network: null,
            store_location_country: null,
            store_location_city: null,
            store_location_street: null,
            store_location_house: null,
            store_location_postal_code: null,
            store_location_latitude: null,
            store_location_longitude: null,
            total_amount: null,
            payment_method: 'card',
            is_delivery: false,
            delivery_address_country: 'Россия',
            delivery_address_city: '',
            delivery_address_street: 'ул. "Новая" \\ 1',
            delivery_address_house: '7',
            delivery_address_apartment: 'true',
            delivery_address_postal_code: '170000',
            purchase_datetime: '2026-11-20T11:33:00.000Z',
            customer_email_ciphertext: '',
            customer_email_blind_index: '',
            customer_email_masked: '',
            customer_email_valid: false,
            customer_phone_ciphertext: null,
            customer_phone_blind_index: null,
            customer_phone_masked: null,
            customer_phone_valid: null,
            item_count: 1,
            parse_errors: [
              'emitted_at: not an ISO 8601 date and time: "вчера"',
              'op: not text: 7',
              'customer.is_loyalty_member: not true or false: "no"',
              'store.location.coordinates.latitude: not a number: "56.85"',
              'total_amount: more than two decimal places: "12.345"',
              'is_delivery: absent',
              'delivery_address.city: not text: ["Тверь"]',
            ],
          },
        },
        {
          table: 'piccha_raw.purchase_items',
          row: {
            ...transport,
            purchase_id: 'ord-1',
            item_index: 0,
            product_id: 'prd-1',
            name: 'Хлеб 🥖',
            category: 'Выпечка',
            quantity: 0,
            unit: 'шт',
            price_per_unit: '-45.5',
            total_price: '0',
            kbju_calories: 0,
            kbju_protein: 1,
            kbju_fat: 2,
            kbju_carbohydrates: 3,
            manufacturer_name: 'ООО',
            manufacturer_country: 'Россия',
            manufacturer_website: '',
            manufacturer_inn: '1234567890',
            parse_errors: ['items[0].quantity: not a whole number: 1.5', 'items[0].total_price: out of range for Decimal(12, 2): 10000000000', 'items[0].kbju.calories: not a number: "много"', 'items[0].manufacturer.website: absent'],
          },
        },
      ],
    });
  });
});

describe('dates and times: the common forms read directly, the same instant as Date.parse', () => {
  const ISO = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;
  /** The rule as typing.ts states it: an ISO 8601 text with an offset, parsed by Date.parse, in 1900–2299. */
  function reference(text: string): string | undefined {
    if (!ISO.test(text.trim())) return undefined;
    const ms = Date.parse(text.trim().replace(' ', 'T'));
    if (Number.isNaN(ms)) return undefined;
    const year = new Date(ms).getUTCFullYear();
    return year < 1900 || year > 2299 ? undefined : new Date(ms).toISOString();
  }

  it('agrees with Date.parse on edge cases and on random instants in every form', () => {
    const cases = [
      '2026-02-29T00:00:00Z', '2028-02-29T00:00:00Z', '2026-02-30T10:00:00+03:00', '2026-04-31T00:00:00.000Z', '2026-01-01T24:00:00Z', '2026-01-01T23:59:59.999Z',
      '2026-01-01T00:00:60Z', '2026-01-01T00:00:00+23:59', '2026-01-01T00:00:00+24:00', '2026-01-01T00:00:00-00:30', '1900-01-01T00:30:00+01:00', '1900-01-01T00:00:00.000Z',
      '1899-12-31T23:30:00-01:00', '2299-12-31T23:59:59.999Z', '2299-12-31T23:30:00-01:00', '0050-01-01T00:00:00Z', '2026-13-01T00:00:00Z', '2026-00-10T00:00:00Z',
      '2026-11-20T14:33:00.1Z', '2026-11-20T14:33:00.12+03:00', '2026-11-20T14:33:00.1234Z', '2026-11-20 14:33:00+03:00', '2026-11-20T14:33:00+0300', ' 2026-11-20T14:33:00Z',
      '2026-11-20T14:33Z', '2026-11-20T14:33:00', '2026-11-2OT14:33:00Z', '2026-11-20T14:33:00.abcZ', '2026-11-20T14:33:00+03:0x', '2026-11-20T14:33:00*03:00',
    ];
    for (let n = 0; n < 2000; n++) {
      const ms = Math.floor(Math.random() * (Date.UTC(2300, 0, 1) - Date.UTC(1900, 0, 1))) + Date.UTC(1900, 0, 1);
      const offset = (Math.floor(Math.random() * 48) - 24) * 30;
      const local = new Date(ms + offset * 60_000).toISOString().slice(0, n % 2 === 0 ? 23 : 19);
      const zone = offset === 0 && n % 3 === 0 ? 'Z' : `${offset < 0 ? '-' : '+'}${String(Math.floor(Math.abs(offset) / 60)).padStart(2, '0')}:${String(Math.abs(offset) % 60).padStart(2, '0')}`;
      cases.push(`${local}${zone}`);
    }
    for (const text of cases) {
      const expected = reference(text);
      const typed = typeValue('datetime', text);
      expect(typed.ok ? typed.value : undefined, text).toBe(expected);
    }
  });

  it('isoUtc writes what toISOString writes', () => {
    const instants = [0, -1, Date.UTC(1000, 0, 1), Date.UTC(1000, 0, 1) - 1, Date.UTC(9999, 11, 31, 23, 59, 59, 999), Date.UTC(2000, 1, 29, 12), Date.UTC(1900, 1, 28, 23, 59, 59, 999), Date.UTC(1900, 2, 1)];
    for (let n = 0; n < 5000; n++) instants.push(Math.floor((Math.random() - 0.2) * 3e14));
    for (const ms of instants) expect(isoUtc(ms), String(ms)).toBe(new Date(ms).toISOString());
  });
});
