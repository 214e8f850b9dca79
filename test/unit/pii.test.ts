import { createHmac } from 'node:crypto';
import { Decimal128, ObjectId } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../pipeline/config/config.js';
import { blindIndex, decrypt, encrypt, PiiDecryptionError } from '../../pipeline/pii/cipher.js';
import { generateKeys, keyringFrom, type PiiKeyring } from '../../pipeline/pii/keys.js';
import { mask, normalizeEmail, normalizePhone } from '../../pipeline/pii/normalize.js';
import { protectDocument, revealDocument } from '../../pipeline/pii/protect.js';

function keyring(...ids: string[]): PiiKeyring {
  const index = generateKeys().indexKey;
  return keyringFrom({ PICCHA_PII_KEYS: ids.map((id) => `${id}:${generateKeys().key}`).join(','), PICCHA_PII_INDEX_KEY: index });
}

describe('PII normalisation', () => {
  it.each([
    ['8 (916) 123-45-67', '+79161234567'],
    ['+7 916 123-45-67', '+79161234567'],
    ['+7(916)123-45-67', '+79161234567'],
    ['9161234567', '+79161234567'],
    ['89161234567', '+79161234567'],
    ['7 916 123 45 67', '+79161234567'],
    ['8-916-123-45-67', '+79161234567'],
    [' +79161234567 ', '+79161234567'],
  ])('phone %j → %s', (raw, canonical) => {
    expect(normalizePhone(raw)).toEqual({ value: canonical, valid: true });
  });

  it.each(['12345', 'не указан', '+7 (999) 12', '0', '+1 916 123 45 67 8', '+9161234567'])('phone %j is invalid, kept trimmed', (raw) => {
    expect(normalizePhone(raw)).toEqual({ value: raw.trim(), valid: false });
  });

  it('trims and lower-cases emails, and flags what is not one', () => {
    expect(normalizeEmail('  Ivan.Petrov@Mail.RU ')).toEqual({ value: 'ivan.petrov@mail.ru', valid: true });
    for (const raw of ['ivan@', '@mail.ru', 'нет почты', 'ivan@@mail.ru', 'ivan.petrov']) expect(normalizeEmail(raw).valid).toBe(false);
  });

  it('masks without revealing', () => {
    expect(mask('phone', normalizePhone('8 (916) 123-45-67'))).toBe('+7 *** ***-**-67');
    expect(mask('email', normalizeEmail('ivan@mail.ru'))).toBe('i***@mail.ru');
    expect(mask('email', normalizeEmail('not an email'))).toBe('***');
  });
});

const AT = { entity: 'customers', sourceId: 'customers-1-1', path: 'email' } as const;

