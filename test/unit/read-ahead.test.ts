import { describe, expect, it } from 'vitest';
import { readAhead } from '../../pipeline/system/read-ahead.js';

/** A source of 0..count-1 that records how far it was read and can fail at one item. */
function source(count: number, options: { failAt?: number } = {}) {
  const state = { pulled: 0, inFlight: 0, maxInFlight: 0 };
  const iterator: AsyncIterator<number> = {
    async next() {
      state.inFlight += 1;
      state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      state.inFlight -= 1;
      if (state.pulled === options.failAt) throw new Error(`source failed at ${state.pulled}`);
      if (state.pulled >= count) return { done: true, value: undefined };
      state.pulled += 1;
      return { done: false, value: state.pulled - 1 };
    },
  };
  return { iterator, state };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('readAhead', () => {
  it('yields every item in the source order', async () => {
    const { iterator } = source(25);
    const seen: number[] = [];
    for await (const item of readAhead(iterator, 4)) seen.push(item);
    expect(seen).toEqual(Array.from({ length: 25 }, (_, index) => index));
  });

  it('reads ahead while the consumer works, but never more than the limit', async () => {
    const { iterator, state } = source(100);
    const consumedWhenPulled: number[] = [];
    let consumed = 0;
    for await (const item of readAhead(iterator, 5)) {
      expect(item).toBe(consumed);
      // The consumer is busy for a while: the reader fills the buffer meanwhile.
      for (let i = 0; i < 20; i++) await tick();
      consumed += 1;
      consumedWhenPulled.push(state.pulled - consumed);
    }
    // At most the limit held, plus the one the consumer holds; and it did read ahead.
    expect(Math.max(...consumedWhenPulled)).toBeLessThanOrEqual(5 + 1);
    expect(Math.max(...consumedWhenPulled)).toBeGreaterThanOrEqual(5);
    expect(state.maxInFlight).toBe(1);
  });

  it("throws the source's error after the items read before it", async () => {
    const { iterator } = source(10, { failAt: 3 });
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const item of readAhead(iterator, 8)) seen.push(item);
      })(),
    ).rejects.toThrow('source failed at 3');
    expect(seen).toEqual([0, 1, 2]);
  });

  it('stops reading when the consumer leaves early, with no read still in flight', async () => {
    const { iterator, state } = source(1000);
    for await (const item of readAhead(iterator, 3)) {
      if (item === 2) break;
    }
    expect(state.inFlight).toBe(0);
    const pulledAtExit = state.pulled;
    for (let i = 0; i < 20; i++) await tick();
    expect(state.pulled).toBe(pulledAtExit);
    expect(pulledAtExit).toBeLessThanOrEqual(3 + 3);
  });

  it('refuses a limit that is not a positive whole number', async () => {
    await expect(readAhead(source(1).iterator, 0).next()).rejects.toThrow('read-ahead limit must be a positive whole number, got 0');
  });
});
