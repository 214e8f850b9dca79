import type { Document, Entity } from '../entities/entities.js';
import { blindIndex, decrypt, encrypt, isToken, PiiDecryptionError, type PiiContext } from './cipher.js';
import { looksLikePii } from './detect.js';
import type { PiiKeyring } from './keys.js';
import { mask, normalize, type PiiKind } from './normalize.js';
import { NOT_PII, PII_POLICY } from './policy.js';

/** What a PII field holds once protected; the plaintext is only in `ciphertext`. */
export interface ProtectedValue {
  readonly ciphertext: string;
  /** See blindIndex: HMAC of `<kind>:<normalised value>`; count and join on it without the plaintext. */
  readonly blind_index: string;
  readonly masked: string;
  /** False when the value could not be normalised (not a phone, not an email). */
  readonly valid: boolean;
}

export function protectValue(kind: PiiKind, raw: string, keyring: PiiKeyring, context: PiiContext): ProtectedValue {
  const normalized = normalize(kind, raw);
  return {
    ciphertext: encrypt(kind, normalized.value, keyring, context),
    blind_index: blindIndex(kind, normalized.value, keyring),
    masked: mask(kind, normalized),
    valid: normalized.valid,
  };
}

function isProtected(value: unknown): value is ProtectedValue {
  return typeof value === 'object' && value !== null && isToken((value as Record<string, unknown>).ciphertext) && 'blind_index' in value;
}

/**
 * An entity's rules as a tree of path segments, built once: walking a document descends it
 * key by key, so no value's path is ever matched as text. `*` (in NOT_PII) stands for an
 * array position, or an object key of digits, as a dotted path would spell one.
 */
interface RuleNode {
  /** The policy field this path is, if it is one. */
  kind?: PiiKind;
  /** A path the scan for lookalikes leaves alone, with all below it. */
  exempt: boolean;
  readonly children: Map<string, RuleNode>;
  anyPosition?: RuleNode;
}

const ruleNode = (): RuleNode => ({ exempt: false, children: new Map() });
const isPosition = (segment: string) => /^\d+$/.test(segment);

function ruleTree(entity: Entity): RuleNode {
  const root = ruleNode();
  const at = (path: string) => {
    let node = root;
    for (const segment of path.split('.')) {
      if (segment === '*') node = node.anyPosition ??= ruleNode();
      else {
        const child = node.children.get(segment) ?? ruleNode();
        node.children.set(segment, child);
        node = child;
      }
    }
    return node;
  };
  for (const { path, kind } of PII_POLICY[entity]) at(path).kind = kind;
  for (const path of NOT_PII[entity]) at(path).exempt = true;
  // One way down per segment: a position beside * would need both branches followed.
  const check = (node: RuleNode) => {
    if (node.anyPosition !== undefined && [...node.children.keys()].some(isPosition)) throw new Error(`the PII rules of ${entity} name an array position beside *`);
    for (const child of [...node.children.values(), ...(node.anyPosition ? [node.anyPosition] : [])]) check(child);
  };
  check(root);
  return root;
}
const RULES: Readonly<Record<Entity, RuleNode>> = { stores: ruleTree('stores'), products: ruleTree('products'), customers: ruleTree('customers'), purchases: ruleTree('purchases') };

/** The rules below `node` for an object key; undefined once no rule lies below. */
function belowKey(node: RuleNode | undefined, key: string): RuleNode | undefined {
  if (node === undefined) return undefined;
  return node.children.get(key) ?? (node.anyPosition !== undefined && isPosition(key) ? node.anyPosition : undefined);
}

/** The rules below `node` for an array position. */
const belowPosition = (node: RuleNode | undefined, position: string): RuleNode | undefined => node === undefined ? undefined : (node.children.get(position) ?? node.anyPosition);

interface Walk {
  readonly entity: Entity;
  readonly sourceId: string;
  readonly keyring: PiiKeyring;
}

/** Only plain objects and arrays are walked into; a Date or another BSON value is not text anyone typed and leaves as it is. */
const isPlainObject = (value: object) => {
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
};