describe('PII encryption', () => {
  it('round-trips under the key named in the token, with a fresh nonce each time', () => {
    const keys = keyring('k1');
    const a = encrypt('email', 'ivan@mail.ru', keys, AT);
    const b = encrypt('email', 'ivan@mail.ru', keys, AT);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^pii2\.email\.k1\./);
    expect(decrypt(a, keys, AT)).toEqual({ kind: 'email', keyId: 'k1', plaintext: 'ivan@mail.ru' });
  });

  it('rotates: new values use the first key, old ones still decrypt with theirs', () => {
    const [k1, k2, index] = [generateKeys().key, generateKeys().key, generateKeys().indexKey];
    const before = keyringFrom({ PICCHA_PII_KEYS: `k1:${k1}`, PICCHA_PII_INDEX_KEY: index });
    const after = keyringFrom({ PICCHA_PII_KEYS: `k2:${k2},k1:${k1}`, PICCHA_PII_INDEX_KEY: index });
    const token = encrypt('phone', '+79161234567', before, AT);
    expect(encrypt('phone', '+79161234567', after, AT)).toMatch(/^pii2\.phone\.k2\./);
    expect(decrypt(token, after, AT).plaintext).toBe('+79161234567');
    expect(blindIndex('phone', '+79161234567', after)).toBe(blindIndex('phone', '+79161234567', before));
  });

  it('fails clearly on a wrong key, an unknown key id, a changed value or a swapped kind', () => {
    const token = encrypt('email', 'ivan@mail.ru', keyring('k1'), AT);
    expect(() => decrypt(token, keyring('k1'), AT)).toThrow(/^authentication failed under key id k1 for customers customers-1-1 field email/);
    expect(() => decrypt(token, keyring('k9'), AT)).toThrow('key id k1 is not among PICCHA_PII_KEYS');
    const keys = keyring('k1');
    const good = encrypt('email', 'ivan@mail.ru', keys, AT);
    const parts = good.split('.');
    const tampered = [...parts.slice(0, 4), `${parts[4]?.startsWith('A') === true ? 'B' : 'A'}${parts[4]?.slice(1) ?? ''}`].join('.');
    expect(() => decrypt(tampered, keys, AT)).toThrow(PiiDecryptionError);
    expect(() => decrypt(good.replace('pii2.email.', 'pii2.phone.'), keys, AT)).toThrow(PiiDecryptionError);
  });

  it('binds a value to its entity, document and field: moved anywhere else it does not decrypt', () => {
    const keys = keyring('k1');
    const token = encrypt('email', 'ivan@mail.ru', keys, AT);
    expect(() => decrypt(token, keys, { ...AT, path: 'manager.email' })).toThrow(PiiDecryptionError);
    expect(() => decrypt(token, keys, { ...AT, entity: 'purchases' })).toThrow(PiiDecryptionError);
    expect(() => decrypt(token, keys, { ...AT, sourceId: 'customers-1-2' })).toThrow(PiiDecryptionError);
  });

  it('accepts only the canonical base64 spelling: a changed spare bit is refused', () => {
    const keys = keyring('k1');
    const token = encrypt('email', 'ivan@mail.ru', keys, AT);
    const body = token.split('.')[4] ?? '';
    // The last character of a body whose length is not a multiple of 4 carries spare bits.
    expect(body.length % 4).not.toBe(0);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = body.at(-1) ?? 'A';
    const sibling = alphabet[alphabet.indexOf(last) ^ 1] ?? 'A';
    const altered = `${token.slice(0, -1)}${sibling}`;
    expect(Buffer.from(altered.split('.')[4] ?? '', 'base64url')).toEqual(Buffer.from(body, 'base64url'));
    expect(() => decrypt(altered, keys, AT)).toThrow('not a canonical protected value');
  });

  it('blind-indexes as the README says: HMAC-SHA256 of "<kind>:<normalised value>" in URL-safe base64', () => {
    const keys = keyring('k1');
    const expected = createHmac('sha256', keys.indexKey).update('email:ivan@mail.ru').digest('base64url');
    expect(blindIndex('email', 'ivan@mail.ru', keys)).toBe(expected);
    expect(blindIndex('email', 'ivan@mail.ru', keys)).not.toBe(blindIndex('email', 'petr@mail.ru', keys));
    expect(blindIndex('email', 'ivan@mail.ru', keys)).not.toBe(blindIndex('email', 'ivan@mail.ru', keyring('k1')));
  });
});

describe('PII keys from the environment', () => {
  it('names each bad variable and never echoes a key', () => {
    const secret = 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTEyMw';
    let message = '';
    try {
      keyringFrom({ PICCHA_PII_KEYS: `bad id:${secret}`, PICCHA_PII_INDEX_KEY: 'short' });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      message = (error as Error).message;
    }
    expect(message).toContain('PICCHA_PII_KEYS entry 1 is not id:key');
    expect(message).toContain('PICCHA_PII_INDEX_KEY must be 32 bytes');
    expect(message).not.toContain(secret);
    expect(() => keyringFrom({})).toThrow(/PICCHA_PII_KEYS is not set.*PICCHA_PII_INDEX_KEY is not set/);
  });
});

