import { describe, expect, it } from 'vitest';
import { LANDING_COLUMNS, landingInserts, landingRows, withLoneSurrogatesReplaced } from '../../pipeline/ingest/landing.js';

/** Reads RowBinary landing rows back, following ClickHouse's encoding of the landing table's types. */
function readLanding(body: Uint8Array): unknown[][] {
  const buffer = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  let at = 0;
  const text = () => {
    let length = 0;
    let shift = 0;
    for (;;) {
      const byte = buffer[at++] ?? 0;
      length += (byte & 0x7f) * 2 ** shift;
      shift += 7;
      if (byte < 0x80) break;
    }
    const bytes = buffer.subarray(at, at + length);
    at += length;
    return bytes.toString('utf8');
  };
  const rows: unknown[][] = [];
  while (at < buffer.length) {
    const topic = text();
    const partition = buffer.readUInt32LE(at);
    at += 4;
    const offset = buffer.readBigUInt64LE(at);
    at += 8;
    const key = text();
    const timestamp = buffer.readBigInt64LE(at);
    at += 8;
    rows.push([topic, partition, offset, key, timestamp, text()]);
  }
  return rows;
}

/** JavaScript's reading of a JSON text, with each lone surrogate as U+FFFD (what UTF-8 can hold). */
function wellFormed(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
  if (Array.isArray(value)) return value.map(wellFormed);
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([key, inner]) => [wellFormed(key), wellFormed(inner)]));
  return value;
}

describe('landing rows', () => {
  it('carry each message as RowBinary in the landing table’s column order, the value’s bytes untouched', () => {
    const long = 'я'.repeat(200);
    const messages = [
      { topic: 'p.purchases', partition: 2, offset: '17', key: Buffer.from('ord-1'), value: Buffer.from(JSON.stringify({ name: long })), timestamp: '1764158400123' },
      { topic: 'p.dlq', partition: 0, offset: '9007199254740993', key: null, value: null, timestamp: '0' },
      { topic: 'p.stores', partition: 1, offset: '0', key: Buffer.from([0xff, 0x61]), value: Buffer.from('{"a":"\\n\\t\\""}'), timestamp: '1' },
    ];
    const rows = landingRows(messages);
    expect(rows.columns).toEqual(LANDING_COLUMNS);
    expect(readLanding(rows.body)).toEqual([
      ['p.purchases', 2, 17n, 'ord-1', 1764158400123n, JSON.stringify({ name: long })],
      ['p.dlq', 0, 9007199254740993n, '', 0n, ''],
      // A key that is not UTF-8 is text as JavaScript reads it.
      ['p.stores', 1, 0n, '\ufffda', 1n, '{"a":"\\n\\t\\""}'],
    ]);
  });

  it('go into one insert per role, each into its role’s landing table, messages in the order given', () => {
    const message = (topic: string, offset: number) => ({ topic, partition: 0, offset: String(offset), key: null, value: Buffer.from(`{"n":${offset}}`), timestamp: '1' });
    const roleOf = (topic: string) => (topic === 'p.dlq' ? 'dead_letter' : topic.slice(2));
    const messages = [message('p.purchases', 5), message('p.dlq', 1), message('p.stores', 3), message('p.purchases', 6), message('p.stores', 4)];
    const inserts = landingInserts(messages, roleOf);
    expect(inserts.map(({ table }) => table)).toEqual(['piccha_raw.stores_landing', 'piccha_raw.purchases_landing', 'piccha_raw.dead_letter_landing']);
    expect(inserts.map(({ rows }) => readLanding(rows.body).map((row) => row[2]))).toEqual([[3n, 4n], [5n, 6n], [1n]]);
  });

  it('refuse a topic without a role, naming it, instead of landing it where no view reads', () => {
    const message = { topic: 'p.unknown', partition: 0, offset: '0', key: null, value: Buffer.from('{}'), timestamp: '1' };
    expect(() => landingInserts([message], () => '')).toThrow(/no landing table for topic p\.unknown/);
  });

  it('write each lone surrogate escape as \\ufffd and leave pairs, escaped backslashes and other text alone', () => {
    const payloads = [
      '{"a":"\\ud800"}',
      '{"a":"x\\uDC00y","b":"\\ud83d\\ude00"}',
      '{"a":"\\ud83d\\ud83d\\ude00"}',
      '{"a":"\\ude00\\ud83d"}',
      '{"a":"\\\\ud800"}',
      '{"a":"\\\\\\ud800"}',
      '{"\\ud800key":1}',
      '{"a":"\\ud800',
    ];
    for (const payload of payloads) {
      const fixed = withLoneSurrogatesReplaced(Buffer.from(payload)).toString();
      expect(fixed.length, payload).toBe(payload.length);
      let parsed: unknown;
      try {
        parsed = JSON.parse(payload);
      } catch {
        // Not JSON either way: only the escape may change.
        expect(fixed.replaceAll('\\ufffd', '\\ud800'), payload).toBe(payload);
        continue;
      }
      expect(JSON.parse(fixed), payload).toEqual(wellFormed(parsed));
      // What is left reads as text UTF-8 can hold: it survives encoding unchanged.
      expect(Buffer.from(JSON.stringify(JSON.parse(fixed))).toString(), payload).toBe(JSON.stringify(JSON.parse(fixed)));
    }
    const clean = Buffer.from('{"a":"\\u0041\\\\u"}');
    expect(withLoneSurrogatesReplaced(clean)).toBe(clean);
  });
});
