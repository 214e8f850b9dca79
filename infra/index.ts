import * as docker from '@pulumi/docker';
import * as pulumi from '@pulumi/pulumi';

const config = new pulumi.Config();

/**
 * The Docker network the stack's containers share. The service components (MongoDB, Kafka,
 * ClickHouse, Grafana) and the pipeline jobs attach to it as they are added.
 */
const network = new docker.Network('piccha', {
  name: config.get('networkName') ?? `piccha-${pulumi.getStack()}`,
  driver: 'bridge',
  labels: [{ label: 'analytics.piccha.stack', value: pulumi.getStack() }],
});

export const networkName = network.name;
