import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BUSINESS_KEYS, ENTITIES, type Entity } from '../entities/entities.js';
import { PII_POLICY } from '../pii/policy.js';
import { SCHEMA_VERSION } from '../produce/envelope.js';
import { defaultMigrationsDir } from '../clickhouse/migrations.js';
import { DEAD_LETTER_ROLE, LANDING_ROLES, landingTable } from './landing.js';
import { ENTITY_TABLES, PLAINTEXT_REMOVED, PURCHASE_ITEMS, RAW_DATABASE, PII_PARTS, type TableSpec, type ValueType } from './raw-tables.js';

/**
 * Renders the migrations with which ClickHouse itself turns Kafka envelopes into RAW rows, the
 * port to SQL of the JavaScript decoder the ingest used before (test/helpers/ingest-reference/,
 * decode.ts and typing.ts, named below; it is the specification, and the parity test holds the
 * two together). The rendered files are committed in sql/ and applied like any migration;
 * `npm run sql:envelopes` writes them again after a change here, which then needs new numbers
 * once the old ones are applied anywhere.
 */

const DB = RAW_DATABASE;
/** Where a JSON array fills a named Tuple positionally, its first element lands here: an object never has this key. */
const PROBE = '_piccha_array_probe';
const NUMBERS = "('Int64', 'UInt64', 'Float64')";

const lit = (text: string): string => `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const ident = (name: string): string => `\`${name}\``;
const element = (expr: string, name: string): string => `tupleElement(${expr}, ${lit(name)})`;
/** A Dynamic leaf the JSON did not fill (absent or null); cheaper than comparing dynamicType's text. */
const isNone = (expr: string): string => `isNull(${expr})`;
/** A condition as a plain Bool column: one over dynamicType's LowCardinality text would be LowCardinality, which a table refuses. */
const asBool = (condition: string): string => `CAST(${condition}, 'Bool')`;

/** A path into the payload's JSON, as JSON* function arguments: literal keys, or an expression for an array position. */
type JsonPath = readonly string[];
const jsonArgs = (path: JsonPath): string => (path.length === 0 ? 'payload' : `payload, ${path.join(', ')}`);
const keys = (dotted: string): string[] => dotted.split('.').map(lit);

/** JSON.stringify of a value from its raw JSON text, cut to 60 characters as typing.ts's `shown` cuts it. */
function cut(raw: string): string {
  // JavaScript counts UTF-16 code units: a character beyond the Basic Multilingual Plane (an emoji) is two.
  const units = `arrayCumSum(arrayMap(c -> if(length(c) = 4, 2, 1), extractAll(r, '(?s).')))`;
  return `arrayMap(r -> if(lengthUTF8(r) + countMatches(r, '[\\x{10000}-\\x{10FFFF}]') > 60, concat(arrayStringConcat(arrayFilter((c, u) -> u <= 57, extractAll(r, '(?s).'), ${units})), '…'), r), [${raw}])[1]`;
}

/** The raw JSON text at a path; `undefined` where absent (as JSON.stringify shows nothing there). */
const rawAt = (path: JsonPath): string => (path.length === 0 ? 'JSONExtractRaw(payload)' : `if(JSONHas(${jsonArgs(path)}), JSONExtractRaw(${jsonArgs(path)}), 'undefined')`);

/**
 * A message as a tuple of SQL texts: what comes before the value shown, the value's raw JSON
 * ('' for none), and what comes after. Messages stay in this form until one is kept, so the
 * cutting of a shown value is written once per view, not once per message.
 */
const says = (before: string, raw = "''", after = "''"): string => `(${before}, ${raw}, ${after})`;
/** A message's text. */
const told = (message: string): string => `concat(tupleElement(${message}, 1), ${cut(`tupleElement(${message}, 2)`)}, tupleElement(${message}, 3))`;

/** JavaScript's String.prototype.trim: Unicode white space and line terminators. */
const jsTrim = (expr: string): string => `replaceRegexpAll(${expr}, '^[\\\\s\\\\x{0B}\\\\x{A0}\\\\x{FEFF}\\\\p{Zs}\\\\x{2028}\\\\x{2029}]+|[\\\\s\\\\x{0B}\\\\x{A0}\\\\x{FEFF}\\\\p{Zs}\\\\x{2028}\\\\x{2029}]+$', '')`;

/** Days since 1970-01-01 of a civil date (Howard Hinnant's days_from_civil); a day past the month's end runs on, as Date.parse lets it. */
function civilDays(year: string, month: string, day: string): string {
  const y = `(${year} - if(${month} <= 2, 1, 0))`;
  const era = `intDiv(${y}, 400)`;
  const yoe = `(${y} - ${era} * 400)`;
  const doy = `(intDiv(153 * ((${month} + 9) % 12) + 2, 5) + ${day} - 1)`;
  return `(${era} * 146097 + ${yoe} * 365 + intDiv(${yoe}, 4) - intDiv(${yoe}, 100) + ${doy} - 719468)`;
}

const ISO_DATETIME = '^(\\\\d{4})-(\\\\d{2})-(\\\\d{2})[T ](\\\\d{2}):(\\\\d{2})(?::(\\\\d{2})(?:\\\\.(\\\\d{1,9}))?)?(Z|([+-])(\\\\d{2}):?(\\\\d{2}))$';
/**
 * The instant of an ISO 8601 text with an offset, in milliseconds, as Date.parse reads it (a
 * day up to 31 runs into the next month, 24:00 is the next midnight, digits past the
 * millisecond are cut), or NULL where Date.parse finds none.
 */
function isoMillis(text: string): string {
  const n = (index: number) => `toInt64OrZero(g[${index}])`;
  const valid = `length(g) = 11 AND ${n(2)} BETWEEN 1 AND 12 AND ${n(3)} BETWEEN 1 AND 31 AND (${n(4)} <= 23 OR (${n(4)} = 24 AND ${n(5)} = 0 AND ${n(6)} = 0 AND toInt64OrZero(rightPad(g[7], 3, '0')) = 0)) AND ${n(5)} <= 59 AND ${n(6)} <= 59 AND (g[8] = 'Z' OR (${n(10)} <= 23 AND ${n(11)} <= 59))`;
  const ms = `${civilDays(n(1), n(2), n(3))} * 86400000 + ${n(4)} * 3600000 + ${n(5)} * 60000 + ${n(6)} * 1000 + toInt64OrZero(substring(rightPad(g[7], 3, '0'), 1, 3)) - if(g[9] = '-', -1, 1) * (${n(10)} * 60 + ${n(11)}) * 60000`;
  return `arrayMap(g -> if(${valid}, toNullable(${ms}), NULL), [extractGroups(${text}, '${ISO_DATETIME}')])[1]`;
}
const FIRST_INSTANT = Date.UTC(1900, 0, 1);
const PAST_LAST_INSTANT = Date.UTC(2300, 0, 1);
/** False for NULL (no instant) as for an instant outside 1900–2299. */
const inRange = (ms: string): string => `ifNull(${ms} >= ${FIRST_INSTANT} AND ${ms} < ${PAST_LAST_INSTANT}, false)`;
const instantText = (v: string): string => jsTrim(`toString(${v})`);
/** typing.ts's `instant`: the Dynamic value as DateTime64(3, 'UTC'), or NULL. */
const instant = (v: string): string =>
  `if(dynamicType(${v}) = 'String', arrayMap(ms -> if(${inRange('ms')}, fromUnixTimestamp64Milli(assumeNotNull(ms), 'UTC'), NULL), [${isoMillis(instantText(v))}])[1], NULL)`;

