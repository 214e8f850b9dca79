import { STORE_UTC_OFFSET_HOURS } from './catalog.js';

const OFFSET_MS = STORE_UTC_OFFSET_HOURS * 3_600_000;
const SUFFIX = `+${String(STORE_UTC_OFFSET_HOURS).padStart(2, '0')}:00`;

/** An instant written in the stores' local time with its offset: 2026-11-20T14:35:12+03:00. */
export function toLocalIso(instantMs: number): string {
  return `${new Date(instantMs + OFFSET_MS).toISOString().slice(0, 19)}${SUFFIX}`;
}

/** A calendar date in the stores' local time: 2026-11-20. */
export function toLocalDate(instantMs: number): string {
  return new Date(instantMs + OFFSET_MS).toISOString().slice(0, 10);
}

/** Midnight, local time, of the day holding the instant, as an instant. */
export function localMidnight(instantMs: number): number {
  const local = instantMs + OFFSET_MS;
  return local - (((local % 86_400_000) + 86_400_000) % 86_400_000) - OFFSET_MS;
}

/** Day of the week (0 = Sunday) in local time. */
export function localWeekday(instantMs: number): number {
  return new Date(instantMs + OFFSET_MS).getUTCDay();
}