describe('protectDocument', () => {
  // Phone fragments with what follows them: three digits alone (916) turn up in random ciphertext now and then.
  const PEOPLE = /ivan@mail\.ru|Ivan@Mail|leak[.\w]*@evil\.ru|916\D{0,2}123|999\D{0,2}000/i;

  it('protects every policy field and leaves nothing in plaintext', () => {
    const keys = keyring('k1');
    const purchase = { purchase_id: 'ord-1', customer: { customer_id: 'cus-1', email: ' Ivan@Mail.ru', phone: '8 (916) 123-45-67', first_name: 'Иван' }, total_amount: 10 };
    const protectedDoc = protectDocument('purchases', 'p-1', purchase, keys);
    expect(JSON.stringify(protectedDoc)).not.toMatch(PEOPLE);
    expect(protectedDoc.customer).toMatchObject({ first_name: 'Иван', email: { masked: 'i***@mail.ru', valid: true }, phone: { masked: '+7 *** ***-**-67', valid: true } });
    expect(revealDocument('purchases', 'p-1', protectedDoc, keys)).toEqual({ ...purchase, customer: { ...purchase.customer, email: 'ivan@mail.ru', phone: '+79161234567' } });
    expect(purchase.customer.email).toBe(' Ivan@Mail.ru');
  });

  it('protects odd values in policy fields, and leaves absent, null and empty ones', () => {
    const keys = keyring('k1');
    const customer = protectDocument('customers', 'c-1', { customer_id: 'c', email: null, phone: 89161234567 }, keys);
    expect(customer.email).toBeNull();
    expect(customer.phone).toMatchObject({ valid: true, masked: '+7 *** ***-**-67' });
  });

  // Each case: the document, and what revealing it gives (phones come back in their canonical form).
  it.each([
    ['a customer sent as a string', { purchase_id: 'o', customer: 'leak.string@evil.ru' }, { purchase_id: 'o', customer: 'leak.string@evil.ru' }],
    ['a customer sent as an array', { purchase_id: 'o', customer: ['leak.array@evil.ru', '+7 999 000-11-22'] }, { purchase_id: 'o', customer: ['leak.array@evil.ru', '+79990001122'] }],
    ['a manager sent as a string', { purchase_id: 'o', store: { manager: 'Иван, 8 (916) 123-45-67' } }, { purchase_id: 'o', store: { manager: 'Иван, 8 (916) 123-45-67' } }],
    ['an email inside free text', { purchase_id: 'o', note: 'пишите на leak.note@evil.ru' }, { purchase_id: 'o', note: 'пишите на leak.note@evil.ru' }],
    ['a phone typed as a number elsewhere', { purchase_id: 'o', extra: { contact: 79990001122 } }, { purchase_id: 'o', extra: { contact: '+79990001122' } }],
    ['a phone in an array of items', { purchase_id: 'o', items: [{ name: 'x', comment: '8 999 000 11 22' }] }, { purchase_id: 'o', items: [{ name: 'x', comment: '+79990001122' }] }],
  ])('protects what looks personal outside the policy: %s', (_, document, revealed) => {
    const keys = keyring('k1');
    const protectedDoc = protectDocument('purchases', 'p-9', document, keys);
    expect(JSON.stringify(protectedDoc)).not.toMatch(PEOPLE);
    expect(revealDocument('purchases', 'p-9', protectedDoc, keys)).toEqual(revealed);
  });

  it('leaves dates, prices and names alone', () => {
    const keys = keyring('k1');
    const purchase = { purchase_id: 'ord-00001', purchase_datetime: '2026-11-25T12:00:00+03:00', total_amount: 1234.5, items: [{ name: 'Молоко 3,2%', quantity: 2 }], delivery_address: { street: 'ул. Ленина', house: '10', postal_code: '123456' } };
    expect(protectDocument('purchases', 'p-1', purchase, keys)).toEqual(purchase);
  });

  it('leaves identifiers shaped like phones alone: barcodes and tax numbers', () => {
    const keys = keyring('k1');
    const product = { id: 'prd-1', barcode: '4601234567890', manufacturer: { inn: '7701234567' } };
    expect(protectDocument('products', 'pr-1', product, keys)).toEqual(product);
    const purchase = { purchase_id: 'o', items: [{ barcode: '4601234567890', manufacturer: { inn: '7701234567' } }] };
    expect(protectDocument('purchases', 'p-1', purchase, keys)).toEqual(purchase);
  });

  it('leaves a loyalty card number of digits alone (the generator makes one in about a hundred), but not a phone typed beside it', () => {
    const keys = keyring('k1');
    const customer = { customer_id: 'c', loyalty_card_number: 'LOYAL-0123456789' };
    expect(protectDocument('customers', 'c-1', customer, keys)).toEqual(customer);
    const purchase = { purchase_id: 'o', customer: { loyalty_card_number: 'LOYAL-0123456789', note: '+7 912 345-67-89' } };
    const protectedPurchase = protectDocument('purchases', 'p-1', purchase, keys) as { customer: { loyalty_card_number: string; note: unknown } };
    expect(protectedPurchase.customer.loyalty_card_number).toBe('LOYAL-0123456789');
    expect(protectedPurchase.customer.note).not.toBe('+7 912 345-67-89');
  });

  it('keeps a Date or another BSON value as it is, instead of turning it into an empty object', () => {
    const keys = keyring('k1');
    const when = new Date('2026-11-26T10:00:00.000Z');
    const reference = new ObjectId();
    const protectedDoc = protectDocument('purchases', 'p-1', { purchase_id: 'o', when, reference, amount: new Decimal128('12.30') }, keys);
    expect(protectedDoc.when).toBe(when);
    expect(protectedDoc.reference).toBe(reference);
    expect(String(protectedDoc.amount)).toBe('12.30');
  });

  it('keeps a field named __proto__ a field, and protects what it holds', () => {
    const keys = keyring('k1');
    const document = JSON.parse('{"purchase_id": "o", "__proto__": {"contact": "leak.proto@evil.ru"}}') as Record<string, unknown>;
    const protectedDoc = protectDocument('purchases', 'p-1', document, keys);
    expect(Object.getPrototypeOf(protectedDoc)).toBe(Object.prototype);
    expect(Object.keys(protectedDoc)).toEqual(['purchase_id', '__proto__']);
    expect(JSON.stringify(protectedDoc)).not.toMatch(PEOPLE);
    expect(JSON.stringify(revealDocument('purchases', 'p-1', protectedDoc, keys))).toContain('leak.proto@evil.ru');
  });

  it('scans a source value shaped like a protected one too: a plaintext hidden beside a real token is protected', () => {
    const keys = keyring('k1');
    const token = protectDocument('purchases', 'p-1', { purchase_id: 'o', customer: { email: 'ivan@mail.ru' } }, keys).customer as Record<string, unknown>;
    const smuggled = { purchase_id: 'o', note: { ...token, masked: 'leak.masked@evil.ru', extra: '+7 999 000-11-22' } };
    expect(JSON.stringify(protectDocument('purchases', 'p-1', smuggled, keys))).not.toMatch(PEOPLE);
  });
});

