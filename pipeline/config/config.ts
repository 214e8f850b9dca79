import { isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { UserError } from '../errors/user-error.js';
import { registerSecrets } from '../errors/redact.js';
import { readEnvFile } from './env-file.js';
import { projectRoot } from './project-root.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The file `piccha services up` writes; read for any variable the environment leaves unset. */
export const SERVICES_ENV_FILE = 'services.env';
/** Local-mode PII keys, created by `piccha demo` when none are configured (mode 0600). */
export const PII_ENV_FILE = 'pii.env';

const hostPort = /^[A-Za-z0-9.-]+:\d{1,5}$/;

const text = (what: string) => z.string({ error: `${what} is required` }).trim().min(1, `${what} must not be empty`);

const httpUrl = text('a URL').refine((value) => {
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}, 'must be an http:// or https:// URL');

const mongoUrl = text('a URL')
  .refine((value) => /^mongodb(\+srv)?:\/\/\S+$/.test(value), 'must be a mongodb:// or mongodb+srv:// connection string')
  // Which @ ends the user-info would be a guess, and a wrong one prints the rest of the password as a host.
  .refine((value) => (/^[^:]+:\/\/([^/?]*)/.exec(value)?.[1] ?? '').split('@').length <= 2, 'holds an unencoded @ in its user name or password: write it as %40');

const identifier = text('a name').regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a plain identifier (letters, digits, _)');

/** MongoDB's own databases: writing the pipeline's collections there would mix them with the server's. */
const SYSTEM_DATABASES = ['admin', 'local', 'config'];
const mongoDatabase = identifier
  .max(63, 'must be at most 63 characters')
  .refine((name) => !SYSTEM_DATABASES.includes(name.toLowerCase()), `must not be a MongoDB system database (${SYSTEM_DATABASES.join(', ')})`);

/** A database name given elsewhere than MONGO_DB (a flag), checked the same way. */
export function checkMongoDatabase(name: string, what: string): string {
  const parsed = mongoDatabase.safeParse(name);
  if (!parsed.success) throw new ConfigError(`${what} ${parsed.error.issues.map((issue) => issue.message).join('; ')}, got ${JSON.stringify(name)}`);
  return parsed.data;
}

/**
 * Every variable the pipeline reads, with its default. Later stages add theirs here, so that
 * one place lists (and validates) all of them. No value is ever echoed, not even in errors,
 * so secrets (CLICKHOUSE_PASSWORD, PICCHA_PII_KEYS, PICCHA_PII_INDEX_KEY, TELEGRAM_BOT_TOKEN) stay out of output.
 */
const variables = z.object({
  PICCHA_STATE_DIR: text('a path').optional(),
  PICCHA_CACHE_DIR: text('a path').optional(),
  PICCHA_LOG_LEVEL: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).default('warn'),
  // No default port: whatever listens on 27017 or 9092 may belong to another stack on the machine.
  MONGO_URL: mongoUrl.optional(),
  MONGO_DB: mongoDatabase.default('piccha_db'),
  KAFKA_BROKERS: text('a broker list')
    .transform((value) => value.split(',').map((broker) => broker.trim()))
    .refine((brokers) => brokers.every((broker) => hostPort.test(broker)), 'must be a comma-separated list of host:port')
    .optional(),
  KAFKA_CLIENT_ID: identifier.default('piccha'),
  CLICKHOUSE_URL: httpUrl.optional(),
  CLICKHOUSE_USER: text('a user name').default('default'),
  CLICKHOUSE_PASSWORD: z.string().default(''),
  CLICKHOUSE_DATABASE: identifier.default('default'),
  CLICKHOUSE_DATA_PATH: text('a path').optional(),
  PICCHA_TOPIC_PREFIX: text('a prefix').regex(/^[A-Za-z0-9._-]+$/, 'must hold only letters, digits, ., _ and -').default('piccha'),
  PICCHA_TOPIC_PARTITIONS: z.coerce.number({ error: 'must be a whole number from 1 to 64' }).int('must be a whole number from 1 to 64').min(1, 'must be a whole number from 1 to 64').max(64, 'must be a whole number from 1 to 64').default(3),
  // Checked in full (format, length) where they are used: pipeline/pii/keys.ts.
  PICCHA_PII_KEYS: z.string().optional(),
  PICCHA_PII_INDEX_KEY: z.string().optional(),
  TELEGRAM_BOT_TOKEN: z.string().trim().optional(),
  TELEGRAM_CHAT_ID: z.string().trim().regex(/^(-?\d+|@[A-Za-z0-9_]{5,})$/, 'must be a numeric chat id or @channelname').optional(),
  TELEGRAM_API_URL: httpUrl.default('https://api.telegram.org'),
  PICCHA_GRAFANA_URL: httpUrl.default('http://127.0.0.1:3000'),
  // Tests only: `ingest` kills itself (SIGKILL) at this point of this flush, e.g. after-insert:3.
  PICCHA_INGEST_FAULT: text('a fault point')
    .regex(/^(before-insert|between-inserts|after-insert):[1-9]\d*$/, 'must be before-insert, between-inserts or after-insert, a colon and a flush number')
    .optional(),
});

