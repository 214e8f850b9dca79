import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../pipeline/config/config.js';
import { blindIndex, decrypt, encrypt, PiiDecryptionError } from '../../pipeline/pii/cipher.js';
import { generateKeys, keyringFrom, type PiiKeyring } from '../../pipeline/pii/keys.js';
import { mask, normalizeEmail, normalizePhone } from '../../pipeline/pii/normalize.js';
import { protectDocument, revealAll } from '../../pipeline/pii/protect.js';

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

describe('PII encryption', () => {
  it('round-trips under the key named in the token, with a fresh nonce each time', () => {
    const keys = keyring('k1');
    const a = encrypt('email', 'ivan@mail.ru', keys);
    const b = encrypt('email', 'ivan@mail.ru', keys);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^pii1\.email\.k1\./);
    expect(decrypt(a, keys)).toEqual({ kind: 'email', keyId: 'k1', plaintext: 'ivan@mail.ru' });
  });

  it('rotates: new values use the first key, old ones still decrypt with theirs', () => {
    const [k1, k2, index] = [generateKeys().key, generateKeys().key, generateKeys().indexKey];
    const before = keyringFrom({ PICCHA_PII_KEYS: `k1:${k1}`, PICCHA_PII_INDEX_KEY: index });
    const after = keyringFrom({ PICCHA_PII_KEYS: `k2:${k2},k1:${k1}`, PICCHA_PII_INDEX_KEY: index });
    const token = encrypt('phone', '+79161234567', before);
    expect(encrypt('phone', '+79161234567', after)).toMatch(/^pii1\.phone\.k2\./);
    expect(decrypt(token, after).plaintext).toBe('+79161234567');
    expect(blindIndex('phone', '+79161234567', after)).toBe(blindIndex('phone', '+79161234567', before));
  });

  it('fails clearly on a wrong key, an unknown key id, a changed value or a swapped kind', () => {
    const token = encrypt('email', 'ivan@mail.ru', keyring('k1'));
    expect(() => decrypt(token, keyring('k1'))).toThrow(new PiiDecryptionError('authentication failed under key id k1: a wrong key, or a changed value'));
    expect(() => decrypt(token, keyring('k9'))).toThrow('key id k1 is not among PICCHA_PII_KEYS');
    const keys = keyring('k1');
    const good = encrypt('email', 'ivan@mail.ru', keys);
    const parts = good.split('.');
    const tampered = [...parts.slice(0, 4), `${parts[4]?.startsWith('A') === true ? 'B' : 'A'}${parts[4]?.slice(1) ?? ''}`].join('.');
    expect(() => decrypt(tampered, keys)).toThrow(PiiDecryptionError);
    expect(() => decrypt(good.replace('pii1.email.', 'pii1.phone.'), keys)).toThrow(PiiDecryptionError);
  });

  it('blind-indexes equal values equally, and differently under another index key', () => {
    const keys = keyring('k1');
    expect(blindIndex('email', 'ivan@mail.ru', keys)).toBe(blindIndex('email', 'ivan@mail.ru', keys));
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
  it('protects every policy field and leaves nothing in plaintext', () => {
    const keys = keyring('k1');
    const purchase = { purchase_id: 'ord-1', customer: { customer_id: 'cus-1', email: ' Ivan@Mail.ru', phone: '8 (916) 123-45-67', first_name: 'Иван' }, total_amount: 10 };
    const protectedDoc = protectDocument('purchases', purchase, keys);
    const text = JSON.stringify(protectedDoc);
    expect(text).not.toMatch(/ivan@mail\.ru|Ivan@Mail|916/i);
    expect(protectedDoc.customer).toMatchObject({ first_name: 'Иван', email: { masked: 'i***@mail.ru', valid: true }, phone: { masked: '+7 *** ***-**-67', valid: true } });
    expect(revealAll(protectedDoc, keys)).toEqual({ ...purchase, customer: { ...purchase.customer, email: 'ivan@mail.ru', phone: '+79161234567' } });
    expect(purchase.customer.email).toBe(' Ivan@Mail.ru');
  });

  it('protects odd values too, and leaves absent, null and empty ones', () => {
    const keys = keyring('k1');
    const customer = protectDocument('customers', { customer_id: 'c', email: null, phone: 89161234567 }, keys);
    expect(customer.email).toBeNull();
    expect(customer.phone).toMatchObject({ valid: true, masked: '+7 *** ***-**-67' });
    expect(protectDocument('stores', { store_id: 's', manager: 'not an object' }, keys)).toEqual({ store_id: 's', manager: 'not an object' });
  });
});
