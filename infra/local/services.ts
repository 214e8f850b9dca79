import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { formatEnvFile } from '../../pipeline/config/env-file.js';
import { UserError } from '../../pipeline/errors/user-error.js';
import { clickhouseService } from './clickhouse/clickhouse-service.js';
import { ferretdbService } from './ferretdb/ferretdb-service.js';
import { kafkaService } from './kafka/kafka-service.js';
import { LOOPBACK, portPreferring } from './ports.js';
import { isOurProcess, stopProcess } from './processes.js';
import type { LocalService, ServiceContext, ServiceRecord } from './service.js';
import { withStateLock } from './state-lock.js';
import { waitUntil } from './wait.js';

export const LOCAL_SERVICES: readonly LocalService[] = [kafkaService, ferretdbService, clickhouseService];

export type ServiceState = 'answering' | 'not answering' | 'stopped' | 'not started';

export interface ServiceStatus {
  readonly name: string;
  readonly title: string;
  readonly state: ServiceState;
  readonly address?: string;
  readonly pid?: number;
  /** What the service said about itself, or why it did not answer. */
  readonly detail: string;
  /** True when `services up` found it already running and kept it. */
  readonly reused?: boolean;
}

export interface UpOptions {
  /** `preferred` tries the usual ports (9092, 27017, 8123) first; `random` takes any free ones. */
  readonly ports?: 'preferred' | 'random';
  /** Only these services (by name); all by default. */
  readonly only?: readonly string[];
  readonly timeoutMs?: number;
}

type RunFile = Record<string, ServiceRecord>;

function readRunFile(path: string): RunFile {
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as RunFile) : {};
}

function writeState(context: ServiceContext, records: RunFile): void {
  const { layout } = context;
  mkdirSync(layout.stateDir, { recursive: true });
  if (Object.keys(records).length === 0) {
    rmSync(layout.runFile, { force: true });
    rmSync(layout.envFile, { force: true });
    return;
  }
  writeFileSync(layout.runFile, `${JSON.stringify(records, null, 2)}\n`);
  const env: Record<string, string> = {};
  for (const service of LOCAL_SERVICES) {
    const record = records[service.name];
    if (record) Object.assign(env, service.connectionEnv(record));
  }
  // It holds the ClickHouse service's password: readable by its owner only.
  writeFileSync(layout.envFile, formatEnvFile('Written by `piccha services up`: where the local services listen.', env), { mode: 0o600 });
  chmodSync(layout.envFile, 0o600);
}

function serviceNamed(name: string): LocalService {
  const service = LOCAL_SERVICES.find((candidate) => candidate.name === name);
  if (!service) throw new UserError(`unknown service ${name}; known: ${LOCAL_SERVICES.map((s) => s.name).join(', ')}`);
  return service;
}

function address(record: ServiceRecord): string {
  const port = Object.values(record.ports)[0];
  return `${LOOPBACK}:${port ?? '?'}`;
}

function lastLines(path: string, count: number): string {
  if (!existsSync(path)) return '';
  return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-count).join('\n');
}

async function statusOf(context: ServiceContext, service: LocalService, record: ServiceRecord | undefined): Promise<ServiceStatus> {
  const base = { name: service.name, title: service.title };
  if (!record) return { ...base, state: 'not started', detail: 'run `piccha services up`' };
  const where = { address: address(record), pid: record.pid };
  if (!isOurProcess(record.pid, record.marker)) return { ...base, ...where, state: 'stopped', detail: `process exited; see ${record.logFile}` };
  try {
    return { ...base, ...where, state: 'answering', detail: await service.probe(record, context.logger) };
  } catch (error) {
    return { ...base, ...where, state: 'not answering', detail: (error as Error).message };
  }
}

/**
 * Starts the local services that are not running yet and waits until each answers. Services
 * already running from an earlier call are kept. Connection settings go to services.env.
 */
