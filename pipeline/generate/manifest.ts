import { businessKeyOf, type Document, type Entity } from '../entities/entities.js';
import type { DefectKind, DefectRates } from './defects.js';

export interface DefectRecord {
  count: number;
  /** Source ids of the affected documents (for duplicates: of the copies). */
  source_ids: string[];
  /** Their business keys; null where the key is what is missing. */
  keys: (string | null)[];
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
  readonly defects: Partial<Record<DefectKind, Partial<Record<Entity, DefectRecord>>>>;
}

export function newManifest(fields: Pick<Manifest, 'seed' | 'now' | 'days' | 'profile' | 'rates' | 'max_copies'>): Manifest {
  return { generator: 'piccha generate', ...fields, documents: { stores: 0, products: 0, customers: 0, purchases: 0 }, defects: {} };
}

export function recordDefect(manifest: Manifest, kind: DefectKind, entity: Entity, document: Document): void {
  const byEntity = (manifest.defects[kind] ??= {});
  const record = (byEntity[entity] ??= { count: 0, source_ids: [], keys: [] });
  record.count += 1;
  record.source_ids.push(String(document.source_id));
  record.keys.push(businessKeyOf(entity, document) ?? null);
}
