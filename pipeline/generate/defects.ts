import { BUSINESS_KEYS, businessKeyOf, type Document, type Entity } from '../entities/entities.js';
import { containerOf, getPath } from '../entities/paths.js';
import type { Random } from './random.js';

/**
 * The defects `generate --dirty` injects. A document gets at most one, so that every defect
 * can be recognised in the output on its own and the manifest's counts stay exact. The two
 * duplicate kinds add documents after the original; the others change the document itself.
 */
export const DEFECT_KINDS = [
  'exact_duplicate',
  'key_duplicate',
  'missing_key',
  'missing_field',
  'empty_field',
  'future_date',
  'nonpositive_total',
  'messy_text',
  'phone_format',
  'invalid_contact',
] as const;
export type DefectKind = (typeof DEFECT_KINDS)[number];

export const DEFECT_DESCRIPTIONS: Readonly<Record<DefectKind, string>> = {
  exact_duplicate: 'the same document sent again (new source id, identical content)',
  key_duplicate: 'the same business key sent again with changed fields',
  missing_key: 'the business key is absent',
  missing_field: 'a required field is absent',
  empty_field: 'a required field is an empty string or null',
  future_date: 'a purchase, registration or birth date after the reference time',
  nonpositive_total: 'a purchase total of zero or less',
  messy_text: 'mixed case and stray spaces in names, cities and emails',
  phone_format: 'a phone typed the way Russian users type it: 8 (9xx) xxx-xx-xx, +7 9xx…, 9xx…',
  invalid_contact: 'a phone that is not a phone, or an email that is not an email',
};

export interface DefectRates {
  /** Share of each entity's generated documents that get the defect, 0 to 1. */
  readonly rates: Readonly<Partial<Record<DefectKind, number>>>;
  /** A duplicated document is sent again 1 to this many times. */
  readonly maxCopies: number;
}

export const DIRTY_PROFILES: Readonly<Record<string, DefectRates>> = {
  none: { rates: {}, maxCopies: 1 },
  light: {
    rates: { exact_duplicate: 0.02, key_duplicate: 0.01, missing_key: 0.005, missing_field: 0.01, empty_field: 0.01, future_date: 0.005, nonpositive_total: 0.005, messy_text: 0.05, phone_format: 0.1, invalid_contact: 0.01 },
    maxCopies: 1,
  },
  heavy: {
    rates: { exact_duplicate: 0.1, key_duplicate: 0.05, missing_key: 0.03, missing_field: 0.05, empty_field: 0.05, future_date: 0.03, nonpositive_total: 0.03, messy_text: 0.15, phone_format: 0.25, invalid_contact: 0.05 },
    maxCopies: 2,
  },
  /** More duplicates than originals: what the duplicates alert exists for. */
  duplicates: { rates: { exact_duplicate: 0.7, key_duplicate: 0.2 }, maxCopies: 3 },
};

/** Fields a document of each entity must have, besides its business key. */
export const REQUIRED_FIELDS: Readonly<Record<Entity, readonly string[]>> = {
  stores: ['store_name', 'store_network', 'location'],
  products: ['name', 'group', 'price'],
  customers: ['first_name', 'last_name', 'email', 'phone'],
  purchases: ['customer', 'store', 'items', 'total_amount', 'purchase_datetime'],
};

/** Where each entity keeps its contacts: [email path, phone path]. */
export const CONTACT_FIELDS: Readonly<Partial<Record<Entity, readonly [string, string]>>> = {
  stores: ['manager.email', 'manager.phone'],
  customers: ['email', 'phone'],
  purchases: ['customer.email', 'customer.phone'],
};

/** Date fields that a `future_date` defect may move past the reference time. */
export const DATE_FIELDS: Readonly<Partial<Record<Entity, readonly string[]>>> = {
  customers: ['registration_date', 'birth_date'],
  purchases: ['purchase_datetime'],
};

const APPLIES: Readonly<Record<DefectKind, (entity: Entity) => boolean>> = {
  exact_duplicate: () => true,
  key_duplicate: () => true,
  missing_key: () => true,
  missing_field: () => true,
  empty_field: () => true,
  future_date: (entity) => DATE_FIELDS[entity] !== undefined,
  nonpositive_total: (entity) => entity === 'purchases',
  messy_text: () => true,
  phone_format: (entity) => CONTACT_FIELDS[entity] !== undefined,
  invalid_contact: (entity) => CONTACT_FIELDS[entity] !== undefined,
};

export function defectApplies(kind: DefectKind, entity: Entity): boolean {
  return APPLIES[kind](entity);
}

/** Rejects rates outside 0..1, and rates that, for one entity, add up to more than 1. */
export function validateRates(rates: DefectRates['rates'], entities: readonly Entity[]): void {
  for (const [kind, rate] of Object.entries(rates)) {
    if (!(rate >= 0 && rate <= 1)) throw new Error(`defect rate ${kind}=${rate} must be between 0 and 1`);
  }
  for (const entity of entities) {
    const total = DEFECT_KINDS.filter((kind) => defectApplies(kind, entity)).reduce((sum, kind) => sum + (rates[kind] ?? 0), 0);
    if (total > 1 + 1e-9) throw new Error(`defect rates for ${entity} add up to ${total.toFixed(3)}; a document gets at most one defect, so they must add up to 1 or less`);
  }
}