interface Typing {
  /** True where the (present) value types. */
  readonly ok: string;
  /** The typed value, read where ok. */
  readonly value: string;
  /** Why it did not type: the text that goes before the value as shown. */
  readonly reason: string;
  /** The column's value when absent or untypeable and not Nullable. */
  readonly fallback: string;
}

const DECIMAL_TEXT = '^-?\\\\d{1,10}(\\\\.\\\\d{1,2})?$';
const DATE_TEXT = '^(\\\\d{4})-(\\\\d{2})-(\\\\d{2})$';

function dateTyping(v: string, from: number, to: number, cast: string): Typing {
  const text = `toString(${v})`;
  const part = (index: number) => `toInt64OrZero(extractGroups(${text}, '${DATE_TEXT}')[${index}])`;
  const leap = `(${part(1)} % 4 = 0 AND (${part(1)} % 100 != 0 OR ${part(1)} % 400 = 0))`;
  const daysIn = `multiIf(${part(2)} = 2, if(${leap}, 29, 28), ${part(2)} IN (4, 6, 9, 11), 30, 31)`;
  const realDay = `(${part(2)} BETWEEN 1 AND 12 AND ${part(3)} BETWEEN 1 AND ${daysIn})`;
  const isText = `dynamicType(${v}) = 'String'`;
  const shaped = `match(${text}, '${DATE_TEXT}')`;
  return {
    ok: `(${isText} AND ${shaped} AND ${realDay} AND ${part(1)} BETWEEN ${from} AND ${to})`,
    value: `${cast}(${text})`,
    reason: `multiIf(NOT ${isText}, 'not a date: ', NOT ${shaped}, 'not a YYYY-MM-DD date: ', NOT ${realDay}, 'no such day: ', 'outside ${from}–${to}: ')`,
    fallback: `${cast}('1970-01-01')`,
  };
}

function integerTyping(v: string, min: number, max: number, cast: string): Typing {
  const whole = `(dynamicType(${v}) IN ('Int64', 'UInt64') OR (dynamicType(${v}) = 'Float64' AND toFloat64(${v}) = floor(toFloat64(${v}))))`;
  const number = `if(dynamicType(${v}) IN ${NUMBERS}, toFloat64(${v}), 0)`;
  return {
    ok: `(${whole} AND ${number} BETWEEN ${min} AND ${max})`,
    value: `${cast}(${number})`,
    reason: `if(NOT ${whole}, 'not a whole number: ', 'outside ${min}–${max}: ')`,
    fallback: `${cast}(0)`,
  };
}

/** typing.ts's TYPERS, for a Dynamic leaf. */
function typing(type: ValueType, v: string): Typing {
  const t = `dynamicType(${v})`;
  switch (type) {
    case 'string':
      return { ok: `${t} IN ('String', 'Int64', 'UInt64', 'Float64', 'Bool')`, value: `toString(${v})`, reason: "'not text: '", fallback: "''" };
    case 'decimal': {
      const text = `multiIf(${t} = 'String', ${jsTrim(`toString(${v})`)}, ${t} IN ${NUMBERS}, toString(${v}), '')`;
      return {
        ok: `match(${text}, '${DECIMAL_TEXT}')`,
        value: `toDecimal64(${text}, 2)`,
        reason: `multiIf(${t} NOT IN ('String', 'Int64', 'UInt64', 'Float64') OR ${text} = '' OR NOT isFinite(ifNull(toFloat64OrNull(${text}), nan)), 'not a number: ', abs(toFloat64OrZero(${text})) >= 1e10, 'out of range for Decimal(12, 2): ', 'more than two decimal places: ')`,
        fallback: 'toDecimal64(0, 2)',
      };
    }
    case 'datetime': {
      const ms = isoMillis(instantText(v));
      return {
        ok: `(${t} = 'String' AND ${inRange(ms)})`,
        value: `fromUnixTimestamp64Milli(assumeNotNull(${ms}), 'UTC')`,
        reason: `multiIf(${t} != 'String', 'not a date and time: ', NOT match(${instantText(v)}, '${ISO_DATETIME}'), 'not an ISO 8601 date and time with an offset: ', isNull(${ms}), 'no such date and time: ', 'outside 1900–2299: ')`,
        fallback: "toDateTime64(0, 3, 'UTC')",
      };
    }
    case 'date':
      return dateTyping(v, 1970, 2149, 'toDate');
    case 'date32':
      return dateTyping(v, 1900, 2299, 'toDate32');
    case 'bool':
      return { ok: `${t} = 'Bool'`, value: `toBool(${v})`, reason: "'not true or false: '", fallback: 'false' };
    case 'uint16':
      return integerTyping(v, 0, 65_535, 'toUInt16');
    case 'uint32':
      return integerTyping(v, 0, 4_294_967_295, 'toUInt32');
    case 'int32':
      return integerTyping(v, -2_147_483_648, 2_147_483_647, 'toInt32');
    case 'float':
      return { ok: `${t} IN ${NUMBERS}`, value: `toFloat64(${v})`, reason: "'not a number: '", fallback: 'toFloat64(0)' };
    case 'strings': {
      const list = `dynamicElement(${v}, 'Array(Nullable(String))')`;
      return {
        ok: `(${t} = 'Array(Nullable(String))' AND arrayAll(x -> isNotNull(x), ${list}))`,
        value: `arrayMap(x -> assumeNotNull(x), ${list})`,
        reason: "'not a list of text: '",
        fallback: 'CAST([], \'Array(String)\')',
      };
    }
  }
}

/** The JSON tree a table spec reads: objects become named Tuples (with the probe first), leaves Dynamic. */
interface Node {
  readonly children: Map<string, Node>;
  leaf?: string;
}

function treeOf(spec: TableSpec): Node {
  const root: Node = { children: new Map() };
  const put = (path: string, leaf: string) => {
    let node = root;
    for (const part of path.split('.')) {
      let child = node.children.get(part);
      if (child === undefined) node.children.set(part, (child = { children: new Map() }));
      node = child;
    }
    node.leaf = leaf;
  };
  for (const { path } of spec.scalars) put(path, 'Dynamic');
  for (const { path } of spec.pii) for (const part of ['ciphertext', 'blind_index', 'masked', 'valid']) put(`${path}.${part}`, 'Dynamic');
  return root;
}

