import { localLayout } from '../../infra/local/layout.js';
import type { ServiceContext } from '../../infra/local/service.js';
import { servicesDown, servicesUp } from '../../infra/local/services.js';
import { loadConfig } from '../../pipeline/config/config.js';
import { readEnvFile } from '../../pipeline/config/env-file.js';
import { createLogger, type Logger } from '../../pipeline/log/logger.js';
import { makeTempDir } from './temp-dir.js';

/** What `services up` works with, for a state folder of its own; downloads and builds stay shared. */
export function localServiceContext(stateDir: string, logger: Logger = createLogger('warn')): ServiceContext {
  const config = loadConfig({ PICCHA_STATE_DIR: stateDir, PICCHA_CACHE_DIR: process.env.PICCHA_CACHE_DIR });
  return { layout: localLayout(config.stateDir, config.cacheDir), logger };
}

export interface StartedServices {
  readonly stateDir: string;
  /** services.env: MONGO_URL, KAFKA_BROKERS, CLICKHOUSE_URL, CLICKHOUSE_USER, CLICKHOUSE_PASSWORD. */
  readonly env: Readonly<Record<string, string>>;
  stop(): Promise<void>;
}

export type LocalServiceName = 'kafka' | 'mongo' | 'clickhouse';

/** The same code as `piccha services up`, in a temp state folder, on free ports. */
export async function startLocalServices(only?: readonly LocalServiceName[]): Promise<StartedServices> {
  const state = makeTempDir('services');
  const context = localServiceContext(state.path);
  const stop = async () => {
    await servicesDown(context);
    state.remove();
  };
  try {
    await servicesUp(context, { only, ports: 'random', timeoutMs: 180_000 });
  } catch (error) {
    await stop();
    throw error;
  }
  return { stateDir: state.path, env: readEnvFile(context.layout.envFile), stop };
}

/** Runs `body` against services of its own, stopped afterwards whatever happens. */
export async function withLocalServices<T>(only: readonly LocalServiceName[], body: (env: Readonly<Record<string, string>>, services: StartedServices) => Promise<T>): Promise<T> {
  const services = await startLocalServices(only);
  try {
    return await body(services.env, services);
  } finally {
    await services.stop();
  }
}
