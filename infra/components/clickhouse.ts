import * as docker from '@pulumi/docker';
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import { dataVolume, environment, healthcheck, pinnedImage, publish, type ServiceContainerArgs, stackLabels } from '../stack/containers.js';
import type { ContentFile } from '../stack/content-hash.js';

export interface ClickHouseArgs extends ServiceContainerArgs {
  readonly httpPort: number;
  readonly user: string;
  readonly database: string;
  /** The server configuration from the repository, paths relative to /etc/clickhouse-server. */
  readonly configFiles: readonly ContentFile[];
}

export const CLICKHOUSE_ALIAS = 'clickhouse';
export const CLICKHOUSE_HTTP_PORT = 8123;

/** ClickHouse server: a generated password for the one user, the repository's configuration, the seed's ulimits. */
export class ClickHouse extends pulumi.ComponentResource {
  readonly internalUrl: pulumi.Output<string>;
  readonly httpUrl: pulumi.Output<string>;
  readonly user: pulumi.Output<string>;
  readonly password: pulumi.Output<string>;
  readonly database: pulumi.Output<string>;
  readonly container: docker.Container;

  constructor(name: string, args: ClickHouseArgs, opts?: pulumi.ComponentResourceOptions) {
    super('piccha:infra:ClickHouse', name, {}, opts);
    const password = new random.RandomPassword(`${name}-password`, { length: 32, special: false }, { parent: this });
    const image = pinnedImage(`${name}-image`, args.image, this);
    const volume = dataVolume(`${name}-data`, `piccha-${args.stack}-clickhouse`, args.stack, args.retainVolume, this);
    this.container = new docker.Container(
      name,
      {
        name: `piccha-${args.stack}-clickhouse`,
        image: image.imageId,
        envs: environment({
          // The image's entrypoint writes this user and removes the passwordless `default` one.
          CLICKHOUSE_USER: args.user,
          CLICKHOUSE_PASSWORD: pulumi.secret(password.result),
          CLICKHOUSE_DB: args.database,
          CLICKHOUSE_DEFAULT_ACCESS_MANAGEMENT: '0',
        }),
        networksAdvanced: [{ name: args.network, aliases: [CLICKHOUSE_ALIAS] }],
        ports: [publish(CLICKHOUSE_HTTP_PORT, args.httpPort, args.bindAddress)],
        volumes: [{ volumeName: volume.name, containerPath: '/var/lib/clickhouse' }],
        uploads: args.configFiles.map((file) => ({ file: `/etc/clickhouse-server/${file.path}`, content: file.content.toString('utf8') })),
        ulimits: [{ name: 'nofile', soft: 262144, hard: 262144 }],
        // /ping answers without credentials.
        healthcheck: healthcheck(['CMD-SHELL', `wget -q -O- http://127.0.0.1:${CLICKHOUSE_HTTP_PORT}/ping || exit 1`], { interval: 5, timeout: 5, startPeriod: 15, retries: 12 }),
        wait: true,
        waitTimeout: 120,
        restart: 'unless-stopped',
        labels: stackLabels(args.stack, { 'analytics.piccha.service': 'clickhouse' }),
      },
      { parent: this },
    );
    this.internalUrl = pulumi.output(`http://${CLICKHOUSE_ALIAS}:${CLICKHOUSE_HTTP_PORT}`);
    this.httpUrl = pulumi.output(`http://${args.bindAddress === '0.0.0.0' ? 'localhost' : args.bindAddress}:${args.httpPort}`);
    this.user = pulumi.output(args.user);
    this.password = pulumi.secret(password.result);
    this.database = pulumi.output(args.database);
    this.registerOutputs({ internalUrl: this.internalUrl, httpUrl: this.httpUrl, user: this.user, password: this.password, database: this.database });
  }
}
