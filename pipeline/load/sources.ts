import { constants, existsSync, readdirSync, statSync, type Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { ENTITIES, type Entity } from '../entities/entities.js';

/**
 * The most bytes one document's JSON may take. MongoDB stores at most 16 MiB of BSON, and a
 * JSON text four times that size cannot shrink below it; a longer line or file is rejected
 * from its size alone, so that one huge line never has to be held in memory.
 */
export const MAX_DOCUMENT_TEXT_BYTES = 64 * 1024 * 1024;

/** How much of an oversized document is kept, to show what it was. */
const HEAD_BYTES = 8 * 1024;

/** One document's bytes as found on disk, with where they came from. */
export interface SourceText {
  readonly kind: 'text';
  readonly entity: Entity;
  /** Path relative to the loaded folder. */
  readonly file: string;
  readonly line: number;
  readonly layout: 'folder' | 'ndjson';
  /** The document's bytes, or only their start when `size` is over MAX_DOCUMENT_TEXT_BYTES. */
  readonly bytes: Buffer;
  readonly size: number;
}

/** A file or folder that could not be read at all. */
export interface SourceFailure {
  readonly kind: 'failure';
  readonly file: string;
  readonly reason: string;
}

/** A name that looks like data but is no regular file (a FIFO, a device, a folder): never opened for reading. */
export interface SourceSkipped {
  readonly kind: 'skipped';
  readonly file: string;
  readonly reason: string;
}

export type SourceItem = SourceText | SourceFailure | SourceSkipped;

/**
 * The layouts `load` reads, per entity: the seed's folder (DIR/<entity>/<id>.json, one
 * document a file) and NDJSON (DIR/<entity>.ndjson, one document a line).
 */
export function findSources(dir: string): { entity: Entity; file: string; layout: 'folder' | 'ndjson' }[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`${dir} is not a folder`);
  const found: { entity: Entity; file: string; layout: 'folder' | 'ndjson' }[] = [];
  for (const entity of ENTITIES) {
    if (existsSync(join(dir, entity)) && statSync(join(dir, entity)).isDirectory()) found.push({ entity, file: entity, layout: 'folder' });
    if (existsSync(join(dir, `${entity}.ndjson`))) found.push({ entity, file: `${entity}.ndjson`, layout: 'ndjson' });
  }
  if (found.length === 0) throw new Error(`${dir} holds no data: expected ${ENTITIES.map((e) => `${e}/ or ${e}.ndjson`).join(', ')}`);
  return found;
}

const reasonOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

function kindOf(stats: Stats): string {
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isDirectory()) return 'a folder';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/**
 * Opens a file for reading only if it is a regular one. The check is made on the opened
 * descriptor (no window for the name to change), and the open does not block: opening a
 * FIFO for reading would otherwise wait for a writer forever.
 */
async function openRegular(path: string): Promise<{ handle: FileHandle; size: number } | { skipped: string }> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  const stats = await handle.stat();
  if (stats.isFile()) return { handle, size: stats.size };
  await handle.close();
  return { skipped: kindOf(stats) };
}

/**
 * Splits a file into lines as bytes (a text decoder would hide invalid UTF-8 behind U+FFFD).
 * A line over MAX_DOCUMENT_TEXT_BYTES keeps only its start and its full size.
 */
async function* linesOf(handle: FileHandle): AsyncGenerator<{ bytes: Buffer; size: number }> {
  let parts: Buffer[] = [];
  let size = 0;
  const end = () => {
    const line = { bytes: Buffer.concat(parts), size };
    parts = [];
    size = 0;
    return line;
  };
  const take = (piece: Buffer) => {
    const wasWithin = size <= MAX_DOCUMENT_TEXT_BYTES;
    size += piece.length;
    if (size <= MAX_DOCUMENT_TEXT_BYTES) parts.push(piece);
    else if (wasWithin) parts = [Buffer.concat([...parts, piece], HEAD_BYTES)];
  };
  for await (const chunk of handle.createReadStream({ autoClose: false, highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>) {
    let from = 0;
    for (let newline = chunk.indexOf(0x0a, from); newline >= 0; newline = chunk.indexOf(0x0a, from)) {
      take(chunk.subarray(from, newline));
      from = newline + 1;
      yield end();
    }
    if (from < chunk.length) take(Buffer.from(chunk.subarray(from)));
  }
  if (size > 0) yield end();
}

const isBlank = (bytes: Buffer) => bytes.every((byte) => byte === 0x20 || byte === 0x09 || byte === 0x0d);

/** A trailing CR (CRLF files) is not part of the document. */
const withoutCr = (bytes: Buffer) => (bytes.at(-1) === 0x0d ? bytes.subarray(0, -1) : bytes);

async function* readNdjson(dir: string, entity: Entity, file: string): AsyncGenerator<SourceItem> {
  const opened = await openRegular(join(dir, file));
  if ('skipped' in opened) {
    yield { kind: 'skipped', file, reason: opened.skipped };
    return;
  }
  try {
    let line = 0;
    for await (const { bytes, size } of linesOf(opened.handle)) {
      line += 1;
      if (size <= MAX_DOCUMENT_TEXT_BYTES && isBlank(bytes)) continue;
      yield { kind: 'text', entity, file, line, layout: 'ndjson', bytes: size <= MAX_DOCUMENT_TEXT_BYTES ? withoutCr(bytes) : bytes, size };
    }
  } finally {
    await opened.handle.close();
  }
}

async function readDocumentFile(dir: string, entity: Entity, file: string): Promise<SourceItem> {
  const opened = await openRegular(join(dir, file));
  if ('skipped' in opened) return { kind: 'skipped', file, reason: opened.skipped };
  try {
    if (opened.size > MAX_DOCUMENT_TEXT_BYTES) {
      const head = Buffer.alloc(HEAD_BYTES);
      const { bytesRead } = await opened.handle.read(head, 0, HEAD_BYTES, 0);
      return { kind: 'text', entity, file, line: 1, layout: 'folder', bytes: head.subarray(0, bytesRead), size: opened.size };
    }
    const bytes = await opened.handle.readFile();
    return { kind: 'text', entity, file, line: 1, layout: 'folder', bytes, size: bytes.length };
  } finally {
    await opened.handle.close();
  }
}

/** Streams every document's bytes, in entity order; unreadable files are reported, not thrown. */
export async function* readSources(dir: string): AsyncGenerator<SourceItem> {
  for (const source of findSources(dir)) {
    if (source.layout === 'ndjson') {
      try {
        yield* readNdjson(dir, source.entity, source.file);
      } catch (error) {
        yield { kind: 'failure', file: source.file, reason: reasonOf(error) };
      }
      continue;
    }
    let names: string[];
    try {
      names = readdirSync(join(dir, source.file)).filter((name) => name.endsWith('.json')).sort();
    } catch (error) {
      yield { kind: 'failure', file: source.file, reason: reasonOf(error) };
      continue;
    }
    for (const name of names) {
      const file = `${source.file}/${name}`;
      try {
        yield await readDocumentFile(dir, source.entity, file);
      } catch (error) {
        yield { kind: 'failure', file, reason: reasonOf(error) };
      }
    }
  }
}
