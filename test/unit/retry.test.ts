import { describe, expect, it } from 'vitest';
import { DeadlineExceeded, retryUntilDeadline } from '../../pipeline/system/retry.js';

describe('retryUntilDeadline', () => {
  it('retries until the operation succeeds', async () => {
    let calls = 0;
    const failures: number[] = [];
    const value = await retryUntilDeadline(
      () => (++calls < 3 ? Promise.reject(new Error(`down ${calls}`)) : Promise.resolve('up')),
      { deadlineMs: 5000, initialDelayMs: 1, maxDelayMs: 2 },
      (_error, attempt) => failures.push(attempt),
    );
    expect(value).toBe('up');
    expect(failures).toEqual([1, 2]);
  });

  it('gives up once failures have lasted the deadline, keeping the last error', async () => {
    const started = Date.now();
    const failing = retryUntilDeadline(() => Promise.reject(new Error('connection refused')), { deadlineMs: 100, initialDelayMs: 10, maxDelayMs: 20 }, () => undefined);
    await expect(failing).rejects.toThrow(DeadlineExceeded);
    await expect(failing).rejects.toThrow(/connection refused/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
  });

  it('stops early when told to', async () => {
    let calls = 0;
    await expect(retryUntilDeadline(() => Promise.reject(new Error(`no ${++calls}`)), { deadlineMs: 60_000, initialDelayMs: 1, maxDelayMs: 1 }, () => undefined, () => calls >= 2)).rejects.toThrow(/no 2/);
  });
});
