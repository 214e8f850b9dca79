import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../pipeline/config/project-root.js';
import { clickhouseServiceOptions } from '../helpers/services.js';
import { makeTempDir } from '../helpers/temp-dir.js';

/**
 * The README's promise for DBeaver and Grafana, checked with their drivers themselves: the
 * ClickHouse JDBC driver (DBeaver) and clickhouse-go over HTTP (Grafana's ClickHouse plugin).
 * Each check is a small program under test/clients/ that prints what it got back as JSON.
 */

const clients = join(projectRoot(), 'test', 'clients');
// Without the toolchain the check cannot run at all; .ci/run sets this so that CI fails instead of skipping.
const required = process.env.PICCHA_REQUIRE_DRIVER_CHECKS === '1';
const have = (command: string, args: readonly string[]) => spawnSync(command, args, { stdio: 'ignore' }).status === 0;
const haveGo = have('go', ['version']);
const haveJava = have('java', ['-version']) && have('mvn', ['-v']);
if (!haveGo && !required) process.stderr.write('clickhouse-go check skipped: no `go` on PATH (Go 1.24+)\n');
if (!haveJava && !required) process.stderr.write('JDBC check skipped: no `java` (17+) or `mvn` on PATH\n');

/** Rows both programs insert: id i, amount i + (i mod 100)/100, an email for every third, at 10:00 Moscow + i ms. */
const ROWS = 1000;
const expectedInsert = (() => {
  let cents = 0;
  let emails = 0;
  for (let i = 0; i < ROWS; i++) {
    cents += i * 100 + (i % 100);
    if (i % 3 === 0) emails += 1;
  }
  const last = `2026-11-01 10:00:00.${String(ROWS - 1).padStart(3, '0')}`;
  return [String(ROWS), String(emails), `${Math.floor(cents / 100)}${cents % 100 === 0 ? '' : `.${String(cents % 100).padStart(2, '0').replace(/0$/, '')}`}`, last];
})();

