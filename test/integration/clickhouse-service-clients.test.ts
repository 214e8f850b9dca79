import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../pipeline/config/project-root.js';
import { clickhouseServiceOptions } from '../helpers/services.js';

/** The README promises that any ClickHouse client can connect: checked with clients other than @clickhouse/client. */
describe('ClickHouse service: other clients', () => {
  const service = clickhouseServiceOptions();

  it('serves curl the way clickhouse-client and scripts use the HTTP interface', () => {
    const table = `curl_${randomBytes(4).toString('hex')}`;
    // Credentials go in on stdin (curl -K -), never on a command line.
    const curl = (args: readonly string[], input = '') =>
      spawnSync('curl', ['-sS', '-K', '-', ...args], { input: `user = "default:${service.password}"\n${input}`, encoding: 'utf8' });
    expect(curl([`${service.url}/`, '--data-binary', `CREATE TABLE ${table} (id UInt64, city String) ENGINE = MergeTree ORDER BY id`]).stdout).toBe('');
    expect(curl([`${service.url}/?query=${encodeURIComponent(`INSERT INTO ${table} FORMAT TabSeparated`)}`, '--data-binary', '1\tМосква\n2\tКазань\n']).stdout).toBe('');
    const read = curl(['-i', `${service.url}/?default_format=JSONCompact`, '--data-binary', `SELECT id, city FROM ${table} ORDER BY id`]);
    expect(read.stdout).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(read.stdout).toMatch(/X-ClickHouse-Format: JSONCompact/i);
    expect((JSON.parse(read.stdout.slice(read.stdout.indexOf('\r\n\r\n') + 4)) as { data: unknown }).data).toEqual([[1, 'Москва'], [2, 'Казань']]);
    const failed = curl(['-w', '%{http_code}', `${service.url}/`, '--data-binary', `SELECT * FROM ${table}_missing`]);
    expect(failed.stdout).toMatch(/^Code: 60\. DB::Exception: .*\(UNKNOWN_TABLE\).*\n404$/s);
    curl([`${service.url}/`, '--data-binary', `DROP TABLE ${table}`]);
  });

  // .ci/run installs it; elsewhere: python3 -m venv .piccha/venv && .piccha/venv/bin/pip install clickhouse-connect==1.12.0
  const python = join(projectRoot(), '.piccha', 'venv', 'bin', 'python');
  const havePython = existsSync(python) && spawnSync(python, ['-c', 'import clickhouse_connect']).status === 0;
  if (!havePython && process.env.PICCHA_REQUIRE_PYTHON_CLIENT !== '1') process.stderr.write(`clickhouse-connect check skipped: no ${python} with clickhouse_connect\n`);

  it.skipIf(!havePython && process.env.PICCHA_REQUIRE_PYTHON_CLIENT !== '1')('serves Python’s clickhouse-connect: its handshake, Native inserts and reads, bound parameters, errors', () => {
    const table = `py_${randomBytes(4).toString('hex')}`;
    const run = spawnSync(python, [join(projectRoot(), 'test', 'clients', 'clickhouse_connect_check.py'), table], {
      env: { ...process.env, CLICKHOUSE_URL: service.url, CLICKHOUSE_USER: 'default', CLICKHOUSE_PASSWORD: service.password },
      encoding: 'utf8',
    });
    expect(run.stderr).toBe('');
    const outcome = JSON.parse(run.stdout) as { version: string; rows: unknown[][]; error: string };
    expect(outcome.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(outcome.rows).toEqual([[1, 'Большая Пикча', '10.5'], [2, 'Маленькая Пикча', '0.25']]);
    expect(outcome.error).toMatch(/code: 60.*UNKNOWN_TABLE/s);
  });
});
