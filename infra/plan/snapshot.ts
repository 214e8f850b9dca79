import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { load } from 'js-yaml';
import type { GrafanaBuildSettings, ProvisioningFile } from '../../dashboards/build.js';

/** What a reviewer compares between two trees: the parts of the stack a change is about. */
export interface StackSnapshot {
  /** Migration file name → content hash. */
  readonly migrations: Readonly<Record<string, string>>;
  /** Dashboard uid → title and panels (panel key → title and content hash). */
  readonly dashboards: Readonly<Record<string, DashboardSnapshot>>;
  /** Alert rule uid → title, condition thresholds and pending period. */
  readonly alertRules: Readonly<Record<string, AlertRuleSnapshot>>;
  /** Other provisioning files (datasources, contact points, policies) → content hash. */
  readonly provisioningFiles: Readonly<Record<string, string>>;
  /** Service images (infra/images.json) and the pipeline image's base (Dockerfile FROM). */
  readonly images: Readonly<Record<string, string>>;
  /** Defaults of the settings Pulumi.yaml declares. */
  readonly settings: Readonly<Record<string, string>>;
}

export interface DashboardSnapshot {
  readonly title: string;
  readonly panels: Readonly<Record<string, { readonly title: string; readonly hash: string }>>;
}

export interface AlertRuleSnapshot {
  readonly title: string;
  readonly thresholds: readonly string[];
  readonly for: string;
  readonly hash: string;
}


const sha256 = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');

type Loader = (file: string) => Promise<Record<string, unknown>>;

/** Loads a TypeScript module of a tree (tsx is a development tool: `plan` runs in a checkout). */
async function loadTypeScript(file: string): Promise<Record<string, unknown>> {
  const { tsImport } = (await import('tsx/esm/api')) as { tsImport: (specifier: string, parent: string) => Promise<Record<string, unknown>> };
  return tsImport(pathToFileURL(file).href, import.meta.url);
}

/** The snapshot of the tree at `root` (a checkout or an extracted git ref). */
export async function takeSnapshot(root: string, loader: Loader = loadTypeScript): Promise<StackSnapshot> {
  const provisioning = await provisioningOf(root, loader);
  const dashboards: Record<string, DashboardSnapshot> = {};
  const alertRules: Record<string, AlertRuleSnapshot> = {};
  const provisioningFiles: Record<string, string> = {};
  for (const file of provisioning) {
    if (file.path.startsWith('dashboards/') && file.path.endsWith('.json')) {
      const dashboard = JSON.parse(file.content) as { uid?: string; title?: string; panels?: Panel[] };
      dashboards[dashboard.uid ?? file.path] = { title: dashboard.title ?? file.path, panels: panelsOf(dashboard.panels ?? []) };
    } else if (file.path.startsWith('alerting/')) {
      const rules = rulesOf(file);
      Object.assign(alertRules, rules);
      // The rest of an alerting file (contact points, policies, templates) is compared as a whole.
      provisioningFiles[file.path] = sha256(file.content);
    } else provisioningFiles[file.path] = sha256(file.content);
  }
  return {
    migrations: migrationsOf(root),
    dashboards,
    alertRules,
    provisioningFiles,
    images: imagesOf(root),
    settings: settingsOf(root),
  };
}

async function provisioningOf(root: string, loader: Loader): Promise<ProvisioningFile[]> {
  const file = join(root, 'dashboards', 'build.ts');
  if (!existsSync(file)) return [];
  const module = await loader(file);
  const build = module.buildProvisioning;
  if (typeof build !== 'function') throw new Error(`${file} does not export buildProvisioning`);
  // Each tree with its own defaults: a settings shape may change between the trees compared.
  return (build as (settings: GrafanaBuildSettings | undefined) => ProvisioningFile[])(module.DEFAULT_BUILD_SETTINGS as GrafanaBuildSettings | undefined);
}

function migrationsOf(root: string): Record<string, string> {
  const dir = join(root, 'sql');
  if (!existsSync(dir)) return {};
  const migrations: Record<string, string> = {};
  for (const name of readdirSync(dir).filter((file) => file.endsWith('.sql')).sort()) migrations[name] = sha256(readFileSync(join(dir, name)));
  return migrations;
}

interface Panel {
  id?: number;
  title?: string;
  type?: string;
  panels?: Panel[];
}

/** Panels by id (rows' inner panels included), with a hash of everything but their position. */
function panelsOf(panels: readonly Panel[]): Record<string, { title: string; hash: string }> {
  const found: Record<string, { title: string; hash: string }> = {};
  const visit = (panel: Panel) => {
    const { panels: inner, ...rest } = panel;
    // Moving a panel is not a change of what it shows.
    const content = Object.fromEntries(Object.entries(rest).filter(([key]) => key !== 'gridPos'));
    const key = panel.id === undefined ? (panel.title ?? '') : String(panel.id);
    if (panel.type !== 'row') found[key] = { title: panel.title ?? `panel ${key}`, hash: sha256(JSON.stringify(content)) };
    for (const child of inner ?? []) visit(child);
  };
  for (const panel of panels) visit(panel);
  return found;
}

interface RuleQuery {
  refId?: string;
  model?: { type?: string; expression?: string; conditions?: { evaluator?: { type?: string; params?: number[] } }[] };
}

/** Alert rules of a provisioning file, with each threshold expression as `A gt 50`. */
function rulesOf(file: ProvisioningFile): Record<string, AlertRuleSnapshot> {
  const document = load(file.content) as { groups?: { rules?: { uid?: string; title?: string; for?: string; data?: RuleQuery[] }[] }[] } | undefined;
  const rules: Record<string, AlertRuleSnapshot> = {};
  for (const group of document?.groups ?? []) {
    for (const rule of group.rules ?? []) {
      const thresholds = (rule.data ?? [])
        .filter((query) => query.model?.type === 'threshold')
        .flatMap((query) => (query.model?.conditions ?? []).map((condition) => `${query.model?.expression ?? ''} ${condition.evaluator?.type ?? '?'} ${(condition.evaluator?.params ?? []).join(',')}`));
      const uid = rule.uid ?? rule.title ?? '';
      rules[uid] = { title: rule.title ?? uid, thresholds, for: rule.for ?? '', hash: sha256(JSON.stringify(rule)) };
    }
  }
  return rules;
}

function imagesOf(root: string): Record<string, string> {
  const images: Record<string, string> = {};
  const pinned = join(root, 'infra', 'images.json');
  if (existsSync(pinned)) Object.assign(images, JSON.parse(readFileSync(pinned, 'utf8')) as Record<string, string>);
  const dockerfile = join(root, 'Dockerfile');
  if (existsSync(dockerfile)) {
    const bases = [...readFileSync(dockerfile, 'utf8').matchAll(/^FROM\s+(\S+)/gim)].map((match) => match[1] ?? '');
    if (bases.length > 0) images['pipeline base'] = [...new Set(bases)].join(', ');
  }
  return images;
}

function settingsOf(root: string): Record<string, string> {
  const file = join(root, 'Pulumi.yaml');
  if (!existsSync(file)) return {};
  const project = load(readFileSync(file, 'utf8')) as { config?: Record<string, { default?: unknown }> };
  const settings: Record<string, string> = {};
  for (const [name, setting] of Object.entries(project.config ?? {})) {
    if (!name.includes(':') && setting.default !== undefined) settings[name] = JSON.stringify(setting.default);
  }
  return settings;
}
