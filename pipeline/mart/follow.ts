import { setTimeout as delay } from 'node:timers/promises';
import type { ClickHouse } from '../clickhouse/clickhouse.js';
import type { Logger } from '../log/logger.js';
import { retryUntilDeadline } from '../system/retry.js';
import { refreshViews, type ViewRefresh } from './refresh.js';

/**
 * What RAW holds, as a value that changes whenever its data does: an insert raises its table's
 * highest block number and row count, a truncate empties both. A background merge changes
 * neither, so it triggers no refresh (counting part names would refresh after every merge).
 */
const RAW_STATE_SQL = `
  SELECT toString(groupBitXor(cityHash64(table, top, total))) AS state
  FROM (SELECT table, max(max_block_number) AS top, sum(rows) AS total FROM system.parts WHERE database = 'piccha_raw' AND active GROUP BY table)`;

async function rawState(clickhouse: ClickHouse): Promise<string> {
  const [row] = await clickhouse.query<{ state: string }>(RAW_STATE_SQL);
  return row?.state ?? '';
}

export interface FollowRefreshOptions {
  /** Refreshed in this order, every one, each time RAW has changed. */
  readonly views: readonly string[];
  /** Pause between looks at RAW while it does not change. */
  readonly pollMs: number;
  /** Give up once ClickHouse or a refresh has been failing this long. */
  readonly deadlineMs: number;
  /** Stops the follower after the refresh in progress. */
  readonly signal: AbortSignal;
  readonly onRefreshed?: (report: readonly ViewRefresh[]) => void;
}

/**
 * Keeps the MART as current as RAW: whenever RAW has changed since the last refresh began, the
 * views are refreshed at once, back to back while data keeps arriving, and not at all while it
 * does not. ClickHouse's own one-minute schedule keeps running; this only makes it sooner.
 * Returns the number of refreshes once `signal` aborts.
 */
export async function followRefresh(clickhouse: ClickHouse, options: FollowRefreshOptions, logger: Logger): Promise<number> {
  let refreshedState: string | undefined;
  let refreshes = 0;
  const cycle = async (): Promise<boolean> => {
    // Read before refreshing: rows landing during the refresh change it again, and are picked up next.
    const state = await rawState(clickhouse);
    if (state === refreshedState) return false;
    const report = await refreshViews(clickhouse, options.views);
    refreshedState = state;
    refreshes += 1;
    options.onRefreshed?.(report);
    return true;
  };
  const policy = { deadlineMs: options.deadlineMs, initialDelayMs: 200, maxDelayMs: 5000 };
  while (!options.signal.aborted) {
    let refreshed: boolean;
    try {
      refreshed = await retryUntilDeadline(cycle, policy, (error, attempt) => logger.warn({ attempt, error: (error as Error).message }, 'refreshing the MART failed; retrying'), () => options.signal.aborted);
    } catch (error) {
      // Asked to stop while failing: a stop, not a failure.
      if (options.signal.aborted) break;
      throw error;
    }
    if (!refreshed) await delay(options.pollMs, undefined, { signal: options.signal }).catch(() => undefined);
  }
  return refreshes;
}
