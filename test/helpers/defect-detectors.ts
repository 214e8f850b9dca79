import { businessKeyOf, type Document, type Entity } from '../../pipeline/entities/entities.js';
import { getPath } from '../../pipeline/entities/paths.js';
import { CONTACT_FIELDS, DATE_FIELDS, REQUIRED_FIELDS, type DefectKind } from '../../pipeline/generate/defects.js';

/**
 * Recognises each defect from the data alone, without the manifest, so that tests can check
 * the manifest against what was really written.
 */
export type Detected = Partial<Record<DefectKind, string[]>>;

const CANONICAL_PHONE = /^\+7\d{10}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function contentOf(document: Document): string {
  return JSON.stringify({ ...document, source_id: undefined });
}

function normalisablePhone(value: string): boolean {
  const digits = value.replace(/\D/g, '');
  return (digits.length === 11 && /^[78]9/.test(digits)) || (digits.length === 10 && digits.startsWith('9'));
}

const MESSY_FIELDS: Readonly<Record<Entity, readonly string[]>> = {
  stores: ['manager.name', 'location.city'],
  products: ['name'],
  customers: ['first_name', 'last_name'],
  purchases: ['customer.first_name', 'customer.last_name'],
};

/** Source ids of the documents showing each defect, in output order. */
export function detectDefects(entity: Entity, documents: readonly Document[], now: number): Detected {
  const detected: Detected = {};
  const add = (kind: DefectKind, document: Document) => (detected[kind] ??= []).push(String(document.source_id));
  const contents = new Set<string>();
  const keys = new Set<string>();
  for (const document of documents) {
    const content = contentOf(document);
    const key = businessKeyOf(entity, document);
    if (contents.has(content)) add('exact_duplicate', document);
    else if (key !== undefined && keys.has(key)) add('key_duplicate', document);
    contents.add(content);
    if (key !== undefined) keys.add(key);

    if (key === undefined) add('missing_key', document);
    if (REQUIRED_FIELDS[entity].some((field) => !(field in document))) add('missing_field', document);
    if (REQUIRED_FIELDS[entity].some((field) => document[field] === '' || document[field] === null)) add('empty_field', document);
    if ((DATE_FIELDS[entity] ?? []).some((field) => typeof document[field] === 'string' && Date.parse(document[field]) > now)) add('future_date', document);
    if (entity === 'purchases' && typeof document.total_amount === 'number' && document.total_amount <= 0) add('nonpositive_total', document);

    const [emailPath, phonePath] = CONTACT_FIELDS[entity] ?? [];
    const email = emailPath === undefined ? undefined : getPath(document, emailPath);
    const phone = phonePath === undefined ? undefined : getPath(document, phonePath);
    const messyEmail = typeof email === 'string' && email !== email.trim().toLowerCase();
    const messyText = MESSY_FIELDS[entity].some((path) => {
      const value = getPath(document, path);
      return typeof value === 'string' && value !== value.trim();
    });
    if (messyEmail || messyText) add('messy_text', document);
    if (typeof phone === 'string' && !CANONICAL_PHONE.test(phone) && normalisablePhone(phone)) add('phone_format', document);
    const badEmail = typeof email === 'string' && email !== '' && !EMAIL.test(email.trim().toLowerCase());
    const badPhone = typeof phone === 'string' && phone !== '' && !normalisablePhone(phone);
    if (badEmail || badPhone) add('invalid_contact', document);
  }
  return detected;
}
