import { Command, Option } from 'commander';
import { servicesDown, servicesStatus, servicesUp, type ServiceStatus } from '../../../infra/local/services.js';
import { UserError } from '../../errors/user-error.js';
import { commandContext, serviceContext } from '../context.js';
import { formatRows } from '../output.js';

function printStatuses(statuses: readonly ServiceStatus[]): void {
  const rows = statuses.map((status) => ({
    service: status.title,
    state: status.reused === true ? `${status.state} (already running)` : status.state,
    address: status.address ?? '',
    pid: status.pid ?? '',
    detail: status.detail,
  }));
  process.stdout.write(formatRows(rows, 'table'));
}

export function servicesCommand(): Command {
  const services = new Command('services').description('run the local services (Kafka, MongoDB protocol, ClickHouse) natively, on 127.0.0.1');

  services
    .command('up')
    .description('start the local services that are not running, wait until they answer, write .piccha/services.env')
    .addOption(new Option('--ports <choice>', 'try the usual ports first, or take any free ones').choices(['preferred', 'random']).default('preferred'))
    .option('--only <names...>', 'start only these services (kafka, mongo, clickhouse)')
    .action(async (options: { ports: 'preferred' | 'random'; only?: string[] }) => {
      const context = commandContext();
      printStatuses(await servicesUp(serviceContext(context), options));
      process.stdout.write(`connection settings: ${serviceContext(context).layout.envFile}\n`);
    });

  services
    .command('down')
    .description('stop exactly the services `services up` started')
    .option('--purge', 'also delete their data')
    .action(async (options: { purge?: boolean }) => {
      const stopped = await servicesDown(serviceContext(commandContext()), options);
      process.stdout.write(stopped.length === 0 ? 'nothing was running\n' : `stopped ${stopped.join(', ')}\n`);
    });

  services
    .command('status')
    .description('show whether each local service answers; exits non-zero when one does not')
    .action(async () => {
      const statuses = await servicesStatus(serviceContext(commandContext()));
      printStatuses(statuses);
      const down = statuses.filter((status) => status.state !== 'answering');
      if (down.length > 0) throw new UserError(down.map((status) => `${status.title}: ${status.state}`).join('; '));
    });

  return services;
}
