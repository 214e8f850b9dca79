import { renderMessage } from '../../dashboards/alerting/message.js';
import type { AlertRuleSpec } from '../../dashboards/alerting/rules.js';
import type { ClickHouse } from '../clickhouse/clickhouse.js';
import type { Logger } from '../log/logger.js';
import { evaluateRule } from './evaluate.js';
import type { AlertStateFile, PendingNotification } from './state.js';
import { transition } from './transition.js';

/** Where notifications go: Telegram, or standard output when no bot token is configured. */
export interface Notifier {
  send(text: string): Promise<void>;
  /** Where what it sends goes, for people: "sent to Telegram", "printed here (…)". */
  readonly destination: string;
}

export interface CheckOptions {
  readonly clickhouse: ClickHouse;
  readonly rules: readonly AlertRuleSpec[];
  readonly state: AlertStateFile;
  readonly notifier: Notifier;
  readonly now: Date;
  /** Grafana's address, for the dashboard link in messages. */
  readonly grafanaUrl: string;
  readonly logger: Logger;
}

export interface RuleOutcome {
  readonly uid: string;
  readonly title: string;
  readonly firing: number;
  readonly pending: number;
  readonly error?: string;
}

export interface CheckReport {
  readonly rules: RuleOutcome[];
  readonly sent: number;
  readonly undelivered: number;
  /** Why the first undelivered message was not delivered. */
  readonly deliveryError?: string;
}

/**
 * One evaluation of every rule. Decisions are written to the state file (with their messages in an
 * outbox) before anything is sent, and each message leaves the outbox once Telegram took it: a
 * crash or restart neither loses a message nor re-sends one that was delivered (a crash between
 * Telegram's reply and the state write may send that one message again).
 */
export async function runCheck(options: CheckOptions): Promise<CheckReport> {
  const state = options.state.read();
  const outcomes: RuleOutcome[] = [];
  for (const rule of options.rules) {
    let rows;
    try {
      rows = await evaluateRule(options.clickhouse, rule, options.now);
    } catch (error) {
      // execErrState: the previous states stay as they were, and the run reports the error.
      const message = error instanceof Error ? error.message.split('\n')[0] ?? '' : String(error);
      options.logger.error({ rule: rule.uid }, `rule ${rule.uid} could not be evaluated: ${message}`);
      const previous = Object.values(state.rules[rule.uid] ?? {});
      outcomes.push({ uid: rule.uid, title: rule.title, firing: previous.filter((i) => i.status === 'firing').length, pending: previous.filter((i) => i.status === 'pending').length, error: message });
      continue;
    }
    const step = transition(rule, state.rules[rule.uid] ?? {}, rows, options.now);
    state.rules[rule.uid] = step.next;
    const link = `${options.grafanaUrl.replace(/\/+$/, '')}/d/${rule.dashboardUid}?viewPanel=${rule.panelId}`;
    const decided = (kind: PendingNotification['kind'], instances: typeof step.fired): PendingNotification => ({ ruleUid: rule.uid, kind, text: renderMessage(rule, kind, instances, link), decidedAt: options.now.toISOString() });
    if (step.fired.length > 0) state.outbox.push(decided('firing', step.fired));
    if (step.resolved.length > 0) state.outbox.push(decided('resolved', step.resolved));
    const instances = Object.values(step.next);
    outcomes.push({ uid: rule.uid, title: rule.title, firing: instances.filter((i) => i.status === 'firing').length, pending: instances.filter((i) => i.status === 'pending').length });
  }
  options.state.write(state);

  let sent = 0;
  let deliveryError: string | undefined;
  while (state.outbox.length > 0) {
    const [next] = state.outbox;
    if (next === undefined) break;
    try {
      await options.notifier.send(next.text);
    } catch (error) {
      deliveryError = error instanceof Error ? error.message : String(error);
      options.logger.error({ rule: next.ruleUid }, deliveryError);
      break;
    }
    state.outbox.shift();
    options.state.write(state);
    sent++;
  }
  return { rules: outcomes, sent, undelivered: state.outbox.length, ...(deliveryError === undefined ? {} : { deliveryError }) };
}
