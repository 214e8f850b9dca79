import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Command } from 'commander';
import { ALERT_RULES, RULE_GROUP } from '../../../dashboards/alerting/rules.js';
import { runCheck, type CheckReport } from '../../alerts/check.js';
import { AlertStateFile } from '../../alerts/state.js';
import { notifierFor } from '../../alerts/notifiers.js';
import { openClickHouse } from '../../clickhouse/connect.js';
import { UserError } from '../../errors/user-error.js';
import { refuseWithout, wholeNumber } from '../arguments.js';
import { commandContext } from '../context.js';

function printReport(report: CheckReport, at: Date): void {
  for (const rule of report.rules) {
    const state = rule.error !== undefined ? 'error' : rule.firing > 0 ? 'firing' : rule.pending > 0 ? 'pending' : 'ok';
    const detail = rule.error ?? `${rule.firing} firing, ${rule.pending} pending`;
    process.stdout.write(`${at.toISOString()}  ${state.padEnd(7)}  ${rule.title}  (${detail})\n`);
  }
  if (report.sent > 0) process.stdout.write(`${report.sent} notification(s) delivered\n`);
}

function failure(report: CheckReport): string | undefined {
  if (report.deliveryError !== undefined) return `${report.undelivered} notification(s) not delivered, kept for the next check: ${report.deliveryError}`;
  const failed = report.rules.filter((rule) => rule.error !== undefined);
  if (failed.length > 0) return `${failed.length} rule(s) could not be evaluated: ${failed.map((rule) => rule.uid).join(', ')}`;
  return undefined;
}

export function alertsCommand(): Command {
  const check = new Command('check')
    .description('evaluate the alert rules on ClickHouse and notify Telegram of each change (firing once, resolved once)')
    .option('--watch', 'keep evaluating every interval until interrupted')
    .option('--interval <seconds>', 'seconds between evaluations with --watch', wholeNumber('--interval', 1), RULE_GROUP.intervalSeconds)
    .action(async (options: { watch?: boolean; interval: number }, command: Command) => {
      refuseWithout(command, '--watch', ['--interval']);
      const { config, logger } = commandContext();
      const notifier = notifierFor(config);
      const state = new AlertStateFile(join(config.stateDir, 'alerts', 'state.json'));
      const unlock = state.lock();
      let clickhouse;
      try {
        clickhouse = openClickHouse(config.clickhouse);
      } catch (error) {
        unlock();
        throw error;
      }
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        for (;;) {
          const now = new Date();
          const report = await runCheck({ clickhouse, rules: ALERT_RULES, state, notifier, now, grafanaUrl: config.grafanaUrl, logger });
          printReport(report, now);
          const problem = failure(report);
          if (!options.watch) {
            if (problem !== undefined) throw new UserError(problem);
            return;
          }
          if (problem !== undefined) process.stderr.write(`piccha: ${problem}\n`);
          if (report.deliveryError?.includes('401')) throw new UserError(report.deliveryError);
          await delay(options.interval * 1000, undefined, { signal: stop.signal }).catch(() => undefined);
          if (stop.signal.aborted) return;
        }
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        await clickhouse.close();
        unlock();
      }
    });
  return new Command('alerts').description('the alert rules, evaluated without Grafana').addCommand(check);
}
