import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PII_ENV_FILE } from '../../pipeline/config/config.js';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { testEnv, testServices } from '../helpers/services.js';
import { makeTempDir } from '../helpers/temp-dir.js';

describe('piccha CLI', () => {
  it('prints help for every command and exits 0', async () => {
    const commands = [['--help'], ['services', '--help'], ['services', 'up', '--help'], ['services', 'down', '--help'], ['services', 'status', '--help'], ['migrate', '--help'], ['refresh', '--help'], ['sql', '--help'], ['generate', '--help'], ['load', '--help'], ['produce', '--help'], ['ingest', '--help'], ['pii', 'keygen', '--help'], ['pii', 'decrypt', '--help'], ['dashboards', 'build', '--help'], ['dashboards', 'preview', '--help'], ['alerts', 'check', '--help'], ['plan', '--help'], ['demo', '--help']];
    // Side by side: one after another, nineteen process start-ups outlast the timeout on a busy machine.
    const results = await Promise.all(commands.map((args) => runCli(args)));
    for (const [index, result] of results.entries()) {
      expect(result.code, commands[index]?.join(' ')).toBe(0);
      expect(result.stdout).toMatch(/^Usage: piccha/);
    }
    // One process per command: about four seconds each on a loaded two-core machine.
  }, 180_000);

  it('runs a query on the embedded engine: ClickHouse 26', async () => {
    const state = makeTempDir('cli');
    const result = await runCli(['sql', 'SELECT version() AS version', '--format', 'json'], { PICCHA_STATE_DIR: state.path });
    state.remove();
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect((JSON.parse(result.stdout) as { version: string }).version).toMatch(/^26\./);
  });

  it('binds --param values as values', async () => {
    const state = makeTempDir('cli');
    const result = await runCli(['sql', 'SELECT {name:String} AS name, {n:UInt8} * 2 AS doubled', '-p', "name=O'Brien; DROP", '-p', 'n=21', '-f', 'tsv'], { PICCHA_STATE_DIR: state.path });
    state.remove();
    expect(result.stdout).toBe("name\tdoubled\nO'Brien; DROP\t42\n");
  });

  it('fails with one line naming every bad variable, and exits non-zero', async () => {
    const result = await runCli(['sql', 'SELECT 1'], { KAFKA_BROKERS: 'nope', PICCHA_LOG_LEVEL: 'chatty', CLICKHOUSE_URL: 'http://u:topsecret@[' });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^piccha: invalid configuration: .*KAFKA_BROKERS.*/);
    expect(result.stderr).toContain('PICCHA_LOG_LEVEL');
    expect(result.stderr).toContain('CLICKHOUSE_URL');
    expect(result.stderr).not.toContain('topsecret');
  });

  it('reports a SQL error in one line', async () => {
    const state = makeTempDir('cli');
    const result = await runCli(['sql', 'SELECT * FROM no_such_table'], { PICCHA_STATE_DIR: state.path });
    state.remove();
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^piccha: .*no_such_table/);
  });

  it('applies migrations and reports what it did', async () => {
    const state = makeTempDir('cli');
    const first = await runCli(['migrate'], { PICCHA_STATE_DIR: state.path });
    const second = await runCli(['migrate'], { PICCHA_STATE_DIR: state.path });
    state.remove();
    expect(first.code).toBe(0);
    expect(second.stdout).toMatch(/^0 applied, \d+ already applied, on embedded ClickHouse at /m);
  });

  it('shows the test services answering on 127.0.0.1', async () => {
    // `status` reads the run files in the services' own state folder.
    const result = await runCli(['services', 'status'], testEnv({ PICCHA_STATE_DIR: testServices().stateDir }));
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Kafka broker\s+answering\s+127\.0\.0\.1:\d+/);
    expect(result.stdout).toMatch(/MongoDB protocol \(FerretDB\)\s+answering\s+127\.0\.0\.1:\d+/);
  });

  it('runs the demo on the running services: migrations, generated data into MongoDB, produced to Kafka', async () => {
    const prefix = `demo${Date.now()}`;
    // The services' own state folder, so that `services up` finds them running; the local PII
    // keys the demo writes there are removed afterwards, so that no other test sees them.
    const stateDir = testServices().stateDir;
    const piiEnv = join(stateDir, PII_ENV_FILE);
    const hadKeys = existsSync(piiEnv);
    const result = await runCli(['demo'], testEnv({ PICCHA_STATE_DIR: stateDir, MONGO_DB: prefix, PICCHA_TOPIC_PREFIX: prefix }));
    if (!hadKeys) rmSync(piiEnv, { force: true });
    expect(result.stderr).not.toMatch(/^piccha:/m);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Kafka broker\s+127\.0\.0\.1:\d+/);
    expect(result.stdout).toMatch(new RegExp(`${prefix}\\.purchases\\s+\\d{3}\\s`));
    // services.env names the ClickHouse service: the demo uses it as any command does.
    expect(result.stdout).toMatch(/ClickHouse\s+ClickHouse server at http:\/\/127\.0\.0\.1:\d+, version 26\./);
    expect(result.stdout).toMatch(new RegExp(`== ingest → ClickHouse RAW[\\s\\S]*${prefix}\\.purchases\\s+\\d{3}\\s`));
    expect(result.stdout).toMatch(/\d+ rejected into piccha_raw\.rejected/);
    const preview = /preview\s+(\S+\.html)/.exec(result.stdout)?.[1] ?? '';
    const page = readFileSync(preview, 'utf8');
    const data = JSON.parse(/<script id="piccha-data" type="application\/json">(.*?)<\/script>/s.exec(page)?.[1] ?? '[]') as { title: string; panels: { title: string; rows: unknown[][] }[] }[];
    // Generated, produced, ingested and refreshed: the sales dashboard counts the purchases that reached the MART.
    const purchases = data.find((dashboard) => dashboard.title === 'Пикча — продажи')?.panels.find((panel) => panel.title === 'Покупки')?.rows[0]?.[0];
    expect(Number(purchases)).toBeGreaterThan(150);
    expect(result.stdout).toMatch(/provisioning\s+\S+grafana\/provisioning/);
  }, 120_000);

  it('says when no service was started, and exits non-zero', async () => {
    const state = makeTempDir('cli');
    const result = await runCli(['services', 'status'], { PICCHA_STATE_DIR: state.path });
    state.remove();
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('not started');
    expect(result.stderr).toMatch(/^piccha: Kafka broker, MongoDB protocol \(FerretDB\), ClickHouse \(embedded engine, HTTP\): not started, not started, not started\n$/);
  });
});
