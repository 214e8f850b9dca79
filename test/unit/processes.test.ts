import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isZombie, processAlive } from '../../pipeline/system/processes.js';

describe('processAlive', () => {
  it('is true for a running process and false for one that has exited, a zombie not yet reaped included', async () => {
    // The shell starts a short sleep in the background, prints its id and becomes a long sleep,
    // which never reaps it: once the short one exits it is a zombie until the long one ends.
    const parent = spawn('sh', ['-c', 'sleep 0.05 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const child = await new Promise<number>((resolve) => parent.stdout.once('data', (data: Buffer) => resolve(Number(data.toString().trim()))));
      expect(processAlive(child), 'the short sleep while it runs').toBe(true);
      const deadline = Date.now() + 5000;
      while (!isZombie(child) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      // Still there for a signal, exited all the same.
      expect(() => process.kill(child, 0)).not.toThrow();
      expect(readFileSync(`/proc/${child}/stat`, 'utf8')).toMatch(/\) Z /);
      expect(processAlive(child)).toBe(false);
      expect(processAlive(parent.pid ?? 0), 'the long sleep').toBe(true);
    } finally {
      parent.kill('SIGKILL');
    }
  });
});
