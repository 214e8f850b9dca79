import type { AlertRuleSpec } from '../../dashboards/alerting/rules.js';
import { RULE_GROUP } from '../../dashboards/alerting/rules.js';
import { expandMacros } from '../../dashboards/query/macros.js';
import type { ClickHouse } from '../clickhouse/clickhouse.js';
import type { Instance } from './transition.js';

/** Runs a rule's query as Grafana would (macros expanded over its look-back) and reads its instances. */
export async function evaluateRule(clickhouse: ClickHouse, rule: AlertRuleSpec, now: Date): Promise<Instance[]> {
  const sql = expandMacros(rule.sql, { from: new Date(now.getTime() - rule.lookbackSeconds * 1000), to: now, intervalMs: RULE_GROUP.intervalSeconds * 1000 });
  const rows = await clickhouse.query(sql);
  return rows.map((row) => {
    const labels: Record<string, string> = {};
    let value: number | null = null;
    for (const [column, cell] of Object.entries(row)) {
      if (column === 'value') value = cell === null ? null : Number(cell);
      else labels[column] = String(cell);
    }
    if (value !== null && !Number.isFinite(value)) value = null;
    return { labels, value };
  });
}
