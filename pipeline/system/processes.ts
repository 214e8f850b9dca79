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

/** Whether the process has exited and waits to be reaped (Linux: state Z in /proc; elsewhere never said). */
export function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (command) state …": the command may hold spaces and parentheses, the state follows the last ')'.
    return stat.charAt(stat.lastIndexOf(')') + 2) === 'Z';
  } catch {
    return false;
  }
}
