import { afterAll, describe, expect, it } from 'vitest';
import { ENTITIES, type Entity } from '../../pipeline/entities/entities.js';
import { decode, type Decoded, type TopicRoles } from '../../pipeline/ingest/decode.js';
import { DecoderThread } from '../../pipeline/ingest/decoder-thread.js';

const roles: TopicRoles = { entityOf: new Map(ENTITIES.map((entity): [string, Entity] => [`p.${entity}`, entity])), deadLetter: 'p.dlq' };
const store = (id: string) => ({ schema_version: 1, entity: 'stores', source_id: `stores-${id}`, op: 'upsert', emitted_at: '2026-11-25T12:00:01.000Z', loaded_at: '', pii_key_id: 'k1', content_hash: 'h', document: { store_id: id, store_name: 'Большая Пикча 🥦', categories: ['a'] } });

describe('DecoderThread: decoding on a thread of its own', () => {
  const thread = new DecoderThread(roles);
  afterAll(() => thread.close());

  it('returns what decode returns here, message by message, keys and values of every length and none', async () => {
    // A fetch's buffers are views into one larger buffer: the thread must get only each message's bytes.
    const valid = Buffer.from(JSON.stringify(store('store-1')));
    const fetched = Buffer.concat([Buffer.from('xx'), valid, Buffer.from('yy{"not jsonzz')]);
    const first = valid.length;
    const messages = [
      { offset: '10', timestamp: '1764072000123', key: Buffer.from('store-1'), value: fetched.subarray(2, 2 + first) },
      { offset: '11', timestamp: '1764072000124', key: null, value: fetched.subarray(4 + first, 4 + first + 10) },
      { offset: '12', timestamp: '1764072000125', key: Buffer.alloc(0), value: null },
      { offset: '13', timestamp: '1764072000126', value: Buffer.from(JSON.stringify(store('store-2'))) },
      { offset: '14', timestamp: '1764072000127', key: Buffer.from('ключ'), value: Buffer.alloc(0) },
    ];
    const [here, there] = [messages.map((message) => decode({ topic: 'p.stores', partition: 1, key: message.key ?? null, ...message }, roles)), await thread.decode('p.stores', 1, messages)];
    // A rejected row's last value is when it was rejected, which differs between the two.
    const comparable = (decoded: Decoded[]) => decoded.map(({ rejected, rows }) => ({ rejected, rows: rows.map(({ table, line }) => ({ table, values: (JSON.parse(line) as unknown[]).slice(0, rejected === undefined ? undefined : -1) })) }));
    expect(comparable(there)).toEqual(comparable(here));
    expect(there.map((decoded) => decoded.rejected)).toEqual([undefined, 'not_json', 'not_json', undefined, 'not_json']);
    expect(JSON.parse(there[4]?.rows[0]?.line ?? '[]')).toContain('ключ');
    // Chunks asked for together come back each to its own caller.
    const both = await Promise.all([thread.decode('p.stores', 2, messages.slice(0, 1)), thread.decode('p.stores', 3, messages.slice(3, 4))]);
    expect(both.map((decoded) => (JSON.parse(decoded[0]?.rows[0]?.line ?? '[]') as unknown[])[1])).toEqual([2, 3]);
  });

  it('refuses work once closed', async () => {
    const closed = new DecoderThread(roles);
    await closed.close();
    await expect(closed.decode('p.stores', 0, [])).rejects.toThrow(/closed/);
  });
});
