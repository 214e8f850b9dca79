import { businessKeyOf, type Document, type Entity } from '../entities/entities.js';
import type { DefectKind, DefectRates } from './defects.js';

/** How many documents of one entity got one defect. */
export interface DefectCount {
  count: number;
}

/**
 * One affected document (for duplicates: a copy). These are streamed beside the data
 * (DEFECTS_FILE, or the generation_defects collection), never kept: at ten million purchases
 * the list alone would take gigabytes.
 */
export interface DefectEntry {
  readonly kind: DefectKind;
  readonly entity: Entity;
  readonly source_id: string;
  /** The business key; null where the key is what is missing. */
  readonly key: string | null;
}

/** What a generation run produced: the exact ground truth later stages are tested against. */
export interface Manifest {
  readonly generator: 'piccha generate';
  readonly seed: number;
  readonly now: string;
  readonly days: number;
  readonly profile: string;
  readonly rates: DefectRates['rates'];
  readonly max_copies: number;
  /** Documents written per entity, duplicates included. */
  readonly documents: Record<Entity, number>;
  /** Counts only; the affected documents are listed in DEFECTS_FILE or generation_defects. */
  readonly defects: Partial<Record<DefectKind, Partial<Record<Entity, DefectCount>>>>;
}

/** The defect list beside manifest.json: one DefectEntry a line, in output order. */
export const DEFECTS_FILE = 'manifest-defects.ndjson';

export function newManifest(fields: Pick<Manifest, 'seed' | 'now' | 'days' | 'profile' | 'rates' | 'max_copies'>): Manifest {
  return { generator: 'piccha generate', ...fields, documents: { stores: 0, products: 0, customers: 0, purchases: 0 }, defects: {} };
}

/** Counts the defect in the manifest and returns its entry, for the caller to stream. */
export function recordDefect(manifest: Manifest, kind: DefectKind, entity: Entity, document: Document): DefectEntry {
  const byEntity = (manifest.defects[kind] ??= {});
  const record = (byEntity[entity] ??= { count: 0 });
  record.count += 1;
  return { kind, entity, source_id: String(document.source_id), key: businessKeyOf(entity, document) ?? null };
}
