import type { ValueType } from '../../../pipeline/ingest/raw-tables.js';

/** A value typed for its column, or why it could not be. */
export type Typed = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly reason: string };

const ok = (value: unknown): Typed => ({ ok: true, value });
const fail = (reason: string): Typed => ({ ok: false, reason });

/** Quoted and cut short: an error shows what came, not a whole document. */
export function shown(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  if (text.length <= 60) return text;
  // Never between the two halves of a surrogate pair (an emoji): ClickHouse refuses a lone half.
  const end = isHighSurrogate(text.charCodeAt(56)) ? 56 : 57;
  return `${text.slice(0, end)}…`;
}

const isHighSurrogate = (code: number): boolean => code >= 0xd800 && code <= 0xdbff;

/**
 * A JSON text can escape half of a surrogate pair alone (`"\ud800"`): JSON.parse takes it, but
 * UTF-8 cannot hold it and ClickHouse refuses the whole insert. Such halves become U+FFFD, the
 * replacement character, as any UTF-8 encoder writes them.
 */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
/** Whether a JSON text may hold an escaped surrogate half; cheap, so that well-formed messages skip the walk. */
export const mayEscapeSurrogates = (json: string): boolean => /\\u[dD][89a-fA-F]/.test(json);

/** The value with every lone surrogate half in its strings (keys included) replaced by U+FFFD. */
export function wellFormed(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(LONE_SURROGATE, '\ufffd');
  if (Array.isArray(value)) return value.map(wellFormed);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, inner]) => [wellFormed(key) as string, wellFormed(inner)]));
  return value;
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

const TWO_DIGITS = Array.from({ length: 100 }, (_, n) => String(n).padStart(2, '0'));
const THREE_DIGITS = Array.from({ length: 1000 }, (_, n) => String(n).padStart(3, '0'));
const DAY_MS = 86_400_000;
/** Years whose instants `isoUtc` writes itself: four digits, as toISOString writes them. */
const ISO_FROM = Date.UTC(1000, 0, 1);
const ISO_TO = Date.UTC(10000, 0, 1);
/** DateTime64's range here: 1900–2299. */
const FIRST_INSTANT = Date.UTC(1900, 0, 1);
const PAST_LAST_INSTANT = Date.UTC(2300, 0, 1);

/**
 * What `new Date(ms).toISOString()` returns, several times faster: the ingest writes a few per
 * message. The civil date from days since the epoch is Howard Hinnant's `civil_from_days`.
 */
export function isoUtc(ms: number): string {
  if (!Number.isInteger(ms) || ms < ISO_FROM || ms >= ISO_TO) return new Date(ms).toISOString();
  const days = Math.floor(ms / DAY_MS);
  const time = ms - days * DAY_MS;
  const shifted = days + 719_468;
  const era = Math.floor(shifted / 146_097);
  const dayOfEra = shifted - era * 146_097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthFromMarch = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * monthFromMarch + 2) / 5) + 1;
  const month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  const hour = Math.floor(time / 3_600_000);
  const minute = Math.floor((time % 3_600_000) / 60_000);
  const second = Math.floor((time % 60_000) / 1000);
  return `${year}-${TWO_DIGITS[month]}-${TWO_DIGITS[day]}T${TWO_DIGITS[hour]}:${TWO_DIGITS[minute]}:${TWO_DIGITS[second]}.${THREE_DIGITS[time % 1000]}Z`;
}

const digitAt = (text: string, at: number): number => {
  const code = text.charCodeAt(at) - 48;
  return code >= 0 && code <= 9 ? code : Number.NaN;
};
const numberAt = (text: string, at: number, length: number): number => {
  let n = 0;
  for (let index = at; index < at + length; index++) n = n * 10 + digitAt(text, index);
  return n;
};
const daysIn = (year: number, month: number): number => (month === 2 ? (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31);

/**
 * The common forms, `YYYY-MM-DDTHH:MM:SS[.mmm](Z|±HH:MM)` with every field in its range, read
 * without Date.parse: the same instant Date.parse finds, or undefined for anything else
 * (another form, a field out of range, a year outside 1900–2299), which takes the full path.
 */
function commonInstant(text: string): string | undefined {
  const length = text.length;
  const fraction = text.charCodeAt(19) === 46 ? 4 : 0;
  const zone = 19 + fraction;
  if ((length !== zone + 1 && length !== zone + 6) || text[4] !== '-' || text[7] !== '-' || text[10] !== 'T' || text[13] !== ':' || text[16] !== ':') return undefined;
  const year = numberAt(text, 0, 4);
  const month = numberAt(text, 5, 2);
  const day = numberAt(text, 8, 2);
  const hour = numberAt(text, 11, 2);
  const minute = numberAt(text, 14, 2);
  const second = numberAt(text, 17, 2);
  const milli = fraction === 0 ? 0 : numberAt(text, 20, 3);
  let offset = 0;
  if (length === zone + 1) {
    if (text[zone] !== 'Z') return undefined;
  } else {
    const sign = text[zone] === '+' ? 1 : text[zone] === '-' ? -1 : 0;
    const offsetHour = numberAt(text, zone + 1, 2);
    const offsetMinute = numberAt(text, zone + 4, 2);
    if (sign === 0 || text[zone + 3] !== ':' || !(offsetHour <= 23 && offsetMinute <= 59)) return undefined;
    offset = sign * (offsetHour * 60 + offsetMinute) * 60_000;
  }
  // NaN (a non-digit) fails every comparison; the years keep Date.UTC off its 0–99 → 1900s rule.
  if (!(year >= 1899 && year <= 2300 && month >= 1 && month <= 12 && day >= 1 && day <= daysIn(year, month) && hour <= 23 && minute <= 59 && second <= 59 && milli >= 0)) return undefined;
  const ms = Date.UTC(year, month - 1, day, hour, minute, second, milli) - offset;
  if (ms < FIRST_INSTANT || ms >= PAST_LAST_INSTANT) return undefined;
  return isoUtc(ms);
}

function datetime(value: unknown): Typed {
  if (typeof value !== 'string') return fail(`not a date and time: ${shown(value)}`);
  const common = commonInstant(value);
  if (common !== undefined) return ok(common);
  const text = value.trim();
  if (!ISO_DATETIME.test(text)) return fail(`not an ISO 8601 date and time with an offset: ${shown(value)}`);
  const ms = Date.parse(text.replace(' ', 'T'));
  if (Number.isNaN(ms)) return fail(`no such date and time: ${shown(value)}`);
  const year = new Date(ms).getUTCFullYear();
  if (year < 1900 || year > 2299) return fail(`outside 1900–2299: ${shown(value)}`);
  // One unambiguous form: UTC with milliseconds, which every input setting parses the same way.
  return ok(isoUtc(ms));
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
