import * as docker from '@pulumi/docker';
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import { dataVolume, environment, healthcheck, pinnedImage, publish, type ServiceContainerArgs, stackLabels } from '../stack/containers.js';

export interface MongoDbArgs extends ServiceContainerArgs {
  readonly hostPort: number;
}

export const MONGO_ALIAS = 'mongodb';
export const MONGO_PORT = 27017;
const ROOT_USER = 'piccha_root';

/** MongoDB with authentication on: a generated root password, a named volume, a health check. */
export class MongoDb extends pulumi.ComponentResource {
  /** The URL containers on the network use, with the password: a secret. */
  readonly internalUrl: pulumi.Output<string>;
  /** The URL from the host, without the password. */
  readonly publicUrl: pulumi.Output<string>;
  readonly container: docker.Container;

  constructor(name: string, args: MongoDbArgs, opts?: pulumi.ComponentResourceOptions) {
    super('piccha:infra:MongoDb', name, {}, opts);
    const password = new random.RandomPassword(`${name}-root-password`, { length: 32, special: false }, { parent: this });
    const image = pinnedImage(`${name}-image`, args.image, this);
    const volume = dataVolume(`${name}-data`, `piccha-${args.stack}-mongodb`, args.stack, args.retainVolume, this);
    this.container = new docker.Container(
      name,
      {
        name: `piccha-${args.stack}-mongodb`,
        image: image.imageId,
        envs: environment({ MONGO_INITDB_ROOT_USERNAME: ROOT_USER, MONGO_INITDB_ROOT_PASSWORD: pulumi.secret(password.result) }),
        networksAdvanced: [{ name: args.network, aliases: [MONGO_ALIAS] }],
        ports: [publish(MONGO_PORT, args.hostPort, args.bindAddress)],
        volumes: [{ volumeName: volume.name, containerPath: '/data/db' }],
        // `ping` needs no authentication, so the check holds no password.
        healthcheck: healthcheck(['CMD', 'mongosh', '--quiet', '--eval', "db.adminCommand('ping').ok"], { interval: 10, timeout: 5, startPeriod: 20, retries: 6 }),
        wait: true,
        waitTimeout: 120,
        restart: 'unless-stopped',
        labels: stackLabels(args.stack, { 'analytics.piccha.service': 'mongodb' }),
      },
      { parent: this },
    );
    this.internalUrl = pulumi.secret(pulumi.interpolate`mongodb://${ROOT_USER}:${password.result}@${MONGO_ALIAS}:${MONGO_PORT}/?authSource=admin`);
    this.publicUrl = pulumi.output(`mongodb://${ROOT_USER}@${args.bindAddress}:${args.hostPort}/?authSource=admin`);
    this.registerOutputs({ internalUrl: this.internalUrl, publicUrl: this.publicUrl });
  }
}
