import { setTimeout as delay } from 'node:timers/promises';
import { refreshViews } from '../mart/refresh.js';
import { reconcile, stillArriving, type Identity } from './reconcile.js';
import { countTopicMessages, measureStages, type StackHandles, type StageCounts } from './stage-counts.js';

export interface MartState {
  readonly counts: StageCounts;
  readonly identities: Identity[];
  /** Refreshes it took until the figures stopped changing. */
  readonly refreshes: number;
}

/**
 * Refreshes the MART (every view, in dependency order) and counts every stage, again while
 * messages are still on their way into RAW, until everything that reached MongoDB is judged in
 * MART or `deadlineMs` has passed. The figures returned are those of the last refresh. Called once
 * every producer of the stack is done.
 */
export async function refreshUntilComplete(stack: StackHandles, views: readonly string[], deadlineMs: number): Promise<MartState> {
  const deadline = Date.now() + deadlineMs;
  // The producers are done: what the topics hold no longer changes, while RAW may still catch up.
  const onTopics = await countTopicMessages(stack);
  for (let refreshes = 1; ; refreshes++) {
    await refreshViews(stack.clickhouse, views);
    const counts = await measureStages(stack, onTopics);
    if (!stillArriving(counts) || Date.now() >= deadline) return { counts, identities: reconcile(counts), refreshes };
    await delay(1000);
  }
}
