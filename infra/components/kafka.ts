import * as docker from '@pulumi/docker';
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import { dataVolume, environment, healthcheck, pinnedImage, publish, type ServiceContainerArgs, stackLabels } from '../stack/containers.js';

export interface KafkaArgs extends ServiceContainerArgs {
  readonly hostPort: number;
}

export const KAFKA_ALIAS = 'kafka';
/** The listener containers on the network use. */
export const KAFKA_INTERNAL_PORT = 19092;
/** The listener published to the host. */
export const KAFKA_EXTERNAL_PORT = 9092;
const CONTROLLER_PORT = 9093;

/** One Apache Kafka node in KRaft mode (broker and controller), no Zookeeper. */
export class Kafka extends pulumi.ComponentResource {
  /** Brokers for containers on the network. */
  readonly internalBrokers: pulumi.Output<string>;
  /** The bootstrap address from the host. */
  readonly bootstrapAddress: pulumi.Output<string>;
  readonly container: docker.Container;

  constructor(name: string, args: KafkaArgs, opts?: pulumi.ComponentResourceOptions) {
    super('piccha:infra:Kafka', name, {}, opts);
    // KRaft's cluster id: 16 random bytes in URL-safe base64, fixed for the stack's life.
    const clusterId = new random.RandomId(`${name}-cluster-id`, { byteLength: 16 }, { parent: this });
    const image = pinnedImage(`${name}-image`, args.image, this);
    const volume = dataVolume(`${name}-data`, `piccha-${args.stack}-kafka`, args.stack, args.retainVolume, this);
    // Clients on the host reach the broker at the address its port is bound to.
    const advertisedHost = args.bindAddress === '0.0.0.0' ? 'localhost' : args.bindAddress;
    this.container = new docker.Container(
      name,
      {
        name: `piccha-${args.stack}-kafka`,
        image: image.imageId,
        envs: environment({
          CLUSTER_ID: clusterId.b64Url,
          KAFKA_NODE_ID: '1',
          KAFKA_PROCESS_ROLES: 'broker,controller',
          KAFKA_LISTENERS: `INTERNAL://:${KAFKA_INTERNAL_PORT},EXTERNAL://:${KAFKA_EXTERNAL_PORT},CONTROLLER://:${CONTROLLER_PORT}`,
          KAFKA_ADVERTISED_LISTENERS: `INTERNAL://${KAFKA_ALIAS}:${KAFKA_INTERNAL_PORT},EXTERNAL://${advertisedHost}:${args.hostPort}`,
          KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'INTERNAL:PLAINTEXT,EXTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT',
          KAFKA_INTER_BROKER_LISTENER_NAME: 'INTERNAL',
          KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
          KAFKA_CONTROLLER_QUORUM_VOTERS: `1@${KAFKA_ALIAS}:${CONTROLLER_PORT}`,
          KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
          KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
          KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
          KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
          // The producer creates its topics with their partitions; a typo must not create one.
          KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
          KAFKA_LOG_DIRS: '/var/lib/kafka/data',
          KAFKA_HEAP_OPTS: '-Xms512m -Xmx512m',
        }),
        networksAdvanced: [{ name: args.network, aliases: [KAFKA_ALIAS] }],
        ports: [publish(KAFKA_EXTERNAL_PORT, args.hostPort, args.bindAddress)],
        volumes: [{ volumeName: volume.name, containerPath: '/var/lib/kafka/data' }],
        healthcheck: healthcheck(
          ['CMD', '/opt/kafka/bin/kafka-broker-api-versions.sh', '--bootstrap-server', `localhost:${KAFKA_INTERNAL_PORT}`],
          { interval: 10, timeout: 10, startPeriod: 30, retries: 6 },
        ),
        wait: true,
        waitTimeout: 180,
        restart: 'unless-stopped',
        labels: stackLabels(args.stack, { 'analytics.piccha.service': 'kafka' }),
      },
      { parent: this },
    );
    this.internalBrokers = pulumi.output(`${KAFKA_ALIAS}:${KAFKA_INTERNAL_PORT}`);
    this.bootstrapAddress = pulumi.output(`${advertisedHost}:${args.hostPort}`);
    this.registerOutputs({ internalBrokers: this.internalBrokers, bootstrapAddress: this.bootstrapAddress });
  }
}
