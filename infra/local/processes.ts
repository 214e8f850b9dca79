import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isZombie } from '../../pipeline/system/processes.js';

export interface DetachedProcess {
  readonly pid: number;
}

/**
 * Starts a process that outlives this one (the CLI exits, the service stays), with its
 * output appended to a log file.
 */
export function spawnDetached(command: string, args: readonly string[], logFile: string, env: NodeJS.ProcessEnv = process.env, cwd?: string): DetachedProcess {
  mkdirSync(dirname(logFile), { recursive: true });
  const log = openSync(logFile, 'a');
  try {
    const child = spawn(command, args, { detached: true, stdio: ['ignore', log, log], env, cwd });
    if (child.pid === undefined) throw new Error(`could not start ${command}`);
    child.unref();
    return { pid: child.pid };
  } finally {
    closeSync(log);
  }
}

/**
 * True when `pid` is alive and is the process we started: its command line holds `marker`
 * (a path unique to it), so a recycled process id is never mistaken for our service.
 */
export function isOurProcess(pid: number, marker: string): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const cmdline = `/proc/${pid}/cmdline`;
  if (!existsSync(cmdline)) return true;
  try {
    const text = readFileSync(cmdline, 'utf8');
    // A zombie keeps its pid until reaped: an empty command line, state Z.
    if (text === '' || isZombie(pid)) return false;
    return text.split('\0').some((arg) => arg.includes(marker));
  } catch {
    // It exited between the checks.
    return false;
  }
}

/** SIGTERM, then SIGKILL if the process is still there after the grace period. */
export async function stopProcess(pid: number, marker: string, graceMs = 30_000): Promise<void> {
  if (!isOurProcess(pid, marker)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isOurProcess(pid, marker)) return;
    await sleep(100);
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  while (isOurProcess(pid, marker)) await sleep(50);
}
