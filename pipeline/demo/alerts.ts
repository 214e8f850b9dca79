import { setTimeout as delay } from 'node:timers/promises';
import { ALERT_RULES } from '../../dashboards/alerting/rules.js';
import { runCheck, type Notifier, type RuleOutcome } from '../alerts/check.js';
import type { AlertStateFile } from '../alerts/state.js';
import type { ClickHouse } from '../clickhouse/clickhouse.js';
import { UserError } from '../errors/user-error.js';
import type { Logger } from '../log/logger.js';

export interface AlertRound {
  readonly rules: RuleOutcome[];
  /** Notifications delivered in this round. */
  readonly sent: number;
}

export interface AlertOptions {
  readonly clickhouse: ClickHouse;
  readonly state: AlertStateFile;
  readonly notifier: Notifier;
  readonly grafanaUrl: string;
  readonly logger: Logger;
  /** Wait while a rule is pending, until each pending instance fires or recovers, as Grafana would decide. */
  readonly waitPending: boolean;
  readonly onWaiting?: (text: string) => void;
  readonly signal?: AbortSignal;
}

/** When the first pending instance's pending period ends, in ms since the epoch; undefined when none is pending. */
function nextDecision(state: AlertStateFile): number | undefined {
  const { rules } = state.read();
  let next: number | undefined;
  for (const rule of ALERT_RULES) {
    for (const instance of Object.values(rules[rule.uid] ?? {})) {
      if (instance.status !== 'pending') continue;
      const due = Date.parse(instance.since) + rule.pendingSeconds * 1000;
      next = next === undefined ? due : Math.min(next, due);
    }
  }
  return next;
}

/**
 * Evaluates the alert rules as `piccha alerts check` does (same rules, state file and
 * notifications). A breaching rule is only pending at first: with `waitPending`, it is
 * evaluated again when its pending period has passed, so that the run ends with each rule
 * firing or OK, never pending.
 */
export async function evaluateAlerts(options: AlertOptions): Promise<AlertRound> {
  let sent = 0;
  for (;;) {
    const report = await runCheck({ clickhouse: options.clickhouse, rules: ALERT_RULES, state: options.state, notifier: options.notifier, now: new Date(), grafanaUrl: options.grafanaUrl, logger: options.logger });
    sent += report.sent;
    if (report.deliveryError !== undefined) throw new UserError(`${report.undelivered} alert notification(s) not delivered, kept for the next check: ${report.deliveryError}`);
    const due = options.waitPending ? nextDecision(options.state) : undefined;
    if (due === undefined || options.signal?.aborted === true) return { rules: report.rules, sent };
    const pending = report.rules.filter((rule) => rule.pending > 0).map((rule) => rule.title);
    const waitMs = Math.max(0, due - Date.now()) + 1000;
    options.onWaiting?.(`${pending.join(', ')}: pending; evaluating again in ${Math.ceil(waitMs / 1000)} s, when the pending period has passed (as Grafana does)`);
    await delay(waitMs, undefined, { signal: options.signal }).catch(() => undefined);
  }
}
