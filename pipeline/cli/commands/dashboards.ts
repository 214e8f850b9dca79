import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { buildProvisioning, DEFAULT_BUILD_SETTINGS, type GrafanaBuildSettings } from '../../../dashboards/build.js';
import { checkProvisioning } from '../../../dashboards/check/structure.js';
import { renderPreview } from '../../../dashboards/preview/render.js';
import { writeProvisioning } from '../../../dashboards/write.js';
import { openClickHouse } from '../../clickhouse/connect.js';
import { UserError } from '../../errors/user-error.js';
import { wholeNumber } from '../arguments.js';
import { commandContext } from '../context.js';

interface BuildOptions {
  clickhouseHost: string;
  clickhousePort: number;
  protocol: 'native' | 'http';
  secure: boolean;
  database: string;
  user: string;
  provisioningRoot: string;
}

/** The environment references the built files may contain; Grafana expands them at start. */
export function allowedEnvironment(settings: GrafanaBuildSettings): Set<string> {
  const names = [settings.telegram.botTokenVariable, settings.telegram.chatIdVariable];
  const password = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(settings.clickhouse.passwordFrom)?.[1];
  if (password !== undefined) names.push(password);
  return new Set(names);
}

function buildCommand(): Command {
  const defaults = DEFAULT_BUILD_SETTINGS;
  return new Command('build')
    .description('write the Grafana provisioning tree (datasources/, dashboards/, alerting/) into <dir>, byte-for-byte deterministic')
    .argument('<dir>', 'the folder to write into (Grafana’s provisioning root)')
    .option('--clickhouse-host <host>', 'ClickHouse host as Grafana reaches it', defaults.clickhouse.host)
    .option('--clickhouse-port <port>', 'ClickHouse port (native 9000/9440, http 8123/8443)', wholeNumber('--clickhouse-port', 1, 65_535), defaults.clickhouse.port)
    .addOption(new Option('--protocol <protocol>', 'ClickHouse protocol').choices(['native', 'http']).default(defaults.clickhouse.protocol))
    .option('--secure', 'connect with TLS', defaults.clickhouse.secure)
    .option('--database <name>', 'default database of the datasource', defaults.clickhouse.database)
    .option('--user <name>', 'ClickHouse user of the datasource', defaults.clickhouse.user)
    .option('--provisioning-root <path>', 'where Grafana reads provisioning inside its container', defaults.provisioningRoot)
    .action((dir: string, options: BuildOptions) => {
      const settings: GrafanaBuildSettings = {
        ...defaults,
        clickhouse: { ...defaults.clickhouse, host: options.clickhouseHost, port: options.clickhousePort, protocol: options.protocol, secure: options.secure, database: options.database, user: options.user },
        provisioningRoot: options.provisioningRoot,
      };
      const files = buildProvisioning(settings);
      const problems = checkProvisioning(files, allowedEnvironment(settings));
      if (problems.length > 0) throw new UserError(`the built provisioning is not sound: ${problems.join('; ')}`);
      writeProvisioning(resolve(dir), files);
      for (const file of files) process.stdout.write(`wrote  ${file.path}\n`);
      process.stdout.write(`${files.length} files in ${resolve(dir)}\n`);
    });
}

function previewCommand(): Command {
  return new Command('preview')
    .description('render every dashboard, with its panel queries run on the configured ClickHouse, to one self-contained HTML page')
    .argument('<out>', 'the HTML file to write')
    .action(async (out: string) => {
      const { config } = commandContext();
      const clickhouse = openClickHouse(config.clickhouse);
      try {
        const { html, dashboards } = await renderPreview(clickhouse, new Date());
        const target = resolve(out);
        mkdirSync(dirname(target), { recursive: true });
        writeFileSync(target, html, 'utf8');
        for (const dashboard of dashboards) {
          const failed = dashboard.panels.filter((panel) => panel.error !== undefined);
          const empty = dashboard.panels.filter((panel) => panel.error === undefined && panel.rows.length === 0);
          process.stdout.write(`${dashboard.title}: ${dashboard.panels.length} panels, ${empty.length} without data, ${failed.length} failed\n`);
          for (const panel of failed) process.stdout.write(`  «${panel.title}»: ${panel.error ?? ''}\n`);
        }
        process.stdout.write(`wrote ${target}\n`);
        if (dashboards.some((dashboard) => dashboard.panels.some((panel) => panel.error !== undefined))) throw new UserError('some panel queries failed (listed above)');
      } finally {
        await clickhouse.close();
      }
    });
}

export function dashboardsCommand(): Command {
  return new Command('dashboards')
    .description('Grafana dashboards and alerting as code: build the provisioning, preview without Grafana')
    .addCommand(buildCommand())
    .addCommand(previewCommand());
}
