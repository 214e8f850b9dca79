import * as pulumi from '@pulumi/pulumi';
import { DIRTY_PROFILES } from '../../pipeline/generate/defects.js';
import { LOG_LEVELS, type LogLevel } from '../../pipeline/config/config.js';

/** An existing service to use instead of the container, or none (run the container). */
export type Existing<T> = { readonly kind: 'container' } | ({ readonly kind: 'existing' } & T);

/** Every setting of the stack, validated. Pulumi.yaml declares each of them with its default. */
export interface StackSettings {
  readonly stack: string;
  readonly networkName: string;
  readonly bindAddress: string;
  readonly retainVolumes: boolean;
  readonly mongo: { readonly database: string; readonly port: number; readonly existing: Existing<{ readonly url: pulumi.Output<string> }> };
  readonly kafka: { readonly port: number; readonly existing: Existing<{ readonly brokers: string }> };
  readonly clickhouse: {
    readonly user: string;
    readonly database: string;
    readonly httpPort: number;
    readonly existing: Existing<{ readonly url: string; readonly password: pulumi.Output<string> }>;
  };
  readonly grafana: { readonly port: number; readonly alerting: boolean };
  readonly telegram: { readonly botToken: pulumi.Output<string>; readonly chatId: pulumi.Output<string> };
  readonly topics: { readonly prefix: string; readonly partitions: number };
  readonly piiKeyId: string;
  readonly generate: {
    readonly seed: number;
    readonly stores: number;
    readonly products: number;
    readonly customers: number;
    readonly purchases: number;
    readonly dirty: string;
  };
  readonly ingest: { readonly replicas: number; readonly group: string; readonly maxBatchRows: number; readonly maxBatchMs: number };
  readonly logLevel: LogLevel;
}

export class SettingsError extends Error {}

/** The names of the settings this module reads; a test holds them equal to Pulumi.yaml's. */
export const SETTING_NAMES = [
  'networkName', 'bindAddress', 'retainVolumes',
  'mongoUrl', 'mongoDatabase', 'mongoPort',
  'kafkaBrokers', 'kafkaPort',
  'clickhouseUrl', 'clickhouseUser', 'clickhousePassword', 'clickhouseDatabase', 'clickhouseHttpPort',
  'grafanaPort', 'grafanaAlerting', 'telegramBotToken', 'telegramChatId',
  'topicPrefix', 'topicPartitions', 'piiKeyId',
  'generateSeed', 'generateStores', 'generateProducts', 'generateCustomers', 'generatePurchases', 'generateDirty',
  'ingestReplicas', 'ingestGroup', 'ingestMaxBatchRows', 'ingestMaxBatchMs', 'logLevel',
] as const;

type SettingName = (typeof SETTING_NAMES)[number];

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const HOST_PORT = /^[A-Za-z0-9.-]+:\d{1,5}$/;
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/**
 * Reads the stack's configuration once and checks every value; all problems are reported in one
 * error that names the settings, never their values (some are secrets).
 */
