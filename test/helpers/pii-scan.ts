import type { Document } from '../../pipeline/entities/entities.js';
import type { ClickHouse } from '../../pipeline/clickhouse/clickhouse.js';
import type { ReadMessage } from './kafka.js';

/**
 * The generated people's contacts, and a search for them in any text: emails trimmed and
 * lower-cased, phones as their last ten digits (the national number), so that every spelling
 * the generator writes (`8 (9xx) xxx-xx-xx`, `+7 9xx…`, `9xx…`) and the normalised `+7…` match.
 * Written here, independently of the pipeline's own detection and normalisation.
 */
export interface PersonalValues {
  readonly emails: ReadonlySet<string>;
  readonly phones: ReadonlySet<string>;
}

/** Where the generator puts contacts: the PII policy's fields, read by the test on its own. */
const CONTACTS: readonly { entity: string; path: readonly string[] }[] = [
  { entity: 'customers', path: [] },
  { entity: 'stores', path: ['manager'] },
  { entity: 'purchases', path: ['customer'] },
];

const digitsOf = (value: string) => value.replace(/\D/g, '');

export function personalValues(generated: Readonly<Record<string, readonly Document[]>>): PersonalValues {
  const emails = new Set<string>();
  const phones = new Set<string>();
  for (const { entity, path } of CONTACTS) {
    for (const document of generated[entity] ?? []) {
      let holder: unknown = document;
      for (const step of path) holder = (holder as Record<string, unknown> | undefined)?.[step];
      if (typeof holder !== 'object' || holder === null) continue;
      const { email, phone } = holder as { email?: unknown; phone?: unknown };
      // Only an address names someone: an invalid contact such as "@mail.ru" is no one's (and is in every masked value).
      if (typeof email === 'string' && /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email.trim())) emails.add(email.trim().toLowerCase());
      if (typeof phone === 'string' && digitsOf(phone).length >= 10) phones.add(digitsOf(phone).slice(-10));
    }
  }
  return { emails, phones };
}

/** A run of digits written the way phones are: spaces, dashes, brackets, dots between them. */
const PHONE_LIKE = /\+?\d[\d\s().-]{8,22}\d/g;

/** The personal values found in `text`, masked for a failure message (never the whole value). */
export function plaintextPii(text: string, values: PersonalValues): string[] {
  const found = new Set<string>();
  const lower = text.toLowerCase();
  for (const email of values.emails) if (lower.includes(email)) found.add(`email ${email.slice(0, 2)}…@${email.split('@')[1] ?? ''}`);
  for (const match of text.matchAll(PHONE_LIKE)) {
    const digits = digitsOf(match[0]);
    // A longer run can hold a phone anywhere: check every ten-digit window.
    for (let start = 0; start + 10 <= digits.length; start++) {
      const national = digits.slice(start, start + 10);
      if (values.phones.has(national)) found.add(`phone …${national.slice(-2)}`);
    }
  }
  return [...found];
}

/** Messages per scanned text: every message of a topic joined at once can pass V8's longest string (about 512 MiB). */
const MESSAGES_PER_SCAN = 10_000;

/** The personal values found in Kafka messages (key, value and headers), scanned a slice at a time. */
export function plaintextPiiInMessages(messages: readonly ReadMessage[], values: PersonalValues): string[] {
  const found = new Set<string>();
  for (let start = 0; start < messages.length; start += MESSAGES_PER_SCAN) {
    const text = messages
      .slice(start, start + MESSAGES_PER_SCAN)
      .map((message) => `${message.key}\n${message.value.toString('utf8')}\n${JSON.stringify(message.headers)}`)
      .join('\n');
    for (const value of plaintextPii(text, values)) found.add(value);
  }
  return [...found];
}

/** Rows per read when scanning a table, so that a large one is never held whole. */
const SCAN_CHUNK = 20_000;

/**
 * Every table of the pipeline's ClickHouse databases (RAW, staging, MART with its logs),
 * scanned in chunks; returns, per table holding any, the personal values found.
 */
export async function piiInTables(clickhouse: ClickHouse, values: PersonalValues): Promise<{ tables: number; found: Record<string, string[]> }> {
  const tables = await clickhouse.query<{ name: string }>(
    `SELECT concat(database, '.', name) AS name FROM system.tables
     WHERE database IN ('piccha_raw', 'piccha_staging', 'piccha_mart') AND engine NOT IN ('MaterializedView')
       -- A refresh under way holds its next copy in '.tmp.inner_id.<uuid>', dropped or swapped in when it ends.
       AND NOT startsWith(name, '.tmp.')
     ORDER BY name`,
  );
  const found: Record<string, string[]> = {};
  for (const { name } of tables) {
    const hits = new Set<string>();
    for (let offset = 0; ; offset += SCAN_CHUNK) {
      const rows = await clickhouse.query(`SELECT * FROM ${name} LIMIT ${SCAN_CHUNK} OFFSET ${offset}`);
      for (const hit of plaintextPii(rows.map((row) => JSON.stringify(row)).join('\n'), values)) hits.add(hit);
      if (rows.length < SCAN_CHUNK) break;
    }
    if (hits.size > 0) found[name] = [...hits];
  }
  return { tables: tables.length, found };
}