describe('the rules by path', () => {
  it('exempt a path segment by segment, * standing for an array position only, dots in a key meaning no path', () => {
    const keys = keyring('k1');
    const barcode = '4601234567890';
    const exempt = { purchase_id: 'o', items: [{ barcode }, { barcode, manufacturer: { inn: '7701234567' } }], customer: { loyalty_card_number: barcode } };
    expect(protectDocument('purchases', 'p-1', exempt, keys)).toEqual(exempt);
    // An object keyed by digits is spelt like an array in a dotted path: exempt as before.
    expect(protectDocument('purchases', 'p-1', { purchase_id: 'o', items: { 12: { barcode } } }, keys)).toEqual({ purchase_id: 'o', items: { 12: { barcode } } });
    const protectedValues = (document: Record<string, unknown>) => JSON.stringify(protectDocument('purchases', 'p-1', document, keys)).match(/pii2\./g)?.length ?? 0;
    // Not exempt: a key that merely spells an exempt path, a name where a position belongs, a name that only starts like one.
    expect(protectedValues({ purchase_id: 'o', 'items.0.barcode': barcode })).toBe(1);
    expect(protectedValues({ purchase_id: 'o', items: { x: { barcode } } })).toBe(1);
    expect(protectedValues({ purchase_id: 'o', items: [{ barcodes: barcode }] })).toBe(1);
    // Exempt with all below it.
    expect(protectedValues({ purchase_id: 'o', items: [{ barcode: { more: barcode } }] })).toBe(0);
    // A policy field is found by its segments too: a key spelt like its path is only scanned.
    expect(protectedValues({ purchase_id: 'o', 'customer.email': 'not an address' })).toBe(0);
    expect(protectedValues({ purchase_id: 'o', customer: { email: 'not an address' } })).toBe(1);
  });
});
