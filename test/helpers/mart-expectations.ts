import type { Document, Entity } from '../../pipeline/entities/entities.js';
import type { DefectKind } from '../../pipeline/generate/defects.js';
import type { DefectEntry } from '../../pipeline/generate/manifest.js';
import type { DocumentSink } from '../../pipeline/generate/sinks.js';

/**
 * What the MART should hold, computed in the test from the generator's own documents and
 * manifest, independently of the SQL under test.
 */

export type Generated = Record<Entity, Document[]>;

export const kopecks = (roubles: unknown): number => Math.round(Number(roubles) * 100);
/** The store's local day: purchase times are written with the store's +03:00 offset. */
export const localDay = (purchase: Document): string => String(purchase.purchase_datetime).slice(0, 10);
const normalizedText = (value: unknown): string => String(value).trim().toLowerCase();

interface Item {
  product_id: string;
  name: string;
  category: string;
  quantity: number;
  total_price: number;
}
const itemsOf = (purchase: Document): Item[] => purchase.items as Item[];
const store = (purchase: Document) => purchase.store as { store_id: string; store_name: string; store_network: string; location: { city: string } };
const customer = (purchase: Document) => purchase.customer as { email: string; is_loyalty_member: boolean };

function groupBy<T>(rows: readonly T[], key: (row: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const k = key(row);
    const group = groups.get(k);
    if (group) group.push(row);
    else groups.set(k, [row]);
  }
  return groups;
}

const sortRows = <T extends Record<string, unknown>>(rows: T[]): T[] => rows.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

/** sales_daily_store: day × store → purchases, revenue (kopecks), item lines, units. */
export function salesDailyStore(purchases: readonly Document[]) {
  return sortRows(
    [...groupBy(purchases, (p) => `${localDay(p)}|${store(p).store_id}`).values()].map((group) => {
      const first = group[0] as Document;
      const items = group.flatMap(itemsOf);
      return {
        purchase_date: localDay(first),
        store_id: store(first).store_id,
        store_network: store(first).store_network,
        store_city: normalizedText(store(first).location.city),
        purchases: group.length,
        revenue: group.reduce((sum, p) => sum + kopecks(p.total_amount), 0),
        items: items.length,
        units: items.reduce((sum, item) => sum + item.quantity, 0),
      };
    }),
  );
}

/** product_sales_daily: day × product × network → purchases, units, revenue (kopecks). */
export function productSalesDaily(purchases: readonly Document[]) {
  const lines = purchases.flatMap((p) => itemsOf(p).map((item) => ({ p, item })));
  return sortRows(
    [...groupBy(lines, ({ p, item }) => `${localDay(p)}|${item.product_id}|${store(p).store_network}`).values()].map((group) => {
      const { p, item } = group[0] as (typeof lines)[number];
      return {
        purchase_date: localDay(p),
        product_id: item.product_id,
        category: item.category,
        store_network: store(p).store_network,
        purchases: new Set(group.map((line) => line.p.purchase_id)).size,
        units: group.reduce((sum, line) => sum + line.item.quantity, 0),
        revenue: group.reduce((sum, line) => sum + kopecks(line.item.total_price), 0),
      };
    }),
  );
}

/** purchase_mix_daily: day × network × city × payment × delivery × loyalty → purchases, revenue. */
export function purchaseMixDaily(purchases: readonly Document[]) {
  const key = (p: Document) => [localDay(p), store(p).store_network, normalizedText(store(p).location.city), p.payment_method, p.is_delivery, customer(p).is_loyalty_member].join('|');
  return sortRows(
    [...groupBy(purchases, key).values()].map((group) => {
      const p = group[0] as Document;
      return {
        purchase_date: localDay(p),
        store_network: store(p).store_network,
        store_city: normalizedText(store(p).location.city),
        payment_method: String(p.payment_method),
        is_delivery: Boolean(p.is_delivery),
        is_loyalty_member: customer(p).is_loyalty_member,
        purchases: group.length,
        revenue: group.reduce((sum, x) => sum + kopecks(x.total_amount), 0),
      };
    }),
  );
}

/** Distinct customers (a normalised email is one person, as its blind index is) per day × network × city, and overall. */
export function distinctCustomers(purchases: readonly Document[]) {
  const person = (p: Document) => normalizedText(customer(p).email);
  const daily = sortRows(
    [...groupBy(purchases, (p) => `${localDay(p)}|${store(p).store_network}|${normalizedText(store(p).location.city)}`).values()].map((group) => {
      const p = group[0] as Document;
      return { purchase_date: localDay(p), store_network: store(p).store_network, store_city: normalizedText(store(p).location.city), customers: new Set(group.map(person)).size, purchases: group.length };
    }),
  );
  return { daily, overall: new Set(purchases.map(person)).size };
}

/** category_nutrition: products and average КБЖУ per category of the catalogue, units sold. */
export function categoryNutrition(products: readonly Document[], purchases: readonly Document[]) {
  const sold = groupBy(purchases.flatMap(itemsOf), (item) => item.category);
  return sortRows(
    [...groupBy(products, (p) => String(p.group)).entries()].map(([category, group]) => {
      const average = (field: string) => group.reduce((sum, p) => sum + Number((p.kbju as Record<string, number>)[field]), 0) / group.length;
      return {
        category,
        products: group.length,
        avg_calories: average('calories'),
        avg_protein: average('protein'),
        avg_fat: average('fat'),
        avg_carbohydrates: average('carbohydrates'),
        units_sold: (sold.get(category) ?? []).reduce((sum, item) => sum + item.quantity, 0),
      };
    }),
  );
}

