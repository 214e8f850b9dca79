import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { CONFIG_VARIABLES } from '../../pipeline/config/config.js';
import { projectRoot } from '../../pipeline/config/project-root.js';

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Every variable the CLI reads except the shared build cache, cleared so that a developer's shell cannot change a test's outcome. */
const CLEARED = CONFIG_VARIABLES.filter((name) => name !== 'PICCHA_CACHE_DIR');

export interface RunningCli {
  /** What the process wrote to standard output so far. */
  stdout(): string;
  /** Sends a signal to the process (SIGINT: Ctrl-C). */
  kill(signal: NodeJS.Signals): void;
  /** Settles once the process exited. */
  readonly result: Promise<CliResult>;
}

/** Starts `piccha` from the sources, as a separate process, the way a user runs it. */
export function startCli(args: readonly string[], env: Record<string, string> = {}): RunningCli {
  const child = spawnCli(args, env);
  const result = child.exited.then(({ code }) => ({ ...child.output(), code }));
  return { stdout: () => child.output().stdout, kill: (signal) => child.kill(signal), result };
}

/** Runs `piccha` from the sources, as a separate process, the way a user runs it. */
export function runCli(args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  return startCli(args, env).result;
}

export interface CliProcess {
  readonly pid: number;
  /** Everything it wrote so far, stdout then stderr. */
  output(): CliResult;
  /** Resolves when it exits: its code, or the signal that ended it. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal: NodeJS.Signals): void;
}

/** Starts `piccha` from the sources as a child process that runs on until it exits or is killed. */
export function spawnCli(args: readonly string[], env: Record<string, string> = {}): CliProcess {
  const base = { ...process.env };
  for (const name of CLEARED) delete base[name];
  const root = projectRoot();
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'pipeline/cli/main.ts'), ...args], {
    cwd: root,
    env: { ...base, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
  if (child.pid === undefined) throw new Error('could not start piccha');
  return { pid: child.pid, output: () => ({ code: child.exitCode, stdout, stderr }), exited, kill: (signal) => child.kill(signal) };
}