const tupleType = (node: Node): string => `Tuple(${[[PROBE, 'Dynamic'] as const, ...[...node.children].map(([name, child]) => [name, child.leaf ?? tupleType(child)] as const)].map(([name, type]) => `${ident(name)} ${type}`).join(', ')})`;

/** The node at a dotted path of a tree. */
function nodeAt(root: Node, path: string): Node {
  let node = root;
  for (const part of path.split('.')) node = node.children.get(part) ?? node;
  return node;
}

/**
 * Where an object sits, wrong: a JSON array fills the probe; anything else that is not an
 * object leaves every element absent, and only then is the payload asked (so a clean row never is).
 */
function notObject(expr: string, node: Node, path: JsonPath, allowNull: boolean): string {
  const direct = [...node.children].map(([name, child]) => (child.leaf === undefined ? element(element(expr, name), PROBE) : element(expr, name)));
  const allAbsent = direct.map(isNone).join(' AND ');
  return `(NOT ${isNone(element(expr, PROBE))} OR (${allAbsent} AND JSONType(${jsonArgs(path)}) NOT IN (${allowNull ? "'Object', 'Null'" : "'Object'"})))`;
}

type Refusal = [condition: string, kind: string, message: string];

/** decode.ts's `where` before a message: a SQL text expression, '' for a document's own fields. */
const labelOf = (where: string) => (text: string): string => (where === "''" ? lit(text) : `concat(${where}, ${lit(text)})`);

/**
 * The checks that refuse a message over a spec's objects and PII fields, in decode.ts's order:
 * `root` is the tuple of the object the spec's paths start from, `jsonRoot` its JSON path,
 * `where` the text decode.ts puts before a message about it.
 */
function shapeChecks(spec: TableSpec, tree: Node, root: string, jsonRoot: JsonPath, where: string): Refusal[] {
  const label = labelOf(where);
  const refusals: Refusal[] = [];
  const checked = new Set<string>();
  const at = (path: string) => path.split('.').reduce(element, root);
  const json = (path: string): JsonPath => [...jsonRoot, ...keys(path)];
  const checkParents = (path: string) => {
    const parts = path.split('.');
    for (let index = 1; index < parts.length; index++) {
      const parent = parts.slice(0, index).join('.');
      if (checked.has(parent)) continue;
      checked.add(parent);
      refusals.push([notObject(at(parent), nodeAt(tree, parent), json(parent), true), 'wrong_shape', says(label(`${parent} should be an object, got `), rawAt(json(parent)))]);
    }
  };
  for (const { path } of spec.scalars) checkParents(path);
  for (const { path } of spec.pii) {
    checkParents(path);
    const jsonType = `JSONType(${jsonArgs(json(path))})`;
    const notProtected = `NOT ${protectedAt(at(path))} AND NOT ${emptyTextAt(json(path))}`;
    refusals.push([`${notProtected} AND ${jsonType} IN ('String', 'Int64', 'UInt64', 'Double')`, 'plaintext_pii', says(label(`${path} arrived unprotected; its value was removed from the payload`))]);
    refusals.push([`${notProtected} AND ${jsonType} != 'Null'`, 'wrong_shape', says(label(`${path} should be a protected value {ciphertext, blind_index, masked, valid}, got `), rawAt(json(path)))]);
  }
  return refusals;
}

/** A PII node holding the protected form. */
const protectedAt = (node: string): string =>
  `(${isNone(element(node, PROBE))} AND dynamicType(${element(node, 'ciphertext')}) = 'String' AND dynamicType(${element(node, 'blind_index')}) = 'String' AND dynamicType(${element(node, 'masked')}) = 'String' AND dynamicType(${element(node, 'valid')}) = 'Bool')`;
/** A PII value delivered as empty text (the producer leaves it so): nothing to protect. */
const emptyTextAt = (path: JsonPath): string => `(JSONType(${jsonArgs(path)}) = 'String' AND JSONExtractString(${jsonArgs(path)}) = '')`;

/** One value a view types. */
interface Entry {
  /** Its Dynamic leaf, in the view's first level. */
  readonly leaf: string;
  readonly type: ValueType;
  readonly nullable: boolean;
  /** The dotted path decode.ts names in its error. */
  readonly label: string;
  /** Its JSON path from the view's JSON base, as SQL literals. */
  readonly keys: readonly string[];
  /** Its place in the row's error list; 0 where its errors are told elsewhere (the transport's). */
  readonly position: number;
}

/** An error as a tuple: its place in the list (0: none), its text before the value, and the value's JSON path (empty: none shown). */
const NO_ERROR = "(toUInt32(0), '', CAST([], 'Array(String)'))";
const anError = (position: string, text: string, path = "CAST([], 'Array(String)')"): string => `(toUInt32(${position}), ${text}, ${path})`;

/**
 * How a view types its values, table-driven and in levels. The values of one type are gathered
 * into one array (level 1), instants parsed (level 2), typed by one lambda per type (level 3),
 * and read by position in the last level, where one lambda per type explains the errors of a
 * row that has any. ClickHouse plans a view's expressions at every insert, and that planning
 * grows with their number; an alias used twice in one SELECT is planned twice, so each level
 * reads the one before as columns.
 */
class TypedValues {
  readonly level1: string[] = [];
  readonly level2: string[] = [];
  readonly level3: string[] = [];
  private readonly byType = new Map<ValueType, number[]>();

  constructor(
    private readonly entries: readonly Entry[],
    private readonly alias: string,
  ) {
    entries.forEach(({ type }, index) => this.byType.set(type, [...(this.byType.get(type) ?? []), index]));
    for (const [type, indexes] of this.byType) {
      const values = this.name(type, 'values');
      this.level1.push(`[${indexes.map((index) => entries[index]?.leaf).join(', ')}] AS ${values}`);
      if (type === 'datetime') {
        this.level2.push(`arrayMap(v -> if(dynamicType(v) = 'String', ${isoMillis(instantText('v'))}, NULL), ${values}) AS ${this.name(type, 'ms')}`);
        this.level3.push(`arrayMap((v, ms) -> if(dynamicType(v) = 'String' AND ${inRange('ms')}, fromUnixTimestamp64Milli(assumeNotNull(ms), 'UTC'), NULL), ${values}, ${this.name(type, 'ms')}) AS ${this.name(type, 'typed')}`);
      } else if (type === 'strings') {
        // An Array cannot be Nullable: its values fall back in the array, and whether each typed is kept beside.
        const typed = typing(type, 'v');
        this.level3.push(`arrayMap(v -> if(${typed.ok}, ${typed.value}, ${typed.fallback}), ${values}) AS ${this.name(type, 'typed')}`, `arrayMap(v -> ${typed.ok}, ${values}) AS ${this.name(type, 'ok')}`);
      } else {
        const typed = typing(type, 'v');
        this.level3.push(`arrayMap(v -> if(${typed.ok}, ${typed.value}, NULL), ${values}) AS ${this.name(type, 'typed')}`);
      }
    }
  }

