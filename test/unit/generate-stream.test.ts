import { describe, expect, it } from 'vitest';
import type { Document } from '../../pipeline/entities/entities.js';
import { DIRTY_PROFILES } from '../../pipeline/generate/defects.js';
import { catalogOf, DEFAULT_COUNTS, generateDocuments, purchasesAt, type GenerateOptions } from '../../pipeline/generate/generator.js';
import { newManifest, type Manifest } from '../../pipeline/generate/manifest.js';

const options: GenerateOptions = { seed: 7, now: Date.parse('2026-11-25T12:00:00Z'), days: 90, counts: DEFAULT_COUNTS, defects: DIRTY_PROFILES.heavy ?? { rates: {}, maxCopies: 1 } };
const manifestOf = (): Manifest => newManifest({ seed: 7, now: '2026-11-25T12:00:00.000Z', days: 90, profile: 'heavy', rates: options.defects.rates, max_copies: options.defects.maxCopies });

describe('generate: continuing a run', () => {
  const whole = [...generateDocuments(options, manifestOf())];
  const purchases = whole.filter((generated) => generated.entity === 'purchases').map((generated) => generated.document);

  it('catalogOf gives the clean stores and customers the run embedded in its purchases', () => {
    const clean = { ...options, defects: DIRTY_PROFILES.none ?? { rates: {}, maxCopies: 1 } };
    const catalog = catalogOf(clean);
    expect(catalog.stores).toHaveLength(DEFAULT_COUNTS.stores);
    expect(catalog.products).toHaveLength(DEFAULT_COUNTS.products);
    expect(catalog.customers).toHaveLength(DEFAULT_COUNTS.customers);
    const stores = new Map(catalog.stores.map((store) => [store.store_id, store]));
    const customers = new Map(catalog.customers.map((customer) => [customer.customer_id, customer]));
    const generated = [...generateDocuments(clean, manifestOf())];
    expect(generated.filter((g) => g.entity === 'stores').map((g) => g.document)).toEqual(catalog.stores);
    expect(generated.filter((g) => g.entity === 'customers').map((g) => g.document)).toEqual(catalog.customers);
    for (const { entity, document } of generated) {
      if (entity !== 'purchases') continue;
      const store = document.store as Document;
      const customer = document.customer as Document;
      expect(stores.get(store.store_id)?.store_name).toBe(store.store_name);
      expect(customers.get(customer.customer_id)?.email).toBe(customer.email);
    }
  });

  it('purchasesAt yields exactly the run’s purchases, from any position, with the same defects counted', () => {
    const catalog = catalogOf(options);
    const manifest = manifestOf();
    const first = [...purchasesAt(options, catalog, 0, 120, manifest)].map((generated) => generated.document);
    const rest = [...purchasesAt(options, catalog, 120, DEFAULT_COUNTS.purchases - 120, manifest)].map((generated) => generated.document);
    expect([...first, ...rest]).toEqual(purchases);
    expect(manifest.documents.purchases).toBe(purchases.length);
    const reference = manifestOf();
    for (const generated of generateDocuments(options, reference)) expect(generated.document).toBeDefined();
    expect(manifest.defects).toEqual(Object.fromEntries(Object.entries(reference.defects).flatMap(([kind, byEntity]) => (byEntity.purchases ? [[kind, { purchases: byEntity.purchases }]] : []))));
  });
});
