import { UserError } from '../errors/user-error.js';

/**
 * A commander parser for a whole-number flag, with a message naming the flag and the bounds.
 * Only plain digits, so that `1e23`, `0x10` or `12.0` are refused rather than reinterpreted, and
 * a bound, so that a typo of a few zeros is refused rather than run for days.
 */
export function wholeNumber(flag: string, min = 0, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const n = /^\d{1,16}$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new UserError(`${flag} takes a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`);
    return n;
  };
}