  private name(type: ValueType, what: string): string {
    return `${this.alias}_${type}_${what}`;
  }

  private slot(index: number): [type: ValueType, at: string] {
    const entry = this.entries[index];
    if (entry === undefined) throw new Error(`no value ${index}`);
    return [entry.type, `[${(this.byType.get(entry.type) ?? []).indexOf(index) + 1}]`];
  }

  /** The column's value (last level): NULL, or the type's default, where absent or untypeable. */
  value(index: number): string {
    const [type, at] = this.slot(index);
    const typed = `${this.name(type, 'typed')}${at}`;
    return type === 'strings' || this.entries[index]?.nullable ? typed : `ifNull(${typed}, ${typing(type, 'v').fallback})`;
  }

  /** True where the value typed (last level). */
  ok(index: number): string {
    const [type, at] = this.slot(index);
    return type === 'strings' ? `${this.name(type, 'ok')}${at}` : `isNotNull(${this.name(type, 'typed')}${at})`;
  }

  /** True where no value with a place in the error list has an error (last level). */
  clean(): string {
    return [...this.byType].map(([type, indexes]) => {
      const counted = indexes.map((index) => this.entries[index]?.position !== 0);
      const nullables = indexes.map((index) => this.entries[index]?.nullable === true);
      const ok = type === 'strings' ? 't' : 'isNotNull(t)';
      return `arrayAll((t, v, n, c) -> NOT c OR ${ok} OR (n AND ${isNone('v')}), ${this.name(type, type === 'strings' ? 'ok' : 'typed')}, ${this.name(type, 'values')}, [${nullables.join(', ')}], [${counted.join(', ')}])`;
    }).join(' AND ');
  }

  /** The errors, as arrays of anError tuples (last level). */
  errors(where: string): string[] {
    return [...this.byType].filter(([, indexes]) => indexes.some((index) => this.entries[index]?.position !== 0)).map(([type, indexes]) => {
      const pick = <T>(get: (entry: Entry) => T): T[] => indexes.map((index) => {
        const entry = this.entries[index];
        if (entry === undefined) throw new Error(`no value ${index}`);
        return get(entry);
      });
      const ok = type === 'strings' ? 't' : 'isNotNull(t)';
      const reason =
        type === 'datetime'
          ? `multiIf(dynamicType(v) != 'String', 'not a date and time: ', NOT match(${instantText('v')}, '${ISO_DATETIME}'), 'not an ISO 8601 date and time with an offset: ', isNull(ms), 'no such date and time: ', 'outside 1900–2299: ')`
          : typing(type, 'v').reason;
      const arrays = [this.name(type, 'values'), this.name(type, type === 'strings' ? 'ok' : 'typed'), `[${pick((entry) => entry.nullable).join(', ')}]`, `[${pick((entry) => lit(entry.label)).join(', ')}]`, `[${pick((entry) => `[${entry.keys.join(', ')}]`).join(', ')}]`, `[${pick((entry) => entry.position).join(', ')}]`];
      if (type === 'datetime') arrays.push(this.name(type, 'ms'));
      return `arrayMap((v, t, n, l, p, i${type === 'datetime' ? ', ms' : ''}) -> multiIf(i = 0 OR ${ok} OR (n AND ${isNone('v')}), ${NO_ERROR}, ${isNone('v')}, ${anError('i', `concat(${where}, l, ': absent')`)}, ${anError('i', `concat(${where}, l, ': ', ${reason})`, 'p')}), ${arrays.join(', ')})`;
    });
  }
}

/**
 * A row's parse errors from anError tuples, in their places; the value at each path shown as
 * decode.ts shows it (read from the payload at `jsonRoot` and the error's path).
 */
function errorList(errors: readonly string[], jsonRoot: JsonPath, depth: number): string {
  const raw = `multiIf(${Array.from({ length: depth }, (_, index) => `length(p) = ${index + 1}, JSONExtractRaw(${jsonArgs([...jsonRoot, ...Array.from({ length: index + 1 }, (__, key) => `p[${key + 1}]`)])})`).join(', ')}, '')`;
  const shownAt = `arrayMap(p -> ${cut(`arrayMap(j -> if(j = '', 'undefined', j), [${raw}])[1]`)}, [tupleElement(x, 3)])[1]`;
  return `arrayMap(x -> concat(tupleElement(x, 2), if(empty(tupleElement(x, 3)), '', ${shownAt})), arraySort(x -> tupleElement(x, 1), arrayFilter(x -> tupleElement(x, 1) > 0, arrayConcat(${errors.join(', ')}))))`;
}

/**
 * The views that fill a RAW table from typed levels. `<base>_typed` (Null) holds every row's
 * columns and whether it is clean; clean rows (most) go to the table with no errors, the others
 * through `<base>_unclean` (Null) to a view that lists their errors. ClickHouse plans a view only
 * for a block that has rows, so the error list's planning is paid only by an insert with an
 * untypeable value.
 */
function gatedViews(base: string, target: string, levels: string, computed: readonly string[], names: readonly string[], clean: string, errors: string): string[] {
  const typed = `${DB}.${base}_typed`;
  const unclean = `${DB}.${base}_unclean`;
  const typing = `SELECT *,
    ${[...computed, `${asBool(clean)} AS _clean`].join(',\n    ')}
FROM (
${levels}
)`;
  return [
    // The table takes its columns from the query (EMPTY: nothing is run), so no type is written twice.
    `CREATE TABLE ${typed} ENGINE = Null EMPTY AS\n${typing}`,
    `CREATE MATERIALIZED VIEW ${typed}_mv TO ${typed} AS\n${typing}`,
    `CREATE MATERIALIZED VIEW ${DB}.${base}_mv TO ${target} AS
SELECT ${names.join(', ')}, CAST([], 'Array(String)') AS parse_errors
FROM ${typed}
WHERE _clean${fresh(target, typed)}`,
    `CREATE TABLE ${unclean} AS ${typed}`,
    `CREATE MATERIALIZED VIEW ${unclean}_mv TO ${unclean} AS\nSELECT * FROM ${typed} WHERE NOT _clean`,
    `CREATE MATERIALIZED VIEW ${DB}.${base}_explained_mv TO ${target} AS
SELECT ${names.join(', ')}, ${errors} AS parse_errors
FROM ${unclean}
WHERE true${fresh(target, unclean)}`,
  ];
}

