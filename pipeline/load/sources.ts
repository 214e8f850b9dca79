import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ENTITIES, type Entity } from '../entities/entities.js';

/** One document's text as found on disk, with where it came from. */
export interface SourceText {
  readonly kind: 'text';
  readonly entity: Entity;
  /** Path relative to the loaded folder. */
  readonly file: string;
  readonly line: number;
  readonly text: string;
}

/** A file or folder that could not be read at all. */
export interface SourceFailure {
  readonly kind: 'failure';
  readonly file: string;
  readonly reason: string;
}

export type SourceItem = SourceText | SourceFailure;

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

/** Streams every document's text, in entity order; unreadable files are reported, not thrown. */
export async function* readSources(dir: string): AsyncGenerator<SourceItem> {
  for (const source of findSources(dir)) {
    if (source.layout === 'ndjson') {
      try {
        const lines = createInterface({ input: createReadStream(join(dir, source.file), { encoding: 'utf8' }), crlfDelay: Infinity });
        let line = 0;
        for await (const text of lines) {
          line += 1;
          if (text.trim() !== '') yield { kind: 'text', entity: source.entity, file: source.file, line, text };
        }
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
        yield { kind: 'text', entity: source.entity, file, line: 1, text: await readFile(join(dir, file), 'utf8') };
      } catch (error) {
        yield { kind: 'failure', file, reason: reasonOf(error) };
      }
    }
  }
}
