import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { projectRoot } from '../../../pipeline/config/project-root.js';
import { LOOPBACK } from '../ports.js';
import { spawnDetached } from '../processes.js';
import type { LocalService } from '../service.js';
import { servicePassword } from './password.js';

const USER = 'default';

/** The service's password file, beside its data directory under the state folder. */
function passwordFileFor(dataDir: string): string {
  return join(dirname(dataDir), 'clickhouse-password');
}

/** The entry point beside this module: TypeScript run through tsx from sources, JavaScript from dist/. */
function serverCommand(): readonly string[] {
  const here = fileURLToPath(import.meta.url);
  const entry = join(dirname(here), here.endsWith('.ts') ? 'server-main.ts' : 'server-main.js');
  return here.endsWith('.ts') ? ['--import', 'tsx', entry] : [entry];
}

/**
 * ClickHouse's engine (chdb) on `$PICCHA_STATE_DIR/clickhouse`, the directory the in-process
 * engine uses, behind ClickHouse's HTTP interface: every command can use it at once.
 */
export const clickhouseService: LocalService = {
  name: 'clickhouse',
  title: 'ClickHouse (embedded engine, HTTP)',
  preferredPorts: { http: 8123 },

  prepare() {
    return Promise.resolve();
  },

  start(context, ports) {
    const port = ports.http ?? 0;
    const dataDir = join(context.layout.stateDir, 'clickhouse');
    const logFile = context.layout.logFile('clickhouse');
    const passwordFile = passwordFileFor(dataDir);
    servicePassword(passwordFile);
    const args = [...serverCommand(), '--data', dataDir, '--run', join(context.layout.stateDir, 'run', 'clickhouse'), '--port', String(port), '--password-file', passwordFile];
    // Each running statement holds one of libuv's threads; the default 4 would queue the fifth.
    const { pid } = spawnDetached(process.execPath, args, logFile, { ...process.env, UV_THREADPOOL_SIZE: '24' }, projectRoot());
    return Promise.resolve({ name: 'clickhouse', pid, marker: dataDir, ports: { http: port }, dataDir, logFile, startedAt: new Date().toISOString() });
  },

  async probe(record) {
    const env = this.connectionEnv(record);
    const response = await fetch(`${env.CLICKHOUSE_URL ?? ''}/?query=${encodeURIComponent('SELECT version()')}`, {
      headers: { 'X-ClickHouse-User': USER, 'X-ClickHouse-Key': env.CLICKHOUSE_PASSWORD ?? '' },
      signal: AbortSignal.timeout(2000),
    });
    const text = (await response.text()).trim();
    if (!response.ok) throw new Error(`HTTP ${response.status}: ${text.split('\n')[0] ?? ''}`);
    return `ClickHouse ${text}, embedded engine on ${record.dataDir}`;
  },

  connectionEnv(record) {
    return {
      CLICKHOUSE_URL: `http://${LOOPBACK}:${record.ports.http ?? 0}`,
      CLICKHOUSE_USER: USER,
      CLICKHOUSE_PASSWORD: servicePassword(passwordFileFor(record.dataDir)),
    };
  },
};
