import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from '../../pipeline/config/project-root.js';

export interface JobResult {
  readonly code: number | null;
  readonly seconds: number;
  /** Peak resident set size of the job's process, in MiB. */
  readonly maxRssMiB: number;
  readonly stderr: string;
}

export interface RunningJob {
  stop(): void;
  readonly done: Promise<JobResult>;
}

/** Starts one pipeline job (`piccha <args>`) as its own process, as operators run it, reporting its wall time and peak RSS. */
export function startJob(args: readonly string[], env: Readonly<Record<string, string>>): RunningJob {
  const root = projectRoot();
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'test/bench/job-rss.ts'), ...args], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    // Only the tail matters (the RSS line, or why it failed).
    stderr = (stderr + chunk.toString('utf8')).slice(-20_000);
  });
  const done = new Promise<JobResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      const rss = Number(/piccha-bench-max-rss-kb (\d+)/.exec(stderr)?.[1] ?? Number.NaN);
      resolve({ code, seconds: (performance.now() - started) / 1000, maxRssMiB: rss / 1024, stderr });
    });
  });
  return { stop: () => child.kill('SIGINT'), done };
}

/** Runs a job to its end; a non-zero exit is an error naming the job. */
export async function runJob(args: readonly string[], env: Readonly<Record<string, string>>): Promise<JobResult> {
  const result = await startJob(args, env).done;
  if (result.code !== 0) throw new Error(`piccha ${args.join(' ')} exited ${result.code}: ${result.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  return result;
}