/** Sets a field of a copy; defined, not assigned, so that a field named __proto__ stays a field instead of setting the copy's prototype. */
function defineField(copy: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(copy, key, { value, enumerable: true, writable: true, configurable: true });
  else copy[key] = value;
}

/**
 * `value` with its policy fields and every lookalike below it protected. `path` is
 * the dotted path a protected value is bound to (array positions as numbers); `rules` is the
 * rule tree's node for it, if any rule lies there or below.
 */
function protectedCopy(value: unknown, path: string, rules: RuleNode | undefined, walk: Walk): unknown {
  const kind = rules?.kind;
  if (kind !== undefined) {
    if (value === undefined || value === null || value === '') return value;
    return protectValue(kind, typeof value === 'string' ? value : JSON.stringify(value), walk.keyring, { entity: walk.entity, sourceId: walk.sourceId, path });
  }
  if (rules?.exempt === true) return value;
  if (typeof value === 'object' && value !== null) {
    const prefix = path === '' ? '' : `${path}.`;
    // Copied only where something below was protected: most of a document is left as it is, and not allocated again.
    if (Array.isArray(value)) {
      let copy: unknown[] | undefined;
      for (let index = 0; index < value.length; index++) {
        const segment = String(index);
        const inner: unknown = value[index];
        const protectedInner = protectedCopy(inner, prefix + segment, belowPosition(rules, segment), walk);
        if (protectedInner !== inner) {
          copy ??= value.slice();
          copy[index] = protectedInner;
        }
      }
      return copy ?? value;
    }
    if (!isPlainObject(value)) return value;
    let copy: Record<string, unknown> | undefined;
    const entries = Object.entries(value);
    for (let at = 0; at < entries.length; at++) {
      const [key, inner] = entries[at] as [string, unknown];
      const protectedInner = protectedCopy(inner, prefix + key, belowKey(rules, key), walk);
      if (copy === undefined) {
        if (protectedInner === inner) continue;
        copy = {};
        for (const [earlierKey, earlier] of entries.slice(0, at)) defineField(copy, earlierKey, earlier);
      }
      defineField(copy, key, protectedInner);
    }
    return copy ?? value;
  }
  const lookalike = looksLikePii(value);
  return lookalike === undefined ? value : protectValue(lookalike, String(value), walk.keyring, { entity: walk.entity, sourceId: walk.sourceId, path });
}

/**
 * A copy of the document with every policy field protected, and every other value that looks
 * like an email or a phone, wherever it is (a `customer` sent as a string or an array, a phone
 * typed into a comment). Absent, null and empty policy values stay as they are; any other value
 * in a policy field (a number typed into a phone field, say) is protected as its text, so
 * nothing personal passes through unprotected. One walk: the document is never copied twice.
 */
export function protectDocument(entity: Entity, sourceId: string, document: Document, keyring: PiiKeyring): Document {
  return protectedCopy(document, '', RULES[entity], { entity, sourceId, keyring }) as Document;
}

/** The document with every protected value replaced by its plaintext, for an operator holding the keys. */
export function revealDocument(entity: string, sourceId: string, document: unknown, keyring: PiiKeyring, path = ''): unknown {
  const context = { entity, sourceId, path };
  if (isToken(document)) return decrypt(document, keyring, context).plaintext;
  if (isProtected(document)) return decrypt(document.ciphertext, keyring, context).plaintext;
  if (Array.isArray(document)) return document.map((item, index) => revealDocument(entity, sourceId, item, keyring, path === '' ? String(index) : `${path}.${index}`));
  if (typeof document !== 'object' || document === null) return document;
  return Object.fromEntries(Object.entries(document).map(([key, inner]) => [key, revealDocument(entity, sourceId, inner, keyring, path === '' ? key : `${path}.${key}`)]));
}

/** A message (an envelope or a dead letter) with its document revealed. */
export function revealMessage(message: unknown, keyring: PiiKeyring): unknown {
  const record = message as Record<string, unknown> | null;
  if (typeof record?.entity !== 'string' || typeof record.source_id !== 'string' || !('document' in record)) {
    throw new PiiDecryptionError('expected a message with entity, source_id and document (an envelope or a dead letter)');
  }
  return { ...record, document: revealDocument(record.entity, record.source_id, record.document, keyring) };
}
