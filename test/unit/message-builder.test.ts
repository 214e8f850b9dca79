import { BSON, ObjectId } from 'mongodb';
import { afterAll, describe, expect, it } from 'vitest';
import type { Document } from '../../pipeline/entities/entities.js';
import { CONTENT_HASH, LOADED_AT } from '../../pipeline/load/mongo-writer.js';
import type { OutboxEntry } from '../../pipeline/outbox/outbox.js';
import { generateKeys, keyringFrom } from '../../pipeline/pii/keys.js';
import { revealMessage } from '../../pipeline/pii/protect.js';
import { toMessage } from '../../pipeline/produce/message.js';
import { MessageBuilder } from '../../pipeline/produce/message-builder.js';

const rotated = generateKeys();
const older = generateKeys();
const index = generateKeys().indexKey;
// Two keys: the worker must encrypt under the active one and know the other.
const keys = keyringFrom({ PICCHA_PII_KEYS: `${rotated.keyId}a:${rotated.key},${older.keyId}b:${older.key}`, PICCHA_PII_INDEX_KEY: index });

const entryOf = (document: Document): OutboxEntry => ({ bytes: BSON.serialize(document), document, _id: new ObjectId() });
const stored = (document: Document): Document => ({ _id: document.source_id, [LOADED_AT]: new Date('2026-11-27T08:00:00.000Z'), [CONTENT_HASH]: 'c'.repeat(64), ...document });

const documents: Document[] = [
  stored({ source_id: 's-1', purchase_id: 'ord-1', customer: { customer_id: 'cus-1', email: 'Ivan@Mail.ru', phone: '8 (916) 123-45-67', first_name: 'Иван' }, items: [{ name: 'Молоко «Домик» 3,2%', quantity: 2 }], total_amount: 10.5 }),
  // Dead letters: no business key; a customer sent as a string.
  stored({ source_id: 's-2', customer: { email: 'leak.dead@evil.ru' } }),
  stored({ source_id: 's-3', purchase_id: 'ord-3', note: 'звоните +7 999 000-11-22 🙂', customer: 'leak.string@evil.ru' }),
];

const builder = new MessageBuilder(keys);
afterAll(() => builder.close());

const reveal = (value: unknown) => revealMessage(JSON.parse(String(value)), keys) as Record<string, unknown>;

describe('MessageBuilder', () => {
  it('builds on its worker what toMessage builds in process: keys, dead letters, headers, and the same documents once revealed', async () => {
    const now = new Date().toISOString();
    const built = await builder.build('purchases', documents.map(entryOf), now);
    const expected = documents.map((document) => toMessage('purchases', document, keys, now));
    // Both kinds are among them: envelopes and dead letters.
    expect(new Set(expected.map(({ dead }) => dead))).toEqual(new Set([true, false]));
    expect(built.map(({ dead }) => dead)).toEqual(expected.map(({ dead }) => dead));
    for (const [index, { message }] of built.entries()) {
      const inProcess = expected[index]?.message;
      expect(message.key).toBe(inProcess?.key);
      expect(message.headers).toEqual(inProcess?.headers);
      expect(Buffer.isBuffer(message.value)).toBe(true);
      expect(String(message.value)).not.toMatch(/ivan@mail|leak\.|999\D{0,2}000|916\D{0,2}123/i);
      expect(reveal(message.value)).toEqual(reveal(inProcess?.value));
      expect((JSON.parse(String(message.value)) as { pii_key_id: string }).pii_key_id).toBe(keys.active.id);
    }
  });

  it('sends a document holding a number beyond 2^53 (written by another client than load) as a dead letter naming the field', () => {
    const now = new Date().toISOString();
    const { dead, message } = toMessage('purchases', stored({ source_id: 's-9', purchase_id: 'ord-9', total_amount: 10, items: [{ quantity: 1e20 }] }), keys, now);
    expect(dead).toBe(true);
    expect(JSON.parse(String(message.value))).toMatchObject({ source_id: 's-9', reason: 'field items[0].quantity: a number beyond ±9007199254740991 (2^53 − 1) is not kept exactly; send it as a string' });
    expect(toMessage('purchases', stored({ source_id: 's-10', purchase_id: 'ord-10', total_amount: 10, items: [{ quantity: Number.MAX_SAFE_INTEGER }] }), keys, now).dead).toBe(false);
  });

  it('keeps the order of batches built at once, and of the documents in each', async () => {
    const now = new Date().toISOString();
    const batches = Array.from({ length: 5 }, (_, batch) => Array.from({ length: 50 }, (_, at) => entryOf(stored({ source_id: `s-${batch}-${at}`, purchase_id: `ord-${batch}-${at}` }))));
    const built = await Promise.all(batches.map((entries) => builder.build('purchases', entries, now)));
    expect(built.map((messages) => messages.map(({ message }) => message.key))).toEqual(batches.map((entries) => entries.map(({ document }) => document.purchase_id)));
  });

  it('rejects a batch it cannot decode with a clear error, and builds the next one', async () => {
    const broken: OutboxEntry = { bytes: Uint8Array.from([9, 0, 0, 0, 1, 2, 3, 4, 5]), document: {} };
    await expect(builder.build('purchases', [broken], new Date().toISOString())).rejects.toThrow(/building messages failed: /);
    const [next] = await builder.build('purchases', [entryOf(documents[0] ?? {})], new Date().toISOString());
    expect(next?.message.key).toBe('ord-1');
  });

  it('builds nothing for an empty batch, and starts again after being closed', async () => {
    expect(await builder.build('purchases', [], new Date().toISOString())).toEqual([]);
    await builder.close();
    const [again] = await builder.build('customers', [entryOf(stored({ source_id: 'c-1', customer_id: 'cus-9', email: 'x@y.ru' }))], new Date().toISOString());
    expect(again?.message.key).toBe('cus-9');
    expect(String(again?.message.value)).not.toContain('x@y.ru');
  });
});
