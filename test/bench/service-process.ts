import { readFileSync } from 'node:fs';
import { localLayout } from '../../infra/local/layout.js';

/** The process id `services up` recorded for a local service of the state folder. */
export function servicePid(stateDir: string, service: string): number {
  const records = JSON.parse(readFileSync(localLayout(stateDir, '').runFile, 'utf8')) as Record<string, { pid: number }>;
  const pid = records[service]?.pid;
  if (pid === undefined) throw new Error(`no ${service} service recorded in ${stateDir}`);
  return pid;
}

/** Peak resident memory of a running service process (VmHWM), in MiB. */
export function servicePeakMiB(stateDir: string, service: string): number {
  const status = readFileSync(`/proc/${servicePid(stateDir, service)}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN) / 1024;
}

/** CPU time (user and system) a running process has used so far, in milliseconds. */
export function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name, in parentheses, may hold spaces: utime and stime are counted after it.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // /proc counts in USER_HZ, which Linux fixes at 100 for user space.
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
