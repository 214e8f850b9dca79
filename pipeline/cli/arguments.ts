import { UserError } from '../errors/user-error.js';

/** A commander parser for a whole-number flag, with a message naming the flag and the bound. */
export function wholeNumber(flag: string, min = 0, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max) throw new UserError(`${flag} takes a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`);
    return n;
  };
}
