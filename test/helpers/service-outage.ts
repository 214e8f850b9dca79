import { readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { isOurProcess, stopProcess } from '../../infra/local/processes.js';
import type { ServiceRecord } from '../../infra/local/service.js';
import { LOCAL_SERVICES } from '../../infra/local/services.js';
import { waitUntil } from '../../infra/local/wait.js';
import type { LocalServiceName } from './local-services.js';
import { localServiceContext } from './local-services.js';
import { quietLogger } from './services.js';

/**
 * Stops and starts one of a private stack's services (started with startLocalServices) on the
 * ports it had, so that clients configured with its address find it again: what an operator's
 * restart or a crash and a supervisor's restart look like to the pipeline's jobs.
 */
export class ServiceOutage {
  private readonly context;

  constructor(private readonly stateDir: string) {
    this.context = localServiceContext(stateDir, quietLogger);
  }

  private records(): Record<string, ServiceRecord> {
    return JSON.parse(readFileSync(this.context.layout.runFile, 'utf8')) as Record<string, ServiceRecord>;
  }

  private record(name: LocalServiceName): ServiceRecord {
    const record = this.records()[name];
    if (record === undefined) throw new Error(`${name} is not running in ${this.stateDir}`);
    return record;
  }

  /** SIGKILL (a crash) or SIGTERM then SIGKILL after a grace period (a stop); returns once the process is gone. */
  async stop(name: LocalServiceName, how: 'crash' | 'stop'): Promise<void> {
    const { pid, marker } = this.record(name);
    if (how === 'stop') return stopProcess(pid, marker, 15_000);
    process.kill(pid, 'SIGKILL');
    while (isOurProcess(pid, marker)) await sleep(20);
  }

  /** Starts it again on the same ports and data, waits until it answers, and records its new process. */
  async start(name: LocalServiceName): Promise<void> {
    const old = this.record(name);
    const service = LOCAL_SERVICES.find((candidate) => candidate.name === name);
    if (service === undefined) throw new Error(`unknown service ${name}`);
    const record = await service.start(this.context, old.ports);
    const records = { ...this.records(), [name]: record };
    // Recorded at once, so that the stack's stop() finds the new process whatever happens next.
    writeFileSync(this.context.layout.runFile, `${JSON.stringify(records, null, 2)}\n`);
    await waitUntil(() => service.probe(record, quietLogger), { what: service.title, timeoutMs: 120_000, stillRunning: () => isOurProcess(record.pid, record.marker) });
  }

  /** Down for `downMs`, then up again on the same ports. */
  async restart(name: LocalServiceName, how: 'crash' | 'stop', downMs: number): Promise<void> {
    await this.stop(name, how);
    await sleep(downMs);
    await this.start(name);
  }
}