/** A spec's values as entries: `root` the tuple its paths start from, `jsonKeys` their JSON path before the spec's. */
const entriesOf = (spec: TableSpec, root: string, jsonKeys: readonly string[], firstPosition: number): Entry[] =>
  spec.scalars.map(({ path, type, nullable }, index) => ({ leaf: path.split('.').reduce(element, root), type, nullable, label: path, keys: [...jsonKeys, ...keys(path)], position: firstPosition + index }));

/** A spec's PII fields: level-1 columns (the node's parts, whether protected, whether empty text), last-level columns, clean condition and errors. */
function piiColumns(spec: TableSpec, root: string, jsonRoot: JsonPath, where: string, firstPosition: number) {
  const label = labelOf(where);
  const level1: string[] = [];
  const selects: string[] = [];
  const cleans: string[] = [];
  const errors: string[] = [];
  spec.pii.forEach(({ prefix, path, nullable }, index) => {
    const node = path.split('.').reduce(element, root);
    const name = (what: string) => `_pii_${prefix}_${what}`;
    level1.push(`${asBool(protectedAt(node))} AS ${name('protected')}`, `${asBool(`NOT ${name('protected')} AND ${emptyTextAt([...jsonRoot, ...keys(path)])}`)} AS ${name('empty')}`);
    for (const part of PII_PARTS) level1.push(`${element(node, part)} AS ${name(part)}`);
    const absent = nullable ? 'NULL' : "''";
    for (const part of ['ciphertext', 'blind_index', 'masked']) selects.push(`if(${name('protected')}, toString(${name(part)}), if(${name('empty')}, '', ${absent})) AS ${ident(`${prefix}_${part}`)}`);
    selects.push(`if(${name('protected')}, toBool(${name('valid')}), if(${name('empty')}, false, ${nullable ? 'NULL' : 'false'})) AS ${ident(`${prefix}_valid`)}`);
    if (!nullable) {
      cleans.push(`(${name('protected')} OR ${name('empty')})`);
      errors.push(`[if(${name('protected')} OR ${name('empty')}, ${NO_ERROR}, ${anError(String(firstPosition + index), label(`${path}: absent`))})]`);
    }
  });
  return { level1, selects, cleans, errors };
}

/** The envelope's tuple type for an entity: the probe, the envelope's fields, and the document. */
function envelopeType(entity: Entity): string {
  const document = treeOf(ENTITY_TABLES[entity]);
  if (entity === 'purchases') document.children.set('items', { children: new Map(), leaf: `Array(${tupleType(treeOf(PURCHASE_ITEMS))})` });
  const fields = ['schema_version', 'entity', 'source_id', 'op', 'emitted_at', 'loaded_at', 'pii_key_id', 'content_hash'].map((name) => `${ident(name)} Dynamic`);
  return `Tuple(${ident(PROBE)} Dynamic, ${fields.join(', ')}, ${ident('document')} ${tupleType(document)})`;
}

const E = 'e';
const field = (name: string) => element(E, name);
const DOC = field('document');
const text = (v: string): string => `if(dynamicType(${v}) = 'String', toString(${v}), '')`;
const TRANSPORT = "kafka_topic LowCardinality(String), kafka_partition UInt32, kafka_offset UInt64, kafka_key String, kafka_timestamp DateTime64(3, 'UTC')";
const KAFKA = 'kafka_topic, kafka_partition, kafka_offset, kafka_key, kafka_timestamp';
const NOT_JSON = 'not JSON: the payload does not parse as JSON';
/** No message. */
const NONE = says("''");

/** The two checks every message passes first, its topic's role aside: decode.ts's JSON.parse and object test. */
const baseRefusals = (): Refusal[] => [
  [`NOT (NOT ${isNone(field('schema_version'))} OR isValidJSON(payload))`, 'not_json', says(`if(payload = '', 'not JSON: the payload is empty', ${lit(NOT_JSON)})`)],
  [`NOT (${isNone(field(PROBE))} AND (NOT ${isNone(field('schema_version'))} OR JSONType(payload) = 'Object'))`, 'bad_envelope', says("'the message should be a JSON object, got '", rawAt([]))],
];

/** The first refusal that holds, as (kind, error); ('', '') for none. */
const verdictOf = (refusals: Refusal[]): string =>
  `arrayMap(v -> (tupleElement(v, 1), if(tupleElement(v, 1) = '', '', ${told('tupleElement(v, 2)')})), [multiIf(\n    ${refusals.map(([condition, kind, message]) => `${condition}, (${lit(kind)}, ${message})`).join(',\n    ')},\n    ('', ${NONE}))])[1]`;

/**
 * decode.ts's withoutPlaintext, in the payload's text: each PII value that came as plaintext
 * is replaced by PLAINTEXT_REMOVED where it stands, so a payload as the producer writes it
 * (JSON.stringify's form) reads exactly as decode.ts's re-serialised copy. Where the value is
 * spelt otherwise (escapes), every value of that key is replaced; and should plaintext still be
 * there, the payload is withheld rather than stored.
 */
function withoutPlaintext(entity: Entity, payload: string): string {
  const removed = lit(JSON.stringify(PLAINTEXT_REMOVED));
  return PII_POLICY[entity].reduce((current, { path }) => {
    const args = (text: string) => `${text}, ${[lit('document'), ...keys(path)].join(', ')}`;
    const plaintext = (text: string) => `(JSONType(${args(text)}) IN ('Int64', 'UInt64', 'Double') OR (JSONType(${args(text)}) = 'String' AND JSONExtractString(${args(text)}) NOT IN ('', ${lit(PLAINTEXT_REMOVED)})))`;
    const key = `"${path.split('.').at(-1) ?? path}"\\\\s*:\\\\s*`;
    const exact = `replaceRegexpAll(x, concat('(${key})\\\\Q', JSONExtractRaw(${args('x')}), '\\\\E'), concat('\\\\1', ${removed}))`;
    const anySpelling = `replaceRegexpAll(x, '(${key})("(?:[^"\\\\\\\\]|\\\\\\\\.)*"|-?[0-9][0-9.eE+-]*)', concat('\\\\1', ${removed}))`;
    const withheld = lit(JSON.stringify({ payload_withheld: `plaintext PII at document.${path} could not be removed in place` }));
    const step = (input: string, replace: string) => `arrayMap(x -> if(${plaintext('x')}, ${replace}, x), [${input}])[1]`;
    return step(step(step(current, exact), anySpelling), withheld);
  }, payload);
}

