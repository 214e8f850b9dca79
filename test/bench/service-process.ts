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

/** CPU time of the processes that do the work of a case, per item. */
export interface CpuMeter {
  /** Starts counting; the returned function stops and describes what each process used per item. */
  start(): (items: number) => string;
}

/** A meter over the named processes and this one (`process.cpuUsage()`), e.g. per purchase. */
export function cpuMeter(processes: Readonly<Record<string, number>>, item: string): CpuMeter {
  return {
    start() {
      const own = process.cpuUsage();
      const before = Object.fromEntries(Object.entries(processes).map(([name, pid]) => [name, processCpuMs(pid)]));
      return (items) => {
        const used = process.cpuUsage(own);
        const spent: [string, number][] = [...Object.entries(processes).map(([name, pid]): [string, number] => [name, processCpuMs(pid) - (before[name] ?? 0)]), ['this process', (used.user + used.system) / 1000]];
        const perItem = (ms: number) => ((ms * 1000) / items).toFixed(0);
        const total = spent.reduce((sum, [, ms]) => sum + ms, 0);
        return `CPU ${perItem(total)} µs/${item} (${spent.map(([name, ms]) => `${name} ${perItem(ms)}`).join(', ')})`;
      };
    },
  };
}
