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
      firstFailure ??= performance.now();
      onFailure(error, count);
      if (performance.now() - firstFailure >= policy.deadlineMs || shouldStop()) {
        throw new DeadlineExceeded(`failing for ${Math.round((performance.now() - firstFailure) / 1000)} s: ${(error as Error).message}`, { cause: error });
      }
      await sleep(Math.min(delay, Math.max(0, firstFailure + policy.deadlineMs - performance.now())));
      delay = Math.min(delay * 2, policy.maxDelayMs);
    }
  }
}
