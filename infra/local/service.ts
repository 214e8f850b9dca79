import type { Logger } from '../../pipeline/log/logger.js';
import type { LocalLayout } from './layout.js';

/** What `services up` records of a started service, so that a later call can find it again. */
export interface ServiceRecord {
  readonly name: string;
  readonly pid: number;
  /** A string unique to this process's command line (a path of its own). */
  readonly marker: string;
  readonly ports: Readonly<Record<string, number>>;
  readonly dataDir: string;
  readonly logFile: string;
  readonly startedAt: string;
}

export interface ServiceContext {
  readonly layout: LocalLayout;
  readonly logger: Logger;
}

/** One natively run service of the local mode. */
export interface LocalService {
  readonly name: string;
  readonly title: string;
  /** Port roles and the port each would like, when free. */
  readonly preferredPorts: Readonly<Record<string, number>>;
  /** Downloads or builds what the service runs; cached, so later calls take no time. */
  prepare(context: ServiceContext): Promise<void>;
  start(context: ServiceContext, ports: Readonly<Record<string, number>>): Promise<ServiceRecord>;
  /** Resolves with a short description when the service answers; rejects otherwise. */
  probe(record: ServiceRecord, logger: Logger): Promise<string>;
  /** The connection settings clients need. */
  connectionEnv(record: ServiceRecord): Record<string, string>;
}
