import { Command } from 'commander';
import { servicesUp } from '../../../infra/local/services.js';
import { openClickHouse } from '../../clickhouse/connect.js';
import { defaultMigrationsDir, migrate, readMigrations } from '../../clickhouse/migrations.js';
import { loadConfig } from '../../config/config.js';
import { smokeCheck } from '../../smoke/smoke-check.js';
import { commandContext, serviceContext } from '../context.js';
import { formatRows } from '../output.js';

export function demoCommand(): Command {
  return new Command('demo')
    .description('start the local services, apply the migrations and check that every part of the stack answers')
    .action(async () => {
      const context = commandContext({ verbose: true });
      const statuses = await servicesUp(serviceContext(context));
      process.stdout.write(formatRows(statuses.map((status) => ({ service: status.title, address: status.address ?? '', detail: status.detail })), 'table'));
      // Re-read: services.env now says where the services listen.
      const config = loadConfig();
      const clickhouse = openClickHouse(config.clickhouse);
      try {
        const report = await migrate(clickhouse, readMigrations(defaultMigrationsDir()));
        process.stdout.write(`\nmigrations: ${report.applied.length} applied, ${report.alreadyApplied.length} already applied\n\n`);
        process.stdout.write(formatRows(await smokeCheck(config, clickhouse, context.logger), 'table'));
      } finally {
        await clickhouse.close();
      }
    });
}
