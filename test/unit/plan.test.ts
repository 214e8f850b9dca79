import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { diffSnapshots, formatPlan, type PlanSection } from '../../infra/plan/diff.js';
import { extractRef, GitRefError } from '../../infra/plan/git-tree.js';
import { takeSnapshot } from '../../infra/plan/snapshot.js';
import { projectRoot } from '../../pipeline/config/project-root.js';
import { makeTempDir } from '../helpers/temp-dir.js';

// A small repository of its own: a provisioning builder with one dashboard and one alert rule,
// migrations, pinned images and settings; each test edits it and compares with its first commit.
const BUILD = `import { dump } from 'js-yaml';
const THRESHOLD = 50;
const PANEL_SQL = 'SELECT count() FROM piccha.purchases';
export function buildProvisioning() {
  const dashboard = { uid: 'sales', title: 'Продажи', panels: [
    { id: 1, type: 'stat', title: 'Покупки', gridPos: { x: 0, y: 0, w: 6, h: 4 }, targets: [{ rawSql: PANEL_SQL }] },
    { id: 2, type: 'timeseries', title: 'Выручка', gridPos: { x: 6, y: 0, w: 18, h: 8 }, targets: [{ rawSql: 'SELECT 1' }] },
  ] };
  const alerting = { apiVersion: 1, groups: [{ name: 'quality', folder: 'Пикча', interval: '1m', rules: [{ uid: 'duplicates-share', title: 'Дубликатов больше половины', condition: 'C', for: '5m',
    data: [{ refId: 'A' }, { refId: 'C', model: { type: 'threshold', expression: 'A', conditions: [{ evaluator: { type: 'gt', params: [THRESHOLD] } }] } }] }] }] };
  return [
    { path: 'dashboards/sales.json', content: JSON.stringify(dashboard) },
    { path: 'alerting/rules.yaml', content: dump(alerting) },
    { path: 'datasources/clickhouse.yaml', content: 'apiVersion: 1\\n' },
  ];
}
`;

let repo: { path: string; remove: () => void };
const git = (...args: string[]) => execFileSync('git', args, { cwd: repo.path, encoding: 'utf8' });
const write = (path: string, content: string) => {
  mkdirSync(join(repo.path, path, '..'), { recursive: true });
  writeFileSync(join(repo.path, path), content);
};
const edit = (path: string, from: string, to: string) => {
  const text = readFileSync(join(repo.path, path), 'utf8');
  if (!text.includes(from)) throw new Error(`${path} does not hold ${from}`);
  writeFileSync(join(repo.path, path), text.replace(from, to));
};

async function planAgainstHead(): Promise<PlanSection[]> {
  const base = extractRef(repo.path, 'HEAD');
  try {
    return diffSnapshots(await takeSnapshot(base.root), await takeSnapshot(repo.path));
  } finally {
    base.remove();
  }
}
const section = (sections: PlanSection[], title: string) => sections.find((s) => s.title === title);

beforeEach(() => {
  repo = makeTempDir('plan');
  symlinkSync(join(projectRoot(), 'node_modules'), join(repo.path, 'node_modules'));
  write('.gitignore', 'node_modules\n.piccha/\n');
  write('package.json', JSON.stringify({ name: 'plan-fixture', type: 'module' }));
  write('dashboards/build.ts', BUILD);
  write('sql/001_raw_purchases.sql', 'CREATE TABLE piccha.purchases (id UInt64) ENGINE = MergeTree ORDER BY id;\n');
  write('infra/images.json', JSON.stringify({ clickhouse: 'clickhouse/clickhouse-server:26.3', grafana: 'grafana/grafana:12.2.0' }));
  write('Dockerfile', 'FROM node:22.20.0-bookworm-slim AS build\nFROM node:22.20.0-bookworm-slim\n');
  write('Pulumi.yaml', 'name: fixture\nconfig:\n  ingestReplicas:\n    type: integer\n    default: 1\n');
  git('init', '-q');
  git('-c', 'user.name=test', '-c', 'user.email=test@example.invalid', 'add', '-A');
  git('-c', 'user.name=test', '-c', 'user.email=test@example.invalid', 'commit', '-qm', 'base');
});
afterEach(() => repo.remove());

