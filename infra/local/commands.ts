import { spawn, spawnSync } from 'node:child_process';
import { UserError } from '../../pipeline/errors/user-error.js';

export class MissingPrerequisiteError extends UserError {}

/** Fails with a message naming the tool when `command` cannot be run at all. */
export function requireCommand(command: string, versionArgs: readonly string[], needFor: string): void {
  const result = spawnSync(command, versionArgs, { stdio: 'ignore' });
  if (result.error !== undefined) {
    throw new MissingPrerequisiteError(`${command} was not found on PATH; it is needed ${needFor}`);
  }
}

export interface RunOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
}

/** Runs a command to completion; a non-zero exit fails with the end of its output. */
export function runCommand(command: string, args: readonly string[], options: RunOptions = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-4000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`${command} ${args.join(' ')} exited with ${String(code)}:\n${output.trim()}`));
    });
  });
}