/**
 * The cleaning rule each rejecting defect of the generator must trip, and the extra rules it
 * trips by its nature: a total of zero or less no longer equals the sum of the items.
 */
export const RULES_OF_DEFECT: Readonly<Partial<Record<DefectKind, readonly string[]>>> = {
  missing_key: ['missing_key'],
  missing_field: ['missing_required'],
  empty_field: ['missing_required'],
  future_date: ['future_date'],
  nonpositive_total: ['nonpositive_total', 'purchase_total_mismatch'],
};

const sourceIdsOf = (defects: readonly DefectEntry[], kind: DefectKind, entity: Entity) => defects.filter((defect) => defect.kind === kind && defect.entity === entity).map((defect) => defect.source_id);

/** Per entity and rule: the source ids the generator's defect list says must be rejected under that rule. */
export function expectedRejections(defects: readonly DefectEntry[], entity: Entity): Map<string, string[]> {
  const byRule = new Map<string, string[]>();
  for (const [kind, rules] of Object.entries(RULES_OF_DEFECT) as [DefectKind, string[]][]) {
    const ids = sourceIdsOf(defects, kind, entity);
    if (ids.length === 0) continue;
    for (const rule of rules) byRule.set(rule, [...(byRule.get(rule) ?? []), ...ids].sort());
  }
  return byRule;
}

/** Source ids of the copies the generator sent for an already-sent business key. */
export function expectedDuplicates(defects: readonly DefectEntry[], entity: Entity): string[] {
  return [...sourceIdsOf(defects, 'exact_duplicate', entity), ...sourceIdsOf(defects, 'key_duplicate', entity)].sort();
}

/** Where each entity keeps its contacts, as the seed's documents do (products have none). */
const CONTACTS: Readonly<Partial<Record<Entity, { email: (d: Document) => unknown; phone: (d: Document) => unknown }>>> = {
  stores: { email: (d) => (d.manager as Document | undefined)?.email, phone: (d) => (d.manager as Document | undefined)?.phone },
  customers: { email: (d) => d.email, phone: (d) => d.phone },
  purchases: { email: (d) => (d.customer as Document | undefined)?.email, phone: (d) => (d.customer as Document | undefined)?.phone },
};

/** An email as a person would judge it: one @, something before it, a dotted domain after it, no spaces. */
const looksLikeEmail = (value: string) => /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value.trim());
/** A Russian phone in any of the ways people type it: phone punctuation only, and 10 digits (or 11 after 7/8). */
const looksLikePhone = (value: string) => {
  const digits = value.replace(/\D/g, '');
  return /^[\d\s()+-]+$/.test(value.trim()) && (digits.length === 10 || (digits.length === 11 && /^[78]/.test(digits)));
};
const present = (value: unknown): value is string => typeof value === 'string' && value.trim() !== '';

/**
 * Per entity, the documents whose email / phone is present but is not one, judged by the test
 * itself over every generated document; the generator's `invalid_contact` defects must be
 * exactly these, each spoiling one of the two.
 */
export function expectedInvalidContacts(generated: Generated, entity: Entity): { email: string[]; phone: string[] } {
  const contacts = CONTACTS[entity];
  if (contacts === undefined) return { email: [], phone: [] };
  const ids = (bad: (document: Document) => boolean) => generated[entity].filter(bad).map((document) => String(document.source_id)).sort();
  return {
    email: ids((document) => present(contacts.email(document)) && !looksLikeEmail(contacts.email(document) as string)),
    phone: ids((document) => present(contacts.phone(document)) && !looksLikePhone(contacts.phone(document) as string)),
  };
}

/** The documents the MART must keep: neither rejected by a rule nor a copy of a key already sent. */
export function expectedKept(defects: readonly DefectEntry[], generated: Generated, entity: Entity): Document[] {
  const out = new Set([...[...expectedRejections(defects, entity).values()].flat(), ...expectedDuplicates(defects, entity)]);
  return generated[entity].filter((document) => !out.has(String(document.source_id)));
}

/**
 * A sink that writes through `stored` and keeps, for the test, a copy of every generated
 * document and the generator's defect list: the ground truth to compare the MART with.
 */
export function capturingSink(stored: DocumentSink): { sink: DocumentSink; generated: Generated; defects: DefectEntry[] } {
  const generated: Generated = { stores: [], products: [], customers: [], purchases: [] };
  const defects: DefectEntry[] = [];
  const sink: DocumentSink = {
    begin: (manifest) => stored.begin(manifest),
    async write(entity, document) {
      generated[entity].push(structuredClone(document));
      await stored.write(entity, document);
    },
    async writeDefect(entry) {
      defects.push(entry);
      await stored.writeDefect(entry);
    },
    finish: (manifest) => stored.finish(manifest),
  };
  return { sink, generated, defects };
}
