import type { ValueType } from './raw-tables.js';

/** A value typed for its column, or why it could not be. */
export type Typed = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly reason: string };

const ok = (value: unknown): Typed => ({ ok: true, value });
const fail = (reason: string): Typed => ({ ok: false, reason });

/** Quoted and cut short: an error shows what came, not a whole document. */
export function shown(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

const DECIMAL_TEXT = /^-?\d{1,10}(\.\d{1,2})?$/;
/** Decimal(12, 2): ten digits before the point. */
const DECIMAL_LIMIT = 1e10;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
/** A date and a time; a time without an offset is refused, since it names no instant. */
const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

/** Money as text ClickHouse parses exactly into Decimal(12, 2): JSON's shortest form of a kopeck amount is exact. */
function decimal(value: unknown): Typed {
  const text = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : typeof value === 'string' ? value.trim() : '';
  if (typeof value !== 'number' && typeof value !== 'string') return fail(`not a number: ${shown(value)}`);
  if (!DECIMAL_TEXT.test(text)) {
    const n = Number(text);
    if (text === '' || !Number.isFinite(n)) return fail(`not a number: ${shown(value)}`);
    if (Math.abs(n) >= DECIMAL_LIMIT) return fail(`out of range for Decimal(12, 2): ${shown(value)}`);
    return fail(`more than two decimal places: ${shown(value)}`);
  }
  return ok(text);
}

function date(value: unknown, from: number, to: number): Typed {
  if (typeof value !== 'string') return fail(`not a date: ${shown(value)}`);
  const match = ISO_DATE.exec(value);
  if (!match) return fail(`not a YYYY-MM-DD date: ${shown(value)}`);
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const parsed = new Date(Date.UTC(year, month - 1, day));
  if (parsed.getUTCMonth() !== month - 1 || parsed.getUTCDate() !== day) return fail(`no such day: ${shown(value)}`);
  if (year < from || year > to) return fail(`outside ${from}–${to}: ${shown(value)}`);
  return ok(value);
}

function datetime(value: unknown): Typed {
  if (typeof value !== 'string') return fail(`not a date and time: ${shown(value)}`);
  const text = value.trim();
  if (!ISO_DATETIME.test(text)) return fail(`not an ISO 8601 date and time with an offset: ${shown(value)}`);
  const ms = Date.parse(text.replace(' ', 'T'));
  if (Number.isNaN(ms)) return fail(`no such date and time: ${shown(value)}`);
  const year = new Date(ms).getUTCFullYear();
  if (year < 1900 || year > 2299) return fail(`outside 1900–2299: ${shown(value)}`);
  // One unambiguous form: UTC with milliseconds, which every input setting parses the same way.
  return ok(new Date(ms).toISOString());
}

function integer(value: unknown, min: number, max: number): Typed {
  if (typeof value !== 'number' || !Number.isInteger(value)) return fail(`not a whole number: ${shown(value)}`);
  if (value < min || value > max) return fail(`outside ${min}–${max}: ${shown(value)}`);
  return ok(value);
}

function text(value: unknown): Typed {
  if (typeof value === 'string') return ok(value);
  // A number or flag where text was expected is kept as its text: nothing is lost.
  if (typeof value === 'number' || typeof value === 'boolean') return ok(String(value));
  return fail(`not text: ${shown(value)}`);
}

const TYPERS: Readonly<Record<ValueType, (value: unknown) => Typed>> = {
  string: text,
  decimal,
  datetime,
  date: (value) => date(value, 1970, 2149),
  date32: (value) => date(value, 1900, 2299),
  bool: (value) => (typeof value === 'boolean' ? ok(value) : fail(`not true or false: ${shown(value)}`)),
  uint16: (value) => integer(value, 0, 65_535),
  uint32: (value) => integer(value, 0, 4_294_967_295),
  int32: (value) => integer(value, -2_147_483_648, 2_147_483_647),
  float: (value) => (typeof value === 'number' && Number.isFinite(value) ? ok(value) : fail(`not a number: ${shown(value)}`)),
  strings: (value) => (Array.isArray(value) && value.every((item) => typeof item === 'string') ? ok(value) : fail(`not a list of text: ${shown(value)}`)),
};

/** What a column of the type holds when its value is absent or untypeable and it is not Nullable. */
export const DEFAULTS: Readonly<Record<ValueType, unknown>> = {
  string: '',
  decimal: '0',
  datetime: '1970-01-01T00:00:00.000Z',
  date: '1970-01-01',
  date32: '1970-01-01',
  bool: false,
  uint16: 0,
  uint32: 0,
  int32: 0,
  float: 0,
  strings: [],
};

export function typeValue(type: ValueType, value: unknown): Typed {
  return TYPERS[type](value);
}

/** The transport times: an ISO string as UTC with milliseconds, or undefined. */
export function instant(value: unknown): string | undefined {
  const typed = datetime(value);
  return typed.ok ? (typed.value as string) : undefined;
}
