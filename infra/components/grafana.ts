import * as docker from '@pulumi/docker';
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import type { ProvisioningFile } from '../../dashboards/build.js';
import { compareText, hashFiles } from '../stack/content-hash.js';
import { dataVolume, environment, healthcheck, pinnedImage, publish, type ServiceContainerArgs, stackLabels } from '../stack/containers.js';

export interface GrafanaArgs extends ServiceContainerArgs {
  /** `plugin-id@version`, installed before Grafana starts. */
  readonly clickhousePlugin: string;
  readonly hostPort: number;
  /** Grafana's provisioning tree as `piccha dashboards build` makes it. */
  readonly provisioning: readonly ProvisioningFile[];
  /** Whether Grafana's alerting evaluates the rules (otherwise the pipeline's evaluator does). */
  readonly alerting: boolean;
  /** Values the provisioning files reference as $NAME; secrets stay secrets. */
  readonly provisioningEnvironment: Record<string, pulumi.Input<string>>;
}

export const GRAFANA_PORT = 3000;
export const PROVISIONING_ROOT = '/etc/grafana/provisioning';

/** Grafana with the ClickHouse plugin, a generated admin password, sign-up off, and the provisioning tree uploaded. */
export class Grafana extends pulumi.ComponentResource {
  readonly url: pulumi.Output<string>;
  readonly dashboardUrls: pulumi.Output<Record<string, string>>;
  readonly adminPassword: pulumi.Output<string>;
  readonly container: docker.Container;

  constructor(name: string, args: GrafanaArgs, opts?: pulumi.ComponentResourceOptions) {
    super('piccha:infra:Grafana', name, {}, opts);
    const adminPassword = new random.RandomPassword(`${name}-admin-password`, { length: 24, special: false }, { parent: this });
    const image = pinnedImage(`${name}-image`, args.image, this);
    const volume = dataVolume(`${name}-data`, `piccha-${args.stack}-grafana`, args.stack, args.retainVolume, this);
    const host = args.bindAddress === '0.0.0.0' ? 'localhost' : args.bindAddress;
    const url = `http://${host}:${args.hostPort}`;
    const files = [...args.provisioning].sort((a, b) => compareText(a.path, b.path));
    for (const file of files) {
      if (file.path.startsWith('/') || file.path.split('/').includes('..')) throw new Error(`provisioning file ${file.path} must be a relative path inside the provisioning tree`);
    }
    const provisioningHash = hashFiles(files.map((file) => ({ path: file.path, content: Buffer.from(file.content, 'utf8') })));
    this.container = new docker.Container(
      name,
      {
        name: `piccha-${args.stack}-grafana`,
        image: image.imageId,
        envs: environment({
          ...args.provisioningEnvironment,
          GF_SECURITY_ADMIN_USER: 'admin',
          GF_SECURITY_ADMIN_PASSWORD: pulumi.secret(adminPassword.result),
          GF_USERS_ALLOW_SIGN_UP: 'false',
          GF_AUTH_ANONYMOUS_ENABLED: 'false',
          GF_ANALYTICS_REPORTING_ENABLED: 'false',
          GF_SERVER_ROOT_URL: url,
          GF_PATHS_PROVISIONING: PROVISIONING_ROOT,
          GF_PLUGINS_PREINSTALL_SYNC: args.clickhousePlugin,
          GF_UNIFIED_ALERTING_ENABLED: String(args.alerting),
        }),
        networksAdvanced: [{ name: args.network, aliases: ['grafana'] }],
        ports: [publish(GRAFANA_PORT, args.hostPort, args.bindAddress)],
        volumes: [{ volumeName: volume.name, containerPath: '/var/lib/grafana' }],
        uploads: files.map((file) => ({ file: `${PROVISIONING_ROOT}/${file.path}`, content: file.content })),
        healthcheck: healthcheck(['CMD-SHELL', `wget -q -O- http://127.0.0.1:${GRAFANA_PORT}/api/health || exit 1`], { interval: 10, timeout: 5, startPeriod: 30, retries: 12 }),
        wait: true,
        waitTimeout: 180,
        restart: 'unless-stopped',
        labels: stackLabels(args.stack, { 'analytics.piccha.service': 'grafana', 'analytics.piccha.provisioning-hash': provisioningHash }),
      },
      { parent: this, dependsOn: opts?.dependsOn },
    );
    this.url = pulumi.output(url);
    this.dashboardUrls = pulumi.output(dashboardUrls(url, files));
    this.adminPassword = pulumi.secret(adminPassword.result);
    this.registerOutputs({ url: this.url, dashboardUrls: this.dashboardUrls, adminPassword: this.adminPassword });
  }
}

/** Each provisioned dashboard's address, by title, from the dashboard JSON files of the tree. */
export function dashboardUrls(grafanaUrl: string, files: readonly ProvisioningFile[]): Record<string, string> {
  const urls: Record<string, string> = {};
  for (const file of files) {
    if (!file.path.startsWith('dashboards/') || !file.path.endsWith('.json')) continue;
    const dashboard = JSON.parse(file.content) as { uid?: unknown; title?: unknown };
    if (typeof dashboard.uid !== 'string' || typeof dashboard.title !== 'string') throw new Error(`provisioned dashboard ${file.path} has no uid or title`);
    urls[dashboard.title] = `${grafanaUrl}/d/${dashboard.uid}`;
  }
  return urls;
}
