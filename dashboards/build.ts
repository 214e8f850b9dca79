import { stringify } from 'yaml';
import { alertingProvisioning, type TelegramSettings } from './alerting/provisioning.js';
import { buildDashboard, type DashboardSpec } from './dashboard-spec.js';
import { datasourceProvisioning, type DatasourceSettings } from './datasource.js';
import { qualityDashboard } from './quality/dashboard.js';
import { salesDashboard } from './sales/dashboard.js';

/** What the provisioning depends on: where Grafana finds ClickHouse, Telegram, and its own folders. */
export interface GrafanaBuildSettings {
  readonly clickhouse: DatasourceSettings;
  readonly telegram: TelegramSettings;
  /** The provisioning root inside Grafana (its `paths.provisioning`), where these files are placed. */
  readonly provisioningRoot: string;
}

/** One file of the provisioning tree; `path` is relative to the provisioning root. */
export interface ProvisioningFile {
  readonly path: string;
  readonly content: string;
}

export const DASHBOARDS: readonly DashboardSpec[] = [salesDashboard, qualityDashboard];

export const DEFAULT_BUILD_SETTINGS: GrafanaBuildSettings = {
  clickhouse: {
    host: 'clickhouse',
    port: 9000,
    protocol: 'native',
    secure: false,
    database: 'piccha_mart',
    user: 'default',
    passwordFrom: '${CLICKHOUSE_PASSWORD}',
  },
  telegram: { botTokenVariable: 'TELEGRAM_BOT_TOKEN', chatIdVariable: 'TELEGRAM_CHAT_ID' },
  provisioningRoot: '/etc/grafana/provisioning',
};

const DASHBOARD_FOLDER = 'Пикча';

/**
 * YAML with a fixed layout: no line folding, keys in the order written, so a build is byte-stable.
 * The JSON round trip drops what JSON drops (the SDK's marker functions, undefined fields).
 */
function yaml(document: unknown): string {
  return stringify(JSON.parse(JSON.stringify(document)), { lineWidth: 0, indent: 2, aliasDuplicateObjects: false });
}

function json(document: unknown): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

/** The dashboards, as Grafana JSON, keyed by their file name under dashboards/. */
export function buildDashboards(): { spec: DashboardSpec; json: ReturnType<typeof buildDashboard> }[] {
  return DASHBOARDS.map((spec) => ({ spec, json: buildDashboard(spec) }));
}

/**
 * The whole provisioning tree: the datasource, the dashboard provider and its dashboards, and the
 * alerting file. Pure and deterministic: the same settings give the same bytes.
 */
export function buildProvisioning(settings: GrafanaBuildSettings): ProvisioningFile[] {
  const root = settings.provisioningRoot.replace(/\/+$/, '');
  const provider = {
    apiVersion: 1,
    providers: [
      {
        name: 'piccha',
        orgId: 1,
        folder: DASHBOARD_FOLDER,
        type: 'file',
        disableDeletion: true,
        allowUiUpdates: false,
        updateIntervalSeconds: 60,
        options: { path: `${root}/dashboards/piccha`, foldersFromFilesStructure: false },
      },
    ],
  };
  return [
    { path: 'datasources/piccha-clickhouse.yaml', content: yaml(datasourceProvisioning(settings.clickhouse)) },
    { path: 'dashboards/piccha.yaml', content: yaml(provider) },
    ...buildDashboards().map(({ spec, json: dashboard }) => ({ path: `dashboards/piccha/${spec.file}`, content: json(dashboard) })),
    { path: 'alerting/piccha.yaml', content: yaml(alertingProvisioning(settings.telegram)) },
  ];
}
