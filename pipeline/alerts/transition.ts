import type { AlertRuleSpec } from '../../dashboards/alerting/rules.js';
import type { InstanceState } from './state.js';

export interface Instance {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number | null;
}

export interface Transition {
  readonly next: Record<string, InstanceState>;
  readonly fired: Instance[];
  readonly resolved: Instance[];
}

/** An instance's identity: its labels, in a stable order. */
export function instanceKey(labels: Readonly<Record<string, string>>): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * One evaluation of a rule, as Grafana's state machine does it: a breaching instance is pending
 * until the condition held for the pending period, then fires once; it resolves once when it
 * stops breaching or disappears. With no rows, `noDataState` decides: OK resolves everything,
 * Alerting treats the rule as one breaching instance without labels, NoData and KeepLast keep the
 * previous states.
 */
export function transition(rule: AlertRuleSpec, previous: Readonly<Record<string, InstanceState>>, rows: readonly Instance[], now: Date): Transition {
  if (rows.length === 0 && (rule.noDataState === 'NoData' || rule.noDataState === 'KeepLast')) return { next: { ...previous }, fired: [], resolved: [] };
  const current = rows.length === 0 && rule.noDataState === 'Alerting' ? [{ labels: {}, value: null }] : rows;
  const next: Record<string, InstanceState> = {};
  const fired: Instance[] = [];
  const resolved: Instance[] = [];
  for (const instance of current) {
    const breaching = instance.value === null || instance.value > rule.above;
    const key = instanceKey(instance.labels);
    const before = previous[key];
    if (!breaching) continue;
    const since = before?.since ?? now.toISOString();
    const heldSeconds = (now.getTime() - Date.parse(since)) / 1000;
    const status = before?.status === 'firing' || heldSeconds >= rule.pendingSeconds ? 'firing' : 'pending';
    if (status === 'firing' && before?.status !== 'firing') fired.push(instance);
    next[key] = { status, since, labels: instance.labels, value: instance.value };
  }
  for (const [key, before] of Object.entries(previous)) {
    if (next[key] === undefined && before.status === 'firing') {
      const now = current.find((instance) => instanceKey(instance.labels) === key);
      resolved.push({ labels: before.labels, value: now?.value ?? before.value });
    }
  }
  return { next, fired, resolved };
}
