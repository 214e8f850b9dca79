import { Command } from 'commander';
import { openClickHouse } from '../../clickhouse/connect.js';
import { defaultMigrationsDir, readMigrations } from '../../clickhouse/migrations.js';
import { UserError } from '../../errors/user-error.js';
import { followRefresh } from '../../mart/follow.js';
import { appendingViews, refreshableViews, refreshViews } from '../../mart/refresh.js';
import { DeadlineExceeded } from '../../system/retry.js';
import { refuseWithout, wholeNumber } from '../arguments.js';
import { commandContext } from '../context.js';
import { interruptible } from '../interrupt.js';
import { formatRows } from '../output.js';

/** After SIGINT or SIGTERM, `--follow` waits for the refresh in progress (ClickHouse finishes it regardless); a second signal exits at once. */
const FOLLOW_STOP_GRACE_MS = 120_000;

interface RefreshFlags {
  dir: string;
  only?: string[];
  follow?: boolean;
  pollMs: number;
  deadlineMs: number;
}

export function refreshCommand(): Command {
  return new Command('refresh')
    .description('recompute the staging → MART views now, in dependency order, and wait for them (ClickHouse also runs them every minute)')
    .option('-d, --dir <path>', 'the migrations folder that creates the views', defaultMigrationsDir())
    .option('--only <views...>', 'refresh only these views (database.name), in the order given')
    .option('--follow', 'keep refreshing whenever RAW has changed, until SIGINT or SIGTERM: the MART follows the ingest within a refresh; without --only, every view but the logs (APPEND), which keep their one-minute schedule')
    .option('--poll-ms <n>', 'with --follow: pause between looks at RAW while it does not change (10–60000)', wholeNumber('--poll-ms', 10, 60_000), 200)
    .option('--deadline-ms <n>', 'with --follow: give up (exit non-zero) once ClickHouse or a refresh has been failing this long', wholeNumber('--deadline-ms', 1), 120_000)
    .action(async (flags: RefreshFlags, command: Command) => {
      refuseWithout(command, '--follow', ['--poll-ms', '--deadline-ms']);
      const { config, logger } = commandContext();
      const known = refreshableViews(readMigrations(flags.dir));
      const unknown = (flags.only ?? []).filter((view) => !known.includes(view));
      if (unknown.length > 0) throw new UserError(`not a refreshable view of the migrations: ${unknown.join(', ')}; known: ${known.join(', ')}`);
      const clickhouse = openClickHouse(config.clickhouse);
      try {
        if (flags.follow !== true) {
          const report = await refreshViews(clickhouse, flags.only ?? known);
          const rows = report.map(({ view, milliseconds, rows: written }) => ({ view, rows: written, seconds: (milliseconds / 1000).toFixed(2) }));
          process.stdout.write(formatRows(rows, 'table'));
          return;
        }
        // A log appended to on every refresh would gain a row a second under a steady stream.
        const logs = flags.only === undefined ? await appendingViews(clickhouse, known) : [];
        const views = flags.only ?? known.filter((view) => !logs.includes(view));
        const interruption = interruptible('refresh --follow', FOLLOW_STOP_GRACE_MS);
        try {
          const started = performance.now();
          const refreshes = await followRefresh(
            clickhouse,
            {
              views,
              pollMs: flags.pollMs,
              deadlineMs: flags.deadlineMs,
              signal: interruption.signal,
              onRefreshed: (report) => logger.debug({ views: report.length, ms: Math.round(report.reduce((sum, view) => sum + view.milliseconds, 0)) }, 'refreshed'),
            },
            logger,
          );
          process.stdout.write(`${refreshes} refresh${refreshes === 1 ? '' : 'es'} of ${views.length} views in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
        } catch (error) {
          if (error instanceof DeadlineExceeded) throw new UserError(`refresh --follow gave up: ClickHouse (${clickhouse.description}) ${error.message}`, { cause: error });
          throw error;
        } finally {
          interruption.dispose();
        }
      } finally {
        await clickhouse.close();
      }
    });
}