function rejectedView(name: string, source: string, where: string, origin: string, kind: string, error: string, payload: string, failedAt: string, withs: readonly string[] = []): string {
  return `CREATE MATERIALIZED VIEW ${DB}.${name} TO ${DB}.rejected AS
${withs.length === 0 ? '' : `WITH ${withs.join(',\n    ')}\n`}SELECT ${KAFKA},
    ${origin} AS origin, ${kind} AS error_kind, ${error} AS error,
    ${text(field('entity'))} AS entity, ${text(field('source_id'))} AS source_id, ${text(field('pii_key_id'))} AS pii_key_id,
    ${payload} AS payload, ${failedAt} AS failed_at
FROM ${source}
WHERE ${where}${fresh(`${DB}.rejected`, source)}`;
}

/** RAW is its own ledger: a view writes only the offsets its table does not hold yet. */
const fresh = (target: string, source: string): string =>
  `\n  AND (kafka_topic, kafka_partition, kafka_offset) NOT IN (SELECT kafka_topic, kafka_partition, kafka_offset FROM ${target} WHERE (kafka_topic, kafka_partition, kafka_offset) IN (SELECT kafka_topic, kafka_partition, kafka_offset FROM ${source}))`;

/**
 * Where a role's parse view reads its messages: the one landing table of sql/007, filtered by
 * role (the views as 008–012 created them), or the role's own landing table (sql/013 on), so
 * that an insert plans only the views of the roles it holds.
 */
type Landing = 'shared' | 'own';
const landingOf = (role: string, landing: Landing): string => (landing === 'shared' ? `${DB}.envelopes\n    WHERE role = ${lit(role)}` : landingTable(role));

/** The parse: the payload read once into the envelope's tuple (text stays text: no date inference). */
function parseView(name: string, target: string, role: string, landing: Landing, type: string, judged: readonly string[], withs: readonly string[] = []): string {
  return `CREATE MATERIALIZED VIEW ${DB}.${name} TO ${target} AS
${withs.length === 0 ? '' : `WITH ${withs.join(',\n    ')}\n`}SELECT ${KAFKA}, payload, e, ${judged.join(', ')}
FROM (
    SELECT *, JSONExtract(payload, ${lit(type)}) AS e
    FROM ${landingOf(role, landing)}
    SETTINGS input_format_try_infer_dates = 0, input_format_try_infer_datetimes = 0
)`;
}

/**
 * The envelope's own fields: their first-level columns (from the scope that has the tuple `e`),
 * their instants as typed values (position 0: told here, not by the values' lambdas), and
 * their last-level columns and errors, which come first in a row's list.
 */
const TRANSPORT_LEVEL1 = [
  `toUInt16(${field('schema_version')}) AS schema_version`,
  `toString(${field('source_id')}) AS source_id`,
  `${text(field('op'))} AS op`,
  `${asBool(`dynamicType(${field('op')}) = 'String'`)} AS _op_is_text`,
  `${text(field('pii_key_id'))} AS pii_key_id`,
  `${text(field('content_hash'))} AS content_hash`,
];
const instantEntries = (emitted: string, loaded: string): Entry[] => [
  { leaf: emitted, type: 'datetime', nullable: false, label: 'emitted_at', keys: [lit('emitted_at')], position: 0 },
  { leaf: loaded, type: 'datetime', nullable: true, label: 'loaded_at', keys: [lit('loaded_at')], position: 0 },
];
/** The transport columns of a RAW table, and the two of them the typed values give (their first two are the instants). */
const TRANSPORT_NAMES = [KAFKA, 'schema_version', 'source_id', 'op', 'emitted_at', 'loaded_at', 'pii_key_id', 'content_hash'];
const instantColumns = (values: TypedValues): string[] => [`${values.value(0)} AS emitted_at`, `${values.value(1)} AS loaded_at`];
function transportErrors(values: TypedValues): { clean: string; errors: string[] } {
  const loadedPresent = `(JSONHas(payload, 'loaded_at') AND NOT (JSONType(payload, 'loaded_at') = 'String' AND JSONExtractString(payload, 'loaded_at') = ''))`;
  const loadedClean = `(${values.ok(1)} OR NOT ${loadedPresent})`;
  return {
    clean: `${values.ok(0)} AND ${loadedClean} AND _op_is_text`,
    errors: [
      `[if(${values.ok(0)}, ${NO_ERROR}, ${anError('1', "'emitted_at: not an ISO 8601 date and time: '", `[${lit('emitted_at')}]`)})]`,
      `[if(${loadedClean}, ${NO_ERROR}, ${anError('2', "'loaded_at: not an ISO 8601 date and time: '", `[${lit('loaded_at')}]`)})]`,
      `[if(_op_is_text, ${NO_ERROR}, ${anError('3', "'op: not text: '", `[${lit('op')}]`)})]`,
    ],
  };
}
/** Where the document's values start in a row's error list, after the transport's. */
const FIRST_VALUE_POSITION = 10;

/** The levels after the first: instants parsed, then values typed; each reads the one before as columns. */
function typedLevels(first: string, values: TypedValues): string {
  const nest = (inner: string, selects: readonly string[]) => (selects.length === 0 ? inner : `SELECT *,\n        ${selects.join(',\n        ')}\nFROM (\n${inner}\n)`);
  return nest(nest(first, values.level2), values.level3);
}

const depthOf = (spec: TableSpec): number => Math.max(...spec.scalars.map(({ path }) => path.split('.').length));

/** One migration per entity: the parse, and the views that fill its RAW table(s) and `rejected`. */
export function entityMigration(entity: Entity): string {
  return entityStatements(entity, 'shared').statements.join(';\n\n');
}

