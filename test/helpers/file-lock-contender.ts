// One contender for a lock file, driven over stdin by test/unit/file-lock.test.ts:
// `go <round> <epoch ms>` tries to lock at that moment and answers `<round> won|busy|failed <pid>`;
// `release <round>` lets go of a lock won in that round and answers `<round> released <pid>`.
import { createInterface } from 'node:readline';
import { pauseSync, tryLockFile } from '../../pipeline/system/file-lock.js';

const [given] = process.argv.slice(2);
if (given === undefined) throw new Error('usage: file-lock-contender.ts <lock path>');
const lockPath: string = given;
let release: (() => void) | undefined;

const now = () => performance.timeOrigin + performance.now();

/** As the lock's users do: 'contended' is tried again (for a few seconds at most). */
function lock(): 'won' | 'busy' {
  const deadline = performance.now() + 5000;
  for (;;) {
    const attempt = tryLockFile(lockPath);
    if (attempt !== 'contended') {
      if (!('release' in attempt)) return 'busy';
      release = attempt.release;
      return 'won';
    }
    if (performance.now() > deadline) throw new Error('still contended after 5 s');
    pauseSync(10);
  }
}

for await (const line of createInterface({ input: process.stdin })) {
  const [command, round, at] = line.split(' ');
  if (command === 'go') {
    // Spin rather than sleep: every contender should reach the lock within the same few microseconds.
    while (now() < Number(at));
    let outcome: string;
    try {
      outcome = `${lock()} ${process.pid}`;
    } catch (error) {
      outcome = `failed ${String(error)}`.replaceAll('\n', ' ');
    }
    process.stdout.write(`${round} ${outcome}\n`);
  } else if (command === 'release') {
    release?.();
    release = undefined;
    process.stdout.write(`${round} released ${process.pid}\n`);
  }
}
