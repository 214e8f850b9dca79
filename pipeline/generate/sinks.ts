import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { join } from 'node:path';
import type { Db } from 'mongodb';
import { ENTITIES, type Document, type Entity } from '../entities/entities.js';
import { ensureIndexes, MongoDocumentWriter, type WriteCounts } from '../load/mongo-writer.js';
import { DEFECTS_FILE, type DefectEntry, type Manifest } from './manifest.js';

/** Where generated documents and the defect list go; writes apply backpressure, so memory stays bounded. */
export interface DocumentSink {
  begin(manifest: Manifest): Promise<void>;
  write(entity: Entity, document: Document): Promise<void>;
  writeDefect(entry: DefectEntry): Promise<void>;
  finish(manifest: Manifest): Promise<void>;
}

export const MANIFEST_FILE = 'manifest.json';

/** Every name the file sinks write into their folder: what `generate --force` may remove. */
export const GENERATED_NAMES: readonly string[] = [...ENTITIES, ...ENTITIES.map((entity) => `${entity}.ndjson`), MANIFEST_FILE, DEFECTS_FILE];

async function writeLine(stream: WriteStream, line: string): Promise<void> {
  if (!stream.write(line)) await once(stream, 'drain');
}

async function end(stream: WriteStream): Promise<void> {
  stream.end();
  await once(stream, 'finish');
}

/** The defect list as NDJSON beside the manifest, streamed as the run goes. */
function defectsFile(dir: string): { write(entry: DefectEntry): Promise<void>; finish(): Promise<void> } {
  const stream = createWriteStream(join(dir, DEFECTS_FILE));
  return { write: (entry) => writeLine(stream, `${JSON.stringify(entry)}\n`), finish: () => end(stream) };
}

/** The seed's layout: DIR/<entity>/<source id>.json, one pretty-printed document a file. */
export function filesSink(dir: string): DocumentSink {
  for (const entity of ENTITIES) mkdirSync(join(dir, entity), { recursive: true });
  const defects = defectsFile(dir);
  return {
    begin: () => Promise.resolve(),
    async write(entity, document) {
      await writeFile(join(dir, entity, `${String(document.source_id)}.json`), `${JSON.stringify(document, null, 2)}\n`);
    },
    writeDefect: (entry) => defects.write(entry),
    async finish(manifest) {
      await defects.finish();
      await writeFile(join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    },
  };
}

/** One NDJSON file per entity, DIR/<entity>.ndjson: the layout for large runs. */
export function ndjsonSink(dir: string): DocumentSink {
  mkdirSync(dir, { recursive: true });
  const streams = new Map<Entity, WriteStream>();
  const defects = defectsFile(dir);
  return {
    begin: () => Promise.resolve(),
    async write(entity, document) {
      let stream = streams.get(entity);
      if (!stream) {
        stream = createWriteStream(join(dir, `${entity}.ndjson`));
        streams.set(entity, stream);
      }
      await writeLine(stream, `${JSON.stringify(document)}\n`);
    },
    writeDefect: (entry) => defects.write(entry),
    async finish(manifest) {
      for (const entity of ENTITIES) await end(streams.get(entity) ?? createWriteStream(join(dir, `${entity}.ndjson`)));
      await defects.finish();
      await writeFile(join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    },
  };
}

export const MANIFESTS_COLLECTION = 'generation_manifests';
export const MANIFEST_DEFECTS_COLLECTION = 'generation_defects';

/** A run's id in generation_manifests, and the `run` field of its generation_defects entries. */
export const runIdOf = (manifest: Pick<Manifest, 'seed' | 'now'>) => `seed-${manifest.seed}-${manifest.now}`;

/**
 * Straight into MongoDB, through the loader's idempotent writer. The manifest's summary goes
 * to generation_manifests; its defect list to generation_defects (one entry per affected
 * document), inserted in batches as the run goes.
 */
export function mongoSink(db: Db, batchSize = 1000): DocumentSink & { counts: Record<Entity, WriteCounts> } {
  const writer = new MongoDocumentWriter(db, { batchSize, command: 'piccha generate' });
  const defects = db.collection<DefectEntry & { _id: string; run: string }>(MANIFEST_DEFECTS_COLLECTION);
  const manifests = db.collection<{ _id: string }>(MANIFESTS_COLLECTION);
  const summaryOf = (manifest: Manifest) => {
    const { defects: counts, ...summary } = manifest;
    const defectCounts = Object.fromEntries(Object.entries(counts).map(([kind, byEntity]) => [kind, Object.fromEntries(Object.entries(byEntity).map(([entity, record]) => [entity, record.count]))]));
    return { ...summary, defect_counts: defectCounts };
  };
  let run = '';
  let pending: (DefectEntry & { _id: string; run: string })[] = [];
  const flushDefects = async () => {
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    await defects.insertMany(batch, { ordered: false });
  };
  return {
    counts: writer.counts,
    async begin(manifest) {
      run = runIdOf(manifest);
      await ensureIndexes(db);
      // Marked incomplete until finish: a run that dies midway leaves a partial defect list, and says so.
      await manifests.replaceOne({ _id: run }, { ...summaryOf(manifest), complete: false }, { upsert: true });
      // Replaced as a whole: one scan to delete, then batched inserts (an upsert each would scan each time on FerretDB).
      await defects.deleteMany({ run });
    },
    async write(entity, document) {
      await writer.write(entity, document);
    },
    async writeDefect(entry) {
      pending.push({ _id: `${run}:${entry.source_id}`, run, ...entry });
      if (pending.length >= batchSize) await flushDefects();
    },
    async finish(manifest) {
      await writer.close();
      await flushDefects();
      await manifests.replaceOne({ _id: run }, { ...summaryOf(manifest), complete: true }, { upsert: true });
    },
  };
}
