/** The chain's four document collections, in the order they are generated, loaded and produced. */
export const ENTITIES = ['stores', 'products', 'customers', 'purchases'] as const;
export type Entity = (typeof ENTITIES)[number];

/** Each entity's business key: what a till, a catalogue or a loyalty system calls the thing. */
export const BUSINESS_KEYS: Readonly<Record<Entity, string>> = {
  stores: 'store_id',
  products: 'id',
  customers: 'customer_id',
  purchases: 'purchase_id',
};

/**
 * Every generated document carries a stable source id: the same document generated again
 * (same seed, same position) has the same one. Loading uses it as MongoDB's _id, so a reload
 * changes nothing, while a resent copy (a new source id, the same business key) is kept.
 */
export const SOURCE_ID = 'source_id';

export type Document = Record<string, unknown>;

export function isEntity(value: string): value is Entity {
  return (ENTITIES as readonly string[]).includes(value);
}

/** The business key's value, or undefined when it is absent, empty or not a string. */
export function businessKeyOf(entity: Entity, document: Document): string | undefined {
  const value = document[BUSINESS_KEYS[entity]];
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}
