import type { TestProject } from 'vitest/node';
import { localLayout } from '../../infra/local/layout.js';
import { servicesDown, servicesUp } from '../../infra/local/services.js';
import type { ServiceContext } from '../../infra/local/service.js';
import { loadConfig } from '../../pipeline/config/config.js';
import { readEnvFile } from '../../pipeline/config/env-file.js';
import { createLogger } from '../../pipeline/log/logger.js';
import { makeTempDir } from './temp-dir.js';

export interface TestServices {
  /** The state folder the services were started in (its services.env, logs, data). */
  readonly stateDir: string;
  readonly kafkaBrokers: string;
  readonly mongoUrl: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    services: TestServices;
  }
}

let context: ServiceContext | undefined;
let removeState: (() => void) | undefined;

/** The same code as `piccha services up`, in a temp state folder, on free ports. */
export async function setup(project: TestProject): Promise<void> {
  const state = makeTempDir('services');
  removeState = state.remove;
  const config = loadConfig({ PICCHA_STATE_DIR: state.path, PICCHA_CACHE_DIR: process.env.PICCHA_CACHE_DIR });
  context = { layout: localLayout(config.stateDir, config.cacheDir), logger: createLogger('warn') };
  await servicesUp(context, { ports: 'random', timeoutMs: 180_000 });
  const env = readEnvFile(context.layout.envFile);
  project.provide('services', { stateDir: state.path, kafkaBrokers: env.KAFKA_BROKERS ?? '', mongoUrl: env.MONGO_URL ?? '' });
}

export async function teardown(): Promise<void> {
  if (context) await servicesDown(context);
  removeState?.();
}