/** Draws at most one defect for a document of `entity`. */
export function drawDefect(random: Random, entity: Entity, rates: DefectRates['rates']): DefectKind | undefined {
  const roll = random.next();
  let cumulative = 0;
  for (const kind of DEFECT_KINDS) {
    if (!defectApplies(kind, entity)) continue;
    cumulative += rates[kind] ?? 0;
    if (roll < cumulative) return kind;
  }
  return undefined;
}

function setPath(document: Document, path: string, value: unknown): void {
  const { parent, field } = containerOf(document, path);
  if (parent === undefined) throw new Error(`no object holds ${path}`);
  parent[field] = value;
}

/** A canonical +7XXXXXXXXXX phone retyped in one of the forms people use. */
export function retypePhone(random: Random, canonical: string): string {
  const d = canonical.slice(2);
  const [a, b, c, e] = [d.slice(0, 3), d.slice(3, 6), d.slice(6, 8), d.slice(8, 10)];
  return random.pick([`8 (${a}) ${b}-${c}-${e}`, `+7 ${a} ${b}-${c}-${e}`, `${d}`, `8${d}`, `8-${a}-${b}-${c}-${e}`, `+7(${a})${b}-${c}-${e}`, `7 ${a} ${b} ${c} ${e}`]);
}

function mixCase(random: Random, text: string): string {
  let mixed = [...text].map((ch) => (random.chance(0.4) ? ch.toUpperCase() : ch)).join('');
  if (mixed === text) mixed = text.charAt(0).toUpperCase() + text.slice(1);
  if (mixed === text) mixed = text.toUpperCase();
  return mixed;
}

const MESSY_TEXT_FIELDS: Readonly<Record<Entity, readonly string[]>> = {
  stores: ['manager.name', 'location.city'],
  products: ['name'],
  customers: ['first_name', 'last_name'],
  purchases: ['customer.first_name', 'customer.last_name'],
};

/** Changes `document` in place to carry the defect. */
export function applyDefect(random: Random, kind: DefectKind, entity: Entity, document: Document, now: number): void {
  switch (kind) {
    case 'missing_key':
      delete document[BUSINESS_KEYS[entity]];
      return;
    case 'missing_field':
      delete document[random.pick(REQUIRED_FIELDS[entity])];
      return;
    case 'empty_field': {
      const field = random.pick(REQUIRED_FIELDS[entity]);
      document[field] = typeof document[field] === 'string' ? '' : null;
      return;
    }
    case 'future_date': {
      const field = random.pick(DATE_FIELDS[entity] ?? []);
      const future = new Date(now + random.int(1, 365) * 86_400_000);
      document[field] = String(document[field]).length === 10 ? future.toISOString().slice(0, 10) : `${future.toISOString().slice(0, 19)}+00:00`;
      return;
    }
    case 'nonpositive_total':
      document.total_amount = random.chance(0.5) ? 0 : -(document.total_amount as number);
      return;
    case 'messy_text': {
      const [emailPath] = CONTACT_FIELDS[entity] ?? [];
      if (emailPath !== undefined) setPath(document, emailPath, `  ${mixCase(random, String(getPath(document, emailPath)))} `);
      for (const path of MESSY_TEXT_FIELDS[entity]) setPath(document, path, ` ${mixCase(random, String(getPath(document, path)))}  `);
      return;
    }
    case 'phone_format': {
      const [, phonePath] = CONTACT_FIELDS[entity] ?? [];
      if (phonePath !== undefined) setPath(document, phonePath, retypePhone(random, String(getPath(document, phonePath))));
      return;
    }
    case 'invalid_contact': {
      const [emailPath, phonePath] = CONTACT_FIELDS[entity] ?? [];
      if (emailPath === undefined || phonePath === undefined) return;
      if (random.chance(0.5)) setPath(document, emailPath, random.pick(['нет почты', 'ivan.petrov', 'ivan@', '@mail.ru', 'ivan@@mail.ru']));
      else setPath(document, phonePath, random.pick(['12345', 'не указан', '+7 (999) 12', '0', 'позвонить менеджеру']));
      return;
    }
    case 'exact_duplicate':
    case 'key_duplicate':
      throw new Error(`${kind} adds documents; it does not change one`);
  }
}

/**
 * Copy number `copy` (1, 2, 3…) of `document`: the same business key, fields changed so that
 * every copy differs from the original and from the other copies, as resends after an edit do.
 */
export function changedCopy(entity: Entity, document: Document, copy: number): Document {
  const changed = structuredClone(document);
  switch (entity) {
    case 'stores': {
      const date = new Date(`${String(changed.last_inventory_date)}T00:00:00Z`).getTime() - copy * 86_400_000;
      changed.last_inventory_date = new Date(date).toISOString().slice(0, 10);
      break;
    }
    case 'products':
      changed.price = (Math.round((changed.price as number) * 100) + copy) / 100;
      break;
    case 'customers': {
      const address = changed.delivery_address as Record<string, unknown>;
      address.apartment = String(Number(address.apartment) + copy);
      break;
    }
    case 'purchases':
      // Three distinct edits: the payment method, the delivery flag, or both.
      if (copy % 3 !== 2) changed.payment_method = changed.payment_method === 'card' ? 'cash' : 'card';
      if (copy % 3 !== 1) changed.is_delivery = !(changed.is_delivery as boolean);
      break;
  }
  if (businessKeyOf(entity, changed) === undefined) throw new Error('a key duplicate needs a business key');
  return changed;
}
