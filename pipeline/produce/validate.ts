import { BUSINESS_KEYS, businessKeyOf, type Document, type Entity } from '../entities/entities.js';
import { inexactNumber } from '../entities/exact-numbers.js';

type Check = readonly [path: string, type: 'string' | 'number' | 'array' | 'object' | 'boolean'];

/** Field types a consumer relies on, checked when the field is present (absence is a data-quality matter, not a refusal). */
const TYPES: Readonly<Record<Entity, readonly Check[]>> = {
  stores: [['store_name', 'string'], ['store_network', 'string'], ['manager', 'object'], ['location', 'object']],
  products: [['name', 'string'], ['price', 'number'], ['kbju', 'object']],
  customers: [['first_name', 'string'], ['last_name', 'string'], ['is_loyalty_member', 'boolean']],
  purchases: [['customer', 'object'], ['store', 'object'], ['items', 'array'], ['total_amount', 'number'], ['purchase_datetime', 'string']],
};

function typeOf(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  return value === null ? 'null' : typeof value;
}

/** Why the document cannot be produced, or undefined when it can. */
export function rejectionReason(entity: Entity, document: Document): string | undefined {
  if (businessKeyOf(entity, document) === undefined) return `missing business key ${BUSINESS_KEYS[entity]}`;
  for (const [field, type] of TYPES[entity]) {
    const value = document[field];
    if (value === undefined || value === null) continue;
    if (typeOf(value) !== type) return `${field} should be ${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}, got ${typeOf(value)}`;
  }
  // Written into MongoDB by something other than `load`, which refuses it.
  return inexactNumber(document);
}