/** An entity's statements, and among them the parse view, reading from the given landing. */
function entityStatements(entity: Entity, landing: Landing): { statements: string[]; parse: string } {
  const spec = ENTITY_TABLES[entity];
  const tree = treeOf(spec);
  const key = BUSINESS_KEYS[entity];
  const keyValue = element(DOC, key);
  const refusals: Refusal[] = [
    ...baseRefusals(),
    [`NOT (dynamicType(${field('schema_version')}) IN ${NUMBERS} AND toFloat64(${field('schema_version')}) = ${SCHEMA_VERSION})`, 'unknown_schema_version', says("'unknown schema_version '", rawAt([lit('schema_version')]), `'; this ingest reads ${SCHEMA_VERSION}'`)],
    [`dynamicType(${field('entity')}) != 'String' OR toString(${field('entity')}) = ''`, 'bad_envelope', says("'the envelope has no entity'")],
    [`toString(${field('entity')}) != ${lit(entity)}`, 'bad_envelope', says("'entity '", rawAt([lit('entity')]), `concat(' on topic ', kafka_topic, ', which carries ${entity}')`)],
    [`dynamicType(${field('source_id')}) != 'String' OR toString(${field('source_id')}) = ''`, 'bad_envelope', says("'the envelope has no source_id'")],
    [`NOT ${isNone(element(DOC, PROBE))} OR (${isNone(keyValue)} AND JSONType(payload, 'document') != 'Object')`, 'wrong_shape', says("'document should be an object, got '", rawAt([lit('document')]))],
    [`dynamicType(${keyValue}) != 'String' OR ${jsTrim(`toString(${keyValue})`)} = ''`, 'missing_business_key', says(lit(`document has no business key ${key}`))],
    ...shapeChecks(spec, tree, DOC, [lit('document')], "''"),
  ];
  const source = `${DB}.${entity}_envelopes`;
  const items = element(DOC, 'items');
  const refused = `${DB}.${entity}_refused`;
  // Which refusal holds first (0: none); its message is built only for refused messages, behind `<entity>_refused`.
  const statements = [`CREATE TABLE ${source} (${TRANSPORT}, payload String, e ${envelopeType(entity)}, refusal UInt8) ENGINE = Null`];
  let itemsViews: string[] = [];
  const withs: string[] = [];
  if (entity === 'purchases') {
    const itemTree = treeOf(PURCHASE_ITEMS);
    const jsonItems = [lit('document'), lit('items')];
    refusals.push([`empty(${items}) AND JSONType(payload, 'document', 'items') NOT IN ('Array', 'Null')`, 'wrong_shape', says("'items should be an array, got '", rawAt(jsonItems))]);
    const itemObjects = [...itemTree.children].filter(([, child]) => child.leaf === undefined).map(([name]) => name);
    // Per item, which check refuses it first (0: none): not an object, then each object inside it, in decode.ts's order.
    const itemParents = shapeChecks(PURCHASE_ITEMS, itemTree, 'it', [...jsonItems, 'i'], "''");
    if (PURCHASE_ITEMS.pii.length > 0 || itemParents.length !== itemObjects.length) throw new Error('purchase_items: only objects inside an item are checked, one level deep');
    const itemChecks = [notObject('it', itemTree, [...jsonItems, 'i'], false), ...itemParents.map(([condition]) => condition)];
    withs.push(
      `arrayMap((it, i) -> multiIf(${itemChecks.map((condition, index) => `${condition}, ${index + 1}`).join(', ')}, 0), ${items}, arrayEnumerate(${items})) AS _item_problems`,
      'arrayFirstIndex(c -> c > 0, _item_problems) AS _bad_item',
      '_item_problems[_bad_item] AS _bad_item_problem',
    );
    // A list ClickHouse read short of the JSON array would hide an element: the check asks the payload for its length.
    const unreadElement = `arrayFirstIndex(i -> JSONType(payload, 'document', 'items', i) != 'Object', range(1, toUInt64(JSONLength(payload, 'document', 'items')) + 1))`;
    refusals.push([`length(${items}) != JSONLength(payload, 'document', 'items')`, 'wrong_shape', says(`concat('items[', toString(${unreadElement} - 1), '] should be an object, got ')`, rawAt([...jsonItems, unreadElement]))]);
    const badAt = [...jsonItems, '_bad_item'];
    const rawProblem = `multiIf(${itemObjects.map((name, index) => `_bad_item_problem = ${index + 2}, ${rawAt([...badAt, lit(name)])}`).join(', ')}, ${rawAt(badAt)})`;
    const where = `[${['', ...itemObjects.map((name) => `.${name}`)].map(lit).join(', ')}][_bad_item_problem]`;
    refusals.push(['_bad_item > 0', 'wrong_shape', says(`concat('items[', toString(_bad_item - 1), ']', ${where}, ' should be an object, got ')`, rawProblem)]);
    const itemValues = new TypedValues(entriesOf(PURCHASE_ITEMS, 'item', [], FIRST_VALUE_POSITION), '_item');
    const itemJson = [...jsonItems, 'item_position'];
    // Items are read from the purchases' typed rows, whose transport columns are typed already: ARRAY JOIN repeats those columns, the payload and the item, not the whole tuple.
    const perItem = `SELECT ${[...TRANSPORT_NAMES, 'payload', 'purchase_id', 'item_position', ...itemValues.level1].join(',\n        ')}
FROM ${DB}.purchases_from_envelopes_typed
ARRAY JOIN _purchase_items AS item, arrayEnumerate(_purchase_items) AS item_position`;
    const itemColumns = PURCHASE_ITEMS.scalars.map(({ column }, index) => `${itemValues.value(index)} AS ${ident(column)}`);
    const itemErrors = errorList(itemValues.errors("concat('items[', toString(item_position - 1), '].')"), itemJson, depthOf(PURCHASE_ITEMS));
    const itemNames = [...TRANSPORT_NAMES, 'purchase_id', 'item_index', ...PURCHASE_ITEMS.scalars.map(({ column }) => ident(column))];
    itemsViews = gatedViews('purchase_items_envelopes', `${DB}.purchase_items`, typedLevels(perItem, itemValues), ['toUInt32(item_position - 1) AS item_index', ...itemColumns], itemNames, itemValues.clean(), itemErrors);
  }
  // Only an empty list asks the payload whether it was an array ([]) or not there (null, absent).
  const itemCount = entity === 'purchases' ? [`if(notEmpty(${items}), toUInt32(length(${items})), if(JSONType(payload, 'document', 'items') = 'Array', toUInt32(0), NULL)) AS item_count`, `${items} AS _purchase_items`] : [];
  if (refusals.length > 255) throw new Error(`${entity}: more refusals than a UInt8 numbers`);
  const parse = parseView(`${entity}_envelopes_mv`, source, entity, landing, envelopeType(entity), [`multiIf(${refusals.map(([condition], index) => `${condition}, ${index + 1}`).join(',\n    ')}, 0) AS refusal`], withs);
  statements.push(parse);
  const values = new TypedValues([...instantEntries(field('emitted_at'), field('loaded_at')), ...entriesOf(spec, DOC, [lit('document')], FIRST_VALUE_POSITION)], '_document');
  const pii = piiColumns(spec, DOC, [lit('document')], "''", FIRST_VALUE_POSITION + spec.scalars.length);
  const transport = transportErrors(values);
  const first = `SELECT ${[KAFKA, 'payload', ...TRANSPORT_LEVEL1, ...values.level1, ...pii.level1, ...itemCount].join(',\n        ')}
FROM ${source}
WHERE refusal = 0`;
  const columns = spec.scalars.map(({ column }, index) => `${values.value(index + 2)} AS ${ident(column)}`);
  const clean = [transport.clean, values.clean(), ...pii.cleans].join(' AND ');
  const errors = errorList([...transport.errors, ...values.errors("''"), ...pii.errors], [], depthOf(spec) + 1);
  const names = [...TRANSPORT_NAMES, ...spec.scalars.map(({ column }) => ident(column)), ...spec.pii.flatMap(({ prefix }) => PII_PARTS.map((part) => ident(`${prefix}_${part}`))), ...(entity === 'purchases' ? ['item_count'] : [])];
  statements.push(...gatedViews(`${entity}_from_envelopes`, spec.table, typedLevels(first, values), [...instantColumns(values), ...columns, ...pii.selects], names, clean, errors));
  statements.push(...itemsViews);
  statements.push(`CREATE TABLE ${refused} AS ${source}`, `CREATE MATERIALIZED VIEW ${refused}_mv TO ${refused} AS\nSELECT * FROM ${source} WHERE refusal > 0`);
  const kinds = `[${refusals.map(([, kind]) => lit(kind)).join(', ')}][refusal]`;
  const message = told(`multiIf(${refusals.map(([, , said], index) => `refusal = ${index + 1}, ${said}`).join(',\n    ')}, ${NONE})`);
  statements.push(rejectedView(`${entity}_rejected_mv`, refused, 'true', "'ingest'", kinds, message, withoutPlaintext(entity, 'payload'), 'now64(3)', withs));
  return { statements, parse };
}

