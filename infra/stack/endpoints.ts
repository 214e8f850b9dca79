import * as pulumi from '@pulumi/pulumi';
import { DEFAULT_BUILD_SETTINGS, type GrafanaBuildSettings } from '../../dashboards/build.js';
import type { ClickHouse } from '../components/clickhouse.js';
import type { Kafka } from '../components/kafka.js';
import type { MongoDb } from '../components/mongodb.js';
import type { StackSettings } from './settings.js';

/** Where the jobs find each service: the stack's container, or the existing one configuration names. */
export interface Endpoints {
  readonly mongoUrl: pulumi.Output<string>;
  /** MongoDB's address without its password, for outputs. */
  readonly mongoPublicUrl: pulumi.Output<string>;
  readonly kafkaBrokers: pulumi.Output<string>;
  readonly kafkaBootstrap: pulumi.Output<string>;
  readonly clickhouse: {
    readonly url: pulumi.Output<string>;
    readonly publicUrl: pulumi.Output<string>;
    readonly user: string;
    readonly password: pulumi.Output<string>;
    readonly database: string;
  };
}

export function endpoints(settings: StackSettings, services: { mongo?: MongoDb; kafka?: Kafka; clickhouse?: ClickHouse }): Endpoints {
  const { mongo, kafka, clickhouse } = settings;
  const existingMongo = mongo.existing.kind === 'existing' ? mongo.existing.url : undefined;
  const existingKafka = kafka.existing.kind === 'existing' ? kafka.existing.brokers : undefined;
  const existingClickHouse = clickhouse.existing.kind === 'existing' ? clickhouse.existing : undefined;
  const pick = <T>(service: T | undefined, name: string): T => {
    if (service === undefined) throw new Error(`${name} is neither run by the stack nor configured as an existing service`);
    return service;
  };
  return {
    mongoUrl: existingMongo ?? pick(services.mongo, 'MongoDB').internalUrl,
    mongoPublicUrl: existingMongo ? pulumi.unsecret(existingMongo.apply(withoutPassword)) : pick(services.mongo, 'MongoDB').publicUrl,
    kafkaBrokers: existingKafka !== undefined ? pulumi.output(existingKafka) : pick(services.kafka, 'Kafka').internalBrokers,
    kafkaBootstrap: existingKafka !== undefined ? pulumi.output(existingKafka) : pick(services.kafka, 'Kafka').bootstrapAddress,
    clickhouse: existingClickHouse
      ? {
          url: pulumi.output(existingClickHouse.url),
          publicUrl: pulumi.output(existingClickHouse.url),
          user: clickhouse.user,
          password: existingClickHouse.password,
          database: clickhouse.database,
        }
      : {
          url: pick(services.clickhouse, 'ClickHouse').internalUrl,
          publicUrl: pick(services.clickhouse, 'ClickHouse').httpUrl,
          user: clickhouse.user,
          password: pick(services.clickhouse, 'ClickHouse').password,
          database: clickhouse.database,
        },
  };
}

/** A MongoDB URL with any password removed, for display. */
export function withoutPassword(url: string): string {
  return url.replace(/^(mongodb(?:\+srv)?:\/\/[^:@/]+):[^@/]*@/, '$1@');
}

/** How Grafana (a container on the network) reaches ClickHouse over HTTP. */
export function grafanaClickHouse(settings: StackSettings, internalUrl: string | undefined): GrafanaBuildSettings {
  const url = new URL(settings.clickhouse.existing.kind === 'existing' ? settings.clickhouse.existing.url : (internalUrl ?? ''));
  const secure = url.protocol === 'https:';
  return {
    ...DEFAULT_BUILD_SETTINGS,
    clickhouse: {
      host: url.hostname,
      port: url.port === '' ? (secure ? 8443 : 8123) : Number(url.port),
      protocol: 'http',
      secure,
      database: settings.clickhouse.database,
      user: settings.clickhouse.user,
      passwordFrom: '${CLICKHOUSE_PASSWORD}',
    },
  };
}
