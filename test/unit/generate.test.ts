import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ENTITIES, type Document, type Entity } from '../../pipeline/entities/entities.js';
import { DEFECT_KINDS, DIRTY_PROFILES } from '../../pipeline/generate/defects.js';
import { DEFAULT_COUNTS, generateDocuments, type GenerateOptions } from '../../pipeline/generate/generator.js';
import { openingHoursOn } from '../../pipeline/generate/catalog.js';
import { DEFECTS_FILE, newManifest, type DefectEntry, type Manifest } from '../../pipeline/generate/manifest.js';
import { runGeneration } from '../../pipeline/generate/run.js';
import { filesSink, MANIFEST_FILE, ndjsonSink } from '../../pipeline/generate/sinks.js';
import { detectDefects } from '../helpers/defect-detectors.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const NOW = Date.parse('2026-11-25T12:00:00Z');

function options(overrides: Partial<GenerateOptions> = {}): GenerateOptions & { profile: string } {
  return { seed: 42, now: NOW, days: 90, counts: DEFAULT_COUNTS, defects: DIRTY_PROFILES.none ?? { rates: {}, maxCopies: 1 }, profile: 'none', ...overrides };
}

function generateAll(opts: GenerateOptions): { manifest: Manifest; byEntity: Record<Entity, Document[]>; defects: DefectEntry[] } {
  const manifest = newManifest({ seed: opts.seed, now: new Date(opts.now).toISOString(), days: opts.days, profile: 'test', rates: opts.defects.rates, max_copies: opts.defects.maxCopies });
  const byEntity = { stores: [], products: [], customers: [], purchases: [] } as Record<Entity, Document[]>;
  const defects: DefectEntry[] = [];
  for (const { entity, document, defect } of generateDocuments(opts, manifest)) {
    byEntity[entity].push(document);
    if (defect) defects.push(defect);
  }
  return { manifest, byEntity, defects };
}

const sourceIdsOf = (defects: readonly DefectEntry[], kind: string, entity: Entity) => defects.filter((entry) => entry.kind === kind && entry.entity === entity).map((entry) => entry.source_id);

function readTree(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) files.set(join(entry.parentPath, entry.name).slice(dir.length), readFileSync(join(entry.parentPath, entry.name), 'utf8'));
  }
  return files;
}

