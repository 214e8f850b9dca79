import { execFile } from 'node:child_process';
import { cpSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { load } from 'js-yaml';
import { projectRoot } from '../../pipeline/config/project-root.js';
import { makeTempDir } from './temp-dir.js';

const run = promisify(execFile);

export interface MockedResource {
  readonly type: string;
  readonly name: string;
  /** The URN the mock monitor gave it; it names the parents' types, e.g. `piccha:infra:MongoDb$docker:index/container:Container`. */
  readonly urn: string;
  /** Inputs as sent to the engine; a secret is `{ $secret: value }`. */
  readonly inputs: Record<string, unknown>;
  /** Order of registration: the mock's clock when it started and finished. */
  readonly started: number;
  readonly finished: number;
  readonly retainOnDelete: boolean;
  /** URNs of the resources the engine waits for before creating this one. */
  readonly dependencies: readonly string[];
}

export interface ProgramRun {
  readonly resources: readonly MockedResource[];
  readonly outputs: Record<string, { readonly value: unknown; readonly secret: boolean }>;
  readonly error?: string;
}

/** Pulumi.yaml's declared settings and their defaults, as `pulumi up` applies them. */
export function declaredSettings(root = projectRoot()): Record<string, { type: string; default?: unknown; secret?: boolean; description?: string }> {
  const project = load(readFileSync(join(root, 'Pulumi.yaml'), 'utf8')) as { config: Record<string, { type?: string; default?: unknown; secret?: boolean; description?: string }> };
  const declared: Record<string, { type: string; default?: unknown; secret?: boolean; description?: string }> = {};
  for (const [key, value] of Object.entries(project.config)) {
    if (key.includes(':')) continue;
    declared[key] = { ...value, type: value.type ?? '' };
  }
  return declared;
}

/** The defaults of Pulumi.yaml with `overrides` on top, as the engine hands configuration to the program. */
export function stackConfig(overrides: Record<string, string>, root = projectRoot()): Record<string, string> {
  const config: Record<string, string> = {};
  for (const [key, setting] of Object.entries(declaredSettings(root))) {
    if (['string', 'number', 'boolean'].includes(typeof setting.default)) config[key] = String(setting.default);
  }
  return { ...config, ...overrides };
}

/** Runs the program under Pulumi's mocks in a child process (a fresh runtime each time). */
export async function runProgram(options: { root?: string; config: Record<string, string>; exitCodes?: Record<string, number> }): Promise<ProgramRun> {
  const root = options.root ?? projectRoot();
  // A failed deployment leaves Pulumi promises pending, and Pulumi then exits non-zero: the report
  // on stdout is what counts.
  const { stdout } = await run(process.execPath, ['--import', 'tsx', join(projectRoot(), 'test', 'helpers', 'pulumi-mock-runner.ts')], {
    cwd: projectRoot(),
    env: {
      ...process.env,
      PICCHA_PROGRAM_ROOT: root,
      PICCHA_PROGRAM_CONFIG: JSON.stringify(stackConfig(options.config, root)),
      PICCHA_PROGRAM_EXIT_CODES: JSON.stringify(options.exitCodes ?? {}),
    },
    maxBuffer: 64 * 1024 * 1024,
  }).catch((error: unknown) => {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    if (stdout.trim() === '') throw new Error(`the Pulumi program runner failed: ${stderr}`);
    return { stdout };
  });
  return JSON.parse(stdout) as ProgramRun;
}

/** A copy of the files the program reads (node_modules linked), for tests that edit one of them. */
export function copyProject(): { root: string; remove: () => void } {
  const source = projectRoot();
  const temp = makeTempDir('pulumi-program');
  for (const entry of ['infra', 'pipeline', 'dashboards', 'sql', 'Dockerfile', '.dockerignore', 'package.json', 'package-lock.json', '.npmrc', 'tsconfig.json', 'tsconfig.image.json', 'Pulumi.yaml']) {
    cpSync(join(source, entry), join(temp.path, entry), { recursive: true });
  }
  symlinkSync(join(source, 'node_modules'), join(temp.path, 'node_modules'));
  return { root: temp.path, remove: temp.remove };
}