export async function servicesUp(context: ServiceContext, options: UpOptions = {}): Promise<ServiceStatus[]> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  return withStateLock(context.layout.stateDir, 'services up', timeoutMs * 2, () => startServices(context, options, timeoutMs), (holder) =>
    context.logger.warn(`waiting for another \`piccha services\` command (process ${holder}) to finish`),
  );
}

async function startServices(context: ServiceContext, options: UpOptions, timeoutMs: number): Promise<ServiceStatus[]> {
  const selected = (options.only ?? LOCAL_SERVICES.map((service) => service.name)).map(serviceNamed);
  const records = readRunFile(context.layout.runFile);
  const results = new Map<string, ServiceStatus>();
  const toStart: LocalService[] = [];
  // A service that stopped comes back on the ports it had, when they are free: clients that read services.env before still find it.
  const previousPorts = new Map<string, Readonly<Record<string, number>>>();
  for (const service of selected) {
    const status = await statusOf(context, service, records[service.name]);
    if (status.state === 'answering') results.set(service.name, { ...status, reused: true });
    else {
      const stale = records[service.name];
      if (stale) {
        await stopProcess(stale.pid, stale.marker);
        previousPorts.set(service.name, stale.ports);
      }
      delete records[service.name];
      toStart.push(service);
    }
  }

  await Promise.all(toStart.map((service) => service.prepare(context)));

  const taken = new Set(Object.values(records).flatMap((record) => Object.values(record.ports)));
  const started: ServiceRecord[] = [];
  for (const service of toStart) {
    const ports: Record<string, number> = {};
    for (const [role, preferred] of Object.entries(service.preferredPorts)) {
      ports[role] = await portPreferring(previousPorts.get(service.name)?.[role] ?? (options.ports === 'random' ? undefined : preferred), taken);
      taken.add(ports[role]);
    }
    const record = await service.start(context, ports);
    records[service.name] = record;
    started.push(record);
    // Recorded at once, so that `services down` can stop it even if waiting fails below.
    writeState(context, records);
  }

  const waits = await Promise.allSettled(
    started.map(async (record) => {
      const service = serviceNamed(record.name);
      const detail = await waitUntil(() => service.probe(record, context.logger), {
        what: service.title,
        timeoutMs,
        stillRunning: () => isOurProcess(record.pid, record.marker),
      });
      results.set(service.name, { name: service.name, title: service.title, state: 'answering', address: address(record), pid: record.pid, detail });
    }),
  );
  const failures: string[] = [];
  for (const [index, outcome] of waits.entries()) {
    const record = started[index];
    if (outcome.status === 'fulfilled' || !record) continue;
    failures.push(`${(outcome.reason as Error).message}\n--- last lines of ${record.logFile} ---\n${lastLines(record.logFile, 15)}`);
    await stopProcess(record.pid, record.marker);
    delete records[record.name];
  }
  writeState(context, records);
  if (failures.length > 0) throw new UserError(`local services failed to start:\n${failures.join('\n')}`);
  return selected.map((service) => results.get(service.name)).filter((status) => status !== undefined);
}

/** Stops exactly the processes `services up` recorded, and forgets them. Data is kept unless purged. */
export function servicesDown(context: ServiceContext, options: { purge?: boolean } = {}): Promise<string[]> {
  return withStateLock(context.layout.stateDir, 'services down', 240_000, () => stopServices(context, options), (holder) =>
    context.logger.warn(`waiting for another \`piccha services\` command (process ${holder}) to finish`),
  );
}

async function stopServices(context: ServiceContext, options: { purge?: boolean }): Promise<string[]> {
  const records = readRunFile(context.layout.runFile);
  const stopped: string[] = [];
  for (const record of Object.values(records).reverse()) {
    await stopProcess(record.pid, record.marker);
    stopped.push(record.name);
    if (options.purge) rmSync(record.dataDir, { recursive: true, force: true });
  }
  writeState(context, {});
  return stopped;
}

export async function servicesStatus(context: ServiceContext): Promise<ServiceStatus[]> {
  const records = readRunFile(context.layout.runFile);
  return Promise.all(LOCAL_SERVICES.map((service) => statusOf(context, service, records[service.name])));
}
