import { join } from 'node:path';

/** Where the local services keep their files, under the state folder (default .piccha/). */
export interface LocalLayout {
  readonly stateDir: string;
  readonly cacheDir: string;
  readonly logsDir: string;
  /** What `services up` started: process ids, ports, data folders. */
  readonly runFile: string;
  /** Connection settings for the CLI and the tests: KEY=value lines. */
  readonly envFile: string;
  dataDir(service: string): string;
  logFile(service: string): string;
}

export function localLayout(stateDir: string, cacheDir: string): LocalLayout {
  return {
    stateDir,
    cacheDir,
    logsDir: join(stateDir, 'logs'),
    runFile: join(stateDir, 'services.json'),
    envFile: join(stateDir, 'services.env'),
    dataDir: (service) => join(stateDir, 'data', service),
    logFile: (service) => join(stateDir, 'logs', `${service}.log`),
  };
}
