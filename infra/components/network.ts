import * as docker from '@pulumi/docker';
import * as pulumi from '@pulumi/pulumi';
import { stackLabels } from '../stack/containers.js';

export interface NetworkArgs {
  readonly name: string;
  readonly stack: string;
}

/** The one Docker network of the stack; services reach each other on it by alias. */
export class Network extends pulumi.ComponentResource {
  readonly name: pulumi.Output<string>;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super('piccha:infra:Network', name, {}, opts);
    const network = new docker.Network(name, { name: args.name, driver: 'bridge', labels: stackLabels(args.stack) }, { parent: this });
    this.name = network.name;
    this.registerOutputs({ name: this.name });
  }
}
