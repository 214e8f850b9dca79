import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hashFiles } from '../../infra/stack/content-hash.js';
import { buildContextFiles, isIgnored, parseDockerignore } from '../../infra/stack/dockerignore.js';
import { parsePinnedImages } from '../../infra/stack/images.js';
import { projectRoot } from '../../pipeline/config/project-root.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const root = projectRoot();
const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
/** The Dockerfile's stages, each with its instructions (continuation lines joined). */
const stages = dockerfile
  .replace(/\\\n\s*/g, ' ')
  .split('\n')
  .filter((line) => line.trim() !== '' && !line.trim().startsWith('#'))
  .reduce<string[][]>((all, line) => {
    if (/^FROM\s/i.test(line)) all.push([line]);
    else all.at(-1)?.push(line);
    return all;
  }, []);
const runtime = stages.at(-1) ?? [];

describe('Dockerfile of the pipeline image', () => {
  it('starts every stage from a Node base pinned to a patch version', () => {
    expect(stages.length).toBeGreaterThan(0);
    for (const stage of stages) expect(stage[0], stage[0]).toMatch(/^FROM node:\d+\.\d+\.\d+-[a-z]+-slim(\s+AS\s+\w+)?$/);
  });

  it('runs as a non-root user in the final stage', () => {
    const users = runtime.filter((line) => /^USER\s/.test(line));
    expect(users).toHaveLength(1);
    expect(users[0]).not.toMatch(/^USER\s+(root|0)(:|$)/);
    expect(runtime.indexOf(users[0] ?? '')).toBeGreaterThan(runtime.findIndex((line) => line.startsWith('RUN ')));
  });

  it('installs production dependencies only, from the lock file, in the final stage', () => {
    const installs = runtime.filter((line) => /npm (ci|install)/.test(line));
    expect(installs).toHaveLength(1);
    expect(installs[0]).toMatch(/npm ci\b.*--omit=dev/);
    expect(runtime.some((line) => /^COPY package\.json package-lock\.json/.test(line))).toBe(true);
  });

  it('runs the piccha CLI as its entry point', () => {
    expect(runtime).toContain('ENTRYPOINT ["node", "/app/dist/pipeline/cli/main.js"]');
    const bin = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { bin: { piccha: string } }).bin.piccha;
    expect(`/app/${bin}`).toBe('/app/dist/pipeline/cli/main.js');
  });
});

describe('build context (.dockerignore)', () => {
  const files = buildContextFiles(root).map((file) => file.path);

  it('holds what the Dockerfile copies', () => {
    for (const path of ['Dockerfile', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.image.json', 'pipeline/cli/main.ts', 'dashboards/build.ts']) expect(files, path).toContain(path);
  });

  it('leaves out tests, migrations, the Pulumi program, state, dependencies and git', () => {
    for (const prefix of ['test/', 'sql/', 'node_modules/', '.piccha/', '.git/', 'infra/components/', 'infra/index.ts']) {
      expect(files.filter((path) => path.startsWith(prefix)), prefix).toEqual([]);
    }
    expect(files.filter((path) => path.endsWith('.test.ts') || path.endsWith('.md'))).toEqual([]);
  });

  it('alone compiles the CLI as the Dockerfile does, and the CLI starts', () => {
    const context = makeTempDir('build-context');
    try {
      for (const file of buildContextFiles(root)) {
        mkdirSync(dirname(join(context.path, file.path)), { recursive: true });
        writeFileSync(join(context.path, file.path), file.content);
      }
      symlinkSync(join(root, 'node_modules'), join(context.path, 'node_modules'));
      execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.image.json'], { cwd: context.path, stdio: 'pipe' });
      const help = execFileSync(process.execPath, [join(context.path, 'dist', 'pipeline', 'cli', 'main.js'), '--help'], { cwd: context.path, encoding: 'utf8' });
      for (const command of ['migrate', 'generate', 'produce']) expect(help).toContain(command);
    } finally {
      context.remove();
    }
  }, 180_000);

  it("follows Docker's rules: last match wins, ! re-includes, a folder rule covers what is inside", () => {
    const rules = parseDockerignore('# comment\n*\n!src\nsrc/**/*.snap\n!src/keep.snap\n/build/\n');
    expect(isIgnored(rules, 'README.md')).toBe(true);
    expect(isIgnored(rules, 'src/a/b.ts')).toBe(false);
    expect(isIgnored(rules, 'src/a/b.snap')).toBe(true);
    expect(isIgnored(rules, 'src/keep.snap')).toBe(false);
    expect(isIgnored(rules, 'build/out.js')).toBe(true);
  });
});

describe('content hashes', () => {
  const file = (path: string, content: string) => ({ path, content: Buffer.from(content) });

  it('do not depend on the order files are listed in', () => {
    expect(hashFiles([file('a', '1'), file('b', '2')])).toBe(hashFiles([file('b', '2'), file('a', '1')]));
  });

  it('change with a path or a content, and cannot be forged by moving bytes between them', () => {
    const base = hashFiles([file('a', '1'), file('b', '2')]);
    expect(hashFiles([file('a', '1'), file('b', '3')])).not.toBe(base);
    expect(hashFiles([file('a', '1'), file('c', '2')])).not.toBe(base);
    expect(hashFiles([file('ab', 'c')])).not.toBe(hashFiles([file('a', 'bc')]));
  });
});

describe('pinned images (infra/images.json)', () => {
  it('accepts the repository file', () => {
    expect(() => parsePinnedImages(readFileSync(join(root, 'infra', 'images.json'), 'utf8'), 'images.json')).not.toThrow();
  });

  it('refuses an image without a version or at latest, naming it', () => {
    const pinned = { mongodb: 'mongo:8.0.15', kafka: 'apache/kafka:4.1.2', clickhouse: 'clickhouse/clickhouse-server:26.3', grafana: 'grafana/grafana:12.2.0', grafanaClickhousePlugin: 'grafana-clickhouse-datasource@4.20.0' };
    expect(() => parsePinnedImages(JSON.stringify({ ...pinned, grafana: 'grafana/grafana:latest' }), 'x')).toThrow(/grafana grafana\/grafana:latest is not pinned/);
    expect(() => parsePinnedImages(JSON.stringify({ ...pinned, mongodb: 'mongo' }), 'x')).toThrow(/mongodb mongo is not pinned/);
    expect(() => parsePinnedImages(JSON.stringify({ ...pinned, grafanaClickhousePlugin: 'grafana-clickhouse-datasource' }), 'x')).toThrow(/grafanaClickhousePlugin/);
  });
});
