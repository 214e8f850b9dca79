import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { AlertStateFile } from '../../pipeline/alerts/state.js';
import { ENTITIES } from '../../pipeline/entities/entities.js';
import { runCli, startCli, type CliResult } from '../helpers/cli.js';
import { demoEnv, expectationsFromManifest, stopDemoServices, summaryTable } from '../helpers/demo-run.js';
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

  it('refuses flags that mean something only with --follow, --watch or --out when it is absent, before touching any service', async () => {
    const state = makeTempDir('cli');
    const cases: [string[], string][] = [
      [['refresh', '--poll-ms', '100'], '--poll-ms applies only with --follow'],
      [['refresh', '--deadline-ms', '5000', '--poll-ms', '100'], '--poll-ms and --deadline-ms apply only with --follow'],
      [['produce', '--poll-ms', '100'], '--poll-ms applies only with --follow'],
      [['refresh', '--deadline-ms', '5000'], '--deadline-ms applies only with --follow'],
      [['demo', '--refresh-seconds', '5'], '--refresh-seconds applies only with --follow'],
      [['demo', '--rate', '5', '--refresh-seconds', '5', '--purchases', '10'], '--rate and --refresh-seconds apply only with --follow'],
      [['alerts', 'check', '--interval', '5'], '--interval applies only with --watch'],
      [['generate', '--force', '--purchases', '1'], '--force applies only with --out'],
    ];
    const results = await Promise.all(cases.map(([args]) => runCli(args, { PICCHA_STATE_DIR: state.path })));
    state.remove();
    for (const [index, result] of results.entries()) {
      expect(result.code).toBe(1);
      expect(result.stderr.trim()).toBe(`piccha: ${cases[index]?.[1]}`);
    }
  });

  it('states the ingest flags\' bounds as --help does', async () => {
    const state = makeTempDir('cli');
    const cases: [string[], string][] = [
      [['ingest', '--consumers', '0'], '--consumers takes a whole number from 1 to 32, got "0"'],
      [['ingest', '--consumers', '33'], '--consumers takes a whole number from 1 to 32, got "33"'],
      [['ingest', '--max-batch-rows', '200001'], '--max-batch-rows takes a whole number from 1 to 200000, got "200001"'],
    ];
    const results = await Promise.all(cases.map(([args]) => runCli(args, { PICCHA_STATE_DIR: state.path })));
    state.remove();
    for (const [index, result] of results.entries()) {
      expect(result.code).toBe(1);
      expect(result.stderr.trim()).toBe(`piccha: ${cases[index]?.[1]}`);
    }
    const help = await runCli(['ingest', '--help']);
    expect(help.stdout).toContain('(1–32)');
    expect(help.stdout).toContain('(1–200000)');
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

  it('runs the demo end to end: every stage counted, the counts reconcile with the manifest, the preview shows the MART', async () => {
    const prefix = `demo${Date.now()}`;
    const env = demoEnv(prefix);
    const result = await runCli(['demo'], env).finally(() => stopDemoServices(env));
    expect(result.stderr).not.toMatch(/^piccha:/m);
    expect(result.code).toBe(0);
    // Services the environment names are used, not started; the ClickHouse service is the demo's own.
    expect(result.stdout).toMatch(/Kafka broker\s+127\.0\.0\.1:\d+\s+set by KAFKA_BROKERS/);
    expect(result.stdout).toMatch(/ClickHouse\s+ClickHouse server at http:\/\/127\.0\.0\.1:\d+, version 26\./);
    expect(result.stdout).toMatch(new RegExp(`== ingest → ClickHouse RAW[\\s\\S]*${prefix}\\.purchases\\s+\\d{3}\\s`));

    const expected = await expectationsFromManifest(prefix);
    const table = summaryTable(result.stdout);
    for (const entity of ENTITIES) {
      const row = table[entity];
      const want = expected[entity];
      expect(row.mongodb, entity).toBe(want.documents);
      expect(row.documents, entity).toBe(want.documents);
      expect(row.duplicates, entity).toBe(want.duplicates);
      expect(row.rejected, entity).toBe(want.rejected);
      expect(row.mart, entity).toBe(want.mart);
      // Exactly once into RAW: every message on the topic is a RAW row or a refusal.
      expect(row.raw + row.raw_rejected, entity).toBe(row.kafka);
      expect(row.kafka + row.dead_letters, entity).toBeGreaterThanOrEqual(row.documents);
    }
    // The light profile has defects of every kind: the figures above are not all trivially equal.
    expect(expected.purchases.rejected).toBeGreaterThan(0);
    expect(result.stdout).toMatch(/^reconciled\s+all \d+ identities hold$/m);
    expect(result.stdout).toMatch(/^alert\s+Дубликаты > 50%: ok$/m);

    const preview = /^preview\s+(\S+\.html)$/m.exec(result.stdout)?.[1] ?? '';
    const page = readFileSync(preview, 'utf8');
    const data = JSON.parse(/<script id="piccha-data" type="application\/json">(.*?)<\/script>/s.exec(page)?.[1] ?? '[]') as { title: string; panels: { title: string; rows: unknown[][] }[] }[];
    // The sales dashboard counts exactly the purchases the MART kept.
    const purchases = data.find((dashboard) => dashboard.title === 'Пикча — продажи')?.panels.find((panel) => panel.title === 'Покупки')?.rows[0]?.[0];
    expect(Number(purchases)).toBe(expected.purchases.mart);
    expect(result.stdout).toMatch(/provisioning\s+\S+grafana\/provisioning/);
  }, 240_000);

  it('demo refused because another evaluator holds the alert state: one line naming it, and the process exits at once', async () => {
    const env = demoEnv(`locked${Date.now()}`);
    const unlock = new AlertStateFile(join(env.PICCHA_STATE_DIR ?? '', 'alerts', 'state.json')).lock();
    try {
      const demo = startCli(['demo'], env);
      // It used to print the refusal and then hang, its connections still open.
      const outcome = await Promise.race([demo.result, new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 90_000))]);
      if (outcome === 'still running') demo.kill('SIGKILL');
      expect(outcome).not.toBe('still running');
      const { code, stderr } = outcome as CliResult;
      expect(code).toBe(1);
      // Besides the warning that the run created its local PII keys.
      expect(stderr.trim().split('\n').filter((line) => line.startsWith('piccha:'))).toEqual([expect.stringMatching(new RegExp(`^piccha: another alert evaluator \\(\`alerts check\` or \`demo\`, process ${process.pid}\\) is using `))]);
    } finally {
      unlock();
      await stopDemoServices(env);
    }
  }, 150_000);

  it('demo --dirty duplicates: the duplicates alert fires once its pending period has passed, printed without a Telegram token', async () => {
    const prefix = `dups${Date.now()}`;
    const env = demoEnv(prefix);
    const result = await runCli(['demo', '--dirty', 'duplicates'], env).finally(() => stopDemoServices(env));
    expect(result.stderr).not.toMatch(/^piccha:/m);
    expect(result.code).toBe(0);
    const expected = await expectationsFromManifest(prefix);
    const table = summaryTable(result.stdout);
    for (const entity of ENTITIES) {
      expect(table[entity].duplicates, entity).toBe(expected[entity].duplicates);
      expect(table[entity].mart, entity).toBe(expected[entity].mart);
    }
    const percent = (expected.purchases.duplicates / expected.purchases.documents) * 100;
    expect(percent).toBeGreaterThan(50);
    expect(result.stdout).toContain(`duplicates_log: ${percent.toFixed(1)}%`);
    expect(result.stdout).toMatch(/Дубликаты > 50%: pending; evaluating again in \d+ s/);
    expect(result.stdout).toContain('--- Telegram message (not sent: TELEGRAM_BOT_TOKEN is not set) ---');
    expect(result.stdout).toContain(`• purchases: дубликатов ${percent.toFixed(1)}% (порог 50%)`);
    expect(result.stdout).toMatch(/^alert\s+Дубликаты > 50%: firing \(4\)$/m);
    expect(result.stdout).toMatch(/^notifications\s+1 by this run, printed here, not sent \(TELEGRAM_BOT_TOKEN is not set\)$/m);
    expect(result.stdout).toMatch(/^reconciled\s+all \d+ identities hold$/m);
  }, 420_000);

  it('demo --follow: fresh purchases flow into the MART until Ctrl-C, which stops cleanly with reconciled counts', async () => {
    const prefix = `follow${Date.now()}`;
    const env = demoEnv(prefix);
    const demo = startCli(['demo', '--follow', '--rate', '20', '--refresh-seconds', '3'], env);
    try {
      const started = Date.now();
      // Two periodic refreshes while following: the stream runs, and the MART moved meanwhile.
      while ((demo.stdout().match(/ written \d+ {2}MART purchases \d+/g) ?? []).length < 2 && Date.now() - started < 200_000) await delay(500);
      demo.kill('SIGINT');
      const result = await demo.result;
      expect(result.stderr).not.toMatch(/^piccha:/m);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('stopping: the last writes');
      const before = summaryTable(result.stdout, 'first');
      const after = summaryTable(result.stdout, 'last');
      const written = Number(/== stopped after (\d+) fresh purchases/.exec(result.stdout)?.[1]);
      expect(written).toBeGreaterThan(0);
      // Every fresh purchase is a MongoDB document, judged once; the MART grew.
      expect(after.purchases.mongodb).toBe(before.purchases.mongodb + written);
      expect(after.purchases.documents).toBe(after.purchases.mongodb);
      expect(after.purchases.mart).toBeGreaterThan(before.purchases.mart);
      expect(result.stdout.split('\n== summary\n')).toHaveLength(3);
      expect(result.stdout).toMatch(/reconciled\s+all \d+ identities hold\n$/);
    } finally {
      demo.kill('SIGKILL');
      await demo.result.catch(() => undefined);
      await stopDemoServices(env);
    }
  }, 360_000);

  it('says when no service was started, and exits non-zero', async () => {
    const state = makeTempDir('cli');
    const result = await runCli(['services', 'status'], { PICCHA_STATE_DIR: state.path });
    state.remove();
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('not started');
    expect(result.stderr).toMatch(/^piccha: Kafka broker: not started; MongoDB protocol \(FerretDB\): not started; ClickHouse \(embedded engine, HTTP\): not started\n$/);
  });
});