function run(command: string, args: readonly string[], cwd: string, timeoutMs: number, env: Record<string, string> = {}) {
  const result = spawnSync(command, args, { cwd, env: { ...process.env, ...env }, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 16 << 20 });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.error?.message ?? `exit ${String(result.status)}`}):\n${result.stderr}${result.stdout}`);
  return result.stdout;
}

describe('ClickHouse service: the drivers of DBeaver and Grafana', () => {
  const service = clickhouseServiceOptions();
  const serviceEnv = { CLICKHOUSE_URL: service.url, CLICKHOUSE_USER: 'default', CLICKHOUSE_PASSWORD: service.password };

  /**
   * The same program built against two releases of the driver: go.mod pins the one
   * grafana-clickhouse-datasource 4.20.0 pins, go.latest.mod the newest; -mod=readonly: their go.sum files decide.
   */
  const drivers = { 'v2.47.0': 'go.mod', 'v2.51.0': 'go.latest.mod' } as const;
  const goBinaries = new Map<string, string>();
  const goCheck = (driver: keyof typeof drivers) => {
    let binary = goBinaries.get(driver);
    if (binary === undefined) {
      binary = join(makeTempDir('go-check').path, 'clickhouse-go-check');
      run('go', ['build', `-modfile=${drivers[driver]}`, '-mod=readonly', '-o', binary, '.'], join(clients, 'go'), 300_000);
      goBinaries.set(driver, binary);
    }
    return binary;
  };

  const goCases = [
    ['v2.47.0', 'gzip', 'as Grafana’s plugin 4.20.0 configures it (gzip)'],
    ['v2.47.0', 'lz4', 'with LZ4: ClickHouse’s compressed frames on requests (decompress=1) and responses (compress=1)'],
    ['v2.51.0', 'gzip', 'in its newest release, gzip, with typed exceptions'],
    ['v2.51.0', 'lz4', 'in its newest release, LZ4, with typed exceptions'],
  ] as const;
  for (const [driver, compression, how] of goCases) {
    it.skipIf(!haveGo && !required)(
      `serves clickhouse-go ${driver} over HTTP ${how}: handshake, types, parameters, a Native batch insert, errors`,
      () => {
        const output = run(goCheck(driver), [`go_${randomBytes(4).toString('hex')}`, compression], clients, 90_000, serviceEnv);
        const outcome = JSON.parse(output) as {
          revision: number;
          version: string;
          types: string[];
          values: string[];
          named: string[];
          positional: string[];
          inserted: string[];
          grafanaColumns: string[];
          grafanaRows: string[][];
          empty: number;
          missingTable: { typed: boolean; code: number; text: string };
          wrongPassword: { typed: boolean; code: number; text: string };
          requestEncoding: Record<string, number>;
          responseEncoding: Record<string, number>;
          framed: Record<string, number>;
          sessionTimezone: string;
          unknownDatabase: { typed: boolean; code: number; text: string };
        };
        // The handshake reports revision 0, so that the driver reads the engine's blocks as written (protocol 0).
        expect(outcome.revision).toBe(0);
        expect(outcome.version).toMatch(/^2\d\.\d+\.\d+$/);
        expect(outcome.types).toEqual(['String', 'UInt64', 'Decimal(18, 2)', "DateTime64(3, 'Europe/Moscow')", 'Nullable(String)', 'Array(UInt32)', 'LowCardinality(String)']);
        expect(outcome.values).toEqual(['Большая Пикча', '18446744073709551615', '1234.56', '2026-11-01 10:15:30.123 +03:00', 'true', '[1 2 3]', 'Казань']);
        expect(outcome.named).toEqual(["O'Brien; DROP TABLE x --", '42']);
        expect(outcome.positional).toEqual(['Маленькая Пикча', '42']);
        expect(outcome.inserted).toEqual(expectedInsert);
        // What sqlds (the plugin's SQL layer) sees: database type names and Go scan types.
        expect(outcome.grafanaColumns).toEqual(['time DateTime time.Time', 'store String string', 'revenue Decimal(18, 2) decimal.Decimal']);
        expect(outcome.grafanaRows).toEqual([['2026-11-01 10:00:00 +0000 UTC', 'Большая Пикча', '1234.5']]);
        expect(outcome.empty).toBe(0);
        // The handshake is answered under the connection's settings and database, as a server answers it.
        expect(outcome.sessionTimezone).toBe('Asia/Yekaterinburg');
        expect(outcome.unknownDatabase.text).toMatch(/\[HTTP 404\].*(Code: 81\.|code: 81,).*_no_such_database does not exist.*\(UNKNOWN_DATABASE\)/s);
        expect(outcome.wrongPassword.text).not.toContain(service.password);
        if (driver === 'v2.51.0') {
          // From 2.48 on the driver raises a typed *clickhouse.Exception from the status, X-ClickHouse-Exception-Code and the body.
          expect([outcome.missingTable.typed, outcome.missingTable.code]).toEqual([true, 60]);
          expect(outcome.missingTable.text).toMatch(/\[HTTP 404\] code: 60, message: .*\(UNKNOWN_TABLE\)/s);
          expect([outcome.wrongPassword.typed, outcome.wrongPassword.code]).toEqual([true, 516]);
        } else {
          // 2.47 reports an HTTP error as its status and the server's body, which it reads through its decompressor with LZ4.
          expect(outcome.missingTable.text).toMatch(/\[HTTP 404\] response body: "Code: 60\. DB::Exception: .*\(UNKNOWN_TABLE\)/s);
          expect(outcome.wrongPassword.text).toMatch(/\[HTTP 403\]/);
        }
        if (compression === 'gzip') {
          expect(outcome.wrongPassword.text).toMatch(/\[HTTP 403\].*516.*default: Authentication failed.*\(AUTHENTICATION_FAILED\)/s);
          // gzip both ways: the batch insert's body, and every non-empty result (enable_http_compression=1 is set, as on a server).
          expect(outcome.requestEncoding.gzip).toBeGreaterThanOrEqual(1);
          expect(outcome.responseEncoding.gzip).toBeGreaterThanOrEqual(5);
          expect(outcome.framed).toEqual({});
        } else {
          // Every query asked for framed results and the insert sent a framed body; nothing went HTTP-encoded.
          expect(outcome.framed.compress).toBeGreaterThanOrEqual(10);
          expect(outcome.framed.decompress).toBe(1);
          expect(Object.keys(outcome.requestEncoding)).toEqual(['']);
          expect(Object.keys(outcome.responseEncoding)).toEqual(['']);
        }
      },
      420_000,
    );
  }

  let jdbcClasspath: string | undefined;
  const classpath = () => {
    if (jdbcClasspath === undefined) {
      const file = join(makeTempDir('jdbc-classpath').path, 'classpath.txt');
      // Resolved from the local Maven repository (.ci/run fills it); the same command resolves it anywhere else.
      run('mvn', ['-B', '-q', '-f', join(clients, 'java', 'pom.xml'), 'dependency:build-classpath', `-Dmdep.outputFile=${file}`], clients, 300_000);
      jdbcClasspath = readFileSync(file, 'utf8').trim();
    }
    return jdbcClasspath;
  };

  const modes = [
    ['compress=1', ' (its default: results in LZ4 frames with CityHash128 checksums)'],
    ['compress=0', ''],
    ['compress=1&decompress=1', ' (request bodies framed too)'],
  ] as const;
  for (const [settings, what] of modes) {
    it.skipIf(!haveJava && !required)(
      `serves the JDBC driver as DBeaver uses it with ${settings}${what}: metadata, types, PreparedStatement batch insert, errors`,
      () => {
        const table = `jdbc_${randomBytes(4).toString('hex')}`;
        const output = run('java', ['-cp', classpath(), join(clients, 'java', 'JdbcCheck.java'), table, settings], clients, 120_000, serviceEnv);
        const outcome = JSON.parse(output) as Record<string, unknown>;
        expect(outcome.product).toMatch(/^ClickHouse 2\d\.\d+\.\d+/);
        expect(outcome.driver).toBe('ClickHouse JDBC Driver 0.10.0');
        expect(outcome.valid).toBe(true);
        expect(outcome.schemaDefault).toBe(true);
        expect(outcome.tables).toEqual([`default.${table} TABLE`]);
        // java.sql.Types as the driver maps them: UInt64 NUMERIC (2), String VARCHAR (12), Decimal DECIMAL (3), DateTime64 TIMESTAMP (93), Array ARRAY (2003).
        expect(outcome.columns).toEqual([
          'id UInt64 2 NO',
          'store LowCardinality(String) 12 NO',
          'amount Decimal(12, 2) 3 NO',
          "purchased_at DateTime64(3, 'Europe/Moscow') 93 NO",
          'email Nullable(String) 12 YES',
          'items Array(String) 2003 NO',
        ]);
        expect(outcome.batch).toBe(ROWS);
        expect(outcome.inserted).toEqual(expectedInsert);
        expect(outcome.read).toEqual([
          ['3', 'Маленькая Пикча', '3.03', '2026-11-01T10:00:00.003+03:00', 'buyer3@example.com', '[хлеб, 3]'],
          ['4', 'Большая Пикча', '4.04', '2026-11-01T10:00:00.004+03:00', 'NULL', '[хлеб, 4]'],
        ]);
        expect(outcome.types).toEqual(['18446744073709551615', '1234.56', '2026-11-01T10:15:30.123+03:00', 'true', 'Казань']);
        expect(outcome.large).toEqual(expectedLarge);
        expect(outcome.missingTable).toMatch(/^60 Code: 60\. DB::Exception: .*\(UNKNOWN_TABLE\)/);
        expect(outcome.wrongPassword).toMatch(/^516 Code: 516\. DB::Exception: default: Authentication failed/);
        expect(outcome.wrongPassword).not.toContain(service.password);
      },
      420_000,
    );
  }
});

/** A result of several MiB, so that with compress=1 it spans several frames: row count and the sums of both columns. */
const LARGE = 300_000;
const expectedLarge = (() => {
  let digits = 0;
  for (let i = 0; i < LARGE; i++) digits += String(i).length;
  return [String(LARGE), String((LARGE * (LARGE - 1)) / 2), String(digits)];
})();