const DEAD_LETTER_SOURCE = `${DB}.dead_letter_envelopes`;
const DEAD_LETTER_TYPE = `Tuple(${ident(PROBE)} Dynamic, ${['schema_version', 'entity', 'source_id', 'pii_key_id', 'reason', 'failed_at'].map((name) => `${ident(name)} Dynamic`).join(', ')})`;

/** The dead letters' parse: the tuple, the payload with plaintext replaced for the letter's entity, and the envelope's first refusal. */
function deadLetterParseView(landing: Landing): string {
  const letterEntity = text(field('entity'));
  const scrubbed = ENTITIES.reduce((current, entity) => `if(${letterEntity} = ${lit(entity)}, ${withoutPlaintext(entity, 'payload')}, ${current})`, 'payload');
  return parseView('dead_letter_envelopes_mv', DEAD_LETTER_SOURCE, DEAD_LETTER_ROLE, landing, DEAD_LETTER_TYPE, [`${scrubbed} AS scrubbed`, 'scrubbed != payload AS plaintext_removed', `${verdictOf(baseRefusals())} AS verdict`]);
}

/** The producer's dead letters: into `rejected` with the producer's reason and time, plaintext replaced for the letter's entity. */
export function deadLetterMigration(): string {
  const source = DEAD_LETTER_SOURCE;
  const reason = `if(dynamicType(${field('reason')}) = 'String' AND toString(${field('reason')}) != '', toString(${field('reason')}), 'dead letter without a reason')`;
  const kind = "if(verdict.kind = '', 'dead_letter', verdict.kind)";
  return [
    `CREATE TABLE ${source} (${TRANSPORT}, payload String, e ${DEAD_LETTER_TYPE}, scrubbed String, plaintext_removed Bool, verdict Tuple(kind String, error String)) ENGINE = Null`,
    deadLetterParseView('shared'),
    rejectedView(
      'dead_letter_rejected_mv',
      source,
      'true',
      "if(verdict.kind = '', 'producer', 'ingest')",
      kind,
      `if(verdict.kind != '', verdict.error, if(plaintext_removed, concat(${reason}, '; plaintext PII removed by ingest'), ${reason}))`,
      "if(verdict.kind = '', scrubbed, payload)",
      `if(verdict.kind = '', ifNull(${instant(field('failed_at'))}, now64(3)), now64(3))`,
    ),
  ].join(';\n\n');
}

/** The landing table: each message's bytes as received, with where it was in Kafka and what its topic carries. */
export function landingMigration(): string {
  return `CREATE TABLE ${DB}.envelopes (${TRANSPORT}, role LowCardinality(String), payload String) ENGINE = Null`;
}

/**
 * Each role its own landing table, its parse view moved onto it, the shared table dropped.
 * The shared table goes first: an ingest of before this migration still running then fails
 * its inserts (and retries them, committing nothing) instead of landing rows no view reads.
 * Every statement can run again after a failure part-way.
 */
export function landingByRoleMigration(): string {
  const statements = [`DROP TABLE IF EXISTS ${DB}.envelopes`];
  for (const role of LANDING_ROLES) {
    statements.push(
      `CREATE TABLE IF NOT EXISTS ${landingTable(role)} (${TRANSPORT}, payload String) ENGINE = Null`,
      `DROP VIEW IF EXISTS ${DB}.${role}_envelopes_mv`,
      role === DEAD_LETTER_ROLE ? deadLetterParseView('own') : entityStatements(role as Entity, 'own').parse,
    );
  }
  return statements.join(';\n\n');
}

const HEADER = (what: string, grain: string) =>
  `-- RAW: ${what}\n-- Grain: ${grain}\n-- Rendered by pipeline/ingest/envelope-sql.ts (npm run sql:envelopes) from raw-tables.ts; decode.ts is the\n-- specification it ports, and test/integration/envelope-parity.test.ts holds the two together.\n`;

/** The files, by name, in the order they apply. */
export function envelopeMigrations(): Map<string, string> {
  const files = new Map<string, string>();
  files.set(
    '007_raw_envelopes.sql',
    `${HEADER("the landing table of the envelopes ClickHouse parses itself: each Kafka message's bytes as received, with its topic, partition, offset, key and timestamp, and its topic's role (an entity, or dead_letter). Engine Null: the views of 008–012 read each insert; nothing is stored here.", 'one Kafka message.')}${landingMigration()};\n`,
  );
  ENTITIES.forEach((entity, index) => {
    files.set(`${String(8 + index).padStart(3, '0')}_raw_envelopes_${entity}.sql`, `${HEADER(`${entity} envelopes parsed once into a tuple with the first refusal that holds (${entity}_envelopes, Null); accepted ones typed (${entity}_from_envelopes_typed, Null) into ${ENTITY_TABLES[entity].table}${entity === 'purchases' ? ' and piccha_raw.purchase_items' : ''}, their parse errors listed only for rows that have any (…_unclean); refused ones into rejected (${entity}_refused); each view writing a table only with offsets it does not hold yet.`, `one message of the ${entity} topic (purchase_items: one item of one).`)}${entityMigration(entity)};\n`);
  });
  files.set('012_raw_envelopes_dead_letters.sql', `${HEADER("the producer's dead letters into rejected, with its reason and time; plaintext at the letter entity's PII paths replaced.", 'one message of the dead-letter topic.')}${deadLetterMigration()};\n`);
  files.set(
    '013_raw_landing_by_role.sql',
    `${HEADER("one landing table per topic role (<role>_landing, Null: topic, partition, offset, key, timestamp, payload) instead of the shared piccha_raw.envelopes, each role's parse view moved onto its own, so that an insert plans only the views of the role it lands.", 'one Kafka message.')}${landingByRoleMigration()};\n`,
  );
  return files;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const [name, sql] of envelopeMigrations()) writeFileSync(join(defaultMigrationsDir(), name), sql);
}
