import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { parse } from 'yaml';
import { DATASOURCE_TYPE, DATASOURCE_UID } from '../datasource.js';
import { referencedVariables } from '../query/macros.js';
import type { ProvisioningFile } from '../build.js';

const GRID_COLUMNS = 24;
const UID = /^[A-Za-z0-9_-]{1,40}$/;
/** Grafana expands `$VAR`/`${VAR}` in these files before reading them; only our references may appear. */
const ENV_REFERENCE = /\$(\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_][A-Za-z0-9_]*)/g;

/** A braced variable reference; in dashboard SQL only `:percentencode` keeps every value inert. */
const BRACED_VARIABLE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([A-Za-z]+))?\}/g;

type Json = Record<string, unknown>;

const asArray = (value: unknown): Json[] => (Array.isArray(value) ? (value as Json[]) : []);
const asObject = (value: unknown): Json => (typeof value === 'object' && value !== null ? (value as Json) : {});

/** Grafana's `:singlequote` escapes `'` but not `\`, so a value from the data could end the literal. */
function checkVariableFormats(sql: string, where: string, problems: string[]): void {
  for (const [reference, name = '', format] of sql.matchAll(BRACED_VARIABLE)) {
    if (!name.startsWith('__') && format !== 'percentencode') problems.push(`${where}: «${reference}» may leave a value live in SQL; write \${${name}:percentencode}`);
  }
}

function checkDashboard(path: string, dashboard: Dashboard, problems: string[]): void {
  const where = (what: string) => `${path}: ${what}`;
  if (!dashboard.title) problems.push(where('no title'));
  if (!dashboard.uid || !UID.test(dashboard.uid)) problems.push(where(`uid ${JSON.stringify(dashboard.uid)} is not 1–40 of [A-Za-z0-9_-]`));
  const variables = new Set((dashboard.templating?.list ?? []).map((variable) => variable.name));
  const ids = new Set<number>();
  const cells = new Map<string, string>();
  for (const variable of dashboard.templating?.list ?? []) {
    const ds = asObject(variable.datasource);
    if (ds.uid !== DATASOURCE_UID || ds.type !== DATASOURCE_TYPE) problems.push(where(`variable ${variable.name} does not use the provisioned datasource`));
    const sql = typeof variable.query === 'string' ? variable.query : '';
    for (const used of referencedVariables(sql)) {
      if (!variables.has(used)) problems.push(where(`variable ${variable.name} uses undefined $${used}`));
    }
    checkVariableFormats(sql, where(`variable ${variable.name}`), problems);
  }
  for (const panel of asArray(dashboard.panels)) {
    const title = String(panel.title);
    if (typeof panel.id !== 'number') problems.push(where(`panel «${title}» has no id`));
    else if (ids.has(panel.id)) problems.push(where(`panel id ${panel.id} is used twice`));
    else ids.add(panel.id);
    const grid = asObject(panel.gridPos) as { x?: number; y?: number; w?: number; h?: number };
    const { x = -1, y = -1, w = 0, h = 0 } = grid;
    if (x < 0 || y < 0 || w < 1 || h < 1 || x + w > GRID_COLUMNS) problems.push(where(`panel «${title}» lies outside the 24-column grid`));
    for (let row = y; row < y + h; row++) {
      for (let column = x; column < x + w; column++) {
        const other = cells.get(`${row}:${column}`);
        if (other !== undefined) {
          problems.push(where(`panels «${other}» and «${title}» overlap`));
          row = y + h;
          break;
        }
        cells.set(`${row}:${column}`, title);
      }
    }
    const refs = [asObject(panel.datasource), ...asArray(panel.targets).map((target) => asObject(target.datasource))];
    if (refs.some((ref) => ref.uid !== DATASOURCE_UID || ref.type !== DATASOURCE_TYPE)) problems.push(where(`panel «${title}» refers to a datasource other than ${DATASOURCE_UID}`));
    const targets = asArray(panel.targets);
    if (targets.length === 0) problems.push(where(`panel «${title}» has no query`));
    for (const target of targets) {
      if (typeof target.format !== 'number') problems.push(where(`panel «${title}»: target format must be a number`));
      if (typeof target.rawSql !== 'string' || target.rawSql === '') problems.push(where(`panel «${title}»: empty SQL`));
      for (const used of referencedVariables(String(target.rawSql))) {
        if (!variables.has(used)) problems.push(where(`panel «${title}» uses undefined $${used}`));
      }
      checkVariableFormats(String(target.rawSql), where(`panel «${title}»`), problems);
    }
  }
}

