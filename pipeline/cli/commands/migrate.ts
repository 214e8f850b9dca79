import { Command } from 'commander';
import { openClickHouse } from '../../clickhouse/connect.js';
import { defaultMigrationsDir, migrate, readMigrations } from '../../clickhouse/migrations.js';
import { fillCreatedViews } from '../../mart/refresh.js';
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
        for (const { view, rows } of await fillCreatedViews(clickhouse, migrations, report.applied)) process.stdout.write(`filled   ${view} (${rows} rows)\n`);
        process.stdout.write(
          `${report.applied.length} applied, ${report.alreadyApplied.length} already applied, on ${clickhouse.description}\n`,
        );
      } finally {
        await clickhouse.close();
      }
    });
}
