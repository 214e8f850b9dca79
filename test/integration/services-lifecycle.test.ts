import { spawn } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { localLayout } from '../../infra/local/layout.js';
import { isPortFree } from '../../infra/local/ports.js';
import { isOurProcess } from '../../infra/local/processes.js';
import { servicesDown, servicesStatus, servicesUp } from '../../infra/local/services.js';
import type { ServiceContext } from '../../infra/local/service.js';
import { StateLockedError } from '../../infra/local/state-lock.js';
import { readEnvFile } from '../../pipeline/config/env-file.js';
import { runCli } from '../helpers/cli.js';
import { localServiceContext } from '../helpers/local-services.js';
import { quietLogger } from '../helpers/services.js';
import { makeTempDir } from '../helpers/temp-dir.js';

/** A second, MongoDB-only stack in its own state folder; the run's shared services are left alone. */
describe('services up / status / down', () => {
  const state = makeTempDir('lifecycle');
  const context = localServiceContext(state.path, quietLogger);
  afterAll(async () => {
    await servicesDown(context);
    state.remove();
  });

  it('starts, reuses what runs, and stops exactly what it started', async () => {
    const [started] = await servicesUp(context, { only: ['mongo'], ports: 'random' });
    expect(started).toMatchObject({ name: 'mongo', state: 'answering' });
    expect(started?.reused).toBeUndefined();
    expect(readEnvFile(context.layout.envFile).MONGO_URL).toBe(`mongodb://${started?.address ?? ''}/`);
    expect(existsSync(context.layout.logFile('mongo'))).toBe(true);

    const [again] = await servicesUp(context, { only: ['mongo'], ports: 'random' });
    expect(again).toMatchObject({ pid: started?.pid, address: started?.address, reused: true });

    const statuses = await servicesStatus(context);
    expect(statuses.map((s) => [s.name, s.state])).toEqual([
      ['kafka', 'not started'],
      ['mongo', 'answering'],
      ['clickhouse', 'not started'],
    ]);

    expect(await servicesDown(context)).toEqual(['mongo']);
    expect(isOurProcess(started?.pid ?? 0, context.layout.dataDir('mongo'))).toBe(false);
    expect(await isPortFree(Number(started?.address?.split(':')[1]))).toBe(true);
    expect(existsSync(context.layout.envFile)).toBe(false);
  });

  it('lets two `services up` at once start one server: the second waits for the first and reuses it', async () => {
    const up = () => runCli(['services', 'up', '--only', 'clickhouse', '--ports', 'random'], { PICCHA_STATE_DIR: state.path, PICCHA_CACHE_DIR: process.env.PICCHA_CACHE_DIR ?? '' });
    const results = await Promise.all([up(), up()]);
    expect(results.map((result) => result.code)).toEqual([0, 0]);
    expect(results.filter((result) => result.stderr.includes('waiting for another `piccha services` command'))).toHaveLength(1);
    expect(results.filter((result) => result.stdout.includes('answering (already running)'))).toHaveLength(1);
    const dataDir = join(state.path, 'clickhouse');
    const servers = readdirSync('/proc').filter((pid) => /^\d+$/.test(pid) && isOurProcess(Number(pid), dataDir));
    expect(servers).toHaveLength(1);
    expect(statSync(context.layout.envFile).mode & 0o777).toBe(0o600);
    expect(readEnvFile(context.layout.envFile)).toMatchObject({ CLICKHOUSE_USER: 'default', CLICKHOUSE_URL: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) as unknown });
    expect(await servicesDown(context)).toEqual(['clickhouse']);
  });

  it('refuses with one line while another services command holds the state folder', async () => {
    const holder = spawn('sleep', ['30']);
    try {
      writeFileSync(join(state.path, 'services.lock'), `${String(holder.pid)}\n`);
      const refused = servicesUp(context, { only: ['clickhouse'], ports: 'random', timeoutMs: 500 });
      await expect(refused).rejects.toThrow(new StateLockedError(`services up: another \`piccha services\` command (process ${String(holder.pid)}) is still working on ${state.path}; try again when it has finished`));
    } finally {
      holder.kill('SIGKILL');
      rmSync(join(state.path, 'services.lock'), { force: true });
    }
  });

  it('names a missing prerequisite', async () => {
    const emptyCache = makeTempDir('nocache');
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      const bare: ServiceContext = { layout: localLayout(state.path, emptyCache.path), logger: quietLogger };
      await expect(servicesUp(bare, { only: ['mongo'], ports: 'random' })).rejects.toThrow('go was not found on PATH; it is needed to build the local MongoDB-protocol server');
    } finally {
      process.env.PATH = path;
      emptyCache.remove();
    }
  });
});
