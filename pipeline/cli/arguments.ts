import { UserError } from '../errors/user-error.js';

/** A commander parser for a whole-number flag, with a message naming the flag and the bound. */
export function wholeNumber(flag: string, min = 0): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min) throw new UserError(`${flag} takes a whole number ≥ ${min}, got ${JSON.stringify(value)}`);
    return n;
  };
}
