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
 * Refuses flags that mean something only beside `companion` (`--follow`, `--watch`, `--out`) when they are
 * given on the command line without it: ignoring them without a word would let a user believe
 * that, say, a deadline is in force.
 */
export function refuseWithout(command: Command, companion: string, flags: readonly string[]): void {
  const optionNamed = (flag: string) => {
    const option = command.options.find((candidate) => candidate.long === flag);
    if (option === undefined) throw new Error(`${command.name()} has no ${flag} option`);
    return option;
  };
  const options = flags.map(optionNamed);
  // A switch (`--follow`) or an option with a value (`--out DIR`).
  const companionValue: unknown = command.getOptionValue(optionNamed(companion).attributeName());
  if (companionValue !== undefined && companionValue !== false) return;
  const given = options.filter((option) => command.getOptionValueSource(option.attributeName()) === 'cli').map((option) => option.long);
  if (given.length === 0) return;
  const names = given.length === 1 ? given[0] : `${given.slice(0, -1).join(', ')} and ${given.at(-1)}`;
  throw new UserError(`${names} ${given.length === 1 ? 'applies' : 'apply'} only with ${companion}`);
}
