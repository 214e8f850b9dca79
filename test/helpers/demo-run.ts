import { ENTITIES, type Entity } from '../../pipeline/entities/entities.js';
import type { DefectEntry } from '../../pipeline/generate/manifest.js';
import { MANIFEST_DEFECTS_COLLECTION, MANIFESTS_COLLECTION } from '../../pipeline/generate/sinks.js';
import { connectMongo } from '../../pipeline/mongo/client.js';
import { runCli } from './cli.js';
import { expectedDuplicates, expectedRejections } from './mart-expectations.js';
import { testEnv, testServices } from './services.js';

/**
 * The environment of one demo run in a test: the run's Kafka broker and MongoDB server (so the
 * demo does not start them), its own database, topics and state folder, hence a ClickHouse
 * service of its own: documents are judged across everything one ClickHouse holds, and other
 * tests write the same business keys.
 */
export function demoEnv(prefix: string): Record<string, string> {
  return testEnv({ MONGO_DB: prefix, PICCHA_TOPIC_PREFIX: prefix });
}

/** Stops the ClickHouse service the demo started in its state folder. */
export async function stopDemoServices(env: Record<string, string>): Promise<void> {
  await runCli(['services', 'down', '--purge'], env);
}

const COLUMNS = ['mongodb', 'kafka', 'dead_letters', 'raw', 'raw_rejected', 'documents', 'duplicates', 'rejected', 'mart'] as const;
export type SummaryRow = Record<(typeof COLUMNS)[number], number>;

/** The per-entity table of one `== summary` section (the last one when `which` is 'last'). */
export function summaryTable(stdout: string, which: 'first' | 'last' = 'last'): Record<Entity, SummaryRow> {
  const sections = stdout.split('\n== summary\n').slice(1);
  const section = which === 'first' ? sections[0] : sections.at(-1);
  if (section === undefined) throw new Error('no summary in the output');
  const lines = section.split('\n');
  const header = (lines[0] ?? '').trim().split(/\s+/);
  const table = {} as Record<Entity, SummaryRow>;
  for (const line of lines.slice(2, 2 + ENTITIES.length)) {
    const [entity, ...values] = line.trim().split(/\s+/);
    const row = Object.fromEntries(header.slice(1).map((column, index) => [column, Number(values[index])]));
    for (const column of COLUMNS) if (!Number.isInteger(row[column])) throw new Error(`summary of ${entity}: no whole number in column ${column}: ${line}`);
    table[entity as Entity] = row as SummaryRow;
  }
  return table;
}

export interface DemoExpectation {
  readonly documents: number;
  readonly duplicates: number;
  readonly rejected: number;
  readonly mart: number;
}

/**
 * What the summary must show per entity, from the generator's manifest and defect list as the
 * demo stored them in MongoDB (generation_manifests, generation_defects): documents written,
 * the copies of already-sent keys (duplicates), the documents with a rejecting defect.
 */
export async function expectationsFromManifest(database: string): Promise<Record<Entity, DemoExpectation>> {
  const { client, db } = await connectMongo({ url: testServices().mongoUrl, database });
  try {
    const manifests = await db.collection<{ _id: string; complete: boolean; documents: Record<Entity, number> }>(MANIFESTS_COLLECTION).find({ complete: true }).toArray();
    if (manifests.length !== 1 || manifests[0] === undefined) throw new Error(`expected one complete generation run in ${database}, found ${manifests.length}`);
    const manifest = manifests[0];
    const defects = await db.collection<DefectEntry & { run: string }>(MANIFEST_DEFECTS_COLLECTION).find({ run: manifest._id }).toArray();
    return Object.fromEntries(
      ENTITIES.map((entity) => {
        const duplicates = expectedDuplicates(defects, entity).length;
        const rejected = new Set([...expectedRejections(defects, entity).values()].flat()).size;
        const documents = manifest.documents[entity];
        return [entity, { documents, duplicates, rejected, mart: documents - duplicates - rejected }];
      }),
    ) as Record<Entity, DemoExpectation>;
  } finally {
    await client.close();
  }
}