export const CONFIG_VARIABLES: readonly string[] = Object.keys(variables.shape);

export type ClickHouseConfig =
  | { readonly mode: 'embedded'; readonly dataPath: string }
  | {
      readonly mode: 'server';
      readonly url: string;
      readonly user: string;
      readonly password: string;
      readonly database: string;
    };

export interface Config {
  /** Where local state lives: services.env, logs, run files, embedded data. */
  readonly stateDir: string;
  /** Downloads and builds of the local services, shared by every state folder. */
  readonly cacheDir: string;
  readonly logLevel: LogLevel;
  readonly mongo: { readonly url: string; readonly database: string };
  readonly kafka: { readonly brokers: readonly string[]; readonly clientId: string; readonly topicPrefix: string; readonly partitions: number };
  /** The PII keys as given; pipeline/pii/keys.ts parses and checks them where they are needed. */
  readonly pii: { readonly PICCHA_PII_KEYS?: string; readonly PICCHA_PII_INDEX_KEY?: string };
  readonly clickhouse: ClickHouseConfig;
  /** Where `alerts check` sends; without a token it prints instead. The token is a secret. */
  readonly telegram: { readonly botToken?: string; readonly chatId?: string; readonly apiUrl: string };
  /** Grafana's address, for links in alert messages. */
  readonly grafanaUrl: string;
  /** Tests only: where `ingest` stops itself dead, as `point:flush`. */
  readonly ingestFault?: string;
}

export class ConfigError extends UserError {}

/**
 * `target` with `key` read from `value`, failing only when a command reads it: commands that
 * never touch the service work without it, and one that needs it says how to configure it.
 */
function requiredOnUse<T extends object, K extends string, V>(target: T, key: K, value: V | undefined, service: string, variable: string): T & Record<K, V> {
  return Object.defineProperty(target, key, {
    enumerable: true,
    get: () => {
      if (value === undefined) throw new ConfigError(`no ${service} is configured: run \`piccha services up\` or set ${variable}`);
      return value;
    },
  }) as T & Record<K, V>;
}

/** The state folder alone, for code that must find services.env before reading the rest. */
export function stateDirFrom(env: NodeJS.ProcessEnv): string {
  const dir = env.PICCHA_STATE_DIR?.trim();
  return dir ? resolve(dir) : join(projectRoot(), '.piccha');
}

/**
 * Builds the configuration from the environment, falling back to the state folder's
 * services.env and pii.env for variables the environment leaves unset. Every invalid variable is named
 * in one error; secret values are never included.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const stateDir = stateDirFrom(env);
  const merged: Record<string, string | undefined> = { ...readEnvFile(join(stateDir, SERVICES_ENV_FILE)), ...readEnvFile(join(stateDir, PII_ENV_FILE)) };
  for (const name of CONFIG_VARIABLES) {
    const value = env[name];
    if (value !== undefined && value !== '') merged[name] = value;
  }
  registerSecrets(merged);
  const parsed = variables.safeParse(merged);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${String(issue.path[0])} ${issue.message}`);
    throw new ConfigError(`invalid configuration: ${[...new Set(problems)].join('; ')}`);
  }
  const values = parsed.data;
  const inState = (path: string | undefined, fallback: string) =>
    path === undefined ? join(stateDir, fallback) : isAbsolute(path) ? path : resolve(path);
  return {
    stateDir,
    cacheDir: values.PICCHA_CACHE_DIR === undefined ? join(projectRoot(), '.piccha', 'cache') : resolve(values.PICCHA_CACHE_DIR),
    logLevel: values.PICCHA_LOG_LEVEL,
    mongo: requiredOnUse({ database: values.MONGO_DB }, 'url', values.MONGO_URL, 'MongoDB', 'MONGO_URL'),
    kafka: requiredOnUse(
      { clientId: values.KAFKA_CLIENT_ID, topicPrefix: values.PICCHA_TOPIC_PREFIX, partitions: values.PICCHA_TOPIC_PARTITIONS },
      'brokers',
      values.KAFKA_BROKERS as readonly string[] | undefined,
      'Kafka broker',
      'KAFKA_BROKERS',
    ),
    pii: { PICCHA_PII_KEYS: values.PICCHA_PII_KEYS, PICCHA_PII_INDEX_KEY: values.PICCHA_PII_INDEX_KEY },
    clickhouse:
      values.CLICKHOUSE_URL === undefined
        ? { mode: 'embedded', dataPath: inState(values.CLICKHOUSE_DATA_PATH, 'clickhouse') }
        : {
            mode: 'server',
            url: values.CLICKHOUSE_URL,
            user: values.CLICKHOUSE_USER,
            password: values.CLICKHOUSE_PASSWORD,
            database: values.CLICKHOUSE_DATABASE,
          },
    telegram: { botToken: values.TELEGRAM_BOT_TOKEN || undefined, chatId: values.TELEGRAM_CHAT_ID, apiUrl: values.TELEGRAM_API_URL },
    grafanaUrl: values.PICCHA_GRAFANA_URL,
    ingestFault: values.PICCHA_INGEST_FAULT,
  };
}
