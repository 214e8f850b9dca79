/**
 * Expands what the ClickHouse plugin expands before a query reaches ClickHouse, so that tests
 * and `piccha alerts check` / `dashboards preview` run exactly the SQL Grafana would send.
 *
 * Mirrors grafana-clickhouse-datasource ≥ 4.19 (pkg/macros/macros.go, src/data/CHDatasource.ts):
 * first the front end (`$__conditionalAll`, then dashboard variables), then the backend macros.
 * Deliberately stricter than the plugin, which leaves an unknown macro in the SQL: here an unknown
 * macro, an undefined variable or a wrong argument count is an error, so a typo fails a test
 * instead of reaching Grafana. Macros inside string literals or comments are not supported.
 * Variables take Grafana's `percentencode` format, or `singlequote` escaped as ClickHouse needs
 * (Grafana's own leaves `\` unescaped, which is why the dashboards do not use it).
 */

/** A variable's selection: the values picked, or every value (Grafana's `$__all`). */
export type VariableValue = { readonly all: true } | { readonly values: readonly string[] };

export interface MacroContext {
  readonly from: Date;
  readonly to: Date;
  /** Grafana's `$__interval` for the panel, in milliseconds. */
  readonly intervalMs: number;
  readonly variables?: Readonly<Record<string, VariableValue>>;
}

export class MacroError extends Error {}

const unixSeconds = (date: Date) => Math.floor(date.getTime() / 1000);
const isoDate = (date: Date) => date.toISOString().slice(0, 10);

type Expansion = (args: readonly string[], context: MacroContext) => string;

function arity(name: string, count: number, expand: (args: readonly string[], context: MacroContext) => string): [string, Expansion] {
  return [
    name,
    (args, context) => {
      if (args.length !== count) throw new MacroError(`$__${name} takes ${count} argument(s), got ${args.length}`);
      return expand(args, context);
    },
  ];
}

const BACKEND_MACROS = new Map<string, Expansion>([
  arity('timeFilter', 1, ([c], x) => `${c} >= toDateTime(${unixSeconds(x.from)}) AND ${c} <= toDateTime(${unixSeconds(x.to)})`),
  arity('timeFilter_ms', 1, ([c], x) => `${c} >= fromUnixTimestamp64Milli(${x.from.getTime()}) AND ${c} <= fromUnixTimestamp64Milli(${x.to.getTime()})`),
  arity('dateFilter', 1, ([c], x) => `${c} >= toDate('${isoDate(x.from)}') AND ${c} <= toDate('${isoDate(x.to)}')`),
  arity('fromTime', 0, (_, x) => `toDateTime(${unixSeconds(x.from)})`),
  arity('toTime', 0, (_, x) => `toDateTime(${unixSeconds(x.to)})`),
  arity('fromTime_ms', 0, (_, x) => `fromUnixTimestamp64Milli(${x.from.getTime()})`),
  arity('toTime_ms', 0, (_, x) => `fromUnixTimestamp64Milli(${x.to.getTime()})`),
  arity('timeInterval', 1, ([c], x) => `toStartOfInterval(toDateTime(${c}), INTERVAL ${intervalSeconds(x)} second)`),
  arity('interval_s', 0, (_, x) => String(intervalSeconds(x))),
]);

function intervalSeconds(context: MacroContext): number {
  return Math.max(Math.floor(context.intervalMs / 1000), 1);
}

/** The index just past the `)` that closes the `(` at `open`. */
function closingParen(sql: string, open: number): number {
  let depth = 0;
  for (let i = open; i < sql.length; i++) {
    if (sql[i] === '(') depth++;
    else if (sql[i] === ')' && --depth === 0) return i + 1;
  }
  throw new MacroError(`unbalanced parentheses after position ${open}`);
}

/** Splits a macro's argument list on its top-level commas. */
function splitArgs(inner: string): string[] {
  if (inner.trim() === '') return [];
  const args: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < inner.length; i++) {
    const ch = inner[i];
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === ',' && depth === 0) {
      args.push(inner.slice(start, i).trim());
      start = i + 1;
    }
  }
  args.push(inner.slice(start).trim());
  return args;
}