function checkAlerting(path: string, document: Json, problems: string[]): void {
  const where = (what: string) => `${path}: ${what}`;
  const receivers = new Set(asArray(document.contactPoints).map((point) => String(point.name)));
  for (const policy of asArray(document.policies)) {
    if (!receivers.has(String(policy.receiver))) problems.push(where(`policy routes to unknown contact point ${String(policy.receiver)}`));
  }
  for (const point of asArray(document.contactPoints)) {
    for (const receiver of asArray(point.receivers)) {
      const settings = asObject(receiver.settings);
      if (receiver.type === 'telegram') {
        for (const key of ['bottoken', 'chatid']) {
          if (!/^\$\{[A-Z_][A-Z0-9_]*\}$/.test(String(settings[key]))) problems.push(where(`telegram ${key} must be an environment reference, not a value`));
        }
      }
    }
  }
  const uids = new Set<string>();
  for (const group of asArray(document.groups)) {
    for (const rule of asArray(group.rules)) {
      const uid = String(rule.uid);
      if (uids.has(uid)) problems.push(where(`rule uid ${uid} is used twice`));
      uids.add(uid);
      if (!UID.test(uid)) problems.push(where(`rule uid ${uid} is not 1–40 of [A-Za-z0-9_-]`));
      const data = asArray(rule.data);
      const refIds = new Set(data.map((query) => String(query.refId)));
      if (!refIds.has(String(rule.condition))) problems.push(where(`rule ${uid}: condition ${String(rule.condition)} is not a refId of its data`));
      for (const query of data) {
        const model = asObject(query.model);
        if (query.datasourceUid === '__expr__') {
          const input = model.expression;
          if (typeof input !== 'string' || !refIds.has(input)) problems.push(where(`rule ${uid}: expression ${String(query.refId)} reads unknown ${String(input)}`));
          if (model.type === 'threshold' && asArray(model.conditions).length !== 1) problems.push(where(`rule ${uid}: a threshold takes exactly one condition`));
        } else {
          if (query.datasourceUid !== DATASOURCE_UID) problems.push(where(`rule ${uid}: query ${String(query.refId)} uses datasource ${String(query.datasourceUid)}`));
          const range = asObject(query.relativeTimeRange);
          if (!Number.isInteger(range.from) || !Number.isInteger(range.to) || Number(range.from) <= Number(range.to)) problems.push(where(`rule ${uid}: relativeTimeRange must be whole seconds with from > to`));
          if (typeof model.format !== 'number') problems.push(where(`rule ${uid}: model format must be a number`));
          if (referencedVariables(String(model.rawSql)).length > 0) problems.push(where(`rule ${uid}: alert SQL cannot use dashboard variables`));
        }
      }
      if (!['OK', 'Alerting', 'NoData', 'KeepLast'].includes(String(rule.noDataState))) problems.push(where(`rule ${uid}: noDataState missing or invalid`));
      if (!['OK', 'Alerting', 'Error', 'KeepLast'].includes(String(rule.execErrState))) problems.push(where(`rule ${uid}: execErrState missing (a file defaults it to Alerting)`));
      if (typeof rule.for !== 'string' || rule.for === '0s') problems.push(where(`rule ${uid}: no pending period`));
    }
  }
}

/**
 * Expanded fields may hold only environment references we mean (`${NAME}`); any other `$` in the
 * YAML text outside rule models, annotations and templates would be eaten by Grafana.
 */
function checkInterpolation(file: ProvisioningFile, allowed: ReadonlySet<string>, problems: string[]): void {
  const document = asObject(parse(file.content));
  const expanded = JSON.stringify({ ...document, groups: asArray(document.groups).map((group) => ({ ...group, rules: asArray(group.rules).map((rule) => ({ ...rule, data: undefined, annotations: undefined })) })), templates: undefined });
  for (const match of expanded.matchAll(ENV_REFERENCE)) {
    const name = match[1]?.replace(/[{}]/g, '') ?? '';
    if (!allowed.has(name)) problems.push(`${file.path}: «${match[0]}» would be expanded by Grafana as an environment variable`);
  }
}

/** Every structural problem of a built provisioning tree, as readable lines; empty when sound. */
export function checkProvisioning(files: readonly ProvisioningFile[], allowedEnvironment: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  const paths = new Set<string>();
  const dashboardUids = new Map<string, Set<number>>();
  for (const file of files) {
    if (paths.has(file.path)) problems.push(`${file.path}: written twice`);
    paths.add(file.path);
    if (!/^(datasources|dashboards|alerting)\//.test(file.path)) problems.push(`${file.path}: outside datasources/, dashboards/, alerting/`);
    if (file.path.endsWith('.json')) {
      const dashboard = JSON.parse(file.content) as Dashboard;
      checkDashboard(file.path, dashboard, problems);
      dashboardUids.set(String(dashboard.uid), new Set(asArray(dashboard.panels).map((panel) => Number(panel.id))));
    } else {
      checkInterpolation(file, allowedEnvironment, problems);
    }
  }
  for (const file of files.filter((f) => f.path.startsWith('alerting/'))) {
    const document = asObject(parse(file.content));
    checkAlerting(file.path, document, problems);
    for (const group of asArray(document.groups)) {
      for (const rule of asArray(group.rules)) {
        const panels = dashboardUids.get(String(rule.dashboardUid));
        if (!panels?.has(Number(rule.panelId))) problems.push(`${file.path}: rule ${String(rule.uid)} links to a missing dashboard panel`);
      }
    }
  }
  return problems;
}
