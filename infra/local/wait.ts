import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitOptions {
  readonly what: string;
  readonly timeoutMs: number;
  readonly intervalMs?: number;
  /** Stops waiting early when the process being waited for has died. */
  readonly stillRunning?: () => boolean;
}

/** Calls `probe` until it succeeds, returning its result, or fails with the last error. */
export async function waitUntil<T>(probe: () => Promise<T>, options: WaitOptions): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      return await probe();
    } catch (error) {
      lastError = error;
    }
    if (options.stillRunning && !options.stillRunning()) {
      throw new Error(`${options.what} exited before it answered`, { cause: lastError });
    }
    if (Date.now() > deadline) {
      const reason = lastError instanceof Error ? lastError.message : String(lastError);
      throw new Error(`${options.what} did not answer within ${Math.round(options.timeoutMs / 1000)} s: ${reason}`, { cause: lastError });
    }
    await sleep(options.intervalMs ?? 250);
  }
}
