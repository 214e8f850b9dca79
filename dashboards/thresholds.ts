/**
 * Every alert threshold, written once: the rules Grafana loads, the threshold lines drawn on
 * the quality dashboard and `piccha alerts check` all read these.
 */
export const THRESHOLDS = {
  /** The seed's rule: the newest duplicate percentage of an entity above 50 fires. */
  duplicatePercent: 50,
  /** Minutes since the newest purchase reached the MART before the data counts as stale. */
  freshnessMinutes: 60,
  /** Rejected rows in the last hour above which someone should look at the input. */
  rejectedRowsPerHour: 100,
} as const;
