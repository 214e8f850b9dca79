import type { TestProject } from 'vitest/node';
import { startLocalServices, type StartedServices } from './local-services.js';

export interface TestServices {
  /** The state folder the services were started in (its services.env, logs, data). */
  readonly stateDir: string;
  readonly kafkaBrokers: string;
  readonly mongoUrl: string;
  /** The ClickHouse service (the embedded engine behind ClickHouse's HTTP interface). */
  readonly clickhouseUrl: string;
  readonly clickhousePassword: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    services: TestServices;
  }
}

let started: StartedServices | undefined;

export async function setup(project: TestProject): Promise<void> {
  started = await startLocalServices();
  project.provide('services', {
    stateDir: started.stateDir,
    kafkaBrokers: started.env.KAFKA_BROKERS ?? '',
    mongoUrl: started.env.MONGO_URL ?? '',
    clickhouseUrl: started.env.CLICKHOUSE_URL ?? '',
    clickhousePassword: started.env.CLICKHOUSE_PASSWORD ?? '',
  });
}

export async function teardown(): Promise<void> {
  await started?.stop();
}
