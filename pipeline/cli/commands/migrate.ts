import { Command } from 'commander';
import { openClickHouse } from '../../clickhouse/connect.js';
import { defaultMigrationsDir, migrate, readMigrations } from '../../clickhouse/migrations.js';
import { refreshableViews, refreshViews } from '../../mart/refresh.js';
import { commandContext } from '../context.js';

export function migrateCommand(): Command {
  return new Command('migrate')
    .description('apply the ClickHouse migrations under sql/ that are not applied yet, in order')
    .option('-d, --dir <path>', 'the migrations folder', defaultMigrationsDir())
    .action(async (options: { dir: string }) => {
      const { config } = commandContext();
      const migrations = readMigrations(options.dir);
      const clickhouse = openClickHouse(config.clickhouse);
      try {
        const report = await migrate(clickhouse, migrations);
        for (const name of report.applied) process.stdout.write(`applied  ${name}\n`);
        // A new view's first refresh backfills it from the data already there; waiting for it
        // here means an embedded engine is not closed halfway through that backfill.
        const created = refreshableViews(migrations.filter((migration) => report.applied.includes(migration.name)));
        for (const { view, rows } of await refreshViews(clickhouse, created)) process.stdout.write(`filled   ${view} (${rows} rows)\n`);
        process.stdout.write(
          `${report.applied.length} applied, ${report.alreadyApplied.length} already applied, on ${clickhouse.description}\n`,
        );
      } finally {
        await clickhouse.close();
      }
    });
}
