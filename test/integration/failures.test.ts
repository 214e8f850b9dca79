import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../pipeline/config/project-root.js';
import { DIRTY_PROFILES } from '../../pipeline/generate/defects.js';
import { runGeneration } from '../../pipeline/generate/run.js';
import { mongoSink } from '../../pipeline/generate/sinks.js';
import { connectMongo } from '../../pipeline/mongo/client.js';
import { generateKeys } from '../../pipeline/pii/keys.js';
import { runCli } from '../helpers/cli.js';
import { startLocalServices } from '../helpers/local-services.js';
import { testEnv } from '../helpers/services.js';

const keys = () => {
  const generated = generateKeys();
  return { PICCHA_PII_KEYS: `${generated.keyId}:${generated.key}`, PICCHA_PII_INDEX_KEY: generated.indexKey };
};

describe('failures name the service, in one line, without a password', () => {
  it('a bad MongoDB URL holding a password', async () => {
    for (const url of ['mongodb://piccha:s3cret-pw@/piccha', 'mongodb://piccha:s3cret-pw@127.0.0.1:99999/', 'mongodb://piccha:s3cret%25pw@127.0.0.1:1/']) {
      const result = await runCli(['produce'], testEnv({ ...keys(), MONGO_URL: url }));
      expect(result.code, url).toBe(1);
      expect(result.stderr, url).toMatch(/^piccha: (MONGO_URL is not a valid connection string|cannot reach MongoDB at )[^\n]*\n$/);
      expect(result.stderr).not.toMatch(/s3cret/);
    }
  }, 120_000);

  it('a ClickHouse URL holding credentials, for a server that is not there', async () => {
    const result = await runCli(['sql', 'SELECT 1'], testEnv({ CLICKHOUSE_URL: 'http://reader:ch-s3cret@127.0.0.1:1/', CLICKHOUSE_PASSWORD: 'other-s3cret' }));
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('piccha: cannot reach ClickHouse at http://127.0.0.1:1 (CLICKHOUSE_URL): ECONNREFUSED\n');
  });

  it('a broker list that is not one is refused without echoing it', async () => {
    const result = await runCli(['produce'], testEnv({ ...keys(), KAFKA_BROKERS: 'user:k4fka-s3cret@127.0.0.1:9092' }));
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('piccha: invalid configuration: KAFKA_BROKERS must be a comma-separated list of host:port\n');
  });

  it('MongoDB or Kafka lost mid-run: produce --follow stops with one line naming it', async () => {
    for (const lost of ['mongo', 'kafka'] as const) {
      const services = await startLocalServices();
      try {
        const env: Record<string, string> = { ...services.env, ...keys(), MONGO_DB: `lost_${randomUUID().slice(0, 8)}`, PICCHA_STATE_DIR: services.stateDir };
        const { client, db } = await connectMongo({ url: env.MONGO_URL ?? '', database: env.MONGO_DB ?? '' });
        await runGeneration({ seed: 1, now: Date.now(), days: 90, counts: { stores: 5, products: 5, customers: 5, purchases: 50 }, profile: 'none', defects: DIRTY_PROFILES.none ?? { rates: {}, maxCopies: 1 } }, mongoSink(db));
        await client.close();
        const child = spawn(process.execPath, ['--import', 'tsx', join(projectRoot(), 'pipeline/cli/main.ts'), 'produce', '--follow', '--poll-ms', '100', '--deadline-ms', '5000'], { cwd: projectRoot(), env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
        let stderr = '';
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
        const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
        await new Promise((resolve) => setTimeout(resolve, 8000));
        const running = JSON.parse(readFileSync(join(services.stateDir, 'services.json'), 'utf8')) as Record<string, { pid: number }>;
        const pid = running[lost]?.pid;
        if (pid === undefined || pid <= 0) throw new Error(`no pid for ${lost} in services.json`);
        process.kill(pid, 'SIGKILL');
        const code = await exited;
        expect(code, stderr).toBe(1);
        const errors = stderr.split('\n').filter((line) => line.startsWith('piccha:'));
        expect(errors, stderr).toHaveLength(1);
        expect(errors[0]).toMatch(lost === 'mongo' ? /^piccha: lost MongoDB at 127\.0\.0\.1:\d+ \(MONGO_URL\): / : /^piccha: lost Kafka at 127\.0\.0\.1:\d+ \(KAFKA_BROKERS\): /);
      } finally {
        await services.stop();
      }
    }
  }, 600_000);
});
