import { Command } from 'commander';
import { alertsCommand } from './commands/alerts.js';
import { dashboardsCommand } from './commands/dashboards.js';
import { demoCommand } from './commands/demo.js';
import { generateCommand } from './commands/generate.js';
import { ingestCommand } from './commands/ingest.js';
import { loadCommand } from './commands/load.js';
import { migrateCommand } from './commands/migrate.js';
import { piiCommand } from './commands/pii.js';
import { planCommand } from './commands/plan.js';
import { produceCommand } from './commands/produce.js';
import { refreshCommand } from './commands/refresh.js';
import { servicesCommand } from './commands/services.js';
import { sqlCommand } from './commands/sql.js';

/** The `piccha` command and its subcommands; each stage adds its own. */
export function buildProgram(): Command {
  return new Command('piccha')
    .description('Piccha Analytics: MongoDB → Kafka → ClickHouse → Grafana, locally or with Pulumi')
    .addCommand(servicesCommand())
    .addCommand(migrateCommand())
    .addCommand(refreshCommand())
    .addCommand(sqlCommand())
    .addCommand(generateCommand())
    .addCommand(loadCommand())
    .addCommand(produceCommand())
    .addCommand(ingestCommand())
    .addCommand(piiCommand())
    .addCommand(planCommand())
    .addCommand(dashboardsCommand())
    .addCommand(alertsCommand())
    .addCommand(demoCommand());
}
