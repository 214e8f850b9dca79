import { duplicatesLog, rejectedRows } from '../marts.js';
import { DUPLICATES_PANEL_ID, FRESHNESS_SQL, QUALITY_DASHBOARD_UID } from '../quality/dashboard.js';
import { THRESHOLDS } from '../thresholds.js';

export type NoDataState = 'OK' | 'Alerting' | 'NoData' | 'KeepLast';
export type ExecErrState = 'OK' | 'Alerting' | 'Error' | 'KeepLast';

/**
 * One alert rule, read by the Grafana provisioning build and by `piccha alerts check` alike.
 * The query returns one row per alert instance: a numeric `value` column and string columns,
 * which become the instance's labels (Grafana's "alerting on numeric data").
 */
export interface AlertRuleSpec {
  readonly uid: string;
  readonly title: string;
  readonly sql: string;
  /** How far back `$__timeFilter` reaches when the rule is evaluated, in seconds. */
  readonly lookbackSeconds: number;
  /** Fires while `value` is strictly above this. */
  readonly above: number;
  /** How long the condition must hold before the rule fires (Grafana's pending period), in seconds. */
  readonly pendingSeconds: number;
  readonly noDataState: NoDataState;
  readonly execErrState: ExecErrState;
  readonly severity: 'critical' | 'warning';
  /**
   * The line sent for one instance, Russian: `{{label}}` for a label of the query, `{{value}}`
   * for its value (one decimal), `{{threshold}}` for the threshold. Turned into a Grafana
   * annotation template and rendered the same way by the evaluator.
   */
  readonly summary: string;
  readonly dashboardUid: string;
  readonly panelId: number;
}

export const RULE_GROUP = { name: 'piccha-data-quality', folder: 'Пикча', intervalSeconds: 60 } as const;

const d = duplicatesLog.c;
const r = rejectedRows.c;

/** The seed's rule, per entity: the newest duplicate_percentage of each entity above the threshold. */
export const duplicatesRule: AlertRuleSpec = {
  uid: 'piccha-duplicates-above-50',
  title: `Дубликаты > ${THRESHOLDS.duplicatePercent}%`,
  sql:
    `SELECT toString(${d.entity}) AS entity, ` +
    // The window's length, not its bounds: a label that changed every refresh would make a new alert each time.
    `concat(toString(argMax(dateDiff('hour', ${d.window_start}, ${d.window_end}), ${d.timestamp})), ' ч') AS window, ` +
    `toFloat64(argMax(${d.duplicate_percentage}, ${d.timestamp})) AS value ` +
    `FROM ${duplicatesLog.name} GROUP BY entity ORDER BY entity`,
  lookbackSeconds: 3600,
  above: THRESHOLDS.duplicatePercent,
  pendingSeconds: 120,
  // No log rows means no check has run yet: the freshness rule covers a stalled pipeline.
  noDataState: 'OK',
  execErrState: 'Error',
  severity: 'critical',
  summary: '{{entity}}: дубликатов {{value}}% (порог {{threshold}}%), окно {{window}}',
  dashboardUid: QUALITY_DASHBOARD_UID,
  panelId: DUPLICATES_PANEL_ID,
};

export const freshnessRule: AlertRuleSpec = {
  uid: 'piccha-purchases-stale',
  title: 'Покупки не поступают',
  sql: `SELECT toFloat64("Минут") AS value FROM (${FRESHNESS_SQL})`,
  lookbackSeconds: 3600,
  above: THRESHOLDS.freshnessMinutes,
  pendingSeconds: 300,
  // An empty MART is as stale as it gets.
  noDataState: 'Alerting',
  execErrState: 'Error',
  severity: 'warning',
  summary: 'последняя покупка пришла {{value}} мин назад (порог {{threshold}} мин)',
  dashboardUid: QUALITY_DASHBOARD_UID,
  panelId: 3,
};

export const rejectedRowsRule: AlertRuleSpec = {
  uid: 'piccha-rejected-rows',
  title: 'Много отклонённых строк',
  sql:
    `SELECT toString(${r.entity}) AS entity, toFloat64(count()) AS value FROM ${rejectedRows.name} ` +
    `WHERE $__timeFilter(${r.ingested_at}) GROUP BY entity ORDER BY entity`,
  lookbackSeconds: 3600,
  above: THRESHOLDS.rejectedRowsPerHour,
  pendingSeconds: 60,
  // No rejected rows in the hour: nothing to report.
  noDataState: 'OK',
  execErrState: 'Error',
  severity: 'warning',
  summary: '{{entity}}: отклонено {{value}} строк за час (порог {{threshold}})',
  dashboardUid: QUALITY_DASHBOARD_UID,
  panelId: 5,
};

export const ALERT_RULES: readonly AlertRuleSpec[] = [duplicatesRule, freshnessRule, rejectedRowsRule];

/** Grafana's duration text for a number of seconds: 0s, 2m, 1h. */
export function durationText(seconds: number): string {
  if (seconds % 3600 === 0 && seconds > 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0 && seconds > 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}