export function readSettings(config: pulumi.Config = new pulumi.Config(), stack: string = pulumi.getStack()): StackSettings {
  const problems: string[] = [];
  const problem = (name: SettingName, message: string) => problems.push(`${name} ${message}`);
  const text = (name: SettingName) => config.get(name)?.trim() ?? '';
  const whole = (name: SettingName, min: number, max: number): number => {
    const raw = text(name);
    const value = Number(raw);
    if (raw === '' || !Number.isInteger(value) || value < min || value > max) {
      problem(name, `must be a whole number from ${min} to ${max}`);
      return min;
    }
    return value;
  };
  const flag = (name: SettingName): boolean => {
    const raw = text(name);
    if (raw !== 'true' && raw !== 'false') problem(name, 'must be true or false');
    return raw === 'true';
  };
  const identifier = (name: SettingName): string => {
    const value = text(name);
    if (!IDENTIFIER.test(value)) problem(name, 'must be a plain identifier (letters, digits, _)');
    return value;
  };
  const port = (name: SettingName) => whole(name, 1, 65535);

  const bindAddress = text('bindAddress');
  const octets = IPV4.exec(bindAddress);
  if (!octets || octets.slice(1).some((octet) => Number(octet) > 255)) problem('bindAddress', 'must be an IPv4 address such as 127.0.0.1');

  const networkName = text('networkName') || `piccha-${stack}`;
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(networkName)) problem('networkName', 'must hold only letters, digits, _, . and -');

  const mongoUrl = config.getSecret('mongoUrl');
  const mongoUrlGiven = text('mongoUrl');
  if (mongoUrlGiven !== '' && !/^mongodb(\+srv)?:\/\/\S+$/.test(mongoUrlGiven)) problem('mongoUrl', 'must be a mongodb:// or mongodb+srv:// connection string');

  const kafkaBrokers = text('kafkaBrokers');
  if (kafkaBrokers !== '' && !kafkaBrokers.split(',').every((broker) => HOST_PORT.test(broker.trim()))) problem('kafkaBrokers', 'must be a comma-separated list of host:port');

  const clickhouseUrl = text('clickhouseUrl');
  if (clickhouseUrl !== '' && !isHttpUrl(clickhouseUrl)) problem('clickhouseUrl', 'must be an http:// or https:// URL');

  const botToken = config.getSecret('telegramBotToken');
  const chatId = config.getSecret('telegramChatId');
  if (text('telegramBotToken') === '') problem('telegramBotToken', 'is required (pulumi config set --secret telegramBotToken …)');
  if (text('telegramChatId') === '') problem('telegramChatId', 'is required (pulumi config set --secret telegramChatId …)');

  const topicPrefix = text('topicPrefix');
  if (!/^[A-Za-z0-9._-]+$/.test(topicPrefix)) problem('topicPrefix', 'must hold only letters, digits, ., _ and -');
  const piiKeyId = text('piiKeyId');
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(piiKeyId)) problem('piiKeyId', 'must be 1 to 32 letters, digits, _ or -');
  const dirty = text('generateDirty');
  if (!(dirty in DIRTY_PROFILES)) problem('generateDirty', `must be one of ${Object.keys(DIRTY_PROFILES).join(', ')}`);
  const logLevel = text('logLevel');
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) problem('logLevel', `must be one of ${LOG_LEVELS.join(', ')}`);
  const ingestGroup = text('ingestGroup');
  if (!/^[A-Za-z0-9._-]+$/.test(ingestGroup)) problem('ingestGroup', 'must hold only letters, digits, ., _ and -');

  const settings: StackSettings = {
    stack,
    networkName,
    bindAddress,
    retainVolumes: flag('retainVolumes'),
    mongo: {
      database: identifier('mongoDatabase'),
      port: port('mongoPort'),
      existing: mongoUrlGiven === '' || mongoUrl === undefined ? { kind: 'container' } : { kind: 'existing', url: pulumi.secret(mongoUrl) },
    },
    kafka: { port: port('kafkaPort'), existing: kafkaBrokers === '' ? { kind: 'container' } : { kind: 'existing', brokers: kafkaBrokers.split(',').map((b) => b.trim()).join(',') } },
    clickhouse: {
      user: identifier('clickhouseUser'),
      database: identifier('clickhouseDatabase'),
      httpPort: port('clickhouseHttpPort'),
      existing: clickhouseUrl === '' ? { kind: 'container' } : { kind: 'existing', url: clickhouseUrl, password: pulumi.secret(config.getSecret('clickhousePassword') ?? '') },
    },
    grafana: { port: port('grafanaPort'), alerting: flag('grafanaAlerting') },
    telegram: { botToken: pulumi.secret(botToken ?? ''), chatId: pulumi.secret(chatId ?? '') },
    topics: { prefix: topicPrefix, partitions: whole('topicPartitions', 1, 64) },
    piiKeyId,
    generate: {
      seed: whole('generateSeed', 0, 2 ** 31 - 1),
      stores: whole('generateStores', 1, 1_000_000),
      products: whole('generateProducts', 1, 1_000_000),
      customers: whole('generateCustomers', 1, 10_000_000),
      purchases: whole('generatePurchases', 0, 1_000_000_000),
      dirty,
    },
    ingest: {
      replicas: whole('ingestReplicas', 1, 64),
      group: ingestGroup,
      maxBatchRows: whole('ingestMaxBatchRows', 1, 10_000_000),
      maxBatchMs: whole('ingestMaxBatchMs', 10, 600_000),
    },
    logLevel: logLevel as LogLevel,
  };
  const ports = [settings.mongo.port, settings.kafka.port, settings.clickhouse.httpPort, settings.grafana.port];
  if (new Set(ports).size !== ports.length) problems.push('mongoPort, kafkaPort, clickhouseHttpPort and grafanaPort must differ');
  if (problems.length > 0) throw new SettingsError(`invalid stack configuration: ${problems.join('; ')}`);
  return settings;
}

function isHttpUrl(value: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}