/** Replaces each `$__name` / `$__name(args)` found by `expand`; the callback sees raw args. */
function replaceMacros(sql: string, expand: (name: string, args: readonly string[] | undefined) => string | undefined): string {
  const macro = /\$__([A-Za-z_]+)/g;
  let out = '';
  let last = 0;
  for (let match = macro.exec(sql); match; match = macro.exec(sql)) {
    const name = match[1] ?? '';
    let end = match.index + match[0].length;
    let args: string[] | undefined;
    if (sql[end] === '(') {
      const close = closingParen(sql, end);
      args = splitArgs(sql.slice(end + 1, close - 1));
      end = close;
    }
    const replacement = expand(name, args);
    if (replacement === undefined) continue;
    out += sql.slice(last, match.index) + replacement;
    last = end;
    macro.lastIndex = end;
  }
  return out + sql.slice(last);
}

const VARIABLE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([A-Za-z]+))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

function variableName(reference: string): string {
  const match = /^\$\{?([A-Za-z_][A-Za-z0-9_]*)/.exec(reference.trim());
  if (!match?.[1]) throw new MacroError(`$__conditionalAll expects a variable as its second argument, got ${JSON.stringify(reference)}`);
  return match[1];
}

function lookup(context: MacroContext, name: string): VariableValue {
  const value = context.variables?.[name];
  if (!value) throw new MacroError(`variable $${name} is not defined`);
  return value;
}

/**
 * `singlequote`: each value a ClickHouse string literal, joined by commas. Both `\` and `'` are
 * escaped: ClickHouse reads backslash escapes, so escaping `'` alone (as Grafana does) lets a value
 * ending in `\` end its literal early.
 */
function singleQuoted(values: readonly string[]): string {
  return values.map((value) => `'${value.replace(/[\\']/g, (c) => `\\${c}`)}'`).join(',');
}

/** Grafana's `percentencode` of a multi-value selection: `{v1,v2}`, encoded per RFC 3986 (`!'()*` too). */
function percentEncoded(values: readonly string[]): string {
  return encodeURIComponent(`{${values.join(',')}}`).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

const FORMATS = new Map<string, (values: readonly string[]) => string>([
  ['singlequote', singleQuoted],
  ['percentencode', percentEncoded],
]);

function applyConditionalAll(sql: string, context: MacroContext): string {
  return replaceMacros(sql, (name, args) => {
    if (name !== 'conditionalAll') return undefined;
    if (args?.length !== 2) throw new MacroError(`$__conditionalAll takes 2 argument(s), got ${args?.length ?? 0}`);
    const value = lookup(context, variableName(args[1] ?? ''));
    const everything = 'all' in value || value.values.length === 0;
    return everything ? '1=1' : (args[0] ?? '');
  });
}

function applyVariables(sql: string, context: MacroContext): string {
  return sql.replace(VARIABLE, (whole, braced: string | undefined, format: string | undefined, bare: string | undefined) => {
    const name = braced ?? bare ?? '';
    if (name.startsWith('__')) return whole;
    const value = lookup(context, name);
    if ('all' in value) throw new MacroError(`variable $${name} is "All" outside $__conditionalAll: there is no value to insert`);
    // A raw `$name` would paste a value into SQL: only the formats that quote or encode are taken.
    const formatter = format === undefined ? undefined : FORMATS.get(format);
    if (!formatter) throw new MacroError(`write $${name} as \${${name}:percentencode}`);
    return formatter(value.values);
  });
}

/** The SQL Grafana would send to ClickHouse for this query, time range and variable selection. */
export function expandMacros(sql: string, context: MacroContext): string {
  const frontEnd = applyVariables(applyConditionalAll(sql, context), context);
  return replaceMacros(frontEnd, (name, args) => {
    const expand = BACKEND_MACROS.get(name);
    if (!expand) throw new MacroError(`unknown macro $__${name}`);
    return expand(args ?? [], context);
  });
}

/** The names of the dashboard variables a query refers to (macros excluded). */
export function referencedVariables(sql: string): string[] {
  const names = new Set<string>();
  for (const match of sql.matchAll(VARIABLE)) {
    const name = match[1] ?? match[3] ?? '';
    if (!name.startsWith('__')) names.add(name);
  }
  return [...names].sort();
}
