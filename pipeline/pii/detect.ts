import type { PiiKind } from './normalize.js';

const EMAIL_ANYWHERE = /[^\s@"'<>()]+@[^\s@"'<>()]+\.[^\s@"'<>()]{2,}/;
/** A run of digits with the separators people type in phone numbers. */
const PHONE_LIKE_RUNS = /\+?\d[\d\s().-]*\d/g;

const MIN_PHONE_DIGITS = 10;

/** Whether the text holds at least `count` digits: most values hold far fewer, and this is cheaper than the runs' pattern. */
function hasDigits(text: string, count: number): boolean {
  let found = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code >= 48 && code <= 57 && ++found >= count) return true;
  }
  return false;
}

/**
 * Whether a value found outside the policy's fields looks personal: an email anywhere in the
 * text, or anywhere in it a run of 10 to 15 digits with the separators people type in phone
 * numbers. Whole numbers of that many digits count too: a phone typed as a number.
 */
export function looksLikePii(value: unknown): PiiKind | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && Math.abs(value) >= 1e9 && Math.abs(value) < 1e15 ? 'phone' : undefined;
  if (typeof value !== 'string') return undefined;
  // The cheap test first: most values hold no @ at all.
  if (value.includes('@') && EMAIL_ANYWHERE.test(value)) return 'email';
  if (!hasDigits(value, MIN_PHONE_DIGITS)) return undefined;
  for (const run of value.match(PHONE_LIKE_RUNS) ?? []) {
    const digits = run.replace(/\D/g, '').length;
    if (digits >= MIN_PHONE_DIGITS && digits <= 15) return 'phone';
  }
  return undefined;
}