describe('generate', () => {
  const temp = makeTempDir('generate');
  afterAll(() => temp.remove());

  it('writes byte-identical files for the same seed and --now, and different data for another seed', async () => {
    const dirty = { defects: DIRTY_PROFILES.heavy ?? { rates: {}, maxCopies: 1 }, profile: 'heavy' };
    await runGeneration(options(dirty), filesSink(join(temp.path, 'a')));
    await runGeneration(options(dirty), filesSink(join(temp.path, 'b')));
    await runGeneration(options({ ...dirty, seed: 43 }), filesSink(join(temp.path, 'c')));
    await runGeneration(options(dirty), ndjsonSink(join(temp.path, 'd')));
    await runGeneration(options(dirty), ndjsonSink(join(temp.path, 'e')));
    const [a, b, c] = [readTree(join(temp.path, 'a')), readTree(join(temp.path, 'b')), readTree(join(temp.path, 'c'))];
    expect(a.size).toBeGreaterThan(310);
    expect(b).toEqual(a);
    expect(readTree(join(temp.path, 'e'))).toEqual(readTree(join(temp.path, 'd')));
    expect(a.get('/purchases/purchases-42-0.json')).toBeDefined();
    expect(c.get('/purchases/purchases-43-0.json')).not.toEqual(a.get('/purchases/purchases-42-0.json'));
    expect(JSON.parse(c.get('/stores/stores-43-0.json') ?? '{}')).not.toEqual(JSON.parse(a.get('/stores/stores-42-0.json') ?? '{}'));
  });

  it('writes the seed\'s layout: DIR/<entity>/<id>.json and DIR/manifest.json', async () => {
    const dir = join(temp.path, 'layout');
    await runGeneration(options(), filesSink(dir));
    expect(readdirSync(dir).sort()).toEqual(['customers', 'manifest-defects.ndjson', 'manifest.json', 'products', 'purchases', 'stores']);
    for (const entity of ENTITIES) expect(readdirSync(join(dir, entity))).toHaveLength(DEFAULT_COUNTS[entity]);
  });

  it('defaults to the seed: 45 stores (30 + 15), 20 products, 45 customers, 200 purchases, all with unique keys', () => {
    const { byEntity, manifest } = generateAll(options());
    expect(manifest.documents).toEqual({ stores: 45, products: 20, customers: 45, purchases: 200 });
    expect(manifest.defects).toEqual({});
    const networks = byEntity.stores.map((store) => store.store_network);
    expect(networks.filter((n) => n === 'Большая Пикча')).toHaveLength(30);
    expect(networks.filter((n) => n === 'Маленькая Пикча')).toHaveLength(15);
    expect(byEntity.stores.filter((s) => s.store_network === 'Большая Пикча').every((s) => String(s.store_type_description).includes('из 30 магазинов'))).toBe(true);
    expect(new Set(byEntity.purchases.map((p) => p.purchase_id)).size).toBe(200);
    expect(new Set(byEntity.customers.map((c) => c.customer_id)).size).toBe(45);
    for (const entity of ENTITIES) expect(detectDefects(entity, byEntity[entity], NOW)).toEqual({});
  });

  it('keeps every document consistent: totals to the kopeck, prices, embedded copies, opening hours', () => {
    const { byEntity } = generateAll(options({ counts: { stores: 45, products: 20, customers: 45, purchases: 2000 } }));
    const stores = new Map(byEntity.stores.map((s) => [s.store_id, s]));
    const products = new Map(byEntity.products.map((p) => [p.id, p]));
    const customers = new Map(byEntity.customers.map((c) => [c.customer_id, c]));
    const kopecks = (value: unknown) => Math.round((value as number) * 100);
    for (const purchase of byEntity.purchases) {
      const items = purchase.items as Record<string, unknown>[];
      expect(items.length).toBeGreaterThanOrEqual(1);
      let sum = 0;
      for (const item of items) {
        const product = products.get(item.product_id);
        expect(product, String(item.product_id)).toBeDefined();
        expect(item.price_per_unit).toBe(product?.price);
        expect([item.name, item.category, item.unit]).toEqual([product?.name, product?.group, product?.unit]);
        expect(kopecks(item.total_price)).toBe(kopecks(item.price_per_unit) * (item.quantity as number));
        sum += kopecks(item.total_price);
      }
      expect(kopecks(purchase.total_amount)).toBe(sum);
      expect(purchase.total_amount as number).toBeGreaterThan(0);

      const embeddedStore = purchase.store as Record<string, unknown>;
      const store = stores.get(embeddedStore.store_id);
      expect(embeddedStore).toEqual({ store_id: store?.store_id, store_name: store?.store_name, store_network: store?.store_network, location: store?.location });
      const embeddedCustomer = purchase.customer as Record<string, unknown>;
      const customer = customers.get(embeddedCustomer.customer_id);
      for (const field of ['first_name', 'last_name', 'email', 'phone', 'is_loyalty_member', 'loyalty_card_number']) expect(embeddedCustomer[field]).toBe(customer?.[field]);
      expect(purchase.delivery_address).toEqual(customer?.delivery_address);

      const at = String(purchase.purchase_datetime);
      expect(at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+03:00$/);
      const instant = Date.parse(at);
      expect(instant).toBeLessThanOrEqual(NOW);
      expect(instant).toBeGreaterThan(NOW - 91 * 86_400_000);
      const weekday = new Date(`${at.slice(0, 10)}T12:00:00Z`).getUTCDay();
      const { open, close } = openingHoursOn(weekday);
      const hour = Number(at.slice(11, 13)) + Number(at.slice(14, 16)) / 60;
      expect(hour).toBeGreaterThanOrEqual(open);
      expect(hour).toBeLessThan(close);
    }
    for (const customer of byEntity.customers) {
      expect(customer.phone).toMatch(/^\+79\d{9}$/);
      expect(customer.email).toBe(String(customer.email).trim().toLowerCase());
      expect(Date.parse(String(customer.birth_date))).toBeLessThan(NOW - 18 * 365 * 86_400_000);
    }
  });

  for (const [profile, defects] of Object.entries(DIRTY_PROFILES).filter(([name]) => name !== 'none')) {
    it(`dirty profile "${profile}": the manifest counts and the defect list name exactly the defects in the output`, () => {
      const { manifest, byEntity, defects: listed } = generateAll(options({ defects, counts: { stores: 45, products: 20, customers: 45, purchases: 3000 } }));
      for (const entity of ENTITIES) {
        expect(manifest.documents[entity]).toBe(byEntity[entity].length);
        const detected = detectDefects(entity, byEntity[entity], NOW);
        for (const kind of DEFECT_KINDS) {
          expect(detected[kind] ?? [], `${profile} ${entity} ${kind}`).toEqual(sourceIdsOf(listed, kind, entity));
          expect(manifest.defects[kind]?.[entity]?.count ?? 0).toBe(detected[kind]?.length ?? 0);
        }
      }
      const injected = DEFECT_KINDS.filter((kind) => Object.values(manifest.defects[kind] ?? {}).some((record) => record.count > 0));
      expect(injected.sort()).toEqual(Object.keys(defects.rates).sort());
    });
  }

  it('writes the defect list beside the manifest, which keeps only counts', async () => {
    const generation = options({ defects: DIRTY_PROFILES.heavy ?? { rates: {}, maxCopies: 1 }, counts: { stores: 45, products: 20, customers: 45, purchases: 2000 } });
    const { defects: expected } = generateAll(generation);
    for (const [name, sink] of [['files-list', filesSink], ['ndjson-list', ndjsonSink]] as const) {
      const dir = join(temp.path, name);
      await runGeneration(generation, sink(dir));
      const written = readFileSync(join(dir, DEFECTS_FILE), 'utf8').split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as DefectEntry);
      expect(written.length).toBeGreaterThan(100);
      expect(written).toEqual(expected);
      const manifest = JSON.parse(readFileSync(join(dir, MANIFEST_FILE), 'utf8')) as Manifest;
      for (const [kind, byEntity] of Object.entries(manifest.defects)) {
        for (const [entity, record] of Object.entries(byEntity)) {
          expect(record).toEqual({ count: sourceIdsOf(written, kind, entity as Entity).length });
        }
      }
    }
  }, 60_000);

  it('--days 1 before the stores open: purchases from the day before, none after now (once it never ended)', () => {
    const early = Date.parse('2026-11-26T02:00:00Z');
    const opensAt = openingHoursOn(new Date(early).getUTCDay()).open;
    expect(new Date(early + 3 * 3_600_000).getUTCHours()).toBeLessThan(opensAt);
    const { byEntity } = generateAll(options({ now: early, days: 1, counts: { stores: 3, products: 3, customers: 3, purchases: 50 } }));
    for (const purchase of byEntity.purchases) {
      const at = Date.parse(purchase.purchase_datetime as string);
      expect(at).toBeLessThanOrEqual(early);
      expect(at).toBeGreaterThan(early - 2 * 86_400_000);
    }
  });

  it('the duplicates profile makes duplicates more than half of the purchases', () => {
    const { manifest } = generateAll(options({ defects: DIRTY_PROFILES.duplicates ?? { rates: {}, maxCopies: 1 } }));
    const duplicates = (manifest.defects.exact_duplicate?.purchases?.count ?? 0) + (manifest.defects.key_duplicate?.purchases?.count ?? 0);
    expect(duplicates / manifest.documents.purchases).toBeGreaterThan(0.5);
  });

  it('rejects impossible rates with a clear message', () => {
    expect(() => generateAll(options({ defects: { rates: { missing_key: 0.7, messy_text: 0.6 }, maxCopies: 1 } }))).toThrow('defect rates for stores add up to 1.300');
    expect(() => generateAll(options({ counts: { stores: 0, products: 1, customers: 0, purchases: 1 } }))).toThrow('purchases need at least one store');
  });
});
