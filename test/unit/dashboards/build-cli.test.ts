import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildProvisioning, DEFAULT_BUILD_SETTINGS } from '../../../dashboards/build.js';
import { runCli } from '../../helpers/cli.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

const dir = makeTempDir('dashboards-build');
afterAll(() => dir.remove());

function tree(root: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else files[relative(root, path)] = readFileSync(path, 'utf8');
    }
  };
  walk(root);
  return files;
}

describe('piccha dashboards build', () => {
  it('writes exactly buildProvisioning’s files, byte for byte the same on a second run, with no secret from the environment', async () => {
    const secrets = { TELEGRAM_BOT_TOKEN: '987654:never-in-files', TELEGRAM_CHAT_ID: '-1001234', CLICKHOUSE_PASSWORD: 'pa$$word-never-in-files' };
    const first = await runCli(['dashboards', 'build', join(dir.path, 'a')], secrets);
    expect(first.code, first.stderr).toBe(0);
    // A dashboard left by an older build goes; files of others in the provisioning root stay.
    mkdirSync(join(dir.path, 'b', 'dashboards', 'piccha'), { recursive: true });
    writeFileSync(join(dir.path, 'b', 'dashboards', 'piccha', 'old.json'), '{}');
    const second = await runCli(['dashboards', 'build', join(dir.path, 'b')]);
    expect(second.code, second.stderr).toBe(0);
    const a = tree(join(dir.path, 'a'));
    expect(tree(join(dir.path, 'b'))).toEqual(a);
    writeFileSync(join(dir.path, 'b', 'dashboards', 'other.yaml'), 'apiVersion: 1\n');
    expect((await runCli(['dashboards', 'build', join(dir.path, 'b')])).code).toBe(0);
    expect(tree(join(dir.path, 'b'))).toEqual({ ...a, 'dashboards/other.yaml': 'apiVersion: 1\n' });
    expect(a).toEqual(Object.fromEntries(buildProvisioning(DEFAULT_BUILD_SETTINGS).map((file) => [file.path, file.content])));
    const everything = Object.values(a).join('\n') + first.stdout + first.stderr;
    for (const secret of Object.values(secrets)) expect(everything).not.toContain(secret);
  }, 60_000);

  it('takes the datasource address from its flags and refuses a bad port in one line', async () => {
    const built = await runCli(['dashboards', 'build', join(dir.path, 'c'), '--clickhouse-host', 'ch.internal', '--clickhouse-port', '8123', '--protocol', 'http']);
    expect(built.code, built.stderr).toBe(0);
    expect(readFileSync(join(dir.path, 'c', 'datasources/piccha-clickhouse.yaml'), 'utf8')).toContain('host: ch.internal\n      port: 8123\n      protocol: http\n');
    const bad = await runCli(['dashboards', 'build', join(dir.path, 'd'), '--clickhouse-port', 'x']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('piccha: --clickhouse-port takes a whole number from 1 to 65535, got "x"\n');
  }, 60_000);
});
