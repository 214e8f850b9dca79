import type { Entity } from '../entities/entities.js';
import type { PiiKind } from './normalize.js';

export interface PiiField {
  /** A dotted path into the document. */
  readonly path: string;
  readonly kind: PiiKind;
}

/**
 * Every field that holds personal data, per entity: the one place that says what leaves the
 * producer protected. A new PII field is added here, and nowhere else.
 */
export const PII_POLICY: Readonly<Record<Entity, readonly PiiField[]>> = {
  stores: [
    { path: 'manager.email', kind: 'email' },
    { path: 'manager.phone', kind: 'phone' },
  ],
  products: [],
  customers: [
    { path: 'email', kind: 'email' },
    { path: 'phone', kind: 'phone' },
  ],
  purchases: [
    { path: 'customer.email', kind: 'email' },
    { path: 'customer.phone', kind: 'phone' },
  ],
};

/**
 * Identifiers (dotted paths, `*` for an array position) that are shaped like phone numbers but name no person (a barcode, a company's
 * tax number, a loyalty card number: a pseudonymous card id, which RAW types as text, not a contact): the producer's scan for personal data outside the policy leaves them alone.
 */
export const NOT_PII: Readonly<Record<Entity, readonly string[]>> = {
  stores: [],
  products: ['barcode', 'manufacturer.inn'],
  customers: ['loyalty_card_number'],
  purchases: ['items.*.barcode', 'items.*.manufacturer.inn', 'customer.loyalty_card_number'],
};
