import { ENTITIES, type Document, type Entity } from '../entities/entities.js';
import { applyDefect, changedCopy, drawDefect, validateRates, type DefectRates } from './defects.js';
import { makeCustomer, makeProduct, makePurchase, makeStore, type GenerationContext } from './documents.js';
import { recordDefect, type DefectEntry, type Manifest } from './manifest.js';
import { Random } from './random.js';

export type EntityCounts = Readonly<Record<Entity, number>>;

/** The seed's defaults: 45 stores (30 + 15), 20 products, one customer per store, 200 purchases. */
export const DEFAULT_COUNTS: EntityCounts = { stores: 45, products: 20, customers: 45, purchases: 200 };

export interface GenerateOptions extends GenerationContext {
  readonly counts: EntityCounts;
  readonly defects: DefectRates;
}

export interface Generated {
  readonly entity: Entity;
  readonly document: Document;
  /** The document's defect, already counted in the manifest; for the caller to list. */
  readonly defect?: DefectEntry;
}

const ENTITY_CODE: Readonly<Record<Entity, number>> = { stores: 1, products: 2, customers: 3, purchases: 4 };

/** The clean stores, products and customers purchases embed, as the tills knew them. */
export interface Catalog {
  readonly stores: Document[];
  readonly products: Document[];
  readonly customers: Document[];
}

function validate(options: GenerateOptions): void {
  validateRates(options.defects.rates, ENTITIES);
  for (const [entity, count] of Object.entries(options.counts)) {
    if (!Number.isInteger(count) || count < 0) throw new Error(`--${entity} must be a whole number ≥ 0, got ${count}`);
  }
  if (options.counts.purchases > 0 && (options.counts.stores === 0 || options.counts.products === 0 || options.counts.customers === 0)) {
    throw new Error('purchases need at least one store, one product and one customer');
  }
  if (options.counts.customers > 0 && options.counts.stores === 0) throw new Error('customers need at least one store');
}

/** One document at its position, with its defect (counted in the manifest), then its resent copies. */
function* emit(options: GenerateOptions, manifest: Manifest, entity: Entity, position: number, make: (random: Random) => Document, keep?: Document[]): Generator<Generated> {
  const random = new Random(options.seed, ENTITY_CODE[entity], position);
  const clean = make(random);
  keep?.push(clean);
  const defect = drawDefect(random, entity, options.defects.rates);
  const document = defect === undefined || defect === 'exact_duplicate' || defect === 'key_duplicate' ? clean : structuredClone(clean);
  let entry: DefectEntry | undefined;
  if (defect !== undefined && defect !== 'exact_duplicate' && defect !== 'key_duplicate') {
    applyDefect(random, defect, entity, document, options.now);
    entry = recordDefect(manifest, defect, entity, document);
  }
  manifest.documents[entity] += 1;
  yield { entity, document, defect: entry };
  if (defect === 'exact_duplicate' || defect === 'key_duplicate') {
    const copies = random.int(1, options.defects.maxCopies);
    for (let copy = 1; copy <= copies; copy++) {
      const duplicate = defect === 'exact_duplicate' ? structuredClone(clean) : changedCopy(entity, clean, copy);
      duplicate.source_id = `${String(clean.source_id)}-resent-${copy}`;
      const copyEntry = recordDefect(manifest, defect, entity, duplicate);
      manifest.documents[entity] += 1;
      yield { entity, document: duplicate, defect: copyEntry };
    }
  }
}

const makeStoreAt = (options: GenerateOptions, i: number) => (r: Random) => makeStore(r, options, i, options.counts.stores);
const makeProductAt = (options: GenerateOptions, i: number) => (r: Random) => makeProduct(r, options, i);
function makeCustomerAt(options: GenerateOptions, i: number, stores: readonly Document[]) {
  const home = stores[i % stores.length];
  if (!home) throw new Error('customers need stores');
  return (r: Random) => makeCustomer(r, options, i, home);
}

/**
 * The catalog of a run without emitting it: each clean document is its stream's first draw,
 * so these equal what `generateDocuments` embedded in the run's purchases.
 */
export function catalogOf(options: GenerateOptions): Catalog {
  validate(options);
  const draw = (entity: Entity, position: number, make: (random: Random) => Document) => make(new Random(options.seed, ENTITY_CODE[entity], position));
  const stores = Array.from({ length: options.counts.stores }, (_, i) => draw('stores', i, makeStoreAt(options, i)));
  const products = Array.from({ length: options.counts.products }, (_, i) => draw('products', i, makeProductAt(options, i)));
  const customers = Array.from({ length: options.counts.customers }, (_, i) => draw('customers', i, makeCustomerAt(options, i, stores)));
  return { stores, products, customers };
}

/**
 * Purchases at positions `from` to `from + count − 1` of a run over `catalog`, with defects as
 * the rates ask: more purchases for a run already generated (a live stream), dated from
 * `options.now`.
 */
export function* purchasesAt(options: GenerateOptions, catalog: Catalog, from: number, count: number, manifest: Manifest): Generator<Generated> {
  validateRates(options.defects.rates, ENTITIES);
  for (let i = from; i < from + count; i++) yield* emit(options, manifest, 'purchases', i, (r) => makePurchase(r, options, i, catalog.stores, catalog.products, catalog.customers));
}

/**
 * Yields every document of a run, entity by entity, with defects injected as the rates ask
 * and counted in the manifest. Only stores, products and customers are kept in memory (they
 * are embedded in purchases); purchases stream, so memory does not grow with their count.
 */
export function* generateDocuments(options: GenerateOptions, manifest: Manifest): Generator<Generated> {
  validate(options);
  const catalog: Catalog = { stores: [], products: [], customers: [] };
  for (let i = 0; i < options.counts.stores; i++) yield* emit(options, manifest, 'stores', i, makeStoreAt(options, i), catalog.stores);
  for (let i = 0; i < options.counts.products; i++) yield* emit(options, manifest, 'products', i, makeProductAt(options, i), catalog.products);
  for (let i = 0; i < options.counts.customers; i++) yield* emit(options, manifest, 'customers', i, makeCustomerAt(options, i, catalog.stores), catalog.customers);
  yield* purchasesAt(options, catalog, 0, options.counts.purchases, manifest);
}