describe('piccha plan', () => {
  it('reports no change for an unchanged tree', async () => {
    const sections = await planAgainstHead();
    expect(sections).toEqual([]);
    expect(formatPlan(sections, 'HEAD', 'the working tree')).toBe('No stack changes from HEAD to the working tree.\n');
  }, 30_000);

  it('names an added migration, and warns about an edited one', async () => {
    write('sql/002_mart_daily_sales.sql', 'SELECT 1;\n');
    edit('sql/001_raw_purchases.sql', 'UInt64', 'UInt32');
    const migrations = section(await planAgainstHead(), 'Migrations');
    expect(migrations?.changes).toEqual([
      { kind: 'changed', subject: '001_raw_purchases.sql', detail: expect.stringMatching(/must not change/) as unknown },
      { kind: 'added', subject: '002_mart_daily_sales.sql' },
    ]);
  }, 30_000);

  it('names the dashboard and the panel whose query changed, not the one that only moved', async () => {
    edit('dashboards/build.ts', "SELECT count() FROM piccha.purchases", "SELECT uniqExact(purchase_id) FROM piccha.purchases");
    edit('dashboards/build.ts', 'x: 6, y: 0', 'x: 6, y: 4');
    const dashboards = section(await planAgainstHead(), 'Dashboards');
    expect(dashboards?.changes).toEqual([{ kind: 'changed', subject: '«Продажи» (sales)', detail: 'panels changed: «Покупки»' }]);
  }, 30_000);

  it('shows an alert threshold change with old and new values', async () => {
    edit('dashboards/build.ts', 'const THRESHOLD = 50;', 'const THRESHOLD = 40;');
    const sections = await planAgainstHead();
    expect(section(sections, 'Alert rules')?.changes).toEqual([{ kind: 'changed', subject: '«Дубликатов больше половины» (duplicates-share)', detail: 'threshold A gt 50 → A gt 40' }]);
    expect(section(sections, 'Dashboards')).toBeUndefined();
  }, 30_000);

  it('shows image bumps, the pipeline base included, and changed setting defaults', async () => {
    edit('infra/images.json', 'clickhouse-server:26.3', 'clickhouse-server:26.8');
    edit('Dockerfile', 'node:22.20.0-bookworm-slim AS build\nFROM node:22.20.0-bookworm-slim', 'node:22.21.0-bookworm-slim AS build\nFROM node:22.21.0-bookworm-slim');
    edit('Pulumi.yaml', 'default: 1', 'default: 2');
    const sections = await planAgainstHead();
    expect(section(sections, 'Images')?.changes).toEqual([
      { kind: 'changed', subject: 'clickhouse', detail: 'clickhouse/clickhouse-server:26.3 → clickhouse/clickhouse-server:26.8' },
      { kind: 'changed', subject: 'pipeline base', detail: 'node:22.20.0-bookworm-slim → node:22.21.0-bookworm-slim' },
    ]);
    expect(section(sections, 'Setting defaults (Pulumi.yaml)')?.changes).toEqual([{ kind: 'changed', subject: 'ingestReplicas', detail: '1 → 2' }]);
    const text = formatPlan(sections, 'HEAD', 'the working tree');
    expect(text).toContain('  ~ clickhouse: clickhouse/clickhouse-server:26.3 → clickhouse/clickhouse-server:26.8\n');
  }, 30_000);

  it('refuses a ref that is not a commit, naming it', () => {
    expect(() => extractRef(repo.path, 'no-such-branch')).toThrow(GitRefError);
    expect(() => extractRef(repo.path, 'no-such-branch')).toThrow(/no-such-branch is not a commit/);
  });

  it('leaves no extracted tree behind', async () => {
    await planAgainstHead();
    expect(readdirSync(join(repo.path, '.piccha', 'plan'))).toEqual([]);
  }, 30_000);
});
