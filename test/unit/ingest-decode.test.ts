import { describe, expect, it } from 'vitest';
import { ENTITIES, type Entity } from '../../pipeline/entities/entities.js';
import { decode, PLAINTEXT_REMOVED, type KafkaRecord, type TopicRoles } from '../../pipeline/ingest/decode.js';
import { typeValue } from '../../pipeline/ingest/typing.js';

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
