import { Command } from 'commander';
import { openClickHouse } from '../../clickhouse/connect.js';
import { defaultMigrationsDir, readMigrations } from '../../clickhouse/migrations.js';
import { UserError } from '../../errors/user-error.js';
import { refreshableViews, refreshViews } from '../../mart/refresh.js';
import { commandContext } from '../context.js';
import { formatRows } from '../output.js';

export function refreshCommand(): Command {
  return new Command('refresh')
    .description('recompute the staging → MART views now, in dependency order, and wait for them (ClickHouse also runs them every minute)')
    .option('-d, --dir <path>', 'the migrations folder that creates the views', defaultMigrationsDir())
    .option('--only <views...>', 'refresh only these views (database.name), in the order given')
    .action(async (options: { dir: string; only?: string[] }) => {
      const { config } = commandContext();
      const known = refreshableViews(readMigrations(options.dir));
      const unknown = (options.only ?? []).filter((view) => !known.includes(view));
      if (unknown.length > 0) throw new UserError(`not a refreshable view of the migrations: ${unknown.join(', ')}; known: ${known.join(', ')}`);
      const clickhouse = openClickHouse(config.clickhouse);
      try {
        const report = await refreshViews(clickhouse, options.only ?? known);
        const rows = report.map(({ view, milliseconds, rows: written }) => ({ view, rows: written, seconds: (milliseconds / 1000).toFixed(2) }));
        process.stdout.write(formatRows(rows, 'table'));
      } finally {
        await clickhouse.close();
      }
    });
}
