import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../pipeline/config/project-root.js';
import { runCli } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/temp-dir.js';

describe('embedded ClickHouse data directory', () => {
  it('held by one process, refuses a second with one clear line naming the holder', async () => {
    const state = makeTempDir('lock');
    const dataPath = join(state.path, 'clickhouse');
    // A process that opens the directory, says so, and holds it until killed.
    const holder = spawn(process.execPath, ['--import', 'tsx', '-e', `
      import { EmbeddedClickHouse } from './pipeline/clickhouse/embedded.ts';
      const ch = new EmbeddedClickHouse(${JSON.stringify(dataPath)});
      await ch.query('SELECT 1');
      process.stdout.write('ready\\n');
      setInterval(() => {}, 1000);
    `], { cwd: projectRoot(), stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
        holder.on('exit', (code) => reject(new Error(`holder exited with ${String(code)}`)));
      });
      const result = await runCli(['sql', 'SELECT 1'], { PICCHA_STATE_DIR: state.path });
      expect(result.code).toBe(1);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toContain(`embedded ClickHouse data directory ${dataPath} is in use by process ${String(holder.pid)}`);
    } finally {
      holder.kill('SIGKILL');
      state.remove();
    }
  });
});
