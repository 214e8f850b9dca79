import { createHash } from 'node:crypto';
import { BSON } from 'mongodb';
import { BUSINESS_KEYS, businessKeyOf, SOURCE_ID, type Document } from '../entities/entities.js';
import { inexactNumberAt } from '../entities/exact-numbers.js';
import { MAX_DOCUMENT_TEXT_BYTES, type SourceText } from './sources.js';

export type Validated = { ok: true; document: Document } | { ok: false; reason: string };

/** MongoDB's limit for one document. */
export const MAX_BSON_BYTES = 16 * 1024 * 1024;
/** MongoDB's limit for nested objects and arrays; checked before anything walks a document recursively. */
const MAX_NESTING = 100;
/** Room for what the writer adds to each document (_id, load time, content hash) and for its outbox entry's own fields. */
const STORED_FIELDS_BYTES = 1024;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

/**
 * The first field name MongoDB would refuse or misread: one starting with `$` (an operator),
 * holding a `.` (a path) or a NUL (it ends a BSON name). Such a document is rejected rather
 * than renamed: the operational store keeps what the tills sent, or nothing. Too deep a
 * document is refused too, and one holding a number a double cannot keep exactly (checked in
 * the same walk: every document passes here).
 */
function unstorable(value: unknown, path: string, depth = 1): string | undefined {
  if (typeof value === 'number') return inexactNumberAt(value, path);
  if (typeof value !== 'object' || value === null) return undefined;
  if (depth > MAX_NESTING) return `nested deeper than MongoDB's ${MAX_NESTING} levels at ${path}`;
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const bad = unstorable(item, `${path}[${index}]`, depth + 1);
      if (bad) return bad;
    }
    return undefined;
  }
  for (const [name, item] of Object.entries(value)) {
    const at = path === '' ? JSON.stringify(name) : `${JSON.stringify(name)} in ${path}`;
    if (name.startsWith('$')) return `field ${at} starts with $ (MongoDB operator syntax)`;
    if (name.includes('.')) return `field ${at} contains a dot (MongoDB path syntax)`;
    if (name.includes('\0')) return `field ${at} contains a NUL character`;
    const bad = unstorable(item, path === '' ? name : `${path}.${name}`, depth + 1);
    if (bad) return bad;
  }
  return undefined;
}

/** Key order and whitespace do not make two documents different. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    return `{${Object.keys(value).sort().map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Document)[key])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The id of a document that came without a source id, from what cannot shift: a file of the
 * folder layout is one document, so its path; an NDJSON line's number changes whenever a
 * line is inserted above it, so its content (exact copies of such a line are one document).
 */
export function derivedSourceId(source: Pick<SourceText, 'file' | 'layout'>, document: Document): string {
  if (source.layout === 'folder') return source.file;
  return `content-${createHash('sha256').update(canonicalJson(document)).digest('hex').slice(0, 32)}`;
}

/**
 * Decodes, parses and checks one document for what loading needs: a JSON object that MongoDB
 * can store as it is, with its business key. Other defects (missing fields, odd phones) are
 * loaded as they are: the operational store keeps what the tills sent, and later stages judge it.
 */
export function validateDocument(source: Pick<SourceText, 'entity' | 'file' | 'line' | 'bytes' | 'size'>): Validated {
  const { entity, bytes, size } = source;
  if (size > MAX_DOCUMENT_TEXT_BYTES) {
    return { ok: false, reason: `${size} bytes of JSON (${mib(size)}): too large for a MongoDB document (at most ${mib(MAX_BSON_BYTES)})` };
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { ok: false, reason: 'not valid UTF-8' };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `not valid JSON: ${(error as Error).message}` };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { ok: false, reason: `expected a JSON object, got ${Array.isArray(parsed) ? 'an array' : parsed === null ? 'null' : typeof parsed}` };
  }
  const document = parsed as Document;
  const refusal = unstorable(document, '');
  if (refusal) return { ok: false, reason: refusal };
  if (businessKeyOf(entity, document) === undefined) {
    return { ok: false, reason: `missing business key ${BUSINESS_KEYS[entity]}` };
  }
  const sourceId = document[SOURCE_ID];
  if (sourceId !== undefined && (typeof sourceId !== 'string' || sourceId.trim() === '')) {
    return { ok: false, reason: `${SOURCE_ID} must be a non-empty string` };
  }
  const bsonBytes = BSON.calculateObjectSize(document) + STORED_FIELDS_BYTES;
  if (bsonBytes > MAX_BSON_BYTES) {
    return { ok: false, reason: `${bsonBytes} bytes as BSON (${mib(bsonBytes)}): over MongoDB's ${mib(MAX_BSON_BYTES)} document limit` };
  }
  return { ok: true, document };
}
