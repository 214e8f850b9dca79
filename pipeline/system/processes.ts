import { readFileSync } from 'node:fs';

/**
 * Whether a process with this id exists on this host and has not exited (one we may not signal
 * counts as existing). A zombie has exited: it holds no files or locks, only its id until its
 * parent reaps it.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

/**
 * The fields of /proc/<pid>/stat after the command, from the state on (Linux; undefined elsewhere
 * or when the process is gone). "pid (command) state …": the command may hold spaces and
 * parentheses, so the fields start after the last ')'.
 */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Whether the process has exited and waits to be reaped (Linux: state Z in /proc; elsewhere never said). */
export function isZombie(pid: number): boolean {
  return statFields(pid)?.[0] === 'Z';
}

/** When the process started, in clock ticks after boot (Linux: field 22 of its stat), which a reused pid does not share. */
export function startTimeOf(pid: number): string | undefined {
  return statFields(pid)?.[19];
}
