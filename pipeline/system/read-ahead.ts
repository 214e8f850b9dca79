/**
 * Reads `source` ahead of its consumer, holding at most `limit` items, so that fetching the next
 * items (a MongoDB getMore: the server decodes while we work) overlaps the consumer's own work
 * instead of waiting for it. Items come out in the source's order; the source's error comes out
 * where its item would have. Ending the loop early (break, throw) stops the reading before it
 * returns, so the source can be closed after it.
 */
export async function* readAhead<T>(source: AsyncIterator<T>, limit: number): AsyncGenerator<T, void, undefined> {
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`read-ahead limit must be a positive whole number, got ${limit}`);
  const buffered: T[] = [];
  let ended = false;
  let failure: { error: unknown } | undefined;
  let stopping = false;
  // Wakes whichever side waits: the consumer for an item, the reader for room.
  let wake: (() => void) | undefined;
  const signal = () => {
    const waiting = wake;
    wake = undefined;
    waiting?.();
  };
  const waitForSignal = () => new Promise<void>((resolve) => (wake = resolve));

  const reading = (async () => {
    try {
      while (!stopping) {
        if (buffered.length >= limit) {
          await waitForSignal();
          continue;
        }
        const next = await source.next();
        if (next.done === true) break;
        buffered.push(next.value);
        signal();
      }
    } catch (error) {
      failure = { error };
    } finally {
      ended = true;
      signal();
    }
  })();

  try {
    for (;;) {
      if (buffered.length > 0) {
        const item = buffered.shift() as T;
        signal();
        yield item;
        continue;
      }
      if (ended) {
        if (failure !== undefined) throw failure.error;
        return;
      }
      await waitForSignal();
    }
  } finally {
    stopping = true;
    signal();
    await reading;
  }
}
