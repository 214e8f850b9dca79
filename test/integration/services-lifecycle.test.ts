import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { localLayout } from '../../infra/local/layout.js';
import { isPortFree } from '../../infra/local/ports.js';
import { isOurProcess } from '../../infra/local/processes.js';
import { servicesDown, servicesStatus, servicesUp } from '../../infra/local/services.js';
import type { ServiceContext } from '../../infra/local/service.js';
import { readEnvFile } from '../../pipeline/config/env-file.js';
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
    ]);

    expect(await servicesDown(context)).toEqual(['mongo']);
    expect(isOurProcess(started?.pid ?? 0, context.layout.dataDir('mongo'))).toBe(false);
    expect(await isPortFree(Number(started?.address?.split(':')[1]))).toBe(true);
    expect(existsSync(context.layout.envFile)).toBe(false);
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
