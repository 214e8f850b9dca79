import { setTimeout as sleep } from 'node:timers/promises';

export interface RetryPolicy {
  /** Give up once the operation has failed for this long. */
  readonly deadlineMs: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
}

export class DeadlineExceeded extends Error {}

/**
 * Runs `attempt` until it succeeds, waiting longer after each failure (doubling, up to
 * maxDelayMs); once failures have lasted deadlineMs, throws DeadlineExceeded with the last
 * error as its cause. `shouldStop` lets the caller abandon between attempts.
 */
export async function retryUntilDeadline<T>(
  attempt: () => Promise<T>,
  policy: RetryPolicy,
  onFailure: (error: unknown, attempt: number) => void,
  shouldStop: () => boolean = () => false,
): Promise<T> {
  let firstFailure: number | undefined;
  let delay = policy.initialDelayMs;
  for (let count = 1; ; count++) {
    try {
      return await attempt();
    } catch (error) {
      firstFailure ??= Date.now();
      onFailure(error, count);
      if (Date.now() - firstFailure >= policy.deadlineMs || shouldStop()) {
        throw new DeadlineExceeded(`failing for ${Math.round((Date.now() - firstFailure) / 1000)} s: ${(error as Error).message}`, { cause: error });
      }
      await sleep(Math.min(delay, Math.max(0, firstFailure + policy.deadlineMs - Date.now())));
      delay = Math.min(delay * 2, policy.maxDelayMs);
    }
  }
}
