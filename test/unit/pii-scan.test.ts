import { describe, expect, it } from 'vitest';
import type { ReadMessage } from '../helpers/kafka.js';
import { plaintextPiiInMessages } from '../helpers/pii-scan.js';

const people = { emails: new Set(['anna.petrova@example.ru']), phones: new Set(['9161234567']) };

const message = (offset: number, value: string, key = `k${offset}`): ReadMessage => ({ topic: 't', partition: 0, offset: String(offset), key, value: Buffer.from(value), headers: {} });

describe('the PII scan of Kafka messages', () => {
  it('finds a contact in any slice of a long topic, in a value or a key, and nothing in clean messages', () => {
    const clean = Array.from({ length: 25_000 }, (_, i) => message(i, `{"masked":"a***@example.ru","n":${i}}`));
    expect(plaintextPiiInMessages(clean, people)).toEqual([]);

    const messages = [...clean];
    messages[17_345] = message(17_345, '{"email":"Anna.Petrova@example.ru"}');
    messages[24_999] = message(24_999, '{}', 'tel +7 (916) 123-45-67');
    expect(plaintextPiiInMessages(messages, people).sort()).toEqual(['email an…@example.ru', 'phone …67']);
  });
});
