import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { projectRoot } from '../../../pipeline/config/project-root.js';
import { cachedBuild } from '../build-cache.js';
import { requireCommand, runCommand } from '../commands.js';
import { LOOPBACK } from '../ports.js';
import { spawnDetached } from '../processes.js';
import type { LocalService, ServiceContext } from '../service.js';
import { goBuildEnv, patchedModFile, readPatches } from './patched-module.js';

// The sources beside this module, found from the project root so that the build in dist/ finds them too.
const here = join(projectRoot(), 'infra', 'local', 'ferretdb');
const BINARY = 'ferretdb-launcher';

/** Builds the launcher with Go, once per version of its sources and of the patches to FerretDB (patches.json says why). */
async function launcherBinary(context: ServiceContext): Promise<string> {
  const patches = join(here, 'patches.json');
  const sources = ['go.mod', 'go.sum', 'main.go', 'patches.json', 'patched-module.ts'].map((file) => join(here, file));
  const dir = await cachedBuild(context.layout.cacheDir, 'ferretdb', sources, async (outDir) => {
    requireCommand('go', ['version'], 'to build the local MongoDB-protocol server, FerretDB (Go 1.24+)');
    context.logger.warn('building FerretDB with Go (first run only)');
    const env = goBuildEnv();
    const workDir = mkdtempSync(join(outDir, 'src-'));
    try {
      const modFile = await patchedModFile(here, workDir, await readPatches(patches), env);
      await runCommand('go', ['build', '-mod=readonly', `-modfile=${modFile}`, '-trimpath', '-o', join(outDir, BINARY), '.'], { cwd: here, env });
    } finally {
      rmSync(workDir, { recursive: true, force: true });
    }
  });
  return join(dir, BINARY);
}

/** FerretDB on SQLite files: a real MongoDB-wire-protocol server without MongoDB itself. */
export const ferretdbService: LocalService = {
  name: 'mongo',
  title: 'MongoDB protocol (FerretDB)',
  preferredPorts: { mongo: 27017 },

  async prepare(context) {
    await launcherBinary(context);
  },

  async start(context, ports) {
    const port = ports.mongo ?? 0;
    const binary = await launcherBinary(context);
    const dataDir = context.layout.dataDir('mongo');
    const logFile = context.layout.logFile('mongo');
    mkdirSync(dataDir, { recursive: true });
    const { pid } = spawnDetached(binary, ['-listen', `${LOOPBACK}:${port}`, '-data', dataDir], logFile);
    return { name: 'mongo', pid, marker: dataDir, ports: { mongo: port }, dataDir, logFile, startedAt: new Date().toISOString() };
  },

  async probe(record) {
    const client = new MongoClient(this.connectionEnv(record).MONGO_URL ?? '', { serverSelectionTimeoutMS: 1000, connectTimeoutMS: 1000 });
    try {
      const info = await client.db('admin').command({ buildInfo: 1 });
      const ferretdb = typeof info.ferretdbVersion === 'string' && info.ferretdbVersion !== 'unknown' ? `FerretDB ${info.ferretdbVersion}, ` : 'FerretDB, ';
      return `${ferretdb}MongoDB ${String(info.version)} protocol`;
    } finally {
      await client.close();
    }
  },

  connectionEnv(record) {
    return { MONGO_URL: `mongodb://${LOOPBACK}:${record.ports.mongo ?? 0}/` };
  },
};
