import type { Progress } from '../progress/progress.js';
import { generateDocuments, type GenerateOptions } from './generator.js';
import { newManifest, type Manifest } from './manifest.js';
import type { DocumentSink } from './sinks.js';

/** Generates a whole run into a sink and returns its manifest (counts), also written by the sink with the defect list. */
export async function runGeneration(options: GenerateOptions & { profile: string }, sink: DocumentSink, progress?: Progress): Promise<Manifest> {
  const manifest = newManifest({
    seed: options.seed,
    now: new Date(options.now).toISOString(),
    days: options.days,
    profile: options.profile,
    rates: options.defects.rates,
    max_copies: options.defects.maxCopies,
  });
  await sink.begin(manifest);
  for (const { entity, document, defect } of generateDocuments(options, manifest)) {
    await sink.write(entity, document);
    if (defect) await sink.writeDefect(defect);
    progress?.increment();
  }
  await sink.finish(manifest);
  return manifest;
}
