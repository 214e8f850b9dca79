import type { Command } from 'commander';
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

/**
 * Refuses flags that mean something only beside `companion` (`--follow`, `--watch`) when it is
 * absent: ignoring them without a word would let a user believe that, say, a deadline is in force.
 */
export function refuseWithout(command: Command, companion: string, flags: readonly string[]): void {
  const companionOption = command.options.find((option) => option.long === companion);
  if (companionOption === undefined) throw new Error(`${command.name()} has no ${companion} option`);
  if (command.getOptionValue(companionOption.attributeName()) === true) return;
  const given = command.options.filter((option) => option.long !== undefined && flags.includes(option.long) && !['default', undefined].includes(command.getOptionValueSource(option.attributeName())));
  if (given.length === 0) return;
  const names = given.map((option) => option.long);
  throw new UserError(`${names.join(' and ')} ${names.length === 1 ? 'applies' : 'apply'} only with ${companion}`);
}
